"""ADQL text → SQL for SQLite or PostgreSQL, with the result columns described.

The pipeline, each step in one place:

1. :func:`.guard.check` parses once and refuses anything that is not a plain ADQL SELECT
   over published tables (identifiers folded, tables fully qualified);
2. sqlglot's ``qualify`` resolves every column against the catalogue, expands ``*`` in
   a fixed order (USING/NATURAL columns first, as the SQL standard says, so both
   backends return the same columns) and reports unknown or ambiguous columns;
3. the result columns get stable, unique names and a VOTable type;
4. ``TOP`` and ``MAXREC`` become one ``LIMIT`` (``maxrec + 1`` rows, so the executor can
   tell an overflow from an exact fit);
5. ADQL functions and the lineage UDFs are rewritten for the backend;
6. the SQL is generated with every identifier quoted and no comments.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlglot import exp
from sqlglot.errors import ErrorLevel, OptimizeError, SqlglotError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope

from .catalogue import Catalogue
from .dialect import ADQL, ADQL_FUNCTIONS, BACKENDS, lower_function
from .errors import AdqlError
from .guard import check
from .udf import LINEAGE_FUNCTIONS, expand_lineage_function, membership_predicate

__all__ = ["ResultColumn", "Translation", "translate"]


@dataclass(frozen=True)
class ResultColumn:
    """One column of the result, described for a VOTable FIELD.

    ``table``/``column`` name the published column it comes from unchanged (so the TAP
    service can copy unit, UCD, utype and description from TAP_SCHEMA), or are None for
    computed values. ``datatype``/``arraysize``/``xtype`` are VOTable attributes; a None
    datatype means the type could not be inferred (the service decides from the values).
    """

    name: str
    datatype: str | None
    arraysize: str | None = None
    xtype: str | None = None
    table: str | None = None
    column: str | None = None


@dataclass(frozen=True)
class Translation:
    """The SQL to run and what it returns."""

    sql: str
    dialect: str
    columns: list[ResultColumn]
    #: The LIMIT in the SQL (None: unbounded); with MAXREC it is maxrec + 1.
    limit: int | None
    #: MAXREC as applied: more rows than this means OVERFLOW.
    maxrec: int | None
    #: Published tables the query reads, and lineage functions it calls.
    tables: tuple[str, ...] = field(default=())
    functions: tuple[str, ...] = field(default=())

    def overflowed(self, rows_fetched: int) -> bool:
        """True when the query returned more rows than MAXREC allows (flag QUERY_STATUS=OVERFLOW)."""
        return self.maxrec is not None and rows_fetched > self.maxrec


_VOTABLE_TYPES: dict[Any, tuple[str, str | None, str | None]] = {
    exp.DataType.Type.BOOLEAN: ("boolean", None, None),
    exp.DataType.Type.SMALLINT: ("short", None, None),
    exp.DataType.Type.INT: ("int", None, None),
    exp.DataType.Type.BIGINT: ("long", None, None),
    exp.DataType.Type.FLOAT: ("float", None, None),
    exp.DataType.Type.DOUBLE: ("double", None, None),
    exp.DataType.Type.DECIMAL: ("double", None, None),
    exp.DataType.Type.TEXT: ("char", "*", None),
    exp.DataType.Type.VARCHAR: ("char", "*", None),
    exp.DataType.Type.CHAR: ("char", "*", None),
    exp.DataType.Type.DATE: ("char", "*", None),
    exp.DataType.Type.TIMESTAMP: ("char", "*", "timestamp"),
    exp.DataType.Type.TIMESTAMPTZ: ("char", "*", "timestamp"),
    exp.DataType.Type.DATETIME: ("char", "*", "timestamp"),
}

_FUNCTION_TYPES = {
    **{name: spec.returns for name, spec in ADQL_FUNCTIONS.items()},
    **{name.upper(): spec.returns for name, spec in LINEAGE_FUNCTIONS.items()},
}


def translate(
    adql: str,
    dialect: str,
    catalogue: Catalogue,
    maxrec: int | None = None,
) -> Translation:
    """Translate one ADQL query for ``dialect`` ("sqlite" or "postgres").

    Raises :class:`AdqlError` for syntax errors, refused constructs and unknown names.
    ``maxrec`` caps the rows: the SQL fetches at most ``maxrec + 1`` so the caller can
    flag an overflow with :meth:`Translation.overflowed` and return ``maxrec`` rows.
    """
    if dialect not in BACKENDS:
        raise ValueError(f"dialect must be one of {BACKENDS}, not {dialect!r}")
    if maxrec is not None and maxrec < 0:
        raise AdqlError(f"MAXREC must be a non-negative integer, not {maxrec}")
    checked = check(adql, catalogue)
    tree = _qualify(checked.tree, catalogue)
    columns = _describe_columns(tree, catalogue)
    limit = _apply_limit(tree, maxrec)
    tree = _lower(tree, dialect, catalogue)
    try:
        sql = tree.sql(dialect=dialect, identify=True, comments=False, unsupported_level=ErrorLevel.RAISE, copy=False)
    except SqlglotError as error:
        raise AdqlError(f"cannot express this query in {dialect}: {str(error).splitlines()[0]}") from error
    return Translation(
        sql=sql,
        dialect=dialect,
        columns=columns,
        limit=limit,
        maxrec=maxrec,
        tables=checked.tables,
        functions=checked.functions,
    )


def _alias_computed_columns(tree: exp.Expression) -> None:
    """Give every computed select item an alias before qualify (it trips over unaliased subqueries)."""
    for select in tree.find_all(exp.Select):
        for position, projection in enumerate(select.expressions):
            if not isinstance(projection, (exp.Alias, exp.Column, exp.Star)):
                projection.replace(exp.alias_(projection.copy(), f"_col_{position}"))


def _qualify(tree: exp.Expression, catalogue: Catalogue) -> exp.Expression:
    _alias_computed_columns(tree)
    try:
        return qualify(
            tree,
            schema=catalogue.sqlglot_schema(),
            dialect=ADQL,
            quote_identifiers=False,
            validate_qualify_columns=True,
            identify=False,
        )
    except OptimizeError as error:
        message = str(error).splitlines()[0]
        line = column = None
        if ". Line: " in message:
            message, _, where = message.partition(". Line: ")
            line_text, _, col_text = where.partition(", Col: ")
            line = int(line_text) if line_text.isdigit() else None
            column = int(col_text.split()[0]) if col_text.split() and col_text.split()[0].isdigit() else None
        message = message.replace("could not be resolved", "is unknown or ambiguous here")
        raise AdqlError(message, line=line, column=column) from error
    except (SqlglotError, AssertionError, ValueError, KeyError, IndexError) as error:
        # sqlglot's optimizer asserts on some shapes it cannot resolve; report, never crash.
        raise AdqlError(
            f"this query could not be resolved: {str(error).splitlines()[0] if str(error) else 'unsupported shape'}"
        ) from error


def _first_select(tree: exp.Expression) -> exp.Select:
    """The SELECT whose column names a query returns (the leftmost branch of set operations)."""
    node = tree
    while isinstance(node, (exp.SetOperation, exp.Subquery)):
        node = node.this
    if not isinstance(node, exp.Select):
        raise AdqlError("this query shape is not supported: no SELECT gives the result columns")
    return node


def _default_name(expression: exp.Expression, position: int) -> str:
    if isinstance(expression, exp.Column):
        return expression.name
    if isinstance(expression, exp.Anonymous):
        return expression.name.lower()
    if isinstance(expression, exp.Func):
        return expression.sql_name().lower()
    return f"col{position + 1}"


def _describe_columns(tree: exp.Expression, catalogue: Catalogue) -> list[ResultColumn]:
    """Name the result columns (unique, stable across backends) and find their types and sources."""
    # Types only describe results; an unannotated tree still runs.
    with contextlib.suppress(SqlglotError):
        annotate_types(tree, schema=catalogue.sqlglot_schema())
    root = build_scope(tree)
    select = _first_select(tree)
    select_scope = _scope_of(root, select)
    names_seen: set[str] = set()
    columns: list[ResultColumn] = []
    for position, projection in enumerate(select.expressions):
        inner = projection.this if isinstance(projection, exp.Alias) else projection
        name = projection.alias_or_name
        if not name or name.startswith("_col_"):
            name = _default_name(inner, position)
        unique, suffix = name, 2
        while unique in names_seen:
            unique, suffix = f"{name}_{suffix}", suffix + 1
        names_seen.add(unique)
        if isinstance(projection, exp.Alias):
            projection.set("alias", exp.to_identifier(unique))
        else:
            projection.replace(exp.alias_(projection.copy(), unique))
        table, column = _source_of(inner, select_scope)
        datatype, arraysize, xtype = _votable_type(inner)
        columns.append(ResultColumn(unique, datatype, arraysize, xtype, table, column))
    return columns


def _scope_of(root: Scope | None, select: exp.Select) -> Scope | None:
    if root is None:
        return None
    for scope in root.traverse():
        if scope.expression is select:
            return scope
    return None


def _source_of(expression: exp.Expression, scope: Scope | None, depth: int = 0) -> tuple[str | None, str | None]:
    """The published (table, column) a projection copies unchanged, through subqueries and CTEs."""
    if scope is None or not isinstance(expression, exp.Column) or depth > 20:
        return None, None
    source = scope.sources.get(expression.table)
    if isinstance(source, exp.Table):
        return f"{source.db}.{source.name}", expression.name
    if isinstance(source, Scope) and isinstance(source.expression, exp.Select):
        for projection in source.expression.expressions:
            if projection.alias_or_name == expression.name:
                inner = projection.this if isinstance(projection, exp.Alias) else projection
                return _source_of(inner, source, depth + 1)
    return None, None


def _votable_type(expression: exp.Expression) -> tuple[str | None, str | None, str | None]:
    if isinstance(expression, exp.Anonymous):
        kind = exp.DataType.build(_FUNCTION_TYPES.get(expression.name.upper(), "UNKNOWN")).this
    else:
        data_type = expression.type
        kind = data_type.this if isinstance(data_type, exp.DataType) else exp.DataType.Type.UNKNOWN
    return _VOTABLE_TYPES.get(kind, (None, None, None))


def _apply_limit(tree: exp.Expression, maxrec: int | None) -> int | None:
    """Merge TOP and MAXREC into the outermost LIMIT; returns the LIMIT now in the tree."""
    existing = tree.args.get("limit")
    top = int(existing.expression.this) if isinstance(existing, exp.Limit) else None
    if maxrec is None:
        return top
    limit = maxrec + 1 if top is None else min(top, maxrec + 1)
    tree.set("limit", exp.Limit(expression=exp.Literal.number(limit)))
    return limit


def _lower(tree: exp.Expression, backend: str, catalogue: Catalogue) -> exp.Expression:
    """Rewrite ADQL functions and lineage UDFs into backend SQL (innermost calls first)."""

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Anonymous):
            name = node.name
            if name.upper() in ADQL_FUNCTIONS:
                return lower_function(node, backend)
            if name.lower() in LINEAGE_FUNCTIONS:
                return expand_lineage_function(node, backend, catalogue)
        return node

    lowered = tree.transform(rewrite, copy=False)
    if backend == "sqlite":
        _unparenthesize_set_members(lowered)
        _canonical_time_literals(lowered)
    # "udf(...) = 1" in a condition becomes the bare IN test, which planners turn into a semi-join.
    for eq in list(lowered.find_all(exp.EQ)):
        left, right = eq.this, eq.expression
        for candidate, other in ((left, right), (right, left)):
            if isinstance(other, exp.Literal) and not other.is_string and other.this == "1":
                predicate = membership_predicate(candidate)
                if predicate is not None and _is_lineage_walk(predicate):
                    eq.replace(predicate)
                    break
    return lowered


_TIME_TYPES = {exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPTZ, exp.DataType.Type.DATETIME}


def _canonical_time(text: str) -> str | None:
    """A time literal in the store's SQLite form: UTC, ISO 8601, microseconds, ``+00:00``."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    value = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    return value.isoformat(timespec="microseconds")


