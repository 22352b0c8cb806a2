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
``http(s)://`` is the archive service (``provarchive serve``): the document is sent as
PROV-JSON to ``POST /archive/documents`` with ``Idempotency-Key: sha256:<digest of the
body>``, so a retry after a lost answer adds nothing. The URL may be the service root,
``.../archive`` or ``.../archive/documents``; a token comes from ``PROVARCHIVE_TOKEN``
(Bearer) or from ``user:token@`` in the URL (Basic). Connection failures, timeouts and
5xx/429 answers are retried; other 4xx answers (malformed, conflict, too large, bad
token) are final, since sending the same bytes again cannot succeed. Only the standard
library is used, so the capture path stays light.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from typing import Any

__all__ = [
    "upload",
    "UploadResult",
    "UploadNotSupported",
    "UploadRefused",
    "RemoteIngest",
    "ingest_endpoint",
    "marker_path",
    "background_upload",
]


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


def _marker_key(spool_stat: os.stat_result, archive_url: str) -> str:
    """What the marker records: the archive (credentials masked) and the spool's version."""
    from .environment import mask_argv

    return f"{mask_argv([archive_url])[0]}|{spool_stat.st_size}|{spool_stat.st_mtime_ns}"


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
    return _marker_key(st, archive_url) in delivered


def _mark_uploaded(spool: str, archive_url: str) -> None:
    st = os.stat(spool)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with open(marker_path(spool), "a", encoding="utf-8") as handle:
        handle.write(f"{_marker_key(st, archive_url)}\t{stamp}\n")


def _deliver_local(doc: Any, archive_url: str) -> Any:
    from ..store import open_archive  # peer layer: imported only for this one call

    archive = open_archive(archive_url)
    try:
        return archive.ingest(doc)
    finally:
        close = getattr(archive, "close", None)
        if callable(close):
            close()


class UploadRefused(Exception):
    """The archive service answered with a final refusal (4xx): retrying cannot help."""


@dataclass
class RemoteIngest:
    """What the archive service answered (the JSON of ``POST /archive/documents``)."""

    answer: dict[str, Any]

    @property
    def total_added(self) -> int:
        return int(self.answer.get("total_added", 0))

    @property
    def unchanged(self) -> int:
        return int(self.answer.get("unchanged", 0))

    @property
    def ids(self) -> list[str]:
        return list(self.answer.get("ids", []))


def ingest_endpoint(archive_url: str) -> tuple[str, dict[str, str]]:
    """The ingest URL for a service URL, and the authorization headers it carries or the env gives."""
    import base64
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(archive_url)
    headers: dict[str, str] = {}
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, netloc = netloc.rsplit("@", 1)
        headers["Authorization"] = "Basic " + base64.b64encode(userinfo.encode("utf-8")).decode("ascii")
    elif os.environ.get("PROVARCHIVE_TOKEN"):
        headers["Authorization"] = "Bearer " + os.environ["PROVARCHIVE_TOKEN"]
    path = parts.path.rstrip("/")
    if not path.endswith("/archive/documents"):
        path += "/documents" if path.endswith("/archive") else "/archive/documents"
    return urlunsplit((parts.scheme, netloc, path, "", "")), headers


def _deliver_http(doc: Any, archive_url: str, timeout_s: float = 30.0) -> RemoteIngest:
    """POST ``doc`` as PROV-JSON; UploadRefused for a final 4xx, other exceptions to retry."""
    import hashlib
    import json
    import urllib.error
    import urllib.request

    from ..formats import dumps

    body = dumps(doc, "PROV-JSON")
    url, headers = ingest_endpoint(archive_url)
    headers.update(
        {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Idempotency-Key": "sha256:" + hashlib.sha256(body).hexdigest(),
        }
    )
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    # the budget bounds small documents; a large one gets at least a second per megabyte to travel and be stored
    timeout_s = max(0.5, timeout_s, len(body) / 1_000_000)
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310 - http(s) only
            return RemoteIngest(json.loads(response.read()))
    except urllib.error.HTTPError as exc:
        detail = exc.read(4096).decode("utf-8", "replace")
        with contextlib.suppress(ValueError, AttributeError):
            detail = json.loads(detail).get("detail", detail)
        if 400 <= exc.code < 500 and exc.code not in (408, 429):
            raise UploadRefused(f"the archive refused the document ({exc.code}): {detail}") from None
        raise OSError(f"the archive answered {exc.code}: {detail}") from None


def _transport(archive_url: str) -> Any:
    scheme = archive_url.split("://", 1)[0].lower() if "://" in archive_url else ""
    if scheme in ("http", "https"):
        return _deliver_http
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
            if deliver is _deliver_http:
                ingest = deliver(doc, archive_url, timeout_s=deadline - time.monotonic())
            else:
                ingest = deliver(doc, archive_url)
        except UploadRefused as exc:  # retrying the same bytes cannot succeed
            return UploadResult(False, archive_url, attempts=attempts, error=str(exc), spool=spool)
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
