"""Reading the non-standard PROV-JSON that voprov writes.

voprov (reference/provdm.md §2 and §5) puts IVOA classes and relations in top-level
sections of their own (``activityDescription``, ``parameter``, ``isDescribedBy``,
``wasConfiguredBy``, ...), names things with ``prov:name`` (a term W3C PROV does not
have), writes Agent.type as the string ``voprov:type`` and links usages to their
descriptions with ``voprov:descriptor``. Strict W3C readers reject such files. We read
them into the same IVOA records our own PROV-JSON gives, so that a voprov document
converted by provarchive is proper W3C PROV afterwards.

Relations voprov has and the IVOA model keeps as references are folded into the
records (``isDescribedBy`` → ``description``; ``isRelatedTo`` between an
ActivityDescription and its usage/generation/parameter/config-file descriptions →
``activity_description``; ``hadReference`` from a Parameter → ``value_entity``). Any
other use of those relations is kept as a ``wasInfluencedBy`` typed
``voprov:<relation>``, the conversion voprov's own ``get_w3c()`` makes.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..model.configuration import ConfigFile, Parameter, WasConfiguredBy, format_value
from ..model.descriptions import (
    ActivityDescription,
    ConfigFileDescription,
    DatasetDescription,
    EntityDescription,
    GenerationDescription,
    ParameterDescription,
    UsageDescription,
    ValueDescription,
    _RoleDescription,
)
from ..model.document import Bundle
from ..model.ids import KNOWN_VOPROV_URIS, PROV, Literal, QName
from ..model.records import (
    AGENT_TYPES,
    Activity,
    Collection,
    DatasetEntity,
    Entity,
    Record,
    ValueEntity,
    WasInfluencedBy,
)
from ..model.w3c import Statement, from_statements
from .typed_values import parse_datetime

if TYPE_CHECKING:  # pragma: no cover
    from .provjson_reader import _Reader

__all__ = ["VOPROV_SECTIONS", "read_voprov_sections"]

#: Element sections: class and the local attribute names that fill its IVOA slots.
_ELEMENT_SECTIONS: dict[str, tuple[type[Record], dict[str, str]]] = {
    "activityDescription": (
        ActivityDescription,
        {"version": "version", "description": "description", "docurl": "docurl", "type": "type", "subtype": "subtype"},
    ),
    "entityDescription": (EntityDescription, {"description": "description", "docurl": "docurl", "type": "type"}),
    "datasetDescription": (
        DatasetDescription,
        {"description": "description", "docurl": "docurl", "type": "type", "contentType": "content_type"},
    ),
    "valueDescription": (
        ValueDescription,
        {
            "description": "description",
            "docurl": "docurl",
            "type": "type",
            "valueType": "value_type",
            "unit": "unit",
            "ucd": "ucd",
            "utype": "utype",
        },
    ),
    "usageDescription": (
        UsageDescription,
        {"role": "role", "description": "description", "type": "type", "multiplicity": "multiplicity"},
    ),
    "generationDescription": (
        GenerationDescription,
        {"role": "role", "description": "description", "type": "type", "multiplicity": "multiplicity"},
    ),
    "parameterDescription": (
        ParameterDescription,
        {
            "valueType": "value_type",
            "description": "description",
            "unit": "unit",
            "ucd": "ucd",
            "utype": "utype",
            "min": "min",
            "max": "max",
            "default": "default",
            "options": "options",
        },
    ),
    "configFileDescription": (ConfigFileDescription, {"contentType": "content_type", "description": "description"}),
    "valueEntity": (ValueEntity, {"value": "value", "location": "location", "comment": "comment"}),
    "datasetEntity": (DatasetEntity, {"location": "location", "comment": "comment"}),
    "parameter": (Parameter, {"value": "value"}),
    "configFile": (ConfigFile, {"location": "location", "comment": "comment"}),
}
#: Relation sections: (subject key, object key) local names.
_RELATION_SECTIONS = {
    "isDescribedBy": ("described", "descriptor"),
    "isRelatedTo": ("relator", "related"),
    "wasConfiguredBy": ("configured", "configurator"),
    "hadReference": ("referrer", "referenced"),
}
#: Every non-standard top-level section we read.
VOPROV_SECTIONS = frozenset(_ELEMENT_SECTIONS) | frozenset(_RELATION_SECTIONS)

#: prov-namespace attributes that voprov uses for IVOA slots.
_PROV_SLOTS = {"role", "value", "location"}


class _Vocabulary:
    """Splits attribute names into (namespace, local) for the prov and voprov terms."""

    def __init__(self, reader: _Reader) -> None:
        ns = reader.namespaces
        self.vp = {p for p in ns if ns[p] in KNOWN_VOPROV_URIS}
        self.vp_default = ns.default in KNOWN_VOPROV_URIS
        self.prov = {"prov"} | {p for p in ns if ns[p] == PROV}

    def is_vp(self, name: str, local: str) -> bool:
        return self.split(name) == ("vp", local)

    def split(self, key: str) -> tuple[str | None, str]:
        prefix, sep, local = key.partition(":")
        if not sep:
            return ("vp" if self.vp_default else None), key
        if prefix in self.vp:
            return "vp", local
        if prefix in self.prov:
            return "prov", local
        return None, local


def _text(value: Any) -> str | None:
    """A slot value as the string the IVOA model stores."""
    if isinstance(value, QName) or type(value) is str:
        return str(value)
    if isinstance(value, Literal):
        return value.value
    if isinstance(value, (bool, int, float)):
        return format_value(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return None


def _rewrite_w3c(statements: list[Statement], vocab: _Vocabulary) -> None:
    """Turn voprov's spellings inside standard sections into the W3C mapping's."""
    for st in statements:
        if not st.attributes:
            continue
        keys = [vocab.split(k) for k, _v in st.attributes]
        has_label = any(ns == "prov" and local == "label" for ns, local in keys)
        out: list[tuple[str, Any]] = []
        for (key, value), (ns, local) in zip(st.attributes, keys):
            is_element = st.kind in ("entity", "activity", "agent")
            if local == "name" and ns in ("prov", "vp") and not has_label and is_element:
                out.append(("prov:label", value))
                has_label = True
            elif st.kind == "entity" and ns == "vp" and local == "location":
                out.append(("prov:location", value))
            elif ns == "vp" and local in ("generatedAtTime", "invalidatedAtTime") and type(value) is str:
                parsed = parse_datetime(value)
                out.append((key, parsed if parsed is not None else value))
            elif st.kind == "agent" and ns == "vp" and local == "type" and _text(value) in AGENT_TYPES:
                out.append(("prov:type", QName(f"prov:{_text(value)}")))
            elif ns == "prov" and local == "type" and isinstance(value, QName) and vocab.is_vp(value, "Collection"):
                out.append((key, QName("prov:Collection")))
            elif st.kind == "wasAttributedTo" and ns == "prov" and local == "role":
                out.append((f"{_vp_prefix(vocab)}:role", value))  # PROV-DM has no prov:role here
            elif ns == "vp" and local == "descriptor" and st.kind in ("used", "wasGeneratedBy"):
                slot = "usageDescription" if st.kind == "used" else "generationDescription"
                out.append((f"{_vp_prefix(vocab)}:{slot}", QName(str(value))))
            else:
                out.append((key, value))
        st.attributes = out


def _vp_prefix(vocab: _Vocabulary) -> str:
    return sorted(vocab.vp)[0] if vocab.vp else "voprov"


def _element(cls: Any, rid: str, attrs: list[tuple[str, Any]], slots: dict[str, str], vocab: _Vocabulary) -> Record:
    """A record of class ``cls`` whose IVOA slots are filled from voprov's attributes."""
    record: Any = cls(rid)
    names = [(vocab.split(k), v) for k, v in attrs]
    has_name = any(ns in ("prov", "vp") and local == "name" for (ns, local), _v in names)
    rest: list[tuple[str, Any]] = []
    for (key, value), ((ns, local), _v) in zip(attrs, names):
        slot: str | None = None
        if ns in ("prov", "vp") and (local == "name" or (local == "label" and not has_name)):
            slot = "role" if isinstance(record, _RoleDescription) else "name"
            if slot == "role" and getattr(record, "role", None) is not None:
                slot = None
        elif ns == "vp" or (ns == "prov" and local in _PROV_SLOTS):
            slot = slots.get(local)
        if slot is None:
            rest.append((key, value))
            continue
        text = _text(value)
        if slot == "options":
            record.options.append(text)
        elif text is None or getattr(record, slot, None) is not None:
            rest.append((key, value))
        else:
            setattr(record, slot, text)
    record.attributes = rest
    return record


