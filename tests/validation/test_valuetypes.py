"""ProvDM valueType strings (VOTable datatype, arraysize, xtype) and values checked against them."""

from __future__ import annotations

import pytest

from provarchive.validation.valuetypes import ValueType, ValueTypeError, parse_value, parse_value_type


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("float", ValueType("float")),
        ("Double", ValueType("double")),
        ("double[3]", ValueType("double", "3")),
        ("int(2x3)", ValueType("int", "2x3")),
        ("char*", ValueType("char", "*")),
        ("char[*]", ValueType("char", "*")),
        ("char arraysize=* xtype=timestamp", ValueType("char", "*", "timestamp")),
        ("char; xtype=timestamp", ValueType("char", None, "timestamp")),
        ("unicodeChar[10*]", ValueType("unicodeChar", "10*")),
    ],
)
def test_parse_value_type(text: str, expected: ValueType) -> None:
    assert parse_value_type(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("real", "not a VOTable datatype"),
        ("double[x]", "arraysize"),
        ("double unit=m", "unknown key"),
        ("double[3] nonsense", "cannot read"),
    ],
)
def test_parse_value_type_rejects(text: str, reason: str) -> None:
    with pytest.raises(ValueTypeError, match=reason):
        parse_value_type(text)


@pytest.mark.parametrize(
    ("value", "value_type", "expected"),
    [
        ("T", "boolean", True),
        ("false", "boolean", False),
        ("1", "bit", 1),
        ("255", "unsignedByte", 255),
        ("-32768", "short", -32768),
        ("0x10", "int", 16),
        ("9223372036854775807", "long", 2**63 - 1),
        ("2.5", "float", 2.5),
        ("NaN", "double", "nan"),
        ("-Inf", "double", float("-inf")),
        ("1 2", "doubleComplex", complex(1, 2)),
        ("1 2 3", "int[3]", [1, 2, 3]),
        ("1 2", "int[*]", [1, 2]),
        ("1 2", "int[3*]", [1, 2]),
        ("tailcuts", "char", "tailcuts"),
        ("2024-03-01T21:00:00Z", "char[*] xtype=timestamp", "2024-03-01T21:00:00Z"),
        ("Crab ♋", "unicodeChar[*]", "Crab ♋"),
    ],
)
def test_parse_value(value: str, value_type: str, expected: object) -> None:
    got = parse_value(value, parse_value_type(value_type))
    if expected == "nan":
        assert got != got  # NaN
    else:
        assert got == expected


@pytest.mark.parametrize(
    ("value", "value_type", "reason"),
    [
        ("yes", "boolean", "not a boolean"),
        ("2", "bit", "not a bit"),
        ("256", "unsignedByte", "does not fit"),
        ("40000", "short", "does not fit"),
        ("1.5", "int", "not an integer"),
        ("abc", "double", "not a floating-point"),
        ("1e39", "float", "too large"),
        ("1 2 3", "doubleComplex", "complex"),
        ("1 2", "int[3]", "needs 3"),
        ("1 2 3 4", "int[3*]", "more than"),
        ("1 2", "int", "not a single"),
        ("Crab ♋", "char[*]", "non-ASCII"),
        ("toolong", "char[4]", "longer than"),
        ("yesterday", "char xtype=timestamp", "ISO 8601"),
    ],
)
def test_parse_value_rejects(value: str, value_type: str, reason: str) -> None:
    with pytest.raises(ValueTypeError, match=reason):
        parse_value(value, parse_value_type(value_type))
