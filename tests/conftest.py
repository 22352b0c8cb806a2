"""Shared fixtures: example documents, the conformance corpus, PostgreSQL, external tools."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import settings

from provarchive.examples import kitchen_sink
from provarchive.model import Document

# CI runs property-based tests with a fixed seed, so a submission's verdict never depends
# on luck; local runs keep exploring new examples (and remember failures in .hypothesis/).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
#: Third-party conformance files (W3C PROV cases, OPUS job definitions, ctapipe logs).
CONFORMANCE = ROOT.parent / "shared" / "conformance"
PG_ADMIN_URL = os.environ.get("PROVARCHIVE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def require_external(tool: str, available: bool, why: str = "") -> None:
    """Skip when an external tool is absent, or fail when CI demands every tool.

    CI sets PROVARCHIVE_REQUIRE_EXTERNAL=1 so that no external test is silently skipped.
    """
    if available:
        return
    message = f"{tool} is not available{': ' + why if why else ''}"
    if os.environ.get("PROVARCHIVE_REQUIRE_EXTERNAL") == "1":
        pytest.fail(message + " (PROVARCHIVE_REQUIRE_EXTERNAL=1)")
    pytest.skip(message)


def require_command(name: str) -> str:
    path = shutil.which(name)
    require_external(name, path is not None)
    assert path is not None
    return path


@pytest.fixture
def doc() -> Document:
    """A document with a record of every class."""
    return kitchen_sink()


@pytest.fixture(scope="session")
def conformance() -> Path:
    require_external("shared/conformance corpus", CONFORMANCE.is_dir(), str(CONFORMANCE))
    return CONFORMANCE


def _pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, dropped at the end."""
    with new_postgres_database("provarchive_test") as url:
        yield url


@contextmanager
def new_postgres_database(prefix: str = "provarchive_t") -> Iterator[str]:
    """Create an empty PostgreSQL database; yield its URL; drop it afterwards."""
    require_external("PostgreSQL at 127.0.0.1:5432", _pg_available())
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def fresh_postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test (for tests that need an empty archive)."""
    with new_postgres_database() as url:
        yield url


@pytest.fixture(scope="module")
def module_postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test module (records of other modules never mix in)."""
    with new_postgres_database("provarchive_m") as url:
        yield url
