"""Keyed reading plans: the mapping of :func:`~provarchive.model.w3c_read.from_statements`
spelled as data, for readers that build records without statements.

The PROV-JSON reader (``formats/provjson_decoders.py``) and the PROV-XML line reader
(``formats/provxml_records.py``) generate one constructor per statement kind from these
plans, which is several times cheaper than making a statement and mapping it. The
plans are derived from the same tables and the same
:class:`~provarchive.model.w3c_read._Reader` key maps as statement reading, so the two
paths read a document alike (``tests/formats/test_provjson.py`` and
``tests/formats/test_provxml.py`` check that they do).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

from .configuration import WasConfiguredBy
from .ids import PROV, Namespaces
from .records import RELATION_CLASSES, Activity, Agent, Collection, Entity, Record, Relation
from .w3c_read import _Reader, blank_slots
from .w3c_tables import _AGENT_TYPES, _CLASS_BY_NAME, CACHE_LIMIT, W3C_FORMAL

__all__ = ["KeyedClass", "KeyedKind", "keyed_kinds"]


class KeyedClass(NamedTuple):
    """How a keyed reader (PROV-JSON) builds the records of one class without statements.

    The mapping of :func:`from_statements` spelled as data, for readers that generate
    their own per-kind constructors: a record is ``cls.__new__(cls)`` with ``formal``
    slots taken from their keys, IVOA ``slots`` from their attribute keys (value kind
    as in ``_SLOTS``: "s" string, "q" identifier, "t" datetime, "l"/"ql" lists), every
    slot in ``start_none`` set to None and in ``start_list`` to an empty list, the
    ``fixed`` slot values set, and every other key kept as an attribute in key order.
    ``tests/formats/test_provjson.py`` checks that records built this way are those
    :func:`from_statements` builds.
    """

    cls: type[Record]
    formal: tuple[tuple[str, str], ...]
    slots: tuple[tuple[str, str, str], ...]
    start_none: tuple[str, ...]
    start_list: tuple[str, ...]
    fixed: tuple[tuple[str, str], ...] = ()


class KeyedKind(NamedTuple):
    """The classes one W3C statement kind is read as (see :func:`keyed_kinds`).

    ``by_type`` maps a ``prov:type`` QName to the class it selects (that ``prov:type``
    is then consumed, not kept as an attribute); any other statement of the kind is a
    ``default`` record. ``defers_plans`` marks ``wasAssociatedWith``, whose anonymous
    plan-only form without attributes is an activity's description and must be left
    to :func:`from_statements`.
    """

    default: KeyedClass
    by_type: tuple[tuple[str, KeyedClass], ...] = ()
    defers_plans: bool = False


def keyed_kinds(namespaces: Namespaces) -> Mapping[str, KeyedKind] | None:
    """The keyed reading plan of every statement kind, or None if names are ambiguous.

    A plan says which key holds which slot. That is only one key per slot when no
    prefix other than ``prov`` is bound to the PROV namespace and at most one prefix
    (not the default namespace) to an IVOA one: documents that bind more (rare) are
    read through statements only. Plans are made once per voprov prefix and shared
    (read-only), as a document's bundles and later documents use the same ones.
    """
    reader = _Reader(namespaces)
    if any(namespaces[p] == PROV for p in namespaces) or "" in reader.vp_prefixes or len(reader.vp_prefixes) > 1:
        return None
    vp = next(iter(reader.vp_prefixes), None)
    kinds = _KEYED_KINDS.get(vp)
    if kinds is None:
        if len(_KEYED_KINDS) >= CACHE_LIMIT:
            _KEYED_KINDS.clear()
        kinds = _KEYED_KINDS[vp] = _keyed_kinds(reader, vp)
    return kinds


#: keyed_kinds by voprov prefix (all a plan depends on once names are unambiguous).
_KEYED_KINDS: dict[str | None, Mapping[str, KeyedKind]] = {}


def _keyed_kinds(reader: _Reader, vp: str | None) -> Mapping[str, KeyedKind]:
    kinds: dict[str, KeyedKind] = {}
    entity_classes = [(f"{vp}:{name}", cls) for name, cls in _CLASS_BY_NAME.items()] if vp else []
    entity_classes.append(("prov:Collection", Collection))
    plans = {cls: _keyed_class(reader, cls) for _name, cls in entity_classes}
    by_type = tuple((name, plan) for name, cls in entity_classes if (plan := plans[cls]) is not None)
    entity = _keyed_class(reader, Entity)
    if entity is not None:
        kinds["entity"] = KeyedKind(entity, by_type)
    agent = _keyed_class(reader, Agent)
    if agent is not None:
        agent_types = tuple((f"prov:{name}", agent._replace(fixed=(("type", name),))) for name in sorted(_AGENT_TYPES))
        kinds["agent"] = KeyedKind(agent, agent_types)
    activity = _keyed_class(reader, Activity)
    if activity is not None:
        kinds["activity"] = KeyedKind(activity)
    for kind, cls in RELATION_CLASSES.items():
        plan = _keyed_class(reader, cls)
        if plan is None:
            continue
        if kind == "wasInfluencedBy":
            configured = _keyed_class(reader, WasConfiguredBy) if vp else None
            if configured is not None:
                kinds[kind] = KeyedKind(plan, ((f"{vp}:WasConfiguredBy", configured),))
            else:
                kinds[kind] = KeyedKind(plan)
        else:
            kinds[kind] = KeyedKind(plan, defers_plans=kind == "wasAssociatedWith")
    return MappingProxyType(kinds)


def _keyed_class(reader: _Reader, cls: type[Record]) -> KeyedClass | None:
    """The keyed plan of ``cls``; None for a class whose construction is not plain slots."""
    formal = tuple((name, key) for name, key in cls.FORMAL)
    if cls is WasConfiguredBy:
        # read as a wasInfluencedBy: its formal keys, and voprov:artefactType a string slot
        formal = tuple(zip(("activity", "artefact"), W3C_FORMAL["wasInfluencedBy"], strict=True))
        vp = next(iter(reader.vp_prefixes))
        return KeyedClass(cls, formal, (("artefact_type", f"{vp}:artefactType", "s"),), (), ())
    slots = tuple((slot, key, how) for key, (slot, how) in reader._keymap(cls).items())
    if issubclass(cls, Relation):
        taken = {name for name, _key in formal} | {slot for slot, _key, _how in slots}
        return KeyedClass(cls, formal, slots, tuple(s for s in cls.IVOA if s not in taken), ())
    read = {name for name, _key in formal} | {slot for slot, _key, how in slots if how != "l" and how != "ql"}
    blanks = blank_slots(cls, read)
    if blanks is None:
        return None
    return KeyedClass(cls, formal, slots, tuple(blanks[0]), tuple(blanks[1]))
