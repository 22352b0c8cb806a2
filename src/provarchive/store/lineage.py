"""Lineage: walk the provenance graph back (how was X made?) or forth (what used X?).

The walk reads ``lineage_edge(child, parent)``, the lineage graph that ingest derives
from the relations below, through its covering b-tree in the direction of the walk: one
index probe per node and step (reference/platform.md §6). Going back from a node:

=================  =========================  ==========================
relation           from                       to
=================  =========================  ==========================
wasGeneratedBy     entity                     activity that made it
used               activity                   entity it used
wasDerivedFrom     generated entity           source entity
wasInformedBy      informed activity          informant activity
hadMember          collection                 member (``members=True``)
=================  =========================  ==========================

hadMember is not in ``lineage_edge``: with ``members=True`` the walk reads the
``hadmember`` table's own covering indexes as a second recursive step.

Going forth swaps the columns. ``depth`` counts relations followed (ProvSAP DEPTH):
depth 1 from a product gives the activity that generated it and the entities it was
derived from; each node reached gets its shortest distance. Diamonds are read once and
cycles end.

Each edge also says whether the node it leads to has edges of its own in the
direction of the walk (``parent_has_parents``, ``child_has_children``, kept by ingest):
a node without (a raw file going back, a final product going forth) is added to the
result without being probed. Walks with ``members=True`` do not use the flags, since a
node without lineage edges onward may still have members.

How the walk runs depends on the backend (:attr:`Backend.walks_by_level`):

* on PostgreSQL, one recursive CTE (:meth:`Backend.walk_sql`, UNION removes
  duplicates): one round trip, whatever the depth;
* on SQLite, breadth first, one query per level (:meth:`Backend.walk_step_sql`): the
  frontier goes in as one JSON array, its neighbours come back as two JSON arrays, and
  a dict of what was reached removes what was seen. The next frontier keeps the order the
  index gave (each node's neighbours in key order, nodes in the order of the frontier):
  sorting it makes consecutive probes share more b-tree pages, but costs more in Python
  than that saves in SQLite. In-process queries cost microseconds, less than the CTE's own queue and distinct
  b-tree per node; but on a chain (one node per level) the CTE is cheaper, so a walk
  deeper than :data:`LEVELS_BEFORE_CTE` finishes with the CTE from its frontier.
  Levels run in one read transaction: the walk sees one state of the archive, as the
  single CTE does.

The result is a :class:`Document` holding the records reached, the relations between
them and, on request, their agents, descriptions and configuration.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, text

from ..model import Document, Element, Namespaces, Record
from .engine import Backend
from .rows import from_row
from .schema import SCHEMA, TABLE_BY_NAME

__all__ = ["walk", "lineage_document", "fetch_records", "edges_for"]

#: (table, column towards the product, column towards the inputs) for the lineage walk.
LINEAGE_EDGES: tuple[tuple[str, str, str], ...] = (
    ("wasgeneratedby", "entity", "activity"),
    ("used", "activity", "entity"),
    ("wasderivedfrom", "generated_entity", "used_entity"),
    ("wasinformedby", "informed", "informant"),
)
MEMBER_EDGE = ("hadmember", "collection", "entity")


def edges_for(direction: str, members: bool) -> list[tuple[str, str, str]]:
    """The (table, from, to) edges a walk follows in ``direction`` ("back" or "forth")."""
    if direction not in ("back", "forth"):
        raise ValueError(f"direction must be 'back' or 'forth', not {direction!r}")
    edges = list(LINEAGE_EDGES) + ([MEMBER_EDGE] if members else [])
    if direction == "forth":
        edges = [(table, to, frm) for table, frm, to in edges]
    return edges


#: Levels a level-by-level walk goes before finishing with the recursive CTE. Each level
#: is a query (about 3 µs of fixed cost on SQLite, the CTE's cost for 3-4 nodes): lineage
#: of pipelines is a few levels deep and wide, while a graph deeper than this is mostly
#: a chain (one version derived from the previous), where the CTE is 3-4x cheaper.
LEVELS_BEFORE_CTE = 64


def walk(
    backend: Backend,
    conn: Connection,
    ids: Sequence[str],
    *,
    direction: str = "back",
    depth: int | None = None,
    members: bool = False,
) -> dict[str, int | None]:
    """Every node reached from ``ids`` (themselves included) → its distance (None when unlimited).

    The keys come in no promised order (it differs between the backends and the ways of
    walking); callers sort what they show.
    """
    if depth is not None and depth < 0:
        raise ValueError(f"depth must be >= 0 or None (all), not {depth}")
    if direction not in ("back", "forth"):
        raise ValueError(f"direction must be 'back' or 'forth', not {direction!r}")
    if backend.walks_by_level:
        return _walk_by_level(backend, conn, list(ids), direction, depth, members)
    return _walk_in_one_query(backend, conn, list(ids), direction, depth, members)


def _walk_in_one_query(
    backend: Backend, conn: Connection, ids: list[str], direction: str, depth: int | None, members: bool
) -> dict[str, int | None]:
    """The walk as one recursive CTE (distances from ``ids``; None when ``depth`` is None)."""
    sql = backend.walk_sql(direction, members=members, limited=depth is not None)
    params: dict[str, Any] = {"start": backend.id_param(ids)}
    if depth is not None:
        params["depth"] = depth
    # straight to the driver: SQLAlchemy's result machinery would cost more than the walk
    # itself on small graphs
    ((ids_reached, depths),) = backend.fetch_raw(conn, sql, params)
    reached = backend.array_value(ids_reached)
    if depth is None:
        return dict.fromkeys(reached)
    return dict(zip(reached, backend.array_value(depths), strict=True))


def _walk_by_level(
    backend: Backend, conn: Connection, ids: list[str], direction: str, depth: int | None, members: bool
) -> dict[str, int | None]:
    """Breadth first, one query per level (see the module documentation)."""
    limited = depth is not None
    reached: dict[str, int | None] = dict.fromkeys(ids, 0 if limited else None)
    frontier = sorted(reached)
    dbapi = backend.dbapi(conn)
    own_transaction = not dbapi.in_transaction
    if own_transaction:
        dbapi.execute("BEGIN")  # one snapshot for every level (WAL readers do not block writers)
    try:
        cursor = dbapi.cursor()
        step = backend.walk_step_sql(direction, members=members)
        level = 0
        while frontier and (depth is None or level < depth):
            if level == LEVELS_BEFORE_CTE:
                # deep: the rest of the walk in one query; every path to an unseen node
                # goes through the frontier, so its distance is level + its distance from there
                rest = _walk_in_one_query(
                    backend, conn, frontier, direction, None if depth is None else depth - level, members
                )
                for node, distance in rest.items():
                    if node not in reached:
                        reached[node] = None if distance is None else level + distance
                break
            level += 1
            found, ends = cursor.execute(step, {"frontier": orjson.dumps(frontier).decode()}).fetchone()
            distance = level if limited else None
            # deduplicated by a dict, which keeps the order found (not sorted: sorting cost
            # more than the b-tree locality it buys the next level's probes)
            new = dict.fromkeys(orjson.loads(found), distance)
            for node in new.keys() & reached.keys():
                del new[node]
            reached.update(new)
            frontier = list(new)
            if ends != "[]":
                # nodes with no edge onward: reached, never probed
                last = dict.fromkeys(orjson.loads(ends), distance)
                if limited:  # unlimited, every distance is None: overwriting changes nothing
                    for node in last.keys() & reached.keys():
                        del last[node]
                reached.update(last)
        cursor.close()
    finally:
        if own_transaction:
            dbapi.execute("COMMIT")  # a read transaction: nothing to write, only the snapshot ends
    return reached


def fetch_records(
    backend: Backend, conn: Connection, table: str, column: str, ids: Iterable[str], *, extra: str = ""
) -> list[tuple[str, Record]]:
    """(bundle_id, record) of every row of ``table`` whose ``column`` is in ``ids``."""
    id_list = list(ids)
    if not id_list:
        return []
    columns = ", ".join(f'"{c}"' for c in TABLE_BY_NAME[table].column_names)
    sql = f"SELECT {columns} FROM {SCHEMA}.{table} WHERE {column} IN {backend.id_list('ids')}{extra}"
    rows = conn.execute(text(sql), {"ids": backend.id_param(id_list)}).all()
    return [from_row(table, row) for row in rows]


def _relations_within(
    backend: Backend, conn: Connection, table: str, frm: str, to: str, nodes: Sequence[str]
) -> list[tuple[str, Record]]:
    """Relations of ``table`` whose two ends are both in ``nodes``.

    Only one end is given to the database: with both, SQLite probes the index for every
    pair of the two lists (millions of probes for a few thousand nodes).
    """
    inside = set(nodes)
    found = fetch_records(backend, conn, table, frm, nodes)
    return [(bundle_id, record) for bundle_id, record in found if getattr(record, to) in inside]


class _Collector:
    """Gathers records into one Document, each identified record once (document level first)."""

    def __init__(self, namespaces: Namespaces) -> None:
        self.doc = Document(namespaces=namespaces)
        self._seen: set[str] = set()

    def add(self, found: Iterable[tuple[str, Record]]) -> list[Record]:
        added = []
        for _bundle_id, record in sorted(found, key=lambda pair: pair[0] != ""):
            if isinstance(record, Element):
                if record.id in self._seen:
                    continue
                self._seen.add(record.id)
            self.doc.add(record)
            added.append(record)
        return added


def lineage_document(
    backend: Backend,
    conn: Connection,
    namespaces: Namespaces,
    ids: Sequence[str],
    *,
    direction: str = "back",
    depth: int | None = 1,
    members: bool = False,
    agents: bool = True,
    descriptions: bool = True,
    configuration: bool = True,
) -> Document:
    """The lineage of ``ids`` as a Document (see the module documentation)."""
    reached = walk(backend, conn, ids, direction=direction, depth=depth, members=members)
    nodes = sorted(reached)
    out = _Collector(namespaces)
    entities = out.add(fetch_records(backend, conn, "entity", "id", nodes))
    activities = out.add(fetch_records(backend, conn, "activity", "id", nodes))
    for table, frm, to in edges_for("back", members):
        out.add(_relations_within(backend, conn, table, frm, to, nodes))
    entity_ids = [r.id for r in entities if r.id]
    activity_ids = [r.id for r in activities if r.id]
    if agents:
        associations = out.add(fetch_records(backend, conn, "wasassociatedwith", "activity", activity_ids))
        attributions = out.add(fetch_records(backend, conn, "wasattributedto", "entity", entity_ids))
        agent_ids = {getattr(r, "agent", None) for r in (*associations, *attributions)} - {None}
        out.add(fetch_records(backend, conn, "agent", "id", agent_ids))  # type: ignore[arg-type]
        out.add(fetch_records(backend, conn, "actedonbehalfof", "delegate", agent_ids))  # type: ignore[arg-type]
    if configuration:
        links = out.add(fetch_records(backend, conn, "wasconfiguredby", "activity", activity_ids))
        artefacts = {getattr(r, "artefact", None) for r in links} - {None}
        params = out.add(fetch_records(backend, conn, "parameter", "id", artefacts))  # type: ignore[arg-type]
        configs = out.add(fetch_records(backend, conn, "configfile", "id", artefacts))  # type: ignore[arg-type]
    else:
        params, configs = [], []
    if descriptions:
        activity_descriptions = {getattr(r, "description", None) for r in activities} - {None}
        out.add(fetch_records(backend, conn, "activitydescription", "id", activity_descriptions))  # type: ignore[arg-type]
        entity_descriptions = {getattr(r, "description", None) for r in entities} - {None}
        out.add(fetch_records(backend, conn, "entitydescription", "id", entity_descriptions))  # type: ignore[arg-type]
        role_ids = {getattr(r, "usage_description", None) for r in out.doc.records} | {
            getattr(r, "generation_description", None) for r in out.doc.records
        }
        role_ids -= {None}
        for table in ("usagedescription", "generationdescription"):
            out.add(fetch_records(backend, conn, table, "id", role_ids))  # type: ignore[arg-type]
        if configuration:
            out.add(
                fetch_records(
                    backend,
                    conn,
                    "parameterdescription",
                    "id",
                    {getattr(r, "description", None) for r in params} - {None},  # type: ignore[arg-type]
                )
            )
            out.add(
                fetch_records(
                    backend,
                    conn,
                    "configfiledescription",
                    "id",
                    {getattr(r, "description", None) for r in configs} - {None},  # type: ignore[arg-type]
                )
            )
    return out.doc