def read_voprov_sections(
    sections: dict[str, Any], reader: _Reader, statements: list[Statement], target: Bundle
) -> None:
    """Add the W3C ``statements`` and voprov's extra ``sections`` to ``target``.

    Called for every container of a document that has a voprov section anywhere, so
    that voprov spellings in its standard sections (``prov:name``) are read too.
    """
    vocab = _Vocabulary(reader)
    _rewrite_w3c(statements, vocab)
    from_statements(statements, reader.namespaces, target)

    for section, (cls, slots) in _ELEMENT_SECTIONS.items():
        group = sections.get(section)
        if group is None:
            continue
        for rid, attrs in _bodies(reader, section, group):
            target.add(_element(cls, rid, attrs, slots, vocab))  # type: ignore[arg-type]

    for section, (subject_key, object_key) in _RELATION_SECTIONS.items():
        group = sections.get(section)
        if group is None:
            continue
        for rid, attrs in _bodies(reader, section, group):
            subject = obj = None
            rest: list[tuple[str, Any]] = []
            artefact_type = None
            for key, value in attrs:
                ns, local = vocab.split(key)
                if ns == "vp" and local == subject_key and subject is None:
                    subject = str(value)
                elif ns == "vp" and local == object_key and obj is None:
                    obj = str(value)
                elif ns == "vp" and local == "artefactType" and section == "wasConfiguredBy":
                    artefact_type = _text(value)
                else:
                    rest.append((key, value))
            for needed, local in ((subject, subject_key), (obj, object_key)):
                if needed is None:
                    raise reader.error(f"a {section} needs voprov:{local}", rid)
                reader.check(needed, rid, f"voprov:{local}")
            assert subject is not None and obj is not None
            ident = None if rid.startswith("_:") else rid
            if section == "wasConfiguredBy":
                target.add(WasConfiguredBy(subject, obj, id=ident, attributes=rest, artefact_type=artefact_type))
            elif not rest and ident is None and _fold(section, target.get(subject), target.get(obj), obj):
                continue
            else:
                rest.insert(0, ("prov:type", QName(f"{_vp_prefix(vocab)}:{section}")))
                target.add(WasInfluencedBy(subject, obj, id=ident, attributes=rest))


