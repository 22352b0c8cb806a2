"""Drawing a :class:`~.graph.Graph` as SVG: shapes, smooth edges, labels, a legend.

The positions come from :func:`.layout.layered_layout`; this module only turns them
into SVG elements. Every text goes through one escaping function, node labels are
truncated with the full text in a ``<title>`` tooltip, and numbers are written with
one decimal so that the output is byte-for-byte deterministic.
"""

from __future__ import annotations

from dataclasses import replace

from .graph import (
    DASHED_RELATIONS,
    DEFAULT_EDGE_COLOUR,
    EDGE_COLOURS,
    MAX_TOOLTIP_LINES,
    NODE_STYLES,
    Graph,
    GraphEdge,
    GraphNode,
    NodeStyle,
    escape_xml,
    node_size,
    text_width,
    truncate,
)
from .layout import HUB_DEGREE, Layout, Point, column_of, layered_layout

__all__ = ["render_svg"]

MARGIN = 20.0
ARROW = 8.0
EDGE_FONT = 9.0
LEGEND_ROW = 26.0


def render_svg(graph: Graph, *, edge_labels: bool = True, legend: bool = True) -> bytes:
    """The SVG document (UTF-8 bytes) for ``graph``."""
    split = _split_hubs(graph, _columns(graph))
    graph = split or graph
    nodes = list(graph.nodes.values())
    index = {key: i for i, key in enumerate(graph.nodes)}
    sizes = [node_size(node) for node in nodes]
    # layout edges run from cause (PROV object) to effect (PROV subject): causes on the left
    flow = [(index[edge.target], index[edge.source]) for edge in graph.edges]
    layout = layered_layout(sizes, flow, layer_gap=150.0 if edge_labels else 70.0)

    legend_lines, legend_height, legend_width = _legend(graph, max(layout.width, 400.0)) if legend else ([], 0.0, 0.0)
    top = MARGIN + legend_height
    width = max(layout.width, legend_width) + 2 * MARGIN
    height = layout.height + top + MARGIN + 30.0  # room for loops and shifted labels

    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="Helvetica, Arial, sans-serif">',
        f"<title>provenance graph: {len(nodes)} nodes, {len(graph.edges)} edges</title>",
        f'<rect x="0" y="0" width="{width:.0f}" height="{height:.0f}" fill="#FFFFFF"/>',
    ]
    out.extend(legend_lines)
    out.append(f'<g transform="translate({MARGIN:.1f},{top:.1f})">')
    labels = _draw_edges(out, graph, layout, sizes, edge_labels)
    out.append('<g class="nodes">')
    for i, node in enumerate(nodes):
        _draw_node(out, i, node, layout.centres[i], sizes[i])
    out.append("</g>")
    out.extend(labels)
    out.append("</g>")
    out.append("</svg>")
    return ("\n".join(out) + "\n").encode("utf-8")


def _columns(graph: Graph) -> list[int]:
    index = {key: i for i, key in enumerate(graph.nodes)}
    return column_of(len(index), [(index[edge.target], index[edge.source]) for edge in graph.edges])


def _split_hubs(graph: Graph, layers: list[int]) -> Graph | None:
    """A copy of ``graph`` where each hub is drawn once per column it serves, or None.

    A hub is a node that only causes (a software agent associated with every activity,
    a calibration file used everywhere) with more than ``HUB_DEGREE`` edges reaching
    several columns. Drawn once, it sends dozens of long edges across the picture;
    drawn next to each column, its edges are short. Copies keep the record's id
    (``data-id``) and say in their tooltip that the node is shown several times.
    """
    index = {key: i for i, key in enumerate(graph.nodes)}
    subjects = {edge.source for edge in graph.edges}
    columns: dict[str, list[int]] = {}
    for edge in graph.edges:
        if edge.target not in subjects:
            columns.setdefault(edge.target, []).append(layers[index[edge.source]])
    hubs = {
        key: sorted(set(found)) for key, found in columns.items() if len(found) > HUB_DEGREE and len(set(found)) > 1
    }
    if not hubs:
        return None
    split = Graph()
    copy_key: dict[tuple[str, int], str] = {}
    for key, node in graph.nodes.items():
        if key not in hubs:
            split.nodes[key] = node
            continue
        for number, column in enumerate(hubs[key]):
            new_key = key if number == 0 else f"{key}#{number + 1}"
            copy_key[(key, column)] = new_key
            details = [*node.details, f"(drawn {len(hubs[key])} times, once per column it is used in)"]
            split.nodes[new_key] = replace(node, key=new_key, details=details, record=node.record or node.key)
    for edge in graph.edges:
        if edge.target in hubs:
            edge = replace(edge, target=copy_key[(edge.target, layers[index[edge.source]])])
        split.edges.append(edge)
    return split


