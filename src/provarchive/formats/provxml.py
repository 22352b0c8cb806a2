"""PROV-XML (W3C Note, http://www.w3.org/ns/prov#) read and write.

Documents are read through :func:`~provarchive.model.w3c.from_statements` and written
with the plans :func:`~provarchive.model.w3c.to_statements` is made from (see
:mod:`.provxml_write`), so IVOA classes become typed W3C entities exactly as in every
other PROV format. Layout, as in the PROV-XML schema::

    <prov:document xmlns:prov=... xmlns:ex=...>
      <prov:entity prov:id="ex:raw">
        <prov:label>raw events</prov:label>
        <ex:size xsi:type="xsd:int">1234</ex:size>
      </prov:entity>
      <prov:used>
        <prov:activity prov:ref="ex:calib"/><prov:entity prov:ref="ex:raw"/>
        <prov:time>2024-03-01T23:00:01Z</prov:time>
      </prov:used>
      <prov:bundleContent prov:id="ex:b1"> ... </prov:bundleContent>
    </prov:document>

Writing is in :mod:`.provxml_write` (``dumps`` is re-exported here); reading uses lxml
with a hardened parser: no DTD, no entities, no network.
The reader also accepts the variants found in the wild: subtype elements
(``prov:plan``, ``prov:person``, ``prov:wasRevisionOf``, ...), ProvToolbox's
``<prov:bundle>`` bundles and its ``<?org.openprovenance.prov.xml ...?>`` header,
namespaces declared on inner elements, a default namespace for ids, and voprov's
legacy ``<voprov:document>`` (see :mod:`.provxml_voprov`).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, NamedTuple

from lxml import etree

from ..model import Bundle, Document, Record
from ..model.ids import PROV, XSD, XSI, Namespaces, QName
from ..model.w3c import TIME_KEYS, W3C_FORMAL, RawStatement, Statement, from_statements
from ..util import paused_gc
from .errors import FormatError, UnsafeInputError
from .provxml_records import record_makers
from .provxml_voprov import is_voprov_document
from .provxml_voprov import rewrite as rewrite_voprov
from .provxml_write import FORMAT, XSD_XML, _unescape_local, dumps
from .xsd_values import from_lexical, parse_datetime

__all__ = ["dumps", "loads", "parse_xml", "XSD_XML"]

XML_NS = "http://www.w3.org/XML/1998/namespace"
_XSI_TYPE = f"{{{XSI}}}type"
_XML_LANG = f"{{{XML_NS}}}lang"
_PROV_ID = f"{{{PROV}}}id"
_PROV_REF = f"{{{PROV}}}ref"
_P = f"{{{PROV}}}"

# ------------------------------------------------------------------------- read

#: Element local name → (statement kind, implied prov:type or None).
_ELEMENTS: dict[str, tuple[str, str | None]] = {kind: (kind, None) for kind in W3C_FORMAL}
_ELEMENTS.update(
    {
        "plan": ("entity", "prov:Plan"),
        "collection": ("entity", "prov:Collection"),
        "emptyCollection": ("entity", "prov:EmptyCollection"),
        "person": ("agent", "prov:Person"),
        "organization": ("agent", "prov:Organization"),
        "softwareAgent": ("agent", "prov:SoftwareAgent"),
        "wasRevisionOf": ("wasDerivedFrom", "prov:Revision"),
        "wasQuotedFrom": ("wasDerivedFrom", "prov:Quotation"),
        "hadPrimarySource": ("wasDerivedFrom", "prov:PrimarySource"),
    }
)
_TIME_LOCALS = frozenset(key[5:] for key in TIME_KEYS)
#: Per statement kind: element tag of each formal argument → (position, is a time).
_FORMAL_TAGS = {
    kind: {f"{{{PROV}}}{key[5:]}": (i, key in TIME_KEYS) for i, key in enumerate(keys)}
    for kind, keys in W3C_FORMAL.items()
}


#: Element tag → (statement kind, implied prov:type, formal tags, number of formal arguments).
_RECORD_TAGS = {
    f"{{{PROV}}}{local}": (kind, implied, _FORMAL_TAGS[kind], len(W3C_FORMAL[kind]))
    for local, (kind, implied) in _ELEMENTS.items()
}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,
        remove_comments=True,
        remove_pis=True,
    )


def _refuse_unsafe(data: bytes) -> None:
    """Refuse a DOCTYPE before parsing: it is how XXE and entity-expansion bombs come in."""
    for marker in (b"<!DOCTYPE", b"<!ENTITY"):
        pos = data.find(marker)
        if pos != -1:
            line = data.count(b"\n", 0, pos) + 1
            column = pos - (data.rfind(b"\n", 0, pos) + 1) + 1
            raise UnsafeInputError(
                "DOCTYPE and ENTITY declarations are refused (they enable external entities and"
                " entity-expansion attacks)",
                format=FORMAT,
                line=line,
                column=column,
            )


def parse_xml(data: bytes | str, format: str = FORMAT) -> etree._Element:
    """Parse ``data`` with the hardened parser; errors carry line and column."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if isinstance(data, str) and raw.lstrip().startswith(b"<?xml"):
        raw = re.sub(rb"^\s*<\?xml[^>]*\?>", b"", raw, count=1)
    _refuse_unsafe(raw)
    try:
        root = etree.fromstring(raw, _parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno, None)
        raise FormatError(f"malformed XML: {exc.msg}", format=format, line=line, column=column) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise UnsafeInputError("DOCTYPE declarations are refused", format=format, line=1)
    return root


