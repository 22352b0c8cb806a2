"""Translation details: limits, names and types of result columns, identifiers, UDF planning."""

from __future__ import annotations

import re

import pytest

from provarchive.adql import LINEAGE_FUNCTIONS, AdqlError, Catalogue, translate, udf_features

from . import archive

CATALOGUE = archive.catalogue()


@pytest.mark.parametrize(
    "adql, maxrec, limit",
    [
        ("SELECT TOP 5 id FROM provenance.entity", None, 5),
        ("SELECT TOP 5 id FROM provenance.entity", 100, 5),
        ("SELECT TOP 500 id FROM provenance.entity", 100, 101),
        ("SELECT id FROM provenance.entity", 100, 101),
        ("SELECT id FROM provenance.entity", 0, 1),
        ("SELECT id FROM provenance.entity", None, None),
        ("SELECT id FROM provenance.entity UNION SELECT id FROM provenance.activity", 10, 11),
    ],
)
def test_top_and_maxrec_become_one_limit(adql: str, maxrec: int | None, limit: int | None) -> None:
    translation = translate(adql, "postgres", CATALOGUE, maxrec=maxrec)
    assert translation.limit == limit
    assert (f"LIMIT {limit}" in translation.sql) == (limit is not None)
    if maxrec is not None:
        assert translation.overflowed(maxrec + 1) and not translation.overflowed(maxrec)


def test_offset_is_kept_on_both_backends() -> None:
    sqlite = translate("SELECT id FROM provenance.entity OFFSET 3", "sqlite", CATALOGUE)
    postgres = translate("SELECT TOP 2 id FROM provenance.entity OFFSET 3", "postgres", CATALOGUE)
    assert "OFFSET 3" in sqlite.sql and "LIMIT -1" in sqlite.sql  # SQLite needs a LIMIT before OFFSET
    assert postgres.sql.endswith("LIMIT 2 OFFSET 3")


def test_negative_maxrec_is_refused() -> None:
    with pytest.raises(AdqlError, match="MAXREC"):
        translate("SELECT id FROM provenance.entity", "sqlite", CATALOGUE, maxrec=-1)


def test_unknown_dialect_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        translate("SELECT id FROM provenance.entity", "mysql", CATALOGUE)


def test_star_expands_in_catalogue_order_with_sources_and_types() -> None:
    translation = translate("SELECT * FROM provenance.entity", "sqlite", CATALOGUE)
    assert [c.name for c in translation.columns] == list(archive.TABLES["provenance.entity"])
    size = translation.columns[3]
    assert (size.name, size.datatype, size.table, size.column) == ("size", "long", "provenance.entity", "size")
    assert (translation.columns[0].datatype, translation.columns[0].arraysize) == ("char", "*")


def test_using_columns_come_first_once() -> None:
    translation = translate(
        "SELECT * FROM provenance.used JOIN provenance.wasgeneratedby USING (activity)", "postgres", CATALOGUE
    )
    assert [c.name for c in translation.columns] == ["activity", "entity", "role", "entity_2", "role_2"]


def test_computed_columns_get_stable_unique_names_and_types() -> None:
    translation = translate(
        'SELECT COUNT(*), MAX("size"), ROUND(AVG("size"), 1), UPPER(name), id, id, pa_is_ancestor(id, \'x\'), '
        '"size" + 1 FROM provenance.entity GROUP BY name, id',
        "sqlite",
        CATALOGUE,
    )
    names = [c.name for c in translation.columns]
    assert names == ["count", "max", "round", "upper", "id", "id_2", "pa_is_ancestor", "col8"]
    types = [c.datatype for c in translation.columns]
    assert types == ["long", "long", "double", "char", "char", "char", "int", "long"]
    assert translation.columns[5].table == "provenance.entity"


