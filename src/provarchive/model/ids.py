"""Qualified names, namespaces, typed literals and identifier generation.

Identifiers are kept as plain ``str`` in prefixed form (``"ex:raw.fits"``), resolved
against the namespaces of the document that holds them. Plain strings keep records
small and fast to build (a 100k-record document is built, written and read in well
under a second), and comparing documents across prefixes is done by expanding to
full URIs (:meth:`Namespaces.expand`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

__all__ = [
    "PROV",
    "XSD",
    "XSI",
    "RDF",
    "RDFS",
    "VOPROV",
    "KNOWN_VOPROV_URIS",
    "QName",
    "Literal",
    "Namespaces",
    "new_id",
    "GENERATED_PREFIX",
    "GENERATED_NS",
    "utcnow",
    "AttributeValue",
]

PROV = "http://www.w3.org/ns/prov#"
XSD = "http://www.w3.org/2001/XMLSchema#"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"

#: Default namespace of the IVOA terms. Not normative (see reference/provdm.md §1):
#: it is the one voprov (>= 2020) and OPUS write, so our output interoperates.
VOPROV = "http://www.ivoa.net/documents/ProvenanceDM/index.html#"

#: Every URI that has been used in the wild for the IVOA provenance terms. A document
#: using any of them is read as IVOA provenance.
KNOWN_VOPROV_URIS = frozenset(
    {
        VOPROV,
        "http://ivoa.net/ns/voprov#",
        "http://www.ivoa.net/documents/dm/provdm/voprov/",
        "http://www.ivoa.net/documents/ProvenanceDM/ns/voprov/",
    }
)


class QName(str):
    """A qualified name used as an attribute *value* (``xsd:QName``), e.g. ``prov:Person``.

    It is a ``str`` so it costs nothing extra; the subclass only marks that the value
    is a name to be resolved against the namespaces, not free text.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"QName({str.__repr__(self)})"


class Literal:
    """A literal that is neither a plain Python value nor a QName.

    Used for values whose XSD type Python has no natural type for (``xsd:anyURI``,
    ``xsd:gYear``, ...), for values whose lexical form must be kept exactly, and for
    language-tagged strings.
    """

    __slots__ = ("value", "datatype", "lang")

    def __init__(self, value: str, datatype: str | None = None, lang: str | None = None) -> None:
        self.value = value
        self.datatype = datatype
        self.lang = lang

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Literal):
            return NotImplemented
        return (self.value, self.datatype, self.lang) == (other.value, other.datatype, other.lang)

    def __hash__(self) -> int:
        return hash((self.value, self.datatype, self.lang))

    def __repr__(self) -> str:
        extra = f", datatype={self.datatype!r}" if self.datatype else ""
        extra += f", lang={self.lang!r}" if self.lang else ""
        return f"Literal({self.value!r}{extra})"


#: What an attribute value may be inside the model.
AttributeValue = str | QName | Literal | int | float | bool | datetime


class Namespaces(Mapping[str, str]):
    """An ordered prefix → URI map with an optional default namespace.

    The standard prefixes ``prov`` and ``xsd`` are always known and are not stored.
    """

    __slots__ = ("_map", "default")

    BUILTIN = {"prov": PROV, "xsd": XSD}

    def __init__(self, mapping: Mapping[str, str] | None = None, default: str | None = None) -> None:
        self._map: dict[str, str] = {}
        self.default = default
        if mapping:
            for prefix, uri in mapping.items():
                self.add(prefix, uri)

    def add(self, prefix: str, uri: str) -> str:
        """Declare ``prefix``; return the prefix actually used.

        If ``prefix`` is already bound to another URI, a fresh prefix (``prefix_1``, ...)
        is chosen so that no existing identifier changes meaning.
        """
        if prefix in self.BUILTIN:
            if self.BUILTIN[prefix] == uri:
                return prefix
        else:
            bound = self._map.get(prefix)
            if bound is None:
                self._map[prefix] = uri
                return prefix
            if bound == uri:
                return prefix
        existing = self.prefix_for(uri)
        if existing is not None:
            return existing
        n = 1
        while f"{prefix}_{n}" in self._map:
            n += 1
        self._map[f"{prefix}_{n}"] = uri
        return f"{prefix}_{n}"

    def prefix_for(self, uri: str) -> str | None:
        """The prefix bound to ``uri``, if any."""
        for prefix, bound in self.BUILTIN.items():
            if bound == uri:
                return prefix
        for prefix, bound in self._map.items():
            if bound == uri:
                return prefix
        return None

    def __getitem__(self, prefix: str) -> str:
        if prefix in self.BUILTIN:
            return self.BUILTIN[prefix]
        return self._map[prefix]

    def __iter__(self) -> Iterator[str]:
        return iter(self._map)

    def __len__(self) -> int:
        return len(self._map)

    def __contains__(self, prefix: object) -> bool:
        return prefix in self._map or prefix in self.BUILTIN

    def declared(self) -> dict[str, str]:
        """The user-declared prefixes (without the built-in ``prov`` and ``xsd``)."""
        return dict(self._map)

    def expand(self, name: str) -> str:
        """Turn ``prefix:local`` into a full URI.

        A name without a known prefix is resolved against the default namespace; if
        there is none it is returned as it is (it may already be a URI).
        """
        prefix, sep, local = name.partition(":")
        if sep:
            uri = self._map.get(prefix) or self.BUILTIN.get(prefix)
            if uri is not None:
                return uri + local
            return name
        if self.default is not None:
            return self.default + name
        return name

    def compact(self, uri: str) -> str:
        """Turn a full URI into ``prefix:local`` using the longest matching namespace.

        A URI that no namespace covers is returned unchanged.
        """
        best: tuple[int, str] | None = None
        for prefix, ns in (*self.BUILTIN.items(), *self._map.items()):
            if uri.startswith(ns) and (best is None or len(ns) > best[0]):
                best = (len(ns), prefix)
        if best is None:
            if self.default is not None and uri.startswith(self.default):
                return uri[len(self.default) :]
            return uri
        return best[1] + ":" + uri[best[0] :]

    def copy(self) -> Namespaces:
        return Namespaces(self._map, self.default)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Namespaces):
            return NotImplemented
        return self._map == other._map and self.default == other.default

    def __hash__(self) -> int:  # pragma: no cover - mutable, never hashed in practice
        raise TypeError("Namespaces is mutable")

    def __repr__(self) -> str:
        return f"Namespaces({self._map!r}, default={self.default!r})"


#: Prefix and namespace of identifiers that provarchive generates.
GENERATED_PREFIX = "pa"
GENERATED_NS = "urn:provarchive:"


def new_id(kind: str = "id", prefix: str = GENERATED_PREFIX) -> str:
    """A new globally unique identifier such as ``pa:entity-1b4e28ba2fa1...``.

    Long random ids (never counters) so that records made on different machines never
    collide when their documents meet in one archive. The local part starts with a
    letter so it is a valid XML NCName as well as a PROV-N local name.
    """
    return f"{prefix}:{kind}-{uuid.uuid4().hex}"


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


def is_value(value: Any) -> bool:
    """True if ``value`` is a type the model accepts as an attribute value."""
    return isinstance(value, (str, Literal, int, float, bool, datetime))
