"""Capture tests: every test gets its own data directory and no inherited spool or parent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_capture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    data = tmp_path / "data"
    monkeypatch.setenv("PROVARCHIVE_DATA_DIR", str(data))
    monkeypatch.setenv("PROVARCHIVE_GIT", "0")
    for name in ("PROVARCHIVE_SPOOL", "PROVARCHIVE_PARENT_ACTIVITY", "PROVARCHIVE_HASH", "PROVARCHIVE_ARCHIVE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    yield data
