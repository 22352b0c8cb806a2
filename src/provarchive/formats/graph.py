"""Pictures of provenance: Graphviz DOT and SVG drawn in Python (write only).

Both outputs start from the same :class:`Graph`, built from the IVOA model (not only
the W3C statements), so an Activity's description, its parameters and configuration
files, collections and their members are shown as what they are:

* entities are yellow ellipses (collections have a double border), activities blue
  rectangles, agents orange houses, as in ``prov``'s DOT output;
* descriptions, parameters and configuration files are smaller grey-green notes,
  optional (``descriptions=False``, ``parameters=False``);
* edges point from the subject of a relation to its object (the W3C convention: from
  the effect back to its cause) and carry the relation name and role.

The SVG is laid out left to right by :mod:`.layout` (causes on the left), so no
Graphviz binary is needed; the DOT output uses ``rankdir=RL`` for the same picture.
Everything written is deterministic: the same document gives the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..model import (
    Activity,
    Agent,
    Bundle,
    Collection,
    ConfigFile,
    Description,
    Document,
    Element,
    Entity,
    Parameter,
    Record,
    Relation,
    ValueEntity,
    WasConfiguredBy,
)

__all__ = [
    "EDGE_COLOURS",
    "NODE_STYLES",
    "Graph",
    "GraphEdge",
    "GraphNode",
    "build_graph",
    "dumps_dot",
    "dumps_svg",
    "escape_xml",
    "node_size",
    "text_width",
    "truncate",
]


@dataclass(frozen=True)
class NodeStyle:
    """How one kind of node looks, in both outputs."""

    shape: str  # ellipse, box, house, note, folder
    fill: str
    stroke: str
    legend: str
    font_size: float = 12.0
    double: bool = False
    dashed: bool = False


#: Node kinds in legend order. Colours of entity/activity/agent are prov's.
NODE_STYLES: dict[str, NodeStyle] = {
    "entity": NodeStyle("ellipse", "#FFFC87", "#808080", "Entity"),
    "collection": NodeStyle("ellipse", "#FFFC87", "#808080", "Collection", double=True),
    "activity": NodeStyle("box", "#9FB1FC", "#0000FF", "Activity"),
    "agent": NodeStyle("house", "#FED37F", "#B07800", "Agent"),
    "parameter": NodeStyle("note", "#DCE6D2", "#6B8E5A", "Parameter", font_size=10.0),
    "configfile": NodeStyle("note", "#CFDDD6", "#5A7F6E", "Config file", font_size=10.0),
    "description": NodeStyle("note", "#EEF3E8", "#8AA07C", "Description", font_size=10.0, dashed=True),
    "bundle": NodeStyle("folder", "#F0F8FF", "#4682B4", "Bundle"),
    "unknown": NodeStyle("ellipse", "#D3D3D3", "#696969", "Not declared", dashed=True),
}

#: Edge (stroke, label) colours by relation name; prov's choices, darkened where the
#: light orange would not be readable on white.
EDGE_COLOURS: dict[str, tuple[str, str]] = {
    "used": ("#8B0000", "#CC0000"),
    "wasGeneratedBy": ("#006400", "#006400"),
    "wasAssociatedWith": ("#E8A317", "#9A6700"),
    "wasAttributedTo": ("#E8A317", "#9A6700"),
    "actedOnBehalfOf": ("#E8A317", "#9A6700"),
    "wasInfluencedBy": ("#808080", "#606060"),
    "wasConfiguredBy": ("#6B8E5A", "#4B6E3A"),
    "description": ("#A0A0A0", "#707070"),
    "activityDescription": ("#7A8B6F", "#5A6B4F"),
    "entityDescription": ("#7A8B6F", "#5A6B4F"),
    "hadReference": ("#7A8B6F", "#5A6B4F"),
    "hadPlan": ("#A0A0A0", "#707070"),
}
DEFAULT_EDGE_COLOUR = ("#000000", "#303030")
DASHED_RELATIONS = frozenset({"description", "activityDescription", "entityDescription", "hadReference", "hadPlan"})

MAX_LABEL = 28  # characters shown in a node; the full text is in the tooltip
MAX_TOOLTIP_LINES = 24


@dataclass
class GraphNode:
    """A node: ``key`` is unique in the graph (bundle-qualified for records of bundles)."""

    key: str
    kind: str
    label: str
    sublabel: str = ""
    details: list[str] = field(default_factory=list)
    bundle: str | None = None
    #: Id of the record drawn when ``key`` is not it: records of named bundles (keyed
    #: ``bundle::id``) and the copies of a hub drawn once per column.
    record: str | None = None


@dataclass
class GraphEdge:
    """An edge from the subject of a relation to its object (PROV direction)."""

    source: str
    target: str
    relation: str
    role: str | None = None
    details: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.relation} ({self.role})" if self.role else self.relation


@dataclass
class Graph:
    """Nodes and edges in document order (which makes every drawing deterministic)."""

    nodes: dict[str, GraphNode] = field(default_factory=dict)
    edges: list[GraphEdge] = field(default_factory=list)


# ---------------------------------------------------------------------- the graph


#: Kind of node to invent for an id that a relation names but the document does not
#: declare, by the Python name of the formal argument that holds it.
_IMPLIED_KIND = {
    "activity": "activity",
    "informed": "activity",
    "informant": "activity",
    "agent": "agent",
    "delegate": "agent",
    "responsible": "agent",
    "starter": "activity",
    "ender": "activity",
    "bundle": "bundle",
}


def build_graph(doc: Document, *, descriptions: bool = True, parameters: bool = True) -> Graph:
    """The nodes and edges to draw for ``doc`` (its bundles included)."""
    graph = Graph()
    scopes: list[Bundle] = [doc, *doc.bundles.values()]
    for bundle_id in doc.bundles:
        graph.nodes[bundle_id] = GraphNode(bundle_id, "bundle", bundle_id, "bundle", [f"bundle {bundle_id}"])
    hidden: set[str] = set()
    for scope in scopes:
        prefix = f"{scope.id}::" if scope.id else ""
        for record in scope.records:
            if isinstance(record, Element):
                kind = _node_kind(record)
                if (kind == "description" and not descriptions) or (
                    kind in ("parameter", "configfile") and not parameters
                ):
                    hidden.add(prefix + record.id)
                    continue
                if prefix + record.id not in graph.nodes:
                    graph.nodes[prefix + record.id] = _node(prefix + record.id, kind, record, scope.id)
    for scope in scopes:
        prefix = f"{scope.id}::" if scope.id else ""
        for record in scope.records:
            for source, target, relation, role, slots, details in _links(record, descriptions, parameters):
                keys = []
                for ident, slot in zip((source, target), slots):
                    key = prefix + ident if prefix + ident in graph.nodes or prefix + ident in hidden else ident
                    if key in hidden:
                        break
                    if key not in graph.nodes:
                        graph.nodes[key] = _undeclared_node(key, ident, slot)
                    keys.append(key)
                if len(keys) == 2:
                    graph.edges.append(GraphEdge(keys[0], keys[1], relation, role, details))
    return graph


def _undeclared_node(key: str, ident: str, slot: str | None) -> GraphNode:
    """A node for an id that a relation names but the document does not declare."""
    kind = _IMPLIED_KIND.get(slot or "", "unknown")
    return GraphNode(key, kind, ident, "not declared", [f"{ident} (referenced, not declared in this document)"])


def _node_kind(record: Element) -> str:
    if isinstance(record, Description):
        return "description"
    if isinstance(record, Parameter):
        return "parameter"
    if isinstance(record, ConfigFile):
        return "configfile"
    if isinstance(record, Collection):
        return "collection"
    if isinstance(record, Activity):
        return "activity"
    if isinstance(record, Agent):
        return "agent"
    return "entity"


def _node(key: str, kind: str, record: Element, bundle: str | None) -> GraphNode:
    name = getattr(record, "name", None)
    if isinstance(record, (Parameter, ValueEntity)) and record.value is not None:
        label = f"{name or record.id} = {record.value}"
    else:
        label = name or record.id
    sublabel = record.id if label != record.id else ""
    if isinstance(record, Description):
        sublabel = type(record).__name__
    elif isinstance(record, Agent) and record.type:
        sublabel = f"{record.type} {record.id}" if name else record.type
    if bundle:
        sublabel = f"{sublabel} in {bundle}".strip()
    details = [f"{type(record).__name__} {record.id}"]
    for slot, value in record.fields().items():
        if value not in (None, [], ""):
            details.append(f"{slot}: {_text(value)}")
    details.extend(f"{qname}: {_text(value)}" for qname, value in record._attributes)
    if bundle:
        details.append(f"in bundle {bundle}")
    return GraphNode(key, kind, label, sublabel, details, bundle, record.id if key != record.id else None)


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value)
    return str(value)


#: (subject, object, relation, role, (subject slot, object slot), tooltip lines)
Link = tuple[str, str, str, str | None, tuple[str | None, str | None], list[str]]
NO_SLOTS: tuple[str | None, str | None] = (None, None)


def _links(record: Record, descriptions: bool, parameters: bool) -> Iterable[Link]:
    """Every edge a record draws (see :data:`Link`)."""
    if isinstance(record, WasConfiguredBy):
        if parameters and record.activity and record.artefact:
            yield record.activity, record.artefact, "wasConfiguredBy", None, ("activity", None), []
        return
    if isinstance(record, Relation):
        yield from _relation_links(record)
        return
    if not descriptions or not isinstance(record, Element):
        return
    if isinstance(record, (Entity, Activity, Parameter, ConfigFile)) and record.description:
        yield record.id, record.description, "description", None, NO_SLOTS, []
    if isinstance(record, Parameter) and record.value_entity:
        yield record.id, record.value_entity, "hadReference", None, NO_SLOTS, []
    activity_description = getattr(record, "activity_description", None)
    if isinstance(record, Description) and activity_description:
        yield record.id, activity_description, "activityDescription", None, NO_SLOTS, []
    for entity_description in getattr(record, "entity_descriptions", None) or ():
        if entity_description:
            yield record.id, entity_description, "entityDescription", None, NO_SLOTS, []


def _relation_links(record: Relation) -> Iterable[Link]:
    formal = [(name, getattr(record, name)) for name, _key in record.FORMAL]
    subject_slot, subject = formal[0]
    role = getattr(record, "role", None)
    details = [f"{record.kind}{' ' + record.id if record.id else ''}"]
    details.extend(f"{name}: {_text(value)}" for name, value in record.fields().items() if value not in (None, []))
    details.extend(f"{qname}: {_text(value)}" for qname, value in record._attributes)
    # the main edge: subject to the first given reference among the remaining formals
    objects = [(name, value) for name, value in formal[1:] if isinstance(value, str) and name not in ("time",)]
    if subject is None or not objects:
        return
    main_name, main_target = objects[0]
    yield subject, main_target, record.kind, role, (subject_slot, main_name), details
    for name, value in objects[1:]:
        if record.kind == "wasDerivedFrom" or name in ("generation", "usage"):
            continue  # the activity/generation/usage of a derivation: shown by their own edges
        relation = "hadPlan" if name == "plan" else record.kind
        extra_role = None if name == "plan" else name
        yield subject, value, relation, extra_role, (subject_slot, name), details


# ------------------------------------------------------------------------- text


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def truncate(text: str, limit: int = MAX_LABEL) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape_xml(text: str) -> str:
    """Text safe inside an XML element or attribute (characters XML forbids dropped)."""
    text = _CONTROL.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _dot_string(text: str) -> str:
    text = _CONTROL.sub("", text).replace("\r", "")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


_NARROW = set("fijlrtI.,:;'!|() -")
_WIDE = set("mwMW@%")


def text_width(text: str, size: float) -> float:
    """Approximate width of ``text`` in a sans-serif font (no font metrics needed)."""
    units = 0.0
    for char in text:
        if char in _NARROW:
            units += 0.32
        elif char in _WIDE:
            units += 0.85
        elif char.isupper() or char.isdigit():
            units += 0.62
        else:
            units += 0.52
    return units * size


# -------------------------------------------------------------------------- DOT


def dumps_dot(doc: Document, *, descriptions: bool = True, parameters: bool = True, **_options: Any) -> bytes:
    """The document as a Graphviz digraph (render with ``dot -Tsvg``)."""
    graph = build_graph(doc, descriptions=descriptions, parameters=parameters)
    names = {key: f"n{i}" for i, key in enumerate(graph.nodes)}
    lines = [
        "digraph provenance {",
        '  graph [rankdir=RL, charset="utf-8", fontname="Helvetica"];',
        '  node [fontname="Helvetica", fontsize=12];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    by_bundle: dict[str | None, list[GraphNode]] = {}
    for node in graph.nodes.values():
        by_bundle.setdefault(node.bundle, []).append(node)
    for bundle, members in by_bundle.items():
        indent = "  "
        if bundle is not None:
            lines.append(f"  subgraph cluster_{names[bundle]} {{")
            lines.append(f'    label={_dot_string(bundle)}; style=dashed; color="#4682B4";')
            indent = "    "
        for node in members:
            lines.append(f"{indent}{names[node.key]} [{_dot_node_attributes(node)}];")
        if bundle is not None:
            lines.append("  }")
    for edge in graph.edges:
        stroke, label_colour = EDGE_COLOURS.get(edge.relation, DEFAULT_EDGE_COLOUR)
        attributes = [
            f"label={_dot_string(edge.label)}",
            f'color="{stroke}"',
            f'fontcolor="{label_colour}"',
        ]
        if edge.relation in DASHED_RELATIONS:
            attributes.append("style=dashed")
        lines.append(f"  {names[edge.source]} -> {names[edge.target]} [{', '.join(attributes)}];")
    lines.append("}")
    return ("\n".join(lines) + "\n").encode("utf-8")


_DOT_SHAPES = {"ellipse": "oval", "box": "box", "house": "house", "note": "note", "folder": "folder"}


def _dot_node_attributes(node: GraphNode) -> str:
    style = NODE_STYLES[node.kind]
    label = truncate(node.label) + (f"\n{truncate(node.sublabel, 40)}" if node.sublabel else "")
    styles = ["filled"] + (["dashed"] if style.dashed else [])
    attributes = [
        f"label={_dot_string(label)}",
        f"tooltip={_dot_string(chr(10).join(node.details[:MAX_TOOLTIP_LINES]))}",
        f"shape={_DOT_SHAPES[style.shape]}",
        f'style="{",".join(styles)}"',
        f'fillcolor="{style.fill}"',
        f'color="{style.stroke}"',
    ]
    if style.double:
        attributes.append("peripheries=2")
    if style.font_size != 12.0:
        attributes.append(f"fontsize={style.font_size:g}")
    return ", ".join(attributes)


# -------------------------------------------------------------------------- SVG


def dumps_svg(
    doc: Document,
    *,
    descriptions: bool = True,
    parameters: bool = True,
    edge_labels: bool = True,
    legend: bool = True,
    **_options: Any,
) -> bytes:
    """The document as a self-contained SVG picture, laid out left to right (causes left)."""
    from .graph_svg import render_svg

    graph = build_graph(doc, descriptions=descriptions, parameters=parameters)
    return render_svg(graph, edge_labels=edge_labels, legend=legend)


def node_size(node: GraphNode) -> tuple[float, float]:
    """(width, height) of a node's shape, from its text."""
    style = NODE_STYLES[node.kind]
    width = max(text_width(truncate(node.label), style.font_size), text_width(truncate(node.sublabel, 40), 9.0))
    height = style.font_size + 14.0 + (11.0 if node.sublabel else 0.0)
    if style.shape == "ellipse":
        return width * 1.2 + 24.0, height + 8.0
    if style.shape == "house":
        return width + 24.0, height + 12.0
    return width + 18.0, height
