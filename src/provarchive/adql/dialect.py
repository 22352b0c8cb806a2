"""The ADQL dialect for sqlglot, and ADQL's own functions lowered to SQLite and PostgreSQL.

sqlglot has no ADQL dialect; this one adds ``TOP``, folds regular identifiers to lower
case (ADQL regular identifiers are case-insensitive, delimited ones are exact), sorts
NULLs as PostgreSQL does so both backends order rows alike, and keeps ADQL's scalar
functions as plain (anonymous) calls. Those calls are then rewritten per backend from one
table, :data:`ADQL_FUNCTIONS`, instead of trusting sqlglot's generic mappings, which drop
arguments (``TRUNCATE(x, 2)`` on SQLite) or change meaning (``LOG`` is base 10 in
PostgreSQL but natural in ADQL, ``RANDOM()`` is an integer in SQLite).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import sqlglot
from sqlglot import exp, parser, tokens
from sqlglot.dialects.dialect import Dialect, NormalizationStrategy
from sqlglot.tokens import TokenType

__all__ = [
    "ADQL",
    "ADQL_FUNCTIONS",
    "AdqlFunction",
    "GEOMETRY_FUNCTIONS",
    "BACKENDS",
    "lower_function",
]

#: Target SQL dialects, by the names sqlglot knows them.
BACKENDS = ("sqlite", "postgres")


@dataclass(frozen=True)
class AdqlFunction:
    """An ADQL function: how many arguments, what it returns, its SQL on each backend.

    Templates are SQL expressions in the backend's own dialect with ``:a0``, ``:a1``, …
    standing for the arguments; keys of ``sqlite``/``postgres`` are the argument count.
    """

    name: str
    min_args: int
    max_args: int
    returns: str
    sqlite: dict[int, str]
    postgres: dict[int, str]

    def template(self, backend: str, nargs: int) -> str:
        table = self.sqlite if backend == "sqlite" else self.postgres
        return table[nargs]


def _same(name: str, nargs: int, returns: str = "DOUBLE") -> AdqlFunction:
    """A function spelled identically on both backends (SQLite's math functions, PostgreSQL)."""
    call = f"{name}({', '.join(f':a{i}' for i in range(nargs))})"
    return AdqlFunction(name, nargs, nargs, returns, {nargs: call}, {nargs: call})


_PG_ROUND_NUMERIC = "CAST(ROUND(CAST(:a0 AS NUMERIC), :a1) AS DOUBLE PRECISION)"
_SQLITE_RANDOM = "(RANDOM() / 18446744073709551616.0 + 0.5)"

#: ADQL 2.1 §2.3 mathematical and trigonometric functions, and the optional string ones.
ADQL_FUNCTIONS: dict[str, AdqlFunction] = {
    f.name: f
    for f in [
        _same("ABS", 1),
        _same("ACOS", 1),
        _same("ASIN", 1),
        _same("ATAN", 1),
        _same("ATAN2", 2),
        _same("COS", 1),
        _same("SIN", 1),
        _same("TAN", 1),
        _same("DEGREES", 1),
        _same("RADIANS", 1),
        _same("EXP", 1),
        _same("FLOOR", 1),
        _same("SQRT", 1),
        _same("PI", 0),
        _same("POWER", 2),
        _same("LOG10", 1),
        _same("MOD", 2),
        AdqlFunction("CEILING", 1, 1, "DOUBLE", {1: "CEIL(:a0)"}, {1: "CEIL(:a0)"}),
        AdqlFunction("COT", 1, 1, "DOUBLE", {1: "(1.0 / TAN(:a0))"}, {1: "COT(:a0)"}),
        # ADQL's LOG is the natural logarithm.
        AdqlFunction("LOG", 1, 1, "DOUBLE", {1: "LN(:a0)"}, {1: "LN(:a0)"}),
        # RAND(seed): neither backend can seed one expression, so the seed is accepted and ignored.
        AdqlFunction("RAND", 0, 1, "DOUBLE", {0: _SQLITE_RANDOM, 1: _SQLITE_RANDOM}, {0: "RANDOM()", 1: "RANDOM()"}),
        # Half away from zero on both (PostgreSQL's float ROUND rounds half to even).
        AdqlFunction(
            "ROUND",
            1,
            2,
            "DOUBLE",
            {1: "ROUND(:a0)", 2: "ROUND(:a0, :a1)"},
            {1: "CAST(ROUND(CAST(:a0 AS NUMERIC)) AS DOUBLE PRECISION)", 2: _PG_ROUND_NUMERIC},
        ),
        AdqlFunction(
            "TRUNCATE",
            1,
            2,
            "DOUBLE",
            {1: "CAST(TRUNC(:a0) AS REAL)", 2: "(TRUNC(:a0 * POWER(10, :a1)) / POWER(10, :a1))"},
            {
                1: "CAST(TRUNC(CAST(:a0 AS NUMERIC)) AS DOUBLE PRECISION)",
                2: "CAST(TRUNC(CAST(:a0 AS NUMERIC), :a1) AS DOUBLE PRECISION)",
            },
        ),
        _same("LOWER", 1, "TEXT"),
        _same("UPPER", 1, "TEXT"),
    ]
}

#: ADQL geometry functions: parsed so the error can name them, always refused because the
#: provenance schema has no spatial columns and neither backend has pg_sphere here.
GEOMETRY_FUNCTIONS = frozenset(
    {
        "AREA",
        "BOX",
        "CENTROID",
        "CIRCLE",
        "CONTAINS",
        "COORD1",
        "COORD2",
        "COORDSYS",
        "DISTANCE",
        "INTERSECTS",
        "POINT",
        "POLYGON",
        "REGION",
        "IN_UNIT",
    }
)


def _anonymous(name: str) -> Callable[[list[exp.Expression]], exp.Expression]:
    def build(args: list[exp.Expression]) -> exp.Expression:
        return exp.Anonymous(this=name, expressions=args)

    return build


class ADQL(Dialect):
    """sqlglot dialect for ADQL 2.0/2.1 as read from clients (never generated)."""

    NORMALIZATION_STRATEGY = NormalizationStrategy.LOWERCASE
    NULL_ORDERING = "nulls_are_large"

    class Tokenizer(tokens.Tokenizer):
        QUOTES = ["'"]
        IDENTIFIERS = ['"']
        STRING_ESCAPES = ["'"]
        IDENTIFIER_ESCAPES = ['"']
        BIT_STRINGS = []
        BYTE_STRINGS = []
        HEX_STRINGS = []
        RAW_STRINGS = []
        HEREDOC_STRINGS = []
        UNICODE_STRINGS = []
        COMMENTS = ["--", ("/*", "*/")]
        KEYWORDS = {**tokens.Tokenizer.KEYWORDS, "TOP": TokenType.TOP}

    class Parser(parser.Parser):
        # ADQL's scalar functions (and geometry, to name it in the refusal) stay anonymous
        # calls; lower_function() gives them their exact meaning on each backend.
        FUNCTIONS = {
            **parser.Parser.FUNCTIONS,
            **{name: _anonymous(name) for name in (*ADQL_FUNCTIONS, *GEOMETRY_FUNCTIONS)},
        }
        FUNCTION_PARSERS = {
            name: function_parser
            for name, function_parser in parser.Parser.FUNCTION_PARSERS.items()
            if name not in ADQL_FUNCTIONS and name not in GEOMETRY_FUNCTIONS
        }


@cache
def _parsed_template(template: str, backend: str) -> exp.Expression:
    select = sqlglot.parse_one(f"SELECT {template}", read=backend)
    assert isinstance(select, exp.Select)
    first = select.selects[0]
    assert isinstance(first, exp.Expression)
    return first


def lower_function(call: exp.Anonymous, backend: str) -> exp.Expression:
    """The backend expression for one ADQL function call (arguments already lowered)."""
    spec = ADQL_FUNCTIONS[call.name.upper()]
    args = list(call.expressions)
    template = _parsed_template(spec.template(backend, len(args)), backend).copy()

    def substitute(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and str(node.name).startswith("a"):
            argument = args[int(node.name[1:])].copy()
            atomic = isinstance(argument, (exp.Column, exp.Literal, exp.Paren, exp.Func, exp.Null))
            return argument if atomic else exp.paren(argument, copy=False)
        return node

    return template.transform(substitute, copy=False)
