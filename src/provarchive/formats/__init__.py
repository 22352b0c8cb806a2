"""Serialisations of provenance documents, each read and write (DOT/SVG write only).

Every format module offers ``dumps(doc) -> bytes`` and ``loads(data) -> Document`` (the
graph formats only ``dumps``), and declares its name, file extensions and media type in
:data:`FORMATS`. Use :func:`read` / :func:`write` to work with files and automatic
format detection.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from ..model import Document
from ..util import atomic_write
from .errors import FormatError, UnsafeInputError

__all__ = [
    "FORMATS",
    "Format",
    "FormatError",
    "UnsafeInputError",
    "detect_format",
    "dumps",
    "get_format",
    "loads",
    "read",
    "write",
]


@dataclass(frozen=True)
class Format:
    """A serialisation: its canonical name, aliases, extensions and media type."""

    name: str
    module: str
    extensions: tuple[str, ...]
    media_type: str
    aliases: tuple[str, ...] = ()
    readable: bool = True

    def load(self) -> ModuleType:
        return importlib.import_module(f"{__name__}.{self.module}")


#: Every format, in the order tried by detection.
FORMATS: tuple[Format, ...] = (
    Format("PROV-JSON", "provjson", (".json", ".provjson"), "application/json", ("json",)),
    Format("PROV-XML", "provxml", (".provx", ".xml"), "application/xml", ("xml", "provx")),
    Format("PROV-N", "provn", (".provn", ".pn"), "text/provenance-notation", ("provn", "prov-n")),
    Format("PROV-O", "rdf", (".ttl", ".trig"), "text/turtle", ("turtle", "ttl", "rdf", "prov-rdf", "prov-o")),
    Format("PROV-JSONLD", "jsonld", (".jsonld",), "application/ld+json", ("jsonld", "json-ld", "prov-jsonld")),
    Format(
        "PROV-VOTABLE",
        "votable",
        (".vot", ".votable"),
        "application/x-votable+xml",
        ("votable", "vot", "prov-votable"),
    ),
    Format("DOT", "graph", (".dot", ".gv"), "text/vnd.graphviz", ("dot", "graphviz"), readable=False),
    Format("SVG", "graph", (".svg",), "image/svg+xml", ("svg",), readable=False),
)


def get_format(name: str) -> Format:
    """The format called ``name`` (case-insensitive; aliases accepted)."""
    key = name.strip().lower()
    for fmt in FORMATS:
        if key == fmt.name.lower() or key in fmt.aliases:
            return fmt
    known = ", ".join(f.name for f in FORMATS)
    raise FormatError(f"unknown format {name!r}; known formats: {known}")


def detect_format(path: str | os.PathLike[str] | None = None, head: bytes | None = None) -> Format:
    """Guess a format from the content's first bytes, then from the file extension."""
    if head:
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:4096]
        lowered = text.lower()
        if text.startswith(b"{") or text.startswith(b"["):
            if b'"@context"' in text or b'"@graph"' in text:
                return get_format("PROV-JSONLD")
            return get_format("PROV-JSON")
        if text.startswith(b"<"):
            if b"<votable" in lowered:
                return get_format("PROV-VOTABLE")
            if b"<rdf:rdf" in lowered:
                raise FormatError("RDF/XML is not supported; use Turtle or JSON-LD for PROV-O")
            return get_format("PROV-XML")
        if lowered.startswith(b"document") or b"\ndocument" in lowered[:1024]:
            return get_format("PROV-N")
        if lowered.startswith(b"@prefix") or lowered.startswith(b"prefix") or b"@prefix" in lowered[:1024]:
            return get_format("PROV-O")
    if path is not None:
        suffix = Path(path).suffix.lower()
        for fmt in FORMATS:
            if suffix in fmt.extensions:
                return fmt
    raise FormatError("cannot tell the format from the content or the file name; give it explicitly")


def loads(data: bytes | str, format: str | Format, **options: Any) -> Document:
    """Read a document from bytes or text in ``format``."""
    fmt = format if isinstance(format, Format) else get_format(format)
    if not fmt.readable:
        raise FormatError(f"{fmt.name} is an output-only format")
    return fmt.load().loads(data, **options)  # type: ignore[no-any-return]


def dumps(doc: Document, format: str | Format, **options: Any) -> bytes:
    """Write ``doc`` to bytes in ``format``."""
    fmt = format if isinstance(format, Format) else get_format(format)
    module = fmt.load()
    if fmt.name == "SVG":
        return module.dumps_svg(doc, **options)  # type: ignore[no-any-return]
    if fmt.name == "DOT":
        return module.dumps_dot(doc, **options)  # type: ignore[no-any-return]
    return module.dumps(doc, **options)  # type: ignore[no-any-return]


def read(path: str | os.PathLike[str], format: str | Format | None = None, **options: Any) -> Document:
    """Read a document from a file; the format is detected when not given."""
    data = Path(path).read_bytes()
    fmt = (format if isinstance(format, Format) else get_format(format)) if format else None
    if fmt is None:
        fmt = detect_format(path, data[:4096])
    try:
        return loads(data, fmt, **options)
    except FormatError as exc:
        if exc.source is None:
            exc.source = str(path)
        raise


def write(doc: Document, path: str | os.PathLike[str], format: str | Format | None = None, **options: Any) -> Format:
    """Write ``doc`` to a file atomically (no partial file on error); returns the format used."""
    if format is None:
        suffix = Path(path).suffix.lower()
        matches = [f for f in FORMATS if suffix in f.extensions]
        if not matches:
            raise FormatError(f"cannot tell the output format from {str(path)!r}; give it explicitly")
        fmt = matches[0]
    else:
        fmt = format if isinstance(format, Format) else get_format(format)
    data = dumps(doc, fmt, **options)
    with atomic_write(path) as handle:
        handle.write(data)  # type: ignore[attr-defined]
    return fmt