def _fold(section: str, subject: Record | None, obj: Record | None, obj_id: str) -> bool:
    """Store a voprov relation as the IVOA reference it stands for; False if it is none."""
    if section == "isDescribedBy":
        if isinstance(subject, (Entity, Activity, Parameter, ConfigFile)) and not isinstance(subject, Collection):
            current = subject.description
            if current is None or current == obj_id:
                subject.description = obj_id
                return True
        return False
    if section == "isRelatedTo":
        described = (_RoleDescription, ParameterDescription, ConfigFileDescription)
        if (
            isinstance(subject, ActivityDescription)
            and isinstance(obj, described)
            and getattr(obj, "activity_description", None) in (None, subject.id)
        ):
            obj.activity_description = subject.id  # type: ignore[union-attr]
            return True
        if isinstance(subject, _RoleDescription) and isinstance(obj, EntityDescription):
            if obj_id not in subject.entity_descriptions:
                subject.entity_descriptions.append(obj_id)
            return True
        return False
    if section == "hadReference" and isinstance(subject, Parameter) and subject.value_entity in (None, obj_id):
        subject.value_entity = obj_id
        return True
    return False


def _bodies(reader: _Reader, section: str, group: Any) -> list[tuple[str, list[tuple[str, Any]]]]:
    """(id, decoded attributes) of every record of a voprov section."""
    if type(group) is not dict:
        raise reader.error(f"the {section!r} section must be an object keyed by identifier")
    out = []
    for rid, content in group.items():
        reader.check(rid, rid, None)
        if type(content) is dict:
            contents = [content]
        elif type(content) is list and content and all(type(c) is dict for c in content):
            contents = content
        else:
            raise reader.error("a record must be an object or a list of objects", rid)
        for body in contents:
            attrs: list[tuple[str, Any]] = []
            for key, raw in body.items():
                reader.check(key, rid, key)
                for item in raw if type(raw) is list else (raw,):
                    value = reader.value(item, rid, key)
                    if type(value) is str and _is_reference(key):
                        value = QName(value)
                    attrs.append((key, value))
            out.append((rid, attrs))
    return out


def _is_reference(key: str) -> bool:
    local = key.partition(":")[2] or key
    return local in _REFERENCE_KEYS


_REFERENCE_KEYS = frozenset(
    {"described", "descriptor", "relator", "related", "configured", "configurator", "referrer", "referenced"}
)
