"""Lineage functions for ADQL: recursion that ADQL lacks, offered as site-prefixed UDFs.

ADQL has no ``WITH RECURSIVE`` and user functions may only appear where a value may, so
"is X upstream of Y" is a scalar function usable in WHERE (``pa_is_ancestor(x, y) = 1``).
Each call is *translated* into SQL that SQLite and PostgreSQL both run: an ``IN`` test
against a ``WITH RECURSIVE`` walk over the lineage edges (used ∪ wasGeneratedBy ∪
wasDerivedFrom ∪ wasInformedBy, see :mod:`.catalogue`), read from the archive's derived
``lineage_edge`` table when it is published. Nothing runs in Python, so the
database plans the walk with its indexes and the statement timeout bounds it.

The walk starts from whichever argument does not depend on the row (a literal id or an
uncorrelated expression), so ``WHERE pa_is_ancestor(e.id, 'product') = 1`` computes the
ancestors of ``product`` once and probes them per row. Depth counts relations: raw file →
(used) → calibrate activity → (wasGeneratedBy) → calibrated file is depth 2.

Cycles terminate: the depth-free walk is a ``UNION`` over node ids (no new row, no new
round), the depth-bounded one stops at ``min(max_depth, catalogue.max_lineage_depth)``.

The ``pa_`` prefix follows the IVOA convention for site-specific functions (``ivo_`` is
reserved for IVOA-standard ones). :data:`LINEAGE_FUNCTIONS` is the published list, with
TAPRegExt ``features-udf`` forms and descriptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sqlglot
from sqlglot import exp

from .catalogue import DEFAULT_LINEAGE_EDGES, Catalogue, LineageEdge
from .errors import AdqlError

__all__ = ["LineageFunction", "LINEAGE_FUNCTIONS", "UDF_PREFIX", "expand_lineage_function", "udf_features"]

#: Site prefix of our ADQL functions; identifiers using it are reserved for the expansion.
UDF_PREFIX = "pa_"

#: Tag of the features-udf type in TAPRegExt capabilities.
UDF_FEATURE_TYPE = "ivo://ivoa.net/std/TAPRegExt#features-udf"


@dataclass(frozen=True)
class LineageFunction:
    """One published UDF: its name, TAPRegExt forms (one per arity) and what it answers."""

    name: str
    forms: tuple[str, ...]
    description: str
    returns: str
    #: "back": walk from the second argument towards its ancestors; "forth": mirror.
    direction: str
    #: "member": 1 or 0; "depth": smallest number of relations, NULL when unrelated.
    result: str
    min_args: int = 2
    max_args: int = 3


LINEAGE_FUNCTIONS: dict[str, LineageFunction] = {
    f.name: f
    for f in (
        LineageFunction(
            name="pa_is_ancestor",
            forms=(
                "pa_is_ancestor(ancestor_id VARCHAR, descendant_id VARCHAR) -> INTEGER",
                "pa_is_ancestor(ancestor_id VARCHAR, descendant_id VARCHAR, max_depth INTEGER) -> INTEGER",
            ),
            description=(
                "1 if ancestor_id (an entity or activity) is upstream of descendant_id in the provenance graph "
                "(used, wasGeneratedBy, wasDerivedFrom, wasInformedBy), within max_depth relations when given, "
                "else 0. Use in WHERE: pa_is_ancestor(e.id, 'my-product') = 1 lists what my-product was made from."
            ),
            returns="INTEGER",
            direction="back",
            result="member",
        ),
        LineageFunction(
            name="pa_is_descendant",
            forms=(
                "pa_is_descendant(descendant_id VARCHAR, ancestor_id VARCHAR) -> INTEGER",
                "pa_is_descendant(descendant_id VARCHAR, ancestor_id VARCHAR, max_depth INTEGER) -> INTEGER",
            ),
            description=(
                "1 if descendant_id is downstream of ancestor_id (it used it, directly or not), within max_depth "
                "relations when given, else 0. pa_is_descendant(e.id, 'bad-file') = 1 lists what bad-file "
                "contaminated."
            ),
            returns="INTEGER",
            direction="forth",
            result="member",
        ),
        LineageFunction(
            name="pa_lineage_depth",
            forms=(
                "pa_lineage_depth(ancestor_id VARCHAR, descendant_id VARCHAR) -> INTEGER",
                "pa_lineage_depth(ancestor_id VARCHAR, descendant_id VARCHAR, max_depth INTEGER) -> INTEGER",
            ),
            description=(
                "The smallest number of relations from descendant_id back to ancestor_id (raw file -> activity "
                "-> product is 2), NULL if ancestor_id is not upstream within max_depth (default: the service's "
                "depth cap)."
            ),
            returns="INTEGER",
            direction="back",
            result="depth",
        ),
    )
}


def udf_features() -> list[dict[str, str]]:
    """The TAPRegExt ``languageFeatures type=features-udf`` entries: ``form`` and ``description``."""
    return [
        {"type": UDF_FEATURE_TYPE, "form": form, "description": function.description}
        for function in LINEAGE_FUNCTIONS.values()
        for form in function.forms
    ]


def _is_row_independent(node: exp.Expression) -> bool:
    """True when the expression does not read any column of the current row (a literal, say)."""
    return node.find(exp.Column) is None


def _depth_limit(argument: exp.Expression | None, cap: int) -> exp.Expression:
    """``min(argument, cap)`` as SQL, folded when the argument is an integer literal."""
    if argument is None:
        return exp.Literal.number(cap)
    if isinstance(argument, exp.Literal) and not argument.is_string:
        try:
            value = int(argument.this)
        except ValueError as error:
            raise AdqlError(f"max_depth must be an integer, not {argument.this}") from error
        return exp.Literal.number(max(0, min(value, cap)))
    if isinstance(argument, exp.Neg) and isinstance(argument.this, exp.Literal):
        return exp.Literal.number(0)
    too_deep = exp.GT(this=argument.copy(), expression=exp.Literal.number(cap))
    return exp.Case(ifs=[exp.If(this=too_deep, true=exp.Literal.number(cap))], default=argument.copy())


def _quoted_table(name: str) -> str:
    schema, table = name.split(".", 1)
    return f'"{schema}"."{table}"'


def _step_columns(edge: LineageEdge, direction: str) -> tuple[str, str]:
    """(column matched against the walk's current node, column giving the next node)."""
    return (edge.child, edge.parent) if direction == "back" else (edge.parent, edge.child)


def _walk_sql(edges: tuple[LineageEdge, ...], direction: str, backend: str, with_depth: bool) -> str:
    """A ``WITH RECURSIVE pa_walk`` over the edges, seeded from ``:start``, bounded by ``:depth``.

    SQLite plans one recursive SELECT per edge table (each uses that table's index);
    PostgreSQL allows a single recursive reference, so it joins a UNION ALL of the edge
    tables, which its planner flattens into per-table index scans.
    """
    cols = "pa_walk(node, depth)" if with_depth else "pa_walk(node)"
    depth_next = ", pa_w.depth + 1" if with_depth else ""
    depth_seed = ", 1" if with_depth else ""
    depth_guard = " WHERE pa_w.depth < :depth" if with_depth else ""
    if backend == "sqlite":
        seeds, steps = [], []
        for i, edge in enumerate(edges):
            match, nxt = _step_columns(edge, direction)
            table = _quoted_table(edge.table)
            seeds.append(f'SELECT pa_e{i}."{nxt}"{depth_seed} FROM {table} AS pa_e{i} WHERE pa_e{i}."{match}" = :start')
            steps.append(
                f'SELECT pa_e{i}."{nxt}"{depth_next} FROM pa_walk AS pa_w JOIN {table} AS pa_e{i} '
                f'ON pa_e{i}."{match}" = pa_w.node{depth_guard}'
            )
        body = " UNION ".join(seeds + steps)
    else:
        parts = []
        for edge in edges:
            match, nxt = _step_columns(edge, direction)
            parts.append(f'SELECT "{match}" AS pa_from, "{nxt}" AS pa_to FROM {_quoted_table(edge.table)}')
        union = " UNION ALL ".join(parts)
        body = (
            f"SELECT pa_s.pa_to{depth_seed} FROM ({union}) AS pa_s WHERE pa_s.pa_from = :start UNION "
            f"SELECT pa_e.pa_to{depth_next} FROM pa_walk AS pa_w JOIN ({union}) AS pa_e "
            f"ON pa_e.pa_from = pa_w.node{depth_guard}"
        )
    if with_depth:
        body = body.replace(":depth", "(:depth)")
    return f"WITH RECURSIVE {cols} AS ({body})"


@lru_cache(maxsize=64)
def _template(
    edges: tuple[LineageEdge, ...], direction: str, backend: str, with_depth: bool, result: str
) -> exp.Expression:
    """The parsed expansion with ``:start``, ``:probe`` and ``:depth`` placeholders (parsed once)."""
    walk = _walk_sql(edges, direction, backend, with_depth)
    if result == "member":
        sql = f"SELECT CASE WHEN :probe IN ({walk} SELECT pa_walk.node FROM pa_walk) THEN 1 ELSE 0 END"
    else:
        sql = f"SELECT ({walk} SELECT MIN(pa_walk.depth) FROM pa_walk WHERE pa_walk.node = :probe)"
    select = sqlglot.parse_one(sql, read=backend)
    assert isinstance(select, exp.Select)
    first = select.selects[0]
    assert isinstance(first, exp.Expression)
    return first


#: The archive's derived lineage graph: the default edges' rows, one (child, parent) each.
LINEAGE_EDGE_TABLE = LineageEdge("provenance.lineage_edge", child="child", parent="parent")


def _walked_edges(catalogue: Catalogue) -> tuple[LineageEdge, ...]:
    """The tables the walk reads: ``lineage_edge`` when it stands for the published edges.

    The archive keeps ``provenance.lineage_edge`` equal to the union of the default edge
    tables (store/ingest.py maintains it in each ingest's transaction), so when all of
    those and it are published, one table with a covering index each way replaces four
    probes per step. Any other set of edges is walked table by table, as declared.
    """
    edges = catalogue.lineage_tables()
    shortcut = LINEAGE_EDGE_TABLE.table
    if set(edges) == set(DEFAULT_LINEAGE_EDGES) and catalogue.has_table(shortcut):
        columns = catalogue.columns(shortcut)
        if LINEAGE_EDGE_TABLE.child in columns and LINEAGE_EDGE_TABLE.parent in columns:
            return (LINEAGE_EDGE_TABLE,)
    return edges


def expand_lineage_function(call: exp.Anonymous, backend: str, catalogue: Catalogue) -> exp.Expression:
    """The SQL expression (for ``backend``) that computes one lineage UDF call."""
    name = call.name.lower()
    function = LINEAGE_FUNCTIONS[name]
    args = list(call.expressions)
    if not function.min_args <= len(args) <= function.max_args:
        raise AdqlError(f"{name} takes {function.min_args} or {function.max_args} arguments, not {len(args)}")
    edges = _walked_edges(catalogue)
    if not edges:
        raise AdqlError(f"{name} is not available: no lineage tables are published")
    # Normalise to (upstream, downstream) ids: pa_is_descendant(d, a) means a is upstream of d.
    upstream, downstream = (args[1], args[0]) if function.direction == "forth" else (args[0], args[1])
    max_depth = args[2] if len(args) == 3 else None
    with_depth = max_depth is not None or function.result == "depth"
    depth = _depth_limit(max_depth, catalogue.max_lineage_depth)

    if function.result == "member" and _is_row_independent(upstream) and not _is_row_independent(downstream):
        # Start from the fixed upstream node, walk forward, test the row's node.
        start, probe, walk_direction = upstream, downstream, "forth"
    else:
        start, probe, walk_direction = downstream, upstream, "back"

    template = _template(edges, walk_direction, backend, with_depth, function.result).copy()
    values = {"start": start, "probe": probe, "depth": depth}

    def substitute(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and node.name in values:
            return values[node.name].copy()
        return node

    return template.transform(substitute, copy=False)


def membership_predicate(expanded: exp.Expression) -> exp.In | None:
    """``x IN (walk)`` out of ``CASE WHEN x IN (walk) THEN 1 ELSE 0 END``, for ``udf(...) = 1``.

    A bare IN lets both planners use a semi-join instead of evaluating a CASE per row.
    """
    if isinstance(expanded, exp.Case) and len(expanded.args.get("ifs") or []) == 1:
        condition = expanded.args["ifs"][0].this
        if isinstance(condition, exp.In):
            return condition
    return None