class _Reader:
    """Turns a parsed PROV-XML tree into statements, mapping XML prefixes to ours."""

    def __init__(self, root: etree._Element, nested_namespaces: bool) -> None:
        self.nested = nested_namespaces
        self.registry = Namespaces()
        root_map = root.nsmap
        self.doc_ns = Namespaces(default=root_map.get(None))
        self.registry.default = self.doc_ns.default
        for prefix, uri in root_map.items():
            if prefix is not None and uri not in (XSD_XML, XSI) and prefix != "prov":
                self.doc_ns.add(self.registry.add(prefix, uri), uri)
        self.root_map = root_map
        self._tags: dict[str, str] = {}
        #: Record elements and their children read so far (to detect nested values cheaply).
        self.elements_seen = 1

    # -- names
    def uri_prefix(self, uri: str, hint: str | None, target: Namespaces) -> str:
        if uri == PROV:
            return "prov"
        if uri in (XSD_XML, XSD):
            return "xsd"
        prefix = self.registry.prefix_for(uri)
        if prefix is None:
            prefix = self.registry.add(hint or "ns", uri)
        if prefix not in target and target.get(prefix) != uri:
            target.add(prefix, uri)
        return prefix

    def qname(self, text: str, nsmap: dict[str | None, str], target: Namespaces) -> str:
        """An XML QName value (id, ref, xsd:QName) in our prefixes."""
        text = text.strip()
        prefix, sep, local = text.partition(":")
        if not sep:
            uri = nsmap.get(None)
            if uri is None or uri == self.registry.default:
                return text
            return f"{self.uri_prefix(uri, 'ns', target)}:{text}"
        uri = nsmap.get(prefix)
        if uri is None:
            return text  # undeclared prefix: keep the name as written
        if not self.nested and prefix != "xsd":
            return text
        return f"{self.uri_prefix(uri, prefix, target)}:{local}"

    def key(self, tag: str, hint: str | None, target: Namespaces) -> str:
        key = self._tags.get(tag)
        if key is None:
            uri, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
            local = _unescape_local(local)
            if not uri or uri == self.registry.default and hint is None:
                key = local
            else:
                key = f"{self.uri_prefix(uri, hint, target)}:{local}"
            if not self.nested:
                self._tags[tag] = key
        return key

    # -- records
    def statements(self, container: etree._Element, target: Namespaces, bundles: list) -> list[Statement]:
        """The statements of the records directly inside ``container`` (bundles are set aside)."""
        out: list[Statement] = []
        nested = self.nested
        root_map = self.root_map
        tags = self._tags
        plen = len(_P)
        record_tags = _RECORD_TAGS
        seen = 0
        for el in container:
            tag = el.tag
            spec = record_tags.get(tag)
            if spec is None:
                spec = self.unusual_element(el, bundles)
                if spec is None:
                    continue
            kind, implied, formal_tags, n_formal = spec
            nsmap = el.nsmap if nested else root_map
            ident = el.get(_PROV_ID)
            if ident is not None and nested:
                ident = self.qname(ident, nsmap, target)
            seen += 1 + len(el)
            formal: list[Any] = [None] * n_formal
            is_member = kind == "hadMember"
            attrs: list[tuple[str, Any]] = [("prov:type", QName(implied))] if implied else []
            members: list[str] = []
            for child in el:
                ctag = child.tag
                hit = formal_tags.get(ctag)
                if hit is not None:
                    i, is_time = hit
                    if is_time:
                        formal[i] = self.time(child)
                        continue
                    ref = child.get(_PROV_REF)
                    if ref is None or nested or is_member:
                        self.formal(kind, child, ctag[plen:], i, formal, members, nsmap, target)
                    else:
                        formal[i] = ref
                    continue
                key = tags.get(ctag)
                if key is None:
                    if ctag.__class__ is not str:
                        continue  # comments and processing instructions
                    if ctag.startswith(_P):
                        key = tags[ctag] = "prov:" + ctag[plen:]
                    else:
                        key = self.key(ctag, child.prefix, target)
                if child.attrib:
                    attrs.append((key, self.value(child, target)))
                else:  # plain text (elements nested in a value are caught by counting, in loads)
                    attrs.append((key, child.text or ""))
            if kind == "hadMember":
                # a hadMember without members still yields one statement (collection only)
                for member in members or (None,):
                    out.append(Statement(kind, ident, [formal[0], member], list(attrs)))
            else:
                out.append(Statement(kind, ident, formal, attrs))
        self.elements_seen += seen
        return out

    def unusual_element(self, el: etree._Element, bundles: list) -> tuple | None:
        """Bundles (set aside), attribute-only ``prov:bundle`` entities, comments, or an error."""
        tag = el.tag
        if tag.__class__ is not str:
            return None  # comments and processing instructions
        if not tag.startswith(_P):
            raise FormatError(f"unexpected element {tag!r} in a PROV document", format=FORMAT, line=el.sourceline)
        local = tag[len(_P) :]
        if local == "bundleContent" or (local == "bundle" and self._has_records(el)):
            bundles.append(el)
            self.elements_seen += 1
            return None
        if local == "bundle":
            return ("entity", "prov:Bundle", _FORMAL_TAGS["entity"], 0)
        raise FormatError(f"unknown PROV element prov:{local}", format=FORMAT, line=el.sourceline)

    def formal(
        self,
        kind: str,
        child: etree._Element,
        local: str,
        i: int,
        formal: list[Any],
        members: list[str],
        nsmap: dict[str | None, str],
        target: Namespaces,
    ) -> None:
        """Fill formal argument ``i`` (a time, or a ``prov:ref`` to an element) from ``child``."""
        if local in _TIME_LOCALS:
            formal[i] = self.time(child)
            return
        ref = child.get(_PROV_REF)
        if ref is None:
            raise FormatError(f"prov:{local} of prov:{kind} has no prov:ref", format=FORMAT, line=child.sourceline)
        if self.nested:
            ref = self.qname(ref, child.nsmap, target)
        if kind == "hadMember" and local == "entity":
            members.append(ref)
        else:
            formal[i] = ref

    @staticmethod
    def _has_records(el: etree._Element) -> bool:
        return any(isinstance(c.tag, str) and c.tag.startswith(_P) and c.tag[len(_P) :] in _ELEMENTS for c in el)

    def time(self, child: etree._Element) -> datetime:
        text = child.text or ""
        try:
            return parse_datetime(text)
        except ValueError:
            raise FormatError(f"{text!r} is not an xsd:dateTime", format=FORMAT, line=child.sourceline) from None

    def value(self, child: etree._Element, target: Namespaces) -> Any:
        if len(child):
            raise FormatError(
                "attribute values must be text, not nested elements", format=FORMAT, line=child.sourceline
            )
        nsmap = child.nsmap
        return self.typed(
            child.text or "",
            child.get(_XSI_TYPE),
            child.get(_XML_LANG),
            nsmap,
            nsmap if self.nested else self.root_map,
            target,
        )

    def typed(
        self,
        text: str,
        xsi: str | None,
        lang: str | None,
        nsmap: dict[str | None, str],
        value_nsmap: dict[str | None, str],
        target: Namespaces,
    ) -> Any:
        """The value of a text with its ``xsi:type`` and ``xml:lang`` (names resolved in ``nsmap``)."""
        datatype = None if xsi is None else self.datatype(xsi, nsmap, target)
        return self.typed_value(text, datatype, lang, value_nsmap, target)

    def datatype(self, xsi: str, nsmap: dict[str | None, str], target: Namespaces) -> str:
        """The datatype an ``xsi:type`` names, in our prefixes (``xsd:`` and ``prov:`` as such)."""
        datatype = self.qname(xsi, nsmap, target)
        prefix, sep, local = xsi.strip().partition(":")
        uri = nsmap.get(prefix if sep else None)
        if uri in (XSD_XML, XSD):
            return "xsd:" + local
        if uri == PROV:
            return "prov:" + local
        return datatype

    def typed_value(
        self, text: str, datatype: str | None, lang: str | None, value_nsmap: dict[str | None, str], target: Namespaces
    ) -> Any:
        """The value of a text with its datatype and language (a QName's prefix resolved in ``value_nsmap``)."""
        value = from_lexical(text, datatype, lang)
        if type(value) is QName:
            return QName(self.qname(value, value_nsmap, target))
        return value


