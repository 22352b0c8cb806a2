"""Store fixtures: every store test runs against SQLite (a temporary file) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from provarchive.store import Archive, open_archive


@pytest.fixture(params=["sqlite", "postgresql"])
def archive_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a new, empty archive on each backend.

    PostgreSQL: the session's test database with every archive table emptied (much
    faster than a new database and a migration per test, and just as empty).
    """
    if request.param == "sqlite":
        return str(tmp_path / "archive.db")
    url = str(request.getfixturevalue("postgres_url"))
    import psycopg

    from provarchive.store.schema import TABLES

    with psycopg.connect(url, autocommit=True) as conn:
        exists = conn.execute("SELECT to_regclass('provenance.alembic_version')").fetchone()[0]  # type: ignore[index]
        if exists:
            with conn.transaction():  # DELETE: far quicker than TRUNCATE on small tables
                for table in TABLES:
                    conn.execute(f"DELETE FROM provenance.{table.name}")
    return url


@pytest.fixture
def archive(archive_url: str) -> Iterator[Archive]:
    """An open, empty archive on each backend."""
    store = open_archive(archive_url)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def sqlite_archive(tmp_path: Path) -> Iterator[Archive]:
    """An open, empty SQLite archive, for what only the SQLite backend does (its level walk)."""
    store = open_archive(str(tmp_path / "archive.db"))
    try:
        yield store
    finally:
        store.close()
