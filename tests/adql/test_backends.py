"""The same ADQL gives the same rows on SQLite and PostgreSQL, through the read-only executor."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from provarchive.adql import AdqlError, Catalogue, QueryTimeout, run_postgres, run_sqlite, translate

from . import archive


def _normal(value: Any) -> Any:
    """Numbers compared to 9 significant digits (float text differs between engines)."""
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if hasattr(value, "as_tuple"):  # Decimal
        return float(f"{float(value):.9g}")
    return value


def _rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [tuple(_normal(v) for v in row) for row in rows]


#: (ADQL, expected rows or None when only cross-backend equality is checked). Every query orders its rows.
QUERIES: list[tuple[str, list[tuple[Any, ...]] | None]] = [
    ("SELECT TOP 3 id FROM provenance.entity ORDER BY id", [("cal1",), ("cal2",), ("calib",)]),
    ("SELECT ID, Name FROM Provenance.Entity WHERE ID = 'dl2'", [("dl2", "Reconstructed events")]),
    ("SELECT \"size\" FROM tap_schema.columns WHERE column_name = 'size'", [(8,)]),
    ("SELECT id FROM provenance.entity WHERE name LIKE 'Raw%' ORDER BY id", [("raw1",), ("raw2",)]),
    ("SELECT id FROM provenance.entity WHERE name LIKE 'raw%' ORDER BY id", []),
    ("SELECT id FROM provenance.entity WHERE name ILIKE 'raw%' ORDER BY id", [("raw1",), ("raw2",)]),
    ('SELECT id FROM provenance.entity WHERE "size" BETWEEN 90 AND 100 ORDER BY id', [("cal1",), ("cal2",), ("raw1",)]),
    ("SELECT id FROM provenance.entity WHERE level IS NULL ORDER BY id", [("loop_a",), ("loop_b",)]),
    ("SELECT id FROM provenance.entity WHERE level IN ('DL2', 'DL3') ORDER BY id", [("dl2",), ("dl3",)]),
    ("SELECT id FROM provenance.entity ORDER BY id OFFSET 8", [("raw1",), ("raw2",)]),
    # NULLs sort last ascending and first descending on both backends (PostgreSQL's rule)
    (
        "SELECT TOP 3 id, level FROM provenance.entity ORDER BY level DESC, id",
        [("loop_a", None), ("loop_b", None), ("dl3", "DL3")],
    ),
    (
        "SELECT id FROM provenance.entity WHERE id NOT LIKE 'loop%' ORDER BY level, id DESC",
        [("calib",), ("raw2",), ("raw1",), ("lonely",), ("cal2",), ("cal1",), ("dl2",), ("dl3",)],
    ),
    ("SELECT id FROM provenance.entity WHERE id LIKE 'loop!_%' ESCAPE '!' ORDER BY id", [("loop_a",), ("loop_b",)]),
    (
        "SELECT TOP 2 id FROM provenance.entity WHERE id LIKE 'raw%' UNION SELECT id FROM provenance.activity "
        "WHERE id = 'act_sel' ORDER BY id",
        [("act_sel",), ("raw1",), ("raw2",)],
    ),
    (
        "SELECT level, COUNT(*) AS n FROM provenance.entity GROUP BY level HAVING COUNT(*) > 1 ORDER BY level",
        [("DL0", 3), ("DL1", 2), (None, 2)],
    ),
    ("SELECT UPPER(id) || '-' || LOWER(level) AS tag FROM provenance.entity WHERE id = 'dl2'", [("DL2-dl2",)]),
    ("SELECT COALESCE(level, 'none') AS l FROM provenance.entity WHERE id = 'loop_a'", [("none",)]),
    ("SELECT CAST(\"size\" AS VARCHAR(10)) AS s FROM provenance.entity WHERE id = 'raw1'", [("100",)]),
    ("SELECT CAST('42' AS INTEGER) + 1 AS n FROM provenance.entity WHERE id = 'raw1'", [(43,)]),
    (
        "SELECT TRUNCATE(2.71828, 2) AS t, ROUND(2.5) AS r, ROUND(3.14159, 3) AS r3 FROM provenance.entity "
        "WHERE id = 'raw1'",
        [(2.71, 3.0, 3.142)],
    ),
    (
        "SELECT LOG10(100) AS a, LOG(EXP(1)) AS b, POWER(2, 10) AS c, SQRT(16) AS d, ABS(-3) AS e, MOD(7, 3) AS f, "
        "FLOOR(1.5) AS g, CEILING(1.5) AS h FROM provenance.entity WHERE id = 'raw1'",
        [(2.0, 1.0, 1024.0, 4.0, 3, 1, 1.0, 2.0)],
    ),
    (
        "SELECT DEGREES(PI()) AS a, RADIANS(180) AS b, COS(0) AS c, COT(PI() / 4) AS d, ATAN2(1, 1) AS e "
        "FROM provenance.entity WHERE id = 'raw1'",
        [(180.0, 3.14159265, 1.0, 1.0, 0.785398163)],
    ),
    ("SELECT COUNT(*) AS n FROM provenance.entity WHERE RAND() >= 0 AND RAND() < 1", [(10,)]),
    # ADQL 2.1 hexadecimal literals and bitwise operators
    (
        'SELECT 0xFF & 0x0F AS a, 0x10 | 1 AS b FROM provenance.entity WHERE "size" & 0x4 = 0x4 ORDER BY id',
        [(15, 17), (15, 17), (15, 17)],
    ),
    (
        "SELECT e.id, a.name FROM provenance.entity AS e JOIN provenance.wasgeneratedby AS g ON g.entity = e.id "
        "JOIN provenance.activity AS a ON a.id = g.activity ORDER BY e.id",
        [("cal1", "calibrate"), ("cal2", "calibrate"), ("dl2", "reconstruct"), ("dl3", "select")],
    ),
    (
        "SELECT e.id, g.activity FROM provenance.entity AS e LEFT OUTER JOIN provenance.wasgeneratedby AS g "
        "ON g.entity = e.id WHERE e.level = 'DL0' ORDER BY e.id",
        [("lonely", None), ("raw1", None), ("raw2", None)],
    ),
    ("SELECT * FROM provenance.used NATURAL JOIN provenance.wasassociatedwith ORDER BY activity", None),
    ("SELECT * FROM provenance.used JOIN provenance.wasgeneratedby USING (activity) ORDER BY activity, 2, 3", None),
    (
        "SELECT id FROM provenance.entity WHERE id LIKE 'cal%' UNION SELECT id FROM provenance.activity "
        "WHERE id LIKE 'act_cal%' ORDER BY id",
        [("act_cal1",), ("act_cal2",), ("cal1",), ("cal2",), ("calib",)],
    ),
    (
        "SELECT entity FROM provenance.used EXCEPT SELECT entity FROM provenance.wasgeneratedby ORDER BY entity",
        [("calib",), ("raw1",), ("raw2",)],
    ),
    # parenthesised set operations (SQLite refuses parenthesised members; the translation rewrites them)
    (
        "(SELECT id FROM provenance.agent) UNION (SELECT id FROM provenance.activity WHERE id LIKE 'act_cal%') "
        "ORDER BY id",
        [("act_cal1",), ("act_cal2",), ("alice",), ("pipeline",)],
    ),
    (
        "SELECT id FROM provenance.entity WHERE level = 'DL1' OR level = 'CAL' EXCEPT (SELECT entity FROM "
        "provenance.used WHERE role = 'input' UNION "
        "SELECT entity FROM provenance.wasgeneratedby WHERE entity = 'cal2')",
        [("calib",)],
    ),
    ("(SELECT id FROM provenance.entity WHERE id = 'dl3')", [("dl3",)]),
    (
        "SELECT entity FROM provenance.used INTERSECT SELECT entity FROM provenance.wasgeneratedby ORDER BY entity",
        [("cal1",), ("cal2",), ("dl2",)],
    ),
    (
        "WITH products AS (SELECT entity FROM provenance.wasgeneratedby) SELECT TOP 2 entity FROM products "
        "ORDER BY entity DESC",
        [("dl3",), ("dl2",)],
    ),
    (
        "SELECT id FROM provenance.entity WHERE id IN (SELECT entity FROM provenance.used WHERE role = 'raw') "
        "ORDER BY id",
        [("raw1",), ("raw2",)],
    ),
    (
        "SELECT id FROM provenance.entity AS e WHERE NOT EXISTS (SELECT 1 FROM provenance.used AS u "
        "WHERE u.entity = e.id) AND level IS NOT NULL ORDER BY id",
        [("dl3",), ("lonely",)],
    ),
    ("SELECT s.n FROM (SELECT COUNT(*) AS n FROM provenance.used) AS s", [(7,)]),
    ("SELECT DISTINCT name FROM provenance.activity ORDER BY name", [("calibrate",), ("reconstruct",), ("select",)]),
    ("SELECT provenance.entity.id FROM provenance.entity WHERE provenance.entity.id = 'dl3'", [("dl3",)]),
    (
        "SELECT TOP 8 t.table_name AS taplint_c_2, t.column_name FROM TAP_SCHEMA.columns AS t ORDER BY 1, 2",
        [("provenance.entity", "id"), ("provenance.entity", "size"), ("provenance.used", "role")],
    ),
    # DESIGN.md questions
    (
        "SELECT e.id FROM provenance.entity AS e WHERE pa_is_ancestor(e.id, 'dl3') = 1 ORDER BY e.id",
        [("cal1",), ("cal2",), ("calib",), ("dl2",), ("raw1",), ("raw2",)],
    ),
    (
        "SELECT e.id FROM provenance.entity AS e WHERE pa_is_descendant(e.id, 'calib') = 1 ORDER BY e.id",
        [("cal1",), ("cal2",), ("dl2",), ("dl3",)],
    ),
    (
        "SELECT e.id FROM provenance.entity AS e JOIN provenance.wasgeneratedby AS g ON g.entity = e.id "
        "JOIN provenance.activity AS a ON a.id = g.activity "
        "JOIN provenance.activitydescription AS d ON d.id = a.description WHERE d.version = '0.19'",
        [("dl2",)],
    ),
]


def _both(catalogue: Catalogue, adql: str, sqlite_conn: sqlite3.Connection, pg_conn: Any, maxrec: int = 1000):
    on_sqlite = run_sqlite(sqlite_conn, translate(adql, "sqlite", catalogue, maxrec=maxrec), timeout=10)
    on_postgres = run_postgres(pg_conn, translate(adql, "postgres", catalogue, maxrec=maxrec), timeout=10)
    return on_sqlite, on_postgres


@pytest.mark.postgres
@pytest.mark.parametrize("adql, expected", QUERIES, ids=[q[:60] for q, _ in QUERIES])
def test_same_rows_on_both_backends(catalogue, sqlite_conn, pg_conn, adql, expected) -> None:
    on_sqlite, on_postgres = _both(catalogue, adql, sqlite_conn, pg_conn)
    assert _rows(on_sqlite.rows) == _rows(on_postgres.rows)
    assert [c.name for c in on_sqlite.columns] == [c.name for c in on_postgres.columns]
    if expected is not None:
        assert _rows(on_sqlite.rows) == _rows(expected)


@pytest.mark.postgres
def test_maxrec_overflow_is_flagged_on_both(catalogue, sqlite_conn, pg_conn) -> None:
    for result in _both(catalogue, "SELECT id FROM provenance.entity ORDER BY id", sqlite_conn, pg_conn, maxrec=4):
        assert result.overflow
        assert [r[0] for r in result.rows] == ["cal1", "cal2", "calib", "dl2"]
    for result in _both(catalogue, "SELECT TOP 4 id FROM provenance.entity", sqlite_conn, pg_conn, maxrec=4):
        assert not result.overflow and len(result.rows) == 4
    for result in _both(catalogue, "SELECT id FROM provenance.entity", sqlite_conn, pg_conn, maxrec=0):
        assert result.overflow and result.rows == []


LINEAGE: list[tuple[str, list[tuple[Any, ...]]]] = [
    # "how was dl2 made": every upstream activity
    (
        "SELECT a.id FROM provenance.activity AS a WHERE pa_is_ancestor(a.id, 'dl2') = 1 ORDER BY a.id",
        [("act_cal1",), ("act_cal2",), ("act_reco",)],
    ),
    # depth-bounded: within 2 relations of dl2 lie act_reco and the calibrated files only
    (
        "SELECT e.id FROM provenance.entity AS e WHERE pa_is_ancestor(e.id, 'dl2', 2) = 1 ORDER BY e.id",
        [("cal1",), ("cal2",)],
    ),
    (
        "SELECT e.id FROM provenance.entity AS e WHERE pa_is_descendant(e.id, 'raw1', 4) = 1 ORDER BY e.id",
        [("cal1",), ("dl2",)],
    ),
    # a cycle terminates, with and without depth
    (
        "SELECT e.id FROM provenance.entity AS e WHERE pa_is_ancestor(e.id, 'loop_a') = 1 ORDER BY e.id",
        [("loop_a",), ("loop_b",)],
    ),
    (
        "SELECT e.id, pa_lineage_depth(e.id, 'loop_a') AS d FROM provenance.entity AS e "
        "WHERE e.id LIKE 'loop%' ORDER BY e.id",
        [("loop_a", 2), ("loop_b", 1)],
    ),
    # both arguments from the row, in the select list
    (
        "SELECT u.entity, u.activity, pa_is_ancestor(u.entity, u.activity) AS direct, "
        "pa_is_descendant(u.entity, u.activity) AS reverse FROM provenance.used AS u WHERE u.activity = 'act_reco' "
        "ORDER BY u.entity",
        [("cal1", "act_reco", 1, 0), ("cal2", "act_reco", 1, 0)],
    ),
    (
        "SELECT e.id, pa_lineage_depth('raw1', e.id) AS d FROM provenance.entity AS e "
        "WHERE pa_lineage_depth('raw1', e.id) IS NOT NULL ORDER BY e.id",
        [("cal1", 2), ("dl2", 4), ("dl3", 5)],
    ),
    ("SELECT e.id FROM provenance.entity AS e WHERE pa_is_ancestor('calib', e.id, 0) = 1", []),
    (
        "SELECT e.id FROM provenance.entity AS e WHERE pa_is_ancestor('lonely', e.id) = 1 OR e.id = 'lonely'",
        [("lonely",)],
    ),
]


@pytest.mark.postgres
@pytest.mark.parametrize("adql, expected", LINEAGE, ids=[q[:70] for q, _ in LINEAGE])
def test_lineage_functions(catalogue, sqlite_conn, pg_conn, adql, expected) -> None:
    on_sqlite, on_postgres = _both(catalogue, adql, sqlite_conn, pg_conn)
    assert on_sqlite.rows == expected
    assert on_postgres.rows == expected


HOSTILE = [
    "DELETE FROM provenance.entity",
    "UPDATE provenance.entity SET name = 'x'",
    "INSERT INTO provenance.entity (id) VALUES ('x')",
    "DROP TABLE provenance.entity",
    "CREATE TABLE provenance.x (a INTEGER)",
    "SELECT id FROM provenance.entity; DELETE FROM provenance.entity",
    "SELECT * FROM jobs",
    "SELECT * FROM main.tokens",
    "SELECT * FROM public.tokens",
    "SELECT token FROM tokens",
    "SELECT * FROM sqlite_master",
    "SELECT * FROM provenance.sqlite_schema",
    "SELECT * FROM pg_catalog.pg_user",
    "SELECT * FROM information_schema.tables",
    "SELECT pg_sleep(5) FROM provenance.entity",
    "SELECT load_extension('/tmp/evil') FROM provenance.entity",
    "SELECT randomblob(1000000000) FROM provenance.entity",
    "SELECT sqlite_version() FROM provenance.entity",
    "SELECT id FROM provenance.entity /* ; DELETE FROM provenance.entity */",
    'SELECT "id"" FROM tokens --" FROM provenance.entity',
    "WITH tokens AS (SELECT id FROM provenance.entity) SELECT * FROM tokens UNION SELECT token FROM main.tokens",
    "SELECT * FROM tokens WHERE token IN (WITH tokens AS (SELECT id AS token FROM provenance.entity) "
    "SELECT token FROM tokens)",
    "SELECT * FROM pragma_table_info('tokens')",
    "PRAGMA writable_schema = 1",
    "ATTACH DATABASE '/tmp/x.db' AS x",
    "COPY provenance.entity TO '/tmp/x'",
    "DO $$ BEGIN DELETE FROM provenance.entity; END $$",
    "SELECT set_config('statement_timeout', '0', false) FROM provenance.entity",
    "SELECT current_setting('data_directory') FROM provenance.entity",
    "SELECT id INTO provenance.stolen FROM provenance.entity",
    "SELECT id FROM provenance.entity FOR UPDATE",
]


@pytest.mark.postgres
@pytest.mark.parametrize("adql", HOSTILE)
def test_hostile_queries_are_refused_and_change_nothing(catalogue, sqlite_files, sqlite_conn, pg_conn, adql) -> None:
    before = archive.snapshot_sqlite(*sqlite_files), archive.snapshot_postgres(pg_conn)
    for dialect in ("sqlite", "postgres"):
        with pytest.raises(AdqlError) as refused:
            translate(adql, dialect, catalogue, maxrec=10)
        assert archive.SECRET not in str(refused.value)
    after = archive.snapshot_sqlite(*sqlite_files), archive.snapshot_postgres(pg_conn)
    assert before == after


@pytest.mark.postgres
def test_comments_are_dropped_before_sql_exists(catalogue, sqlite_files, sqlite_conn, pg_conn) -> None:
    """ADQL allows -- comments; their text never reaches the database, whatever it holds."""
    adql = "SELECT id FROM provenance.entity -- */ ; DELETE FROM provenance.entity; '\nWHERE id = 'dl2'"
    before = archive.snapshot_sqlite(*sqlite_files), archive.snapshot_postgres(pg_conn)
    on_sqlite, on_postgres = _both(catalogue, adql, sqlite_conn, pg_conn)
    assert on_sqlite.rows == on_postgres.rows == [("dl2",)]
    for dialect in ("sqlite", "postgres"):
        sql = translate(adql, dialect, catalogue).sql
        assert "DELETE" not in sql and "--" not in sql and "/*" not in sql
    assert before == (archive.snapshot_sqlite(*sqlite_files), archive.snapshot_postgres(pg_conn))


@pytest.mark.postgres
def test_huge_cross_join_is_stopped_by_the_statement_timeout(catalogue, sqlite_files, sqlite_conn, pg_conn) -> None:
    """The guard lets a cross join through (it is valid ADQL); the executor's deadline bounds it."""
    tables = ", ".join(f"provenance.entity AS e{i}" for i in range(9))  # 10**9 rows to count
    adql = f"SELECT COUNT(*) AS n FROM {tables}"
    before = archive.snapshot_sqlite(*sqlite_files), archive.snapshot_postgres(pg_conn)
    with pytest.raises(QueryTimeout):
        run_sqlite(sqlite_conn, translate(adql, "sqlite", catalogue), timeout=0.2)
    with pytest.raises(QueryTimeout):
        run_postgres(pg_conn, translate(adql, "postgres", catalogue), timeout=0.2)
    # the connections are still usable afterwards
    assert run_sqlite(sqlite_conn, translate("SELECT TOP 1 id FROM provenance.entity", "sqlite", catalogue), 5).rows
    assert run_postgres(pg_conn, translate("SELECT TOP 1 id FROM provenance.entity", "postgres", catalogue), 5).rows
    assert before == (archive.snapshot_sqlite(*sqlite_files), archive.snapshot_postgres(pg_conn))


