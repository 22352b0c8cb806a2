"""What a query may see: the published tables, their columns, and the lineage edges.

The catalogue is the allow-list of the guard: a table that is not in it does not exist
for ADQL, whatever the database holds (jobs, users, tokens, system catalogues). It also
tells the lineage functions which tables and columns form the provenance graph, so a
rename in the store's schema is a one-line change here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["Catalogue", "LineageEdge", "DEFAULT_LINEAGE_EDGES", "PUBLISHED_SCHEMAS"]

#: Schemas a TAP service may publish. ``tap_upload`` holds per-request uploaded tables.
PUBLISHED_SCHEMAS = ("provenance", "tap_schema", "tap_upload")


@dataclass(frozen=True)
class LineageEdge:
    """One relation table seen as directed edges of the provenance graph.

    ``child`` is the column holding the influenced node (the later one), ``parent`` the
    column holding the node it depends on. Walking child → parent goes back in time
    (ancestors); parent → child goes forward (descendants, "what did X contaminate").
    """

    table: str
    child: str
    parent: str


#: used: an activity depends on the entity it used; wasGeneratedBy: an entity depends on
#: the activity that generated it; wasDerivedFrom and wasInformedBy are direct shortcuts.
DEFAULT_LINEAGE_EDGES: tuple[LineageEdge, ...] = (
    LineageEdge("provenance.used", child="activity", parent="entity"),
    LineageEdge("provenance.wasgeneratedby", child="entity", parent="activity"),
    LineageEdge("provenance.wasderivedfrom", child="generated_entity", parent="used_entity"),
    LineageEdge("provenance.wasinformedby", child="informed", parent="informant"),
)


def _columns_with_types(columns: Sequence[str] | Mapping[str, str | None]) -> dict[str, str]:
    if isinstance(columns, Mapping):
        return {str(name): (kind or "UNKNOWN") for name, kind in columns.items()}
    return {str(name): "UNKNOWN" for name in columns}


@dataclass(frozen=True)
class Catalogue:
    """The published tables: ``{"schema.table": {"column": "SQL TYPE", ...} or [columns]}``.

    Names are database names. The published schemas use lower-case names, so ADQL's
    regular (case-insensitive) identifiers, which the dialect folds to lower case, find
    them; delimited identifiers must match exactly. Types are SQL type names sqlglot
    understands (``TEXT``, ``BIGINT``, ``DOUBLE``, ``TIMESTAMP``, ``BOOLEAN``); they only
    serve to describe result columns, so a list of names is enough for a plain allow-list.
    """

    tables: Mapping[str, Sequence[str] | Mapping[str, str | None]]
    lineage_edges: tuple[LineageEdge, ...] = DEFAULT_LINEAGE_EDGES
    #: Hard cap on the depth of the lineage functions, whatever the query asks.
    max_lineage_depth: int = 100
    _columns: dict[str, dict[str, str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        columns: dict[str, dict[str, str]] = {}
        for name, cols in self.tables.items():
            if name.count(".") != 1:
                raise ValueError(f"catalogue table {name!r} must be written schema.table")
            columns[name] = _columns_with_types(cols)
        for edge in self.lineage_edges:
            if edge.table not in columns:
                continue
            missing = {edge.child, edge.parent} - set(columns[edge.table])
            if missing:
                raise ValueError(f"lineage edge table {edge.table} lacks column(s) {sorted(missing)}")
        object.__setattr__(self, "_columns", columns)

    @property
    def table_names(self) -> list[str]:
        return list(self._columns)

    def columns(self, table: str) -> dict[str, str]:
        """Column name → SQL type of a published ``schema.table``."""
        return dict(self._columns[table])

    def has_table(self, table: str) -> bool:
        return table in self._columns

    def resolve_unqualified(self, name: str) -> list[str]:
        """Published tables whose table part is ``name`` (ADQL allows omitting the schema)."""
        return [full for full in self._columns if full.split(".", 1)[1] == name]

    def lineage_tables(self) -> tuple[LineageEdge, ...]:
        """The lineage edges whose table is published (a missing table simply has no edges)."""
        return tuple(edge for edge in self.lineage_edges if edge.table in self._columns)

    def with_tables(self, tables: Mapping[str, Sequence[str] | Mapping[str, str | None]]) -> Catalogue:
        """A copy that also publishes ``tables`` (``schema.table`` → columns), e.g. TAP_SCHEMA's."""
        return replace(self, tables={**self.tables, **tables})

    def with_uploads(self, uploads: Mapping[str, Sequence[str] | Mapping[str, str | None]]) -> Catalogue:
        """A copy that also publishes per-request uploaded tables (``tap_upload.<name>``)."""
        return self.with_tables({name if "." in name else f"tap_upload.{name}": cols for name, cols in uploads.items()})

    def sqlglot_schema(self) -> dict[str, object]:
        """The nested ``{schema: {table: {column: type}}}`` mapping sqlglot's optimizer reads."""
        nested: dict[str, dict[str, dict[str, str]]] = {}
        for full, cols in self._columns.items():
            schema, table = full.split(".", 1)
            nested.setdefault(schema, {})[table] = dict(cols)
        return dict(nested)

    @classmethod
    def from_metadata(
        cls,
        metadata: Any,
        schemas: Iterable[str] = ("provenance", "tap_schema"),
        exclude: Iterable[str] = (),
        **options: Any,
    ) -> Catalogue:
        """Build the catalogue from a SQLAlchemy ``MetaData`` (the store's schema description).

        Only tables whose schema is in ``schemas`` are published, minus the ``schema.table``
        names in ``exclude`` (bookkeeping tables a site keeps private); everything else
        (jobs, users, tokens) stays invisible to ADQL.
        """
        wanted, hidden = set(schemas), set(exclude)
        tables: dict[str, dict[str, str | None]] = {}
        for table in metadata.tables.values():
            if table.schema not in wanted or f"{table.schema}.{table.name}" in hidden:
                continue
            tables[f"{table.schema}.{table.name}"] = {col.name: _sql_type_name(col.type) for col in table.columns}
        return cls(tables=tables, **options)


def _sql_type_name(sa_type: Any) -> str:
    """A sqlglot type name for a SQLAlchemy column type, by its Python type."""
    try:
        python_type = sa_type.python_type
    except NotImplementedError:
        return "UNKNOWN"
    import datetime

    mapping: dict[type, str] = {
        bool: "BOOLEAN",
        int: "BIGINT",
        float: "DOUBLE",
        str: "TEXT",
        datetime.datetime: "TIMESTAMP",
        datetime.date: "DATE",
        bytes: "BLOB",
    }
    return mapping.get(python_type, "UNKNOWN")
