"""XSD typed values shared by the PROV-JSON and PROV-N readers and writers.

Both formats write an attribute value as a lexical form plus a datatype, and both
must agree with ``prov`` 3.2.3 on which datatypes become plain Python values, so that
a document read by either library means the same thing:

* ``xsd:string`` → ``str``; ``xsd:boolean`` → ``bool``; ``xsd:double`` → ``float``;
  ``xsd:dateTime`` → ``datetime``;
* ``xsd:int``/``xsd:long``/``xsd:integer`` → ``int`` only when that is the datatype
  ``prov`` itself would give the number (``xsd:int`` within 32 bits, ``xsd:long``
  within 64, ``xsd:integer`` beyond), so that e.g. ``"3" %% xsd:long`` keeps its
  declared type;
* ``xsd:QName`` and the legacy ``prov:QUALIFIED_NAME`` → :class:`QName`;
* anything else (``xsd:anyURI``, ``xsd:gYear``, a value outside its lexical space)
  stays a :class:`Literal`.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from ..model.ids import XSD, Literal, Namespaces

__all__ = [
    "QNAME_TYPES",
    "int_datatype",
    "double_text",
    "parse_datetime",
    "typed_value",
    "normalise_datatype",
]

_INT32 = 2**31
_INT64 = 2**63

#: Datatypes whose values are qualified names.
QNAME_TYPES = frozenset({"xsd:QName", "prov:QUALIFIED_NAME"})


def int_datatype(value: int) -> str:
    """The datatype ``prov`` gives a Python int: by magnitude (prov #244/#256)."""
    if -_INT32 <= value < _INT32:
        return "xsd:int"
    if -_INT64 <= value < _INT64:
        return "xsd:long"
    return "xsd:integer"


def double_text(value: float) -> str:
    """The xsd:double lexical form of a float (INF, -INF, NaN for non-finite values)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "INF" if value > 0 else "-INF"
    return float.__repr__(value)


def parse_datetime(text: str) -> datetime | None:
    """Parse an xsd:dateTime; ``None`` when ``text`` is not one.

    Python's ``fromisoformat`` does the work (it accepts ``Z`` and any number of
    fraction digits); a date without a time is refused, as xsd:dateTime requires the
    ``T``, and the end-of-day form ``T24:00:00`` is midnight of the next day.
    """
    if "T" not in text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    text = text.strip()
    if "T24:00:00" in text:
        head, _sep, tail = text.partition("T24:00:00")
        if tail.startswith("."):
            tail = tail.lstrip(".0")
        try:
            return datetime.fromisoformat(f"{head}T00:00:00{tail}") + timedelta(days=1)
        except ValueError:
            return None
    return None


def normalise_datatype(datatype: str, namespaces: Namespaces) -> str:
    """Write an XSD datatype as ``xsd:local`` whatever prefix or IRI spelled it."""
    if datatype.startswith("xsd:"):
        return datatype
    if datatype.startswith(XSD):
        return "xsd:" + datatype[len(XSD) :]
    prefix, sep, local = datatype.partition(":")
    if sep and prefix in namespaces and namespaces[prefix] == XSD:
        return "xsd:" + local
    return datatype


def _parse_bool(text: str) -> bool | None:
    lowered = text.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    return None


def typed_value(lexical: str, datatype: str) -> Any:
    """The model value of ``lexical`` typed ``datatype`` (already normalised).

    QName-typed values are not handled here: the caller checks their prefix.
    """
    if datatype == "xsd:string":
        return lexical
    if datatype == "xsd:int" or datatype == "xsd:long" or datatype == "xsd:integer":
        try:
            number = int(lexical)
        except ValueError:
            return Literal(lexical, datatype)
        if int_datatype(number) == datatype:
            return number
        return Literal(lexical, datatype)
    if datatype == "xsd:double":
        try:
            return float(lexical)
        except ValueError:
            return Literal(lexical, datatype)
    if datatype == "xsd:dateTime":
        parsed = parse_datetime(lexical)
        return Literal(lexical, datatype) if parsed is None else parsed
    if datatype == "xsd:boolean":
        flag = _parse_bool(lexical)
        return Literal(lexical, datatype) if flag is None else flag
    return Literal(lexical, datatype)
