"""The tables of the IVOA ↔ W3C mapping, shared by its writer and its reader.

The rules are explained in :mod:`provarchive.model.w3c`; this module holds them as
data, in one place, so that :mod:`~provarchive.model.w3c_write` (records →
statements) and :mod:`~provarchive.model.w3c_read` (statements → records) cannot
drift apart: the W3C statement kinds and their formal arguments, :class:`Statement`,
the IVOA class written as each ``prov:type voprov:<Class>``, and per record class the
slots written as attributes (``_SLOTS``). Both sides generate Python code from these
tables, compiled through the one bounded cache kept here (:func:`_compiled`).
"""

from __future__ import annotations

from types import CodeType
from typing import Any

from .configuration import ConfigFile, Parameter
from .descriptions import (
    ActivityDescription,
    ConfigFileDescription,
    DatasetDescription,
    EntityDescription,
    GenerationDescription,
    ParameterDescription,
    UsageDescription,
    ValueDescription,
)
from .records import (
    RELATION_CLASSES,
    Activity,
    Agent,
    Collection,
    DatasetEntity,
    Entity,
    Record,
    Used,
    ValueEntity,
    WasAssociatedWith,
    WasAttributedTo,
    WasGeneratedBy,
)

__all__ = ["Statement", "W3C_FORMAL", "W3C_KINDS", "TIME_KEYS", "CACHE_LIMIT"]

#: Formal argument keys (PROV-JSON spelling) of every W3C statement kind, in PROV-N order.
W3C_FORMAL: dict[str, tuple[str, ...]] = {
    "entity": (),
    "activity": ("prov:startTime", "prov:endTime"),
    "agent": (),
    **{kind: tuple(key for _n, key in cls.FORMAL) for kind, cls in RELATION_CLASSES.items()},
}
#: Formal keys that hold times (all others hold identifiers).
TIME_KEYS = frozenset({"prov:startTime", "prov:endTime", "prov:time"})
#: Every W3C statement kind, elements first.
W3C_KINDS = tuple(W3C_FORMAL)


class Statement:
    """One W3C PROV statement: kind, optional id, formal arguments, attributes."""

    __slots__ = ("kind", "id", "formal", "attributes")

    def __init__(self, kind: str, id: str | None, formal: list[Any], attributes: list[tuple[str, Any]]) -> None:
        self.kind = kind
        self.id = id
        self.formal = formal
        self.attributes = attributes

    def __repr__(self) -> str:
        return f"Statement({self.kind!r}, {self.id!r}, {self.formal!r}, {self.attributes!r})"


# IVOA class names written as prov:type voprov:<name>
_ENTITY_CLASS_NAMES: dict[type[Record], str] = {
    ActivityDescription: "ActivityDescription",
    EntityDescription: "EntityDescription",
    DatasetDescription: "DatasetDescription",
    ValueDescription: "ValueDescription",
    UsageDescription: "UsageDescription",
    GenerationDescription: "GenerationDescription",
    ParameterDescription: "ParameterDescription",
    ConfigFileDescription: "ConfigFileDescription",
    Parameter: "Parameter",
    ConfigFile: "ConfigFile",
    ValueEntity: "ValueEntity",
    DatasetEntity: "DatasetEntity",
}
_CLASS_BY_NAME: dict[str, type[Record]] = {v: k for k, v in _ENTITY_CLASS_NAMES.items()}

