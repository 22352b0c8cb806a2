"""Ingest: one document into the archive in one transaction.

The rules (docs/archive.md explains them to users):

* **One document, one transaction.** Rows are bulk-inserted table by table; any error
  rolls everything back and names the record.
* **Idempotent.** Identified records are keyed by (id, bundle); relations by a digest
  of their content. Inserting skips keys already stored, so the same document twice
  adds nothing.
* **Conflicts are refused.** Only when some keys were already stored (the rowcount is
  short) are the stored rows compared with the new ones; a record whose id exists with
  different content raises :class:`ConflictError` naming it, unless ``merge=True``.
* **Merge policy** (``merge=True``): the stored record is completed, never
  overwritten. Columns that are empty in the archive take the new value; columns set
  in both keep the stored value; extra attributes are the union. Stored data is never
  lost.
* **Namespaces** are reconciled by URI into the archive's one prefix map; a document
  whose prefix is bound in the archive to another URI has its names renamed (``ex`` →
  ``ex_1``) before storing, exactly as :meth:`Document.merge` does.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import Connection, text

from ..model import Bundle, Document, Element, Record
from ..model.ids import utcnow
from ..model.rename import map_names
from ..util import paused_gc
from .engine import Backend, StoreError
from .rows import RowMaker, db_time, decode_attributes, encode_attributes
from .schema import ELEMENT_TABLES, LINEAGE_SOURCES, SCHEMA, TABLE_BY_NAME, TABLES

__all__ = ["IngestResult", "ConflictError", "ingest_document", "read_namespaces"]


class ConflictError(StoreError):
    """A record whose id is already stored with different content."""

    def __init__(self, record_id: str, detail: str) -> None:
        super().__init__(f"record {record_id!r} is already in the archive with different content: {detail}")
        self.record_id = record_id
        self.detail = detail


@dataclass
class IngestResult:
    """What one ingest did: rows added per table, records already present, element ids."""

    added: dict[str, int] = field(default_factory=dict)
    unchanged: int = 0
    ids: list[str] = field(default_factory=list)
    #: Stored records completed by ``merge=True``.
    merged: int = 0

    @property
    def total_added(self) -> int:
        return sum(self.added.values())


# Tables in insertion order (the same for every process: no lock-order deadlocks).
_ORDER = tuple(t.name for t in TABLES if t.name in ELEMENT_TABLES or t.edge is not None)


def ingest_document(
    backend: Backend,
    doc: Document,
    *,
    merge: bool = False,
    source: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> IngestResult:
    """Store ``doc`` in one transaction; see the module documentation for the rules.

    ``progress(done, total)`` is called as rows are stored (records, per table).
    """
    if not isinstance(doc, Document):
        raise StoreError(f"ingest needs a Document, not {type(doc).__name__}")
    # The collector stays off for the whole transaction: rows, edges and result lists
    # are a million small acyclic objects, and each collection would walk the caller's
    # documents too (13 % of an ingest's CPU time at 328k records, more for larger heaps).
    with paused_gc(), backend.write() as conn:
        renames = reconcile_namespaces(conn, doc)
        records = list(_records(doc, renames))
        tables, result = _rows_by_table(records)
        done = 0
        for table in _ORDER:
            rows = tables.get(table)
            if not rows:
                continue
            try:
                added = backend.insert_new(conn, table, rows)
            except Exception as exc:  # driver errors: name the record when we can
                raise StoreError(_explain_failure(table, rows, exc)) from exc
            # relations are keyed by content: a skipped one is identical by definition
            if added < len(rows) and table in ELEMENT_TABLES:
                result.merged += _check_existing(backend, conn, table, rows, merge)
            result.added[table] = added
            result.unchanged += len(rows) - added
            if progress is not None:
                done += len(rows)
                progress(done, len(records))
        _add_lineage_edges(backend, conn, tables)
        for bundle_id in doc.bundles:
            _execute_ignore(conn, "bundle", ("id", "ingested_at"), (renames.get_id(bundle_id), db_time(utcnow())))
        conn.execute(
            text(
                f"INSERT INTO {SCHEMA}.ingest (ingest_id, source, ingested_at, records, added) "
                "VALUES (:i, :s, :t, :r, :a)"
            ),
            {"i": uuid.uuid4().hex, "s": source, "t": db_time(utcnow()), "r": len(records), "a": result.total_added},
        )
    return result


def _rows_by_table(records: Sequence[tuple[str, Record]]) -> tuple[dict[str, list[tuple[Any, ...]]], IngestResult]:
    """The rows of ``records`` by table, in record order, and a result holding their element ids.

    One pass with one dictionary probe per record: each class's row function, its
    table's row list and whether it is an element are looked up once per class.
    """
    maker = RowMaker()
    tables: dict[str, list[tuple[Any, ...]]] = {}
    by_class: dict[type[Record], tuple[Callable[[Record, str], tuple[Any, ...]], list[tuple[Any, ...]], bool]] = {}
    result = IngestResult()
    ids = result.ids
    seen: set[str] = set()
    record: Record | None = None
    try:
        for bundle_id, record in records:
            plan = by_class.get(record.__class__)
            if plan is None:
                table, make = maker.maker(record.__class__)
                is_element = issubclass(record.__class__, Element)
                plan = by_class[record.__class__] = (make, tables.setdefault(table, []), is_element)
            make, rows, is_element = plan
            rows.append(make(record, bundle_id))
            if is_element:
                ident = record.id
                if ident is not None and ident not in seen:
                    seen.add(ident)
                    ids.append(ident)
    except (ValueError, TypeError) as exc:
        assert record is not None
        raise StoreError(f"record {_describe(record)}: {exc}") from None
    return tables, result


#: (relation table, index of the child column, index of the parent column) in its rows.
_EDGE_COLUMNS = tuple(
    (table, TABLE_BY_NAME[table].column_names.index(child), TABLE_BY_NAME[table].column_names.index(parent))
    for table, (child, parent) in LINEAGE_SOURCES.items()
)


def _add_lineage_edges(backend: Backend, conn: Connection, tables: dict[str, list[tuple[Any, ...]]]) -> None:
    """Add the document's lineage relations to ``lineage_edge`` (in the ingest's transaction).

    Every relation row is offered, stored before or not: the edge table is a function
    of the relation tables, so an edge already there is skipped, and one stored by a
    relation that is now "unchanged" is there already. Sorted by key, rows go into the
    b-tree in order (fewer page splits; the same lock order for concurrent ingests).

    Each edge also carries two flags the walks read instead of probing a node with
    nothing beyond it: ``parent_has_parents`` (its parent is the child of some edge) and
    ``child_has_children`` (its child is the parent of some edge). A flag only ever goes
    from 0 to 1, so :func:`_flag_edges` sets the new edges' flags from this document and
    what is stored, and raises the stored edges' flags this document makes true.
    """
    edges: set[tuple[str, str]] = set()
    children: set[str] = set()
    parents: set[str] = set()
    for table, child_at, parent_at in _EDGE_COLUMNS:
        rows = tables.get(table)
        if rows:
            table_parents = list(map(itemgetter(parent_at), rows))
            if None in table_parents:
                # used.entity and wasGeneratedBy.activity are optional: no edge without a parent
                # (child columns are NOT NULL: such a row has failed to insert already)
                rows = [row for row in rows if row[parent_at] is not None]
                table_parents = list(map(itemgetter(parent_at), rows))
            table_children = list(map(itemgetter(child_at), rows))
            edges.update(zip(table_children, table_parents))
            children.update(table_children)
            parents.update(table_parents)
    if not edges:
        return
    try:
        backend.insert_new(conn, "lineage_edge", _flag_edges(backend, conn, edges, children, parents))
    except Exception as exc:  # a driver error; StoreError lets Archive retry a PostgreSQL deadlock
        message = str(exc).strip()
        first_line = message.splitlines()[0] if message else type(exc).__name__
        raise StoreError(f"storing lineage edges failed: {first_line}") from exc


def _flag_edges(
    backend: Backend, conn: Connection, edges: set[tuple[str, str]], children: set[str], parents: set[str]
) -> list[tuple[str, str, int, int]]:
    """The rows of ``edges`` with their flags, sorted; the stored edges' flags brought up to date.

    A node has parents after this ingest if it is a child here or in a stored edge, and
    children if it is a parent here or in a stored edge: one index probe per node of the
    document and direction. A stored edge's flag can only be wrong (0) where its node
    gains an edge this way now, and such a node has been found by those probes already;
    only its edges whose flag is still 0 are updated.

    Concurrent PostgreSQL ingests would each miss the other's uncommitted edges, so they
    take this step one at a time (:meth:`Backend.lock_lineage`); SQLite writers are
    serialised anyway.
    """
    backend.lock_lineage(conn)
    # parents with stored parents of their own; children something stored depends on
    parents_with_parents = _stored_ends(backend, conn, "child", parents)
    children_with_children = _stored_ends(backend, conn, "parent", children)
    has_parents = children | parents_with_parents
    has_children = parents | children_with_children
    rows = [(child, parent, int(parent in has_parents), int(child in has_children)) for child, parent in sorted(edges)]
    # stored edges into a former root that now has parents, and out of a former leaf that
    # now has children (the new rows are not in yet: they are right already)
    for flag, column, nodes in (
        ("parent_has_parents", "parent", children_with_children),
        ("child_has_children", "child", parents_with_parents),
    ):
        if nodes:
            conn.execute(
                text(
                    f"UPDATE {SCHEMA}.lineage_edge SET {flag} = 1 "
                    f"WHERE {column} IN (SELECT ids.value FROM {backend.id_rows('ids')}) AND {flag} = 0"
                ),
                {"ids": orjson.dumps(sorted(nodes)).decode()},
            )
    return rows


def _stored_ends(backend: Backend, conn: Connection, column: str, nodes: set[str]) -> set[str]:
    """Which of ``nodes`` are the ``column`` (child or parent) of some stored edge.

    One probe per node, stopping at the first edge found (EXISTS), in key order (the
    ids sorted): a third of the server's time of an ``IN`` list on PostgreSQL.
    """
    if not nodes:
        return set()
    found = backend.fetch_raw(
        conn,
        f"SELECT ids.value FROM {backend.id_rows('ids')} "
        f"WHERE EXISTS (SELECT 1 FROM {SCHEMA}.lineage_edge AS e WHERE e.{column} = ids.value)",
        {"ids": orjson.dumps(sorted(nodes)).decode()},
    )
    return {node for (node,) in found}


def _explain_failure(table: str, rows: Sequence[tuple[Any, ...]], exc: Exception) -> str:
    """A message naming the first row that breaks a NOT NULL rule, else the driver's words."""
    spec = TABLE_BY_NAME[table]
    required = [i for i, c in enumerate(spec.columns) if not c.nullable]
    id_at = spec.column_names.index("id")
    for row in rows:
        for i in required:
            if row[i] is None:
                what = repr(row[id_at]) if row[id_at] else f"a {table} relation"
                return f"record {what}: {spec.columns[i].name} is required ({table})"
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"storing {table} rows failed: {first_line}"


