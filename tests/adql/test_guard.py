"""The guard: what it refuses, what it says, and that nothing but AdqlError ever escapes."""

from __future__ import annotations

import sqlite3

import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from provarchive.adql import AdqlError, Catalogue, run_sqlite, translate
from provarchive.adql.execute import SQLITE_FUNCTIONS

from . import archive

CATALOGUE = archive.catalogue()


def refusal(adql: str, dialect: str = "sqlite") -> AdqlError:
    with pytest.raises(AdqlError) as caught:
        translate(adql, dialect, CATALOGUE, maxrec=10)
    return caught.value


@pytest.mark.parametrize(
    "adql, says",
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ("DUFF QUERY", "not an ADQL query"),
        ("SELECT", "select list"),
        ("SELECT id FROM", "syntax error"),
        ("SELECT FROM provenance.entity", "select list"),
        ("SELECT 1", "FROM clause"),
        ("SELECT id FROM provenance.entity; SELECT id FROM provenance.entity", "only one statement"),
        ("SELECT id FROM provenance.entity; DROP TABLE provenance.entity", "only one statement"),
        ("DELETE FROM provenance.entity", "only SELECT"),
        ("UPDATE provenance.entity SET id = 'x'", "only SELECT"),
        ("INSERT INTO provenance.entity (id) VALUES ('x')", "only SELECT"),
        ("DROP TABLE provenance.entity", "only SELECT"),
        ("CREATE TABLE x (a INTEGER)", "only SELECT"),
        ("PRAGMA query_only = OFF", "only SELECT"),
        ("VACUUM", "only SELECT"),
        ("COPY provenance.entity TO '/tmp/x'", "only SELECT"),
        ("SELECT * FROM jobs", "not published"),
        ("SELECT * FROM users", "not published"),
        ("SELECT * FROM provenance.tokens", "not published"),
        ("SELECT * FROM sqlite_master", "system catalogue"),
        ("SELECT * FROM sqlite_schema", "system catalogue"),
        ("SELECT * FROM sqlite_temp_master", "system catalogue"),
        ("SELECT * FROM pg_catalog.pg_class", "system catalogue"),
        ("SELECT * FROM pg_shadow", "system catalogue"),
        ("SELECT * FROM information_schema.columns", "system catalogue"),
        ("SELECT * FROM pragma_table_list", "system catalogue"),
        ("SELECT * FROM pragma_table_info('entity')", "table functions"),
        ("SELECT * FROM main.provenance.entity", "at most two parts"),
        ('SELECT * FROM "Provenance"."Entity"', "case-sensitive"),
        ("SELECT pg_sleep(10) FROM provenance.entity", "pg_sleep is not allowed"),
        ("SELECT load_extension('x') FROM provenance.entity", "load_extension is not allowed"),
        ("SELECT randomblob(10) FROM provenance.entity", "randomblob is not allowed"),
        ("SELECT sqlite_version() FROM provenance.entity", "sqlite_version is not allowed"),
        ("SELECT LENGTH(id) FROM provenance.entity", "not allowed"),
        ("SELECT SUBSTRING(id, 1, 2) FROM provenance.entity", "not allowed"),
        ("SELECT NOW() FROM provenance.entity", "not allowed"),
        ("SELECT CURRENT_TIMESTAMP FROM provenance.entity", "not allowed"),
        ("SELECT POINT('ICRS', 1, 2) FROM provenance.entity", "geometry function POINT"),
        ("SELECT id FROM provenance.entity WHERE 1 = CONTAINS(POINT('', 1, 2), CIRCLE('', 1, 2, 3))", "geometry"),
        ("SELECT DISTANCE(1, 2, 3, 4) FROM provenance.entity", "geometry"),
        ("SELECT id FROM provenance.entity /* hidden */", "block comments"),
        ("SELECT id FROM provenance.entity LIMIT 3", "use SELECT TOP"),
        ("SELECT id FROM provenance.entity WHERE id = ?", "placeholders"),
        ("SELECT id FROM provenance.entity WHERE id = :x", "placeholders"),
        ("SELECT id FROM provenance.entity WHERE id = @x", "not allowed"),
        ("SELECT id, COUNT(*) OVER () FROM provenance.entity", "window functions"),
        ("WITH RECURSIVE x AS (SELECT id FROM provenance.entity) SELECT * FROM x", "WITH RECURSIVE"),
        ("SELECT id INTO stolen FROM provenance.entity", "INTO"),
        ("SELECT id FROM provenance.entity FOR UPDATE", "not allowed"),
        ('SELECT id AS "a""b" FROM provenance.entity', "quotes or control characters"),
        ('SELECT id AS "a\tb" FROM provenance.entity', "quotes or control characters"),
        ("SELECT id AS pa_walk FROM provenance.entity", "reserved"),
        ("SELECT pa_x.id FROM provenance.entity AS pa_x", "reserved"),
        ("WITH pa_walk AS (SELECT id FROM provenance.entity) SELECT * FROM pa_walk", "reserved"),
        ("SELECT CAST(id AS BLOB) FROM provenance.entity", "CAST to"),
        ("SELECT nope FROM provenance.entity", "unknown or ambiguous"),
        ("SELECT id FROM provenance.entity, provenance.activity", "unknown or ambiguous"),
        ("SELECT pa_is_ancestor('a') FROM provenance.entity", "takes 2 or 3"),
        ("SELECT ROUND(1, 2, 3) FROM provenance.entity", "takes 1 to 2"),
        ("SELECT x'00' FROM provenance.entity", "syntax error"),
        ("SELECT id FROM provenance.entity AS e(a)", "column aliases"),
        ("SELECT id FROM provenance.entity CROSS JOIN LATERAL (SELECT 1) AS x", "not allowed"),
        ("SELECT DISTINCT ON (id) id FROM provenance.entity", "DISTINCT ON"),
        ("SELECT id FROM provenance.entity WHERE id = 'a\x00b'", "NUL"),
        ("SELECT 'unterminated FROM provenance.entity", "unterminated"),
        ("SELECT 12abc FROM provenance.entity", "12abc is not a number"),
        ("SELECT IF(1, 2, 3) FROM provenance.entity", "use CASE"),
        ("SELECT MAX(id, name) FROM provenance.entity", "MAX takes one argument"),
        ("SELECT * EXCEPT (id) FROM provenance.entity", "EXCEPT is not allowed"),
        ("WITH x AS MATERIALIZED (SELECT id FROM provenance.entity) SELECT id FROM x", "MATERIALIZED"),
        ("SELECT level FROM provenance.entity GROUP BY ROLLUP (level)", "ROLLUP"),
        ("SELECT TRY_CAST(id AS INTEGER) FROM provenance.entity", "TRY_CAST"),
        ("SELECT 0xZZ FROM provenance.entity", "is not a number"),
    ],
)
def test_refusals_say_what_is_wrong(adql: str, says: str) -> None:
    error = refusal(adql)
    assert says.lower() in error.message.lower()
    assert refusal(adql, "postgres").message == error.message


