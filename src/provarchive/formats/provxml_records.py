"""Records made by the PROV-XML line reader itself, for the common shapes.

The line reader (:class:`provarchive.formats.provxml._CanonicalLines`) hands
:func:`~provarchive.model.w3c.from_statements` one ``(kind, id, formal, attributes)``
tuple per record, and ``from_statements`` then builds the record. For the common
shapes the line reader can build the record itself from the keyed plan of its kind
(:func:`~provarchive.model.w3c.keyed_kinds`, the mapping ``from_statements`` applies,
spelled as data): ``from_statements`` takes records mixed with tuples, and the tuple,
the dispatch and the length checks are saved per record.

A maker is generated per kind from its plan. It builds the record only when the
statement is one it is sure ``from_statements`` reads the same way: an entity,
activity or relation (not ``wasInfluencedBy``, ``hadMember`` or an agent, whose
reading has more cases), without a ``prov:type`` for entities, whose attributes
that name an IVOA slot are plain strings for string slots, each met once. Anything
else makes it return None, and the line reader hands over the tuple as before, so
the careful path decides (``tests/formats/test_provxml.py`` reads documents both
ways and compares the records slot by slot).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..model.ids import Namespaces
from ..model.records import Activity, Record
from ..model.w3c import CACHE_LIMIT, W3C_FORMAL, KeyedKind, keyed_kinds

__all__ = ["Maker", "record_makers"]

#: ``make(ident, formal, attributes)``: the record, or None to leave it to from_statements.
Maker = Callable[[Any, list[Any], list[tuple[str, Any]]], "Record | None"]

#: Kinds whose reading has cases the makers do not take (agent types, WasConfiguredBy,
#: hadMember's members): always left to from_statements.
_LEFT_TO_STATEMENTS = frozenset({"agent", "wasInfluencedBy", "hadMember"})

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
    """The generated maker of ``kind``, or None if its plan is not one a maker follows."""
    source = _source(kind, plan)
    if source is None:
        return None
    keyed = plan.default
    namespace: dict[str, Any] = {"new": keyed.cls.__new__, "cls": keyed.cls, "POSITIONS": _positions(kind, plan)}
    exec(compile(source, f"<PROV-XML maker of {kind}>", "exec"), namespace)  # noqa: S102
    return namespace["make"]  # type: ignore[no-any-return]


def _positions(kind: str, plan: KeyedKind) -> dict[str, int]:
    """Attribute key → position of its slot in the plan (-1: a key the maker leaves)."""
    positions = {key: i for i, (_slot, key, _how) in enumerate(plan.default.slots)}
    if kind == "entity":
        positions["prov:type"] = -1  # it may select an IVOA class (classify_entity)
    return positions


def _source(kind: str, plan: KeyedKind) -> str | None:
    """Python source of ``make(ident, formal, attrs)``, which builds what the builders of
    :func:`~provarchive.model.w3c.from_statements` build for the same statement."""
    keyed = plan.default
    cls = keyed.cls
    if keyed.fixed or len(keyed.formal) != len(W3C_FORMAL[kind]):
        return None
    lines = ["def make(ident, formal, attrs):"]
    if plan.defers_plans:  # wasAssociatedWith(a, -, plan), anonymous, bare: maybe a description
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
        if how != "s":
            continue  # identifiers, times and lists: converted by the careful path
        lines.append(f"            elif i == {i} and s{i} is None and type(item[1]) is str:")
        lines.append(f"                s{i} = item[1]")
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
    lines.append("    o.attributes = rest")
    lines.append("    return o")
    return "\n".join(lines) + "\n"
