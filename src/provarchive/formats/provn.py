"""PROV-N (W3C Recommendation), written as ``prov`` 3.2.3 writes it and read fast.

Writing goes through :func:`provarchive.model.w3c.to_statements`, the one IVOA ↔ W3C
mapping, so the output is plain W3C PROV-N::

    document
      prefix ex <http://example.org/>

      entity(ex:raw.fits, [prov:label="raw", prov:type='voprov:DatasetEntity'])
      used(ex:u1; ex:calib1, ex:raw.fits, -, [prov:role="science"])
    endDocument

Every formal position of a statement is written, ``-`` marking an absent one, as
``prov`` does. Identifiers whose local part holds PROV-N's special characters are
written with the grammar's backslash escapes (``ex:a\\=b``); a character PROV-N has
no spelling for (a space, a quote) cannot be written and is an error.

Reading is :mod:`provarchive.formats.provn_parser`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ..model.document import Bundle, Document
from ..model.ids import VOPROV, Literal, Namespaces, QName
from ..model.w3c import to_statements
from ..util import paused_gc
from .errors import FormatError
from .typed_values import double_text, int_datatype

__all__ = ["dumps", "loads", "FORMAT_NAME"]

FORMAT_NAME = "PROV-N"

# A local part that needs no escaping: PN_CHARS_U or a digit first, no '.' last.
_PLAIN_LOCAL = re.compile(r"[\w/@~&+*?#$!](?:[\w/@~&+*?#$!.\-]*[\w/@~&+*?#$!\-])?")  # no '%': checked one by one
_PLAIN_PREFIX = re.compile(r"[^\W\d_](?:[\w.\-]*[\w\-])?")
# Characters written with a backslash anywhere in a local part.
_ESCAPE_ALWAYS = set("=',;()[]:")
# Characters PN_LOCAL can hold unescaped in the middle (beyond \w); '%' only as %HH.
_LOCAL_OTHER = set("/@~&+*?#$!-.")
_HEX = set("0123456789abcdefABCDEF")


def _escape_local(local: str, name: str) -> str:
    """``local`` with PROV-N backslash escapes, or an error if it cannot be written."""
    out = []
    last = len(local) - 1
    for i, char in enumerate(local):
        if char in _ESCAPE_ALWAYS or (char in "-." and (i == 0 or (char == "." and i == last))):
            out.append("\\" + char)
        elif char.isalnum() or char == "_" or char in _LOCAL_OTHER:
            out.append(char)
        elif char == "%" and i + 2 <= last and local[i + 1] in _HEX and local[i + 2] in _HEX:
            out.append(char)  # a percent escape is part of the name as written
        else:
            raise FormatError(f"the identifier {name!r} holds {char!r}, which PROV-N cannot write", format=FORMAT_NAME)
    return "".join(out)


class _NameWriter:
    """Writes qualified names, escaping the rare ones that need it (cached)."""

    __slots__ = ("cache",)

    def __init__(self) -> None:
        self.cache: dict[str, str] = {}

    def __call__(self, name: str) -> str:
        written = self.cache.get(name)
        if written is not None:
            return written
        prefix, sep, local = name.partition(":")
        if not sep:
            prefix, local = "", name
        elif not _PLAIN_PREFIX.fullmatch(prefix):
            raise FormatError(f"the prefix of {name!r} is not a PROV-N prefix", format=FORMAT_NAME)
        if local == "" or _PLAIN_LOCAL.fullmatch(local):
            written = name if sep else local
        else:
            escaped = _escape_local(local, name)
            written = f"{prefix}:{escaped}" if sep else escaped
        if not written:
            raise FormatError("an empty identifier cannot be written in PROV-N", format=FORMAT_NAME)
        self.cache[name] = written
        return written


def _string(text: str) -> str:
    """A PROV-N string literal (triple-quoted when it spans lines, as prov writes)."""
    if '"' in text or "\\" in text:
        text = text.replace("\\", "\\\\").replace('"', '\\"')
    if "\n" in text:
        return f'"""{text}"""'
    if "\r" in text:
        text = text.replace("\r", "\\r")
    return f'"{text}"'


def _value(value: Any, name: _NameWriter) -> str:
    """The PROV-N literal of an attribute value."""
    kind = type(value)
    if kind is str:
        return _string(value)
    if kind is QName:
        return f"'{name(value)}'"
    if kind is bool:
        return '"true" %% xsd:boolean' if value else '"false" %% xsd:boolean'
    if kind is int:
        datatype = int_datatype(value)
        return str(value) if datatype == "xsd:int" else f'"{value}" %% {datatype}'
    if kind is float:
        return f'"{double_text(value)}" %% xsd:double'
    if kind is datetime:
        return f'"{value.isoformat()}" %% xsd:dateTime'
    if kind is Literal:
        if value.lang:
            return f"{_string(value.value)}@{value.lang}"
        if value.datatype is None or value.datatype == "xsd:string":
            return _string(value.value)
        return f"{_string(value.value)} %% {name(value.datatype)}"
    if isinstance(value, str):
        return _string(str(value))
    if isinstance(value, datetime):
        return f'"{value.isoformat()}" %% xsd:dateTime'
    raise TypeError(f"cannot write a {kind.__name__} attribute value ({value!r}) in PROV-N")


_NOT_IN_IRI = re.compile(r"[<>\"{}|^`\\\x00-\x20]")


def _iri(uri: str) -> str:
    """A namespace IRI as PROV-N's IRI_REF can hold it (no spaces, quotes or brackets)."""
    bad = _NOT_IN_IRI.search(uri)
    if bad is not None:
        raise FormatError(f"the namespace {uri!r} holds {bad.group()!r}, which an IRI cannot", format=FORMAT_NAME)
    return uri