def test_errors_point_at_the_offending_token() -> None:
    error = refusal("SELECT id\nFROM provenance.entity\nWHERE pg_sleep(1) = 1")
    assert (error.line, error.column) == (3, 7)
    error = refusal("SELECT id FROM\n  jobs")
    assert (error.line, error.column) == (2, 3)
    error = refusal("SELECT id FROM provenance.entity WHERE\n  id = 'never closed")
    assert error.line == 2
    error = refusal("SELECT id,\n  nope FROM provenance.entity")
    assert error.line == 2
    assert "line 2" in str(error)


def test_a_cte_cannot_lend_its_name_to_an_internal_table() -> None:
    """Scope matters: 'jobs' outside the WITH that defines it is the real (unpublished) table."""
    error = refusal(
        "SELECT * FROM jobs WHERE id IN (WITH jobs AS (SELECT id FROM provenance.entity) SELECT id FROM jobs)"
    )
    assert "jobs is not published" in error.message
    ok = translate("WITH jobs AS (SELECT id FROM provenance.entity) SELECT id FROM jobs", "sqlite", CATALOGUE)
    assert '"provenance"."entity"' in ok.sql


@pytest.mark.parametrize("adql", ["FROM FROM jobs", "FROM provenance.entity", "FROM FROM TOP", "VALUES (1)"])
def test_only_queries_that_start_as_adql_does_are_accepted(adql: str) -> None:
    """Other dialects' FROM-first syntax is not ADQL; nested, it once hid a table from the scope check."""
    assert "not an ADQL query" in refusal(adql).message or "not published" in refusal(adql).message


