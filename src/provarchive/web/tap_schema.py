"""TAP_SCHEMA and VOSI tables, generated from the store's schema description.

The store declares every table and column once (:mod:`provarchive.store.schema`:
description, utype, UCD, unit, principal, indexed). This module turns those specs into
the five TAP 1.1 ``TAP_SCHEMA`` tables, materialises them in the database (an attached
SQLite file or a PostgreSQL schema named ``tap_schema``) so that ADQL can query them,
renders the VOSI ``tableset`` from the same rows, and builds the ADQL catalogue (the
guard's allow-list). Because all four come from one list of :class:`PublishedTable`,
``/tables``, TAP_SCHEMA, the FIELDs of a result and what ADQL may read cannot disagree
(taplint's TMC and MDQ stages compare them).

Only tables of the ``provenance`` schema are published, minus :data:`PRIVATE_TABLES`;
the job service's tables (jobs, users, tokens) live elsewhere and are never listed.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from ..adql import Catalogue
from ..store.schema import TABLES, ColumnSpec, TableSpec

__all__ = [
    "PublishedColumn",
    "PublishedTable",
    "ForeignKey",
    "TapMetadata",
    "PRIVATE_TABLES",
    "build_tap_metadata",
    "materialise_sqlite",
    "materialise_postgres",
    "tableset_document",
]

#: Archive bookkeeping not published over TAP (the ingest log names local files).
PRIVATE_TABLES = frozenset({"ingest"})

#: Words ADQL 2.0 reserves (SQL-92 plus ADQL's own) that our column names use or could use;
#: such names are published delimited (``"size"``), as TAP 1.1 asks (taplint E-TME-CRSV).
RESERVED_WORDS = frozenset(
    [
        "absolute",
        "action",
        "add",
        "all",
        "allocate",
        "alter",
        "and",
        "any",
        "are",
        "as",
        "asc",
        "assertion",
        "at",
        "authorization",
        "avg",
        "begin",
        "between",
        "bit",
        "bit_length",
        "both",
        "by",
        "cascade",
        "cascaded",
        "case",
        "cast",
        "catalog",
        "char",
        "character",
        "char_length",
        "character_length",
        "check",
        "close",
        "coalesce",
        "collate",
        "collation",
        "column",
        "commit",
        "connect",
        "connection",
        "constraint",
        "constraints",
        "continue",
        "convert",
        "corresponding",
        "count",
        "create",
        "cross",
        "current",
        "current_date",
        "current_time",
        "current_timestamp",
        "current_user",
        "cursor",
        "date",
        "day",
        "deallocate",
        "dec",
        "decimal",
        "declare",
        "default",
        "deferrable",
        "deferred",
        "delete",
        "desc",
        "describe",
        "descriptor",
        "diagnostics",
        "disconnect",
        "distinct",
        "domain",
        "double",
        "drop",
        "else",
        "end",
        "end-exec",
        "escape",
        "except",
        "exception",
        "exec",
        "execute",
        "exists",
        "external",
        "extract",
        "false",
        "fetch",
        "first",
        "float",
        "for",
        "foreign",
        "found",
        "from",
        "full",
        "get",
        "global",
        "go",
        "goto",
        "grant",
        "group",
        "having",
        "hour",
        "identity",
        "immediate",
        "in",
        "indicator",
        "initially",
        "inner",
        "input",
        "insensitive",
        "insert",
        "int",
        "integer",
        "intersect",
        "interval",
        "into",
        "is",
        "isolation",
        "join",
        "key",
        "language",
        "last",
        "leading",
        "left",
        "level",
        "like",
        "local",
        "lower",
        "match",
        "max",
        "min",
        "minute",
        "module",
        "month",
        "names",
        "national",
        "natural",
        "nchar",
        "next",
        "no",
        "not",
        "null",
        "nullif",
        "numeric",
        "octet_length",
        "of",
        "on",
        "only",
        "open",
        "option",
        "or",
        "order",
        "outer",
        "output",
        "overlaps",
        "pad",
        "partial",
        "position",
        "precision",
        "prepare",
        "preserve",
        "primary",
        "prior",
        "privileges",
        "procedure",
        "public",
        "read",
        "real",
        "references",
        "relative",
        "restrict",
        "revoke",
        "right",
        "rollback",
        "rows",
        "schema",
        "scroll",
        "second",
        "section",
        "select",
        "session",
        "session_user",
        "set",
        "size",
        "smallint",
        "some",
        "space",
        "sql",
        "sqlcode",
        "sqlerror",
        "sqlstate",
        "substring",
        "sum",
        "system_user",
        "table",
        "temporary",
        "then",
        "time",
        "timestamp",
        "timezone_hour",
        "timezone_minute",
        "to",
        "trailing",
        "transaction",
        "translate",
        "translation",
        "trim",
        "true",
        "union",
        "unique",
        "unknown",
        "update",
        "upper",
        "usage",
        "user",
        "using",
        "value",
        "values",
        "varchar",
        "varying",
        "view",
        "when",
        "whenever",
        "where",
        "with",
        "work",
        "write",
        "year",
        "zone",
        "abs",
        "acos",
        "asin",
        "atan",
        "atan2",
        "ceiling",
        "cos",
        "cot",
        "degrees",
        "exp",
        "floor",
        "log",
        "log10",
        "mod",
        "pi",
        "power",
        "radians",
        "rand",
        "round",
        "sin",
        "sqrt",
        "tan",
        "top",
        "truncate",
        "area",
        "box",
        "centroid",
        "circle",
        "contains",
        "coord1",
        "coord2",
        "coordsys",
        "distance",
        "intersects",
        "point",
        "polygon",
        "region",
    ]
)


@dataclass(frozen=True)
class PublishedColumn:
    """One column as TAP_SCHEMA.columns and VOSI describe it."""

    name: str
    description: str
    datatype: str
    arraysize: str | None
    xtype: str | None
    unit: str | None
    ucd: str | None
    utype: str | None
    principal: bool
    indexed: bool
    std: bool
    sql_type: str

    @property
    def published_name(self) -> str:
        """The name as ADQL must write it: delimited when it is a reserved word."""
        return f'"{self.name}"' if self.name.lower() in RESERVED_WORDS else self.name


@dataclass(frozen=True)
class ForeignKey:
    """A TAP_SCHEMA key: ``from_table.from_column`` references ``target_table.target_column``."""

    key_id: str
    from_table: str
    target_table: str
    columns: tuple[tuple[str, str], ...]
    description: str


@dataclass(frozen=True)
class PublishedTable:
    """One table: ``schema.name``, description, utype, its columns and its foreign keys."""

    schema: str
    name: str
    description: str
    utype: str | None
    columns: tuple[PublishedColumn, ...]

    @property
    def full_name(self) -> str:
        return f"{self.schema}.{self.name}"

    def column(self, name: str) -> PublishedColumn | None:
        return next((c for c in self.columns if c.name == name), None)


#: (schema description, utype) of the published schemas.
SCHEMAS: dict[str, tuple[str, str | None]] = {
    "provenance": ("IVOA Provenance Data Model (ProvDM 1.0) records of this archive, one table per class", None),
    "tap_schema": ("Metadata of the tables published by this TAP service (TAP 1.1)", None),
}

_KIND_TYPES: dict[str, tuple[str, str | None, str | None, str]] = {
    "id": ("char", "*", None, "TEXT"),
    "text": ("char", "*", None, "TEXT"),
    "json": ("char", "*", None, "TEXT"),
    "time": ("char", "*", "timestamp", "TIMESTAMP"),
    "int": ("long", None, None, "BIGINT"),
}


def _column(spec: ColumnSpec) -> PublishedColumn:
    datatype, arraysize, xtype, sql_type = _KIND_TYPES[spec.kind]
    return PublishedColumn(
        spec.name,
        spec.description,
        datatype,
        arraysize,
        xtype,
        spec.unit,
        spec.ucd,
        spec.utype,
        spec.principal,
        spec.indexed,
        False,
        sql_type,
    )


def _tap_column(name: str, kind: str, description: str, principal: bool = True) -> PublishedColumn:
    datatype, arraysize, xtype, sql_type = ("int", None, None, "INTEGER") if kind == "int" else _KIND_TYPES[kind]
    return PublishedColumn(
        name, description, datatype, arraysize, xtype, None, None, None, principal, False, True, sql_type
    )


#: TAP_SCHEMA's own five tables (TAP 1.1 §4), std=1.
TAP_SCHEMA_TABLES: tuple[PublishedTable, ...] = (
    PublishedTable(
        "tap_schema",
        "schemas",
        "Schemas published by this service",
        None,
        (
            _tap_column("schema_name", "id", "Schema name, for reference from TAP_SCHEMA.tables"),
            _tap_column("utype", "text", "Utype of the schema"),
            _tap_column("description", "text", "Description of the schema"),
            _tap_column("schema_index", "int", "Suggested order of display", principal=False),
        ),
    ),
    PublishedTable(
        "tap_schema",
        "tables",
        "Tables published by this service",
        None,
        (
            _tap_column("schema_name", "id", "The schema the table belongs to"),
            _tap_column("table_name", "id", "Fully qualified table name"),
            _tap_column("table_type", "text", "One of: table, view"),
            _tap_column("utype", "text", "Utype of the table"),
            _tap_column("description", "text", "Description of the table"),
            _tap_column("table_index", "int", "Suggested order of display", principal=False),
        ),
    ),
    PublishedTable(
        "tap_schema",
        "columns",
        "Columns of the published tables",
        None,
        (
            _tap_column("table_name", "id", "Fully qualified table name"),
            _tap_column("column_name", "id", "Column name (delimited when a reserved word)"),
            _tap_column("utype", "text", "Utype of the column"),
            _tap_column("ucd", "text", "UCD of the column"),
            _tap_column("unit", "text", "Unit in VOUnit format"),
            _tap_column("description", "text", "Description of the column"),
            _tap_column("datatype", "text", "VOTable datatype of the column"),
            _tap_column("arraysize", "text", "VOTable arraysize of the column"),
            _tap_column("xtype", "text", "VOTable xtype of the column"),
            _tap_column("size", "int", "Length of fixed-length columns (deprecated; use arraysize)"),
            _tap_column("principal", "int", "1 if the column is of principal interest, else 0"),
            _tap_column("indexed", "int", "1 if the column is indexed, else 0"),
            _tap_column("std", "int", "1 if the column is defined by a standard, else 0"),
            _tap_column("column_index", "int", "Suggested order of display", principal=False),
        ),
    ),
    PublishedTable(
        "tap_schema",
        "keys",
        "Foreign keys between published tables",
        None,
        (
            _tap_column("key_id", "id", "Unique key identifier"),
            _tap_column("from_table", "id", "Fully qualified table name of the referencing table"),
            _tap_column("target_table", "id", "Fully qualified table name of the referenced table"),
            _tap_column("utype", "text", "Utype of the key"),
            _tap_column("description", "text", "Description of the key"),
        ),
    ),
    PublishedTable(
        "tap_schema",
        "key_columns",
        "Columns of the foreign keys",
        None,
        (
            _tap_column("key_id", "id", "Key identifier from TAP_SCHEMA.keys"),
            _tap_column("from_column", "id", "Column in the referencing table"),
            _tap_column("target_column", "id", "Column in the referenced table"),
        ),
    ),
)

#: TAP_SCHEMA's self-describing keys (TAP 1.1 §4.4; taplint E-TMS-TSLN without them).
TAP_SCHEMA_KEYS: tuple[ForeignKey, ...] = (
    ForeignKey("tap_tables_schema", "tap_schema.tables", "tap_schema.schemas", (("schema_name", "schema_name"),), ""),
    ForeignKey("tap_columns_table", "tap_schema.columns", "tap_schema.tables", (("table_name", "table_name"),), ""),
    ForeignKey("tap_keys_from", "tap_schema.keys", "tap_schema.tables", (("from_table", "table_name"),), ""),
    ForeignKey("tap_keys_target", "tap_schema.keys", "tap_schema.tables", (("target_table", "table_name"),), ""),
    ForeignKey("tap_key_columns_key", "tap_schema.key_columns", "tap_schema.keys", (("key_id", "key_id"),), ""),
)

#: Relation columns that name a record of another table: (table, column, target table).
_REFERENCES: tuple[tuple[str, str, str], ...] = (
    ("used", "activity", "activity"),
    ("used", "entity", "entity"),
    ("wasgeneratedby", "entity", "entity"),
    ("wasgeneratedby", "activity", "activity"),
    ("wasassociatedwith", "activity", "activity"),
    ("wasassociatedwith", "agent", "agent"),
    ("wasattributedto", "entity", "entity"),
    ("wasattributedto", "agent", "agent"),
    ("wasderivedfrom", "generated_entity", "entity"),
    ("wasderivedfrom", "used_entity", "entity"),
    ("wasinformedby", "informed", "activity"),
    ("wasinformedby", "informant", "activity"),
    ("hadmember", "collection", "entity"),
    ("hadmember", "entity", "entity"),
    ("wasconfiguredby", "activity", "activity"),
    ("activity", "description", "activitydescription"),
    ("entity", "description", "entitydescription"),
    ("usagedescription", "activity_description", "activitydescription"),
    ("generationdescription", "activity_description", "activitydescription"),
    ("parameterdescription", "activity_description", "activitydescription"),
    ("configfiledescription", "activity_description", "activitydescription"),
    ("parameter", "description", "parameterdescription"),
    ("configfile", "description", "configfiledescription"),
)


@dataclass(frozen=True)
class TapMetadata:
    """Everything published: tables in display order and foreign keys."""

    tables: tuple[PublishedTable, ...]
    keys: tuple[ForeignKey, ...]

    def table(self, full_name: str) -> PublishedTable | None:
        return next((t for t in self.tables if t.full_name == full_name.lower()), None)

    def column(self, table: str | None, column: str | None) -> PublishedColumn | None:
        """The declared column a result column copies, if it copies one."""
        if table is None or column is None:
            return None
        found = self.table(table)
        return found.column(column) if found else None

    def catalogue(self, max_lineage_depth: int = 100) -> Catalogue:
        """The ADQL allow-list: exactly the published tables and columns."""
        tables = {t.full_name: {c.name: c.sql_type for c in t.columns} for t in self.tables}
        return Catalogue(tables=tables, max_lineage_depth=max_lineage_depth)


def _from_spec(spec: TableSpec) -> PublishedTable:
    return PublishedTable(
        "provenance", spec.name, spec.description, spec.utype, tuple(_column(c) for c in spec.columns)
    )


def build_tap_metadata(private: Iterable[str] = PRIVATE_TABLES) -> TapMetadata:
    """The published tables (store specs minus ``private``, then TAP_SCHEMA) and their keys."""
    hidden = set(private)
    tables = tuple(_from_spec(spec) for spec in TABLES if spec.name not in hidden) + TAP_SCHEMA_TABLES
    published = {t.name for t in tables if t.schema == "provenance"}
    keys = [
        ForeignKey(
            f"{table}_{column}",
            f"provenance.{table}",
            f"provenance.{target}",
            ((column, "id"),),
            f"{table}.{column} names a record of {target}",
        )
        for table, column, target in _REFERENCES
        if table in published and target in published
    ]
    return TapMetadata(tables, tuple(keys) + TAP_SCHEMA_KEYS)


# ------------------------------------------------------------------- TAP_SCHEMA rows


def tap_schema_rows(metadata: TapMetadata) -> dict[str, list[tuple[Any, ...]]]:
    """The content of the five TAP_SCHEMA tables, in their column order."""
    schemas = [(name, utype, description, index) for index, (name, (description, utype)) in enumerate(SCHEMAS.items())]
    tables: list[tuple[Any, ...]] = []
    columns: list[tuple[Any, ...]] = []
    for table_index, table in enumerate(metadata.tables):
        tables.append((table.schema, table.full_name, "table", table.utype, table.description, table_index))
        for column_index, c in enumerate(table.columns):
            columns.append(
                (
                    table.full_name,
                    c.published_name,
                    c.utype,
                    c.ucd,
                    c.unit,
                    c.description,
                    c.datatype,
                    c.arraysize,
                    c.xtype,
                    None,
                    int(c.principal),
                    int(c.indexed),
                    int(c.std),
                    column_index,
                )
            )
    keys = [(k.key_id, k.from_table, k.target_table, None, k.description or None) for k in metadata.keys]
    key_columns = [(k.key_id, f, t) for k in metadata.keys for f, t in k.columns]
    return {"schemas": schemas, "tables": tables, "columns": columns, "keys": keys, "key_columns": key_columns}


def _ddl(table: PublishedTable, schema: str, sql_types: dict[str, str]) -> str:
    columns = ", ".join(f'"{c.name}" {sql_types[c.sql_type]}' for c in table.columns)
    return f'CREATE TABLE {schema}"{table.name}" ({columns})'


def materialise_sqlite(metadata: TapMetadata, path: Path) -> Path:
    """Write TAP_SCHEMA into a SQLite file (replaced atomically) that the TAP service attaches."""
    temporary = path.with_name(f"{path.name}.{uuid.uuid4().hex}.tmp")  # two servers may start at once
    connection = sqlite3.connect(temporary)
    try:
        rows = tap_schema_rows(metadata)
        sql_types = {"TEXT": "TEXT", "INTEGER": "INTEGER", "BIGINT": "INTEGER", "TIMESTAMP": "TEXT"}
        for table in TAP_SCHEMA_TABLES:
            connection.execute(_ddl(table, "", sql_types))
            marks = ", ".join("?" for _ in table.columns)
            connection.executemany(f'INSERT INTO "{table.name}" VALUES ({marks})', rows[table.name])
        connection.commit()
    finally:
        connection.close()
    temporary.replace(path)
    return path


#: Advisory lock key serialising TAP_SCHEMA rebuilds on PostgreSQL (any constant unique to this use).
_REBUILD_LOCK = 0x7A9_5C4E


def materialise_postgres(metadata: TapMetadata, connection: Any) -> None:
    """(Re)create the ``tap_schema`` schema in one transaction (psycopg 3 connection)."""
    rows = tap_schema_rows(metadata)
    sql_types = {"TEXT": "TEXT", "INTEGER": "INTEGER", "BIGINT": "BIGINT", "TIMESTAMP": "TIMESTAMPTZ"}
    with connection.transaction():
        # Servers sharing the database may start together: one rebuilds at a time.
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (_REBUILD_LOCK,))
        connection.execute("DROP SCHEMA IF EXISTS tap_schema CASCADE")
        connection.execute("CREATE SCHEMA tap_schema")
        connection.execute("CREATE SCHEMA IF NOT EXISTS tap_upload")
        for table in TAP_SCHEMA_TABLES:
            connection.execute(_ddl(table, "tap_schema.", sql_types))
            marks = ", ".join("%s" for _ in table.columns)
            with connection.cursor() as cursor:
                cursor.executemany(f'INSERT INTO tap_schema."{table.name}" VALUES ({marks})', rows[table.name])


# ------------------------------------------------------------------------ VOSI tables


def _column_xml(column: PublishedColumn) -> str:
    parts = [f"<column><name>{escape(column.published_name)}</name>"]
    if column.description:
        parts.append(f"<description>{escape(column.description)}</description>")
    if column.unit:
        parts.append(f"<unit>{escape(column.unit)}</unit>")
    if column.ucd:
        parts.append(f"<ucd>{escape(column.ucd)}</ucd>")
    if column.utype:
        parts.append(f"<utype>{escape(column.utype)}</utype>")
    attributes = f' arraysize="{column.arraysize}"' if column.arraysize else ""
    if column.xtype:
        attributes += f" extendedType={quoteattr(column.xtype)}"
    parts.append(f'<dataType xsi:type="vs:VOTableType"{attributes}>{column.datatype}</dataType>')
    if column.indexed:
        parts.append("<flag>indexed</flag>")
    if column.principal:
        parts.append("<flag>principal</flag>")
    if column.std:
        parts.append("<flag>std</flag>")
    parts.append("</column>")
    return "".join(parts)


def _table_xml(table: PublishedTable, keys: Sequence[ForeignKey], with_columns: bool = True) -> str:
    parts = [f'<table type="table"><name>{escape(table.full_name)}</name>']
    if table.description:
        parts.append(f"<description>{escape(table.description)}</description>")
    if table.utype:
        parts.append(f"<utype>{escape(table.utype)}</utype>")
    if with_columns:
        parts.extend(_column_xml(c) for c in table.columns)
        for key in keys:
            if key.from_table != table.full_name:
                continue
            parts.append(f"<foreignKey><targetTable>{escape(key.target_table)}</targetTable>")
            parts.extend(
                f"<fkColumn><fromColumn>{escape(f)}</fromColumn><targetColumn>{escape(t)}</targetColumn></fkColumn>"
                for f, t in key.columns
            )
            if key.description:
                parts.append(f"<description>{escape(key.description)}</description>")
            parts.append("</foreignKey>")
    parts.append("</table>")
    return "".join(parts)


_NAMESPACES = (
    'xmlns:vosi="http://www.ivoa.net/xml/VOSITables/v1.0" '
    'xmlns:vs="http://www.ivoa.net/xml/VODataService/v1.1" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)


def tableset_document(metadata: TapMetadata) -> bytes:
    """VOSI tables 1.1: ``<vosi:tableset>`` with every schema, table, column and key."""
    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<vosi:tableset {_NAMESPACES}>']
    for schema, (description, utype) in SCHEMAS.items():
        parts.append(f"<schema><name>{schema}</name><description>{escape(description)}</description>")
        if utype:
            parts.append(f"<utype>{escape(utype)}</utype>")
        parts.extend(_table_xml(t, metadata.keys) for t in metadata.tables if t.schema == schema)
        parts.append("</schema>")
    parts.append("</vosi:tableset>")
    return "".join(parts).encode()


def table_document(metadata: TapMetadata, table: PublishedTable) -> bytes:
    """VOSI tables 1.1 per-table endpoint: ``<vosi:table>`` with its columns and keys."""
    body = _table_xml(table, metadata.keys)
    body = body.replace('<table type="table">', f'<vosi:table type="table" {_NAMESPACES}>', 1)
    body = body[: -len("</table>")] + "</vosi:table>"
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode()