def loads(data: bytes | str, **_options: Any) -> Document:
    """Read PROV-XML; raises :class:`FormatError` (with line and column) on bad input.

    A document in the layout we and prov write is read line by line
    (:func:`_read_canonical`); any other, and any bad one, by lxml's tree.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if not _namespaces_below_root(raw):
        doc = _loads_canonical(raw)
        if doc is not None:
            return doc
    return _loads_tree(data)


def _namespaces_below_root(raw: bytes) -> bool:
    """True if namespaces may be declared below the root (they need resolving per element)."""
    head_end = raw.find(b">", raw.find(b"document")) + 1
    return raw.find(b"xmlns", head_end) != -1


def _loads_tree(data: bytes | str) -> Document:
    """Read PROV-XML through lxml's tree: any layout, namespaces anywhere, bundles, errors."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    nested = _namespaces_below_root(raw)
    root = parse_xml(data)
    if root.tag != f"{_P}document":
        if not is_voprov_document(root):
            raise FormatError(
                f"the root element is {root.tag!r}, not prov:document", format=FORMAT, line=root.sourceline
            )
        root, nested = rewrite_voprov(root), True
    reader = _Reader(root, nested)
    with paused_gc():
        bundles: list[etree._Element] = []
        statements = reader.statements(root, reader.doc_ns, bundles)
        doc = _build(statements, reader.doc_ns, None)
        for el in bundles:
            ident = el.get(_PROV_ID)
            if ident is None:
                raise FormatError("a bundle has no prov:id", format=FORMAT, line=el.sourceline)
            bundle_id = reader.qname(ident, el.nsmap, reader.doc_ns)
            bundle = doc.bundle(bundle_id)
            inner: list[etree._Element] = []
            bst = reader.statements(el, bundle.namespaces, inner)
            if inner:
                raise FormatError("bundles cannot be nested", format=FORMAT, line=inner[0].sourceline)
            merged = Namespaces({**reader.doc_ns.declared(), **bundle.namespaces.declared()}, reader.doc_ns.default)
            _build(bst, merged, bundle)
    if sum(1 for _el in root.iter(tag=etree.Element)) != reader.elements_seen:
        _refuse_nested_values(root)
    return doc


