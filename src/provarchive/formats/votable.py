"""PROV-VOTABLE: a whole provenance document as VOTable tables, one per ProvDM class.

The layout follows the ProvDM working drafts (reference/provdm.md §2, "whole
document") and the ProvTAP table names::

    <RESOURCE ID="provenance" type="results" utype="voprov:Provenance">
      <INFO name="QUERY_STATUS" value="OK"/>
      <PARAM name="xmlns:ex" value="http://example.org/" utype="voprov:namespace" .../>
      <TABLE name="entity" utype="voprov:Entity">
        <FIELD name="id" utype="voprov:Entity.id" ucd="meta.id;meta.main" .../>
        <FIELD name="name" utype="voprov:Entity.name" ucd="meta.title" .../>
        ...
        <FIELD name="attributes" .../>   extra attributes as PROV-JSON-style JSON
      </TABLE>
      <TABLE name="used" utype="voprov:Used"> ...

The drafts wrote ``RESOURCE type="provenance"``, but the VOTable schema only allows
``results`` or ``meta`` there (STILTS votlint and astropy reject anything else), so
the resource is ``type="results"`` with ``ID="provenance"``; the reader accepts the
draft spelling too. Tables hold IVOA records directly (not W3C statements): this is the
IVOA view, the one a ProvTAP service shows, with the archive's table names. Each table
is named after its class in lower case; as in the archive, ``entity`` also holds
Collections, DatasetEntities and ValueEntities and ``entitydescription`` the Dataset-
and ValueDescriptions, told apart by a ``kind`` column. W3C relations without an IVOA
class (wasStartedBy, ...) get tables too, so nothing is lost. Bundles, when present,
add an ``inBundle`` column to every table.
"""

from __future__ import annotations

import io
import json
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np
from astropy.io.votable import parse as parse_votable
from astropy.io.votable.exceptions import VOTableSpecWarning, VOWarning
from astropy.io.votable.tree import Field, Info, Param, Resource, TableElement, VOTableFile

from ..model import Bundle, Document
from ..model.configuration import ConfigFile, Parameter, WasConfiguredBy
from ..model.descriptions import DESCRIPTION_CLASSES
from ..model.records import (
    RELATION_CLASSES,
    Activity,
    Agent,
    Collection,
    DatasetEntity,
    Entity,
    Record,
    Relation,
    ValueEntity,
)
from ..util import paused_gc
from .errors import FormatError
from .provxml import parse_xml
from .xsd_values import from_lexical, parse_datetime, to_lexical

__all__ = ["dumps", "loads", "CLASSES", "table_name"]

FORMAT = "PROV-VOTABLE"

#: Every record class by its VO-DML name (the table utype ``voprov:<name>``).
CLASSES: dict[str, type[Record]] = {
    "Entity": Entity,
    "Collection": Collection,
    "ValueEntity": ValueEntity,
    "DatasetEntity": DatasetEntity,
    "Activity": Activity,
    "Agent": Agent,
    **{name: cls for name, cls in DESCRIPTION_CLASSES.items()},
    "Parameter": Parameter,
    "ConfigFile": ConfigFile,
    "WasConfiguredBy": WasConfiguredBy,
    **{kind[0].upper() + kind[1:]: cls for kind, cls in RELATION_CLASSES.items()},
}
_NAME_OF = {cls: name for name, cls in CLASSES.items()}

# Python slot → VO-DML attribute name where camelCase alone is not the VO-DML name.
_VODML_OVERRIDES: dict[tuple[type[Record], str], str] = {
    (Activity, "description"): "activityDescription",
    (Parameter, "description"): "parameterDescription",
    (ConfigFile, "description"): "configFileDescription",
}
_TIME_SLOTS = frozenset({"start_time", "end_time", "time", "generated_at_time", "invalidated_at_time"})
_LIST_SLOTS = frozenset({"options", "entity_descriptions"})
_UCDS = {
    "id": "meta.id;meta.main",
    "name": "meta.title",
    "start_time": "time.start",
    "end_time": "time.end",
    "time": "time.epoch",
    "generated_at_time": "time.creation",
    "invalidated_at_time": "time.end",
    "location": "meta.ref.url",
    "docurl": "meta.ref.url",
    "url": "meta.ref.url",
    "email": "meta.email",
    "comment": "meta.note",
    "unit": "meta.unit",
    "ucd": "meta.ucd",
    "kind": "meta.code.class",
    "attributes": "meta.note",
}


