"""ProvDM ``valueType``: a VOTable datatype with optional arraysize and xtype, and value checks.

ProvDM 1.0 defines ValueDescription.valueType and ParameterDescription.valueType as
"VOTable datatype + arraysize + xtype" without fixing a spelling. We accept the forms
found in practice::

    float                       double[3]          char[*]        int[2x3]
    char arraysize=* xtype=timestamp               char; xtype=timestamp
    double(3)                   char*

A value (always a string in ProvDM) is checked against the datatype: booleans are
``T``/``F``/``true``/``false``/``1``/``0``; integers must fit their width; floats
accept ``NaN`` and ``±Inf``; complex numbers are two floats; arrays are
space-separated items whose count must fit the arraysize. ``char`` and
``unicodeChar`` without an arraysize accept any string (a single ``char`` is never
what ProvDM authors mean), ``char`` must be ASCII. The xtype ``timestamp`` requires
an ISO 8601 date-time.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

__all__ = ["ValueType", "ValueTypeError", "parse_value_type", "parse_value", "DATATYPES"]

_INT_RANGES = {
    "unsignedByte": (0, 255),
    "short": (-(2**15), 2**15 - 1),
    "int": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
}
#: The VOTable 1.4 primitive datatypes.
DATATYPES = (
    "boolean",
    "bit",
    "unsignedByte",
    "short",
    "int",
    "long",
    "char",
    "unicodeChar",
    "float",
    "double",
    "floatComplex",
    "doubleComplex",
)
_BY_LOWER = {name.lower(): name for name in DATATYPES}
_ARRAYSIZE = re.compile(r"^(\d+x)*(\d+|\d*\*)$")
_BOOLEANS = {"t": True, "true": True, "1": True, "f": False, "false": False, "0": False}


class ValueTypeError(ValueError):
    """A valueType string or a value that does not parse."""


@dataclass(frozen=True)
class ValueType:
    """A parsed valueType: VOTable datatype, arraysize (``None`` for a scalar), xtype."""

    datatype: str
    arraysize: str | None = None
    xtype: str | None = None

    @property
    def is_text(self) -> bool:
        return self.datatype in ("char", "unicodeChar")

    @property
    def is_numeric(self) -> bool:
        return self.datatype in _INT_RANGES or self.datatype in ("float", "double", "bit")

    def bounds(self) -> tuple[int | None, bool]:
        """(maximum number of items or None for unbounded, whether the count is exact)."""
        if self.arraysize is None:
            return 1, True
        size = self.arraysize
        variable = size.endswith("*")
        dims = [d for d in size.rstrip("*").split("x") if d]
        total = 1
        for d in dims:
            total *= int(d)
        if variable:
            last = size.rstrip("*").split("x")[-1]
            return (total if last else None), False
        return total, True


def parse_value_type(text: str) -> ValueType:
    """Parse a valueType string; raises ValueTypeError with the reason."""
    source = text.strip()
    if not source:
        raise ValueTypeError("valueType is empty")
    tokens = [t for t in re.split(r"[\s;,]+", source) if t]
    head, rest = tokens[0], tokens[1:]
    arraysize: str | None = None
    xtype: str | None = None
    match = re.match(r"^([A-Za-z]+)\s*(?:[\[(]([^\])]*)[\])]|(\*))?$", head)
    if match is None:
        raise ValueTypeError(f"cannot read the valueType {text!r}: expected a VOTable datatype such as 'double[3]'")
    name = _BY_LOWER.get(match.group(1).lower())
    if name is None:
        raise ValueTypeError(f"{match.group(1)!r} is not a VOTable datatype (one of {', '.join(DATATYPES)})")
    if match.group(2) is not None:
        arraysize = match.group(2).strip()
    elif match.group(3):
        arraysize = "*"
    for token in rest:
        key, sep, value = token.partition("=")
        if not sep:
            raise ValueTypeError(f"cannot read {token!r} in valueType {text!r}: expected arraysize=... or xtype=...")
        key = key.lower()
        if key == "arraysize":
            arraysize = value
        elif key == "xtype":
            xtype = value
        else:
            raise ValueTypeError(f"unknown key {key!r} in valueType {text!r} (arraysize and xtype are known)")
    if arraysize is not None and not _ARRAYSIZE.match(arraysize):
        raise ValueTypeError(f"arraysize {arraysize!r} in valueType {text!r} is not of the form 3, 2x3, * or 10*")
    return ValueType(name, arraysize, xtype)


def _real(datatype: str, item: str) -> float:
    """A VOTable float or double; a float must fit in 32 bits."""
    try:
        number = float(item)
    except ValueError:
        raise ValueTypeError(f"{item!r} is not a floating-point number") from None
    if datatype == "float" and math.isfinite(number) and abs(number) > 3.4028235e38:
        raise ValueTypeError(f"{item} is too large for a VOTable float")
    return number


def _scalar(datatype: str, item: str) -> object:
    if datatype == "boolean":
        value = _BOOLEANS.get(item.lower())
        if value is None:
            raise ValueTypeError(f"{item!r} is not a boolean (T, F, true, false, 1 or 0)")
        return value
    if datatype == "bit":
        if item not in ("0", "1"):
            raise ValueTypeError(f"{item!r} is not a bit (0 or 1)")
        return int(item)
    if datatype in _INT_RANGES:
        try:
            number = int(item, 16) if item.lower().startswith(("0x", "-0x")) else int(item)
        except ValueError:
            raise ValueTypeError(f"{item!r} is not an integer") from None
        low, high = _INT_RANGES[datatype]
        if not low <= number <= high:
            raise ValueTypeError(f"{item} does not fit in a VOTable {datatype} ({low}..{high})")
        return number
    if datatype in ("float", "double"):
        return _real(datatype, item)
    raise ValueTypeError(f"unsupported datatype {datatype}")  # pragma: no cover - guarded by parse_value_type


def parse_value(value: str, value_type: ValueType) -> object:
    """The Python value of ``value`` under ``value_type``; raises ValueTypeError saying why not."""
    datatype = value_type.datatype
    if value_type.is_text:
        if datatype == "char" and not value.isascii():
            raise ValueTypeError(f"{value!r} has non-ASCII characters, which a VOTable char cannot hold (unicodeChar)")
        limit, exact = value_type.bounds()
        if value_type.arraysize is not None and limit is not None and len(value) > limit:
            raise ValueTypeError(f"{value!r} is longer than the arraysize {value_type.arraysize}")
        if value_type.xtype and value_type.xtype.lower() == "timestamp":
            try:
                datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                raise ValueTypeError(f"{value!r} is not an ISO 8601 timestamp (xtype timestamp)") from None
        return value
    items = value.split()
    if datatype in ("floatComplex", "doubleComplex"):
        if len(items) % 2:
            raise ValueTypeError(f"{value!r} is not a list of complex numbers (pairs of real and imaginary parts)")
        scalar_type = "float" if datatype == "floatComplex" else "double"
        numbers = [_real(scalar_type, item) for item in items]
        parsed: list[object] = [complex(a, b) for a, b in zip(numbers[::2], numbers[1::2], strict=True)]
    else:
        parsed = [_scalar(datatype, item) for item in items]
    limit, exact = value_type.bounds()
    count = len(parsed)
    if value_type.arraysize is None:
        if count != 1:
            raise ValueTypeError(f"{value!r} is not a single {datatype} (the valueType has no arraysize)")
        return parsed[0]
    if exact and count != limit:
        raise ValueTypeError(f"{value!r} has {count} item(s), the arraysize {value_type.arraysize} needs {limit}")
    if limit is not None and count > limit:
        raise ValueTypeError(f"{value!r} has {count} item(s), more than the arraysize {value_type.arraysize} allows")
    return parsed