# ------------------------------------------------------------- read: the canonical layout

#: XML declarations the fast path accepts on the first line (ours and prov's).
_DECLARATIONS = {
    "<?xml version='1.0' encoding='UTF-8'?>": False,
    '<?xml version="1.0" encoding="UTF-8"?>': False,
    "<?xml version='1.0' encoding='ASCII'?>": True,  # True: the bytes must then be ASCII
}
#: Bytes that send a document to lxml: references, and the carriage returns, tabs (which
#: XML normalises) and other control characters (which XML 1.0 forbids).
_UNUSUAL_BYTES = bytes(range(32)).replace(b"\n", b"") + b"&"


def _plain_text(raw: bytes) -> bool:
    """True if ``raw`` (after its first line) holds only elements and plain text.

    No reference, comment, CDATA section, processing instruction or DOCTYPE, no
    carriage return, tab or control character, no U+FFFE or U+FFFF: what the line
    reader needs in order not to parse any of them. Rare single bytes are searched
    first; a search for a two-byte sequence starting with ``<`` is 20 times slower.
    """
    if len(raw.translate(None, _UNUSUAL_BYTES)) != len(raw):
        return False
    body = raw.find(b"\n") + 1
    if raw.find(b"!", body) >= 0 and raw.find(b"<!", body) >= 0:
        return False
    if raw.find(b"?", body) >= 0 and raw.find(b"<?", body) >= 0:
        return False
    if raw.find(b"]", body) >= 0 and raw.find(b"]]>", body) >= 0:
        return False
    return raw.find(b"\xef") < 0 or (raw.find(b"\xef\xbf\xbe") < 0 and raw.find(b"\xef\xbf\xbf") < 0)