def _namespace_lines(namespaces: Namespaces, indent: str, inherited_default: str | None) -> list[str]:
    lines = []
    if namespaces.default is not None and namespaces.default != inherited_default:
        lines.append(f"{indent}default <{_iri(namespaces.default)}>")
    for prefix, uri in namespaces.declared().items():
        if not _PLAIN_PREFIX.fullmatch(prefix):
            raise FormatError(f"the prefix {prefix!r} cannot be written in PROV-N", format=FORMAT_NAME)
        lines.append(f"{indent}prefix {prefix} <{_iri(uri)}>")
    return lines


def _statement_lines(
    bundle: Bundle, indent: str, name: _NameWriter, inherited_default: str | None, voprov_uri: str
) -> list[str]:
    namespaces, statements = to_statements(bundle, voprov_uri=voprov_uri)
    lines = _namespace_lines(namespaces, indent, inherited_default)
    if lines:
        lines.append("")
    append = lines.append
    cached = name.cache.get  # most names repeat: skip the call when already written
    for st in statements:
        kind = st.kind
        ident = st.id
        if kind == "entity" or kind == "agent" or kind == "activity":
            head = f"{indent}{kind}({cached(ident) or name(ident or '')}"  # type: ignore[arg-type]
            separator = ", "
        elif ident is not None and not ident.startswith("_:"):  # a blank-node id is no identifier
            head = f"{indent}{kind}({cached(ident) or name(ident)};"
            separator = " "
        else:
            head = f"{indent}{kind}("
            separator = ""
        parts = [
            "-" if value is None else value.isoformat() if type(value) is datetime else cached(value) or name(value)
            for value in st.formal
        ]
        if st.attributes:
            attributes = ", ".join(
                [f"{cached(key) or name(key)}={_value(value, name)}" for key, value in st.attributes]
            )
            parts.append(f"[{attributes}]")
        if parts:
            append(f"{head}{separator}{', '.join(parts)})")
        else:
            append(f"{head})")
    return lines


def dumps(doc: Document, *, voprov_uri: str = VOPROV, **_options: Any) -> bytes:
    """The PROV-N text of ``doc``, UTF-8 encoded.

    ``voprov_uri`` is the namespace written for the IVOA terms when the document does
    not declare one itself; options meant for other formats are ignored.
    """
    name = _NameWriter()
    with paused_gc():
        lines = ["document"]
        lines.extend(_statement_lines(doc, "  ", name, None, voprov_uri))
        for bid, bundle in doc.bundles.items():
            lines.append(f"  bundle {name(bid)}")
            lines.extend(_statement_lines(bundle, "    ", name, doc.namespaces.default, voprov_uri))
            lines.append("  endBundle")
        lines.append("endDocument")
        lines.append("")
        return "\n".join(lines).encode("utf-8")


def loads(data: bytes | str, **_options: Any) -> Document:
    """Read a PROV-N document (see :mod:`provarchive.formats.provn_parser`)."""
    from .provn_parser import parse

    return parse(data)
