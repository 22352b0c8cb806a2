"""PROV-XML writing: records → PROV-XML text (the reader is :mod:`.provxml`).

The structure is fixed and flat, so the text is built directly, without an element
tree. Two paths write the same bytes:

* :func:`dumps` writes the records of a document without bundles straight from their
  slots, with one writer function per record class generated from the shared
  IVOA ↔ W3C plan (:class:`~provarchive.model.w3c_write.RecordPlans`): no
  :class:`~provarchive.model.w3c.Statement` is made for a record that has no extra
  attributes. Statements cost about a third of the writing time.
* :func:`dumps_statements`, the reference: records → statements
  (:func:`~provarchive.model.w3c.to_statements`) → elements, one writer per statement
  kind. It writes documents with bundles, and every document the record path gives
  up on (a typed value whose datatype the voprov declaration could change, any error:
  errors are raised by this path, so they are the same whatever the path).
  ``tests/formats/test_provxml.py`` checks that both paths write the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from ..model import Bundle, Document
from ..model.ids import PROV, VOPROV, XSI, Namespaces, QName
from ..model.records import Activity, Record
from ..model.w3c import TIME_KEYS, W3C_FORMAL, Statement, to_statements
from ..model.w3c_write import RecordPlans, export_namespaces
from ..util import paused_gc
from .errors import FormatError
from .xsd_values import format_datetime, to_lexical

__all__ = ["dumps", "dumps_statements", "XSD_XML"]

FORMAT = "PROV-XML"
#: XML Schema namespace as XML documents write it (PROV-XML, prov and ProvToolbox): no '#'.
XSD_XML = "http://www.w3.org/2001/XMLSchema"

_ATTR_RANK = {"prov:label": 0, "prov:location": 1, "prov:role": 2, "prov:type": 3, "prov:value": 4}
_NCNAME = re.compile(r"^[A-Za-z_][\w.\-]*$")
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: The control characters XML 1.0 cannot hold, as bytes (U+FFFE and U+FFFF start with 0xEF in UTF-8).
_ILLEGAL_BYTES = bytes(range(32)).translate(None, b"\t\n\r")


def _esc(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


def _esc_attr(text: str) -> str:
    return _esc(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def _escape_local(local: str) -> str:
    """Make ``local`` an XML NCName, escaping other characters as ``_xHHHH_`` (as prov does).

    An underscore followed by ``x`` is escaped too, so that reading never unescapes a
    name that was written literally.
    """
    out = []
    for i, ch in enumerate(local):
        plain = ch.isalnum() or (ch == "_" and local[i + 1 : i + 2] != "x") or (i > 0 and ch in ".-")
        if i == 0 and ch.isdigit():
            plain = False
        out.append(ch if plain else f"_x{ord(ch):04X}_")
    return "".join(out)


def _unescape_local(local: str) -> str:
    if "_x" not in local:
        return local
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), local)


class _Writer:
    """Writes statements as PROV-XML text; one instance per document."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self._names: dict[str, str] = {}
        self._refs: dict[str, str] = {}
        #: Attribute names in statement order → their order in the element (by rank).
        self._orders: dict[tuple[str, ...], list[int]] = {}
        #: Whether a datatype URI was compacted with the namespaces (see _RecordWriter.text).
        self.compacted = False

    def ref(self, ident: str) -> str:
        """``ident`` escaped for an attribute value (cached: the same ids recur as references)."""
        escaped = self._refs.get(ident)
        if escaped is None:
            escaped = self._refs[ident] = _esc_attr(ident)
        return escaped

    def element_name(self, key: str, ns: Namespaces) -> str:
        name = self._names.get(key)
        if name is None:
            prefix, sep, local = key.partition(":")
            if not sep:
                prefix, local = "", key
            elif prefix not in ns:
                raise FormatError(f"attribute {key!r} uses the undeclared prefix {prefix!r}", format=FORMAT)
            if not _NCNAME.match(local) or "_x" in local:
                local = _escape_local(local)
            name = f"{prefix}:{local}" if prefix else local
            self._names[key] = name
        return name

    def statements(self, statements: Iterable[Statement], ns: Namespaces, indent: str) -> None:
        """Append the elements of ``statements``, each by the writer of its kind."""
        writers = {kind: self.kind_writer(kind, ns, indent) for kind in W3C_FORMAL}
        for st in statements:
            writers[st.kind](st)

    def kind_writer(self, kind: str, ns: Namespaces, indent: str) -> Callable[[Statement], None]:
        """A function writing one ``kind`` statement, generated with its formal arguments
        unrolled (no loop over positions); a statement whose formal list has another
        length goes to :meth:`statement`, the plain loop it was generated from."""
        keys = W3C_FORMAL[kind]
        child = indent + "  "
        values = [f"v{i}" for i in range(len(keys))]
        scope: dict[str, Any] = {
            "append": self.out.append,
            "refs": self._refs,
            "ref": self.ref,
            "fmt": format_datetime,
            "attributes": self.attributes,
            "general": self.statement,
            "NS": ns,
            "INDENT": indent,
            "CHILD": child,
            "OPEN": f"{indent}<prov:{kind}",
            "END": f"{indent}</prov:{kind}>\n",
        }
        lines = [
            "def write(st):",
            "    formal = st.formal",
            f"    if len(formal) != {len(keys)}:",
            "        return general(st, NS, INDENT)",
        ]
        if values:
            lines.append(f"    {', '.join(values)}, = formal")
        lines += [
            "    ident = st.id",
            "    attrs = st.attributes",
            "    head = OPEN if ident is None else f'{OPEN} prov:id=\"{refs.get(ident) or ref(ident)}\"'",
            f"    if not attrs{''.join(f' and {v} is None' for v in values)}:",
            "        append(head + '/>\\n')",
            "        return",
            "    append(head + '>\\n')",
        ]
        for i, key in enumerate(keys):
            if key in TIME_KEYS:
                scope[f"O{i}"], scope[f"C{i}"] = f"{child}<{key}>", f"</{key}>\n"
                text = f"fmt(v{i})"
            else:
                scope[f"O{i}"], scope[f"C{i}"] = f'{child}<{key} prov:ref="', '"/>\n'
                text = f"refs.get(v{i}) or ref(v{i})"
            lines += [f"    if v{i} is not None:", f"        append(f'{{O{i}}}{{{text}}}{{C{i}}}')"]
        lines += ["    if attrs:", "        attributes(attrs, NS, CHILD)", "    append(END)"]
        exec(compile("\n".join(lines), f"<PROV-XML writer of {kind}>", "exec"), scope)  # noqa: S102
        return scope["write"]  # type: ignore[no-any-return]

    def statement(self, st: Statement, ns: Namespaces, indent: str) -> None:
        """Append the element of one statement (the reference the kind writers unroll)."""
        append = self.out.append
        child = indent + "  "
        kind = st.kind
        head = f"{indent}<prov:{kind}" if st.id is None else f'{indent}<prov:{kind} prov:id="{self.ref(st.id)}"'
        if not st.attributes and not any(v is not None for v in st.formal):
            append(f"{head}/>\n")
            return
        append(f"{head}>\n")
        for key, value in zip(W3C_FORMAL[kind], st.formal, strict=False):
            if value is not None:
                if key in TIME_KEYS:
                    append(f"{child}<{key}>{format_datetime(value)}</{key}>\n")
                else:
                    append(f'{child}<{key} prov:ref="{self.ref(value)}"/>\n')
        if st.attributes:
            self.attributes(st.attributes, ns, child)
        append(f"{indent}</prov:{kind}>\n")

    def attributes(self, attrs: list[tuple[str, Any]], ns: Namespaces, child: str) -> None:
        """Append the attribute elements, in PROV-XML's order (label, location, role, type, value, others)."""
        append = self.out.append
        names = self._names
        if len(attrs) > 1:
            keys = tuple([key for key, _value in attrs])
            order = self._orders.get(keys)
            if order is None:
                order = self._orders[keys] = sorted(range(len(keys)), key=lambda i: _ATTR_RANK.get(keys[i], 5))
            attrs = [attrs[i] for i in order]
        for key, value in attrs:
            name = names.get(key) or self.element_name(key, ns)
            if type(value) is str:
                if "&" in value or "<" in value or ">" in value or "\r" in value:
                    value = _esc(value)
                append(f"{child}<{name}>{value}</{name}>\n")
                continue
            append(self.typed_value(name, value, ns, child))

    def typed_value(self, name: str, value: Any, ns: Namespaces, child: str) -> str:
        """The element of an attribute value that is not a plain ``str`` (typed, or in a language)."""
        text, datatype, lang = to_lexical(value)
        extra = f' xml:lang="{_esc_attr(lang)}"' if lang else ""
        if datatype and not (lang and datatype in ("xsd:string", "prov:InternationalizedString")):
            if "://" in datatype:
                self.compacted = True
                datatype = ns.compact(datatype)
            extra += f' xsi:type="{_esc_attr(datatype)}"'
        return f"{child}<{name}{extra}>{_esc(text)}</{name}>\n"


