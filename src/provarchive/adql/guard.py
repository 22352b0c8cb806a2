"""The strict front door: every ADQL query is parsed once here and checked before any SQL exists.

sqlglot is lenient (it accepts ``SELECT FROM nothing``, ``DELETE``, PRAGMA, placeholders
and any function name), so the guard does not ask "is this dangerous?" but "is every
node of the tree one that ADQL allows?". It refuses, with the position when known:

- anything but exactly one SELECT (``WITH … SELECT`` and UNION/EXCEPT/INTERSECT included),
  so writes, DDL, PRAGMA, ATTACH, COPY, DO and a second statement after ``;`` never pass;
- ``WITH RECURSIVE`` (not ADQL; the lineage functions offer recursion instead);
- any tree node outside an allow-list of ADQL constructs (placeholders, window functions,
  LATERAL, INTO, FOR UPDATE, hex strings, …);
- any function that is not ADQL's own, an aggregate, CAST/COALESCE, or one of our UDFs
  (``pg_sleep``, ``load_extension``, ``randomblob``, ``sqlite_version`` …); geometry
  functions get their own message;
- any table outside the catalogue, resolved scope by scope so a CTE cannot lend its name
  to an internal table elsewhere in the query; system catalogues get their own message;
- block comments ``/* */`` (not ADQL), delimited identifiers holding quotes or control
  characters, identifiers using the reserved ``pa_`` prefix, NUL characters in strings.

``--`` comments are ADQL and are accepted, then dropped from the tree, so no comment text
ever reaches the generated SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError, TokenError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.optimizer.scope import Scope, traverse_scope
from sqlglot.tokens import TokenType

from .catalogue import Catalogue
from .dialect import ADQL, ADQL_FUNCTIONS, GEOMETRY_FUNCTIONS
from .errors import AdqlError
from .udf import LINEAGE_FUNCTIONS, UDF_PREFIX

__all__ = ["CheckedQuery", "check", "parse"]

#: Tree nodes an ADQL SELECT may contain (besides the whitelisted functions).
_ALLOWED_NODES: tuple[type[exp.Expression], ...] = (
    exp.Select,
    exp.Union,
    exp.Except,
    exp.Intersect,
    exp.With,
    exp.CTE,
    exp.Subquery,
    exp.From,
    exp.Join,
    exp.Where,
    exp.Group,
    exp.Having,
    exp.Order,
    exp.Ordered,
    exp.Limit,
    exp.Offset,
    exp.Distinct,
    exp.Table,
    exp.TableAlias,
    exp.Alias,
    exp.Column,
    exp.Identifier,
    exp.Star,
    exp.Literal,
    exp.Null,
    exp.Boolean,
    exp.Paren,
    exp.Neg,
    exp.Not,
    exp.And,
    exp.Or,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.DPipe,
    exp.Like,
    exp.ILike,
    exp.Escape,
    exp.In,
    exp.Between,
    exp.Is,
    exp.Case,
    exp.If,
    exp.Exists,
    exp.Cast,
    exp.DataType,
    exp.DataTypeParam,
    exp.BitwiseAnd,
    exp.BitwiseOr,
    exp.BitwiseNot,
    exp.Count,
    exp.Sum,
    exp.Avg,
    exp.Min,
    exp.Max,
    exp.Coalesce,
    exp.Anonymous,
)

_QUERY_ARGS = {"distinct", "where", "group", "having", "order", "limit", "offset", "with_"}
#: Exact types: a subclass (TRY_CAST under CAST, say) is a different construct and is refused.
_ALLOWED_NODE_TYPES = frozenset(_ALLOWED_NODES)

#: Arguments ADQL has, per node type; any other one set (INTO, locks, windows, hints,
#: LATERAL, table samples…) is refused.
_ALLOWED_ARGS: dict[type[exp.Expression], set[str]] = {
    exp.Select: _QUERY_ARGS | {"expressions", "from_", "joins"},
    exp.Union: _QUERY_ARGS | {"this", "expression"},
    exp.Except: _QUERY_ARGS | {"this", "expression"},
    exp.Intersect: _QUERY_ARGS | {"this", "expression"},
    exp.Table: {"this", "alias", "db", "catalog"},
    exp.Join: {"this", "on", "side", "kind", "using", "method"},
    exp.Star: set(),
    exp.Column: {"this", "table", "db", "catalog"},
    exp.CTE: {"this", "alias"},
    exp.With: {"expressions", "recursive"},
    exp.Subquery: {"this", "alias"},
    exp.Cast: {"this", "to"},
    exp.In: {"this", "expressions", "query"},
    exp.Ordered: {"this", "desc", "nulls_first"},
    exp.Limit: {"expression"},
    exp.Offset: {"expression"},
    exp.Group: {"expressions"},
    exp.Order: {"expressions"},
    exp.Between: {"this", "low", "high"},
    exp.Identifier: {"this", "quoted"},
    exp.DataType: {"this", "expressions", "nested"},
    exp.Exists: {"this"},
    exp.Max: {"this"},
    exp.Min: {"this"},
    exp.Count: {"this", "big_int"},
    exp.Coalesce: {"this", "expressions"},
}

_CAST_TYPES = {
    exp.DataType.Type.INT,
    exp.DataType.Type.SMALLINT,
    exp.DataType.Type.BIGINT,
    exp.DataType.Type.FLOAT,
    exp.DataType.Type.DOUBLE,
    exp.DataType.Type.CHAR,
    exp.DataType.Type.VARCHAR,
    exp.DataType.Type.TIMESTAMP,
}

_HEX_LITERAL = re.compile(r"0[xX][0-9A-Fa-f]+")
_REGULAR_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_SYSTEM_PREFIXES = ("sqlite_", "pg_", "pragma_")
_SYSTEM_SCHEMAS = {"information_schema", "pg_catalog", "pg_toast", "sqlite_temp_master"}


@dataclass(frozen=True)
class CheckedQuery:
    """A query that passed the guard: its tree (identifiers folded, tables fully qualified)."""

    tree: exp.Expression
    tables: tuple[str, ...]
    functions: tuple[str, ...]


def _position(node: exp.Expression | None) -> tuple[int | None, int | None]:
    """Line and column of a node, from the nearest identifier or call that carries them."""
    if node is None:
        return None, None
    candidates = [node, *node.walk()] if isinstance(node, exp.Expression) else []
    for candidate in candidates:
        meta = getattr(candidate, "_meta", None) or {}
        if "line" in meta and "col" in meta:
            start_col = meta["col"] - (meta["end"] - meta["start"])
            return meta["line"], max(1, start_col)
    return None, None


def _refuse(message: str, node: exp.Expression | None = None) -> AdqlError:
    line, column = _position(node)
    return AdqlError(message, line=line, column=column)


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def _check_text(text: str) -> str:
    """Checks on the raw text that the tree can no longer see; returns the text to parse.

    Refuses NUL bytes, ``/* */`` comments and LIMIT; rewrites ADQL 2.1 hexadecimal
    literals (``0xFF``) to decimal, which both backends read; refuses a number running
    into letters (``12abc``), which sqlglot would silently read as ``12 AS abc``.
    """
    if not text.strip():
        raise AdqlError("the query is empty")
    if "\x00" in text:
        line, column = _line_column(text, text.index("\x00"))
        raise AdqlError("NUL characters are not allowed in a query", line=line, column=column)
    try:
        tokens = ADQL().tokenize(text)
    except TokenError as error:
        raise _token_error(text, error) from error
    hex_literals: list[tuple[int, int, str]] = []
    # Text between tokens is whitespace or comments; ADQL knows only "--" comments.
    previous_end, previous = 0, None
    for token in [*tokens, None]:
        start = token.start if token is not None else len(text)
        gap = text[previous_end:start]
        if "/*" in gap:
            line, column = _line_column(text, previous_end + gap.index("/*"))
            raise AdqlError("block comments /* */ are not ADQL; use -- comments", line=line, column=column)
        if token is None:
            break
        if token.token_type == TokenType.LIMIT:
            line, column = _line_column(text, token.start)
            raise AdqlError("LIMIT is not ADQL; use SELECT TOP n", line=line, column=column)
        glued_to_number = previous is not None and previous.token_type == TokenType.NUMBER and not gap
        if glued_to_number and token.token_type in (TokenType.VAR, TokenType.IDENTIFIER):
            assert previous is not None
            spelled = text[previous.start : token.end + 1]
            if _HEX_LITERAL.fullmatch(spelled):
                hex_literals.append((previous.start, token.end + 1, str(int(spelled, 16))))
            else:
                line, column = _line_column(text, previous.start)
                raise AdqlError(f"{spelled} is not a number", line=line, column=column)
        previous_end, previous = token.end + 1, token
    for start, end, decimal in reversed(hex_literals):
        text = text[:start] + decimal.ljust(end - start) + text[end:]
    return text


def _token_error(text: str, error: TokenError) -> AdqlError:
    """A tokenizer failure (unterminated string or identifier), placed where the text broke."""
    message = "ADQL syntax error: unterminated string or delimited identifier, or an unreadable character"
    snippet = str(error).partition("Error tokenizing '")[2].rpartition("'")[0]
    offset = text.find(snippet) + len(snippet) if snippet and snippet in text else None
    if offset is None:
        return AdqlError(message)
    line, column = _line_column(text, max(0, offset - 1))
    return AdqlError(message, line=line, column=column)


def parse(text: str) -> exp.Expression:
    """Parse ADQL text into exactly one statement tree, or raise :class:`AdqlError`."""
    text = _check_text(text)
    try:
        statements = [s for s in sqlglot.parse(text, read=ADQL) if isinstance(s, exp.Expression)]
    except ParseError as error:
        detail = error.errors[0] if error.errors else {}
        message = str(detail.get("description") or error).split("\n")[0]
        raise AdqlError(f"ADQL syntax error: {message}", line=detail.get("line"), column=detail.get("col")) from error
    except SqlglotError as error:
        raise AdqlError(f"ADQL syntax error: {str(error).splitlines()[0]}") from error
    if not statements:
        raise AdqlError("the query is empty")
    if len(statements) > 1:
        raise _refuse("only one statement is allowed; found a second statement after ';'", statements[1])
    tree = statements[0]
    if isinstance(tree, (exp.Select, exp.Union, exp.Except, exp.Intersect)):
        # ADQL queries start with SELECT, WITH or "(": sqlglot also accepts other dialects'
        # FROM-first syntax ("FROM t"), whose nested forms escape the per-scope table check.
        first = next(iter(sqlglot.tokenize(text, read=ADQL)), None)
        if first is not None and first.token_type not in (TokenType.SELECT, TokenType.WITH, TokenType.L_PAREN):
            raise AdqlError(
                f"this is not an ADQL query: a query starts with SELECT or WITH, not {first.text!r}",
                line=first.line,
                column=first.col,
            )
    # "(SELECT …)" as a whole query: the parentheses mean nothing.
    while isinstance(tree, exp.Subquery) and not any(value for key, value in tree.args.items() if key != "this"):
        tree = tree.this
    return tree


def _check_nodes(tree: exp.Expression) -> list[str]:
    """Allow-list every node; return the names of the UDFs the query calls."""
    if not isinstance(tree, (exp.Select, exp.Union, exp.Except, exp.Intersect)):
        if isinstance(tree, (exp.Command, exp.Pragma, exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop)) or (
            type(tree).__module__.endswith("ddl") or tree.key in ("copy", "merge", "alter", "attach", "detach", "use")
        ):
            raise _refuse(f"only SELECT queries are allowed; this is {tree.key.upper()}", tree)
        raise _refuse("this is not an ADQL query: a query starts with SELECT or WITH", tree)
    udfs: list[str] = []
    for node in tree.walk():
        if not isinstance(node, exp.Expression):
            continue
        node.comments = None
        if isinstance(node, exp.Anonymous):
            udfs.extend(_check_anonymous_function(node))
            continue
        if type(node) not in _ALLOWED_NODE_TYPES:
            raise _refuse(_describe_forbidden(node), node)
        _check_node_details(node)
    return udfs


def _describe_forbidden(node: exp.Expression) -> str:
    if isinstance(node, exp.Func):
        return f"function {node.sql_name()} is not an ADQL function and is not allowed"
    if isinstance(node, (exp.Placeholder, exp.Parameter)):
        return "parameters and placeholders are not allowed in ADQL"
    if isinstance(node, exp.Window):
        return "window functions (OVER) are not ADQL"
    if isinstance(node, exp.Command | exp.Pragma | exp.Insert | exp.Update | exp.Delete | exp.Create | exp.Drop):
        return f"only SELECT queries are allowed; found {node.key.upper()}"
    return f"{node.key.upper()} is not allowed in ADQL"


def _check_anonymous_function(node: exp.Anonymous) -> list[str]:
    name = node.name
    upper, lower = name.upper(), name.lower()
    if upper in GEOMETRY_FUNCTIONS:
        raise _refuse(f"geometry function {upper} is not supported: the provenance schema has no spatial columns", node)
    if upper in ADQL_FUNCTIONS:
        spec = ADQL_FUNCTIONS[upper]
        if not spec.min_args <= len(node.expressions) <= spec.max_args:
            expected = str(spec.min_args) if spec.min_args == spec.max_args else f"{spec.min_args} to {spec.max_args}"
            raise _refuse(f"{upper} takes {expected} argument(s), not {len(node.expressions)}", node)
        return []
    if lower in LINEAGE_FUNCTIONS:
        spec_udf = LINEAGE_FUNCTIONS[lower]
        if not spec_udf.min_args <= len(node.expressions) <= spec_udf.max_args:
            raise _refuse(
                f"{lower} takes {spec_udf.min_args} or {spec_udf.max_args} arguments, not {len(node.expressions)}",
                node,
            )
        return [lower]
    raise _refuse(
        f"function {name} is not allowed; use ADQL functions or the lineage functions {', '.join(LINEAGE_FUNCTIONS)}",
        node,
    )


def _check_node_details(node: exp.Expression) -> None:
    allowed = _ALLOWED_ARGS.get(type(node))
    if allowed is not None:
        extra = [key for key, value in node.args.items() if value and key not in allowed]
        if extra and isinstance(node, exp.AggFunc) and extra[0] == "expressions":
            raise _refuse(f"{node.sql_name()} takes one argument in ADQL", node)
        if extra:
            raise _refuse(f"{extra[0].rstrip('_').upper()} is not allowed in ADQL", node)
    if isinstance(node, exp.Select):
        if not node.expressions:
            raise _refuse("SELECT needs a select list (columns or *)", node)
        if not node.args.get("from_"):
            raise _refuse("SELECT needs a FROM clause in ADQL", node)
        distinct = node.args.get("distinct")
        if distinct is not None and distinct.args.get("on"):
            raise _refuse("DISTINCT ON is not ADQL", node)
    elif isinstance(node, exp.With):
        if node.args.get("recursive"):
            raise _refuse("WITH RECURSIVE is not ADQL; use the lineage functions " + ", ".join(LINEAGE_FUNCTIONS), node)
        for cte in node.expressions:
            if not isinstance(cte.this, (exp.Select, exp.Union, exp.Except, exp.Intersect)):
                raise _refuse("a WITH query must be a SELECT", cte)
    elif isinstance(node, exp.If) and not isinstance(node.parent, exp.Case):
        raise _refuse("IF() is not ADQL; use CASE WHEN … THEN … ELSE … END", node)
    elif isinstance(node, exp.Identifier):
        _check_identifier(node)
    elif isinstance(node, exp.Literal):
        if node.is_string and "\x00" in node.this:
            raise _refuse("NUL characters are not allowed in strings", node)
    elif isinstance(node, (exp.Limit, exp.Offset)):
        value = node.args.get("expression")
        if not (isinstance(value, exp.Literal) and not value.is_string and value.this.isdigit()):
            raise _refuse(f"{'TOP' if isinstance(node, exp.Limit) else 'OFFSET'} needs a non-negative integer", node)
    elif isinstance(node, exp.Cast):
        to = node.args.get("to")
        if not isinstance(to, exp.DataType) or to.this not in _CAST_TYPES:
            target = to.sql() if isinstance(to, exp.Expression) else "?"
            raise _refuse(
                f"CAST to {target} is not supported; use INTEGER, SMALLINT, BIGINT, REAL, DOUBLE PRECISION, "
                "CHAR(n), VARCHAR(n) or TIMESTAMP",
                node,
            )
    elif isinstance(node, exp.Table):
        _check_table_shape(node)
    elif isinstance(node, exp.TableAlias):
        if node.args.get("columns"):
            raise _refuse("column aliases on a table (AS t(a, b)) are not ADQL", node)
    elif isinstance(node, exp.Join):
        if node.args.get("method") and node.args["method"].upper() not in ("NATURAL",):
            raise _refuse(f"{node.args['method'].upper()} JOIN is not ADQL", node)
        if node.args.get("kind") and node.args["kind"].upper() not in ("INNER", "OUTER", "CROSS"):
            raise _refuse(f"{node.args['kind'].upper()} JOIN is not ADQL", node)
    elif isinstance(node, exp.Column) and node.args.get("catalog"):
        raise _refuse("column references have at most three parts (schema.table.column)", node)


def _check_identifier(node: exp.Identifier) -> None:
    name = node.this
    if not isinstance(name, str) or not name:
        raise _refuse("empty identifiers are not allowed", node)
    if any(ch == '"' or ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise _refuse("delimited identifiers may not contain quotes or control characters", node)
    if not node.quoted and not _REGULAR_IDENTIFIER.fullmatch(name):
        raise _refuse(f'{name} is not a regular ADQL identifier (letters, digits, _); quote it as "{name}"', node)
    parent = node.parent
    # Aliases name things inside the generated SQL, where pa_* names belong to the lineage expansion.
    if isinstance(parent, (exp.TableAlias, exp.Alias)) and name.lower().startswith(UDF_PREFIX):
        raise _refuse(f"names starting with {UDF_PREFIX} are reserved for the lineage functions", node)


def _check_table_shape(node: exp.Table) -> None:
    if not isinstance(node.this, exp.Identifier):
        raise _refuse("only table names may appear in FROM (no table functions)", node)
    if node.args.get("catalog"):
        raise _refuse(f"table names have at most two parts (schema.table): {node.sql()}", node)


def _is_system_name(schema: str | None, table: str) -> bool:
    low_schema, low_table = (schema or "").lower(), table.lower()
    return low_schema in _SYSTEM_SCHEMAS or any(name.startswith(_SYSTEM_PREFIXES) for name in (low_schema, low_table))


def _scopes(tree: exp.Expression) -> list[Scope]:
    try:
        return list(traverse_scope(tree))
    except SqlglotError as error:
        raise AdqlError(f"invalid query structure: {str(error).splitlines()[0]}") from error


def _resolve_tables(tree: exp.Expression, catalogue: Catalogue) -> list[str]:
    """Check every table against the catalogue scope by scope; qualify unqualified ones."""
    used: list[str] = []
    for scope in _scopes(tree):
        for table in scope.tables:
            schema, name = table.db or None, table.name
            if schema is None and name in scope.cte_sources:
                continue
            if schema is None:
                matches = catalogue.resolve_unqualified(name)
                if len(matches) == 1:
                    schema = matches[0].split(".", 1)[0]
                    table.set("db", exp.to_identifier(schema))
                elif len(matches) > 1:
                    raise _refuse(f"table {name} is ambiguous; write one of {', '.join(sorted(matches))}", table)
            full = f"{schema}.{name}" if schema else name
            if catalogue.has_table(full):
                used.append(full)
                continue
            if _is_system_name(schema, name):
                raise _refuse(f"system catalogue {full} is not queryable", table)
            quoted = any(getattr(part, "quoted", False) for part in table.parts)
            raise _refuse(
                f"table {full} is not published; queryable tables: {', '.join(sorted(catalogue.table_names))}"
                + (" (delimited identifiers are case-sensitive)" if quoted else ""),
                table,
            )
    # Every table node, scoped or not, must now be published or a CTE of the query: the
    # scope walk above is the check, this is the belt to its braces.
    cte_names = {cte.alias for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        full = f"{table.db}.{table.name}" if table.db else table.name
        if not (catalogue.has_table(full) or (not table.db and table.name in cte_names)):
            raise _refuse(f"table {full} is not published", table)
    # CTE definitions also may not reuse the reserved prefix (they name the expansion's walk).
    for cte in tree.find_all(exp.CTE):
        if cte.alias.lower().startswith(UDF_PREFIX):
            raise _refuse(f"names starting with {UDF_PREFIX} are reserved for the lineage functions", cte)
    return sorted(set(used))


def check(text: str, catalogue: Catalogue) -> CheckedQuery:
    """Parse and check one ADQL query; the returned tree is safe to translate."""
    tree = parse(text)
    udfs = _check_nodes(tree)
    tree = normalize_identifiers(tree, dialect=ADQL)
    tables = _resolve_tables(tree, catalogue)
    return CheckedQuery(tree=tree, tables=tuple(tables), functions=tuple(sorted(set(udfs))))
