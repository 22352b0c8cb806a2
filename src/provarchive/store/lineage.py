"""Lineage: walk the provenance graph back (how was X made?) or forth (what used X?).

The walk is one recursive CTE over ``lineage_edge(child, parent)``, the lineage graph
that ingest derives from the relations below, read through its covering b-tree in the
direction of the walk: one index probe per node and step (reference/platform.md §6).
Going back from a node:

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
derived from. UNION removes duplicates, so diamonds are read once and cycles end.

The result is a :class:`Document` holding the records reached, the relations between
them and, on request, their agents, descriptions and configuration.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

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


def walk(
    backend: Backend,
    conn: Connection,
    ids: Sequence[str],
    *,
    direction: str = "back",
    depth: int | None = None,
    members: bool = False,
) -> dict[str, int | None]:
    """Every node reached from ``ids`` (themselves included) → its distance (None when unlimited)."""
    if depth is not None and depth < 0:
        raise ValueError(f"depth must be >= 0 or None (all), not {depth}")
    if direction not in ("back", "forth"):
        raise ValueError(f"direction must be 'back' or 'forth', not {direction!r}")
    sql = backend.walk_sql(direction, members=members, limited=depth is not None)
    params: dict[str, Any] = {"start": backend.id_param(list(ids))}
    if depth is not None:
        params["depth"] = depth
    # straight to the driver: a walk may return tens of thousands of rows, and SQLAlchemy's
    # result machinery would cost more than the walk itself on small graphs
    return dict(backend.fetch_raw(conn, sql, params))


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
