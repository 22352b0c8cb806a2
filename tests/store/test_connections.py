"""How walks use their connection: alone in autocommit on PostgreSQL, inside a caller's
transaction when there is one, and on a pooled connection checked before use."""

from __future__ import annotations

import psycopg
from sqlalchemy import text

from provarchive.model import Document, WasDerivedFrom
from provarchive.store import Archive, lineage, open_archive
from provarchive.store.schema import SCHEMA
from tests.conftest import PG_ADMIN_URL

EX = "http://example.org/conn#"


def chain(archive: Archive) -> None:
    doc = Document(namespaces={"ex": EX})
    doc.add(WasDerivedFrom("ex:product", "ex:middle"))
    doc.add(WasDerivedFrom("ex:middle", "ex:source"))
    archive.ingest(doc)


def test_a_walk_alone_leaves_no_transaction_and_one_in_a_transaction_reads_it(archive: Archive) -> None:
    chain(archive)
    backend = archive.backend
    with archive.engine.connect() as conn:
        assert lineage.walk(backend, conn, ["ex:product"]) == dict.fromkeys(["ex:product", "ex:middle", "ex:source"])
        assert not conn.in_transaction()
        if backend.name == "postgresql":
            driver = backend.dbapi(conn)
            assert driver.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
            assert not driver.autocommit, "the connection goes back to the pool as it came"
    with archive.engine.connect() as conn:
        transaction = conn.begin()
        # an edge only this transaction sees: the walk must run inside it
        conn.execute(
            text(
                f"INSERT INTO {SCHEMA}.lineage_edge (child, parent, parent_has_parents, child_has_children) "
                "VALUES ('ex:source', 'ex:origin', 0, 1)"
            )
        )
        conn.execute(text(f"UPDATE {SCHEMA}.lineage_edge SET parent_has_parents = 1 WHERE parent = 'ex:source'"))
        assert "ex:origin" in lineage.walk(backend, conn, ["ex:product"])
        assert conn.in_transaction()
        transaction.rollback()
    assert "ex:origin" not in archive.lineage_ids("ex:product")


def test_a_lost_connection_is_replaced_before_a_walk(fresh_postgres_url: str) -> None:
    """The server ends the archive's pooled connections (a restart): the next walk still answers."""
    with open_archive(fresh_postgres_url) as archive:
        chain(archive)
        want = archive.lineage_ids("ex:product")
        name = fresh_postgres_url.rsplit("/", 1)[1]
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            ended = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s", (name,)
            ).fetchone()
        assert ended is not None and ended[0] >= 1
        assert archive.lineage_ids("ex:product") == want
        assert archive.lineage_ids("ex:source", direction="forth") == dict.fromkeys(
            ["ex:source", "ex:middle", "ex:product"]
        )
