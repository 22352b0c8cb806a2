"""Generated PROV-JSON decoders: one function per statement kind, building records directly.

Reading a 100k-record document spends most of its Python time per record, so the
common shape of a record is decoded by a function generated for its kind from the
plan of :func:`provarchive.model.w3c.keyed_kinds` (the IVOA ↔ W3C mapping spelled as
data): formal keys and IVOA attribute keys fetched one by one (no loop over
positions), identifiers' prefixes checked with one ``startswith``, times parsed in
place, and the record made with ``__new__`` and its slots assigned, with no statement
in between. Other attributes go through the reader's ordinary attribute decoding.

Anything else — a list of records under one id, hadMember's member lists, a value
in an unusual spelling, an error — is handed to the careful path (``slow``), which
makes statements for :func:`~provarchive.model.w3c.from_statements` exactly as
before. A decoder raises no error of its own: the only errors leaving it come from
the reader's attribute decoding, at the attribute where the careful path would stop
too, and whatever it accepts the careful path reads the same way (the tests read
documents both ways and compare).

A generated decoder depends only on its plan, not on the document, so it is
compiled once per plan and kept (up to ``w3c.CACHE_LIMIT`` plans). Where the compiled
accelerator is built (:mod:`.accel`), the same plan, spelled as a tuple
(:func:`_accel_plan`), drives its loop (``_provjson_accel/decode.c``) instead, with
the same checks and the same hand-overs to the careful path.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from ..model.records import Record, Relation
from ..model.w3c import CACHE_LIMIT, TIME_KEYS, KeyedClass, KeyedKind
from .accel import ACCEL, slot_offset

__all__ = ["decoder"]

#: A decoder: ``read(group, out, slow, known, problem, attributes, good, bundle)``.
Decoder = Callable[..., None]

#: Decoders by kind, plan and whether compiled.
_DECODERS: dict[tuple[str, KeyedKind, bool], Decoder] = {}

#: The compiled loop (None: the generated Python decodes).
_ACCEL = ACCEL


def decoder(kind: str, plan: KeyedKind) -> Decoder:
    """The decoder of the ``kind`` section (generated the first time this plan is met).

    ``read(group, out, slow, known, problem, attributes, good, bundle)`` walks the
    section ``group`` (id → JSON object) and, per record, either appends the record to
    the list ``out`` or calls ``slow(rid, body)``. ``known`` is the tuple of ``"prefix:"`` strings an
    identifier may start with unchecked, ``problem(name)`` says why another name does
    not resolve (None if it does), ``attributes(body, rid, skip)`` decodes the
    attributes of ``body`` except the keys in ``skip``, and ``good`` is the set of
    names already known to resolve. Elements get ``bundle`` as their ``_bundle`` (the
    bundle they are read into), which adding them to it then need not set.
    """
    key = (kind, plan, _ACCEL is not None)
    read = _DECODERS.get(key)
    if read is None:
        if len(_DECODERS) >= CACHE_LIMIT:  # plans vary with the voprov prefix, which input chooses
            _DECODERS.clear()
        accel_plan = _accel_plan(plan) if _ACCEL is not None else None
        if accel_plan is not None:
            read = partial(_ACCEL.decode_records, accel_plan)  # type: ignore[union-attr]
        else:
            source, constants = _source(kind, plan)
            namespace: dict[str, Any] = {"fromiso": datetime.fromisoformat, **constants}
            exec(compile(source, f"<PROV-JSON decoder of {kind}>", "exec"), namespace)  # noqa: S102
            read = namespace["read"]
        _DECODERS[key] = read
    return read


#: The compiled loop's numbers for the value kinds of ``KeyedClass.slots``.
_ACCEL_HOW = {"s": 0, "q": 1, "t": 2, "l": 3, "ql": 3}


def _accel_plan(plan: KeyedKind) -> tuple[Any, ...] | None:
    """``plan`` as the compiled loop reads it (see ``_provjson_accel/decode.c``), or None
    where a class's slot is not a plain slot or a value kind is one it does not know:
    the generated Python decodes that kind then."""
    default = plan.default
    keys = tuple(key for _slot, key in default.formal)
    try:
        classes = (
            _accel_class(default, consumes_type=False),
            *(_accel_class(keyed, consumes_type=True) for _name, keyed in plan.by_type),
        )
    except (KeyError, TypeError):  # a value kind it does not know, a slot that is not plain
        return None
    by_type = {name: i for i, (name, _keyed) in enumerate(plan.by_type)} if plan.by_type else None
    return (
        issubclass(default.cls, Relation),
        keys,
        tuple(key in TIME_KEYS for key in keys),
        plan.defers_plans,
        by_type,
        classes,
        slot_offset(Record, "id"),
        slot_offset(Record, "_attributes"),
    )


def _accel_class(keyed: KeyedClass, *, consumes_type: bool) -> tuple[Any, ...]:
    """One class of :func:`_accel_plan`: the slots :func:`_build`'s code sets, as offsets."""
    cls = keyed.cls
    if cls.__new__ is not object.__new__:
        raise TypeError(f"{cls.__name__} makes its instances itself")
    return (
        cls,
        tuple(slot_offset(cls, slot) for slot, _key in keyed.formal),
        tuple(
            (0 if _ACCEL_HOW[how] == 3 else slot_offset(cls, slot), key, _ACCEL_HOW[how])
            for slot, key, how in keyed.slots
        ),
        tuple(slot_offset(cls, slot) for slot in keyed.start_none if slot != "_bundle"),
        slot_offset(cls, "_bundle") if "_bundle" in keyed.start_none else -1,
        tuple(slot_offset(cls, slot) for slot in keyed.start_list),
        tuple((slot_offset(cls, slot), value) for slot, value in keyed.fixed),
        _skipped(keyed, consumes_type=consumes_type),
    )