# ------------------------------------------------------------------------- edges


def _draw_edges(
    out: list[str], graph: Graph, layout: Layout, sizes: list[tuple[float, float]], edge_labels: bool
) -> list[str]:
    """Append the edge paths and arrowheads; return the label elements (drawn last, on top)."""
    index = {key: i for i, key in enumerate(graph.nodes)}
    placed = _LabelSpace()
    labels = ['<g class="edge-labels" font-size="9" text-anchor="middle">']
    out.append('<g class="edges" fill="none">')
    repeated = _repeated_labels(graph)
    for edge, route in zip(graph.edges, layout.routes):
        stroke, label_colour = EDGE_COLOURS.get(edge.relation, DEFAULT_EDGE_COLOUR)
        dash = ' stroke-dasharray="4,3"' if edge.relation in DASHED_RELATIONS else ""
        title = escape_xml("\n".join([f"{edge.source} {edge.label} {edge.target}", *edge.details[1:MAX_TOOLTIP_LINES]]))
        if route.loop:
            cx, cy = layout.centres[index[edge.source]]
            top = cy - sizes[index[edge.source]][1] / 2
            path = (
                f"M{cx - 12:.1f},{top:.1f} C{cx - 30:.1f},{top - 34:.1f} "
                f"{cx + 30:.1f},{top - 34:.1f} {cx + 12:.1f},{top - ARROW:.1f}"
            )
            arrow = _arrowhead((cx + 12, top), (0.0, 1.0))
            anchor = (cx, top - 30)
        else:
            # the arrow points at the PROV object: the left end unless the edge was reversed
            points = _onto_shapes(route.points, graph, edge, route.reversed, layout, sizes, index)
            if route.reversed:
                tip = points[-1]
                points[-1] = (tip[0] - ARROW, tip[1])
                arrow = _arrowhead(tip, (1.0, 0.0))
            else:
                tip = points[0]
                points[0] = (tip[0] + ARROW, tip[1])
                arrow = _arrowhead(tip, (-1.0, 0.0))
            path = _smooth_path(points)
            anchor = _midpoint(points[0], points[1])
        out.append(
            f'<g class="edge" data-relation="{escape_xml(edge.relation)}"><title>{title}</title>'
            f'<path d="{path}" stroke="{stroke}" stroke-width="1.2"{dash}/>'
            f'<polygon points="{arrow}" fill="{stroke}" stroke="none"/></g>'
        )
        if edge_labels and (edge.target, edge.label) not in repeated:
            text = truncate(edge.label, 36)
            width = text_width(text, EDGE_FONT) + 4
            spot = placed.put(anchor, width, EDGE_FONT + 3)
            if spot is None:
                continue  # no free room near this edge: its tooltip still names it
            x, y = spot
            labels.append(
                f'<rect x="{x - width / 2:.1f}" y="{y - 6:.1f}" width="{width:.1f}" height="{EDGE_FONT + 2:.1f}" '
                f'fill="#FFFFFF" fill-opacity="0.8"/>'
                f'<text x="{x:.1f}" y="{y + 3:.1f}" fill="{label_colour}">{escape_xml(text)}</text>'
            )
    out.append("</g>")
    labels.append("</g>")
    return labels if edge_labels else []


def _repeated_labels(graph: Graph, limit: int = 3) -> set[tuple[str, str]]:
    """(node, label) pairs shared by more than ``limit`` edges pointing at one node.

    Sixty "wasAssociatedWith (Software)" labels around one software agent say nothing
    the legend and the colour do not; those edges stay unlabelled (their tooltip names them).
    """
    counts: dict[tuple[str, str], int] = {}
    for edge in graph.edges:
        key = (edge.target, edge.label)
        counts[key] = counts.get(key, 0) + 1
    return {key for key, count in counts.items() if count > limit}


