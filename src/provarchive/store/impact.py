"""Impact: everything downstream of an entity, and marks for what must be redone.

When a file turns out to be wrong, :func:`impact` lists every entity and activity that
depends on it, directly or not, with what the archive knows about each (its
EntityDescription name and type, which carries the data level, and its content type),
so that an operator can decide what to reprocess. :func:`mark` records that decision
in the ``mark`` table; the provenance records themselves are never modified.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, text

from ..model.ids import utcnow
from .engine import Backend
from .lineage import walk
from .rows import db_time, py_time
from .schema import SCHEMA

__all__ = ["ImpactItem", "impact", "mark", "marks_of"]


@dataclass
class ImpactItem:
    """One record downstream of the entity asked about."""

    id: str
    kind: str
    """``entity`` or ``activity``."""
    name: str | None = None
    location: str | None = None
    entity_kind: str | None = None
    """Entity, Collection, DatasetEntity or ValueEntity (entities only)."""
    description: str | None = None
    """Name of the EntityDescription (entities) or ActivityDescription (activities)."""
    type: str | None = None
    """Description type: the data level of an entity (DL1, DL2, ...), the activity type."""
    content_type: str | None = None
    version: str | None = None
    time: datetime | None = None
    """Generation time (entities) or start time (activities)."""
    marks: list[str] = field(default_factory=list)


def impact(backend: Backend, conn: Connection, entity_id: str, *, members: bool = True) -> list[ImpactItem]:
    """Every entity and activity downstream of ``entity_id`` (not itself), entities first, by id."""
    reached = walk(backend, conn, [entity_id], direction="forth", depth=None, members=members)
    reached.pop(entity_id, None)
    if not reached:
        return []
    ids = backend.id_param(sorted(reached))
    idset = backend.id_list("ids")
    items: dict[str, ImpactItem] = {}
    entities = conn.execute(
        text(
            "SELECT e.id, e.name, e.location, e.kind, ed.name, ed.type, ed.content_type, e.generated_at_time"
            f" FROM {SCHEMA}.entity e LEFT JOIN {SCHEMA}.entitydescription ed"
            " ON ed.id = e.description AND ed.bundle_id = ''"
            f" WHERE e.bundle_id = '' AND e.id IN {idset} ORDER BY e.id"
        ),
        {"ids": ids},
    )
    for ident, name, location, kind, dname, dtype, ctype, when in entities:
        items[ident] = ImpactItem(ident, "entity", name, location, kind, dname, dtype, ctype, None, py_time(when))
    activities = conn.execute(
        text(
            "SELECT a.id, a.name, ad.name, ad.type, ad.version, a.start_time"
            f" FROM {SCHEMA}.activity a LEFT JOIN {SCHEMA}.activitydescription ad"
            " ON ad.id = a.description AND ad.bundle_id = ''"
            f" WHERE a.bundle_id = '' AND a.id IN {idset} ORDER BY a.id"
        ),
        {"ids": ids},
    )
    for ident, name, dname, dtype, version, when in activities:
        items.setdefault(
            ident, ImpactItem(ident, "activity", name, None, None, dname, dtype, None, version, py_time(when))
        )
    for ident, mark_name in conn.execute(
        text(f"SELECT record_id, mark FROM {SCHEMA}.mark WHERE record_id IN {idset} ORDER BY mark"), {"ids": ids}
    ):
        if ident in items:
            items[ident].marks.append(mark_name)
    return sorted(items.values(), key=lambda item: (item.kind != "entity", item.id))


def mark(
    conn: Connection, ids: Sequence[str], mark_name: str, *, note: str | None = None, by: str | None = None
) -> int:
    """Put ``mark_name`` on each id (again: note, author and time are updated); return how many."""
    if not mark_name or not mark_name.strip():
        raise ValueError("a mark needs a name, e.g. 'reprocess'")
    unique = list(dict.fromkeys(ids))
    when = db_time(utcnow())
    params = [{"r": i, "m": mark_name, "n": note, "b": by, "t": when} for i in unique]
    if not params:
        return 0
    conn.execute(
        text(
            f"INSERT INTO {SCHEMA}.mark (record_id, mark, note, marked_by, marked_at) VALUES (:r, :m, :n, :b, :t)"
            " ON CONFLICT (record_id, mark) DO UPDATE SET note = excluded.note, marked_by = excluded.marked_by,"
            " marked_at = excluded.marked_at"
        ),
        params,
    )
    return len(unique)


def marks_of(conn: Connection, mark_name: str | None = None) -> list[dict[str, object]]:
    """Every mark (optionally only ``mark_name``), oldest first."""
    sql = f"SELECT record_id, mark, note, marked_by, marked_at FROM {SCHEMA}.mark"
    params: dict[str, object] = {}
    if mark_name is not None:
        sql += " WHERE mark = :m"
        params["m"] = mark_name
    rows = conn.execute(text(sql + " ORDER BY marked_at, record_id"), params).mappings()
    return [{**row, "marked_at": py_time(row["marked_at"])} for row in rows]
