"""``lineage_edge``: the derived lineage graph equals what the relation tables say, always.

It is written by ingest in the document's transaction and filled by migration 0002 on
archives made before it; the walks read only it, so any drift would silently change
lineage answers.
"""

from __future__ import annotations

import networkx as nx
import pytest
from sqlalchemy import text

from provarchive.examples import kitchen_sink, pipeline
from provarchive.model import Document
from provarchive.store import Archive, ConflictError, open_archive
from provarchive.store.migrate import HEAD_REVISION, current_revision
from provarchive.store.schema import LINEAGE_SOURCES, SCHEMA


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
