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

import itertools
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from types import CodeType, MappingProxyType
from typing import Any, NamedTuple, cast

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

__all__ = [
    "Statement",
    "W3C_FORMAL",
    "W3C_KINDS",
    "to_statements",
    "to_keyed",
    "to_keyed_groups",
    "from_statements",
    "RawStatement",
    "export_namespaces",
    "KeyedClass",
    "KeyedKind",
    "keyed_kinds",
]

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


# ----------------------------------------------------------------------------- write


#: One attribute a record class writes: (name, Python expression of the value, value
#: kind as in ``_SLOTS`` or "c" for a constant QName, guard expression or None, whether
#: it is a voprov name). Generated writers evaluate ``expr`` with ``r`` bound to the record.
_Item = tuple[str, str, str, "str | None", bool]


class _Writer:
    """Turns records into statements; remembers whether the voprov prefix was used.

    Documents of 100k records are common, so each record class gets one writer
    function, generated from its slot table (``_SLOTS``) the first time the class is
    met: writing a record is then one call doing plain attribute reads, with no loop
    over the table and no dispatch on the value kind. Two renderings share one plan
    per class (:meth:`_plan`, which is where the mapping is): statements
    (:meth:`_statement_source`) and keyed records (:meth:`_keyed_source`, see
    :func:`to_keyed`), which with ``groups`` set file themselves by kind and id
    (:func:`to_keyed_groups`).
    """

    def __init__(self, namespaces: Namespaces, voprov_uri: str) -> None:
        self.vp = _voprov_prefix(namespaces) or "voprov"
        self.voprov_uri = voprov_uri
        self.used_vp = False
        self._writers: dict[type[Record], Callable[..., None]] = {}
        self._namespaces: list[dict[str, Any]] = []
        #: Where keyed records are filed by kind and id (see :func:`to_keyed_groups`), or None.
        self.groups: dict[str, dict[str, Any]] | None = None
        #: Numbers of the keys given to statements without an id.
        self.count = itertools.count(1)

    def _plan(self, cls: type[Record]) -> tuple[str, list[_Item]]:
        """The W3C statement kind of ``cls`` and the attributes its records write, in order."""
        vp = self.vp
        kind = cls.kind or "entity"
        items: list[_Item] = []
        # leading attributes: the W3C type an IVOA class is written as
        if cls is Agent:
            items.append(("prov:type", "QName('prov:' + r.type)", "c", "r.type", False))
        elif cls is WasConfiguredBy:
            items.append(("prov:type", f"QName({vp + ':WasConfiguredBy'!r})", "c", None, True))
            items.append((vp + ":artefactType", "r.artefact_type", "s", "r.artefact_type", True))
            return "wasInfluencedBy", items
        elif cls is Collection:
            items.append(("prov:type", "QName('prov:Collection')", "c", None, False))
        elif not (cls is Entity or cls is Activity or issubclass(cls, Relation)):
            # IVOA classes written as typed entities (KeyError for a class the mapping does not know)
            items.append(("prov:type", f"QName({vp + ':' + _ENTITY_CLASS_NAMES[cls]!r})", "c", None, True))
            if cls is ActivityDescription:
                items.append(("prov:type", "QName('prov:Plan')", "c", None, False))
        for slot, local, ns, how in _SLOTS.get(cls, ()):
            key = ("prov:" if ns == "prov" else vp + ":") + local
            items.append((key, f"r.{slot}", how, f"r.{slot} is not None", ns == "vp"))
        return kind, items

    def _statement_source(self, cls: type[Record]) -> str:
        """Python source of ``write(r, emit)``: emits the statements of a record of ``cls``."""
        kind, items = self._plan(cls)
        lines = ["def write(r, emit):", "    attrs = []"]
        for key, expr, how, guard, is_vp in items:
            indent = "    "
            if guard is not None:
                lines.append(f"    if {guard}:")
                indent = "        "
            if how == "q":
                lines.append(f"{indent}attrs.append(({key!r}, QName({expr})))")
            elif how == "ql":
                lines.append(f"{indent}attrs.extend([({key!r}, QName(x)) for x in {expr}])")
            elif how == "l":
                lines.append(f"{indent}attrs.extend([({key!r}, x) for x in {expr}])")
            else:
                lines.append(f"{indent}attrs.append(({key!r}, {expr}))")
            if is_vp:
                lines.append(f"{indent}W.used_vp = True")
        lines.append("    if r.attributes:")
        lines.append("        attrs.extend(r.attributes)")
        formal = ", ".join(f"r.{name}" for name, _key in cls.FORMAL)
        lines.append(f"    emit(Statement({kind!r}, r.id, [{formal}], attrs))")
        if cls is Activity:
            lines.append("    if r.description is not None:")
            lines.append("        emit(Statement('wasAssociatedWith', None, [r.id, None, r.description], []))")
        return "\n".join(lines) + "\n"

    def _keyed_source(self, cls: type[Record]) -> str:
        """Python source of ``write(r, emit)`` emitting ``(kind, id, fields)`` per statement.

        ``fields`` maps each formal key whose value is not None, then each attribute
        name, to its value: formal values as they are, attribute values that are not a
        plain ``str`` passed through ``enc``; a repeated name holds a list of values.
        """
        kind, items = self._plan(cls)
        lines = ["def write(r, emit):", "    d = {}"]
        for name, key in cls.FORMAL:
            lines.append(f"    if r.{name} is not None:")
            lines.append(f"        d[{key!r}] = r.{name}")
        seen: set[str] = set()
        for key, expr, how, guard, is_vp in items:
            indent = "    "
            if guard is not None:
                lines.append(f"    if {guard}:")
                indent = "        "
            if how == "q" or how == "c":
                value = f"enc(QName({expr}))" if how == "q" else f"enc({expr})"
            elif how == "t":
                value = f"enc({expr})"
            else:
                value = f"v if type(v := {expr}) is str else enc(v)"
            if how == "ql" or how == "l":
                lines.append(f"{indent}for x in {expr}:")
                value = "enc(QName(x))" if how == "ql" else "x if type(x) is str else enc(x)"
                lines.append(f"{indent}    put(d, {key!r}, {value})")
            elif key in seen:
                lines.append(f"{indent}put(d, {key!r}, {value})")
            else:
                lines.append(f"{indent}d[{key!r}] = {value}")
            seen.add(key)
            if is_vp:
                lines.append(f"{indent}W.used_vp = True")
        lines.append("    if r.attributes:")
        lines.append("        for k, v in r.attributes:")
        lines.append("            put(d, k if type(k) is str else str(k), v if type(v) is str else enc(v))")
        plan_fields = "{'prov:activity': r.id, 'prov:plan': r.description}"
        if self.groups is None:
            lines.append(f"    emit(({kind!r}, r.id, d))")
            if cls is Activity:
                lines.append("    if r.description is not None:")
                lines.append(f"        emit(('wasAssociatedWith', None, {plan_fields}))")
            return "\n".join(lines) + "\n"
        # grouped: file d under its id in the group of its kind (see to_keyed_groups)
        lines.append("    ident = r.id")
        lines.extend("    " + line for line in _file_under_id("group"))
        if cls is Activity:
            lines.append("    if r.description is not None:")
            lines.append("        plans = groups.setdefault('wasAssociatedWith', {})")
            lines.append(f"        d = {plan_fields}")
            lines.append("        ident = None")
            lines.extend("        " + line for line in _file_under_id("plans"))
        return "\n".join(lines) + "\n"

    def writer(self, cls: type[Record], keyed: Callable[[Any], Any] | None = None) -> Callable[..., None]:
        """The (generated, cached) writer of ``cls``: statements, or keyed records encoded by ``keyed``."""
        write = self._writers.get(cls)
        if write is None:
            source = self._statement_source(cls) if keyed is None else self._keyed_source(cls)
            namespace: dict[str, Any] = {"QName": QName, "Statement": Statement, "W": self, "enc": keyed, "put": _put}
            if self.groups is not None:
                kind = "wasInfluencedBy" if cls is WasConfiguredBy else cls.kind or "entity"
                # the group of a kind is made when its first record is written: groups keep that order
                namespace.update(groups=self.groups, group=self.groups.setdefault(kind, {}), count=self.count)
            exec(_compiled(source, f"<w3c writer of {cls.__name__}>"), namespace)  # noqa: S102
            write = self._writers[cls] = namespace["write"]
            self._namespaces.append(namespace)
        return write

    def release(self) -> None:
        """Drop the generated writers.

        A generated function and its namespace refer to each other (and to this
        writer), a cycle only the garbage collector would free: emptying the
        namespaces frees them at once, with whatever they hold (the groups).
        """
        for namespace in self._namespaces:
            namespace.clear()
        self._namespaces.clear()
        self._writers.clear()

    def statements(self, records: Iterable[Record], keyed: Callable[[Any], Any] | None = None) -> list[Any]:
        """Statements (or keyed records, if ``keyed`` is given) of ``records``, in order."""
        out: list[Any] = []
        emit = out.append
        writers = self._writers
        for record in records:
            cls = type(record)
            (writers.get(cls) or self.writer(cls, keyed))(record, emit)
        return out