def test_uploaded_tables_are_published_only_for_their_request() -> None:
    adql = "SELECT e.id FROM provenance.entity AS e JOIN tap_upload.mine AS m ON m.wanted = e.id"
    assert "not published" in refusal(adql).message
    with_upload = CATALOGUE.with_uploads({"mine": {"wanted": "TEXT"}})
    assert with_upload.has_table("tap_upload.mine") and not CATALOGUE.has_table("tap_upload.mine")
    assert '"tap_upload"."mine"' in translate(adql, "postgres", with_upload).sql


# --------------------------------------------------------------- property-based

_VOCABULARY = [
    "SELECT", "TOP", "5", "DISTINCT", "*", "id", "name", '"size"', "level", "e.id", "FROM", "provenance.entity",
    "provenance.used", "AS", "e", "u", "JOIN", "ON", "=", "<>", "WHERE", "AND", "OR", "NOT", "IN", "(", ")", ",",
    "'dl2'", "'x''y'", "1", "2.5", "-", "+", "||", "LIKE", "ILIKE", "IS", "NULL", "GROUP", "BY", "ORDER", "HAVING",
    "COUNT(*)", "UNION", "EXCEPT", "WITH", "x", "OFFSET", "BETWEEN", "CASE", "WHEN", "THEN", "ELSE", "END",
    ";", "--", "/*", "*/", "DELETE", "DROP", "TABLE", "INSERT", "INTO", "VALUES", "PRAGMA", "ATTACH", "jobs",
    "tokens", "sqlite_master", "pg_catalog.pg_user", "pg_sleep(1)", "load_extension('x')", "randomblob(9)",
    "LOWER(name)", "ROUND(1.5)", "TRUNCATE(2.5, 1)", "pa_is_ancestor(id, 'dl2')", "CAST(id AS INTEGER)",
    "POINT('ICRS', 1, 2)", '"', "'", "\n", "?", "$1", "@x", "EXISTS", "LIMIT", "NATURAL", "USING", "\\",
]  # fmt: skip


def _allowed_sql(sql: str, dialect: str) -> None:
    """Generated SQL reads only published tables (or its own CTEs) and calls only known functions."""
    tree = sqlglot.parse_one(sql, read=dialect)
    assert isinstance(tree, (exp.Select, exp.SetOperation))
    cte_names = {cte.alias for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        full = f"{table.db}.{table.name}" if table.db else table.name
        assert CATALOGUE.has_table(full) or (not table.db and table.name in cte_names), full
    for function in tree.find_all(exp.Anonymous):
        assert function.name.lower() in SQLITE_FUNCTIONS | {"cot"}, function.name
    for kind in (exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop, exp.Command, exp.Pragma):
        assert tree.find(kind) is None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_random_text_gives_sql_or_adql_error(text: str) -> None:
    for dialect in ("sqlite", "postgres"):
        try:
            translation = translate(text, dialect, CATALOGUE, maxrec=10)
        except AdqlError:
            continue
        _allowed_sql(translation.sql, dialect)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_VOCABULARY), min_size=1, max_size=25))
def test_token_soup_never_reaches_sql_unchecked(words: list[str]) -> None:
    text = " ".join(words)
    for dialect in ("sqlite", "postgres"):
        try:
            translation = translate(text, dialect, CATALOGUE, maxrec=10)
        except AdqlError:
            continue
        _allowed_sql(translation.sql, dialect)
        assert translation.limit is not None and translation.limit <= 11


_SAFE_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)


