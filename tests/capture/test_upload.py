"""Upload: idempotent into a real SQLite archive, quiet failure for an unreachable one."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from provarchive.capture import activity
from provarchive.capture.spool import compile_spool
from provarchive.capture.upload import marker_path, upload


def _spool(tmp_path: Path) -> Path:
    spool = tmp_path / "s.jsonl"
    (tmp_path / "in.txt").write_text("input")
    with activity("uploaded", spool=spool) as act:
        act.used(tmp_path / "in.txt", role="raw")
        with activity("child") as child:
            child.parameter("k", "v")
    return spool


def test_same_document_twice_adds_nothing(tmp_path: Path) -> None:
    pytest.importorskip("provarchive.store")
    spool = _spool(tmp_path)
    archive = tmp_path / "archive.db"
    first = upload(spool, str(archive))
    assert first.ok and first.attempts == 1 and first.ingest.total_added > 0
    assert Path(marker_path(spool)).is_file()
    skipped = upload(spool, str(archive))
    assert skipped.ok and skipped.skipped  # the marker says it is delivered
    forced = upload(spool, str(archive), force=True)
    assert forced.ok and forced.ingest.total_added == 0 and forced.ingest.unchanged > 0
    as_document = upload(compile_spool(spool), f"sqlite:///{archive}")
    assert as_document.ok and as_document.ingest.total_added == 0


def test_unreachable_archive_never_raises_and_keeps_the_spool(tmp_path: Path) -> None:
    spool = _spool(tmp_path)
    result = upload(spool, "/proc/no/such/dir/archive.db", retries=2, backoff_s=0.01)
    assert not result.ok and result.attempts == 3 and result.error
    assert spool.is_file() and not Path(marker_path(spool)).exists()
    unknown = upload(spool, "ftp://archive.example.org/prov")
    assert not unknown.ok and "unknown archive URL scheme" in (unknown.error or "") and unknown.attempts == 0
    unreadable = upload(tmp_path / "missing.jsonl", str(tmp_path / "a.db"))
    assert not unreadable.ok and "No such spool" in (unreadable.error or "")


def test_background_upload_delivers_after_the_caller_returns(tmp_path: Path) -> None:
    pytest.importorskip("provarchive.store")
    import os
    import time

    from provarchive.capture.upload import background_upload

    spool = _spool(tmp_path)
    pid = background_upload(spool, str(tmp_path / "archive.db"))
    deadline = time.monotonic() + 120
    while not Path(marker_path(spool)).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert Path(marker_path(spool)).exists()
    with contextlib.suppress(ChildProcessError):  # reap the detached uploader: no zombie outlives the test
        os.waitpid(pid, 0)
