"""Lineage against networkx on generated graphs with diamonds, collections and cycles."""

from __future__ import annotations

import itertools
from unittest.mock import patch

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provarchive.examples import kitchen_sink
from provarchive.model import Document, HadMember, Used, WasDerivedFrom, WasGeneratedBy, WasInformedBy
from provarchive.store import Archive, lineage

EX = "http://example.org/g#"
_graph_numbers = itertools.count()

pairs = st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), max_size=14)


@st.composite
def graphs(draw: st.DrawFn) -> dict[str, list[tuple[int, int]]]:
    """Random relations between 10 entities and 10 activities (cycles and diamonds allowed)."""
    return {
        "used": draw(pairs),  # (activity, entity)
        "generated": draw(pairs),  # (entity, activity)
        "derived": draw(pairs),  # (entity, entity)
        "informed": draw(pairs),  # (activity, activity)
        "member": draw(pairs),  # (collection entity, member entity)
    }


def build(spec: dict[str, list[tuple[int, int]]], tag: str) -> tuple[Document, nx.DiGraph, nx.DiGraph]:
    """The document and the networkx graphs (edges point back; with and without members)."""
    doc = Document(namespaces={"ex": EX})
    e = [f"ex:{tag}e{i}" for i in range(10)]
    a = [f"ex:{tag}a{i}" for i in range(10)]
    for ident in e:
        doc.entity(ident)
    for ident in a:
        doc.activity(ident)
    graph = nx.DiGraph()
    graph.add_nodes_from(e + a)
    for x, y in spec["used"]:
        doc.add(Used(a[x], e[y]))
        graph.add_edge(a[x], e[y])
    for x, y in spec["generated"]:
        doc.add(WasGeneratedBy(e[x], a[y]))
        graph.add_edge(e[x], a[y])
    for x, y in spec["derived"]:
        doc.add(WasDerivedFrom(e[x], e[y]))
        graph.add_edge(e[x], e[y])
    for x, y in spec["informed"]:
        doc.add(WasInformedBy(a[x], a[y]))
        graph.add_edge(a[x], a[y])
    with_members = graph.copy()
    for x, y in spec["member"]:
        doc.add(HadMember(e[x], e[y]))
        with_members.add_edge(e[x], e[y])
    return doc, graph, with_members


def expected(graph: nx.DiGraph, start: str, direction: str, depth: int | None) -> dict[str, int]:
    g = graph if direction == "back" else graph.reverse(copy=False)
    return dict(nx.single_source_shortest_path_length(g, start, cutoff=depth))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=graphs(), start=st.integers(0, 19), depth=st.sampled_from([None, 0, 1, 2, 3, 5]))
def test_walk_matches_networkx(
    archive: Archive, spec: dict[str, list[tuple[int, int]]], start: int, depth: int | None
) -> None:
    tag = f"g{next(_graph_numbers)}_"  # every example gets its own disconnected graph
    doc, graph, with_members = build(spec, tag)
    archive.ingest(doc)
    node = f"ex:{tag}{'e' if start < 10 else 'a'}{start % 10}"
    for direction in ("back", "forth"):
        for members, g in ((False, graph), (True, with_members)):
            want = expected(g, node, direction, depth)
            got = archive.lineage_ids(node, direction=direction, depth=depth, members=members)
            assert set(got) == set(want), (direction, members)
            if depth is not None:
                assert got == want, "depths are shortest distances"


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    spec=graphs(),
    start=st.integers(0, 19),
    depth=st.sampled_from([None, 0, 1, 2, 3, 5]),
    switch=st.integers(0, 3),
)
def test_a_walk_finished_in_one_query_gives_the_same_answer(
    sqlite_archive: Archive, spec: dict[str, list[tuple[int, int]]], start: int, depth: int | None, switch: int
) -> None:
    """Level by level (SQLite) hands deep walks to the recursive CTE: any level of the switch agrees."""
    archive = sqlite_archive
    assert archive.backend.walks_by_level
    tag = f"s{next(_graph_numbers)}_"
    doc, graph, with_members = build(spec, tag)
    archive.ingest(doc)
    node = f"ex:{tag}{'e' if start < 10 else 'a'}{start % 10}"
    with patch.object(lineage, "LEVELS_BEFORE_CTE", switch):
        for direction in ("back", "forth"):
            for members, g in ((False, graph), (True, with_members)):
                want = expected(g, node, direction, depth)
                got = archive.lineage_ids(node, direction=direction, depth=depth, members=members)
                assert set(got) == set(want), (direction, members)
                if depth is not None:
                    assert got == want, "depths are shortest distances"


@pytest.mark.parametrize("depth", [None, lineage.LEVELS_BEFORE_CTE - 1, lineage.LEVELS_BEFORE_CTE + 5])
def test_a_chain_deeper_than_the_level_walk_is_walked_to_its_end(archive: Archive, depth: int | None) -> None:
    """A history of versions, each derived from the previous one, with a side branch deep down."""
    n = lineage.LEVELS_BEFORE_CTE * 2
    doc = Document(namespaces={"ex": EX})
    versions = [doc.entity(f"ex:v{i}").id for i in range(n)]
    for earlier, later in itertools.pairwise(versions):
        doc.add(WasDerivedFrom(later, earlier))
    doc.add(WasDerivedFrom(versions[5], "ex:side-input"))
    archive.ingest(doc)
    graph = nx.DiGraph(list(itertools.pairwise(reversed(versions))))
    graph.add_edge(versions[5], "ex:side-input")
    for direction, start in (("back", versions[-1]), ("forth", "ex:side-input")):
        got = archive.lineage_ids(start, direction=direction, depth=depth)
        want = expected(graph, start, direction, depth)
        assert set(got) == set(want), direction
        if depth is not None:
            assert got == want


