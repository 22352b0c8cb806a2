"""A canonical, prefix-independent form of a document, for comparing documents.

Two documents are the same provenance when their statements are the same after every
qualified name is expanded to its full URI and every value is normalised (datetimes to
UTC instants, literals to (lexical form, datatype URI, language)). Tests use this to
prove that a round trip through a format, or through another library, lost nothing.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from typing import Any

from .document import Bundle, Document
from .ids import Literal, Namespaces, QName
from .w3c import to_statements

__all__ = ["canonical", "canonical_value", "same_provenance", "differences"]

Canonical = tuple[Any, ...]


def canonical_value(value: Any, ns: Namespaces) -> Any:
    """A hashable, prefix-independent form of one attribute or formal value."""
    if isinstance(value, QName):
        return ("qname", ns.expand(value))
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return ("time", value.isoformat())
        return ("time", value.astimezone(timezone.utc).isoformat())
    if isinstance(value, Literal):
        datatype = ns.expand(value.datatype) if value.datatype else None
        return ("literal", value.value, datatype, value.lang.lower() if value.lang else None)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("number", float(value))
    return ("str", value)


def _statements(bundle: Bundle, *, anonymous_ids: bool) -> list[Canonical]:
    ns, statements = to_statements(bundle)
    out = []
    for st in statements:
        ident = st.id
        if ident is not None and (anonymous_ids or not ident.startswith("_:")):
            ident = ns.expand(ident)
        else:
            ident = None
        formal = tuple(
            canonical_value(v, ns) if isinstance(v, datetime) else (ns.expand(v) if v is not None else None)
            for v in st.formal
        )
        # trailing absent optional arguments are the same as absent ones
        attrs = tuple(sorted(((ns.expand(k), canonical_value(v, ns)) for k, v in st.attributes), key=repr))
        out.append((st.kind, ident, _trim(formal), attrs))
    return out


def _trim(formal: tuple[Any, ...]) -> tuple[Any, ...]:
    end = len(formal)
    while end and formal[end - 1] is None:
        end -= 1
    return formal[:end]


def canonical(doc: Document, *, anonymous_ids: bool = False) -> Counter[Canonical]:
    """The multiset of canonical statements of ``doc`` and its bundles.

    Relation ids of the blank-node form ``_:x`` are dropped unless ``anonymous_ids``:
    formats are free to renumber them.
    """
    result: Counter[Canonical] = Counter()
    for st in _statements(doc, anonymous_ids=anonymous_ids):
        result[(None,) + st] += 1
    for bid, bundle in doc.bundles.items():
        ns = bundle.namespaces if bundle.namespaces.declared() else doc.namespaces
        merged = Namespaces({**doc.namespaces.declared(), **ns.declared()}, ns.default or doc.namespaces.default)
        original = bundle.namespaces
        bundle.namespaces = merged
        try:
            key = doc.namespaces.expand(bid)
            for st in _statements(bundle, anonymous_ids=anonymous_ids):
                result[(key,) + st] += 1
        finally:
            bundle.namespaces = original
    return result


def differences(a: Document, b: Document) -> tuple[list[Canonical], list[Canonical]]:
    """Statements only in ``a`` and only in ``b`` (for readable test failures)."""
    ca, cb = canonical(a), canonical(b)
    return sorted((ca - cb).elements(), key=repr), sorted((cb - ca).elements(), key=repr)


def same_provenance(a: Document, b: Document) -> bool:
    """True when ``a`` and ``b`` hold the same statements (see :func:`canonical`)."""
    return canonical(a) == canonical(b)
