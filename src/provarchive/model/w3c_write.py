"""Writing: records → W3C statements, through code generated per record class.

The mapping's rules are in :mod:`provarchive.model.w3c` and its tables in
:mod:`~provarchive.model.w3c_tables`. Here they are turned into one generated writer
function per record class (see :class:`_Writer` for why), rendered in two ways:
:class:`~provarchive.model.w3c_tables.Statement` objects (:func:`to_statements`, for
PROV-N, PROV-XML, PROV-O) or keyed fields (:func:`to_keyed`, :func:`to_keyed_groups`,
for PROV-JSON).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any

from ..util import paused_gc
from .configuration import WasConfiguredBy
from .descriptions import ActivityDescription
from .document import Bundle
from .ids import KNOWN_VOPROV_URIS, VOPROV, Namespaces, QName
from .records import Activity, Agent, Collection, Entity, Record, Relation
from .w3c_tables import _ENTITY_CLASS_NAMES, _SLOTS, Statement, _compiled

__all__ = ["to_statements", "to_keyed", "to_keyed_groups", "export_namespaces", "RecordPlans"]


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
        lines.append("    if r._attributes:")
        lines.append("        attrs.extend(r._attributes)")
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
        lines.append("    if r._attributes:")
        lines.append("        for k, v in r._attributes:")
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


class RecordPlans:
    """The mapping's plan per record class, for formats that generate their own writers.

    PROV-XML and PROV-JSON write text straight from records with code generated from
    these plans (the same ones :func:`to_statements` and :func:`to_keyed_groups` are
    generated from), and fall back to :meth:`statements` (PROV-XML) or :meth:`keyed`
    (PROV-JSON) for a record their code does not write exactly.
    One instance per bundle; :meth:`release` when done.
    """

    def __init__(self, namespaces: Namespaces, voprov_uri: str = VOPROV) -> None:
        self._writer = _Writer(namespaces, voprov_uri)
        #: The keyed writers of :meth:`keyed` (a separate cache: a writer is one rendering).
        self._keyed = _Writer(namespaces, voprov_uri)
        #: The prefix of the IVOA (voprov) names the plans write.
        self.vp = self._writer.vp

    def plan(self, cls: type[Record]) -> tuple[str, list[_Item]]:
        """The W3C statement kind of ``cls`` and its attribute items in statement order:
        ``(name, value expression over the record r, value kind, guard expression or
        None, is a voprov name)``; value kinds as in ``_SLOTS``, "c" a constant QName."""
        return self._writer._plan(cls)

    def statements(self, record: Record) -> list[Statement]:
        """The statements of one record, exactly as :func:`to_statements` makes them."""
        return self._writer.statements((record,))

    def keyed(self, record: Record, encode: Callable[[Any], Any]) -> list[tuple[str, str | None, dict[str, Any]]]:
        """The keyed statements ``(kind, id, fields)`` of one record, exactly as
        :func:`to_keyed` makes them (attribute values other than ``str`` through ``encode``).

        For PROV-JSON, which writes most records as text from the plans and the rest
        (extra attributes whose names the plan also writes, unusual ids) from these fields.
        """
        return self._keyed.statements((record,), encode)

    @property
    def used_vp(self) -> bool:
        """Whether :meth:`statements` or :meth:`keyed` wrote a voprov name."""
        return self._writer.used_vp or self._keyed.used_vp

    def release(self) -> None:
        """Drop the generated statement and keyed writers (see ``_Writer.release``)."""
        self._writer.release()
        self._keyed.release()
