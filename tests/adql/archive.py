"""A small archive-like database on SQLite and PostgreSQL for the ADQL tests.

Table and column names follow ``provarchive.store.schema`` (tables in the ``provenance``
schema or attached database, relation columns named after the model: ``used.activity``,
``wasderivedfrom.generated_entity``…). Internal tables (jobs, users, tokens) sit outside
the published schemas, holding a secret the hostile queries must never reach.

The lineage graph, CTA-like::

    raw1 ─┐                        raw2 ─┐
    calib ┼─ used ─ act_cal1 ─ gen ─ cal1 ┐
    calib ┴─ used ─ act_cal2 ─ gen ─ cal2 ┼─ used ─ act_reco (v0.19) ─ gen ─ dl2 ─ used ─ act_sel ─ gen ─ dl3
                                                                      dl3 wasDerivedFrom dl2
    loop_a ⇄ loop_b (wasDerivedFrom both ways: a cycle)
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from provarchive.adql import Catalogue

TABLES: dict[str, dict[str, str]] = {
    "provenance.entity": {"id": "TEXT", "bundle_id": "TEXT", "name": "TEXT", "size": "BIGINT", "level": "TEXT"},
    "provenance.activity": {"id": "TEXT", "bundle_id": "TEXT", "name": "TEXT", "description": "TEXT"},
    "provenance.activitydescription": {"id": "TEXT", "name": "TEXT", "version": "TEXT"},
    "provenance.agent": {"id": "TEXT", "name": "TEXT"},
    "provenance.used": {"activity": "TEXT", "entity": "TEXT", "role": "TEXT"},
    "provenance.wasgeneratedby": {"entity": "TEXT", "activity": "TEXT", "role": "TEXT"},
    "provenance.wasderivedfrom": {"generated_entity": "TEXT", "used_entity": "TEXT"},
    "provenance.wasinformedby": {"informed": "TEXT", "informant": "TEXT"},
    "provenance.wasassociatedwith": {"activity": "TEXT", "agent": "TEXT", "role": "TEXT"},
    "tap_schema.columns": {"table_name": "TEXT", "column_name": "TEXT", "size": "INT", "principal": "INT"},
}

ENTITIES = [
    ("raw1", "", "Raw run 1", 100, "DL0"),
    ("raw2", "", "Raw run 2", 120, "DL0"),
    ("calib", "", "Calibration master", 5, "CAL"),
    ("cal1", "", "Calibrated 1", 90, "DL1"),
    ("cal2", "", "Calibrated 2", 95, "DL1"),
    ("dl2", "", "Reconstructed events", 40, "DL2"),
    ("dl3", "", "Selected events", 10, "DL3"),
    ("loop_a", "", "Cycle A", None, None),
    ("loop_b", "", "Cycle B", None, None),
    ("lonely", "", "Unrelated file", 1, "DL0"),
]
ACTIVITIES = [
    ("act_cal1", "", "calibrate", "desc_cal"),
    ("act_cal2", "", "calibrate", "desc_cal"),
    ("act_reco", "", "reconstruct", "desc_reco"),
    ("act_sel", "", "select", None),
]
DESCRIPTIONS = [("desc_cal", "calibration", "0.18"), ("desc_reco", "reconstruction", "0.19")]
AGENTS = [("alice", "Alice"), ("pipeline", "CTA pipeline")]
USED = [
    ("act_cal1", "raw1", "raw"),
    ("act_cal1", "calib", "calibration"),
    ("act_cal2", "raw2", "raw"),
    ("act_cal2", "calib", "calibration"),
    ("act_reco", "cal1", "input"),
    ("act_reco", "cal2", "input"),
    ("act_sel", "dl2", "events"),
]
GENERATED = [
    ("cal1", "act_cal1", "output"),
    ("cal2", "act_cal2", "output"),
    ("dl2", "act_reco", "output"),
    ("dl3", "act_sel", "output"),
]
DERIVED = [("dl3", "dl2"), ("loop_a", "loop_b"), ("loop_b", "loop_a")]
INFORMED = [("act_sel", "act_reco")]
ASSOCIATED = [("act_reco", "pipeline", "software"), ("act_sel", "alice", "operator")]
COLUMNS_META = [
    ("provenance.entity", "id", 0, 1),
    ("provenance.entity", "size", 8, 0),
    ("provenance.used", "role", 0, 1),
]

ROWS: dict[str, list[tuple[Any, ...]]] = {
    "provenance.entity": ENTITIES,
    "provenance.activity": ACTIVITIES,
    "provenance.activitydescription": DESCRIPTIONS,
    "provenance.agent": AGENTS,
    "provenance.used": USED,
    "provenance.wasgeneratedby": GENERATED,
    "provenance.wasderivedfrom": DERIVED,
    "provenance.wasinformedby": INFORMED,
    "provenance.wasassociatedwith": ASSOCIATED,
    "tap_schema.columns": COLUMNS_META,
}

#: Internal tables that share the database but are not published.
SECRET = "s3cr3t-token-value"
INTERNAL: dict[str, tuple[str, list[tuple[Any, ...]]]] = {
    "jobs": ("id TEXT, owner TEXT, phase TEXT", [("job1", "alice", "COMPLETED")]),
    "users": ("name TEXT, password_hash TEXT", [("alice", "x")]),
    "tokens": ("token TEXT, owner TEXT", [(SECRET, "alice")]),
}


def catalogue() -> Catalogue:
    return Catalogue(tables=TABLES)


def _ddl(table: str, columns: dict[str, str], sqlite: bool) -> str:
    def sql_type(kind: str) -> str:
        return {"TEXT": "TEXT", "BIGINT": "BIGINT", "INT": "INTEGER"}[kind]

    cols = ", ".join(f'"{name}" {sql_type(kind)}' for name, kind in columns.items())
    return f"CREATE TABLE {table} ({cols})"


def _edge_indexes(sqlite: bool) -> list[str]:
    pairs = {
        "used": ("activity", "entity"),
        "wasgeneratedby": ("entity", "activity"),
        "wasderivedfrom": ("generated_entity", "used_entity"),
        "wasinformedby": ("informed", "informant"),
    }
    statements = []
    for table, (a, b) in pairs.items():
        prefix = "provenance." if sqlite else ""
        target = table if sqlite else f"provenance.{table}"
        statements.append(f"CREATE INDEX {prefix}ix_{table}_{a}_{b} ON {target} ({a}, {b})")
        statements.append(f"CREATE INDEX {prefix}ix_{table}_{b}_{a} ON {target} ({b}, {a})")
    return statements


def build_sqlite(directory: Path) -> tuple[Path, dict[str, Path]]:
    """Create main.db (internal tables) + provenance.db + tap_schema.db; return the paths."""
    main = directory / "archive.db"
    attached = {"provenance": directory / "archive.provenance.db", "tap_schema": directory / "tap_schema.db"}
    with sqlite3.connect(main) as conn:
        for schema, path in attached.items():
            conn.execute(f"ATTACH DATABASE ? AS {schema}", (str(path),))
        for name, (columns, rows) in INTERNAL.items():
            conn.execute(f"CREATE TABLE {name} ({columns})")
            conn.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * len(rows[0]))})", rows)
        for table, columns in TABLES.items():
            conn.execute(_ddl(table, columns, sqlite=True))
            rows = ROWS[table]
            conn.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(columns))})", rows)
        for statement in _edge_indexes(sqlite=True):
            conn.execute(statement)
    conn.close()
    return main, attached


def build_postgres(connection: Any) -> None:
    """Create the schemas and tables in an empty PostgreSQL database (psycopg connection)."""
    with connection.transaction():
        connection.execute("CREATE SCHEMA provenance")
        connection.execute("CREATE SCHEMA tap_schema")
        for name, (columns, rows) in INTERNAL.items():
            connection.execute(f"CREATE TABLE public.{name} ({columns})")
            with connection.cursor() as cursor:
                cursor.executemany(f"INSERT INTO public.{name} VALUES ({', '.join(['%s'] * len(rows[0]))})", rows)
        for table, columns in TABLES.items():
            connection.execute(_ddl(table, columns, sqlite=False))
            with connection.cursor() as cursor:
                cursor.executemany(f"INSERT INTO {table} VALUES ({', '.join(['%s'] * len(columns))})", ROWS[table])
        for statement in _edge_indexes(sqlite=False):
            connection.execute(statement)


def snapshot_sqlite(main: Path, attached: dict[str, Path]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (published and internal), to prove hostile queries changed nothing."""
    conn = sqlite3.connect(main)
    try:
        for schema, path in attached.items():
            conn.execute(f"ATTACH DATABASE ? AS {schema}", (str(path),))
        tables = [f"main.{name}" for name in INTERNAL] + list(TABLES)
        for schema in ("main", *attached):
            listing = conn.execute(f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table'")
            tables += [f"{schema}.{name}" for (name,) in listing]
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in sorted(set(tables))}
    finally:
        conn.close()


def snapshot_postgres(connection: Any) -> dict[str, list[tuple[Any, ...]]]:
    tables = [
        f"{schema}.{name}"
        for schema, name in connection.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema IN ('public', 'provenance', 'tap_schema') ORDER BY 1, 2"
        ).fetchall()
    ]
    return {t: sorted(map(tuple, connection.execute(f"SELECT * FROM {t}").fetchall()), key=repr) for t in tables}
