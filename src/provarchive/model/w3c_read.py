"""Reading: W3C statements → records, recognising IVOA terms by namespace URI.

The mapping's rules are in :mod:`provarchive.model.w3c` and its tables in
:mod:`~provarchive.model.w3c_tables`. :func:`from_statements` is the last step of the
PROV-N, PROV-XML and PROV-O readers (and of the PROV-JSON reader for what its keyed
plans, :mod:`~provarchive.model.w3c_keyed`, leave to it). :class:`_Reader` generates,
per statement kind and record class, the constructors and slot takers that make
reading 100k statements cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, cast

from ..util import paused_gc
from .configuration import WasConfiguredBy
from .descriptions import ActivityDescription, Description
from .document import Bundle, Document
from .ids import KNOWN_VOPROV_URIS, PROV, Literal, Namespaces, QName
from .records import RELATION_CLASSES, Activity, Agent, Collection, Entity, Record, WasInfluencedBy
from .w3c_tables import _AGENT_TYPES, _CLASS_BY_NAME, _SLOTS, Statement, _compiled

__all__ = ["RawStatement", "from_statements", "is_description"]


class _Reader:
    """Turns statements back into records, recognising IVOA terms by namespace URI."""

    def __init__(self, namespaces: Namespaces) -> None:
        self.ns = namespaces
        self.vp_prefixes = {p for p in namespaces if namespaces[p] in KNOWN_VOPROV_URIS}
        if namespaces.default in KNOWN_VOPROV_URIS:
            self.vp_prefixes.add("")
        self._keymaps: dict[type[Record], dict[str, tuple[str, str]]] = {}
        self._takers: dict[type[Record], Callable[[Record, list[tuple[str, Any]]], list[tuple[str, Any]]]] = {}
        self._blanks: dict[type[Record], Callable[[str | None], Record]] = {}
        #: Constructor by statement kind, for the kinds that have one (see :meth:`builder`).
        self._builders: dict[str, Callable[[str | None, list[Any], list[tuple[str, Any]]], Record]] = {
            "entity": self._entity
        }

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
        return self.taker(type(record))(record, attrs)

    def taker(self, cls: type[Record]) -> Callable[[Record, list[tuple[str, Any]]], list[tuple[str, Any]]]:
        """The (generated, cached) ``take(record, attrs)`` of ``cls``: :meth:`take_slots`
        for records of that class, with the slots named in the code.

        Per attribute: its slot, if its name is one (for every prefix in use), takes
        it when empty and the value converts (``_convert``); list slots collect every
        value as a string; anything else is left over, in order.
        """
        take = self._takers.get(cls)
        if take is not None:
            return take
        slots = _SLOTS.get(cls, ())
        positions: dict[str, int] = {}
        prov_prefixes = [p for p in self.ns if self.ns[p] == PROV] + ["prov"]
        for i, (_slot, local, ns, _how) in enumerate(slots):
            for prefix in prov_prefixes if ns == "prov" else self.vp_prefixes:
                positions[f"{prefix}:{local}" if prefix else local] = i
        lines = [
            "def take(o, attrs):",
            "    rest = []",
            "    for key, value in attrs:",
            "        i = POSITIONS.get(key)",
            "        if i is None:",
            "            rest.append((key, value))",
        ]
        for i, (slot, _local, _ns, how) in enumerate(slots):
            lines.append(f"        elif i == {i}:")
            if how == "l" or how == "ql":
                lines.append(f"            o.{slot}.append(str(value))")
                continue
            if how == "s":  # the common case: a plain string
                lines.append("            if type(value) is str:")
                lines.append(f"                if o.{slot} is None:")
                lines.append(f"                    o.{slot} = value")
                lines.append("                else:")
                lines.append("                    rest.append((key, value))")
                lines.append("                continue")
            lines.append(f"            converted = convert(value, {how!r})")
            lines.append(f"            if o.{slot} is not None or converted is None:")
            lines.append("                rest.append((key, value))")
            lines.append("            else:")
            lines.append(f"                o.{slot} = converted")
        lines.append("    return rest")
        namespace: dict[str, Any] = {"POSITIONS": positions, "convert": _convert}
        exec(_compiled("\n".join(lines) + "\n", f"<w3c slots of {cls.__name__}>"), namespace)  # noqa: S102
        take = self._takers[cls] = namespace["take"]
        return take

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

    def _builder_source(self, kind: str) -> str:
        """Python source of ``build(id, formal, attrs)`` for a relation kind or ``activity``.

        The record is made with ``__new__`` and its slots assigned directly: the same
        object ``__init__`` would give (formal arguments as read, IVOA slots empty
        until ``take_slots`` fills them), at a fraction of the cost per record.
        """
        cls = Activity if kind == "activity" else RELATION_CLASSES[kind]
        names = [name for name, _key in cls.FORMAL]
        n = len(names)
        lines = ["def build(id, formal, attrs):"]
        if cls is Activity:  # extra arguments were always ignored here
            lines.append(f"    formal = formal[:{n}]")
        lines.append(f"    if len(formal) != {n}:")
        lines.append(f"        if len(formal) > {n}:")
        lines.append(f"            raise ValueError({kind + f' takes at most {n} formal arguments'!r})")
        lines.append(f"        formal = formal + [None] * ({n} - len(formal))")
        lines.append("    o = new(cls)")
        lines.append(f"    {', '.join('o.' + name for name in names)}, = formal")
        others = list(cls.IVOA) + (["_bundle"] if cls is Activity else [])
        if others:
            lines.append(f"    {' = '.join('o.' + name for name in others)} = None")
        lines.append("    o.id = id" if cls is not Activity else "    o.id = id or ''")
        lines.append("    o._attributes = (take(o, attrs) or ()) if attrs else ()")
        lines.append("    return o")
        return "\n".join(lines) + "\n"

    def builder(self, kind: str) -> Callable[[str | None, list[Any], list[tuple[str, Any]]], Record]:
        """The (generated, cached) constructor of a relation kind or ``activity``."""
        build = self._builders.get(kind)
        if build is None:
            cls = Activity if kind == "activity" else RELATION_CLASSES[kind]
            namespace: dict[str, Any] = {"new": cls.__new__, "cls": cls, "take": self.taker(cls)}
            exec(_compiled(self._builder_source(kind), f"<w3c reader of {kind}>"), namespace)  # noqa: S102
            build = self._builders[kind] = namespace["build"]
        return build

    def _entity(self, ident: str | None, _formal: list[Any], attrs: list[tuple[str, Any]]) -> Record:
        """The record of an ``entity`` statement: a plain Entity or the IVOA class its type names."""
        cls, attrs = self.classify_entity(attrs) if attrs else (Entity, attrs)
        blank = self._blanks.get(cls) or self._blank(cls)
        record = blank(ident)
        record._attributes = ((self._takers.get(cls) or self.taker(cls))(record, attrs) or ()) if attrs else ()
        return record

    def _blank(self, cls: type[Record]) -> Callable[[str | None], Record]:
        """A fast constructor of ``cls(id)``: ``__new__`` plus the slot values ``__init__`` gives.

        Generated from one instance made by ``__init__``: every slot it leaves None (or
        an empty list) is set the same way. A class whose ``__init__`` sets anything
        else keeps its ``__init__``.
        """
        blanks = blank_slots(cls)
        if blanks is None:
            self._blanks[cls] = cls  # type: ignore[assignment]
            return cls  # type: ignore[return-value]
        none, lists = blanks
        lines = ["def blank(id):", "    o = new(cls)", "    o.id = id"]
        if none:
            lines.append(f"    {' = '.join('o.' + slot for slot in none)} = None")
        lines.extend(f"    o.{slot} = []" for slot in lists)
        lines.append("    return o")
        namespace: dict[str, Any] = {"new": cls.__new__, "cls": cls}
        exec(compile("\n".join(lines) + "\n", f"<w3c blank {cls.__name__}>", "exec"), namespace)  # noqa: S102
        blank = self._blanks[cls] = namespace["blank"]
        return blank  # type: ignore[no-any-return]

    def record(self, st: Statement) -> Record:
        """The record of one statement."""
        return self.record_of(st.kind, st.id, st.formal, st.attributes)

    def record_of(self, kind: str, ident: str | None, formal: list[Any], attrs: list[tuple[str, Any]]) -> Record:
        """The record of the statement (kind, ident, formal, attrs)."""
        build = self._builders.get(kind)
        if build is not None:
            return build(ident, formal, attrs)
        if kind == "activity" or (kind in RELATION_CLASSES and kind != "wasInfluencedBy"):
            return self.builder(kind)(ident, formal, attrs)
        if kind == "agent":
            agent = Agent(ident or "")
            rest: list[tuple[str, Any]] = []
            for key, value in attrs:
                if agent.type is None and isinstance(value, QName) and self.prov_local(key) == "type":
                    local = self.prov_local(value)
                    if local in _AGENT_TYPES:
                        agent.type = local
                        continue
                rest.append((key, value))
            agent._attributes = self.take_slots(agent, rest) or ()
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
                    # as __init__ would build it, at a third of the cost
                    configured = WasConfiguredBy.__new__(WasConfiguredBy)
                    configured.activity, configured.artefact = formal[0], formal[1]
                    configured.artefact_type = artefact_type
                    configured.id = ident
                    configured._attributes = list(rest) if rest else ()
                    return configured
            return WasInfluencedBy(*formal, id=ident, attributes=attrs)
        raise ValueError(f"unknown PROV statement kind {kind!r}")


#: Marks a slot an instance has not set.
_MISSING = object()


def blank_slots(cls: type[Record], skip: Iterable[str] = ()) -> tuple[list[str], list[str]] | None:
    """The slots ``cls(id)`` leaves None and those it sets to an empty list; None if it sets others.

    Read from one instance made by ``__init__``, so the generated constructors that
    assign these slots directly cannot drift from it. ``id``, ``_attributes`` (the
    empty tuple, set by the callers themselves) and the slots in ``skip`` (those the
    caller fills itself) are left out.
    """
    template = cls("_:template")  # type: ignore[call-arg]
    skipped = {"id", "_attributes", *skip}
    none: list[str] = []
    lists: list[str] = []
    for klass in cls.__mro__:
        for slot in getattr(klass, "__slots__", ()):
            if slot in skipped or slot in none or slot in lists:
                continue
            value = getattr(template, slot, _MISSING)
            if value is None:
                none.append(slot)
            elif type(value) is list and not value:
                lists.append(slot)
            else:
                return None
    return none, lists


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


#: A statement as readers may hand it over when speed matters: (kind, id, formal, attributes).
RawStatement = tuple[str, "str | None", list[Any], list[tuple[str, Any]]]


def from_statements(
    statements: Iterable[Statement | RawStatement | Record], namespaces: Namespaces, target: Bundle | None = None
) -> Bundle:
    """Build (or fill ``target``) from W3C statements, recognising IVOA terms.

    A statement may also be a plain ``(kind, id, formal, attributes)`` tuple: readers
    of large documents build those, as a tuple costs a fraction of a ``Statement``.
    Readers that build most records themselves (PROV-JSON and PROV-XML, see :func:`keyed_kinds`)
    may also pass records, which are added in their place.
    """
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


def _fill(
    bundle: Bundle,
    reader: _Reader,
    statements: Iterable[Statement | RawStatement | Record],
    pending_plans: list[Statement],
) -> None:
    """Add the record of every statement, keeping activity-plan associations for later.

    The hot loop of reading: the constructor of a kind is looked up here directly
    (``reader.record`` makes it the first time the kind is met), and the records are
    added to the bundle in bulk at the end (also when a statement is refused).
    """
    records: list[Record] = []
    add = records.append
    builders = reader._builders
    record_of = reader.record_of
    try:
        for st in statements:
            if type(st) is tuple:
                kind, ident, formal, attrs = st
            elif isinstance(st, Statement):
                kind, ident, formal, attrs = st.kind, st.id, st.formal, st.attributes
            else:  # a record a keyed reader built itself (see keyed_kinds)
                add(cast(Record, st))
                continue
            if kind == "wasAssociatedWith" and ident is None and not attrs:
                padded = formal + [None] * (3 - len(formal))
                if padded[1] is None and padded[2] is not None:
                    pending_plans.append(st if isinstance(st, Statement) else Statement(kind, ident, formal, attrs))
                    continue
            build = builders.get(kind)
            add(record_of(kind, ident, formal, attrs) if build is None else build(ident, formal, attrs))
    finally:
        bundle.extend(records)


def is_description(record: Record) -> bool:
    return isinstance(record, Description)
