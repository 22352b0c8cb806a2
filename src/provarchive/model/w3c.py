"""The one place where IVOA ProvenanceDM terms map onto plain W3C PROV statements.

Every serialiser (PROV-JSON, PROV-XML, PROV-N, PROV-O) writes and reads *statements*:
a W3C statement kind (``entity``, ``used``, ...), an optional id, the formal arguments
in PROV-N order and a list of (qualified name, value) attributes. This module turns a
document into statements and statements back into a document, applying the rules of
reference/provdm.md §2:

* ``name`` → ``prov:label``; ``location`` → ``prov:location``; ``comment`` →
  ``voprov:comment``; Used/WasGeneratedBy/WasAssociatedWith ``role`` → ``prov:role``,
  WasAttributedTo ``role`` → ``voprov:role`` (PROV-DM forbids prov:role there).
* IVOA classes without a W3C counterpart are ``entity`` statements typed
  ``prov:type voprov:<Class>`` (ActivityDescription is also a ``prov:Plan``);
  ``Collection`` is ``prov:Collection``; Agent.type is ``prov:Person`` etc.
* An activity's ActivityDescription is written as ``wasAssociatedWith(act, -, desc)``
  (the description is the plan); WasConfiguredBy is ``wasInfluencedBy`` typed
  ``voprov:WasConfiguredBy``; other references are QName-valued ``voprov:`` attributes.
* Entity.generatedAtTime/invalidatedAtTime have no slot on a W3C entity and are kept as
  ``voprov:generatedAtTime``/``voprov:invalidatedAtTime``.

Anything not recognised is kept as an extra attribute, so a W3C document read and
written back is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from operator import attrgetter
from typing import Any

from ..util import paused_gc
from .configuration import ConfigFile, Parameter, WasConfiguredBy
from .descriptions import (
    ActivityDescription,
    ConfigFileDescription,
    DatasetDescription,
    Description,
    EntityDescription,
    GenerationDescription,
    ParameterDescription,
    UsageDescription,
    ValueDescription,
)
from .document import Bundle, Document
from .ids import KNOWN_VOPROV_URIS, PROV, VOPROV, Literal, Namespaces, QName
from .records import (
    RELATION_CLASSES,
    Activity,
    Agent,
    Collection,
    DatasetEntity,
    Entity,
    Record,
    Relation,
    Used,
    ValueEntity,
    WasAssociatedWith,
    WasAttributedTo,
    WasGeneratedBy,
    WasInfluencedBy,
)

__all__ = ["Statement", "W3C_FORMAL", "W3C_KINDS", "to_statements", "from_statements", "export_namespaces"]

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


def _no_values(record: Record) -> tuple[Any, ...]:
    return ()


# ----------------------------------------------------------------------------- write


class _Writer:
    """Turns records into statements; remembers whether the voprov prefix was used.

    Attribute names are resolved once per class (``_plan``) so that writing a record is
    a handful of attribute reads: documents of 100k records are common.
    """

    def __init__(self, namespaces: Namespaces, voprov_uri: str) -> None:
        self.vp = _voprov_prefix(namespaces) or "voprov"
        self.voprov_uri = voprov_uri
        self.used_vp = False
        self._plans: dict[
            type[Record], tuple[Callable[[Record], tuple[Any, ...]], tuple[tuple[str, str, bool], ...]]
        ] = {}
        self._formal_getters: dict[type[Record], Callable[[Record], Any]] = {}

    def _plan(self, cls: type[Record]) -> tuple[Callable[[Record], tuple[Any, ...]], tuple[tuple[str, str, bool], ...]]:
        """For ``cls``: a C-level getter of its IVOA slot values, and per slot the
        attribute name to write, the value kind and whether it is a voprov name."""
        plan = self._plans.get(cls)
        if plan is None:
            spec = _SLOTS.get(cls, ())
            names = [slot for slot, _l, _n, _h in spec]
            if len(names) == 1:
                single = attrgetter(names[0])
                getter: Callable[[Record], tuple[Any, ...]] = lambda record: (single(record),)  # noqa: E731
            elif names:
                getter = attrgetter(*names)
            else:
                getter = _no_values
            keys = tuple(
                (("prov:" if ns == "prov" else self.vp + ":") + local, how, ns == "vp")
                for _slot, local, ns, how in spec
            )
            plan = (getter, keys)
            self._plans[cls] = plan
        return plan

    def slots(self, record: Record, attrs: list[tuple[str, Any]]) -> None:
        getter, keys = self._plans.get(type(record)) or self._plan(type(record))
        for (key, how, is_vp), value in zip(keys, getter(record)):
            if value is None:
                continue
            if how == "s" or how == "t":
                attrs.append((key, value))
            elif how == "q":
                attrs.append((key, QName(value)))
            elif how == "ql":
                attrs.extend((key, QName(v)) for v in value)
            else:
                attrs.extend((key, v) for v in value)
            if is_vp:
                self.used_vp = True

    def _formal_getter(self, cls: type[Record]) -> Callable[[Record], Any]:
        getter = attrgetter(*(name for name, _key in cls.FORMAL))
        self._formal_getters[cls] = getter
        return getter

    def vp_name(self, local: str) -> QName:
        self.used_vp = True
        return QName(f"{self.vp}:{local}")

    def statements(self, records: Iterable[Record]) -> Iterator[Statement]:
        slots = self.slots
        for record in records:
            attrs: list[tuple[str, Any]] = []
            cls = type(record)
            if cls is Entity:
                slots(record, attrs)
                if record.attributes:
                    attrs.extend(record.attributes)
                yield Statement("entity", record.id, [], attrs)
            elif cls is Activity:
                assert isinstance(record, Activity)
                slots(record, attrs)
                if record.attributes:
                    attrs.extend(record.attributes)
                yield Statement("activity", record.id, [record.start_time, record.end_time], attrs)
                if record.description is not None:
                    yield Statement("wasAssociatedWith", None, [record.id, None, record.description], [])
            elif isinstance(record, Relation):
                if cls is WasConfiguredBy:
                    assert isinstance(record, WasConfiguredBy)
                    attrs.append(("prov:type", self.vp_name("WasConfiguredBy")))
                    if record.artefact_type:
                        attrs.append((str(self.vp_name("artefactType")), record.artefact_type))
                    attrs.extend(record.attributes)
                    yield Statement("wasInfluencedBy", record.id, [record.activity, record.artefact], attrs)
                    continue
                slots(record, attrs)
                if record.attributes:
                    attrs.extend(record.attributes)
                formal = self._formal_getters.get(cls) or self._formal_getter(cls)
                yield Statement(record.kind, record.id, list(formal(record)), attrs)
            elif cls is Agent:
                assert isinstance(record, Agent)
                if record.type:
                    attrs.append(("prov:type", QName("prov:" + record.type)))
                slots(record, attrs)
                attrs.extend(record.attributes)
                yield Statement("agent", record.id, [], attrs)
            else:
                # IVOA classes written as typed entities
                if cls is Collection:
                    attrs.append(("prov:type", QName("prov:Collection")))
                else:
                    attrs.append(("prov:type", self.vp_name(_ENTITY_CLASS_NAMES[cls])))
                    if cls is ActivityDescription:
                        attrs.append(("prov:type", QName("prov:Plan")))
                slots(record, attrs)
                attrs.extend(record.attributes)
                yield Statement("entity", record.id, [], attrs)


def _voprov_prefix(namespaces: Namespaces) -> str | None:
    for prefix in namespaces:
        if namespaces[prefix] in KNOWN_VOPROV_URIS:
            return prefix
    return None


def export_namespaces(namespaces: Namespaces, used_vp: bool, voprov_uri: str = VOPROV) -> Namespaces:
    """The namespaces to write: ours, plus the voprov prefix if statements use it."""
    if used_vp and _voprov_prefix(namespaces) is None:
        out = namespaces.copy()
        out.add("voprov", voprov_uri)
        return out
    return namespaces


def to_statements(bundle: Bundle, *, voprov_uri: str = VOPROV) -> tuple[Namespaces, list[Statement]]:
    """The W3C statements of a bundle and the namespaces needed to write them."""
    writer = _Writer(bundle.namespaces, voprov_uri)
    with paused_gc():
        statements = list(writer.statements(bundle.records))
    return export_namespaces(bundle.namespaces, writer.used_vp, voprov_uri), statements


# ------------------------------------------------------------------------------ read


class _Reader:
    """Turns statements back into records, recognising IVOA terms by namespace URI."""

    def __init__(self, namespaces: Namespaces) -> None:
        self.ns = namespaces
        self.vp_prefixes = {p for p in namespaces if namespaces[p] in KNOWN_VOPROV_URIS}
        if namespaces.default in KNOWN_VOPROV_URIS:
            self.vp_prefixes.add("")
        self._keymaps: dict[type[Record], dict[str, tuple[str, str]]] = {}

    def vp_local(self, name: str) -> str | None:
        """The local part of ``name`` if it is in the voprov namespace."""
        prefix, sep, local = name.partition(":")
        if not sep:
            return name if "" in self.vp_prefixes else None
        return local if prefix in self.vp_prefixes else None

    def prov_local(self, name: str) -> str | None:
        prefix, sep, local = name.partition(":")
        if sep and (prefix == "prov" or self.ns.get(prefix) == PROV):
            return local
        return None

    def _keymap(self, cls: type[Record]) -> dict[str, tuple[str, str]]:
        """Attribute name → (slot, value kind) for ``cls``, for every prefix in use."""
        keymap = self._keymaps.get(cls)
        if keymap is None:
            keymap = {}
            prov_prefixes = [p for p in self.ns if self.ns[p] == PROV] + ["prov"]
            for slot, local, ns, how in _SLOTS.get(cls, ()):
                for prefix in prov_prefixes if ns == "prov" else self.vp_prefixes:
                    keymap[f"{prefix}:{local}" if prefix else local] = (slot, how)
            self._keymaps[cls] = keymap
        return keymap

    def take_slots(self, record: Record, attrs: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        """Fill the record's IVOA slots from attrs; return the attributes left over."""
        if not attrs:
            return attrs
        cls = type(record)
        keymap = self._keymaps.get(cls) or self._keymap(cls)
        rest: list[tuple[str, Any]] = []
        for key, value in attrs:
            hit = keymap.get(key)
            if hit is None:
                rest.append((key, value))
                continue
            slot, how = hit
            current = getattr(record, slot)
            if how == "l" or how == "ql":
                current.append(str(value))
                continue
            if how == "s":
                converted = value if type(value) is str else _convert(value, how)
            else:
                converted = _convert(value, how)
            if current is not None or converted is None:
                rest.append((key, value))
            else:
                setattr(record, slot, converted)
        return rest

    def classify_entity(self, attrs: list[tuple[str, Any]]) -> tuple[type[Record], list[tuple[str, Any]]]:
        """The model class an entity statement stands for, and attrs without its type."""
        found: type[Record] | None = None
        is_plan_index = -1
        for i, (key, value) in enumerate(attrs):
            if not isinstance(value, QName) or self.prov_local(key) != "type":
                continue
            local = self.vp_local(value)
            if local is not None and local in _CLASS_BY_NAME and found is None:
                found = _CLASS_BY_NAME[local]
                drop = i
            elif self.prov_local(value) == "Collection" and found is None:
                found = Collection
                drop = i
            elif self.prov_local(value) == "Plan":
                is_plan_index = i
        if found is None:
            return Entity, attrs
        rest = [
            a for j, a in enumerate(attrs) if j != drop and not (found is ActivityDescription and j == is_plan_index)
        ]
        return found, rest

    def record(self, st: Statement) -> Record:
        kind = st.kind
        attrs = st.attributes
        if kind == "entity":
            cls, attrs = self.classify_entity(attrs)
            record: Record = cls(st.id)  # type: ignore[call-arg]
            attrs = self.take_slots(record, attrs)
            record.attributes = attrs
            return record
        if kind == "activity":
            start, end = (st.formal + [None, None])[:2]
            record = Activity(st.id or "", start, end)
            record.attributes = self.take_slots(record, attrs)
            return record
        if kind == "agent":
            agent = Agent(st.id or "")
            rest: list[tuple[str, Any]] = []
            for key, value in attrs:
                if agent.type is None and isinstance(value, QName) and self.prov_local(key) == "type":
                    local = self.prov_local(value)
                    if local in _AGENT_TYPES:
                        agent.type = local
                        continue
                rest.append((key, value))
            agent.attributes = self.take_slots(agent, rest)
            return agent
        if kind == "wasInfluencedBy":
            for i, (key, value) in enumerate(attrs):
                if (
                    isinstance(value, QName)
                    and self.prov_local(key) == "type"
                    and self.vp_local(value) == "WasConfiguredBy"
                ):
                    rest = attrs[:i] + attrs[i + 1 :]
                    artefact_type = None
                    for j, (k, v) in enumerate(rest):
                        if self.vp_local(k) == "artefactType" and isinstance(v, str):
                            artefact_type = str(v)
                            rest = rest[:j] + rest[j + 1 :]
                            break
                    return WasConfiguredBy(
                        st.formal[0], st.formal[1], id=st.id, attributes=rest, artefact_type=artefact_type
                    )
            return WasInfluencedBy(*st.formal, id=st.id, attributes=attrs)
        cls_r = RELATION_CLASSES.get(kind)
        if cls_r is None:
            raise ValueError(f"unknown PROV statement kind {kind!r}")
        if len(st.formal) > len(cls_r.FORMAL):
            raise ValueError(f"{kind} takes at most {len(cls_r.FORMAL)} formal arguments")
        relation = cls_r.from_formal(st.formal, st.id)
        relation.attributes = self.take_slots(relation, attrs)
        return relation