@pytest.fixture(scope="module")
def memory_archive(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    from provarchive.adql import open_sqlite_readonly

    main, attached = archive.build_sqlite(tmp_path_factory.mktemp("guard"))
    return open_sqlite_readonly(main, attached)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=_SAFE_TEXT)
def test_string_literals_round_trip_exactly(memory_archive: sqlite3.Connection, value: str) -> None:
    """Whatever a string holds (quotes, backslashes, -- or ;), it stays one literal."""
    literal = "'" + value.replace("'", "''") + "'"
    adql = f"SELECT {literal} AS v, id FROM provenance.entity WHERE id = 'raw1'"
    result = run_sqlite(memory_archive, translate(adql, "sqlite", CATALOGUE), timeout=5)
    assert result.rows == [(value, "raw1")]


@settings(max_examples=150, deadline=None)
@given(name=st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20))
def test_delimited_aliases_are_exact_or_refused(name: str) -> None:
    adql = 'SELECT id AS "' + name.replace('"', '""') + '" FROM provenance.entity'
    try:
        translation = translate(adql, "postgres", CATALOGUE)
    except AdqlError as error:
        assert '"' in name or name.lower().startswith("pa_") or "syntax" in error.message
        return
    assert translation.columns[0].name == name


def test_catalogue_rejects_malformed_table_names() -> None:
    with pytest.raises(ValueError):
        Catalogue(tables={"entity": ["id"]})


_EXPRESSIONS = [
    "id", "name", '"size"', "level", "e.id", "UPPER(name)", "COUNT(*)", "ROUND(\"size\", 1)", "'lit'", "1",
    "\"size\" / 0", "pa_is_ancestor(id, 'dl3')", "pa_lineage_depth('raw1', id, 4)",
    "CAST(\"size\" AS DOUBLE PRECISION)",
    "COALESCE(level, 'none')", "id || ';DROP'", "pg_sleep(1)", "sqlite_version()", "token", "tokens.token",
    "(SELECT COUNT(*) FROM provenance.used)", "(SELECT token FROM tokens)", "LOG10(\"size\")", "RAND()",
]  # fmt: skip
_CONDITIONS = [
    "1 = 1", "id = 'dl2'", "name LIKE '%a%'", "level IS NULL", "\"size\" BETWEEN 1 AND 50", "id IN ('raw1', 'x')",
    "pa_is_descendant(id, 'calib') = 1", "EXISTS (SELECT 1 FROM provenance.used AS u WHERE u.entity = e.id)",
    "id = '' -- ' OR 1=1", "id IN (SELECT id FROM jobs)", "load_extension('x') = 1", "name ILIKE 'RAW%'",
]  # fmt: skip
_SOURCES = ["provenance.entity AS e", "provenance.entity", "entity", "tokens", "main.jobs", "sqlite_master"]


@st.composite
def _queries(draw: st.DrawFn) -> str:
    top = draw(st.sampled_from(["", "TOP 3 ", "TOP 0 ", "DISTINCT "]))
    columns = ", ".join(draw(st.lists(st.sampled_from(_EXPRESSIONS), min_size=1, max_size=3)))
    source = draw(st.sampled_from(_SOURCES))
    where = draw(st.one_of(st.just(""), st.sampled_from(_CONDITIONS).map(lambda c: f" WHERE {c}")))
    order = draw(st.sampled_from(["", " ORDER BY 1", " ORDER BY id DESC"]))
    return f"SELECT {top}{columns} FROM {source}{where}{order}"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(adql=_queries())
def test_generated_queries_run_or_are_refused(memory_archive: sqlite3.Connection, adql: str) -> None:
    """Near-valid queries with hostile parts: refused by the guard, or run read-only; only AdqlError escapes."""
    try:
        translation = translate(adql, "sqlite", CATALOGUE, maxrec=5)
    except AdqlError:
        return
    _allowed_sql(translation.sql, "sqlite")
    assert "token" not in translation.sql and "jobs" not in translation.sql
    try:
        result = run_sqlite(memory_archive, translation, timeout=5)
    except AdqlError:
        return
    assert len(result.rows) <= 5
    assert all(archive.SECRET not in repr(row) for row in result.rows)