def _declarations(ns: Namespaces, skip: Namespaces | None = None) -> str:
    parts = []
    for prefix, uri in ns.declared().items():
        if prefix in ("prov", "xsd", "xsi", "xml") or (skip is not None and skip.get(prefix) == uri):
            continue
        parts.append(f' xmlns:{prefix}="{_esc_attr(uri)}"')
    if ns.default and (skip is None or skip.default != ns.default):
        parts.append(f' xmlns="{_esc_attr(ns.default)}"')
    return "".join(parts)


def dumps_statements(doc: Document, *, voprov_uri: str = VOPROV) -> bytes:
    """``doc`` as PROV-XML (UTF-8), through statements (the reference path; see the module)."""
    writer = _Writer()
    with paused_gc():
        ns, statements = to_statements(doc, voprov_uri=voprov_uri)
        writer.out.append(
            "<?xml version='1.0' encoding='UTF-8'?>\n"
            f'<prov:document xmlns:prov="{PROV}" xmlns:xsd="{XSD_XML}" xmlns:xsi="{XSI}"{_declarations(ns)}>\n'
        )
        writer.statements(statements, ns, "  ")
        for bundle_id, bundle in doc.bundles.items():
            merged = Namespaces(
                {**ns.declared(), **bundle.namespaces.declared()}, bundle.namespaces.default or ns.default
            )
            bns, bstatements = to_statements(_with_namespaces(bundle, merged), voprov_uri=voprov_uri)
            writer.out.append(f'  <prov:bundleContent prov:id="{_esc_attr(bundle_id)}"{_declarations(bns, ns)}>\n')
            writer.statements(bstatements, bns, "    ")
            writer.out.append("  </prov:bundleContent>\n")
        writer.out.append("</prov:document>\n")
        text = "".join(writer.out)
    return _encoded(text)