#: An element name the fast path reads (a plain ASCII QName: lxml agrees it is one).
_PLAIN_TAG = re.compile(r"(?:[A-Za-z_][A-Za-z0-9_.\-]*:)?[A-Za-z_][A-Za-z0-9_.\-]*")


class _NotCanonical(Exception):
    """The fast path met something it does not read; lxml reads the document instead."""


def _loads_canonical(raw: bytes) -> Document | None:
    """The document if ``raw`` is in the canonical layout (see :func:`_read_canonical`), else None."""
    with paused_gc():
        canonical = _read_canonical(raw)
        if canonical is None:
            return None
        reader, statements = canonical
        return _build(statements, reader.doc_ns, None)  # type: ignore[arg-type]


def _read_canonical(raw: bytes) -> tuple[_Reader, list[RawStatement | Record]] | None:
    """The statements of a PROV-XML document in the layout we and prov write, or None.

    The layout: one element per line, namespaces declared on the root only, records
    directly in it (no bundles), each child a ``prov:ref`` element or a text value
    (which may go on over lines). Reading it line by line with ``str`` methods is
    faster than lxml's tree, whose Python proxy per element is most of the cost. The
    bytes are first checked for references, comments, CDATA, control characters and
    carriage returns (:func:`_plain_text`), and every line is checked in full, so a
    document read here is well formed and means what lxml would read; anything else
    returns None (or raises :class:`_NotCanonical` inside) and the caller reads the
    document with lxml, whose errors carry line numbers.
    """
    if not _plain_text(raw):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    lines = text.split("\n")
    first = 0
    if lines[0] in _DECLARATIONS:
        if _DECLARATIONS[lines[0]] and not text.isascii():
            return None
        first = 1
    head = lines[first] if len(lines) > first else ""
    if not head.startswith("<prov:document ") or head.count("<") != 1 or not head.endswith('">'):
        return None
    try:
        root = etree.fromstring(f"{head}</prov:document>", _parser())
    except etree.XMLSyntaxError:
        return None
    nsmap = root.nsmap
    if root.tag != f"{_P}document" or nsmap.get("prov") != PROV or nsmap.get("xsi", XSI) != XSI:
        return None
    reader = _Reader(root, nested_namespaces=False)
    try:
        statements = _CanonicalLines(reader).read(lines, first + 1)
    except _NotCanonical:
        return None
    return reader, statements


#: The indentation of a record's children in the documents we and prov write.
_CHILD_INDENT = "    "


class _RecordShape(NamedTuple):
    """What the line reader knows about one record element (``prov:used``, ``prov:plan``, ...)."""

    kind: str
    implied: str | None  # the prov:type a subtype element implies
    formal_tags: dict[str, tuple[int, bool]]  # ``prov:local`` → (position, is a time)
    n_formal: int
    refs: dict[str, int]  # ``<prov:local prov:ref=`` → position (-1: a member of hadMember), also indented
    closing: str  # ``</prov:kind>``
    indented_closing: str  # ``  </prov:kind>``, as we and prov indent it


