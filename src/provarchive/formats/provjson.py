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

Speed matters (documents of 100k records are routine): the writer builds plain
dicts and lets orjson encode them (datetimes included); the reader walks orjson's
output once, resolving each distinct attribute name and identifier prefix once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from ..model.document import Bundle, Document
from ..model.ids import VOPROV, Literal, QName
from ..model.w3c import to_keyed_groups
from ..util import paused_gc
from .typed_values import double_text, int_datatype

__all__ = ["dumps", "loads", "FORMAT_NAME"]

FORMAT_NAME = "PROV-JSON"

# ------------------------------------------------------------------------------ write


def dumps(doc: Document, *, indent: bool = False, voprov_uri: str = VOPROV, **_options: Any) -> bytes:
    """The PROV-JSON bytes of ``doc`` (UTF-8), indented by two spaces if ``indent``.

    ``voprov_uri`` is the namespace written for the IVOA terms when the document does
    not declare one itself (configurable: no URI is normative). Options meant for
    other formats are ignored, so one call site can serve every format.
    """
    with paused_gc():
        container = _encode_container(doc, None, voprov_uri)
        if doc.bundles:
            container["bundle"] = {bid: _encode_container(b, doc, voprov_uri) for bid, b in doc.bundles.items()}
        option = orjson.OPT_INDENT_2 if indent else 0
        data = orjson.dumps(container, option=option)
        # freed while the collector is paused, so that it does not walk the dicts on waking
        del container
    return data


def _encode_container(bundle: Bundle, parent: Document | None, voprov_uri: str = VOPROV) -> dict[str, Any]:
    namespaces, groups = to_keyed_groups(bundle, _encode_value, voprov_uri=voprov_uri)
    container: dict[str, Any] = {}
    prefixes: dict[str, str] = dict(namespaces.declared())
    default = namespaces.default
    if default is not None and (parent is None or parent.namespaces.default != default):
        prefixes["default"] = default
    if prefixes:
        container["prefix"] = prefixes
    container.update(groups)
    return container


def _encode_value(value: Any) -> Any:
    """The PROV-JSON form of an attribute value that is not a plain str."""
    kind = type(value)
    if kind is QName:
        return {"$": str(value), "type": "xsd:QName"}
    if kind is bool:
        return value
    if kind is int:
        return {"$": str(value), "type": int_datatype(value)}
    if kind is float:
        return {"$": double_text(value), "type": "xsd:double"}
    if kind is datetime:
        return {"$": value, "type": "xsd:dateTime"}
    if kind is Literal:
        if value.lang:
            return {"$": value.value, "lang": value.lang}
        if value.datatype is None or value.datatype == "xsd:string":
            return value.value
        return {"$": value.value, "type": value.datatype}
    if isinstance(value, str):
        return str(value)
    if isinstance(value, datetime):
        return {"$": value.isoformat(), "type": "xsd:dateTime"}
    raise TypeError(f"cannot write a {kind.__name__} attribute value ({value!r}) in PROV-JSON")


def loads(data: bytes | str, **_options: Any) -> Document:
    """Read a PROV-JSON document (strict W3C, plus voprov's extra sections).

    Malformed JSON raises FormatError with the line and column where parsing stopped;
    a structural error names the record and key (and gives the record's line).
    """
    from .provjson_reader import read_document

    return read_document(data)
