"""Typed attribute values as (lexical form, XSD datatype, language): one mapping for all formats.

PROV-XML (``xsi:type``), PROV-JSONLD (``@type``), PROV-O (typed literals) and the
VOTable ``attributes`` column all carry a value as text plus a datatype. These two
functions are the single place that decides how Python values are typed (the choices
prov 3.x makes, so that both libraries read each other's output) and how typed text is
read back without losing anything.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..model.ids import Literal, QName

__all__ = ["to_lexical", "from_lexical", "format_datetime", "parse_datetime"]


def format_datetime(value: datetime) -> str:
    """ISO 8601, with ``Z`` for UTC (the project-wide convention for text output)."""
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def parse_datetime(text: str) -> datetime:
    """An ``xsd:dateTime`` lexical form as a datetime (``Z`` and offsets accepted)."""
    return datetime.fromisoformat(text.strip())


_INT_TYPES = frozenset(
    f"xsd:{t}"
    for t in (
        *("int", "integer", "long", "short", "byte", "nonNegativeInteger", "nonPositiveInteger"),
        *("positiveInteger", "negativeInteger", "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte"),
    )
)
_FLOAT_TYPES = frozenset({"xsd:double", "xsd:float"})


#: XSD spells infinity and not-a-number differently from Python's repr().
_XSD_SPECIAL_FLOATS = {"inf": "INF", "-inf": "-INF", "nan": "NaN"}


def to_lexical(value: Any) -> tuple[str, str | None, str | None]:
    """(lexical form, datatype as ``xsd:``-style QName or None, language or None).

    The mapping prov 3.x uses: int → ``xsd:int`` (``xsd:long`` beyond 32 bits), float →
    ``xsd:double``, bool → ``xsd:boolean``, datetime → ``xsd:dateTime``, QName →
    ``xsd:QName``; a plain string has no datatype.
    """
    cls = type(value)
    if cls is str:
        return value, None, None
    if cls is QName:
        return str(value), "xsd:QName", None
    if cls is bool:
        return ("true" if value else "false"), "xsd:boolean", None
    if cls is int:
        return str(value), ("xsd:int" if -(2**31) <= value < 2**31 else "xsd:long"), None
    if cls is float:
        return _XSD_SPECIAL_FLOATS.get(repr(value), repr(value)), "xsd:double", None
    if isinstance(value, datetime):
        return format_datetime(value), "xsd:dateTime", None
    if isinstance(value, Literal):
        return value.value, value.datatype, value.lang
    if isinstance(value, str):
        return str(value), None, None
    raise TypeError(f"cannot serialise attribute value {value!r} of type {cls.__name__}")


def from_lexical(text: str, datatype: str | None, lang: str | None = None) -> Any:
    """The model value for a lexical form and a datatype QName (``xsd:`` prefix for XSD).

    Values that do not parse under their datatype are kept as a :class:`Literal` so
    that nothing is lost; unknown datatypes are kept as literals too.
    """
    if lang:
        return Literal(
            text, datatype if datatype not in (None, "xsd:string", "prov:InternationalizedString") else None, lang
        )
    if datatype is None or datatype == "xsd:string":
        return text
    try:
        if datatype in _INT_TYPES:
            return int(text)
        if datatype in _FLOAT_TYPES:
            return float(text)
        if datatype == "xsd:boolean":
            lowered = text.strip()
            if lowered in ("true", "1"):
                return True
            if lowered in ("false", "0"):
                return False
            return Literal(text, datatype)
        if datatype == "xsd:dateTime":
            return parse_datetime(text)
    except ValueError:
        return Literal(text, datatype)
    if datatype in ("xsd:QName", "prov:QUALIFIED_NAME"):
        return QName(text.strip())
    return Literal(text, datatype)