def _describe(record: Record) -> str:
    return repr(record.id) if record.id else type(record).__name__


def _records(doc: Document, renames: Renames) -> Iterator[tuple[str, Record]]:
    """Every (bundle_id, record) of the document, names renamed where prefixes clash."""
    for bundle_id, bundle in (("", doc), *doc.bundles.items()):
        fn = renames.function(bundle)
        bid = renames.get_id(bundle_id) if bundle_id else ""
        for record in bundle.records:
            yield bid, (map_names(record, fn) if fn else record)


# ---------------------------------------------------------------------- conflicts


def _check_existing(
    backend: Backend, conn: Connection, table: str, rows: Sequence[tuple[Any, ...]], merge: bool
) -> int:
    """Compare the stored versions of ``rows`` with the new ones; refuse or merge differences.

    Returns how many stored records were completed by the merge.
    """
    spec = TABLE_BY_NAME[table]
    staged = backend.stage(conn, table, rows)
    names = spec.column_names
    differs = " OR ".join(f'NOT (s."{c}" IS NOT DISTINCT FROM t."{c}")' for c in names if c not in spec.key)
    if backend.name == "sqlite":
        differs = " OR ".join(f's."{c}" IS NOT t."{c}"' for c in names if c not in spec.key)
    found = conn.execute(
        text(
            f"SELECT {', '.join('s.' + c for c in names)} FROM {SCHEMA}.{table} s "
            f"JOIN {staged} t ON s.id = t.id AND s.bundle_id = t.bundle_id WHERE {differs}"
        )
    ).all()
    if not found:
        return 0
    stored = {(r[0], r[1]): tuple(r) for r in found}
    new_by_key: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
    for row in rows:
        if (row[0], row[1]) in stored:
            new_by_key.setdefault((row[0], row[1]), []).append(row)
    merged = 0
    for key, old in stored.items():
        current = old
        for new in new_by_key.get(key, []):
            if new == current:
                continue
            if not merge:
                raise ConflictError(key[0], _difference(names, current, new))
            current = _merge_rows(names, current, new)
        if current != old:
            sets = ", ".join(f'"{c}" = :{c}' for c in names if c not in spec.key)
            conn.execute(
                text(f"UPDATE {SCHEMA}.{table} SET {sets} WHERE id = :id AND bundle_id = :bundle_id"),
                dict(zip(names, current, strict=True)),
            )
            merged += 1
    return merged