def _onto_shapes(
    points: list[Point],
    graph: Graph,
    edge: GraphEdge,
    reversed_: bool,
    layout: Layout,
    sizes: list[tuple[float, float]],
    index: dict[str, int],
) -> list[Point]:
    """End points moved from the bounding box onto the outline of ellipses."""
    points = list(points)
    left, right = (edge.source, edge.target) if reversed_ else (edge.target, edge.source)
    for end, key, side in ((0, left, 1.0), (len(points) - 1, right, -1.0)):
        node = graph.nodes[key]
        if NODE_STYLES[node.kind].shape != "ellipse":
            continue
        cx, cy = layout.centres[index[key]]
        rx, ry = sizes[index[key]][0] / 2, sizes[index[key]][1] / 2
        y = points[end][1]
        dy = min(1.0, abs(y - cy) / ry)
        points[end] = (cx + side * rx * (1.0 - dy * dy) ** 0.5, y)
    return points


def _smooth_path(points: list[Point]) -> str:
    """Straight lanes where y does not change, S-shaped cubic curves (horizontal tangents) elsewhere."""
    x0, y0 = points[0]
    parts = [f"M{x0:.1f},{y0:.1f}"]
    for (ax, ay), (bx, by) in zip(points, points[1:]):
        if abs(ay - by) < 0.05:
            parts.append(f"L{bx:.1f},{by:.1f}")
        else:
            half = (bx - ax) / 2
            parts.append(f"C{ax + half:.1f},{ay:.1f} {bx - half:.1f},{by:.1f} {bx:.1f},{by:.1f}")
    return " ".join(parts)


def _midpoint(a: Point, b: Point) -> Point:
    """Middle of the S-curve between two points (it is symmetric, so the mean)."""
    return (a[0] + b[0]) / 2, (a[1] + b[1]) / 2


def _arrowhead(tip: Point, direction: tuple[float, float]) -> str:
    dx, dy = direction
    bx, by = tip[0] - dx * ARROW, tip[1] - dy * ARROW
    half = ARROW * 0.45
    corners = [tip, (bx - dy * half, by + dx * half), (bx + dy * half, by - dx * half)]
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in corners)