def _encoded(text: str) -> bytes:
    """``text`` in UTF-8, refused if it holds a character XML 1.0 cannot represent."""
    data = text.encode("utf-8")
    # Byte searches first (a few ms for 20 MB); the expression, 4x slower, only to say where.
    if len(data.translate(None, _ILLEGAL_BYTES)) != len(data) or b"\xef" in data:
        bad = _ILLEGAL_XML.search(text)
        if bad:
            line = text.count("\n", 0, bad.start()) + 1
            raise FormatError(
                f"a value contains the character U+{ord(bad.group()):04X}, which XML 1.0 cannot represent",
                format=FORMAT,
                line=line,
            )
    return data


def _with_namespaces(bundle: Bundle, ns: Namespaces) -> Bundle:
    """A view of ``bundle`` whose namespaces include the document's (prefixes are inherited)."""
    view = Bundle(bundle.id, namespaces=ns)
    view.records = bundle.records
    return view


# ------------------------------------------------------- write: straight from records


def dumps(doc: Document, *, voprov_uri: str = VOPROV, **_options: Any) -> bytes:
    """``doc`` as PROV-XML (UTF-8).

    Straight from the records when the document has no bundles (the same bytes as
    :func:`dumps_statements`, which writes everything else and raises every error).
    """
    if doc.bundles:
        return dumps_statements(doc, voprov_uri=voprov_uri)
    with paused_gc():
        try:
            text = _RecordWriter(doc.namespaces, voprov_uri).document(doc.records)
        except Exception:  # noqa: BLE001 - errors are the reference path's to raise, with its messages
            text = None
    if text is None:
        return dumps_statements(doc, voprov_uri=voprov_uri)
    return _encoded(text)