def table_name(cls: type[Record]) -> str:
    """The table holding records of ``cls`` (ProvTAP names: ``entity`` also holds collections, ...)."""
    return _LAYOUT_OF[cls].name


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _columns(cls: type[Record]) -> list[tuple[str, str]]:
    """(python slot, VO-DML attribute name) of every column of ``cls``'s table."""
    slots = ["id"] + [name for name, _key in cls.FORMAL] + list(cls.IVOA)
    out = []
    for slot in dict.fromkeys(slots):
        vodml = _VODML_OVERRIDES.get((cls, slot))
        if vodml is None and slot == "description" and issubclass(cls, Entity):
            vodml = "entityDescription"
        out.append((slot, vodml or _camel(slot)))
    return out


@dataclass(frozen=True)
class _Layout:
    """One table: its name, VO-DML class, the classes whose records it holds, its columns."""

    name: str
    base: str
    classes: tuple[type[Record], ...]
    columns: tuple[tuple[str, str, str], ...]  # (python slot, column name, utype)

    @property
    def has_kind(self) -> bool:
        return len(self.classes) > 1


#: Classes sharing one table, as in the archive's ProvTAP schema (a ``kind`` column tells them apart).
_FAMILIES: tuple[tuple[type[Record], ...], ...] = (
    (Entity, Collection, DatasetEntity, ValueEntity),
    (
        DESCRIPTION_CLASSES["EntityDescription"],
        DESCRIPTION_CLASSES["DatasetDescription"],
        DESCRIPTION_CLASSES["ValueDescription"],
    ),
)


def _layout(classes: tuple[type[Record], ...]) -> _Layout:
    columns: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for cls in classes:
        for slot, vodml in _columns(cls):
            if slot not in seen:
                seen.add(slot)
                columns.append((slot, vodml, f"voprov:{_NAME_OF[cls]}.{vodml}"))
    base = _NAME_OF[classes[0]]
    return _Layout(base.lower(), base, classes, tuple(columns))


def _layouts() -> dict[type[Record], _Layout]:
    out: dict[type[Record], _Layout] = {}
    for family in _FAMILIES:
        layout = _layout(family)
        out.update(dict.fromkeys(family, layout))
    for cls in CLASSES.values():
        if cls not in out:
            out[cls] = _layout((cls,))
    return out


#: The table of every class, in the order tables are written.
_LAYOUT_OF = _layouts()


# -------------------------------------------------------------------- attributes


def _encode_attributes(attributes: Sequence[tuple[str, Any]]) -> str | None:
    """Extra attributes as PROV-JSON-style JSON (a list when a name repeats)."""
    if not attributes:
        return None
    out: dict[str, Any] = {}
    for key, value in attributes:
        text, datatype, lang = to_lexical(value)
        encoded: Any = text
        if lang:
            encoded = {"$": text, "lang": lang}
        elif datatype:
            encoded = {"$": text, "type": datatype}
        if key in out:
            if not isinstance(out[key], list):
                out[key] = [out[key]]
            out[key].append(encoded)
        else:
            out[key] = encoded
    return json.dumps(out, ensure_ascii=False)


def _decode_attributes(text: str, where: str) -> list[tuple[str, Any]]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise FormatError(f"{where}: the attributes column is not JSON ({exc})", format=FORMAT) from None
    if not isinstance(data, dict):
        raise FormatError(f"{where}: the attributes column must hold a JSON object", format=FORMAT)
    out: list[tuple[str, Any]] = []
    for key, values in data.items():
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, dict):
                out.append((key, from_lexical(str(value.get("$", "")), value.get("type"), value.get("lang"))))
            elif isinstance(value, bool | int | float):
                out.append((key, value))
            else:
                out.append((key, str(value)))
    return out


# --------------------------------------------------------------------------- write


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
            return value.replace(tzinfo=None).isoformat() + "Z"
        return value.isoformat()
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False) if value else None
    return str(value)


