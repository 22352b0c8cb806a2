"""What a reader gives, spelled out for comparing a fast path with its careful one.

The PROV-JSON, PROV-N and PROV-XML readers each have a fast path whose tests read
documents both ways and require the same outcome: every record slot by slot (values
and their types), which record each identifier finds, or the same error at the same
position.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from provarchive.formats.errors import FormatError
from provarchive.model import Document


def slots(record: object) -> list[tuple[str, str, str]]:
    """Every slot of a record with its value's repr and type (attributes item by item)."""
    out = [("class", type(record).__name__, "")]
    for klass in type(record).__mro__:
        for slot in getattr(klass, "__slots__", ()):
            value: Any = getattr(record, slot, "<unset>")
            if slot == "_bundle":
                out.append((slot, repr(getattr(value, "id", value)), type(value).__name__))
            elif slot == "_attributes":  # the pairs and their types, item by item
                out.append((slot, repr(value), repr([(type(k).__name__, type(v).__name__) for k, v in value])))
            else:
                out.append((slot, repr(value), type(value).__name__))
    return out


def read_outcome(read: Callable[[], Document], also: Callable[[Document], Any] | None = None) -> tuple[Any, ...]:
    """``("error", message, line, column)``, or the records slot by slot and which record
    each id finds (the index's own order does not matter), plus ``also(doc)`` if given."""
    try:
        doc = read()
    except FormatError as exc:
        return ("error", str(exc), exc.line, exc.column)
    index = [
        (bid, sorted((ident, next(i for i, r in enumerate(b.records) if r is e)) for ident, e in b._index.items()))
        for bid, b in [(None, doc), *doc.bundles.items()]
    ]
    records = [(bundle.id, slots(record)) for bundle, record in doc.all_records()]
    return (records, index) if also is None else (records, index, also(doc))
