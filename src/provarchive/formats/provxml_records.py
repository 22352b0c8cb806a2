"""Records made by the line readers themselves, for the common shapes (PROV-XML and PROV-N).

Written for the PROV-XML line reader and named after it; the PROV-N fast path
(:mod:`provarchive.formats.provn_parser`) uses the same makers, since both readers
hold the same ``(kind, id, formal, attributes)`` pieces.

The PROV-XML line reader (:class:`provarchive.formats.provxml._CanonicalLines`) hands
:func:`~provarchive.model.w3c.from_statements` one ``(kind, id, formal, attributes)``
tuple per record, and ``from_statements`` then builds the record. For the common
shapes the line reader can build the record itself from the keyed plan of its kind
(:func:`~provarchive.model.w3c.keyed_kinds`, the mapping ``from_statements`` applies,
spelled as data): ``from_statements`` takes records mixed with tuples, and the tuple,
the dispatch and the length checks are saved per record.

A maker is generated per kind from its plan. It builds the record only when the
statement is one it is sure ``from_statements`` reads the same way: an entity (with
no ``prov:type``, or one that selects a class of the plan: ``voprov:Parameter``,
``prov:Collection``, ...), an activity, a relation (a ``wasInfluencedBy`` only as
voprov's ``WasConfiguredBy``; never ``hadMember``, nor an agent, whose reading has
more cases), whose attributes that name an IVOA slot are each met once and already of
the slot's type (a string, or a datetime for a time). Anything else makes it return
None, and the line reader hands over the tuple as before, so the careful path decides
(``tests/formats/test_provxml.py`` reads documents both ways and compares the records
slot by slot).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..model.ids import Namespaces, QName
from ..model.records import Activity, Record
from ..model.w3c import CACHE_LIMIT, W3C_FORMAL, KeyedClass, KeyedKind, keyed_kinds

__all__ = ["Maker", "record_makers"]

#: ``make(ident, formal, attributes)``: the record, or None to leave it to from_statements.
Maker = Callable[[Any, list[Any], list[tuple[str, Any]]], "Record | None"]

#: Kinds whose reading has cases the makers do not take (agent types, hadMember's
#: members): always left to from_statements.
_LEFT_TO_STATEMENTS = frozenset({"agent", "hadMember"})

_MAKERS: dict[tuple[str, KeyedKind], Maker | None] = {}


def record_makers(namespaces: Namespaces) -> dict[str, Maker]:
    """The maker of every kind the line reader may build itself under ``namespaces``.

    Empty when the names are ambiguous (:func:`keyed_kinds` gives no plans): the line
    reader then hands every record over as a tuple.
    """
    kinds = keyed_kinds(namespaces)
    if kinds is None:
        return {}
    makers: dict[str, Maker] = {}
    for kind, plan in kinds.items():
        if kind in _LEFT_TO_STATEMENTS:
            continue
        key = (kind, plan)
        if key not in _MAKERS:
            if len(_MAKERS) >= CACHE_LIMIT:  # plans vary with the voprov prefix, which input chooses
                _MAKERS.clear()
            _MAKERS[key] = _maker(kind, plan)
        make = _MAKERS[key]
        if make is not None:
            makers[kind] = make
    return makers


def _maker(kind: str, plan: KeyedKind) -> Maker | None:
    """The generated maker of ``kind``, or None if its plan is not one a maker follows.

    An entity with a ``prov:type`` is handed to :func:`_typed_entity_maker`, which
    builds the IVOA class (or ``Collection``) that one type selects.
    """
    if kind == "wasInfluencedBy":
        return _configured_maker(plan)
    make = _class_maker(kind, plan.default, plan.defers_plans)
    if make is None or kind != "entity":
        return make
    typed = _typed_entity_maker(plan)
    return _class_maker(kind, plan.default, False, typed)


def _typed_entity_maker(plan: KeyedKind) -> Maker:
    """``make`` for an entity whose attributes hold a ``prov:type``.

    The record of the one class that type selects, its ``prov:type`` consumed, as
    ``classify_entity`` reads it when the entity has exactly one ``prov:type`` and it is
    a QName the plan selects a class by. Anything else (several types, a type that
    selects nothing, a literal) is left to from_statements.
    """
    by_type: dict[str, Maker] = {}
    for name, keyed in plan.by_type:
        make = _class_maker("entity", keyed, False)
        if make is not None:
            by_type[name] = make

    def make_typed(ident: Any, formal: list[Any], attrs: list[tuple[str, Any]]) -> Record | None:
        chosen = None
        at = -1
        for i, (key, value) in enumerate(attrs):
            if key == "prov:type":
                if chosen is not None or type(value) is not QName:
                    return None
                chosen = by_type.get(value)
                if chosen is None:
                    return None
                at = i
        if chosen is None:
            return None
        return chosen(ident, formal, attrs[:at] + attrs[at + 1 :])

    return make_typed


def _configured_maker(plan: KeyedKind) -> Maker | None:
    """``make`` for ``wasInfluencedBy``: the voprov ``WasConfiguredBy`` its one
    ``prov:type`` selects, with at most one ``artefactType`` (a string), as
    ``from_statements`` reads it; anything else (a plain influence, several types or
    artefact types) is left to from_statements. None without a voprov prefix."""
    if len(plan.by_type) != 1:
        return None
    configured_type, keyed = plan.by_type[0]
    if len(keyed.formal) != 2 or len(keyed.slots) != 1 or keyed.start_none or keyed.start_list or keyed.fixed:
        return None
    (first, _), (second, _) = keyed.formal
    artefact_slot, artefact_key, _how = keyed.slots[0]
    cls = keyed.cls

    def make_configured(ident: Any, formal: list[Any], attrs: list[tuple[str, Any]]) -> Record | None:
        type_at = artefact_at = -1
        for i, (key, value) in enumerate(attrs):
            if key == "prov:type":
                if type_at >= 0 or type(value) is not QName or value != configured_type:
                    return None
                type_at = i
            elif key == artefact_key:
                if artefact_at >= 0 or type(value) is not str:
                    return None
                artefact_at = i
        if type_at < 0:
            return None
        o = cls.__new__(cls)
        setattr(o, first, formal[0])
        setattr(o, second, formal[1])
        setattr(o, artefact_slot, attrs[artefact_at][1] if artefact_at >= 0 else None)
        o.id = ident
        o._attributes = [item for i, item in enumerate(attrs) if i != type_at and i != artefact_at] or ()
        return o

    return make_configured


def _class_maker(kind: str, keyed: KeyedClass, defers_plans: bool, typed: Maker | None = None) -> Maker | None:
    """The generated maker of the records of one class (None if its plan is not plain).

    An attribute ``prov:type`` of an entity goes to ``typed`` if given (None: to
    from_statements).
    """
    source = _source(kind, keyed, defers_plans, typed is not None)
    if source is None:
        return None
    positions = {key: i for i, (_slot, key, _how) in enumerate(keyed.slots)}
    if kind == "entity":
        positions["prov:type"] = -1  # it may select an IVOA class (classify_entity)
    namespace: dict[str, Any] = {
        "new": keyed.cls.__new__,
        "cls": keyed.cls,
        "POSITIONS": positions,
        "typed": typed,
        "datetime": datetime,
    }
    exec(compile(source, f"<record maker of {kind} ({keyed.cls.__name__})>", "exec"), namespace)  # noqa: S102
    return namespace["make"]  # type: ignore[no-any-return]


def _source(kind: str, keyed: KeyedClass, defers_plans: bool, has_typed: bool) -> str | None:
    """Python source of ``make(ident, formal, attrs)``, which builds what the builders of
    :func:`~provarchive.model.w3c.from_statements` build for the same statement."""
    cls = keyed.cls
    if keyed.fixed or len(keyed.formal) != len(W3C_FORMAL[kind]):
        return None
    lines = ["def make(ident, formal, attrs):"]
    if defers_plans:  # wasAssociatedWith(a, -, plan), anonymous, bare: maybe a description
        lines.append("    if ident is None and not attrs and formal[1] is None and formal[2] is not None:")
        lines.append("        return None")
    slot_vars = [f"s{i}" for i in range(len(keyed.slots))]
    if slot_vars:
        lines.append(f"    {' = '.join(slot_vars)} = None")
    lines.append("    rest = attrs")
    lines.append("    if attrs:")
    lines.append("        rest = []")
    lines.append("        for item in attrs:")
    lines.append("            i = POSITIONS.get(item[0])")
    lines.append("            if i is None:")
    lines.append("                rest.append(item)")
    for i, (_slot, _key, how) in enumerate(keyed.slots):
        # a string for a string or an identifier slot, a datetime for a time slot (what
        # the slot takers convert to themselves); lists and the rest: the careful path
        if how == "s" or how == "q" or how == "t":
            expected = "datetime" if how == "t" else "str"
            lines.append(f"            elif i == {i} and s{i} is None and type(item[1]) is {expected}:")
            lines.append(f"                s{i} = item[1]")
    if has_typed:
        lines.append("            elif i == -1:")
        lines.append("                return typed(ident, formal, attrs)")
    lines.append("            else:")
    lines.append("                return None")
    lines.append("    o = new(cls)")
    names = [name for name, _key in keyed.formal]
    if names:
        lines.append(f"    {', '.join('o.' + name for name in names)}, = formal")
    for i, (slot, _key, how) in enumerate(keyed.slots):
        if how != "l" and how != "ql":  # list slots start empty (start_list)
            lines.append(f"    o.{slot} = s{i}")
    if keyed.start_none:
        lines.append(f"    {' = '.join('o.' + slot for slot in keyed.start_none)} = None")
    lines.extend(f"    o.{slot} = []" for slot in keyed.start_list)
    lines.append("    o.id = ident or ''" if cls is Activity else "    o.id = ident")
    lines.append("    o._attributes = rest or ()")
    lines.append("    return o")
    return "\n".join(lines) + "\n"
