"""The PROV-JSON reader (see :mod:`provarchive.formats.provjson` for the format).

:meth:`_Reader.statements` walks orjson's output once: the generated decoders of
:mod:`.provjson_decoders` build the records of common shape directly; everything
unusual (several statements under one id, hadMember's member lists, errors) leaves
them for the statement path, which names the record and key in its error, located in
the text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from ..model.document import Bundle, Document
from ..model.ids import Literal, Namespaces, QName
from ..model.records import Element, Record
from ..model.w3c import TIME_KEYS, W3C_FORMAL, RawStatement, Statement, from_statements, keyed_kinds
from ..util import paused_gc
from .errors import FormatError
from .provjson_decoders import decoder
from .typed_values import QNAME_TYPES, double_text, normalise_datatype, parse_datetime, typed_value

__all__ = ["read_document"]

FORMAT_NAME = "PROV-JSON"


#: Datatypes read without resolving their prefix.
_FAST_TYPES = frozenset(
    {"xsd:dateTime", "xsd:int", "xsd:long", "xsd:integer", "xsd:double", "xsd:string", "xsd:boolean"}
)
#: Keys of a value object.
_VALUE_KEYS = frozenset({"$", "type", "lang"})


class _Names:
    """Checks that identifiers and attribute names use declared prefixes.

    Every distinct name is checked once; documents repeat the same few attribute
    names and refer to each identifier several times.
    """

    __slots__ = ("namespaces", "good")

    def __init__(self, namespaces: Namespaces) -> None:
        self.namespaces = namespaces
        self.good: set[str] = set()

    def problem(self, name: str) -> str | None:
        """Why ``name`` cannot be resolved, or None if it can."""
        if name in self.good:
            return None
        prefix, sep, _local = name.partition(":")
        if sep:
            if prefix not in self.namespaces and prefix != "_":
                return f"the prefix {prefix!r} of {name!r} is not declared"
        elif self.namespaces.default is None:
            return f"{name!r} has no prefix and there is no default namespace"
        self.good.add(name)
        return None


class _Reader:
    """Reads one PROV-JSON container into statements (and voprov sections)."""

    def __init__(
        self, text: bytes | str, namespaces: Namespaces, where: str, *, keyed: bool = True, target: Bundle | None = None
    ) -> None:
        self.text = text
        self.names = _Names(namespaces)
        self.namespaces = namespaces
        #: Prefixes an identifier may use without further checks.
        self.prefixes = frozenset(namespaces) | {"prov", "xsd", "_"}
        self.where = where
        #: Plans of the generated decoders (None: every record goes through statements).
        self.keyed = keyed_kinds(namespaces) if keyed else None
        #: How many records went through statements (0: ``out`` holds records only).
        self.slow = 0
        #: The bundle read into: the decoders' elements belong to it from the start.
        self.target = target
        #: The elements the decoders built, in order (used when ``slow`` stays 0:
        #: otherwise :func:`from_statements` adds every record itself).
        self.elements: list[Element] = []

    # errors ---------------------------------------------------------------------

    def error(self, message: str, record: str | None = None, key: str | None = None) -> FormatError:
        """A FormatError naming the record and key, located in the text if possible."""
        parts = [self.where] if self.where else []
        if record is not None:
            parts.append(f"record {record!r}")
        if key is not None:
            parts.append(f"key {key!r}")
        prefix = ", ".join(parts)
        line, column = _locate(self.text, record, key)
        return FormatError(f"{prefix}: {message}" if prefix else message, format=FORMAT_NAME, line=line, column=column)

    def check(self, name: str, record: str | None, key: str | None) -> None:
        problem = self.names.problem(name)
        if problem is not None:
            raise self.error(problem, record, key)

    # values ---------------------------------------------------------------------

    def value(self, raw: Any, record: str, key: str) -> Any:
        """The model value of one attribute value (not a list)."""
        kind = type(raw)
        if kind is str or kind is bool or kind is int or kind is float:
            return raw
        if kind is dict:
            return self.value_object(raw, record, key)
        if raw is None:
            raise self.error("null is not an attribute value", record, key)
        raise self.error(f"a nested {type(raw).__name__} is not an attribute value", record, key)

    def value_object(self, raw: dict[str, Any], record: str, key: str) -> Any:
        if len(raw) == 2:  # fast path: {"$": "...", "type": "xsd:..."} with a common type
            lexical = raw.get("$")
            datatype = raw.get("type")
            if type(lexical) is str and type(datatype) is str:
                if datatype == "xsd:QName":
                    if lexical not in self.names.good:
                        self.check(lexical, record, key)
                    return QName(lexical)
                if datatype in _FAST_TYPES:
                    return typed_value(lexical, datatype)
        if "$" not in raw:
            raise self.error(f'a value object needs a "$" member; found {_short(raw)}', record, key)
        if not raw.keys() <= _VALUE_KEYS:
            extra = ", ".join(sorted(raw.keys() - _VALUE_KEYS))
            raise self.error(f"unknown member(s) {extra} in value object {_short(raw)}", record, key)
        lexical = raw["$"]
        datatype = raw.get("type")
        lang = raw.get("lang")
        if datatype is not None and type(datatype) is not str:
            raise self.error(f'the "type" of a value object must be a string; found {_short(raw)}', record, key)
        if type(lexical) is not str:
            # prov 2.x wrote numbers unquoted in "$"; read them, refuse anything else
            if type(lexical) in (int, float) and lang is None:
                lexical = _number_text(lexical)
            else:
                raise self.error(f'the "$" of a value object must be a string; found {_short(raw)}', record, key)
        if lang is not None:
            if type(lang) is not str or not lang:
                message = f'the "lang" of a value object must be a language tag; found {_short(raw)}'
                raise self.error(message, record, key)
            return Literal(lexical, lang=lang)
        if datatype is None:
            return lexical
        datatype = normalise_datatype(datatype, self.namespaces)
        if datatype in QNAME_TYPES or self.namespaces.expand(datatype) == "http://www.w3.org/ns/prov#QUALIFIED_NAME":
            self.check(lexical, record, key)
            return QName(lexical)
        if not datatype.startswith("xsd:"):
            self.check(datatype, record, key)
            return Literal(lexical, datatype)
        return typed_value(lexical, datatype)

    def time(self, raw: Any, record: str, key: str) -> datetime:
        if type(raw) is str:
            parsed = parse_datetime(raw)
        elif type(raw) is dict and raw.get("type") == "xsd:dateTime" and type(raw.get("$")) is str:
            parsed = parse_datetime(raw["$"])
        else:
            parsed = None
        if parsed is None:
            raise self.error(f"expected an xsd:dateTime, found {_short(raw)}", record, key)
        return parsed

    # statements -----------------------------------------------------------------

    def statements(self, kind: str, group: Any, out: list[Statement | RawStatement | Record]) -> None:
        """Append the records or statements of one ``kind`` section to ``out``.

        With a plan for the kind (see :func:`~provarchive.model.w3c.keyed_kinds`), the
        generated decoder of :mod:`.provjson_decoders` builds the records of common
        shape itself and leaves the others to :meth:`statement`; without one, every
        record goes through :meth:`statement`. Either way ``out`` keeps document order.
        The records of an element section the decoder built whole are also kept in
        ``elements``, which spares :meth:`Bundle.extend` looking for them.
        """
        if type(group) is not dict:
            raise self.error(f"the {kind!r} section must be an object keyed by identifier; found {_short(group)}")
        plan = _Plan(kind)
        known = tuple(prefix + ":" for prefix in self.prefixes)
        keyed = self.keyed.get(kind) if self.keyed is not None else None
        if keyed is None:
            for rid, body in group.items():
                self.statement(plan, rid, body, out, known)
            self.slow += len(group)
            return

        def slow(rid: str, body: Any) -> None:
            self.slow += 1
            self.statement(plan, rid, body, out, known)

        read = decoder(kind, keyed)
        slow_before, start = self.slow, len(out)
        read(group, out, slow, known, self.names.problem, self.attributes, self.names.good, self.target)
        if kind in _ELEMENT_KINDS and self.slow == slow_before:  # every record of the section is an element
            self.elements += out[start:]  # type: ignore[arg-type]

    def statement(
        self, plan: _Plan, rid: str, body: Any, out: list[Statement | RawStatement | Record], known: tuple[str, ...]
    ) -> None:
        """Append the statement(s) of one record to ``out`` (``known``: the ``"prefix:"``s
        an identifier may start with unchecked).

        Most records leave as a plain ``(kind, id, formal, attributes)`` tuple, which
        :func:`~provarchive.model.w3c.from_statements` takes as a statement (a tuple is
        much cheaper to build); anything unusual (a list of records under one id,
        hadMember's list of members, an error) goes on to :meth:`_record`.
        """
        check = self.check
        if not rid.startswith(known):
            check(rid, rid, None)
        if type(body) is not dict:
            self._record_list(plan, rid, body, out)
            return
        formal_keys = plan.keys
        if not formal_keys:
            out.append((plan.kind, rid, [], self.attributes(body, rid, plan.keyset) if body else []))
            return
        formal = list(map(body.get, formal_keys))
        for i in plan.id_positions:
            ref = formal[i]
            if ref is None:
                continue
            if type(ref) is str:
                if not ref.startswith(known):
                    check(ref, rid, formal_keys[i])
            else:
                self._record(plan, rid, body, out)
                return
        for i in plan.time_positions:
            raw = formal[i]
            if raw is not None:
                if type(raw) is str and "T" in raw:
                    try:
                        formal[i] = datetime.fromisoformat(raw)
                        continue
                    except ValueError:
                        pass
                formal[i] = self.time(raw, rid, formal_keys[i])
        for i in plan.mandatory:
            if formal[i] is None:
                raise self.error(f"a {plan.kind} needs {formal_keys[i]}", rid, formal_keys[i])
        if len(body) > len(formal_keys) - formal.count(None):
            attributes = self.attributes(body, rid, plan.keyset)
        else:
            attributes = []
        out.append((plan.kind, None if plan.is_relation and rid.startswith("_:") else rid, formal, attributes))

    def attributes(self, body: dict[str, Any], rid: str, formal: frozenset[str]) -> list[tuple[str, Any]]:
        """The (name, value) attributes of a record's JSON object, formal keys excepted."""
        good = self.names.good
        attributes: list[tuple[str, Any]] = []
        for key, raw in body.items():
            if key in formal:
                continue
            if key not in good:
                self.check(key, rid, key)
            kind_of_raw = type(raw)
            if kind_of_raw is str:
                attributes.append((key, raw))
            elif kind_of_raw is dict:
                attributes.append((key, self.value_object(raw, rid, key)))
            elif kind_of_raw is list:
                if not raw:
                    raise self.error("an empty list is not an attribute value", rid, key)
                for item in raw:
                    attributes.append((key, self.value(item, rid, key)))
            else:
                attributes.append((key, self.value(raw, rid, key)))
        return attributes

    def _record_list(self, plan: _Plan, rid: str, content: Any, out: list[Statement | RawStatement | Record]) -> None:
        """Several statements sharing one identifier (a JSON list of objects)."""
        if type(content) is list and content and all(type(c) is dict for c in content):
            for body in content:
                self._record(plan, rid, body, out)
        else:
            raise self.error(f"a record must be an object or a list of objects; found {_short(content)}", rid)

    def _record(
        self, plan: _Plan, rid: str, body: dict[str, Any], out: list[Statement | RawStatement | Record]
    ) -> None:
        """One record, the careful way (also handles hadMember's list of members)."""
        formal: list[Any] = [body.get(key) for key in plan.keys]
        members: list[Any] | None = None
        for i in plan.id_positions:
            ref = formal[i]
            key = plan.keys[i]
            if ref is None:
                continue
            if type(ref) is str:
                self.check(ref, rid, key)
            elif type(ref) is list and plan.kind == "hadMember" and key == "prov:entity" and ref:
                members = ref
            else:
                raise self.error(f"expected an identifier, found {_short(ref)}", rid, key)
        for i in plan.time_positions:
            if formal[i] is not None:
                formal[i] = self.time(formal[i], rid, plan.keys[i])
        for i in plan.mandatory:
            if formal[i] is None and not (members is not None and i == 1):
                raise self.error(f"a {plan.kind} needs {plan.keys[i]}", rid, plan.keys[i])
        attributes = self.attributes(body, rid, plan.keyset)
        ident = None if plan.is_relation and rid.startswith("_:") else rid
        if members is None:
            out.append(Statement(plan.kind, ident, formal, attributes))
            return
        for member in members:
            if type(member) is not str:
                raise self.error(f"expected an identifier, found {_short(member)}", rid, "prov:entity")
            self.check(member, rid, "prov:entity")
            out.append(Statement(plan.kind, ident, [formal[0], member], list(attributes)))


#: The sections whose records are all elements (identified, indexed by their bundle).
_ELEMENT_KINDS = frozenset({"entity", "activity", "agent"})


class _Plan:
    """What the reader needs to know about one statement kind, worked out once."""

    __slots__ = ("kind", "keys", "keyset", "id_positions", "time_positions", "mandatory", "is_relation")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.keys = W3C_FORMAL[kind]
        self.keyset = frozenset(self.keys)
        self.id_positions = tuple(i for i, key in enumerate(self.keys) if key not in TIME_KEYS)
        self.time_positions = tuple(i for i, key in enumerate(self.keys) if key in TIME_KEYS)
        self.is_relation = kind not in ("entity", "activity", "agent")
        # A relation's first argument (its subject) is mandatory, as in PROV-N's grammar;
        # the others may be absent, which PROV-N writes '-' (the W3C test suite puts the
        # marker even where PROV-DM expects a value, and leaves the verdict to validation).
        self.mandatory: tuple[int, ...] = (0,) if self.is_relation else ()


def _number_text(number: int | float) -> str:
    return double_text(number) if type(number) is float else str(number)


def _short(value: Any, limit: int = 80) -> str:
    try:
        text = orjson.dumps(value).decode()
    except TypeError:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _locate(text: bytes | str, record: str | None, key: str | None) -> tuple[int | None, int | None]:
    """Line and column of a record (and key within it) in the JSON text.

    Only used to report an error, so a plain text search is good enough: the record
    id appears as a JSON object key, the attribute key after it.
    """
    if record is None:
        return None, None
    data = text if isinstance(text, bytes) else text.encode()
    start = data.find(orjson.dumps(record) + b":")
    if start < 0:
        start = data.find(orjson.dumps(record))
    if start < 0:
        return None, None
    if key is not None:
        found = data.find(orjson.dumps(key), start)
        if found >= 0:
            start = found
    line = data.count(b"\n", 0, start) + 1
    column = start - (data.rfind(b"\n", 0, start) + 1) + 1
    return line, column


def _namespaces(raw: Any, reader_where: str, text: bytes | str, inherited: Namespaces | None) -> Namespaces:
    """The namespaces of a container: its ``prefix`` map over the inherited ones."""
    if raw is None:
        raw = {}
    if type(raw) is not dict:
        raise FormatError(f"{reader_where}: the 'prefix' section must be an object", format=FORMAT_NAME)
    namespaces = Namespaces(default=inherited.default if inherited is not None else None)
    if inherited is not None:
        for prefix, uri in inherited.declared().items():
            namespaces._map[prefix] = uri
    for prefix, uri in raw.items():
        if type(uri) is not str:
            line, column = _locate(text, prefix, None)
            raise FormatError(
                f"{reader_where}: prefix {prefix!r} must be bound to an IRI string, not {_short(uri)}",
                format=FORMAT_NAME,
                line=line,
                column=column,
            )
        if prefix == "default":
            namespaces.default = uri
        elif prefix in ("prov", "xsd"):
            continue  # built in; voprov and others repeat them
        else:
            namespaces._map[prefix] = uri
    return namespaces


def _own(namespaces: Namespaces, parent: Namespaces | None) -> Namespaces:
    """The prefixes a container declares itself (without those it inherits)."""
    if parent is None:
        return namespaces.copy()
    own = Namespaces(default=namespaces.default)
    for prefix, uri in namespaces.declared().items():
        if parent.declared().get(prefix) != uri:
            own._map[prefix] = uri
    return own


def _is_voprov(content: dict[str, Any], bundles: Any) -> bool:
    """True if the document has any of voprov's non-standard sections."""
    from .provjson_voprov import VOPROV_SECTIONS

    if not VOPROV_SECTIONS.isdisjoint(content):
        return True
    if type(bundles) is dict:
        return any(type(b) is dict and not VOPROV_SECTIONS.isdisjoint(b) for b in bundles.values())
    return False


def _read_container(
    content: dict[str, Any], namespaces: Namespaces, target: Bundle, text: bytes | str, where: str, voprov: bool
) -> None:
    from .provjson_voprov import VOPROV_SECTIONS, read_voprov_sections

    # voprov's rewriting edits statements in place: it needs every record as a statement
    reader = _Reader(text, namespaces, where, keyed=not voprov, target=target)
    statements: list[Statement | RawStatement | Record] = []
    extra: dict[str, Any] = {}
    for section, group in content.items():
        if section == "prefix" or section == "bundle":
            continue
        if section in W3C_FORMAL:
            reader.statements(section, group, statements)
        elif section in VOPROV_SECTIONS:
            extra[section] = group
        else:
            line, column = _locate(text, section, None)
            raise FormatError(
                f"{where}: unknown section {section!r} (expected 'prefix', 'bundle' or a PROV statement kind "
                "such as 'entity' or 'used')",
                format=FORMAT_NAME,
                line=line,
                column=column,
            )
    if voprov:  # voprov's rewriting edits statements in place: it needs Statement objects
        objects = [st if isinstance(st, Statement) else Statement(*st) for st in statements]  # type: ignore[misc]
        read_voprov_sections(extra, reader, objects, target)
    elif reader.slow:
        from_statements(statements, namespaces, target)
    else:  # the decoders built every record (and know which are elements)
        target.extend(statements, elements=reader.elements)  # type: ignore[arg-type]


def read_document(data: bytes | str) -> Document:
    """Read a PROV-JSON document (strict W3C, plus voprov's extra sections)."""
    with paused_gc():
        try:
            content = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise FormatError(
                f"not valid JSON: {exc.msg}", format=FORMAT_NAME, line=exc.lineno, column=exc.colno
            ) from None
        if type(content) is not dict:
            raise FormatError(
                f"a PROV-JSON document is a JSON object, not {type(content).__name__}",
                format=FORMAT_NAME,
                line=1,
                column=1,
            )
        namespaces = _namespaces(content.get("prefix"), "document", data, None)
        doc = Document(namespaces=_own(namespaces, None))
        bundles = content.get("bundle")
        voprov = _is_voprov(content, bundles)
        _read_container(content, namespaces, doc, data, "document", voprov)
        if bundles is not None:
            if type(bundles) is not dict:
                raise FormatError("the 'bundle' section must be an object keyed by bundle id", format=FORMAT_NAME)
            for bid, body in bundles.items():
                if type(body) is not dict:
                    line, column = _locate(data, bid, None)
                    raise FormatError(f"bundle {bid!r} must be an object", format=FORMAT_NAME, line=line, column=column)
                problem = _Names(namespaces).problem(bid)
                if problem is not None:
                    line, column = _locate(data, bid, None)
                    raise FormatError(f"bundle {bid!r}: {problem}", format=FORMAT_NAME, line=line, column=column)
                bundle_ns = _namespaces(body.get("prefix"), f"bundle {bid!r}", data, namespaces)
                if "bundle" in body:
                    line, column = _locate(data, bid, "bundle")
                    raise FormatError(
                        f"bundle {bid!r}: bundles cannot be nested", format=FORMAT_NAME, line=line, column=column
                    )
                bundle = doc.bundle(bid)
                bundle.namespaces = _own(bundle_ns, namespaces)
                _read_container(body, bundle_ns, bundle, data, f"bundle {bid!r}", voprov)
        # freed while the collector is paused, so that it does not walk the JSON tree on waking
        del content, bundles
    return doc
