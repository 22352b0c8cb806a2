"""Sending captured provenance to an archive, without ever failing or stalling the job.

:func:`upload` takes a compiled document or a spool path and an archive URL. It retries
with exponential backoff within a small time budget and then gives up *quietly*: it
returns an :class:`UploadResult` instead of raising, and a spool that could not be
delivered is left where it is for a later ``provarchive spool upload``. Delivery is
idempotent: a spool compiles to the same document every time (ids come from the spool)
and the archive's ingest adds nothing for records it already holds; a delivered spool
also gets a ``<spool>.uploaded`` marker naming the archive, so re-running an upload
loop does not even recompile it.

Archive URLs: a SQLite path, ``sqlite:///...`` or ``postgresql://...`` is opened with
:func:`provarchive.store.open_archive` (imported here only, store being a peer layer).
``http(s)://`` (the archive service) is reserved for the HTTP transport to come; today it
is reported as not supported, through the same result, so callers will not change.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from typing import Any

__all__ = ["upload", "UploadResult", "UploadNotSupported", "marker_path", "background_upload"]


class UploadNotSupported(ValueError):
    """The archive URL names a transport this version cannot use."""


@dataclass
class UploadResult:
    """Outcome of :func:`upload`: never an exception for an unreachable archive."""

    ok: bool
    archive_url: str
    attempts: int = 0
    skipped: bool = False
    error: str | None = None
    ingest: Any = None
    spool: str | None = None


def marker_path(spool: str | os.PathLike[str]) -> str:
    """The marker file written next to a spool once it has been delivered."""
    return os.fspath(spool) + ".uploaded"


def _already_uploaded(spool: str, archive_url: str) -> bool:
    try:
        with open(marker_path(spool), encoding="utf-8") as handle:
            delivered = {line.split("\t", 1)[0] for line in handle.read().splitlines()}
    except OSError:
        return False
    try:
        st = os.stat(spool)
    except OSError:
        return False
    return f"{archive_url}|{st.st_size}|{st.st_mtime_ns}" in delivered


def _mark_uploaded(spool: str, archive_url: str) -> None:
    st = os.stat(spool)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with open(marker_path(spool), "a", encoding="utf-8") as handle:
        handle.write(f"{archive_url}|{st.st_size}|{st.st_mtime_ns}\t{stamp}\n")


def _deliver_local(doc: Any, archive_url: str) -> Any:
    from ..store import open_archive  # peer layer: imported only for this one call

    archive = open_archive(archive_url)
    try:
        return archive.ingest(doc)
    finally:
        close = getattr(archive, "close", None)
        if callable(close):
            close()


def _transport(archive_url: str) -> Any:
    scheme = archive_url.split("://", 1)[0].lower() if "://" in archive_url else ""
    if scheme in ("http", "https"):
        raise UploadNotSupported(
            f"uploading to an archive service over {scheme.upper()} ({archive_url}) is not supported yet; "
            "give a SQLite path or a postgresql:// URL"
        )
    if scheme and scheme not in ("sqlite", "postgresql", "postgresql+psycopg", "postgres", "file"):
        raise UploadNotSupported(f"unknown archive URL scheme {scheme!r} in {archive_url}")
    return _deliver_local


def upload(
    source: Any,
    archive_url: str | None = None,
    *,
    retries: int = 3,
    backoff_s: float = 0.2,
    max_total_s: float = 5.0,
    force: bool = False,
    compile_options: dict[str, Any] | None = None,
) -> UploadResult:
    """Deliver ``source`` (a Document, or the path of a spool) to ``archive_url``.

    ``archive_url`` defaults to the configured archive (``PROVARCHIVE_ARCHIVE`` or
    ``<data_dir>/archive.db``). Up to ``retries`` further attempts follow a failure,
    waiting ``backoff_s``, then twice that, ... but never past ``max_total_s`` in all.
    Bad input (an unreadable spool, an unsupported URL) is reported in the result, not
    retried. ``force`` re-sends a spool already marked as delivered.
    """
    if archive_url is None:
        from ..config import load_settings

        archive_url = load_settings().archive_url
    spool: str | None = None
    if isinstance(source, (str, os.PathLike)):
        spool = os.fspath(source)
        if not force and _already_uploaded(spool, archive_url):
            return UploadResult(True, archive_url, skipped=True, spool=spool)
    try:
        deliver = _transport(archive_url)
        if spool is not None:
            from .spool import compile_spool

            doc = compile_spool(spool, **(compile_options or {}))
        else:
            doc = source
    except (UploadNotSupported, OSError, ValueError) as exc:
        return UploadResult(False, archive_url, error=str(exc), spool=spool)
    deadline = time.monotonic() + max_total_s
    attempts = 0
    delay = backoff_s
    last_error = ""
    while True:
        attempts += 1
        try:
            ingest = deliver(doc, archive_url)
        except Exception as exc:  # any store failure: the job must not notice
            last_error = f"{type(exc).__name__}: {exc}"
        else:
            if spool is not None:
                with contextlib.suppress(OSError):
                    _mark_uploaded(spool, archive_url)
            return UploadResult(True, archive_url, attempts=attempts, ingest=ingest, spool=spool)
        if attempts > retries or time.monotonic() + delay > deadline:
            return UploadResult(False, archive_url, attempts=attempts, error=last_error, spool=spool)
        time.sleep(delay)
        delay *= 2


def background_upload(spool: str | os.PathLike[str], archive_url: str) -> int:
    """Start a detached process that uploads ``spool`` (longer retries); returns its pid.

    For jobs that must end at once: the upload outlives the job's process and, when it
    fails, leaves the spool for ``provarchive spool upload``.
    """
    import subprocess
    import sys

    code = (
        "import sys; from provarchive.capture.upload import upload; "
        "r = upload(sys.argv[1], sys.argv[2], retries=8, backoff_s=1.0, max_total_s=300.0); "
        "sys.exit(0 if r.ok else 1)"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code, os.fspath(spool), archive_url],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return process.pid