class _CanonicalLines:
    """The line reader of :func:`_read_canonical` (one instance per document).

    Lines are cut at their double quotes (``<prov:entity prov:ref=`` | ``ex:e`` | ``/>``)
    or at their first ``>`` (``<prov:label`` | ``text</prov:label>``) and the pieces
    looked up in tables made once: a line is a handful of ``str`` operations.
    """

    def __init__(self, reader: _Reader) -> None:
        self.reader = reader
        self.nsmap = reader.root_map
        #: ``<prov:kind`` → its shape; and ``<prov:kind prov:id=`` for elements with an id.
        self.openings: dict[str, _RecordShape] = {}
        self.id_openings: dict[str, _RecordShape] = {}
        for tag, (kind, implied, formal, n) in _RECORD_TAGS.items():
            name = f"prov:{tag[len(_P) :]}"
            formal_tags = {f"prov:{key[len(_P) :]}": hit for key, hit in formal.items()}
            refs = {f"<{key} prov:ref=": i for key, (i, is_time) in formal_tags.items() if not is_time}
            if kind == "hadMember":
                refs["<prov:entity prov:ref="] = -1
            refs.update({_CHILD_INDENT + piece: i for piece, i in refs.items()})
            shape = _RecordShape(kind, implied, formal_tags, n, refs, f"</{name}>", f"  </{name}>")
            self.openings[f"<{name}"] = self.id_openings[f"<{name} prov:id="] = shape
        #: ``<name [xml:lang="l"] [xsi:type="t"]`` of a value element → (attribute name,
        #: datatype, xml:lang, closing tag, neither typed nor in a language); filled as met.
        self.values: dict[str, tuple[str, str | None, str | None, str, bool]] = {}

    def value_tag(self, head: str) -> tuple[str, str | None, str | None, str, bool]:
        """What the opening tag ``head`` (without its ``>``) of a value element stands for."""
        if head[:1] != "<":
            raise _NotCanonical(head)
        name, _space, rest = head[1:].partition(" ")
        lang = xsi = None
        if rest.startswith('xml:lang="'):
            end = rest.find('"', 10)
            if end < 0:
                raise _NotCanonical(head)
            lang, rest = rest[10:end], rest[end + 1 :]
            if rest:
                if rest[0] != " ":
                    raise _NotCanonical(head)
                rest = rest[1:]
        if rest.startswith('xsi:type="') and len(rest) > 10 and rest.endswith('"'):
            xsi, rest = rest[10:-1], ""
        if rest or not _PLAIN_TAG.fullmatch(name) or '"' in (xsi or "") or "<" in (lang or "") + (xsi or ""):
            raise _NotCanonical(head)
        if xsi is not None and "xsi" not in self.nsmap:
            raise _NotCanonical(head)
        prefix: str | None
        prefix, colon, local = name.partition(":")
        if not colon:
            prefix, local = None, name
        uri = self.nsmap.get(prefix)
        if colon and (uri is None or prefix == "xml"):
            raise _NotCanonical(head)
        if uri == PROV:
            key = "prov:" + local  # as the tree reader spells PROV terms
        else:
            key = self.reader.key(f"{{{uri}}}{local}" if uri else local, prefix, self.reader.doc_ns)
        datatype = None if xsi is None else self.reader.datatype(xsi, self.nsmap, self.reader.doc_ns)
        known = self.values[head] = (key, datatype, lang, f"</{name}>", xsi is None and lang is None)
        return known

    def read(self, lines: list[str], start: int) -> list[RawStatement | Record]:
        """The statements on ``lines[start:]``, up to ``</prov:document>`` and blank lines;
        in the common shapes, the records themselves (:mod:`.provxml_records`)."""
        reader = self.reader
        target = reader.doc_ns
        nsmap = self.nsmap
        openings = self.openings
        id_openings = self.id_openings
        value_tags = self.values
        value_tag = self.value_tag
        typed_value = reader.typed_value
        makers = record_makers(target)  # kinds whose records are built here (see provxml_records)
        out: list[RawStatement | Record] = []
        append = out.append
        rest_of_lines = iter(lines[start:])
        for raw in rest_of_lines:
            line = raw.lstrip(" ")
            if not line:
                continue
            ident = None
            parts = line.split('"')
            if len(parts) == 1:  # <prov:used> or <prov:used/>
                empty = line.endswith("/>")
                shape = openings.get(line[: -2 if empty else -1])
                if shape is None or line[-1] != ">" or " " in line:
                    if line == "</prov:document>":
                        if any(rest.strip(" ") for rest in rest_of_lines):
                            raise _NotCanonical("text after the root")
                        return out
                    raise _NotCanonical(line)  # bundles, unknown elements, other prefixes
            else:  # <prov:entity prov:id="ex:e"> or .../>
                shape = id_openings.get(parts[0])
                if shape is None or len(parts) != 3 or parts[2] not in (">", "/>") or "<" in parts[1]:
                    raise _NotCanonical(line)
                empty = parts[2] == "/>"
                ident = parts[1]
            kind = shape.kind
            formal: list[Any] = [None] * shape.n_formal
            attrs: list[tuple[str, Any]] = [("prov:type", QName(shape.implied))] if shape.implied else []
            members: list[str] = []
            if not empty:
                closing = shape.closing
                indented_closing = shape.indented_closing
                refs = shape.refs
                formal_tags = shape.formal_tags
                # Lines are looked up with their indentation (tables hold the usual one too),
                # and stripped only when that misses: most lines then need no lstrip.
                for raw in rest_of_lines:
                    if raw == indented_closing:
                        break
                    if raw[-2:] == "/>":  # <prov:entity prov:ref="ex:e"/>
                        parts = raw.split('"')
                        where = refs.get(parts[0])
                        if where is None:
                            where = refs.get(parts[0].lstrip(" "))
                        if where is None or len(parts) != 3 or parts[2] != "/>" or "<" in parts[1]:
                            raise _NotCanonical(raw)
                        if where < 0:
                            members.append(parts[1])
                        else:
                            formal[where] = parts[1]
                        continue
                    head, _gt, text = raw.partition(">")  # <name ...> value </name>
                    known = value_tags.get(head)
                    if known is None:
                        line = raw.lstrip(" ")
                        if line == closing:
                            break
                        if not line:
                            continue
                        indented_head = head
                        head, _gt, text = line.partition(">")
                        known = value_tags.get(head) or value_tag(head)
                        value_tags[indented_head] = known  # the same tag at the same indentation
                    key, datatype, lang, closing_tag, plain = known
                    if not text.endswith(closing_tag):  # a value over several lines
                        pieces = [text]
                        for raw in rest_of_lines:
                            pieces.append(raw)
                            if raw.endswith(closing_tag):
                                break
                        else:
                            raise _NotCanonical(raw)
                        text = "\n".join(pieces)
                    value = text[: len(text) - len(closing_tag)]
                    if "<" in value:
                        raise _NotCanonical(raw)
                    hit = formal_tags.get(key)
                    if hit is not None:
                        if not hit[1] or not plain:
                            raise _NotCanonical(raw)  # a reference written as text, a typed time
                        try:
                            formal[hit[0]] = parse_datetime(value)
                        except ValueError:
                            raise _NotCanonical(raw) from None
                    elif plain:
                        attrs.append((key, value))
                    else:
                        attrs.append((key, typed_value(value, datatype, lang, nsmap, target)))
                else:
                    raise _NotCanonical("unclosed record")
            if kind == "hadMember":
                for member in members or (None,):
                    append((kind, ident, [formal[0], member], list(attrs)))
                continue
            make = makers.get(kind)
            record = None if make is None or shape.implied else make(ident, formal, attrs)
            append((kind, ident, formal, attrs) if record is None else record)
        raise _NotCanonical("no </prov:document>")


_BUNDLE_TEST = "self::prov:bundleContent or self::prov:bundle"
_NESTED_VALUES = etree.XPath(
    f"/*/*[not({_BUNDLE_TEST})]/*/*[1] | /*/*[{_BUNDLE_TEST}]/*/*/*[1]", namespaces={"prov": PROV}
)


def _refuse_nested_values(root: etree._Element) -> None:
    """Attribute values are text: find the element nested in one, to say where it is."""
    found = _NESTED_VALUES(root)
    if found:
        raise FormatError("attribute values must be text, not elements", format=FORMAT, line=found[0].sourceline)


def _build(statements: list[Statement], ns: Namespaces, target: Bundle | None) -> Document:
    try:
        return from_statements(statements, ns, target)  # type: ignore[return-value]
    except (TypeError, ValueError) as exc:
        raise FormatError(f"invalid statement: {exc}", format=FORMAT) from None