class _RecordWriter:
    """Writes the records of one bundle as PROV-XML elements, with no statements.

    Each record class gets a writer function generated from its plan
    (:class:`~provarchive.model.w3c_write.RecordPlans`, the plan
    :func:`~provarchive.model.w3c.to_statements` is generated from): the formal
    arguments and the attributes the class writes are read from the slots and
    written in PROV-XML's attribute order, sorted once when the code is made. A
    record with extra attributes (whose names and order are the record's own) goes
    through its statements and the kind writers of :class:`_Writer`, as before.

    The voprov prefix is declared only if a voprov name is written, which is known
    at the end; the text is written as if it were declared, and :meth:`document`
    gives up (None) in the one case where that could have changed a byte: no voprov
    name written, yet a name or datatype that the declaration would change.
    """

    def __init__(self, namespaces: Namespaces, voprov_uri: str) -> None:
        self.namespaces = namespaces
        self.voprov_uri = voprov_uri
        self.plans = RecordPlans(namespaces, voprov_uri)
        #: The namespaces as written if a voprov name is written (the IVOA case).
        self.ns = export_namespaces(namespaces, True, voprov_uri)
        self.xml = _Writer()
        self.used_vp = False
        self.kind_writers = {kind: self.xml.kind_writer(kind, self.ns, "  ") for kind in W3C_FORMAL}
        self._writers: dict[type[Record], Callable[[Record], None]] = {}
        self._scopes: list[dict[str, Any]] = []

    def document(self, records: Iterable[Record]) -> str | None:
        """The whole document's text, or None if :func:`dumps_statements` must write it."""
        out = self.xml.out
        out.append("")  # the root's opening tag, known once the voprov prefix is
        writers = self._writers
        try:
            for record in records:
                cls = type(record)
                (writers.get(cls) or self.writer(cls))(record)
        finally:
            for scope in self._scopes:  # generated functions and their scopes refer to each other
                scope.clear()
            self.plans.release()
        used_vp = self.used_vp or self.plans.used_vp
        ns = self.ns if used_vp else self.namespaces
        if ns is not self.ns and (self.xml.compacted or any(key.startswith("voprov:") for key in self.xml._names)):
            return None
        out[0] = (
            "<?xml version='1.0' encoding='UTF-8'?>\n"
            f'<prov:document xmlns:prov="{PROV}" xmlns:xsd="{XSD_XML}" xmlns:xsi="{XSI}"{_declarations(ns)}>\n'
        )
        out.append("</prov:document>\n")
        return "".join(out)

    def through_statements(self, record: Record) -> None:
        """Write ``record`` through its statements (the reference path, record by record)."""
        kind_writers = self.kind_writers
        for st in self.plans.statements(record):
            kind_writers[st.kind](st)

    def writer(self, cls: type[Record]) -> Callable[[Record], None]:
        """The writer function of ``cls`` (generated the first time the class is met)."""
        write = self._writers.get(cls)
        if write is None:
            write = self._writers[cls] = self._generate(cls)
        return write

    def _generate(self, cls: type[Record]) -> Callable[[Record], None]:
        kind, items = self.plans.plan(cls)
        formal = cls.FORMAL
        if tuple(key for _name, key in formal) != W3C_FORMAL[kind]:
            return self.through_statements
        indent, child = "  ", "    "
        xml = self.xml
        namer = _Writer()  # element names of the plan's keys, apart from the document's (see document)
        scope: dict[str, Any] = {
            "QName": QName,
            "Statement": Statement,
            "S": self,
            "out": xml.out,
            "append": xml.out.append,
            "refs": xml._refs,
            "ref": xml.ref,
            "fmt": format_datetime,
            "esc": _esc,
            "typed": xml.typed_value,
            "NS": self.ns,
            "CHILD": child,
            "slow": self.through_statements,
            "associate": self.kind_writers["wasAssociatedWith"],
            "OPEN": f"{indent}<prov:{kind}",
            "END": f"{indent}</prov:{kind}>\n",
        }
        lines = [
            "def write(r):",
            "    if r._attributes:",
            "        return slow(r)",
            "    mark = len(out)",
            "    append('')",
        ]
        for i, (name, key) in enumerate(formal):
            lines += [f"    v{i} = r.{name}", f"    if v{i} is not None:"]
            if key in TIME_KEYS:
                scope[f"O{i}"], scope[f"C{i}"] = f"{child}<{key}>", f"</{key}>\n"
                lines.append(f"        append(f'{{O{i}}}{{fmt(v{i})}}{{C{i}}}')")
            else:
                scope[f"O{i}"], scope[f"C{i}"] = f'{child}<{key} prov:ref="', '"/>\n'
                lines.append(f"        append(f'{{O{i}}}{{refs.get(v{i}) or ref(v{i})}}{{C{i}}}')")
        # PROV-XML's order (label, location, role, type, value, others); sorted() is stable,
        # and the values of one item (a list) share its name, so this is _Writer.attributes' order.
        for j, (key, expr, how, guard, is_vp) in enumerate(sorted(items, key=lambda item: _ATTR_RANK.get(item[0], 5))):
            name = namer.element_name(key, self.ns)
            scope[f"N{j}"], scope[f"SO{j}"], scope[f"SC{j}"] = name, f"{child}<{name}>", f"</{name}>\n"
            pad = "    "
            if guard is not None:
                lines.append(f"    if {guard}:")
                pad = "        "
            if how in ("l", "ql"):
                lines.append(f"{pad}for x in {expr}:")
                value, pad = "x", pad + "    "
            else:
                value = expr
            if how in ("s", "l"):
                lines += [
                    f"{pad}v = {value}",
                    f"{pad}if type(v) is str:",
                    f"{pad}    if '&' in v or '<' in v or '>' in v or '\\r' in v:",
                    f"{pad}        v = esc(v)",
                    f"{pad}    append(f'{{SO{j}}}{{v}}{{SC{j}}}')",
                    f"{pad}else:",
                    f"{pad}    append(typed(N{j}, v, NS, CHILD))",
                ]
            elif how in ("q", "ql"):
                lines.append(f"{pad}append(typed(N{j}, QName({value}), NS, CHILD))")
            else:  # "t" a datetime, "c" a QName
                lines.append(f"{pad}append(typed(N{j}, {value}, NS, CHILD))")
            if is_vp:
                lines.append(f"{pad}S.used_vp = True")
        lines += [
            "    ident = r.id",
            "    head = OPEN if ident is None else f'{OPEN} prov:id=\"{refs.get(ident) or ref(ident)}\"'",
            "    if len(out) == mark + 1:",
            "        out[mark] = head + '/>\\n'",
            "    else:",
            "        out[mark] = head + '>\\n'",
            "        append(END)",
        ]
        if cls is Activity:
            lines += [
                "    if r.description is not None:",
                "        associate(Statement('wasAssociatedWith', None, [r.id, None, r.description], []))",
            ]
        exec(compile("\n".join(lines), f"<PROV-XML writer of {cls.__name__}>", "exec"), scope)  # noqa: S102
        self._scopes.append(scope)
        return scope["write"]  # type: ignore[no-any-return]
