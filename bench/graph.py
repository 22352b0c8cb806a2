"""Benchmark: drawing provenance graphs (SVG with our layered layout, DOT) against networkx.

The peers are what a Python user without Graphviz reaches for, on the same nodes and
edges: networkx's ``multipartite_layout`` over ``topological_generations`` (layered,
positions only: no crossing reduction, no routing, nothing drawn) and its
``spring_layout`` (only below 500 nodes: above, networkx needs scipy).
Run with ``.venv/bin/python bench/graph.py``; prints medians and ratios.
"""

from __future__ import annotations

from collections.abc import Callable

import networkx as nx

from provarchive.examples import pipeline
from provarchive.formats.graph import build_graph, dumps_dot, dumps_svg
from timing import median_times

#: Pipeline sizes (records) giving about 200 and 2000 drawn nodes.
SIZES = {200: 500, 2000: 5700}
REPEAT = 5


def median_seconds(work: Callable[[], object], repeat: int = REPEAT) -> float:
    """Median wall seconds of ``repeat`` calls."""
    return median_times(work, repeat)[0]


def main() -> None:
    print(
        f"{'nodes':>6} {'edges':>6} {'SVG (ours)':>11} {'DOT (ours)':>11} "
        f"{'nx layered':>11} {'nx spring':>11} {'SVG / nx layered':>17}"
    )
    for records in SIZES.values():
        doc = pipeline(records)
        graph = build_graph(doc)
        peer = nx.DiGraph()
        peer.add_nodes_from(graph.nodes)
        peer.add_edges_from((edge.target, edge.source) for edge in graph.edges)
        svg = median_seconds(lambda doc=doc: dumps_svg(doc))
        dot = median_seconds(lambda doc=doc: dumps_dot(doc))
        layered = median_seconds(lambda peer=peer: networkx_layered(peer))
        spring = (
            f"{median_seconds(lambda peer=peer: nx.spring_layout(peer, seed=1), repeat=3) * 1000:>9.1f}ms"
            if len(peer) < 500
            else f"{'n/a':>11}"
        )
        print(
            f"{len(graph.nodes):>6} {len(graph.edges):>6} {svg * 1000:>9.1f}ms {dot * 1000:>9.1f}ms "
            f"{layered * 1000:>9.1f}ms {spring} {svg / layered:>16.1f}x"
        )


def networkx_layered(graph: nx.DiGraph) -> dict[object, object]:
    """Columns by topological generation, positions by networkx (the layered peer)."""
    for column, nodes in enumerate(nx.topological_generations(graph)):
        for node in nodes:
            graph.nodes[node]["column"] = column
    return nx.multipartite_layout(graph, subset_key="column")  # type: ignore[no-any-return]


if __name__ == "__main__":
    main()
