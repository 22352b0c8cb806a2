"""The schema: ProvTAP table names, column metadata in one place, migrations that match it."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from provarchive.store import Archive, build_metadata, open_archive
from provarchive.store.migrate import HEAD_REVISION, current_revision, head_revision
from provarchive.store.schema import EDGE_TABLES, SCHEMA, TABLES

PROVTAP_TABLES = {
    "entity", "activity", "agent", "used", "wasgeneratedby", "wasassociatedwith", "wasattributedto",
    "wasderivedfrom", "wasinformedby", "hadmember", "activitydescription", "usagedescription",
    "generationdescription", "entitydescription", "parameter", "parameterdescription", "configfile",
    "configfiledescription", "wasconfiguredby",
}  # fmt: skip
OTHER_W3C = {
    "wasstartedby", "wasendedby", "wasinvalidatedby", "actedonbehalfof", "wasinfluencedby", "specializationof",
    "alternateof", "mentionof",
}  # fmt: skip


def test_every_provtap_and_w3c_table_is_declared() -> None:
    names = {t.name for t in TABLES}
    assert names >= PROVTAP_TABLES
    assert names >= OTHER_W3C


def test_every_column_is_described_and_provdm_columns_have_utypes() -> None:
    for table in TABLES:
        assert table.description, table.name
        for column in table.columns:
            assert column.description, f"{table.name}.{column.name}"
            if column.utype is not None:
                assert column.utype.startswith("voprov:"), column.utype
    entity = next(t for t in TABLES if t.name == "entity")
    assert entity.utype == "voprov:Entity"
    assert {c.name: c.utype for c in entity.columns}["name"] == "voprov:Entity.name"


def test_migration_head_is_the_declared_revision() -> None:
    assert head_revision() == HEAD_REVISION


def test_opened_archive_has_every_table_and_both_edge_indexes(archive: Archive) -> None:
    inspector = inspect(archive.engine)
    tables = set(inspector.get_table_names(schema=SCHEMA))
    assert {t.name for t in TABLES} <= tables
    for table, (a, b) in EDGE_TABLES.items():
        indexed = {tuple(ix["column_names"]) for ix in inspector.get_indexes(table, schema=SCHEMA)}
        assert (a, b) in indexed and (b, a) in indexed, table


def test_migrated_schema_matches_the_specs(archive: Archive) -> None:
    """The frozen initial migration creates exactly what schema.py declares."""
    with archive.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "include_schemas": True,
                "include_name": lambda name, type_, _parent: type_ != "schema" or name == SCHEMA,
                "include_object": lambda obj, name, type_, _r, _c: not (type_ == "table" and name == "alembic_version"),
                "compare_type": False,
            },
        )
        diff = compare_metadata(context, build_metadata())
    assert diff == []


def test_reopening_does_not_migrate_again(archive_url: str) -> None:
    first = open_archive(archive_url)
    first.close()
    second = open_archive(archive_url)
    try:
        with second.engine.connect() as conn:
            assert current_revision(conn) == HEAD_REVISION
        assert second.upgrade() == HEAD_REVISION
    finally:
        second.close()