def _file_under_id(group: str) -> list[str]:
    """Generated code that files the fields ``d`` of a statement with id ``ident`` (None
    for none) in the dict named ``group``: under its id (several statements sharing one
    id become a list), or, without an id, under the next free key ``_:idN`` (N counted
    over all kinds by ``count``)."""
    return [
        "if ident is None:",
        "    ident = f'_:id{next(count)}'",
        f"    while ident in {group}:",
        "        ident = f'_:id{next(count)}'",
        f"    {group}[ident] = d",
        "else:",
        "    if type(ident) is not str:",
        "        ident = str(ident)",
        f"    if ident in {group}:",
        f"        current = {group}[ident]",
        "        if type(current) is list:",
        "            current.append(d)",
        "        else:",
        f"            {group}[ident] = [current, d]",
        "    else:",
        f"        {group}[ident] = d",
    ]


#: Compiled writer code by source: the source depends only on the class and the voprov
#: prefix, so a document's bundles and later calls reuse it (each call still binds
#: its own names by executing the code in a fresh namespace).
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


def _put(fields: dict[str, Any], key: str, value: Any) -> None:
    """Add ``value`` under ``key``; a name already present then holds a list of values."""
    if key in fields:
        current = fields[key]
        if type(current) is list:
            current.append(value)
        else:
            fields[key] = [current, value]
    else:
        fields[key] = value


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
        statements = writer.statements(bundle.records)
    writer.release()
    return export_namespaces(bundle.namespaces, writer.used_vp, voprov_uri), statements


