"""Benchmark: ADQL lineage functions on ~1M edges (SQLite and PostgreSQL) against networkx.

The graph is the CTA-like DAG of docs/performance.md and reference/platform.md §6:
raw files and calibration masters → calibrate → reconstruct → event lists → science
products. It is stored in the archive's table shapes: ``provenance.used(activity,
entity)`` and ``provenance.wasgeneratedby(entity, activity)``, each with both covering
indexes, plus ``provenance.entity(id, bundle_id)`` keyed as in the store. The peer is
networkx on the same edges, in memory (``nx.ancestors`` / ``nx.descendants``, then keeping
the entities). Translation time is compared with a bare ``sqlglot.transpile`` of the same
text, the floor for any sqlglot-based translator.

Run ``.venv/bin/python bench/adql.py [--scale 1.0] [--no-postgres]``. It prints medians
and ratios.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import sqlglot

from provarchive.adql import Catalogue, open_sqlite_readonly, run_postgres, run_sqlite, translate
from provarchive.adql.dialect import ADQL
from timing import median_times

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
REPEAT = 7


def build_edges(
    scale: float, seed: int = 7
) -> tuple[list[str], list[str], list[tuple[str, str]], list[tuple[str, str]]]:
    """Entities, activities, used (activity, entity) and generated (entity, activity) rows."""
    rng = random.Random(seed)
    n_raw, n_reco, n_events, n_products = (int(x * scale) for x in (150_000, 75_000, 15_000, 1_500))
    masters = [f"master{j}" for j in range(300)]
    entities, activities = [f"raw{i}" for i in range(n_raw)] + masters, []
    used: list[tuple[str, str]] = []
    generated: list[tuple[str, str]] = []

    def step(kind: str, i: int, inputs: list[str], output: str) -> None:
        activity = f"{kind}{i}"
        activities.append(activity)
        used.extend((activity, entity) for entity in inputs)
        generated.append((output, activity))
        entities.append(output)

    for i in range(n_raw):
        step("calibrate", i, [f"raw{i}", *rng.sample(masters, 2)], f"cal{i}")
    for i in range(n_reco):
        step("reconstruct", i, [f"cal{2 * i}", f"cal{2 * i + 1}"], f"reco{i}")
    for i in range(n_events):
        inputs = [f"reco{5 * i + k}" for k in range(5) if 5 * i + k < n_reco] + [f"reco{rng.randrange(n_reco)}"]
        step("events", i, inputs, f"ev{i}")
    for i in range(n_products):
        step("analysis", i, [f"ev{rng.randrange(n_events)}" for _ in range(40)], f"product{i}")
    return entities, activities, used, generated


CATALOGUE = Catalogue(
    tables={
        "provenance.entity": {"id": "TEXT", "bundle_id": "TEXT"},
        "provenance.activity": {"id": "TEXT", "bundle_id": "TEXT"},
        "provenance.used": {"activity": "TEXT", "entity": "TEXT"},
        "provenance.wasgeneratedby": {"entity": "TEXT", "activity": "TEXT"},
    }
)

DDL = [
    "CREATE TABLE {p}entity (id TEXT NOT NULL, bundle_id TEXT NOT NULL, PRIMARY KEY (id, bundle_id))",
    "CREATE TABLE {p}activity (id TEXT NOT NULL, bundle_id TEXT NOT NULL, PRIMARY KEY (id, bundle_id))",
    "CREATE TABLE {p}used (activity TEXT NOT NULL, entity TEXT NOT NULL)",
    "CREATE TABLE {p}wasgeneratedby (entity TEXT NOT NULL, activity TEXT NOT NULL)",
]
INDEXES = [
    ("used", "activity", "entity"),
    ("used", "entity", "activity"),
    ("wasgeneratedby", "entity", "activity"),
    ("wasgeneratedby", "activity", "entity"),
]


def load_sqlite(directory: Path, data: tuple[Any, ...]) -> tuple[Path, dict[str, Path]]:
    entities, activities, used, generated = data
    main, attached = directory / "archive.db", {"provenance": directory / "archive.provenance.db"}
    conn = sqlite3.connect(main)
    conn.execute("ATTACH DATABASE ? AS provenance", (str(attached["provenance"]),))
    for statement in DDL:
        conn.execute(
            statement.format(p="provenance.").replace("PRIMARY KEY", "PRIMARY KEY") + " WITHOUT ROWID"
            if "PRIMARY KEY" in statement
            else statement.format(p="provenance.")
        )
    conn.executemany("INSERT INTO provenance.entity VALUES (?, '')", ((e,) for e in entities))
    conn.executemany("INSERT INTO provenance.activity VALUES (?, '')", ((a,) for a in activities))
    conn.executemany("INSERT INTO provenance.used VALUES (?, ?)", used)
    conn.executemany("INSERT INTO provenance.wasgeneratedby VALUES (?, ?)", generated)
    for table, a, b in INDEXES:
        conn.execute(f"CREATE INDEX provenance.ix_{table}_{a}_{b} ON {table} ({a}, {b})")
    conn.execute("ANALYZE provenance")
    conn.commit()
    conn.close()
    return main, attached


def load_postgres(url: str, data: tuple[Any, ...]) -> None:
    import psycopg

    entities, activities, used, generated = data
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA provenance")
        for statement in DDL:
            conn.execute(statement.format(p="provenance."))
        with conn.cursor() as cursor:
            for table, rows in (
                ("entity", ((e, "") for e in entities)),
                ("activity", ((a, "") for a in activities)),
                ("used", used),
                ("wasgeneratedby", generated),
            ):
                with cursor.copy(f"COPY provenance.{table} FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        for table, a, b in INDEXES:
            conn.execute(f"CREATE INDEX ix_{table}_{a}_{b} ON provenance.{table} ({a}, {b})")
        conn.execute("VACUUM ANALYZE")


def median_ms(work: Callable[[], object], repeat: int = REPEAT) -> float:
    """Median wall milliseconds of ``repeat`` calls after a warm-up call."""
    return median_times(work, repeat, warm=True)[0] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 gives about 1M edges")
    parser.add_argument("--no-postgres", action="store_true")
    options = parser.parse_args()

    data = build_edges(options.scale)
    entities, activities, used, generated = data
    entity_set = set(entities)
    graph = nx.DiGraph()
    graph.add_edges_from((e, a) for a, e in used)  # entity → activity that used it
    graph.add_edges_from((a, e) for e, a in generated)  # activity → entity it generated
    print(f"graph: {len(entities) + len(activities):,} nodes, {len(used) + len(generated):,} edges")

    questions = {
        "ancestors of a science product": ("pa_is_ancestor(e.id, 'product7')", lambda: nx.ancestors(graph, "product7")),
        "descendants of a calibration master": (
            "pa_is_descendant(e.id, 'master3')",
            lambda: nx.descendants(graph, "master3"),
        ),
        "descendants of a raw file": ("pa_is_descendant(e.id, 'raw11')", lambda: nx.descendants(graph, "raw11")),
    }

    with tempfile.TemporaryDirectory() as tmp:
        main_path, attached = load_sqlite(Path(tmp), data)
        sqlite_conn = open_sqlite_readonly(main_path, attached)
        pg_conn, pg_name = None, None
        if not options.no_postgres:
            import psycopg

            pg_name = f"provarchive_bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{pg_name}"')
            url = f"{ADMIN_URL.rsplit('/', 1)[0]}/{pg_name}"
            load_postgres(url, data)
            pg_conn = psycopg.connect(url, autocommit=True)
        try:
            header = f"{'question':<38} {'rows':>6} {'networkx':>9} {'SQLite':>9} {'ratio':>6} {'PG':>9} {'ratio':>6}"
            print(header)
            for label, (condition, peer) in questions.items():
                adql = f"SELECT e.id FROM provenance.entity AS e WHERE {condition} = 1"
                expected = len(peer() & entity_set)
                peer_ms = median_ms(lambda peer=peer: len(peer() & entity_set))
                lite = translate(adql, "sqlite", CATALOGUE)
                rows = run_sqlite(sqlite_conn, lite, timeout=60).rows
                assert len(rows) == expected, (label, len(rows), expected)
                lite_ms = median_ms(lambda lite=lite: run_sqlite(sqlite_conn, lite, timeout=60))
                pg_cell, pg_ratio = "—", "—"
                if pg_conn is not None:
                    pg = translate(adql, "postgres", CATALOGUE)
                    assert len(run_postgres(pg_conn, pg, timeout=60).rows) == expected
                    pg_ms = median_ms(lambda pg=pg: run_postgres(pg_conn, pg, timeout=60))
                    pg_cell, pg_ratio = f"{pg_ms:.2f}", f"{pg_ms / peer_ms:.2f}"
                print(
                    f"{label:<38} {expected:>6} {peer_ms:>9.2f} {lite_ms:>9.2f} {lite_ms / peer_ms:>6.2f} "
                    f"{pg_cell:>9} {pg_ratio:>6}"
                )
        finally:
            sqlite_conn.close()
            if pg_conn is not None:
                pg_conn.close()
                import psycopg

                with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')

    adql = (
        "SELECT TOP 100 e.id, e.bundle_id FROM provenance.entity AS e JOIN provenance.wasgeneratedby AS g "
        "ON g.entity = e.id WHERE pa_is_ancestor(e.id, 'product7', 6) = 1 ORDER BY e.id"
    )
    ours = median_ms(lambda: translate(adql, "postgres", CATALOGUE, maxrec=1000), repeat=21)
    bare = median_ms(lambda: sqlglot.transpile(adql, read=ADQL, write="postgres"), repeat=21)
    print(
        f"translate (guard + qualify + UDF expansion): {ours:.2f} ms; bare sqlglot.transpile: {bare:.2f} ms; "
        f"ratio {ours / bare:.1f}"
    )


if __name__ == "__main__":
    main()