def _is_time_column(node: exp.Expression | None) -> bool:
    return isinstance(node, exp.Column) and node.type is not None and node.type.this in _TIME_TYPES


def _canonical_time_literals(tree: exp.Expression) -> None:
    """On SQLite, compare time columns with literals written the way the store writes times.

    SQLite keeps times as ISO text (``2024-01-01T00:00:00.000000+00:00``, see
    ``store/schema.py``) and compares text, so ``start_time < '2024-01-01 12:00'`` would
    compare 'T' with ' '. PostgreSQL compares instants; rewriting the literal to the
    stored form (UTC when no zone is given, as DALI says) gives the same rows.
    """
    for node in tree.find_all(exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Between):
        keys = ("this", "low", "high") if isinstance(node, exp.Between) else ("this", "expression")
        operands = [node.args.get(key) for key in keys]
        if not any(
            isinstance(op, exp.Column) and op.type is not None and op.type.this in _TIME_TYPES for op in operands
        ):
            continue
        for key, operand in zip(keys, operands):
            if isinstance(operand, exp.Literal) and operand.is_string:
                canonical = _canonical_time(operand.this)
                if canonical is not None:
                    node.set(key, exp.Literal.string(canonical))


def _unparenthesize_set_members(tree: exp.Expression) -> None:
    """SQLite refuses ``(SELECT …) UNION (SELECT …)``: drop the parentheses of a plain SELECT
    (sqlglot re-wraps one that has a LIMIT) and read a nested set operation from a subquery."""
    for operation in list(tree.find_all(exp.SetOperation)):
        for side in ("this", "expression"):
            member = operation.args.get(side)
            if not isinstance(member, exp.Subquery) or member.args.get("alias"):
                continue
            inner = member.this
            if isinstance(inner, exp.Select):
                member.replace(inner)
            else:
                member.replace(exp.select("*").from_(member.copy()))


def _is_lineage_walk(predicate: exp.In) -> bool:
    query = predicate.args.get("query")
    subject = query.this if isinstance(query, exp.Subquery) else query
    with_ = subject.args.get("with_") if isinstance(subject, exp.Expression) else None
    return bool(with_ and any(cte.alias == "pa_walk" for cte in with_.expressions))