def test_identifier_case_rules() -> None:
    regular = translate("SELECT E.ID AS MyId FROM Provenance.Entity AS E", "postgres", CATALOGUE)
    assert regular.columns[0].name == "myid"
    delimited = translate('SELECT "id" AS "MyId" FROM provenance.entity', "postgres", CATALOGUE)
    assert delimited.columns[0].name == "MyId"
    assert '"MyId"' in delimited.sql
    with pytest.raises(AdqlError, match="unknown"):
        translate('SELECT "ID" FROM provenance.entity', "postgres", CATALOGUE)


def test_size_column_needs_quotes_only_as_adql_says() -> None:
    translation = translate('SELECT "size" FROM tap_schema.columns', "postgres", CATALOGUE)
    assert translation.sql == 'SELECT "columns"."size" AS "size" FROM "tap_schema"."columns" AS "columns"'


def test_columns_are_traced_through_subqueries_and_ctes() -> None:
    translation = translate(
        "WITH x AS (SELECT id AS k FROM provenance.entity) SELECT s.k FROM (SELECT k FROM x) AS s", "sqlite", CATALOGUE
    )
    assert (translation.columns[0].table, translation.columns[0].column) == ("provenance.entity", "id")


def test_adql_functions_keep_their_meaning() -> None:
    sqlite = translate('SELECT LOG("size"), TRUNCATE("size", 2), RAND() FROM provenance.entity', "sqlite", CATALOGUE)
    postgres = translate(
        'SELECT LOG("size"), TRUNCATE("size", 2), RAND() FROM provenance.entity', "postgres", CATALOGUE
    )
    assert "LN(" in sqlite.sql and "LN(" in postgres.sql  # ADQL LOG is natural; PostgreSQL LOG is base 10
    assert "POWER(10, 2)" in sqlite.sql  # the digits are not dropped
    assert "TRUNC(CAST(" in postgres.sql
    assert "18446744073709551616.0" in sqlite.sql  # SQLite RANDOM() is an integer; scaled to [0, 1)


def test_no_comment_text_reaches_sql() -> None:
    translation = translate("SELECT id -- */ DROP TABLE x\nFROM provenance.entity", "sqlite", CATALOGUE)
    assert "DROP" not in translation.sql and "--" not in translation.sql and "/*" not in translation.sql


def test_lineage_walk_starts_from_the_fixed_argument() -> None:
    """WHERE pa_is_ancestor(e.id, 'dl3') = 1 walks back from dl3 once and probes e.id (no correlation)."""
    translation = translate(
        "SELECT e.id FROM provenance.entity AS e WHERE pa_is_ancestor(e.id, 'dl3') = 1", "postgres", CATALOGUE
    )
    where = translation.sql.split(" WHERE ", 1)[1]
    assert where.startswith('"e"."id" IN (WITH RECURSIVE "pa_walk"')
    inner = where.split("IN (", 1)[1]
    assert '"e".' not in inner  # uncorrelated: planned once
    assert "CASE" not in translation.sql  # "= 1" became a plain IN test

    forward = translate(
        "SELECT e.id FROM provenance.entity AS e WHERE pa_is_ancestor('raw1', e.id) = 1", "sqlite", CATALOGUE
    )
    assert "'raw1'" in forward.sql and '"pa_e0"."activity"' in forward.sql  # walks used → activity forward


def test_lineage_depth_is_capped() -> None:
    capped = Catalogue(tables=archive.TABLES, max_lineage_depth=7)
    translation = translate(
        "SELECT id FROM provenance.entity WHERE pa_is_ancestor(id, 'dl3', 100000) = 1", "sqlite", capped
    )
    assert "< (7)" in translation.sql
    translation = translate(
        "SELECT id FROM provenance.entity WHERE pa_is_ancestor(id, 'dl3', \"size\") = 1", "sqlite", capped
    )
    assert "CASE WHEN" in translation.sql and "> 7" in translation.sql


