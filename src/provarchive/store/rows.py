"""Records ↔ table rows: the one mapping between the model and the archive tables.

Rows are plain tuples in the column order of :mod:`.schema` so that the bulk paths
(``executemany``, ``COPY``) take them as they are. The per-class plans are built once
from the table specs; a record becomes a row with a few attribute reads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

import orjson

from ..model import (
    RELATION_CLASSES,
    Activity,
    ActivityDescription,
    Agent,
    Collection,
    ConfigFile,
    ConfigFileDescription,
    DatasetDescription,
    DatasetEntity,
    Element,
    Entity,
    EntityDescription,
    GenerationDescription,
    Literal,
    Parameter,
    ParameterDescription,
    QName,
    Record,
    UsageDescription,
    ValueDescription,
    ValueEntity,
    WasConfiguredBy,
)
from .schema import TABLE_BY_NAME, TableSpec

__all__ = [
    "TABLE_OF_CLASS",
    "to_row",
    "from_row",
    "encode_attributes",
    "decode_attributes",
    "db_time",
    "py_time",
]

#: The table holding each model class.
TABLE_OF_CLASS: dict[type[Record], str] = {
    Entity: "entity",
    Collection: "entity",
    ValueEntity: "entity",
    DatasetEntity: "entity",
    Activity: "activity",
    Agent: "agent",
    ActivityDescription: "activitydescription",
    EntityDescription: "entitydescription",
    DatasetDescription: "entitydescription",
    ValueDescription: "entitydescription",
    UsageDescription: "usagedescription",
    GenerationDescription: "generationdescription",
    ParameterDescription: "parameterdescription",
    ConfigFileDescription: "configfiledescription",
    Parameter: "parameter",
    ConfigFile: "configfile",
    WasConfiguredBy: "wasconfiguredby",
    **{cls: cls.kind.lower() for cls in RELATION_CLASSES.values()},
}
#: Value of the ``kind`` column for entity and entity-description subclasses.
KIND_OF_CLASS: dict[type[Record], str] = {
    Entity: "Entity",
    Collection: "Collection",
    ValueEntity: "ValueEntity",
    DatasetEntity: "DatasetEntity",
    EntityDescription: "EntityDescription",
    DatasetDescription: "DatasetDescription",
    ValueDescription: "ValueDescription",
}
CLASS_OF_KIND: dict[str, type[Record]] = {v: k for k, v in KIND_OF_CLASS.items()}
CLASS_OF_TABLE: dict[str, type[Record]] = {
    "activity": Activity,
    "agent": Agent,
    "activitydescription": ActivityDescription,
    "usagedescription": UsageDescription,
    "generationdescription": GenerationDescription,
    "parameterdescription": ParameterDescription,
    "configfiledescription": ConfigFileDescription,
    "parameter": Parameter,
    "configfile": ConfigFile,
    "wasconfiguredby": WasConfiguredBy,
    **{cls.kind.lower(): cls for cls in RELATION_CLASSES.values()},
}
#: Column name → model attribute name where they differ.
ATTRIBUTE_OF_COLUMN = {"min_value": "min", "max_value": "max", "default_value": "default"}

_UTC = timezone.utc


# ------------------------------------------------------------------------- values


def db_time(value: datetime | None) -> str | None:
    """A time as stored: UTC, ISO 8601 with microseconds (naive times are taken as UTC)."""
    if value is None:
        return None
    if type(value) is not datetime and not isinstance(value, datetime):
        raise ValueError(f"expected a time, got {value!r}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=_UTC)
    elif value.utcoffset():
        value = value.astimezone(_UTC)
    return value.isoformat(timespec="microseconds")


def py_time(value: Any) -> datetime | None:
    """A stored time back as an aware UTC datetime (SQLite gives text, PostgreSQL datetimes)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(_UTC) if value.tzinfo else value.replace(tzinfo=_UTC)
    return datetime.fromisoformat(value)


