"""``lineage_edge``: the derived lineage graph equals what the relation tables say, always.

It is written by ingest in the document's transaction and filled by migrations 0002
and 0003 on archives made before them; the walks read only it, so any drift would
silently change lineage answers. Its flags (``parent_has_parents``,
``child_has_children``) let a walk skip probing a node with nothing beyond it: a flag
left at 0 when a later document gives the node edges would cut walks short.
"""

from __future__ import annotations

import itertools
import threading

import networkx as nx
import pytest
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, text

from provarchive.examples import kitchen_sink, pipeline
from provarchive.model import Document, Used, WasDerivedFrom, WasGeneratedBy, WasInformedBy
from provarchive.store import Archive, ConflictError, open_archive
from provarchive.store.ingest import _add_lineage_edges, _rows_by_table
from provarchive.store.migrate import HEAD_REVISION, _alembic_config, current_revision
from provarchive.store.schema import LINEAGE_SOURCES, SCHEMA

from .test_lineage import expected

EX = "http://example.org/flags#"
_graph_numbers = itertools.count()


def stored_edges(archive: Archive) -> set[tuple[str, str]]:
    with archive.engine.connect() as conn:
        return {(c, p) for c, p in conn.execute(text(f"SELECT child, parent FROM {SCHEMA}.lineage_edge"))}


def relation_edges(archive: Archive) -> set[tuple[str, str]]:
    """The edges computed from the relation tables themselves (every bundle)."""
    union = " UNION ".join(
        f"SELECT {child}, {parent} FROM {SCHEMA}.{table} WHERE {parent} IS NOT NULL"
        for table, (child, parent) in LINEAGE_SOURCES.items()
    )
    with archive.engine.connect() as conn:
        return {(c, p) for c, p in conn.execute(text(union))}


def test_ingest_keeps_the_edges_equal_to_the_relations(archive: Archive) -> None:
    doc = pipeline(300)
    archive.ingest(doc)
    first = stored_edges(archive)
    assert first and first == relation_edges(archive)
    archive.ingest(doc)  # idempotent: the same document adds no edge
    assert stored_edges(archive) == first
    archive.ingest(kitchen_sink(), merge=True)  # bundles, derivations, informs, a used without entity
    assert stored_edges(archive) == relation_edges(archive)
    assert ("ex:run042.dl1", "ex:calibrate-run042") in stored_edges(archive)


def test_a_refused_document_adds_no_edge(archive: Archive) -> None:
    archive.ingest(kitchen_sink())
    before = stored_edges(archive)
    doc = Document(namespaces=kitchen_sink().namespaces)
    act = doc.activity("ex:new-activity")
    act.used("ex:new-input")
    doc.entity("ex:run042.dl1", name="a different name")  # conflicts with the stored record
    with pytest.raises(ConflictError, match="ex:run042.dl1"):
        archive.ingest(doc)
    assert stored_edges(archive) == before


def test_upgrade_from_0001_fills_the_edges(archive_url: str) -> None:
    """An archive made at revision 0001 (no lineage_edge) gets the table filled on opening."""
    doc = pipeline(200)
    with open_archive(archive_url) as archive:
        archive.ingest(doc)
        archive.ingest(kitchen_sink(), merge=True)
        want = relation_edges(archive)
        graph = nx.DiGraph(list(want))
        # back to the 0001 schema: the same tables without lineage_edge
        with archive.backend.write() as conn:
            conn.execute(text(f"DROP TABLE {SCHEMA}.lineage_edge"))
            conn.execute(text(f"UPDATE {SCHEMA}.alembic_version SET version_num = '0001'"))
    with open_archive(archive_url) as archive:
        with archive.engine.connect() as conn:
            assert current_revision(conn) == HEAD_REVISION
        assert stored_edges(archive) == want
        product = next(n for n in graph if graph.in_degree(n) == 0 and graph.out_degree(n) > 0)
        assert set(archive.lineage_ids(product, depth=None)) == {product} | nx.descendants(graph, product)


def wrong_flags(archive: Archive) -> list[tuple[str, str, int, int]]:
    """Edges whose flags disagree with the edges stored (none, when ingest is right)."""
    with archive.engine.connect() as conn:
        rows = [
            (c, p, int(pp), int(cc))
            for c, p, pp, cc in conn.execute(
                text(f"SELECT child, parent, parent_has_parents, child_has_children FROM {SCHEMA}.lineage_edge")
            )
        ]
    children = {c for c, _p, _pp, _cc in rows}
    parents = {p for _c, p, _pp, _cc in rows}
    return [row for row in rows if row[2] != int(row[1] in children) or row[3] != int(row[0] in parents)]


def assert_walks_match(archive: Archive, graph: nx.DiGraph, nodes: list[str]) -> None:
    """Every walk from ``nodes`` (both ways, all depths that matter) agrees with networkx."""
    for node, direction, depth in itertools.product(nodes, ("back", "forth"), (None, 1, 2, 4)):
        g = graph.copy()
        g.add_node(node)
        got = archive.lineage_ids(node, direction=direction, depth=depth)
        want = expected(g, node, direction, depth)
        assert set(got) == set(want), (node, direction, depth)
        if depth is not None:
            assert got == want, (node, direction, depth)


def test_flags_follow_every_ingest(archive: Archive) -> None:
    doc = pipeline(300)
    archive.ingest(doc)
    assert wrong_flags(archive) == []
    archive.ingest(doc)
    archive.ingest(kitchen_sink(), merge=True)
    assert wrong_flags(archive) == []