def _convert(value: Any, how: str) -> Any:
    if how == "t":
        return value if isinstance(value, datetime) else None
    if how == "q":
        return str(value) if isinstance(value, str) else None
    # plain string slot: accept str (not QName), untagged string literals, numbers
    if isinstance(value, QName):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, Literal):
        if value.lang is None and value.datatype in (None, "xsd:string"):
            return value.value
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return None
    return None


def from_statements(statements: Iterable[Statement], namespaces: Namespaces, target: Bundle | None = None) -> Bundle:
    """Build (or fill ``target``) from W3C statements, recognising IVOA terms."""
    bundle: Bundle = target if target is not None else Document(namespaces=namespaces)
    reader = _Reader(namespaces)
    pending_plans: list[Statement] = []
    with paused_gc():
        _fill(bundle, reader, statements, pending_plans)
    for st in pending_plans:
        activity_id, _agent, plan = st.formal[:3]
        activity = bundle.get(activity_id)
        if isinstance(activity, Activity) and activity.description is None:
            activity.description = plan
        else:
            bundle.add(reader.record(st))
    return bundle


def _fill(bundle: Bundle, reader: _Reader, statements: Iterable[Statement], pending_plans: list[Statement]) -> None:
    for st in statements:
        if st.kind == "wasAssociatedWith" and st.id is None and not st.attributes:
            formal = st.formal + [None] * (3 - len(st.formal))
            if formal[1] is None and formal[2] is not None:
                pending_plans.append(st)
                continue
        bundle.add(reader.record(st))


def is_description(record: Record) -> bool:
    return isinstance(record, Description)