def _normal(value: Any) -> Any:
    """Stored times come back as datetimes on PostgreSQL; compare them as stored text."""
    from datetime import datetime

    return db_time(value) if isinstance(value, datetime) else value


def _difference(names: Sequence[str], old: tuple[Any, ...], new: tuple[Any, ...]) -> str:
    parts = []
    for name, a, b in zip(names, old, new, strict=True):
        a, b = _normal(a), _normal(b)
        if a != b:
            parts.append(f"{name}: stored {a!r}, new {b!r}")
    return "; ".join(parts) or "rows differ"


def _merge_rows(names: Sequence[str], old: tuple[Any, ...], new: tuple[Any, ...]) -> tuple[Any, ...]:
    """The stored row completed with the new one (stored values win; attributes are united)."""
    out = []
    for name, a, b in zip(names, old, new, strict=True):
        a = _normal(a)
        if name == "attributes":
            stored = decode_attributes(a)
            extra = [pair for pair in decode_attributes(b) if pair not in stored]
            out.append(encode_attributes(stored + extra) if stored or extra else None)
        else:
            out.append(a if a is not None else b)
    return tuple(out)


def _execute_ignore(conn: Connection, table: str, columns: Sequence[str], values: Sequence[Any]) -> int:
    """Insert one row unless its key exists (the same SQL on both backends)."""
    cols = ", ".join(columns)
    params = ", ".join(f":p{i}" for i in range(len(values)))
    result = conn.execute(
        text(f"INSERT INTO {SCHEMA}.{table} ({cols}) VALUES ({params}) ON CONFLICT DO NOTHING"),
        {f"p{i}": v for i, v in enumerate(values)},
    )
    return int(result.rowcount)