def dumps(doc: Document, **_options: Any) -> bytes:
    """``doc`` as a VOTable 1.4 document (TABLEDATA serialisation)."""
    groups: dict[str, list[tuple[str | None, Record]]] = {}
    for bundle, record in doc.all_records():
        groups.setdefault(_LAYOUT_OF[type(record)].name, []).append((bundle.id, record))
    with_bundles = bool(doc.bundles)
    votable = VOTableFile(version="1.4")
    resource = Resource(ID="provenance", name="provenance", type="results", utype="voprov:Provenance")
    votable.resources.append(resource)
    resource.infos.append(Info(name="QUERY_STATUS", value="OK"))
    _write_namespaces(votable, resource, doc)
    with paused_gc():
        for layout in dict.fromkeys(_LAYOUT_OF.values()):
            rows = groups.get(layout.name)
            if rows:
                resource.tables.append(_table(votable, layout, rows, with_bundles))
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", VOWarning)
        votable.to_xml(out)
    return out.getvalue()


def _write_namespaces(votable: VOTableFile, resource: Resource, doc: Document) -> None:
    scopes: list[tuple[str, Bundle]] = [("", doc)] + [(f"{bid} ", b) for bid, b in doc.bundles.items()]
    n = 0
    for scope, bundle in scopes:
        declared = list(bundle.namespaces.declared().items())
        if bundle.namespaces.default and (not scope or bundle.namespaces.default != doc.namespaces.default):
            declared.append(("", bundle.namespaces.default))
        for prefix, uri in declared:
            n += 1
            name = f"{scope}xmlns:{prefix}" if prefix else f"{scope}xmlns"
            resource.params.append(
                Param(
                    votable,
                    ID=f"namespace{n}",
                    name=name,
                    value=uri,
                    datatype="char",
                    arraysize="*",
                    ucd="meta.ref.uri",
                    utype="voprov:namespace",
                )
            )


def _table(
    votable: VOTableFile, layout: _Layout, rows: list[tuple[str | None, Record]], with_bundles: bool
) -> TableElement:
    columns = layout.columns
    cells: list[list[str | None]] = []
    for bundle_id, record in rows:
        row = [_cell(getattr(record, slot, None)) for slot, _n, _u in columns]
        if layout.has_kind:
            row.insert(1, _NAME_OF[type(record)])
        row.append(_encode_attributes(record._attributes))  # read without making the list
        if with_bundles:
            row.append(bundle_id)
        cells.append(row)
    # (column name, python slot or None, utype or None); kind/attributes/inBundle carry no VO-DML utype
    specs: list[tuple[str, str | None, str | None]] = [(n, slot, utype) for slot, n, utype in columns]
    if layout.has_kind:
        specs.insert(1, ("kind", None, None))
    specs += [("attributes", None, None)] + ([("inBundle", None, None)] if with_bundles else [])
    table = TableElement(votable, ID=layout.name, name=layout.name, utype=f"voprov:{layout.base}")
    for i, (name, slot, utype) in enumerate(specs):
        ascii_only = all(cell is None or cell.isascii() for cell in (row[i] for row in cells))
        attrs: dict[str, Any] = {
            "name": name,
            "ID": f"{layout.name}_{name}",
            "datatype": "char" if ascii_only else "unicodeChar",
            "arraysize": "*",
        }
        if utype:
            attrs["utype"] = utype
        ucd = _UCDS.get(slot or name)
        if ucd is None and slot and (slot in ("activity", "entity", "agent") or slot.endswith("description")):
            ucd = "meta.id"
        if ucd:
            attrs["ucd"] = ucd
        if slot in _TIME_SLOTS:
            attrs["xtype"] = "timestamp"
        table.fields.append(Field(votable, **attrs))
    table.create_arrays(len(cells))
    array = table.array
    for i, (name, _slot, _utype) in enumerate(specs):
        values = [row[i] for row in cells]
        array[name] = np.array([v if v is not None else "" for v in values], dtype=object)
        array.mask[name] = np.array([v is None for v in values])
    return table


# ---------------------------------------------------------------------------- read

_DRAFT_TYPE = re.compile(rb'(<RESOURCE\b[^>]*?\btype=")provenance(")')


