"""Fixtures: the test archive on SQLite (attached databases) and PostgreSQL (schemas)."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from provarchive.adql import Catalogue, open_sqlite_readonly
from tests.conftest import PG_ADMIN_URL, _pg_available, require_external

from . import archive


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return archive.catalogue()


@pytest.fixture(scope="module")
def sqlite_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    return archive.build_sqlite(tmp_path_factory.mktemp("adql"))


@pytest.fixture
def sqlite_conn(sqlite_files: tuple[Path, dict[str, Path]]) -> Iterator[sqlite3.Connection]:
    """A read-only connection as the TAP service opens it."""
    main, attached = sqlite_files
    conn = open_sqlite_readonly(main, attached)
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A PostgreSQL database of its own for this module, holding the test archive."""
    require_external("PostgreSQL at 127.0.0.1:5432", _pg_available())
    import psycopg

    name = f"provarchive_adql_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            archive.build_postgres(conn)
        yield url
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_conn(pg_url: str) -> Iterator[Any]:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        yield conn