# Per class: (slot, attribute local name, namespace "prov"|"vp", value kind) in write order.
# value kind: "s" string, "t" datetime, "q" QName reference, "l" list of strings, "ql" list of QNames
_SLOTS: dict[type[Record], tuple[tuple[str, str, str, str], ...]] = {}
_ENTITY_SLOTS = (
    ("name", "label", "prov", "s"),
    ("location", "location", "prov", "s"),
    ("comment", "comment", "vp", "s"),
    ("generated_at_time", "generatedAtTime", "vp", "t"),
    ("invalidated_at_time", "invalidatedAtTime", "vp", "t"),
    ("description", "entityDescription", "vp", "q"),
)
_SLOTS[Entity] = _ENTITY_SLOTS
_SLOTS[Collection] = _ENTITY_SLOTS
_SLOTS[DatasetEntity] = _ENTITY_SLOTS
_SLOTS[ValueEntity] = _ENTITY_SLOTS + (("value", "value", "prov", "s"),)
_SLOTS[Activity] = (("name", "label", "prov", "s"), ("comment", "comment", "vp", "s"))
_SLOTS[Agent] = (
    ("name", "label", "prov", "s"),
    ("comment", "comment", "vp", "s"),
    ("email", "email", "vp", "s"),
    ("affiliation", "affiliation", "vp", "s"),
    ("phone", "phone", "vp", "s"),
    ("address", "address", "vp", "s"),
    ("url", "url", "vp", "s"),
)
_DESC_COMMON = (
    ("name", "label", "prov", "s"),
    ("description", "description", "vp", "s"),
    ("docurl", "docurl", "vp", "s"),
    ("type", "type", "vp", "s"),
)
_SLOTS[ActivityDescription] = (
    ("name", "label", "prov", "s"),
    ("version", "version", "vp", "s"),
    ("description", "description", "vp", "s"),
    ("docurl", "docurl", "vp", "s"),
    ("type", "type", "vp", "s"),
    ("subtype", "subtype", "vp", "s"),
)
_SLOTS[EntityDescription] = _DESC_COMMON
_SLOTS[DatasetDescription] = _DESC_COMMON + (("content_type", "contentType", "vp", "s"),)
_SLOTS[ValueDescription] = _DESC_COMMON + (
    ("value_type", "valueType", "vp", "s"),
    ("unit", "unit", "vp", "s"),
    ("ucd", "ucd", "vp", "s"),
    ("utype", "utype", "vp", "s"),
)
_ROLE_DESC = (
    ("activity_description", "activityDescription", "vp", "q"),
    ("role", "role", "vp", "s"),
    ("description", "description", "vp", "s"),
    ("type", "type", "vp", "s"),
    ("multiplicity", "multiplicity", "vp", "s"),
    ("entity_descriptions", "entityDescription", "vp", "ql"),
)
_SLOTS[UsageDescription] = _ROLE_DESC
_SLOTS[GenerationDescription] = _ROLE_DESC
_SLOTS[ParameterDescription] = (
    ("activity_description", "activityDescription", "vp", "q"),
    ("name", "label", "prov", "s"),
    ("value_type", "valueType", "vp", "s"),
    ("description", "description", "vp", "s"),
    ("unit", "unit", "vp", "s"),
    ("ucd", "ucd", "vp", "s"),
    ("utype", "utype", "vp", "s"),
    ("min", "min", "vp", "s"),
    ("max", "max", "vp", "s"),
    ("default", "default", "vp", "s"),
    ("options", "options", "vp", "l"),
)
_SLOTS[ConfigFileDescription] = (
    ("activity_description", "activityDescription", "vp", "q"),
    ("name", "label", "prov", "s"),
    ("content_type", "contentType", "vp", "s"),
    ("description", "description", "vp", "s"),
)
_SLOTS[Parameter] = (
    ("name", "label", "prov", "s"),
    ("value", "value", "prov", "s"),
    ("description", "parameterDescription", "vp", "q"),
    ("value_entity", "valueEntity", "vp", "q"),
)
_SLOTS[ConfigFile] = (
    ("name", "label", "prov", "s"),
    ("location", "location", "prov", "s"),
    ("comment", "comment", "vp", "s"),
    ("description", "configFileDescription", "vp", "q"),
)
_SLOTS[Used] = (("role", "role", "prov", "s"), ("usage_description", "usageDescription", "vp", "q"))
_SLOTS[WasGeneratedBy] = (
    ("role", "role", "prov", "s"),
    ("generation_description", "generationDescription", "vp", "q"),
)
_SLOTS[WasAssociatedWith] = (("role", "role", "prov", "s"),)
_SLOTS[WasAttributedTo] = (("role", "role", "vp", "s"),)

_AGENT_TYPES = {"Person", "Organization", "SoftwareAgent"}


#: Compiled generated code (writers and readers) by source: the source depends only on
#: the class and the voprov prefix, so a document's bundles and later calls reuse it
#: (each call still binds its own names by executing the code in a fresh namespace).
_CODE: dict[str, CodeType] = {}
#: Bound of the caches of generated code: input chooses the voprov prefix, so a
#: service reading many documents must not keep one set of code per prefix forever.
CACHE_LIMIT = 512


def _compiled(source: str, name: str) -> CodeType:
    code = _CODE.get(source)
    if code is None:
        if len(_CODE) >= CACHE_LIMIT:
            _CODE.clear()
        code = _CODE[source] = compile(source, name, "exec")
    return code