class _LabelSpace:
    """Remembers where labels went, so that a label that would cover another moves a line."""

    CELL = 50.0

    def __init__(self) -> None:
        self._cells: dict[tuple[int, int], list[tuple[float, float, float, float]]] = {}

    def put(self, anchor: Point, width: float, height: float) -> Point | None:
        """Where to put a label near ``anchor``, or None when every nearby place is taken."""
        x, y = anchor
        for shift in (0.0, 1.0, -1.0, 2.0, -2.0, 3.0, -3.0):
            candidate = (x - width / 2, y + shift * height - height / 2, width, height)
            if not self._collides(candidate):
                self._add(candidate)
                return x, y + shift * height
        return None

    def _keys(self, box: tuple[float, float, float, float]) -> list[tuple[int, int]]:
        left, top, width, height = box
        return [
            (i, j)
            for i in range(int(left // self.CELL), int((left + width) // self.CELL) + 1)
            for j in range(int(top // self.CELL), int((top + height) // self.CELL) + 1)
        ]

    def _collides(self, box: tuple[float, float, float, float]) -> bool:
        left, top, width, height = box
        for key in self._keys(box):
            for ol, ot, ow, oh in self._cells.get(key, ()):
                if left < ol + ow and ol < left + width and top < ot + oh and ot < top + height:
                    return True
        return False

    def _add(self, box: tuple[float, float, float, float]) -> None:
        for key in self._keys(box):
            self._cells.setdefault(key, []).append(box)


# ------------------------------------------------------------------------- nodes


def _draw_node(out: list[str], number: int, node: GraphNode, centre: Point, size: tuple[float, float]) -> None:
    style = NODE_STYLES[node.kind]
    cx, cy = centre
    title = escape_xml("\n".join(node.details[:MAX_TOOLTIP_LINES] or [node.label]))
    record = escape_xml(node.record or node.key)
    out.append(f'<g class="node {node.kind}" id="node-{number}" data-id="{record}"><title>{title}</title>')
    out.append(_shape(style, cx, cy, size[0], size[1]))
    label, sublabel = truncate(node.label), truncate(node.sublabel, 40)
    baseline = cy + style.font_size * 0.35 - (5.5 if sublabel else 0.0)
    if node.kind == "agent":
        baseline += 4.0  # below the roof
    italic = ' font-style="italic"' if node.kind == "description" else ""
    out.append(
        f'<text x="{cx:.1f}" y="{baseline:.1f}" font-size="{style.font_size:g}" text-anchor="middle"{italic}>'
        f"{escape_xml(label)}</text>"
    )
    if sublabel:
        out.append(
            f'<text x="{cx:.1f}" y="{baseline + 12:.1f}" font-size="9" fill="#404040" text-anchor="middle">'
            f"{escape_xml(sublabel)}</text>"
        )
    out.append("</g>")


def _shape(style: NodeStyle, cx: float, cy: float, width: float, height: float) -> str:
    paint = f'fill="{style.fill}" stroke="{style.stroke}"' + (' stroke-dasharray="4,2"' if style.dashed else "")
    left, right, top, bottom = cx - width / 2, cx + width / 2, cy - height / 2, cy + height / 2
    if style.shape == "ellipse":
        shape = f'<ellipse cx="{cx:.1f}" cy="{cy:.1f}" rx="{width / 2:.1f}" ry="{height / 2:.1f}" {paint}/>'
        if style.double:
            shape += (
                f'<ellipse cx="{cx:.1f}" cy="{cy:.1f}" rx="{width / 2 - 4:.1f}" ry="{height / 2 - 4:.1f}" '
                f'fill="none" stroke="{style.stroke}"/>'
            )
        return shape
    if style.shape == "box":
        return f'<rect x="{left:.1f}" y="{top:.1f}" width="{width:.1f}" height="{height:.1f}" {paint}/>'
    if style.shape == "house":
        roof = min(12.0, height / 3)
        corners = [(left, bottom), (right, bottom), (right, top + roof), (cx, top), (left, top + roof)]
        return f'<polygon points="{_points(corners)}" {paint}/>'
    if style.shape == "note":
        fold = 8.0
        corners = [(left, top), (right - fold, top), (right, top + fold), (right, bottom), (left, bottom)]
        crease = [(right - fold, top), (right - fold, top + fold), (right, top + fold)]
        return (
            f'<polygon points="{_points(corners)}" {paint}/>'
            f'<polyline points="{_points(crease)}" fill="none" stroke="{style.stroke}"/>'
        )
    # folder: a box with a tab
    tab = min(30.0, width / 3)
    corners = [
        (left, top),
        (left + tab, top),
        (left + tab + 5, top + 5),
        (right, top + 5),
        (right, bottom),
        (left, bottom),
    ]
    return f'<polygon points="{_points(corners)}" {paint}/>'


def _points(points: list[Point]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


# ------------------------------------------------------------------------ legend


def _legend(graph: Graph, available: float) -> tuple[list[str], float, float]:
    """Legend rows for the node kinds and relations present: (elements, height, width)."""
    kinds = [kind for kind in NODE_STYLES if any(node.kind == kind for node in graph.nodes.values())]
    relations = list(dict.fromkeys(edge.relation for edge in graph.edges))
    items: list[tuple[float, str]] = []  # (width, svg fragment drawn at the origin)
    for kind in kinds:
        style = NODE_STYLES[kind]
        text = style.legend
        sample = _shape(style, 18.0, 0.0, 32.0, 16.0)
        label = f'<text x="40" y="4" font-size="11">{escape_xml(text)}</text>'
        items.append((44 + text_width(text, 11.0), sample + label))
    for relation in relations:
        stroke, colour = EDGE_COLOURS.get(relation, DEFAULT_EDGE_COLOUR)
        dash = ' stroke-dasharray="4,3"' if relation in DASHED_RELATIONS else ""
        sample = (
            f'<path d="M{4 + ARROW:.1f},0 L34,0" stroke="{stroke}" stroke-width="1.2"{dash}/>'
            f'<polygon points="{_arrowhead((4.0, 0.0), (-1.0, 0.0))}" fill="{stroke}"/>'
        )
        items.append(
            (
                44 + text_width(relation, 10.0),
                f'{sample}<text x="40" y="4" font-size="10" fill="{colour}">{escape_xml(relation)}</text>',
            )
        )
    lines = ['<g class="legend">']
    x, y, widest = 0.0, 0.0, 0.0
    for width, fragment in items:
        if x and x + width > available:
            x, y = 0.0, y + LEGEND_ROW
        lines.append(f'<g transform="translate({MARGIN + x:.1f},{MARGIN + y + 8:.1f})">{fragment}</g>')
        x += width + 16
        widest = max(widest, x)
    lines.append("</g>")
    height = y + LEGEND_ROW + 10 if items else 0.0
    return lines, height, widest