def test_lineage_functions_need_published_edges() -> None:
    only_entity = Catalogue(tables={"provenance.entity": ["id"]})
    with pytest.raises(AdqlError, match="no lineage tables"):
        translate("SELECT id FROM provenance.entity WHERE pa_is_ancestor(id, 'x') = 1", "sqlite", only_entity)


#: TAPRegExt §2.3 form: name(param TYPE, ...) -> TYPE, a type being a word with an optional (length);
#: validators such as taplint (through the CDS ADQL library) parse exactly this shape.
_TYPE = r"[A-Za-z_][A-Za-z0-9_ ]*(\(\s*[0-9]+\s*\))?"
_FORM = re.compile(rf"[A-Za-z][A-Za-z0-9_]*\((\s*[A-Za-z][A-Za-z0-9_]*\s+{_TYPE}\s*(,|(?=\))))*\)\s*->\s*{_TYPE}")


def test_udf_declarations_for_taprgext() -> None:
    features = udf_features()
    assert len(features) == 2 * len(LINEAGE_FUNCTIONS)
    for feature in features:
        assert feature["type"] == "ivo://ivoa.net/std/TAPRegExt#features-udf"
        assert feature["form"].startswith("pa_") and " -> INTEGER" in feature["form"]
        assert _FORM.fullmatch(feature["form"]), feature["form"]
        assert feature["description"]
    assert not any(name.startswith("ivo_") for name in LINEAGE_FUNCTIONS)


TAP_SCHEMA = Catalogue(
    tables={
        "tap_schema.schemas": ["schema_name", "utype", "description", "schema_index"],
        "tap_schema.tables": ["schema_name", "table_name", "table_type", "utype", "description", "table_index"],
        "tap_schema.columns": [
            "table_name", "column_name", "datatype", "arraysize", "xtype", "size", "description", "utype", "unit",
            "ucd", "indexed", "principal", "std", "column_index",
        ],
        "tap_schema.keys": ["key_id", "from_table", "target_table", "description", "utype"],
        "tap_schema.key_columns": ["key_id", "from_column", "target_column"],
    }
)  # fmt: skip


@pytest.mark.parametrize(
    "adql",
    [
        'SELECT principal, indexed, std, "size" FROM TAP_SCHEMA.columns',
        "SELECT TOP 1 * FROM TAP_SCHEMA.columns",
        "SELECT COUNT(*) FROM TAP_SCHEMA.tables",
        "SELECT TOP 8 T.key_id AS taplint_c_1, T.from_table AS taplint_c_2, T.target_table FROM TAP_SCHEMA.keys AS T",
        "SELECT key_id, from_column, target_column FROM TAP_SCHEMA.key_columns",
        "SELECT TOP 10 schema_name FROM TAP_SCHEMA.tables",
        'SELECT table_name, column_name, description, unit, ucd, utype, datatype, arraysize, xtype, "size", '
        "principal, indexed, std FROM TAP_SCHEMA.columns WHERE table_name = 'x'",
        "SELECT schema_name AS s FROM TAP_SCHEMA.schemas ORDER BY s",
        "SELECT table_type, COUNT(*) AS n FROM TAP_SCHEMA.tables GROUP BY table_type ORDER BY n DESC",
    ],
)
def test_what_taplint_sends_translates(adql: str) -> None:
    for dialect in ("sqlite", "postgres"):
        translation = translate(adql, dialect, TAP_SCHEMA, maxrec=10)
        assert '"tap_schema".' in translation.sql
        assert all(column.name for column in translation.columns)


@pytest.mark.parametrize(
    "adql, kept",
    [
        ("SELECT 'a /* b */' AS v FROM provenance.entity", "'a /* b */'"),
        ("SELECT 'it''s -- no comment' AS v FROM provenance.entity", "'it''s -- no comment'"),
        ('SELECT id AS "x/*y" FROM provenance.entity', '"x/*y"'),
    ],
)
def test_comment_markers_inside_strings_and_names_are_data(adql: str, kept: str) -> None:
    assert kept in translate(adql, "sqlite", CATALOGUE).sql