@pytest.mark.postgres
def test_database_errors_become_adql_errors(catalogue, sqlite_conn, pg_conn) -> None:
    adql = "SELECT CAST(name AS INTEGER) AS n FROM provenance.entity"
    with pytest.raises(AdqlError, match="database refused"):
        run_postgres(pg_conn, translate(adql, "postgres", catalogue), timeout=5)


def test_executor_is_read_only_even_without_the_guard(catalogue, sqlite_files, sqlite_conn) -> None:
    """Defence in depth: SQL that never went through the guard still cannot write or read internals."""
    good = translate("SELECT TOP 1 id FROM provenance.entity", "sqlite", catalogue)
    before = archive.snapshot_sqlite(*sqlite_files)
    for sql in (
        "DELETE FROM provenance.entity",
        "SELECT token FROM main.tokens",
        "SELECT name FROM provenance.sqlite_master",
        "SELECT sqlite_version()",
        "SELECT load_extension('x')",
        "ATTACH DATABASE ':memory:' AS x",
    ):
        forged = type(good)(sql=sql, dialect="sqlite", columns=[], limit=None, maxrec=None)
        with pytest.raises(AdqlError):
            run_sqlite(sqlite_conn, forged, timeout=5)
    assert archive.snapshot_sqlite(*sqlite_files) == before


@pytest.mark.postgres
def test_postgres_executor_is_read_only_even_without_the_guard(catalogue, pg_conn) -> None:
    good = translate("SELECT TOP 1 id FROM provenance.entity", "postgres", catalogue)
    before = archive.snapshot_postgres(pg_conn)
    for sql in ("DELETE FROM provenance.entity", "CREATE TABLE provenance.x (a int)", "SELECT * FROM tokens"):
        forged = type(good)(sql=sql, dialect="postgres", columns=[], limit=None, maxrec=None)
        with pytest.raises(AdqlError):
            run_postgres(pg_conn, forged, timeout=5)
    assert archive.snapshot_postgres(pg_conn) == before


@pytest.mark.postgres
def test_postgres_executor_wants_its_own_transaction(catalogue, pg_url) -> None:
    import psycopg

    translation = translate("SELECT TOP 1 id FROM provenance.entity", "postgres", catalogue)
    with psycopg.connect(pg_url) as conn:  # not autocommit
        assert run_postgres(conn, translation, timeout=5).rows  # idle: fine
        conn.execute("SELECT 1")  # now inside a transaction
        with pytest.raises(ValueError, match="outside any transaction"):
            run_postgres(conn, translation, timeout=5)