# --------------------------------------------------------------------- namespaces


def read_namespaces(conn: Connection) -> dict[str, str]:
    """The archive's prefix → URI map (the prefix ``''`` is the default namespace)."""
    return dict(conn.execute(text(f"SELECT prefix, uri FROM {SCHEMA}.namespace")).all())


class Renames:
    """Prefix renames per bundle, decided when the document's namespaces meet the archive's."""

    def __init__(self) -> None:
        self.by_bundle: dict[int, dict[str, str]] = {}
        self.document: dict[str, str] = {}

    def function(self, bundle: Bundle) -> Any:
        renames = self.by_bundle.get(id(bundle))
        if not renames:
            return None

        def fn(name: str) -> str:
            prefix, sep, local = name.partition(":")
            if not sep:
                new = renames.get("")
                return f"{new}:{name}" if new else name
            if prefix in renames:
                new_prefix = renames[prefix]
                return f"{new_prefix}:{local}" if new_prefix else local
            return name

        return fn

    def get_id(self, ident: str) -> str:
        prefix, sep, local = ident.partition(":")
        if sep and prefix in self.document:
            return f"{self.document[prefix]}:{local}" if self.document[prefix] else local
        return ident


def reconcile_namespaces(conn: Connection, doc: Document) -> Renames:
    """Add the document's namespaces to the archive; return the renames they need."""
    stored = read_namespaces(conn)
    by_uri = {uri: prefix for prefix, uri in stored.items()}
    renames = Renames()
    for bundle in (doc, *doc.bundles.values()):
        declared = dict(bundle.namespaces.declared())
        if bundle.namespaces.default:
            declared[""] = bundle.namespaces.default
        mapping: dict[str, str] = {}
        for prefix, uri in declared.items():
            chosen = _claim(conn, stored, by_uri, prefix, uri)
            if chosen != prefix:
                mapping[prefix] = chosen
        if mapping:
            renames.by_bundle[id(bundle)] = mapping
            if bundle is doc:
                renames.document = mapping
    return renames


def _claim(conn: Connection, stored: dict[str, str], by_uri: dict[str, str], prefix: str, uri: str) -> str:
    """The archive prefix for ``uri``: the existing one, ``prefix`` if free, else a fresh one."""
    existing = by_uri.get(uri)
    if existing is not None:
        return existing
    candidates: Iterable[str] = (prefix, *(f"{prefix or 'ns'}_{n}" for n in range(1, 10_000)))
    for candidate in candidates:
        if candidate in stored:
            if stored[candidate] == uri:
                return candidate
            continue
        inserted = conn.execute(
            text(f"INSERT INTO {SCHEMA}.namespace (prefix, uri) VALUES (:p, :u) ON CONFLICT DO NOTHING"),
            {"p": candidate, "u": uri},
        ).rowcount
        if inserted:
            stored[candidate] = uri
            by_uri[uri] = candidate
            return candidate
        # another process took it meanwhile: re-read and try again
        stored.update(read_namespaces(conn))
        by_uri.update({u: p for p, u in stored.items()})
        if by_uri.get(uri) is not None:
            return by_uri[uri]
    raise StoreError(f"no free prefix for namespace {uri!r}")