def test_a_former_root_and_a_former_leaf_are_walked_past(archive: Archive) -> None:
    """Raw file and product stored first; a later document gives the raw file a parent and
    the product a child: walks from either end must now go through them."""
    first = Document(namespaces={"ex": EX})
    first.add(Used("ex:calibrate", "ex:raw"))
    first.add(WasGeneratedBy("ex:product", "ex:calibrate"))
    archive.ingest(first)
    assert archive.lineage_ids("ex:product") == dict.fromkeys(["ex:product", "ex:calibrate", "ex:raw"])
    second = Document(namespaces={"ex": EX})
    second.add(WasGeneratedBy("ex:raw", "ex:observe"))
    second.add(WasInformedBy("ex:observe", "ex:schedule"))
    second.add(Used("ex:analyse", "ex:product"))
    second.add(WasDerivedFrom("ex:paper", "ex:product"))
    archive.ingest(second)
    assert wrong_flags(archive) == []
    chain = ["ex:paper", "ex:product", "ex:calibrate", "ex:raw", "ex:observe", "ex:schedule"]
    assert set(archive.lineage_ids("ex:paper")) == set(chain)
    assert set(archive.lineage_ids("ex:schedule", direction="forth")) == set(chain[1:]) | {"ex:analyse", "ex:paper"}
    assert archive.lineage_ids("ex:product", depth=3) == {
        "ex:product": 0,
        "ex:calibrate": 1,
        "ex:raw": 2,
        "ex:observe": 3,
    }


edge_lists = st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), min_size=1, max_size=24)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edges=edge_lists, parts=st.integers(1, 4), data=st.data())
def test_documents_in_any_order_give_the_flags_and_walks_of_the_whole_graph(
    archive: Archive, edges: list[tuple[int, int]], parts: int, data: st.DataObject
) -> None:
    """The edges of one graph (cycles, diamonds, self-loops) cut into documents ingested in
    any order, one of them twice and the whole again with merge: the flags are those of
    the whole graph after every ingest, and every walk agrees with networkx."""
    tag = f"o{next(_graph_numbers)}_"
    node = [f"ex:{tag}n{i}" for i in range(12)]
    docs = [Document(namespaces={"ex": EX}) for _ in range(parts)]
    whole = Document(namespaces={"ex": EX})
    graph = nx.DiGraph()
    for child, parent in edges:
        # entity derived from entity: the one relation whose two ends may be any node
        relation = WasDerivedFrom(node[child], node[parent])
        docs[data.draw(st.integers(0, parts - 1))].add(relation)
        whole.add(relation)
        graph.add_edge(node[child], node[parent])
    order = data.draw(st.permutations(range(parts)))
    for i in [*order, order[0]]:
        archive.ingest(docs[i])
        assert wrong_flags(archive) == []
    archive.ingest(whole, merge=True)
    assert wrong_flags(archive) == []
    assert_walks_match(archive, graph, [n for n in node if n in graph][:4])


def test_an_ingest_waits_for_the_flags_of_another(archive: Archive) -> None:
    """Two ingests at once: one gives a node a parent while the other gives it a child.

    The second must read the first's edges once it commits (PostgreSQL: the advisory lock
    of the lineage step; SQLite: the write lock), else its new edge into the node keeps
    a flag of 0 and walks stop there.
    """
    first = Document(namespaces={"ex": EX})
    first.add(WasDerivedFrom("ex:middle", "ex:source"))
    second = Document(namespaces={"ex": EX})
    second.add(WasDerivedFrom("ex:product", "ex:middle"))
    archive.ingest(Document(namespaces={"ex": EX}))  # the namespace, so the second ingest need not wait for it
    errors: list[BaseException] = []

    def ingest_second() -> None:
        try:
            archive.ingest(second)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    worker = threading.Thread(target=ingest_second)
    with archive.backend.write() as conn:
        tables, _result = _rows_by_table([("", r) for r in first.records])
        _add_lineage_edges(archive.backend, conn, tables)
        worker.start()
        worker.join(0.5)  # the second ingest gets as far as it can meanwhile
    worker.join()
    assert errors == []
    assert wrong_flags(archive) == []
    assert set(archive.lineage_ids("ex:product")) == {"ex:product", "ex:middle", "ex:source"}


def test_upgrade_from_0002_sets_the_flags(archive_url: str) -> None:
    """An archive at revision 0002 (edges without flags) gets them on opening."""
    with open_archive(archive_url) as archive:
        archive.ingest(pipeline(200))
        archive.ingest(kitchen_sink(), merge=True)
        archive.ingest(pipeline(120, seed=3), merge=True)
        want = stored_edges(archive)
        with archive.backend.write() as conn:
            command.downgrade(_alembic_config(conn), "0002")
        with archive.engine.connect() as conn:
            assert current_revision(conn) == "0002"
            columns = {c["name"] for c in inspect(conn).get_columns("lineage_edge", schema=SCHEMA)}
        assert columns == {"child", "parent"}
        assert stored_edges(archive) == want
    with open_archive(archive_url) as archive:
        with archive.engine.connect() as conn:
            assert current_revision(conn) == HEAD_REVISION
        assert stored_edges(archive) == want
        assert wrong_flags(archive) == []
        graph = nx.DiGraph(list(want))
        ends = [n for n in graph if graph.in_degree(n) == 0][:2] + [n for n in graph if graph.out_degree(n) == 0][:2]
        assert_walks_match(archive, graph, ends)
