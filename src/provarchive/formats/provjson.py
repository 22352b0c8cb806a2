"""PROV-JSON (W3C Member Submission), read and written exactly as ``prov`` 3.2.3 does.

A document is one JSON object: a ``prefix`` map (``default`` holds the default
namespace), one map per statement kind (``entity``, ``used``, ...) keyed by
identifier, anonymous relations under ``_:idN`` keys, and named bundles under
``bundle``, each a container of the same shape with its own ``prefix``. Attribute
values are plain JSON strings and booleans, or value objects
``{"$": "...", "type": "xsd:..."}`` / ``{"$": "...", "lang": "..."}``; a repeated
attribute is a JSON array. Several statements sharing one identifier are a JSON array
of objects under that identifier.

IVOA classes go through :mod:`provarchive.model.w3c` (the one IVOA ↔ W3C mapping),
so what we write is plain W3C PROV that any reader understands. On input we also
accept the non-standard top-level sections that voprov writes
(``activityDescription``, ``parameter``, ``isDescribedBy``, ...): see
:mod:`provarchive.formats.provjson_voprov`.

Speed matters (documents of 100k records are routine): the writer
(:mod:`.provjson_write`) writes the JSON text straight from the records, with code
generated per record class, and falls back to plain dicts encoded by orjson for what
it does not write itself; the reader walks orjson's output once, resolving each
distinct attribute name and identifier prefix once.
"""

from __future__ import annotations

from typing import Any

from ..model.document import Document
from .provjson_write import dumps

__all__ = ["dumps", "loads", "FORMAT_NAME"]

FORMAT_NAME = "PROV-JSON"


def loads(data: bytes | str, **_options: Any) -> Document:
    """Read a PROV-JSON document (strict W3C, plus voprov's extra sections).

    Malformed JSON raises FormatError with the line and column where parsing stopped;
    a structural error names the record and key (and gives the record's line).
    """
    from .provjson_reader import read_document

    return read_document(data)