def encode_attributes(attributes: list[tuple[str, Any]]) -> str | None:
    """Extra attributes as JSON text: ``[[name, tag, value], ...]`` (see schema doc)."""
    if not attributes:
        return None
    out: list[tuple[str, str, Any]] = []
    for name, value in attributes:
        kind = type(value)
        if kind is str:
            out.append((name, "s", value))
        elif kind is QName:
            out.append((name, "q", str(value)))
        elif kind is bool:
            out.append((name, "b", value))
        elif kind is int:
            out.append((name, "i", value) if -(2**63) <= value < 2**63 else (name, "I", str(value)))
        elif kind is float:
            out.append(
                (name, "f", value) if value == value and abs(value) != float("inf") else (name, "F", repr(value))
            )
        elif isinstance(value, datetime):
            out.append((name, "t", value.isoformat()))
        elif isinstance(value, Literal):
            out.append((name, "l", (value.value, value.datatype, value.lang)))
        elif isinstance(value, str):  # other str subclasses
            out.append((name, "s", str(value)))
        else:
            raise ValueError(f"attribute {name}: unsupported value {value!r}")
    return orjson.dumps(out).decode()


def decode_attributes(text: str | None) -> list[tuple[str, Any]]:
    """The attributes stored by :func:`encode_attributes`."""
    if not text:
        return []
    out: list[tuple[str, Any]] = []
    for name, tag, value in orjson.loads(text):
        if tag == "s":
            out.append((name, value))
        elif tag == "q":
            out.append((name, QName(value)))
        elif tag in ("b", "i", "f"):
            out.append((name, value))
        elif tag == "I":
            out.append((name, int(value)))
        elif tag == "F":
            out.append((name, float(value)))
        elif tag == "t":
            out.append((name, datetime.fromisoformat(value)))
        elif tag == "l":
            out.append((name, Literal(value[0], value[1], value[2])))
        else:
            raise ValueError(f"stored attribute {name}: unknown tag {tag!r}")
    return out


def _json_list(values: list[str] | None) -> str | None:
    return orjson.dumps(list(values)).decode() if values else None


def relation_key(content: tuple[Any, ...]) -> str:
    """The content digest that identifies a relation row (``rkey``)."""
    return hashlib.blake2b(repr(content).encode(), digest_size=16).hexdigest()


# --------------------------------------------------------------------- to rows

Getter = Callable[[Record, str], Any]


def _plan(cls: type[Record], spec: TableSpec) -> tuple[tuple[str, str], ...]:
    """(how, attribute) per column after the key columns, for ``cls`` into ``spec``."""
    plan: list[tuple[str, str]] = []
    for column in spec.columns:
        name = column.name
        if name in ("rkey", "bundle_id"):
            continue
        if name == "kind":
            plan.append(("kind", KIND_OF_CLASS[cls]))
        elif name == "attributes":
            plan.append(("attributes", name))
        elif column.kind == "time":
            plan.append(("time", name))
        elif column.kind == "json":
            plan.append(("list", name))
        else:
            plan.append(("attr", ATTRIBUTE_OF_COLUMN.get(name, name)))
    return tuple(plan)


class RowMaker:
    """Turns records into rows of their table.

    For speed (ingest budget: 200k records/s) each class gets a small generated function
    that reads its slots into a tuple in column order, e.g. for Used::

        def row(r, b):
            c = (b, r.id, r.activity, r.entity, T(r.time), r.role, r.usage_description,
                 A(r._attributes) if r._attributes else None)
            return (K(c),) + c

    The source is built from the same plan as everything else (:func:`_plan`).
    """

    def __init__(self) -> None:
        self._makers: dict[type[Record], tuple[str, Callable[[Record, str], tuple[Any, ...]]]] = {}

    def maker(self, cls: type[Record]) -> tuple[str, Callable[[Record, str], tuple[Any, ...]]]:
        found = self._makers.get(cls)
        if found is None:
            table = TABLE_OF_CLASS.get(cls)
            if table is None:
                raise ValueError(f"the archive cannot store records of class {cls.__name__}")
            spec = TABLE_BY_NAME[table]
            found = (table, _compile(cls, spec))
            self._makers[cls] = found
        return found

    def row(self, record: Record, bundle_id: str) -> tuple[str, tuple[Any, ...]]:
        """(table, row) for one record."""
        table, make = self._makers.get(type(record)) or self.maker(type(record))
        return table, make(record, bundle_id)