def _skipped(keyed: KeyedClass, *, consumes_type: bool) -> frozenset[str]:
    """The keys a record's attributes leave out: those its slots were read from."""
    handled = {key for _slot, key in keyed.formal} | {key for _slot, key, _how in keyed.slots}
    if consumes_type:
        handled.add("prov:type")
    return frozenset(handled)


def _source(kind: str, plan: KeyedKind) -> tuple[str, dict[str, Any]]:
    """Python source of the decoder of ``kind`` and the constants it refers to."""
    default = plan.default
    is_relation = issubclass(default.cls, Relation)
    constants: dict[str, Any] = {}
    lines = [
        "def read(group, out, slow, known, problem, attributes, good, bundle):",
        "    append = out.append",
        "    for rid, body in group.items():",
    ]
    if is_relation:
        # most relations are anonymous ("_:id3"): that test first, and the id is None then
        lines += [
            "        if type(body) is not dict:",
            "            slow(rid, body)",
            "            continue",
            "        if rid.startswith('_:'):",
            "            ident = None",
            "        elif rid.startswith(known) or problem(rid) is None:",
            "            ident = rid",
            "        else:",
            "            slow(rid, body)",
            "            continue",
        ]
    else:
        lines += [
            "        if type(body) is not dict or not (rid.startswith(known) or problem(rid) is None):",
            "            slow(rid, body)",
            "            continue",
        ]
    lines.append("        n = len(body)")
    fail = ["slow(rid, body)", "continue"]
    body: list[str] = []
    for position, (_slot, key) in enumerate(default.formal):
        var = f"f{position}"
        body.append(f"{var} = body.get({key!r})")
        if key in TIME_KEYS:
            body.append(f"if {var} is not None:")
            body.append(f"    if type({var}) is not str or 'T' not in {var}:")
            body.extend("        " + line for line in fail)
            body.append("    try:")
            body.append(f"        {var} = fromiso({var})")
            body.append("    except ValueError:")
            body.extend("        " + line for line in fail)
            body.append("    n -= 1")
            continue
        check = f"type({var}) is not str or not ({var}.startswith(known) or problem({var}) is None)"
        if position == 0 and is_relation:  # a relation's subject is mandatory
            body.append(f"if {var} is None or {check}:")
            body.extend("    " + line for line in fail)
            body.append("n -= 1")
            continue
        body.append(f"if {var} is not None:")
        body.append(f"    if {check}:")
        body.extend("        " + line for line in fail)
        body.append("    n -= 1")
    if plan.defers_plans:  # wasAssociatedWith(a, -, plan) anonymous: maybe an activity's description
        body.append("if f1 is None and f2 is not None and rid.startswith('_:'):")
        body.extend("    " + line for line in fail)
    if plan.by_type:
        constants["BY_TYPE"] = {name: i for i, (name, _cls) in enumerate(plan.by_type)}
        body.append("selector = body.get('prov:type')")
        body.append("chosen = -1")
        # one QName in the plain spelling selects a class (or none); several types, or a
        # QName spelled otherwise, are classified by the careful path
        body.append("if selector is not None:")
        body.append(
            "    if type(selector) is dict and len(selector) == 2 and selector.get('type') == 'xsd:QName' "
            "and type(name := selector.get('$')) is str:"
        )
        body.append("        chosen = BY_TYPE.get(name, -1)")
        body.append("    elif type(selector) is dict or type(selector) is list:")
        body.extend("        " + line for line in fail)
        body.append("if chosen < 0:")  # the common case first
        body.extend("    " + line for line in _build(default, -1, is_relation, constants, consumes_type=False))
        for i, (_name, keyed) in enumerate(plan.by_type):
            body.append(f"elif chosen == {i}:")
            body.append("    n -= 1")
            body.extend("    " + line for line in _build(keyed, i, is_relation, constants, consumes_type=True))
    else:
        body.extend(_build(default, -1, is_relation, constants, consumes_type=False))
    lines.extend("        " + line for line in body)
    return "\n".join(lines) + "\n", constants