def to_keyed(
    bundle: Bundle, encode: Callable[[Any], Any], *, voprov_uri: str = VOPROV
) -> tuple[Namespaces, list[tuple[str, str | None, dict[str, Any]]]]:
    """The statements of a bundle as ``(kind, id, fields)``, for writers of keyed formats.

    The same mapping as :func:`to_statements`, rendered for formats that key a
    statement's formal arguments and attributes by name (PROV-JSON): ``fields`` maps
    each formal key with a value, then each attribute name, to its value; attribute
    values other than a plain ``str`` are passed through ``encode`` (the format's
    spelling of QNames, typed literals, ...); a repeated attribute name holds a list.
    One pass over the records, no intermediate statements.
    """
    writer = _Writer(bundle.namespaces, voprov_uri)
    with paused_gc():
        items = writer.statements(bundle.records, encode)
    writer.release()
    return export_namespaces(bundle.namespaces, writer.used_vp, voprov_uri), items


def to_keyed_groups(
    bundle: Bundle, encode: Callable[[Any], Any], *, voprov_uri: str = VOPROV
) -> tuple[Namespaces, dict[str, dict[str, Any]]]:
    """The keyed statements of a bundle filed by kind and id, as PROV-JSON lays them out.

    ``{kind: {id: fields}}`` with ``fields`` as in :func:`to_keyed`; kinds in the order
    their first statement comes, statements in record order. Several statements
    sharing an id are a list of fields under it; a statement without an id is filed
    under ``_:idN``, N counting those statements over all kinds (skipping keys already
    taken), as ``prov`` does. One pass: each generated writer files its own record.
    """
    writer = _Writer(bundle.namespaces, voprov_uri)
    groups: dict[str, dict[str, Any]] = {}
    writer.groups = groups
    with paused_gc():
        writer.statements(bundle.records, encode)
    writer.release()
    return export_namespaces(bundle.namespaces, writer.used_vp, voprov_uri), groups


# ------------------------------------------------------------------------------ read


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
        lines.append("    o.attributes = take(o, attrs) if attrs else []")
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
        record.attributes = (self._takers.get(cls) or self.taker(cls))(record, attrs) if attrs else []
        return record

    def _blank(self, cls: type[Record]) -> Callable[[str | None], Record]:
        """A fast constructor of ``cls(id)``: ``__new__`` plus the slot values ``__init__`` gives.

        Generated from one instance made by ``__init__``: every slot it leaves None (or
        an empty list) is set the same way. A class whose ``__init__`` sets anything
        else keeps its ``__init__``.
        """
        template = cls("_:template")  # type: ignore[call-arg]
        none: list[str] = []
        lists: list[str] = []
        for klass in cls.__mro__:
            for slot in getattr(klass, "__slots__", ()):
                if slot in ("id", "attributes") or slot in none or slot in lists:
                    continue
                value = getattr(template, slot, _MISSING)
                if value is None:
                    none.append(slot)
                elif type(value) is list and not value:
                    lists.append(slot)
                else:
                    self._blanks[cls] = cls  # type: ignore[assignment]
                    return cls  # type: ignore[return-value]
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
                    # as __init__ would build it, at a third of the cost
                    configured = WasConfiguredBy.__new__(WasConfiguredBy)
                    configured.activity, configured.artefact = formal[0], formal[1]
                    configured.artefact_type = artefact_type
                    configured.id = ident
                    configured.attributes = list(rest)
                    return configured
            return WasInfluencedBy(*formal, id=ident, attributes=attrs)
        raise ValueError(f"unknown PROV statement kind {kind!r}")


#: Marks a slot an instance has not set.
_MISSING = object()


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
    Readers that build most records themselves (PROV-JSON, see :func:`keyed_kinds`)
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


# ------------------------------------------------------------------ keyed reading


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
    template = cls("_:template")  # type: ignore[call-arg]
    none: list[str] = []
    lists: list[str] = []
    read = {name for name, _key in formal} | {slot for slot, _key, how in slots if how != "l" and how != "ql"}
    for klass in cls.__mro__:
        for slot in getattr(klass, "__slots__", ()):
            if slot in ("id", "attributes") or slot in none or slot in lists or slot in read:
                continue
            value = getattr(template, slot, _MISSING)
            if value is None:
                none.append(slot)
            elif type(value) is list and not value:
                lists.append(slot)
            else:
                return None
    return KeyedClass(cls, formal, slots, tuple(none), tuple(lists))