def loads(data: bytes | str, **_options: Any) -> Document:
    """Read a PROV-VOTABLE document written by :func:`dumps` (or in the drafts' shape)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    parse_xml(raw, FORMAT)  # the hardened parser: position of syntax errors, no DTDs/entities
    raw = _DRAFT_TYPE.sub(rb"\1results\2", raw)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", VOWarning)
            warnings.simplefilter("ignore", VOTableSpecWarning)
            votable = parse_votable(io.BytesIO(raw), verify="ignore")
    except Exception as exc:  # astropy raises many exception types for bad VOTables
        raise FormatError(f"not a readable VOTable: {exc}", format=FORMAT) from None
    resources = list(_all_resources(votable.resources))
    resource = next((r for r in resources if r.name == "provenance" or r.ID == "provenance"), None)
    if resource is None:
        resource = next((r for r in resources if any((t.utype or "").startswith("voprov:") for t in r.tables)), None)
    if resource is None:
        raise FormatError("no provenance RESOURCE (tables with utype voprov:<Class>) in this VOTable", format=FORMAT)
    doc = Document()
    _read_namespaces(resource, doc)
    with paused_gc():
        for table in resource.tables:
            _read_table(table, doc)
    return doc


def _all_resources(resources: list[Resource]) -> list[Resource]:
    out = []
    for resource in resources:
        out.append(resource)
        out.extend(_all_resources(resource.resources))
    return out


def _read_namespaces(resource: Resource, doc: Document) -> None:
    for param in resource.params:
        if param.utype != "voprov:namespace":
            continue
        scope, _, name = (param.name or "").rpartition(" ")
        target: Bundle = doc.bundle(scope) if scope else doc
        uri = param.value.decode() if isinstance(param.value, bytes) else str(param.value)
        if name == "xmlns":
            target.namespaces.default = uri
        elif name.startswith("xmlns:"):
            target.namespaces.add(name[6:], uri)


def _read_table(table: TableElement, doc: Document) -> None:
    utype = table.utype or ""
    cls = CLASSES.get(utype.partition(":")[2]) if utype.startswith("voprov:") else None
    if cls is None:
        raise FormatError(f"table {table.name!r} has the unknown utype {utype!r}", format=FORMAT)
    layout = _LAYOUT_OF[cls]
    kinds = {_NAME_OF[c]: c for c in layout.classes}
    slots_of = {c: {slot for slot, _v in _columns(c)} for c in layout.classes}
    by_name = {name: slot for slot, name, _u in layout.columns}
    names = [f.name for f in table.fields]
    array = table.array
    columns = [(name, by_name.get(name), array[name].data, np.ma.getmaskarray(array[name])) for name in names]
    for i in range(len(array)):
        values: dict[str, Any] = {}
        attributes: list[tuple[str, Any]] = []
        bundle_id = None
        row_cls = cls
        where = f"table {table.name}, row {i + 1}"
        for name, slot, data, mask in columns:
            if mask[i]:
                continue
            value = data[i]
            text = value.decode() if isinstance(value, bytes) else str(value)
            if text == "":
                continue
            if slot is not None:
                values[slot] = _slot_value(slot, text, where)
            elif name == "attributes":
                attributes = _decode_attributes(text, where)
            elif name == "inBundle":
                bundle_id = text
            elif name == "kind":
                if text not in kinds:
                    raise FormatError(f"{where}: kind {text!r} is not one of {', '.join(kinds)}", format=FORMAT)
                row_cls = kinds[text]
            else:
                raise FormatError(f"{where}: unknown column {name!r}", format=FORMAT)
        stray = set(values) - slots_of[row_cls]
        if stray:
            raise FormatError(
                f"{where}: {', '.join(sorted(stray))} do not apply to a {_NAME_OF[row_cls]}", format=FORMAT
            )
        doc_target = doc.bundle(bundle_id) if bundle_id else doc
        doc_target.add(_record(row_cls, values, attributes, where))


def _record(cls: type[Record], values: dict[str, Any], attributes: list[tuple[str, Any]], where: str) -> Record:
    ident = values.pop("id", None)
    try:
        if issubclass(cls, Relation):
            return cls(id=ident, attributes=attributes, **values)
        if ident is None:
            raise FormatError(f"{where}: a {_NAME_OF[cls]} needs an id", format=FORMAT)
        return cls(ident, attributes=attributes, **values)  # type: ignore[call-arg]
    except (TypeError, ValueError) as exc:
        if isinstance(exc, FormatError):
            raise
        raise FormatError(f"{where}: {exc}", format=FORMAT) from None


def _slot_value(slot: str, text: str, where: str) -> Any:
    if slot in _TIME_SLOTS:
        try:
            return parse_datetime(text)
        except ValueError:
            raise FormatError(f"{where}: {slot} {text!r} is not an ISO 8601 time", format=FORMAT) from None
    if slot in _LIST_SLOTS:
        try:
            items = json.loads(text)
        except ValueError:
            items = text.split()
        return [str(v) for v in items] if isinstance(items, list) else [str(items)]
    return text
