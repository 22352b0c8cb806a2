"""Run a translated query read-only, bounded in time, and report overflow.

The guard decides what SQL may exist; this module makes sure that even that SQL can only
read, and only for a while, whatever slips through:

- **SQLite**: the connection is opened read-only (``mode=ro``, ``PRAGMA query_only``); while
  the query runs an authorizer allows only SELECT, reads of the published databases,
  recursive CTEs and the functions our translation emits; a progress handler interrupts
  the statement at the deadline (a cross join of large tables stops there, the database
  is never touched). ``case_sensitive_like`` makes LIKE case-sensitive as in ADQL and
  PostgreSQL.
- **PostgreSQL**: one ``READ ONLY`` transaction, ``SET LOCAL statement_timeout``, a
  ``pg_catalog``-only search path (every table in our SQL is schema-qualified), JIT off
  (recursive CTEs' row estimates would trigger it for nothing), always rolled back.

Both raise :class:`QueryTimeout` at the deadline and :class:`AdqlError` when the database
refuses the SQL (division by zero, a type mismatch), so the TAP service has one error path.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .catalogue import PUBLISHED_SCHEMAS
from .errors import AdqlError, QueryTimeout
from .translate import ResultColumn, Translation

__all__ = ["QueryResult", "open_sqlite_readonly", "run_query", "run_sqlite", "run_postgres", "SQLITE_FUNCTIONS"]

#: SQLite functions the translation may emit (ADQL functions as lowered, aggregates, LIKE).
SQLITE_FUNCTIONS = frozenset(
    {
        "abs", "acos", "asin", "atan", "atan2", "cos", "sin", "tan", "degrees", "radians", "exp", "floor",
        "sqrt", "pi", "power", "pow", "log10", "log", "ln", "mod", "ceil", "ceiling", "trunc", "round", "random",
        "lower", "upper", "coalesce", "count", "sum", "avg", "min", "max", "like", "datetime",
    }
)  # fmt: skip

_ALLOWED_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_RECURSIVE}
#: How many SQLite virtual-machine steps between two deadline checks.
_PROGRESS_STEPS = 2000


@dataclass(frozen=True)
class QueryResult:
    """Rows (at most MAXREC of them), their description, and whether MAXREC cut the result."""

    columns: list[ResultColumn]
    rows: list[tuple[Any, ...]]
    overflow: bool


def _finish(translation: Translation, rows: list[tuple[Any, ...]]) -> QueryResult:
    overflow = translation.overflowed(len(rows))
    if overflow and translation.maxrec is not None:
        rows = rows[: translation.maxrec]
    return QueryResult(columns=translation.columns, rows=rows, overflow=overflow)


def open_sqlite_readonly(main: str | Path, attached: Mapping[str, str | Path] | None = None) -> sqlite3.Connection:
    """A read-only SQLite connection with ``attached`` databases (e.g. ``{"provenance": path}``).

    Attached files are opened read-only too; an in-memory upload database can be attached
    later by the caller (``ATTACH ':memory:' AS tap_upload``) before it sets query_only.
    """
    connection = sqlite3.connect(f"{Path(main).resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
    for name, path in (attached or {}).items():
        if not name.isidentifier():
            raise ValueError(f"bad schema name {name!r}")
        connection.execute(f"ATTACH DATABASE ? AS {name}", (f"{Path(path).resolve().as_uri()}?mode=ro",))
    connection.execute("PRAGMA query_only = ON")
    return connection


def _authorizer(readable: set[str]) -> Any:
    def authorize(action: int, arg1: str | None, arg2: str | None, database: str | None, trigger: str | None) -> int:
        if action in _ALLOWED_ACTIONS:
            if action == sqlite3.SQLITE_READ and (
                (database is not None and database not in readable) or (arg1 or "").lower().startswith("sqlite_")
            ):
                return sqlite3.SQLITE_DENY
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in SQLITE_FUNCTIONS:
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY

    return authorize


def run_sqlite(
    connection: sqlite3.Connection,
    translation: Translation,
    timeout: float,
    readable_schemas: Iterable[str] = PUBLISHED_SCHEMAS,
) -> QueryResult:
    """Run SQLite SQL from :func:`translate` with a deadline and an authorizer; nothing is written."""
    if translation.dialect != "sqlite":
        raise ValueError(f"this translation is for {translation.dialect}, not sqlite")
    deadline = time.monotonic() + timeout
    connection.execute("PRAGMA case_sensitive_like = ON")
    connection.execute("PRAGMA query_only = ON")
    connection.set_authorizer(_authorizer(set(readable_schemas)))
    connection.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, _PROGRESS_STEPS)
    try:
        cursor = connection.execute(translation.sql)
        rows = cursor.fetchall()
    except sqlite3.OperationalError as error:
        if "interrupted" in str(error):
            raise QueryTimeout(f"the query ran longer than the {timeout:g} s limit and was stopped") from error
        raise AdqlError(f"the database refused the query: {error}") from error
    except sqlite3.DatabaseError as error:
        raise AdqlError(f"the database refused the query: {error}") from error
    finally:
        connection.set_progress_handler(None, 0)
        connection.set_authorizer(None)
        if connection.in_transaction:
            connection.rollback()
    return _finish(translation, rows)


def run_postgres(connection: Any, translation: Translation, timeout: float) -> QueryResult:
    """Run PostgreSQL SQL in a read-only transaction with ``statement_timeout``, always rolled back."""
    import psycopg

    if translation.dialect != "postgres":
        raise ValueError(f"this translation is for {translation.dialect}, not postgres")
    if connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        # SET TRANSACTION READ ONLY must open the transaction; inside another one it would fail.
        raise ValueError("run_postgres needs a connection outside any transaction (use autocommit=True)")
    milliseconds = max(1, int(timeout * 1000))
    try:
        with connection.transaction(force_rollback=True):
            # One round trip. UTC: time literals without a zone are UTC (DALI), as on SQLite.
            # JIT off: recursive CTEs get huge row estimates that trigger ~10 ms of JIT
            # compilation for walks that take a few ms.
            connection.execute(
                "SET TRANSACTION READ ONLY; "
                f"SET LOCAL statement_timeout = {milliseconds}; "
                "SET LOCAL search_path = pg_catalog; "
                "SET LOCAL TimeZone = 'UTC'; "
                "SET LOCAL jit = off"
            )
            with connection.cursor() as cursor:
                cursor.execute(translation.sql)
                rows = cursor.fetchall()
    except psycopg.errors.QueryCanceled as error:
        raise QueryTimeout(f"the query ran longer than the {timeout:g} s limit and was stopped") from error
    except psycopg.Error as error:
        detail = (getattr(error, "diag", None) and error.diag.message_primary) or str(error).splitlines()[0]
        raise AdqlError(f"the database refused the query: {detail}") from error
    return _finish(translation, [tuple(row) for row in rows])


def run_query(connection: Any, translation: Translation, timeout: float) -> QueryResult:
    """Run a translation on the connection its dialect is for."""
    if translation.dialect == "sqlite":
        return run_sqlite(connection, translation, timeout)
    return run_postgres(connection, translation, timeout)
