"""DOT and SVG pictures: what is drawn, how it is escaped, and whether the layout is sane."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from provarchive.examples import kitchen_sink, pipeline
from provarchive.formats import dumps
from provarchive.formats.graph import build_graph, dumps_dot, dumps_svg, node_size
from provarchive.formats.layout import _place_in_order, count_crossings, layered_layout
from provarchive.model import Document
from tests.conftest import require_command

SVG = "{http://www.w3.org/2000/svg}"


def parse_svg(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))


def node_groups(root: etree._Element) -> list[etree._Element]:
    return [g for g in root.iter(f"{SVG}g") if (g.get("class") or "").startswith("node ")]


def test_kitchen_sink_svg_has_every_node_kind_and_relation() -> None:
    root = parse_svg(dumps_svg(kitchen_sink()))
    kinds = {g.get("class").split()[1] for g in node_groups(root)}
    assert kinds == {"entity", "collection", "activity", "agent", "parameter", "configfile", "description", "bundle"}
    relations = {g.get("data-relation") for g in root.iter(f"{SVG}g") if g.get("class") == "edge"}
    for relation in (
        "used",
        "wasGeneratedBy",
        "wasDerivedFrom",
        "wasAssociatedWith",
        "wasAttributedTo",
        "actedOnBehalfOf",
        "wasInformedBy",
        "hadMember",
        "wasConfiguredBy",
        "wasStartedBy",
        "wasEndedBy",
        "wasInvalidatedBy",
        "specializationOf",
        "alternateOf",
        "mentionOf",
        "wasInfluencedBy",
        "description",
    ):
        assert relation in relations, relation
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert "used (raw)" in labels  # role shown on the edge
    assert "threshold = 6.5" in labels  # a parameter shows its value
    assert "Legend" not in labels and "Activity" in labels  # the legend names the node kinds


def test_entity_activity_agent_styles_follow_prov() -> None:
    root = parse_svg(dumps_svg(kitchen_sink()))
    by_kind = {g.get("class").split()[1]: g for g in node_groups(root)}
    ellipse = by_kind["entity"].find(f"{SVG}ellipse")
    assert (ellipse.get("fill"), ellipse.get("stroke")) == ("#FFFC87", "#808080")
    rect = by_kind["activity"].find(f"{SVG}rect")
    assert (rect.get("fill"), rect.get("stroke")) == ("#9FB1FC", "#0000FF")
    assert by_kind["agent"].find(f"{SVG}polygon").get("fill") == "#FED37F"
    assert len(by_kind["collection"].findall(f"{SVG}ellipse")) == 2  # double border


def test_descriptions_and_parameters_are_optional() -> None:
    doc = kitchen_sink()
    full = build_graph(doc)
    bare = build_graph(doc, descriptions=False, parameters=False)
    assert {n.kind for n in bare.nodes.values()}.isdisjoint({"description", "parameter", "configfile"})
    assert not any(e.relation in ("description", "wasConfiguredBy") for e in bare.edges)
    assert len(bare.nodes) < len(full.nodes)
    kinds = {g.get("class").split()[1] for g in node_groups(parse_svg(dumps_svg(doc, descriptions=False)))}
    assert "description" not in kinds and "parameter" in kinds


def tricky_document() -> Document:
    doc = Document(namespaces={"ex": "http://example.org/"})
    act = doc.activity("ex:a", name='cut "E > 1 TeV" & <merge>')
    entity = doc.entity("ex:e", name="x<y>&z\x01 " + "long " * 20)
    act.used(entity, role="in<&>put")
    act.used("ex:undeclared")
    return doc


def test_labels_are_escaped_and_truncated_with_full_tooltip() -> None:
    data = dumps_svg(tricky_document())
    root = parse_svg(data)  # well-formed despite <, &, > and a control character
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert 'cut "E > 1 TeV" & <merge>' in texts
    assert "used (in<&>put)" in texts
    truncated = [t for t in texts if t and t.startswith("x<y>&z")]
    assert truncated and truncated[0].endswith("…") and len(truncated[0]) <= 28
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert any("long long long long long long long long long long long" in (t or "") for t in titles)
    assert b"\x01" not in data
    kinds = {g.get("data-id"): g.get("class") for g in node_groups(root)}
    assert kinds["ex:undeclared"] == "node unknown"  # referenced, never declared


def test_dot_output_is_valid_graphviz_text() -> None:
    doc = tricky_document()
    text = dumps_dot(doc).decode()
    assert text.startswith("digraph provenance {") and text.rstrip().endswith("}")
    assert "rankdir=RL" in text
    assert 'label="cut \\"E > 1 TeV\\" & <merge>\\nex:a"' in text
    assert "\x01" not in text
    assert text.count(" -> ") == len(build_graph(doc).edges)
    sink = dumps_dot(kitchen_sink()).decode()
    for style in ('fillcolor="#FFFC87"', 'fillcolor="#9FB1FC"', "shape=house", "shape=note", "peripheries=2"):
        assert style in sink
    assert "subgraph cluster_" in sink  # the bundle


def test_output_is_deterministic() -> None:
    assert dumps_svg(kitchen_sink()) == dumps_svg(kitchen_sink())
    assert dumps_dot(kitchen_sink()) == dumps_dot(kitchen_sink())
    assert dumps(pipeline(300), "SVG") == dumps(pipeline(300), "SVG")  # through the format registry


def test_pipeline_of_200_nodes_is_laid_out_left_to_right_without_overlaps() -> None:
    graph = build_graph(pipeline(500))
    assert len(graph.nodes) >= 180
    nodes = list(graph.nodes.values())
    index = {node.key: i for i, node in enumerate(nodes)}
    sizes = [node_size(node) for node in nodes]
    flow = [(index[e.target], index[e.source]) for e in graph.edges]
    layout = layered_layout(sizes, flow)
    assert_no_overlap(layout.centres, sizes)
    assert not any(route.reversed for route in layout.routes)  # the pipeline is acyclic
    for (cause, effect), route in zip(flow, layout.routes):
        assert layout.centres[cause][0] < layout.centres[effect][0]
        xs = [x for x, _y in route.points]
        assert xs == sorted(xs)


def assert_no_overlap(centres: list[tuple[float, float]], sizes: list[tuple[float, float]]) -> None:
    boxes = sorted(
        (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2) for (cx, cy), (w, h) in zip(centres, sizes, strict=True)
    )
    for i, (_left, top, right, bottom) in enumerate(boxes):
        for other_left, other_top, _other_right, other_bottom in boxes[i + 1 :]:
            if other_left >= right:
                break
            assert other_top >= bottom or other_bottom <= top, "two nodes overlap"


@pytest.mark.parametrize("seed", range(8))
def test_random_graphs_layout_sanity(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(1, 60)
    sizes = [(rng.uniform(20, 160), rng.uniform(20, 50)) for _ in range(n)]
    edges = [(rng.randrange(n), rng.randrange(n)) for _ in range(rng.randint(0, 3 * n))]
    layout = layered_layout(sizes, edges)
    assert len(layout.routes) == len(edges)
    assert_no_overlap(layout.centres, sizes)
    for (u, v), route in zip(edges, layout.routes):
        if u == v:
            assert route.loop
            continue
        left, right = (v, u) if route.reversed else (u, v)
        assert layout.layers[left] < layout.layers[right]
        xs = [x for x, _y in route.points]
        assert xs == sorted(xs)
    acyclic = [(u, v) for u, v in edges if u < v]  # edges from lower to higher index: no cycle
    assert not any(route.reversed for route in layered_layout(sizes, acyclic).routes)


def test_cycles_are_broken_and_drawn() -> None:
    layout = layered_layout([(40, 20)] * 3, [(0, 1), (1, 2), (2, 0)])
    assert sum(route.reversed for route in layout.routes) == 1
    doc = Document(namespaces={"ex": "http://example.org/"})
    a, b = doc.entity("ex:a"), doc.entity("ex:b")
    a.derived_from(b)
    b.derived_from(a)
    a.derived_from(a)
    root = parse_svg(dumps_svg(doc))
    assert len([g for g in root.iter(f"{SVG}g") if g.get("class") == "edge"]) == 3


def test_crossing_count_and_constrained_placement() -> None:
    down = [[3], [2], [], [], []]  # 0->3 and 1->2 cross when 2 comes before 3
    assert count_crossings([0, 1], [2, 3], down) == 1
    assert count_crossings([0, 1], [3, 2], down) == 0
    placed = _place_in_order([10.0, 10.0, 10.0], [1.0, 1.0, 1.0], [5.0, 5.0])
    assert placed == pytest.approx([5.0, 10.0, 15.0])
    assert _place_in_order([0.0, 100.0], [1.0, 1.0], [5.0]) == pytest.approx([0.0, 100.0])


def test_barycentric_sweeps_remove_avoidable_crossings() -> None:
    # two chains given in an order that crosses: a0->b1, a1->b0 (b's declared first)
    sizes = [(30, 20)] * 4
    layout = layered_layout(sizes, [(2, 1), (3, 0)])
    assert layout.crossings == 0


def test_a_hub_agent_is_drawn_once_per_column() -> None:
    doc = Document(namespaces={"ex": "http://example.org/"})
    software = doc.agent("ex:software", type="SoftwareAgent")
    for chain in range(5):
        previous = doc.entity(f"ex:raw{chain}")
        for step in range(3):
            act = doc.activity(f"ex:step{chain}-{step}")
            act.used(previous)
            act.associated_with(software)
            previous = doc.entity(f"ex:out{chain}-{step}")
            previous.generated_by(act)
    root = parse_svg(dumps_svg(doc))
    copies = [g for g in node_groups(root) if g.get("data-id") == "ex:software"]
    assert len(copies) == 3  # one per activity column
    assert all("drawn 3 times" in g.find(f"{SVG}title").text for g in copies)
    small = parse_svg(dumps_svg(kitchen_sink()))
    assert len([g for g in node_groups(small) if g.get("data-id") == "ex:alice"]) == 1
    # a record of a named bundle is its own node, but carries the record's id
    in_bundle = [g for g in node_groups(small) if g.get("data-id") == "ex:report042"]
    assert len(in_bundle) == 2 and any("in bundle ex:bundle1" in g.find(f"{SVG}title").text for g in in_bundle)


def test_graphviz_reads_the_dot_output(tmp_path: Path) -> None:
    dot = require_command("dot")  # Debian package graphviz; only this check needs it
    source = tmp_path / "sink.dot"
    source.write_bytes(dumps_dot(kitchen_sink()))
    tricky = tmp_path / "tricky.dot"
    tricky.write_bytes(dumps_dot(tricky_document()))
    for path in (source, tricky):
        done = subprocess.run([dot, "-Tsvg", str(path)], capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr.decode()
        assert not done.stderr, done.stderr.decode()  # no syntax warnings either
        parse_svg(done.stdout)
