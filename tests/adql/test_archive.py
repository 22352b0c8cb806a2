"""The lineage functions on the real archive schema agree with the store's own lineage walk."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from provarchive.adql import Catalogue, open_sqlite_readonly, run_postgres, run_sqlite, translate
from provarchive.adql.examples import EXAMPLES
from provarchive.examples import pipeline

store = pytest.importorskip("provarchive.store")
schema = pytest.importorskip("provarchive.store.schema")


def test_catalogue_matches_the_store_schema() -> None:
    """A rename in store/schema.py that breaks the lineage edges fails here (Catalogue checks the columns)."""
    catalogue = Catalogue.from_metadata(schema.build_metadata())
    assert {edge.table for edge in catalogue.lineage_tables()} == {
        "provenance.used",
        "provenance.wasgeneratedby",
        "provenance.wasderivedfrom",
        "provenance.wasinformedby",
    }
    assert catalogue.columns("provenance.activity")["start_time"] == "TIMESTAMP"
    private = Catalogue.from_metadata(schema.build_metadata(), exclude=["provenance.entity"])
    assert not private.has_table("provenance.entity") and private.has_table("provenance.activity")


def _instants(results: dict[str, list[tuple[object, ...]]]) -> dict[str, list[tuple[object, ...]]]:
    """Timestamps as datetimes on both sides (SQLite stores ISO text, PostgreSQL timestamptz)."""

    def value(v: object) -> object:
        if isinstance(v, str) and len(v) >= 19 and v[4] == "-" and v[10] == "T":
            return datetime.fromisoformat(v)
        return v

    return {name: [tuple(value(v) for v in row) for row in rows] for name, rows in results.items()}


def _upstream_query(node: str, function: str) -> str:
    return " UNION ".join(
        f"SELECT id FROM provenance.{table} WHERE {function}(id, '{node}') = 1" for table in ("entity", "activity")
    )


def _run_examples(run, dialect: str) -> dict[str, list[tuple[object, ...]]]:
    """Every published example runs on the real schema; a rename in the store fails here."""
    catalogue = Catalogue.from_metadata(schema.build_metadata())
    results = {example.id: run(translate(example.query, dialect, catalogue, maxrec=1000)).rows for example in EXAMPLES}
    empty = {name for name, rows in results.items() if not rows}
    assert empty == {"made-with-version"}, empty  # the demo pipeline has no activity descriptions
    return results


def _check_against_store(archive: object, run, dialect: str) -> None:
    catalogue = Catalogue.from_metadata(schema.build_metadata())
    products = run(translate("SELECT TOP 6 id FROM provenance.entity ORDER BY id DESC", dialect, catalogue))
    assert len(products.rows) == 6
    for (node,) in products.rows:
        for direction, function in (("back", "pa_is_ancestor"), ("forth", "pa_is_descendant")):
            expected = set(archive.lineage_ids(node, direction=direction)) - {node}  # type: ignore[attr-defined]
            got = {row[0] for row in run(translate(_upstream_query(node, function), dialect, catalogue)).rows}
            assert got == expected, (node, direction)


def test_lineage_functions_agree_with_the_store_on_sqlite(tmp_path: Path) -> None:
    from provarchive.store.engine import provenance_file

    path = tmp_path / "archive.db"
    archive = store.open_archive(path)
    try:
        archive.ingest(pipeline(300))
        connection = open_sqlite_readonly(path, {"provenance": provenance_file(path)})
        _check_against_store(archive, lambda t: run_sqlite(connection, t, timeout=10), "sqlite")
        _run_examples(lambda t: run_sqlite(connection, t, timeout=10), "sqlite")
        connection.close()
    finally:
        archive.close()


@pytest.mark.postgres
def test_lineage_functions_agree_with_the_store_on_postgres(fresh_postgres_url: str, tmp_path: Path) -> None:
    import psycopg

    archive = store.open_archive(fresh_postgres_url)
    try:
        archive.ingest(pipeline(300))
        with psycopg.connect(fresh_postgres_url, autocommit=True) as connection:
            _check_against_store(archive, lambda t: run_postgres(connection, t, timeout=10), "postgres")
            on_postgres = _run_examples(lambda t: run_postgres(connection, t, timeout=10), "postgres")
        # the same rows as on SQLite (times compared as instants)
        sqlite_path = tmp_path / "archive.db"
        twin = store.open_archive(sqlite_path)
        twin.ingest(pipeline(300))
        twin.close()
        from provarchive.store.engine import provenance_file

        lite = open_sqlite_readonly(sqlite_path, {"provenance": provenance_file(sqlite_path)})
        on_sqlite = _run_examples(lambda t: run_sqlite(lite, t, timeout=10), "sqlite")
        lite.close()
        assert _instants(on_sqlite) == _instants(on_postgres)
        _same_time_filters(lite_path=sqlite_path, pg_url=fresh_postgres_url)
    finally:
        archive.close()


TIME_FILTERS = [
    "SELECT a.id FROM provenance.activity AS a WHERE a.start_time < '2024-01-01 12:00:00' ORDER BY a.id",
    "SELECT a.id FROM provenance.activity AS a WHERE a.start_time < '2024-01-01T12:00:00Z' ORDER BY a.id",
    "SELECT a.id FROM provenance.activity AS a WHERE a.start_time >= '2024-01-01T03:00:00+01:00' "
    "AND a.start_time <= '2024-01-01T04:00' ORDER BY a.id",
    "SELECT a.id FROM provenance.activity AS a WHERE a.start_time = '2024-01-01T00:00:00' ORDER BY a.id",
    "SELECT a.id FROM provenance.activity AS a WHERE a.end_time BETWEEN '2024-01-01' AND '2024-01-01 02:00' "
    "ORDER BY a.id",
    "SELECT e.id FROM provenance.entity AS e WHERE '2024-01-01 01:00' > e.generated_at_time ORDER BY e.id",
]


def _same_time_filters(lite_path: Path, pg_url: str) -> None:
    """Time literals, with a space or a T, a zone or none, select the same rows on both backends."""
    import psycopg

    from provarchive.store.engine import provenance_file

    catalogue = Catalogue.from_metadata(schema.build_metadata())
    lite = open_sqlite_readonly(lite_path, {"provenance": provenance_file(lite_path)})
    try:
        with psycopg.connect(pg_url, autocommit=True) as pg:
            for adql in TIME_FILTERS:
                on_sqlite = run_sqlite(lite, translate(adql, "sqlite", catalogue), timeout=10).rows
                on_postgres = run_postgres(pg, translate(adql, "postgres", catalogue), timeout=10).rows
                assert on_sqlite == on_postgres, adql
                assert on_sqlite, adql  # each filter selects something in the demo archive
    finally:
        lite.close()
