"""Schema creation and upgrades with alembic (migrations ship inside the package).

Opening an archive checks the revision stored in ``provenance.alembic_version`` with
one cheap query and runs alembic only when it is behind, under a lock (a PostgreSQL
advisory lock; SQLite's write lock) so that many processes opening a new archive at
once create it exactly once.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, text

from .engine import Backend
from .schema import SCHEMA

__all__ = ["HEAD_REVISION", "MIGRATIONS_DIR", "current_revision", "upgrade", "head_revision"]

#: The newest revision in migrations/versions (a test checks they agree).
HEAD_REVISION = "0003"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: Arbitrary constant naming the PostgreSQL advisory lock taken while migrating.
_PG_LOCK_KEY = 0x70726F76  # "prov"


def current_revision(conn: Connection) -> str | None:
    """The schema revision of the archive, or None if it has no schema yet."""
    if conn.dialect.name == "postgresql":
        exists = conn.execute(text("SELECT to_regclass(:t)"), {"t": f"{SCHEMA}.alembic_version"}).scalar()
    else:
        exists = conn.execute(
            text(f"SELECT name FROM {SCHEMA}.sqlite_master WHERE type = 'table' AND name = 'alembic_version'")
        ).scalar()
    if not exists:
        return None
    return conn.execute(text(f"SELECT version_num FROM {SCHEMA}.alembic_version")).scalar()


def _alembic_config(conn: Connection):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = conn
    return config


def head_revision() -> str:
    """The head revision according to alembic's script directory."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def upgrade(backend: Backend, *, force: bool = False) -> str | None:
    """Bring the archive schema to the newest revision; return the revision before."""
    with backend.engine.connect() as conn:
        before = current_revision(conn)
        conn.rollback()
    if before == HEAD_REVISION and not force:
        return before
    from alembic import command

    with backend.write() as conn:
        if backend.name == "postgresql":
            # the lock first: concurrent CREATE SCHEMA IF NOT EXISTS can still collide
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
            conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
        before = current_revision(conn)  # another process may have done it meanwhile
        if before != HEAD_REVISION or force:
            command.upgrade(_alembic_config(conn), "head")
    return before
