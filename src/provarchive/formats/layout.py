"""A layered (Sugiyama-style) left-to-right graph layout in pure Python.

Provenance graphs are mostly directed and acyclic (inputs flow into activities, outputs
flow out of them), so the classic layered drawing reads well: every node sits in a
column, edges run from left to right, long edges bend around the columns they cross.
We draw it ourselves so that ``provarchive draw`` needs no Graphviz binary.

The steps, each a small function below:

1. **cycle removal**: edges closing a cycle (found by depth-first search) are reversed
   for the layout only, and remembered so that the drawing points them the right way;
2. **longest-path layering**: a node's column is one more than its furthest
   predecessor's; a source is then pulled right, next to its nearest successor, so that
   agents and parameters sit next to the activity they belong to;
3. **dummy nodes** split every edge spanning several columns into one hop per column;
4. **crossing reduction**: a depth-first initial order, then barycentric sweeps (down
   and up) keeping the order with the fewest crossings (counted exactly);
5. **coordinates**: columns are as wide as their widest node; within a column, nodes
   are placed as close as possible to the mean of their neighbours while keeping their
   order and spacing (isotonic regression, solved exactly by pool-adjacent-violators).

Nodes are integers ``0..n-1``; the caller keeps the mapping to its own objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["Layout", "Route", "layered_layout", "count_crossings", "column_of"]

Point = tuple[float, float]

#: Nodes with more neighbours than this (a software agent of every activity) are not
#: walked through when choosing the initial order.
HUB_DEGREE = 8


@dataclass
class Route:
    """How one input edge is drawn.

    ``points`` run from the left end to the right end of the edge: the first point is
    on the right side of the left node, then two points per column crossed (a straight
    lane), the last on the left side of the right node. ``reversed`` is true when the
    left end is the edge's *target* (the edge was reversed to break a cycle).
    ``loop`` is true for an edge from a node to itself (``points`` is then empty).
    """

    points: list[Point]
    reversed: bool = False
    loop: bool = False


@dataclass
class Layout:
    """Node centres, edge routes (one per input edge, same order) and the drawing size."""

    centres: list[Point]
    routes: list[Route]
    width: float
    height: float
    layers: list[int] = field(default_factory=list)
    crossings: int = 0


def layered_layout(
    sizes: Sequence[tuple[float, float]],
    edges: Sequence[tuple[int, int]],
    *,
    layer_gap: float = 110.0,
    node_gap: float = 16.0,
    lane_gap: float = 6.0,
    sweeps: int = 4,
    port_spread: float = 0.6,
) -> Layout:
    """Lay out ``len(sizes)`` nodes of the given (width, height) joined by ``edges``.

    ``layer_gap`` is the free space between columns (where edges bend and labels go),
    ``node_gap`` the vertical space between nodes of a column, ``lane_gap`` the space
    given to each long edge crossing a column.
    """
    n = len(sizes)
    flipped = _edges_to_reverse(n, edges)
    flow: list[tuple[int, int]] = []
    for index, (u, v) in enumerate(edges):
        flow.append((v, u) if index in flipped else (u, v))
    layer = _assign_layers(n, [(u, v) for u, v in flow if u != v])

    # split long edges: ``chains[i]`` is the list of graph vertices edge i passes through
    heights = [h for _w, h in sizes]
    vertex_layer = list(layer)
    up: list[list[int]] = [[] for _ in range(n)]
    down: list[list[int]] = [[] for _ in range(n)]
    chains: list[list[int]] = []
    for u, v in flow:
        if u == v:
            chains.append([u])
            continue
        chain = [u]
        previous = u
        for column in range(layer[u] + 1, layer[v]):
            dummy = len(vertex_layer)
            vertex_layer.append(column)
            heights.append(0.0)
            up.append([])
            down.append([])
            _link(up, down, previous, dummy)
            chain.append(dummy)
            previous = dummy
        _link(up, down, previous, v)
        chain.append(v)
        chains.append(chain)

    orders = _initial_order(vertex_layer, up, down)
    crossings = _reduce_crossings(orders, up, down, sweeps)
    ys = _vertical_positions(orders, up, down, heights, n, node_gap, lane_gap)

    # columns: as wide as their widest node
    column_count = len(orders)
    widths = [0.0] * column_count
    for node in range(n):
        widths[layer[node]] = max(widths[layer[node]], sizes[node][0])
    lefts: list[float] = []
    x = 0.0
    for width in widths:
        lefts.append(x)
        x += width + layer_gap
    total_width = max(0.0, x - layer_gap)
    centre_x = [lefts[c] + widths[c] / 2 for c in range(column_count)]

    centres = [(centre_x[layer[node]], ys[node]) for node in range(n)]
    routes: list[Route] = []
    for index, chain in enumerate(chains):
        if len(chain) == 1:
            routes.append(Route([], reversed=index in flipped, loop=True))
            continue
        first, last = chain[0], chain[-1]
        points: list[Point] = [(centres[first][0] + sizes[first][0] / 2, ys[first])]
        for dummy in chain[1:-1]:
            column = vertex_layer[dummy]
            points.append((lefts[column], ys[dummy]))
            points.append((lefts[column] + widths[column], ys[dummy]))
        points.append((centres[last][0] - sizes[last][0] / 2, ys[last]))
        routes.append(Route(points, reversed=index in flipped))

    _spread_ports(routes, chains, sizes, ys, port_spread)

    top = min((ys[v] - heights[v] / 2 for v in range(len(ys))), default=0.0)
    bottom = max((ys[v] + heights[v] / 2 for v in range(len(ys))), default=0.0)
    if top:
        centres = [(cx, cy - top) for cx, cy in centres]
        for route in routes:
            route.points = [(px, py - top) for px, py in route.points]
    return Layout(centres, routes, total_width, bottom - top, list(layer), crossings)


def _spread_ports(
    routes: list[Route], chains: list[list[int]], sizes: Sequence[tuple[float, float]], ys: list[float], spread: float
) -> None:
    """Move the end points of edges along the node sides, ordered by where they go."""
    sides: dict[tuple[int, int], list[tuple[float, int, int]]] = {}  # (node, side) -> (next y, route, end)
    for number, (route, chain) in enumerate(zip(routes, chains)):
        if route.loop:
            continue
        points = route.points
        sides.setdefault((chain[0], 1), []).append((points[1][1], number, 0))
        sides.setdefault((chain[-1], -1), []).append((points[-2][1], number, len(points) - 1))
    for (node, _side), ends in sides.items():
        if len(ends) < 2:
            continue
        ends.sort()
        span = sizes[node][1] * spread
        step = span / (len(ends) - 1)
        for rank, (_y, number, end) in enumerate(ends):
            x, _ = routes[number].points[end]
            routes[number].points[end] = (x, ys[node] - span / 2 + rank * step)


def column_of(n: int, edges: Sequence[tuple[int, int]]) -> list[int]:
    """The column each node would get from :func:`layered_layout` (steps 1 and 2 only)."""
    flipped = _edges_to_reverse(n, edges)
    flow = [(v, u) if index in flipped else (u, v) for index, (u, v) in enumerate(edges)]
    return _assign_layers(n, [(u, v) for u, v in flow if u != v])


def _link(up: list[list[int]], down: list[list[int]], a: int, b: int) -> None:
    down[a].append(b)
    up[b].append(a)


# ------------------------------------------------------------------ 1. cycle removal


def _edges_to_reverse(n: int, edges: Sequence[tuple[int, int]]) -> set[int]:
    """Indices of the edges that close a cycle (back edges of an iterative DFS)."""
    out: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for index, (u, v) in enumerate(edges):
        if u != v:
            out[u].append((v, index))
    state = [0] * n  # 0 new, 1 on the stack, 2 done
    back: set[int] = set()
    for root in range(n):
        if state[root]:
            continue
        state[root] = 1
        stack = [(root, 0)]
        while stack:
            node, next_child = stack[-1]
            if next_child < len(out[node]):
                stack[-1] = (node, next_child + 1)
                child, index = out[node][next_child]
                if state[child] == 1:
                    back.add(index)
                elif state[child] == 0:
                    state[child] = 1
                    stack.append((child, 0))
            else:
                state[node] = 2
                stack.pop()
    return back


# ------------------------------------------------------------------------ 2. layering


def _assign_layers(n: int, edges: Sequence[tuple[int, int]]) -> list[int]:
    """Longest-path layering, then sources moved next to their nearest successor."""
    succ: list[list[int]] = [[] for _ in range(n)]
    indegree = [0] * n
    for u, v in edges:
        succ[u].append(v)
        indegree[v] += 1
    layer = [0] * n
    order = [v for v in range(n) if indegree[v] == 0]
    remaining = list(indegree)
    head = 0
    while head < len(order):
        u = order[head]
        head += 1
        for v in succ[u]:
            if layer[u] + 1 > layer[v]:
                layer[v] = layer[u] + 1
            remaining[v] -= 1
            if remaining[v] == 0:
                order.append(v)
    for u in reversed(order):
        if indegree[u] == 0 and succ[u]:
            layer[u] = min(layer[v] for v in succ[u]) - 1
    return layer


# ---------------------------------------------------------------- 4. crossing reduction


def _initial_order(vertex_layer: list[int], up: list[list[int]], down: list[list[int]]) -> list[list[int]]:
    """Columns filled in depth-first order, so that connected nodes start close together."""
    # a hub as the root would still spread its whole neighbourhood: start from small nodes first
    roots = sorted(range(len(vertex_layer)), key=lambda v: (len(up[v]) + len(down[v]) > HUB_DEGREE, v))
    columns = max(vertex_layer, default=-1) + 1
    orders: list[list[int]] = [[] for _ in range(columns)]
    seen = [False] * len(vertex_layer)
    for root in roots:
        if seen[root]:
            continue
        seen[root] = True
        stack = [root]
        while stack:
            node = stack.pop()
            orders[vertex_layer[node]].append(node)
            around = down[node] + up[node]
            if len(around) > HUB_DEGREE and node != root:
                continue  # a hub is placed, not walked through: it would drag unrelated nodes along
            for neighbour in reversed(around):
                if not seen[neighbour]:
                    seen[neighbour] = True
                    stack.append(neighbour)
    return orders


def _reduce_crossings(orders: list[list[int]], up: list[list[int]], down: list[list[int]], sweeps: int) -> int:
    """Barycentric sweeps down and up the columns, keeping the best order found."""
    best = [list(o) for o in orders]
    best_count = _total_crossings(orders, down)
    for _ in range(sweeps):
        if best_count == 0:
            break
        for column in range(1, len(orders)):
            _sort_by_barycentre(orders[column], orders[column - 1], up)
        for column in range(len(orders) - 2, -1, -1):
            _sort_by_barycentre(orders[column], orders[column + 1], down)
        count = _total_crossings(orders, down)
        if count < best_count:
            best_count = count
            best = [list(o) for o in orders]
    orders[:] = best
    return best_count


def _sort_by_barycentre(order: list[int], fixed: list[int], neighbours: list[list[int]]) -> None:
    position = {node: i for i, node in enumerate(fixed)}
    keys: list[tuple[float, int, int]] = []
    for i, node in enumerate(order):
        around = neighbours[node]
        key = sum(position[x] for x in around) / len(around) if around else float(i)
        keys.append((key, i, node))
    keys.sort()
    order[:] = [node for _key, _i, node in keys]


def _total_crossings(orders: list[list[int]], down: list[list[int]]) -> int:
    return sum(count_crossings(orders[c], orders[c + 1], down) for c in range(len(orders) - 1))


def count_crossings(upper: list[int], lower: list[int], down: list[list[int]]) -> int:
    """Crossings between two adjacent columns: inversions counted with a Fenwick tree."""
    position = {node: i for i, node in enumerate(lower)}
    targets: list[int] = []
    for node in upper:
        targets.extend(sorted(position[v] for v in down[node] if v in position))
    size = len(lower)
    tree = [0] * (size + 1)
    crossings = 0
    for seen, target in enumerate(targets):
        # how many earlier edges end strictly below (after) this target
        i, not_after = target + 1, 0
        while i > 0:
            not_after += tree[i]
            i -= i & -i
        crossings += seen - not_after
        i = target + 1
        while i <= size:
            tree[i] += 1
            i += i & -i
    return crossings


# ------------------------------------------------------------------- 5. coordinates


def _vertical_positions(
    orders: list[list[int]],
    up: list[list[int]],
    down: list[list[int]],
    heights: list[float],
    real_nodes: int,
    node_gap: float,
    lane_gap: float,
) -> list[float]:
    """Centre y of every vertex: stacked, then pulled towards neighbours column by column."""
    ys = [0.0] * len(heights)
    for order in orders:
        y = 0.0
        for node in order:
            ys[node] = y + heights[node] / 2
            y += heights[node] + (node_gap if node < real_nodes else lane_gap)

    def separation(a: int, b: int) -> float:
        gap = node_gap if a < real_nodes and b < real_nodes else lane_gap
        return (heights[a] + heights[b]) / 2 + gap

    degree = [max(1, len(up[v]) + len(down[v])) for v in range(len(heights))]

    def relax(column: int, neighbours: list[list[int]] | None) -> None:
        order = orders[column]
        targets: list[float] = []
        weights: list[float] = []
        for node in order:
            around = neighbours[node] if neighbours is not None else up[node] + down[node]
            if around:
                # a hub (an agent of every activity, a calibration file used by many) pulls
                # each of its neighbours only a little: weight each neighbour by 1/degree
                pulls = [1.0 / degree[x] for x in around]
                targets.append(sum(ys[x] * w for x, w in zip(around, pulls)) / sum(pulls))
                # long-edge lanes pull hard so that long edges stay straight
                weights.append(sum(pulls) * (1.0 if node < real_nodes else 4.0))
            else:
                targets.append(ys[node])
                weights.append(0.1)
        placed = _place_in_order(targets, weights, [separation(a, b) for a, b in zip(order, order[1:])])
        for node, y in zip(order, placed):
            ys[node] = y

    for _ in range(3):
        for column in range(1, len(orders)):
            relax(column, up)
        for column in range(len(orders) - 2, -1, -1):
            relax(column, down)
    for column in range(len(orders)):
        relax(column, None)
    return ys


def _place_in_order(targets: list[float], weights: list[float], gaps: list[float]) -> list[float]:
    """Positions closest (weighted least squares) to ``targets`` with y[i+1] - y[i] >= gaps[i].

    Substituting z[i] = y[i] - offset[i] turns the spacing constraints into z being
    non-decreasing: an isotonic regression, solved by pool-adjacent-violators.
    """
    offsets = [0.0]
    for gap in gaps:
        offsets.append(offsets[-1] + gap)
    blocks: list[list[float]] = []  # [weighted sum, weight, count]
    for target, weight, offset in zip(targets, weights, offsets):
        blocks.append([(target - offset) * weight, weight, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]:
            total, weight_sum, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += weight_sum
            blocks[-1][2] += count
    placed: list[float] = []
    for total, weight_sum, count in blocks:
        value = total / weight_sum
        placed.extend([value] * int(count))
    return [z + offset for z, offset in zip(placed, offsets)]