def _compile(cls: type[Record], spec: TableSpec) -> Callable[[Record, str], tuple[Any, ...]]:
    """The generated row function of ``cls`` (see :class:`RowMaker`)."""
    slots: set[str] = set()
    for klass in cls.__mro__:
        slots.update(getattr(klass, "__slots__", ()))
    parts = []
    for how, name in _plan(cls, spec):
        if how == "kind":
            parts.append(repr(name))
        elif how == "attributes":
            parts.append("A(r._attributes) if r._attributes else None")
        elif name not in slots and not hasattr(cls, name):
            parts.append("None")  # e.g. content_type of a plain EntityDescription
        elif how == "attr":
            parts.append(f"r.{name}")
        elif how == "time":
            parts.append(f"T(r.{name})")
        else:
            parts.append(f"J(r.{name})")
    if spec.edge is not None:
        body = f"    c = (b, {', '.join(parts)})\n    return (K(c),) + c\n"
    else:
        body = f"    return ({parts[0]}, b, {', '.join(parts[1:])})\n"
    namespace: dict[str, Any] = {"A": encode_attributes, "T": db_time, "J": _json_list, "K": relation_key}
    exec(f"def row(r, b):\n{body}", namespace)  # noqa: S102 - source built above from the schema only
    return namespace["row"]  # type: ignore[no-any-return]


def to_row(record: Record, bundle_id: str = "") -> tuple[str, tuple[Any, ...]]:
    """(table, row) of one record (convenience; ingest uses a shared :class:`RowMaker`)."""
    return RowMaker().row(record, bundle_id)


# ------------------------------------------------------------------- from rows


def from_row(table: str, row: Any) -> tuple[str, Record]:
    """(bundle_id, record) from a row of ``table`` (a sequence in column order).

    Records are built without their constructors (the row is already valid, and a
    lineage answer may hold tens of thousands of them): every slot is set from its
    column, slots without a column (e.g. ``value`` of a plain Entity) stay empty.
    """
    spec = TABLE_BY_NAME[table]
    kind_at = _COLUMN_INDEX[table].get("kind")
    cls = CLASS_OF_KIND[row[kind_at]] if kind_at is not None else CLASS_OF_TABLE[table]
    plan = _READ_PLANS.get((table, cls)) or _read_plan(spec, cls)
    record = cls.__new__(cls)
    for attr, index, conv in plan:
        value = row[index]
        if conv == "t":
            value = py_time(value) if value is not None else None
        elif conv == "j":
            value = orjson.loads(value) if value else []
        elif conv == "a":
            value = decode_attributes(value)
        elif conv == "0":
            value = None
        elif conv == "[":
            value = []
        setattr(record, attr, value)
    if isinstance(record, Element):
        record._bundle = None
    return row[_COLUMN_INDEX[table]["bundle_id"]], record


_COLUMN_INDEX: dict[str, dict[str, int]] = {
    spec.name: {c.name: i for i, c in enumerate(spec.columns)} for spec in TABLE_BY_NAME.values()
}
_READ_PLANS: dict[tuple[str, type[Record]], tuple[tuple[str, int, str], ...]] = {}


def _read_plan(spec: TableSpec, cls: type[Record]) -> tuple[tuple[str, int, str], ...]:
    """(slot, column index, conversion) for building ``cls`` from rows of ``spec``; cached."""
    index = _COLUMN_INDEX[spec.name]
    slots = ["id", "attributes", *(n for n, _k in cls.FORMAL), *cls.IVOA]
    by_attr = {ATTRIBUTE_OF_COLUMN.get(c.name, c.name): c for c in spec.columns}
    plan: list[tuple[str, int, str]] = []
    for slot in slots:
        column = by_attr.get(slot)
        if column is None:
            plan.append((slot, 0, "[" if slot in ("entity_descriptions", "options") else "0"))
        elif slot == "attributes":
            plan.append((slot, index[column.name], "a"))
        elif column.kind == "time":
            plan.append((slot, index[column.name], "t"))
        elif column.kind == "json":
            plan.append((slot, index[column.name], "j"))
        else:
            plan.append((slot, index[column.name], ""))
    found = tuple(plan)
    _READ_PLANS[(spec.name, cls)] = found
    return found


def rows_by_table(records: Iterable[tuple[str, Record]], maker: RowMaker) -> dict[str, list[tuple[Any, ...]]]:
    """Group the rows of (bundle_id, record) pairs by table."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for bundle_id, record in records:
        table, row = maker.row(record, bundle_id)
        bucket = out.get(table)
        if bucket is None:
            out[table] = [row]
        else:
            bucket.append(row)
    return out
