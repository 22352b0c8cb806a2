"""A fast, hand-written PROV-N parser (W3C PROV-N Recommendation, the whole grammar).

Two paths share one grammar:

* the **fast path** reads the text line by line while each line holds one statement
  in the layout that ``prov`` and provarchive write
  (``used(ex:u1; ex:a, ex:e, -, [prov:role="r"])``: plain names, strings without
  escapes). It cuts a line with ``str`` methods (``partition``, ``split``) and checks
  every piece it cut: a name once per container with a small regular expression (then
  a set lookup), a time with one, a new attribute list with one per attribute (a
  list seen before is one dict lookup). No regular expression runs over the whole
  line, which is what made an earlier one-expression-per-statement fast path cost
  twice as much. Documents of 100k statements are read in about a third of a second;
* the **general path** is a recursive-descent parser that calls small anchored
  regular expressions at the current position (no token objects): comments, any
  spacing, escaped and long strings, ``'qname'`` literals, escaped local names,
  bundles, namespace declarations. Whatever line the fast path does not take goes
  here (and the fast path takes over again after the statement), so the fast path is
  only an optimisation: both produce the same statements (the tests compare them
  statement by statement), and all errors are reported by the general path, with
  line, column and what was expected.

Statements become :class:`provarchive.model.w3c.Statement` objects (general path),
and then records through :func:`provarchive.model.w3c.from_statements`. The fast path
builds most records itself, with the makers the PROV-XML line reader uses
(:func:`provarchive.formats.provxml_records.record_makers`, generated from the keyed
plans of ``from_statements``): a statement a maker is not sure of (an agent, a
``hadMember``, an IVOA slot met twice or of another type, ...) is handed on as a plain
``(kind, id, formal, attributes)`` tuple instead. Tests compare the records of both
paths slot by slot.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ..model.document import Bundle, Document
from ..model.ids import Literal, Namespaces, QName
from ..model.records import Record
from ..model.w3c import TIME_KEYS, W3C_FORMAL, RawStatement, Statement, from_statements
from ..util import paused_gc
from .errors import FormatError
from .provxml_records import Maker, record_makers
from .typed_values import QNAME_TYPES, normalise_datatype, parse_datetime, typed_value

__all__ = ["parse"]

FORMAT_NAME = "PROV-N"

# --------------------------------------------------------------------------- lexical

# whitespace and comments (// to end of line, /* ... */)
_SKIP = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)*", re.S)
_UNCLOSED_COMMENT = re.compile(r"/\*")
_KEYWORD = re.compile(r"[A-Za-z]+")

# QUALIFIED_NAME [51]: PN_PREFIX ':' PN_LOCAL? | PN_LOCAL. Letters and digits are
# Python's \w (Unicode); PN_CHARS_OTHERS and the backslash escapes are as in the
# grammar; ':' is accepted inside a local part, as ProvToolbox writes it.
_PN_PREFIX = r"[^\W\d_](?:[\w.\-\u00b7]*[\w\-\u00b7])?"
_ESC = r"\\[=',\-:;\[\]().~_!$&*+/?#@%]"
_PERCENT = r"%[0-9A-Fa-f]{2}"
_OTHERS = r"[/@~&+*?#$!]"
_L_FIRST = rf"(?:\w|{_OTHERS}|{_PERCENT}|{_ESC})"
_L_MIDDLE = rf"(?:[\w.\-:\u00b7]|{_OTHERS}|{_PERCENT}|{_ESC})"
_L_LAST = rf"(?:[\w\-:\u00b7]|{_OTHERS}|{_PERCENT}|{_ESC})"
_PN_LOCAL = rf"{_L_FIRST}(?:{_L_MIDDLE}*{_L_LAST})?"
_PREFIX_NAME = re.compile(_PN_PREFIX)
_QNAME = re.compile(rf"{_PN_PREFIX}:(?:{_PN_LOCAL})?|{_PN_LOCAL}")
_UNESCAPE = re.compile(r"\\(.)")

_IRI = re.compile(r"<([^<>\"{}|^`\\\x00-\x20]*)>")
_DATETIME = re.compile(
    r"-?[0-9]{4,}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2})?"
)
_INT = re.compile(r"-?[0-9]+")
_STRING = re.compile(r'"((?:[^"\\\n\r]|\\.)*)"', re.S)
_LONG_STRING = re.compile(r'"""((?:(?:"|"")?(?:[^"\\]|\\.))*)"""', re.S)
_LANGTAG = re.compile(r"@([a-zA-Z]+(?:-[a-zA-Z0-9]+)*)")
_ECHAR = re.compile(r"\\(.)", re.S)
_ECHARS = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}

# The pieces the fast path accepts (a subset of the grammar above), with possessive
# quantifiers so that a piece that does not fit fails at once instead of backtracking:
# a plain qualified name, a time, one attribute (and a whole list of them).
_FQ = r"(?:[A-Za-z][\w.\-]*+(?<!\.):)?+\w[\w.\-/#]*+(?<!\.)"
_FDT = r"-?[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2})?"
_FVALUE = rf"(?:(\"[^\"\\\n\r]*+\")(?: %% ({_FQ})|@([A-Za-z]+(?:-[A-Za-z0-9]+)*))?|'({_FQ})'|(-?[0-9]++))"
_FATTR = rf"({_FQ})={_FVALUE}"
_FAST_ATTRIBUTE = re.compile(_FATTR)
_FATTR_NOGROUP = re.sub(r"\((?!\?)", "(?:", _FATTR)
_FAST_ATTRIBUTES = re.compile(rf"{_FATTR_NOGROUP}(?:, {_FATTR_NOGROUP})*+")
_FAST_NAME = re.compile(_FQ)
_FAST_TIME = re.compile(_FDT)

_ELEMENTS = ("entity", "activity", "agent")
#: At most this many distinct attribute lists are remembered per container.
_LIST_CACHE_SIZE = 50_000
#: Per statement kind: (is an element, for each formal position whether it is a time).
_SHAPES = {kind: (kind in _ELEMENTS, tuple(key in TIME_KEYS for key in keys)) for kind, keys in W3C_FORMAL.items()}
fromisoformat = datetime.fromisoformat


class _Container:
    """Namespaces and statements of the document or of one bundle."""

    __slots__ = ("namespaces", "statements", "prefixes", "good", "lists", "makers")

    def __init__(self, namespaces: Namespaces) -> None:
        self.namespaces = namespaces
        self.statements: list[Statement | RawStatement | Record] = []
        self.prefixes: set[str] = set()
        #: Names known to resolve (checked once each).
        self.good: set[str] = set()
        #: Whole attribute-list texts already read, with their pairs (none holds a Literal).
        self.lists: dict[str, tuple[tuple[str, Any], ...]] = {}
        #: Per kind, the maker that builds the fast path's records itself (provxml_records).
        self.makers: dict[str, Maker] = {}

    def refresh(self) -> None:
        """Call after the namespace declarations: names are checked against them, and
        records are made by the plans of these namespaces."""
        self.prefixes = set(self.namespaces) | {"prov", "xsd"}
        self.good.clear()
        self.lists.clear()
        self.makers = record_makers(self.namespaces)

    def resolves(self, name: str) -> bool:
        """True if ``name`` has a declared prefix, or none and there is a default namespace."""
        prefix, sep, _local = name.partition(":")
        ok = prefix in self.prefixes if sep else self.namespaces.default is not None
        if ok:
            self.good.add(name)
        return ok


class _Parser:
    """Recursive descent over the text; ``pos`` is always an index into ``text``."""

    def __init__(self, text: str, fast_path: bool = True) -> None:
        self.text = text
        #: False reads everything with the general path (tests compare the two).
        self.fast_path = fast_path

    # errors and positions ---------------------------------------------------------

    def error(self, pos: int, message: str) -> FormatError:
        text = self.text
        line = text.count("\n", 0, pos) + 1
        column = pos - (text.rfind("\n", 0, pos) + 1) + 1
        return FormatError(message, format=FORMAT_NAME, line=line, column=column)

    def found(self, pos: int) -> str:
        """A short description of what is at ``pos``, for error messages."""
        if pos >= len(self.text):
            return "the end of the document"
        snippet = self.text[pos : pos + 20].split("\n", 1)[0]
        return repr(snippet)

    def expected(self, pos: int, what: str) -> FormatError:
        return self.error(pos, f"expected {what}, found {self.found(pos)}")

    # small matchers ---------------------------------------------------------------

    def skip(self, pos: int) -> int:
        end = _SKIP.match(self.text, pos).end()  # type: ignore[union-attr]
        if self.text.startswith("/*", end):
            raise self.error(end, "unterminated comment (/* without */)")
        return end

    def char(self, pos: int, char: str, what: str | None = None) -> int:
        pos = self.skip(pos)
        if not self.text.startswith(char, pos):
            raise self.expected(pos, what or repr(char))
        return pos + 1

    def peek(self, pos: int, char: str) -> int | None:
        """Position after ``char`` if it comes next, else None."""
        pos = self.skip(pos)
        return pos + 1 if self.text.startswith(char, pos) else None

    def keyword(self, pos: int) -> tuple[str, int]:
        pos = self.skip(pos)
        match = _KEYWORD.match(self.text, pos)
        if match is None:
            raise self.expected(pos, "a keyword")
        return match.group(), match.end()

    def qname(self, pos: int, container: _Container, what: str = "a qualified name") -> tuple[str, int]:
        pos = self.skip(pos)
        match = _QNAME.match(self.text, pos)
        if match is None:
            raise self.expected(pos, what)
        name = match.group()
        if "\\" in name:
            name = _UNESCAPE.sub(r"\1", name)
        self.check_prefix(name, container, pos)
        return name, match.end()

    def check_prefix(self, name: str, container: _Container, pos: int) -> None:
        prefix, sep, _local = name.partition(":")
        if sep:
            if prefix not in container.prefixes:
                raise self.error(pos, f"the prefix {prefix!r} of {name!r} is not declared")
        elif container.namespaces.default is None:
            raise self.error(pos, f"{name!r} has no prefix and there is no default namespace")

    def iri(self, pos: int) -> tuple[str, int]:
        pos = self.skip(pos)
        match = _IRI.match(self.text, pos)
        if match is None:
            raise self.expected(pos, "a namespace IRI in angle brackets")
        return _ECHAR.sub(lambda m: m.group(1), match.group(1)), match.end()

    # document structure -----------------------------------------------------------

    def document(self) -> Document:
        keyword, pos = self.keyword(0)
        if keyword != "document":
            raise self.expected(self.skip(0), "'document'")
        doc_ns = Namespaces()
        top = _Container(doc_ns)
        pos = self.namespace_declarations(pos, top)
        pos, keyword = self.statements(pos, top, ("bundle", "endDocument"))
        bundles: list[tuple[str, _Container, Namespaces]] = []
        while keyword == "bundle":
            bid, pos = self.qname(pos, top, "a bundle identifier")
            inner = _Container(Namespaces(doc_ns.declared(), doc_ns.default))
            pos = self.namespace_declarations(pos, inner)
            pos, keyword = self.statements(pos, inner, ("endBundle",))
            bundles.append((bid, inner, _own(inner.namespaces, doc_ns)))
            keyword_start = self.skip(pos)
            keyword, pos = self.keyword(pos)
            if keyword not in ("bundle", "endDocument"):
                raise self.expected(keyword_start, "'bundle' or 'endDocument'")
        end = self.skip(pos)
        if end != len(self.text):
            raise self.expected(end, "the end of the document after 'endDocument'")
        return self.build(top, bundles)

    def namespace_declarations(self, pos: int, container: _Container) -> int:
        while True:
            start = self.skip(pos)
            match = _KEYWORD.match(self.text, start)
            if match is None or match.group() not in ("prefix", "default"):
                container.refresh()
                return start
            if match.group() == "default":
                uri, pos = self.iri(match.end())
                container.namespaces.default = uri
                continue
            prefix_start = self.skip(match.end())
            prefix = _PREFIX_NAME.match(self.text, prefix_start)
            if prefix is None:
                raise self.expected(prefix_start, "a prefix name")
            uri, pos = self.iri(prefix.end())
            if prefix.group() not in ("prov", "xsd"):
                container.namespaces._map[prefix.group()] = uri

    def statements(self, pos: int, container: _Container, ends: tuple[str, ...]) -> tuple[int, str]:
        """Read statements up to one of the ``ends`` keywords; returns (pos after it, it)."""
        text = self.text
        fast = self.fast_path
        while True:
            if fast:
                pos = self.fast_lines(self.skip(pos), container)
            start = self.skip(pos)
            keyword_match = _KEYWORD.match(text, start)
            if keyword_match is None:
                raise self.expected(start, "a statement or " + " or ".join(repr(e) for e in ends))
            keyword = keyword_match.group()
            if keyword in ends:
                return keyword_match.end(), keyword
            if keyword not in W3C_FORMAL:
                ends_text = " or ".join(repr(e) for e in ends)
                raise self.error(start, f"unknown statement {keyword!r} (expected a PROV statement or {ends_text})")
            pos = self.statement(keyword, keyword_match.end(), container)

    # fast path --------------------------------------------------------------------

    def fast_lines(self, pos: int, container: _Container) -> int:
        """Read canonical statements, one per line, from ``pos`` (where a statement starts).

        A line is read here only if it holds exactly one statement in the layout that
        ``prov`` and provarchive write, and every piece of it is checked: names with
        the fast name expression and against the declared prefixes (a name seen before
        in this container is known good: one set lookup), times with the time
        expression, attributes in :meth:`fast_attributes`. So what is accepted reads as
        the general path would read it. Returns the position of the first line that is
        not such a statement (the general path goes on from there), or the end.

        This is the hot loop of reading, so it is one function with the checks inline.
        A remembered attribute list is handed to the maker as the shared tuple (makers
        copy what they keep); a statement left to ``from_statements`` gets its own list.
        """
        text = self.text
        find = text.find
        size = len(text)
        append = container.statements.append
        shapes = _SHAPES
        good = container.good
        lists = container.lists
        fresh_name = self.fresh_name
        time_shape = _FAST_TIME.fullmatch
        makers = container.makers
        while pos < size:
            newline = find("\n", pos)
            if newline < 0:
                newline = size
            line = text[pos:newline]
            head, _paren, rest = line.partition("(")
            kind = head.strip()
            shape = shapes.get(kind)
            if shape is None or "\\" in rest:
                if line and not line.isspace():
                    return pos
                pos = newline + 1
                continue
            rest = rest.rstrip()
            if not rest.endswith(")"):
                return pos
            body = rest[:-1]
            attributes: list[tuple[str, Any]] | tuple[tuple[str, Any], ...] = ()
            bracket = body.find("[")
            if bracket >= 0:  # no '[' can come before the attribute list: names escape it
                if not body.endswith("]") or body[bracket - 2 : bracket] != ", ":
                    return pos
                attrs = body[bracket + 1 : -1]
                shared = lists.get(attrs)
                if shared is not None:
                    attributes = shared  # a maker copies what it keeps; a tuple handed on is copied
                else:
                    found = self.fast_attributes(attrs, container)
                    if found is None:
                        return pos
                    attributes = found
                body = body[: bracket - 2]
            is_element, times = shape
            ident: str | None = None
            if ";" in body:
                if is_element:
                    return pos
                ident, separator, body = body.partition("; ")
                if not separator or (ident not in good and not fresh_name(ident, container)):
                    return pos
            values = body.split(", ")
            if is_element:
                ident = values.pop(0)
                if ident not in good and not fresh_name(ident, container):
                    return pos
            if len(values) > len(times):
                return pos
            formal: list[Any] = []
            for value, is_time in zip(values, times):
                if value == "-":
                    formal.append(None)
                elif is_time:
                    if time_shape(value) is None:
                        return pos
                    try:
                        formal.append(fromisoformat(value))
                    except ValueError:
                        return pos  # e.g. T24:00:00: the general path knows it
                elif value in good or fresh_name(value, container):
                    formal.append(value)
                else:
                    return pos
            if len(formal) < len(times):
                formal.extend([None] * (len(times) - len(formal)))
            if not is_element:
                if formal[0] is None:
                    return pos  # the general path reports it
                if ident is not None and ident.startswith("_:"):
                    ident = None
            make = makers.get(kind)
            record = None if make is None else make(ident, formal, attributes)  # type: ignore[arg-type]
            if record is None:  # a plain tuple for from_statements (cheaper than a Statement)
                append((kind, ident, formal, list(attributes)))
            else:
                append(record)
            pos = newline + 1
        return size

    @staticmethod
    def fresh_name(name: str, container: _Container) -> bool:
        """True (and remembered) if ``name`` is a plain qualified name that resolves."""
        return _FAST_NAME.fullmatch(name) is not None and container.resolves(name)

    def fast_attributes(self, attrs: str, container: _Container) -> list[tuple[str, Any]] | None:
        """The attributes of a canonical list (``name=value, ...``), or None if unusual.

        The list is split on ``", "``; a part that is a known name with a plain string
        (or a string typed with a known name) is taken apart with ``str`` methods, any
        other is checked with the attribute expression. A string holding ``", "`` is cut in two, its parts do not match,
        and the whole list is then checked and tokenised at once. A list without a
        :class:`Literal` (which is mutable) is remembered whole in ``lists``: most
        lists of a large document repeat one seen before (roles, types).
        """
        good = container.good
        out: list[tuple[str, Any]] = []
        for part in attrs.split(", "):
            key, _equals, raw = part.partition("=")
            if raw[:1] == '"' and key in good and "\r" not in raw:  # no expression needed for these two:
                if raw[-1:] == '"' and raw.count('"') == 2:  # a plain string
                    out.append((key, raw[1:-1]))
                    continue
                lexical, typed, datatype = raw[1:].partition('" %% ')  # "lexical" %% known:datatype
                if typed and datatype in good and '"' not in lexical:
                    value = self.typed(lexical, datatype, container, -1)
                    if value is not None:
                        out.append((key, value))
                        continue
            match = _FAST_ATTRIBUTE.fullmatch(part)
            if match is None:
                if _FAST_ATTRIBUTES.fullmatch(attrs) is None:
                    return None
                return self.find_attributes(attrs, container)
            pair = self.fast_attribute(container, *match.groups())
            if pair is None:
                return None
            out.append(pair)
        lists = container.lists
        if len(lists) < _LIST_CACHE_SIZE and all(type(value) is not Literal for _key, value in out):
            lists[attrs] = tuple(out)
        return out

    def find_attributes(self, attrs: str, container: _Container) -> list[tuple[str, Any]] | None:
        """Attributes of a checked canonical list, tokenised by the attribute expression."""
        out: list[tuple[str, Any]] = []
        for groups in _FAST_ATTRIBUTE.findall(attrs):
            pair = self.fast_attribute(container, *groups)
            if pair is None:
                return None
            out.append(pair)
        return out

    def fast_attribute(
        self, container: _Container, key: str, string: str, datatype: str, lang: str, qname: str, number: str
    ) -> tuple[str, Any] | None:
        """One attribute from the groups of the attribute expression; None if unusable."""
        good = container.good
        if key not in good and not container.resolves(key):
            return None
        value: Any
        if string:
            if datatype:
                container.resolves(datatype)  # remembered in good if it resolves (typed() skips xsd: names)
                value = self.typed(string[1:-1], datatype, container, -1)
                if value is None:
                    return None
            elif lang:
                value = Literal(string[1:-1], lang=lang)
            else:
                value = string[1:-1]
        elif qname:
            if qname not in good and not container.resolves(qname):
                return None
            value = QName(qname)
        else:
            value = int(number)
        return (key, value)

    def typed(self, lexical: str, datatype: str, container: _Container, pos: int) -> Any:
        """The value of ``"lexical" %% datatype``; None (fast path) or error if unusable."""
        datatype = normalise_datatype(datatype, container.namespaces)
        if (
            datatype in QNAME_TYPES
            or container.namespaces.expand(datatype) == "http://www.w3.org/ns/prov#QUALIFIED_NAME"
        ):
            if not _QNAME.fullmatch(lexical):
                if pos < 0:
                    return None
                raise self.error(pos, f"{lexical!r} is typed {datatype} but is not a qualified name")
            if pos < 0:
                if not container.resolves(lexical):
                    return None
            else:
                self.check_prefix(lexical, container, pos)
            return QName(lexical)
        if not datatype.startswith("xsd:"):
            if pos < 0:
                if not container.resolves(datatype):
                    return None
            else:
                self.check_prefix(datatype, container, pos)
            return Literal(lexical, datatype)
        return typed_value(lexical, datatype)

    # general path -----------------------------------------------------------------

    def statement(self, kind: str, pos: int, container: _Container) -> int:
        """Parse one statement after its keyword; returns the position after ')'."""
        keys = W3C_FORMAL[kind]
        pos = self.char(pos, "(", f"'(' after {kind!r}")
        ident: str | None = None
        formal: list[Any] = []
        attributes: list[tuple[str, Any]] = []
        if kind in _ELEMENTS:
            ident, pos = self.qname(pos, container, f"the identifier of the {kind}")
        else:
            # optional "id ;" (or "- ;")
            start = self.skip(pos)
            if self.text.startswith("-", start) and (after := self.peek(start + 1, ";")) is not None:
                pos = after
            else:
                match = _QNAME.match(self.text, start)
                if match is not None and (after := self.peek(match.end(), ";")) is not None:
                    ident, _ = self.qname(start, container)
                    pos = after
            first_at = self.skip(pos)
            value, pos = self.argument(pos, container, keys[0], kind)
            if value is None:
                raise self.error(first_at, f"a {kind} needs {keys[0]}: its first argument cannot be '-'")
            formal.append(value)
        while True:
            after_comma = self.peek(pos, ",")
            if after_comma is None:
                break
            pos = after_comma
            bracket = self.peek(pos, "[")
            if bracket is not None:
                pos = self.attributes(bracket, container, attributes)
                break
            if len(formal) >= len(keys):
                raise self.expected(self.skip(pos), f"'[' (a {kind} has at most {len(keys)} arguments)")
            value, pos = self.argument(pos, container, keys[len(formal)], kind)
            formal.append(value)
        end = self.skip(pos)
        if not self.text.startswith(")", end):
            raise self.expected(end, "',' or ')'")
        formal.extend([None] * (len(keys) - len(formal)))
        if kind not in _ELEMENTS and ident is not None and ident.startswith("_:"):
            ident = None
        container.statements.append(Statement(kind, ident, formal, attributes))
        return end + 1

    def argument(self, pos: int, container: _Container, key: str, kind: str) -> tuple[Any, int]:
        start = self.skip(pos)
        text = self.text
        if key in TIME_KEYS:
            match = _DATETIME.match(text, start)
            if match is not None:
                parsed = parse_datetime(match.group())
                if parsed is None:
                    raise self.error(start, f"{match.group()!r} is not a valid time")
                return parsed, match.end()
            if text.startswith("-", start):
                return None, start + 1
            raise self.expected(start, f"a time or '-' for {key} of {kind}")
        if text.startswith("-", start) and not _QNAME.match(text, start):
            return None, start + 1
        if _DATETIME.match(text, start):
            raise self.expected(start, f"an identifier or '-' for {key} of {kind} (a time cannot go there)")
        return self.qname(start, container, f"an identifier or '-' for {key} of {kind}")

    def attributes(self, pos: int, container: _Container, out: list[tuple[str, Any]]) -> int:
        """Parse ``attr=literal, ...]`` after '['; returns the position after ']'."""
        after = self.peek(pos, "]")
        if after is not None:
            return after
        while True:
            key, pos = self.qname(pos, container, "an attribute name")
            pos = self.char(pos, "=", f"'=' after the attribute name {key!r}")
            value, pos = self.literal(pos, container)
            out.append((key, value))
            end = self.skip(pos)
            if self.text.startswith(",", end):
                pos = end + 1
                continue
            if self.text.startswith("]", end):
                return end + 1
            raise self.expected(end, "',' or ']' in the attribute list")

    def literal(self, pos: int, container: _Container) -> tuple[Any, int]:
        start = self.skip(pos)
        text = self.text
        if text.startswith('"', start):
            match = _LONG_STRING.match(text, start) if text.startswith('"""', start) else None
            if match is None:
                match = _STRING.match(text, start)
            if match is None:
                raise self.error(start, "unterminated string (a short string cannot span lines)")
            lexical = match.group(1)
            if "\\" in lexical:
                lexical = self.unescape(lexical, start)
            pos = match.end()
            lang = _LANGTAG.match(text, pos)
            if lang is not None:
                return Literal(lexical, lang=lang.group(1)), lang.end()
            after = self.skip(pos)
            if text.startswith("%%", after):
                datatype, pos = self.qname(after + 2, container, "a datatype after '%%'")
                return self.typed(lexical, datatype, container, after + 2), pos
            return lexical, pos
        if text.startswith("'", start):
            match = _QNAME.match(text, start + 1)
            if match is None or not text.startswith("'", match.end()):
                raise self.expected(start, "a qualified name literal such as 'ex:thing'")
            name = match.group()
            if "\\" in name:
                name = _UNESCAPE.sub(r"\1", name)
            self.check_prefix(name, container, start + 1)
            return QName(name), match.end() + 1
        match = _INT.match(text, start)
        if match is not None:
            return int(match.group()), match.end()
        raise self.expected(start, 'a literal ("string", "value" %% xsd:type, \'prefix:name\' or an integer)')

    def unescape(self, lexical: str, pos: int) -> str:
        def replace(match: re.Match[str]) -> str:
            char = match.group(1)
            if char not in _ECHARS:
                raise self.error(pos, f"unknown escape \\{char} in a string")
            return _ECHARS[char]

        return _ECHAR.sub(replace, lexical)

    # result -----------------------------------------------------------------------

    def build(self, top: _Container, bundles: list[tuple[str, _Container, Namespaces]]) -> Document:
        doc = Document(namespaces=top.namespaces.copy())
        from_statements(top.statements, top.namespaces, doc)
        for bid, inner, own in bundles:
            bundle: Bundle = doc.bundle(bid)
            from_statements(inner.statements, inner.namespaces, bundle)
            bundle.namespaces = own
        return doc


def _own(namespaces: Namespaces, parent: Namespaces) -> Namespaces:
    """The prefixes a bundle declares itself (not those it inherits from the document)."""
    own = Namespaces(default=namespaces.default)
    inherited = parent.declared()
    for prefix, uri in namespaces.declared().items():
        if inherited.get(prefix) != uri:
            own._map[prefix] = uri
    return own


def parse(data: bytes | str) -> Document:
    """Read a PROV-N document; bad input raises FormatError with line and column."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
            raise FormatError("the document is not UTF-8", format=FORMAT_NAME, line=line, column=column) from None
    else:
        text = data
    if text.startswith("\ufeff"):
        text = text[1:]
    with paused_gc():
        return _Parser(text).document()