def test_a_level_walk_reads_in_its_own_transaction_or_in_the_callers(sqlite_archive: Archive) -> None:
    """Levels run in one read transaction (SQLite), ended after the walk; a caller's open one is left open."""
    archive = sqlite_archive
    assert archive.backend.walks_by_level
    archive.ingest(kitchen_sink())
    want = archive.lineage_ids("ex:run042.dl1", depth=None)
    with archive.engine.connect() as conn:
        dbapi = archive.backend.dbapi(conn)
        assert lineage.walk(archive.backend, conn, ["ex:run042.dl1"]) == want
        assert not dbapi.in_transaction
    with archive.backend.write() as conn:
        dbapi = archive.backend.dbapi(conn)
        assert dbapi.in_transaction
        assert lineage.walk(archive.backend, conn, ["ex:run042.dl1"]) == want
        assert dbapi.in_transaction, "the caller's transaction is still open"


def test_walks_keep_ids_with_unusual_characters(archive: Archive) -> None:
    """Ids travel as JSON between the levels of a walk: quotes, backslashes, non-ASCII survive."""
    odd = ['ex:a"quote', "ex:back\\slash", "ex:tab\tand\nnewline", "ex:ünïcødé-λ", "ex:emoji-🔭", "ex:plain"]
    doc = Document(namespaces={"ex": EX})
    for ident in odd:
        doc.entity(ident)
    for earlier, later in itertools.pairwise(odd):
        doc.add(WasDerivedFrom(later, earlier))
    archive.ingest(doc)
    assert archive.lineage_ids(odd[0], direction="forth", depth=None) == dict.fromkeys(odd)
    assert archive.lineage_ids(odd[-1], depth=None) == dict.fromkeys(reversed(odd))
    assert archive.lineage_ids(odd[-1], depth=2) == {odd[-1]: 0, odd[-2]: 1, odd[-3]: 2}


def test_lineage_document_holds_nodes_relations_agents_and_descriptions(archive: Archive) -> None:
    archive.ingest(kitchen_sink())
    doc = archive.lineage("ex:run042.dl1", depth=None)
    ids = {r.id for r in doc.records if r.id}
    # the walk: the collection, the activity that made it, its inputs
    assert {"ex:run042.dl1", "ex:calibrate-run042", "ex:run042.dl0.fits", "ex:gain-2024-03"} <= ids
    # agents, descriptions and configuration of what was reached
    assert {"ex:alice", "ex:ctapipe", "ex:ctao", "ex:calibrate-desc", "ex:dl0-desc"} <= ids
    assert {"ex:calibrate-run042_param_threshold", "ex:calibrate-desc_param_threshold"} <= ids
    assert "ex:report042" not in ids  # downstream, not lineage
    kinds = {r.kind for r in doc.records}
    assert {"used", "wasGeneratedBy", "wasDerivedFrom", "wasAssociatedWith", "wasConfiguredBy"} <= kinds
    bare = archive.lineage("ex:run042.dl1", depth=None, agents=False, descriptions=False, configuration=False)
    bare_ids = {r.id for r in bare.records if r.id}
    assert "ex:alice" not in bare_ids and "ex:calibrate-desc" not in bare_ids
    assert "ex:calibrate-run042_param_threshold" not in bare_ids


def test_depth_counts_relations(archive: Archive) -> None:
    archive.ingest(kitchen_sink())
    one = {r.id for r in archive.lineage("ex:report042", depth=1).records if r.id}
    assert "ex:check-run042" in one and "ex:run042.dl1" not in one
    two = {r.id for r in archive.lineage("ex:report042", depth=2).records if r.id}
    assert "ex:run042.dl1" in two
    forth = {r.id for r in archive.lineage("ex:run042.dl0.fits", direction="forth", depth=None).records if r.id}
    assert {"ex:calibrate-run042", "ex:run042.dl1", "ex:report042"} <= forth


def test_bad_lineage_arguments_are_refused(archive: Archive) -> None:
    with pytest.raises(ValueError, match="direction"):
        archive.lineage("ex:x", direction="sideways")
    with pytest.raises(ValueError, match="depth"):
        archive.lineage("ex:x", depth=-1)
    with pytest.raises(ValueError, match="at least one id"):
        archive.lineage([])


def test_get_returns_the_record_with_its_relations(archive: Archive) -> None:
    archive.ingest(kitchen_sink())
    doc = archive.get("ex:calibrate-run042")
    assert doc is not None
    kinds = sorted(r.kind for r in doc.records)
    assert kinds.count("used") == 2 and "wasConfiguredBy" in kinds and "wasInformedBy" in kinds
    assert doc.get("ex:calibrate-run042_param_threshold") is not None
    assert archive.get("ex:nothing-here") is None