def _build(
    keyed: KeyedClass, tag: int, is_relation: bool, constants: dict[str, Any], *, consumes_type: bool
) -> list[str]:
    """Lines that decode the IVOA attribute keys of one class and append its record."""
    fail = ["slow(rid, body)", "continue"]
    suffix = "d" if tag < 0 else str(tag)
    lines: list[str] = []
    values: list[tuple[str, str]] = []
    for position, (slot, key, how) in enumerate(keyed.slots):
        if how == "l" or how == "ql":  # list slots: read by the careful path
            lines.append(f"if {key!r} in body:")
            lines.extend("    " + line for line in fail)
            continue
        var = f"s{position}"
        values.append((slot, var))
        # None: absent, or JSON null (not a value: see the check before the record is made)
        lines.append(f"{var} = body.get({key!r})")
        lines.append(f"if {var} is None:")
        lines.append("    pass")
        if how == "s" or how == "q":
            lines.append(f"elif type({var}) is str:")
            lines.append("    n -= 1")
        if how == "q":
            lines.append(
                f"elif type({var}) is dict and len({var}) == 2 and {var}.get('type') == 'xsd:QName' "
                f"and type(x := {var}.get('$')) is str and (x in good or problem(x) is None):"
            )
            lines.append(f"    {var} = x")
            lines.append("    n -= 1")
        if how == "t":
            lines.append(
                f"elif type({var}) is dict and len({var}) == 2 and {var}.get('type') == 'xsd:dateTime' "
                f"and type(x := {var}.get('$')) is str and 'T' in x:"
            )
            lines.append("    try:")
            lines.append(f"        {var} = fromiso(x)")
            lines.append("    except ValueError:")
            lines.extend("        " + line for line in fail)
            lines.append("    n -= 1")
        lines.append("else:")
        lines.extend("    " + line for line in fail)
    constants[f"CLS_{suffix}"] = keyed.cls
    constants[f"NEW_{suffix}"] = keyed.cls.__new__
    constants[f"SKIP_{suffix}"] = _skipped(keyed, consumes_type=consumes_type)
    # keys left over (n > 0) are attributes, unless one is a JSON null, which may be a
    # handled key read as absent above: the careful path says what is wrong with it
    lines.append("if n and None in body.values():")
    lines.extend("    " + line for line in fail)
    lines.append(f"o = NEW_{suffix}(CLS_{suffix})")
    for position, (slot, _key) in enumerate(keyed.formal):
        lines.append(f"o.{slot} = f{position}")
    for slot, var in values:
        lines.append(f"o.{slot} = {var}")
    start_none = [slot for slot in keyed.start_none if slot != "_bundle"]
    if start_none:
        lines.append(" = ".join(f"o.{slot}" for slot in start_none) + " = None")
    if "_bundle" in keyed.start_none:  # an element: it belongs to the bundle being read
        lines.append("o._bundle = bundle")
    lines.extend(f"o.{slot} = []" for slot in keyed.start_list)
    lines.extend(f"o.{slot} = {value!r}" for slot, value in keyed.fixed)
    lines.append("o.id = ident" if is_relation else "o.id = rid")
    lines.append(f"o._attributes = attributes(body, rid, SKIP_{suffix}) or () if n else ()")
    lines.append("append(o)")
    return lines
