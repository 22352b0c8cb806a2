"""The lineage functions on the real archive schema agree with the store's own lineage walk."""

from __future__ import annotations

from pathlib import Path

import pytest

from provarchive.adql import Catalogue, open_sqlite_readonly, run_postgres, run_sqlite, translate
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


def _upstream_query(node: str, function: str) -> str:
    return " UNION ".join(
        f"SELECT id FROM provenance.{table} WHERE {function}(id, '{node}') = 1" for table in ("entity", "activity")
    )


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
        connection.close()
    finally:
        archive.close()


@pytest.mark.postgres
def test_lineage_functions_agree_with_the_store_on_postgres(fresh_postgres_url: str) -> None:
    import psycopg

    archive = store.open_archive(fresh_postgres_url)
    try:
        archive.ingest(pipeline(300))
        with psycopg.connect(fresh_postgres_url, autocommit=True) as connection:
            _check_against_store(archive, lambda t: run_postgres(connection, t, timeout=10), "postgres")
    finally:
        archive.close()
