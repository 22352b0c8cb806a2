"""Differential testing: random ADQL from a small grammar gives the same rows on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provarchive.adql import AdqlError, run_postgres, run_sqlite, translate

from .test_backends import _rows

_COLUMNS = ["e.id", "e.name", 'e."size"', "e.level"]
_EXPRESSIONS = [
    'e."size" + 1',
    'e."size" * 2 - 3',
    'e."size" / 3',
    'e."size" / 8.0',
    "UPPER(e.name)",
    "LOWER(e.level)",
    "COALESCE(e.level, 'none')",
    'ROUND(e."size" / 8.0, 2)',
    'TRUNCATE(e."size" / 3.0, 1)',
    'ABS(e."size" - 50)',
    'MOD(e."size", 7)',
    "e.id || '-' || e.level",
    "CASE WHEN e.\"size\" > 50 THEN 'big' ELSE 'small' END",
    "pa_lineage_depth('raw1', e.id)",
    "pa_is_descendant(e.id, 'calib', 3)",
    "(SELECT COUNT(*) FROM provenance.used AS u WHERE u.entity = e.id)",
]
_CONDITIONS = [
    'e."size" > 50',
    'e."size" <= 10',
    "e.level IS NULL",
    "e.level IS NOT NULL",
    "e.name LIKE '%e%'",
    "e.name ILIKE 'c%'",
    "e.id IN ('raw1', 'dl2', 'cal1', 'nothing')",
    'e."size" BETWEEN 5 AND 95',
    "pa_is_ancestor(e.id, 'dl3') = 1",
    "pa_is_descendant(e.id, 'raw2') = 1",
    "NOT (e.level = 'DL0')",
    "EXISTS (SELECT 1 FROM provenance.used AS u WHERE u.entity = e.id)",
    "e.id NOT IN (SELECT g.entity FROM provenance.wasgeneratedby AS g)",
    'e.level IN (SELECT x.level FROM provenance.entity AS x WHERE x."size" > 90)',
]


@st.composite
def _row_queries(draw: st.DrawFn) -> str:
    items = draw(st.lists(st.sampled_from(_COLUMNS + _EXPRESSIONS), min_size=1, max_size=4))
    select = ", ".join(f"{item} AS c{i}" for i, item in enumerate(items))
    conditions = draw(st.lists(st.sampled_from(_CONDITIONS), max_size=2))
    joiner = draw(st.sampled_from([" AND ", " OR "]))
    where = f" WHERE {joiner.join(f'({c})' for c in conditions)}" if conditions else ""
    top = draw(st.sampled_from(["", "TOP 3 "]))
    return f"SELECT {top}{select}, e.id AS k FROM provenance.entity AS e{where} ORDER BY k"


@st.composite
def _group_queries(draw: st.DrawFn) -> str:
    key = draw(st.sampled_from(["e.level", "UPPER(e.level)", 'e."size" / 50']))
    aggregates = draw(
        st.lists(
            st.sampled_from(["COUNT(*)", 'SUM(e."size")', "MIN(e.name)", 'MAX(e."size")', "COUNT(DISTINCT e.name)"]),
            min_size=1,
            max_size=3,
        )
    )
    select = ", ".join(f"{a} AS a{i}" for i, a in enumerate(aggregates))
    condition = draw(st.sampled_from(["", ' WHERE e."size" IS NOT NULL', " WHERE pa_is_ancestor(e.id, 'dl3') = 1"]))
    having = draw(st.sampled_from(["", " HAVING COUNT(*) > 1"]))
    return f"SELECT {key} AS g, {select} FROM provenance.entity AS e{condition} GROUP BY {key}{having} ORDER BY g"


def _run_both(catalogue, sqlite_conn, pg_conn, adql: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    on_sqlite = run_sqlite(sqlite_conn, translate(adql, "sqlite", catalogue, maxrec=100), timeout=10)
    on_postgres = run_postgres(pg_conn, translate(adql, "postgres", catalogue, maxrec=100), timeout=10)
    return _rows(on_sqlite.rows), _rows(on_postgres.rows)


_SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.postgres
@_SETTINGS
@given(adql=_row_queries())
def test_row_queries_agree(catalogue, sqlite_conn, pg_conn, adql: str) -> None:
    try:
        on_sqlite, on_postgres = _run_both(catalogue, sqlite_conn, pg_conn, adql)
    except AdqlError as error:  # the grammar only makes valid queries
        pytest.fail(f"{adql}: {error}")
    assert on_sqlite == on_postgres, adql


@pytest.mark.postgres
@_SETTINGS
@given(adql=_group_queries())
def test_grouped_queries_agree(catalogue, sqlite_conn, pg_conn, adql: str) -> None:
    try:
        on_sqlite, on_postgres = _run_both(catalogue, sqlite_conn, pg_conn, adql)
    except AdqlError as error:
        pytest.fail(f"{adql}: {error}")
    assert on_sqlite == on_postgres, adql
