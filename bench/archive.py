"""Archive benchmark: ingest rate and lineage/impact/search latency, SQLite and PostgreSQL.

Builds a CTA-like archive (reference/platform.md §6 at ``--size`` raw files):

* raw files (DL0) and calibration masters (one per 500 raw files);
* one calibrate activity per raw file, using it and 2 masters → calibrated file (DL1);
* one reconstruct per 2 calibrated files → reconstructed file (DL2);
* one event-list build per 5 reconstructed files (+1 random one) → event list (DL3);
* one science analysis per 10 event lists, using 40 random ones → science product.

With ``--size 150000`` that is about 1M used/wasGeneratedBy edges (the DESIGN budget);
the default is smaller so the whole benchmark runs in a few minutes. Every figure is a
median; each is printed next to its peer measured in the same run: plain
``executemany``/``COPY`` of the same rows for ingest, networkx BFS over the same graph in
memory for the walks.

The walks time ours and networkx's in alternation (``--walk-rounds`` rounds of one call
each, the order swapped every round); the CPU ratio is the median of the rounds' ratios.
Each side's ``--runs`` walks back to back follow, as the bench timed them before: there
the same walk again finds its memory in the CPU caches, which helps networkx more than
ours (docs/performance.md, "Walks, fifth round"). networkx's graph is built from the
documents in the order they were made, which keeps each node's neighbours near it in
memory: its best case (built from the archive's edges in key order, the same BFS takes
1.2-1.45x the time).

    .venv/bin/python bench/archive.py [--size N] [--backends sqlite,postgresql] [--pg URL]
        [--runs N] [--walk-rounds N] [--skip-walks]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import networkx as nx

from provarchive.model import Document
from provarchive.store import Archive, open_archive
from provarchive.store.rows import RowMaker
from provarchive.store.schema import SCHEMA, TABLE_BY_NAME
from provarchive.util import paused_gc
from timing import median_times

EX = "http://example.org/cta-bench#"
T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
RAW_PER_CHUNK = 10_000


def _new_doc() -> Document:
    doc = Document(namespaces={"ex": EX})
    doc.use_voprov()
    return doc


def generate(size: int, seed: int = 1) -> Iterator[Document]:
    """The archive as a sequence of documents (one per processing campaign chunk)."""
    rng = random.Random(seed)
    n_cal = max(2, size // 500)
    head = _new_doc()
    steps = {}
    for step, version, level in (
        ("calibrate", "0.19", "DL1"),
        ("reconstruct", "0.19", "DL2"),
        ("select", "1.0", "DL3"),
        ("analyse", "2.1", "DL4"),
    ):
        steps[step] = head.activity_description(f"ex:{step}-{version}", name=step, version=version).id
        head.dataset_description(f"ex:{level}", name=f"{level} files", type=level, content_type="application/fits")
    head.dataset_description("ex:DL0", name="raw files", type="DL0", content_type="application/fits")
    head.agent("ex:pipeline", name="pipeline", type="SoftwareAgent")
    for c in range(n_cal):
        head.entity(f"ex:cal{c}", name=f"calibration master {c}", location=f"/cal/{c}.fits")
    yield head
    event_lists: list[str] = []
    all_dl2: list[str] = []
    for start in range(0, size, RAW_PER_CHUNK):
        doc = _new_doc()
        stop = min(size, start + RAW_PER_CHUNK)
        pending_dl2: list[str] = []
        for r in range(start, stop):
            t = T0 + timedelta(seconds=30 * r)
            raw = doc.entity(
                f"ex:raw{r}",
                location=f"/dl0/{r}.fits",
                description="ex:DL0",
                generated_at_time=t,
                attributes=[("ex:sha256", f"{r:064x}")],
            )
            cal = doc.activity(f"ex:calibrate{r}", t, t + timedelta(seconds=20), description=steps["calibrate"])
            cal.used(raw, role="raw")
            for c in rng.sample(range(n_cal), 2):
                cal.used(f"ex:cal{c}", role="calibration")
            doc.entity(f"ex:dl1_{r}", description="ex:DL1", generated_at_time=t).generated_by(cal)
            if r % 2 == 1:
                rec = doc.activity(f"ex:reconstruct{r}", t, t + timedelta(seconds=20), description=steps["reconstruct"])
                rec.used(f"ex:dl1_{r - 1}")
                rec.used(f"ex:dl1_{r}")
                doc.entity(f"ex:dl2_{r}", description="ex:DL2", generated_at_time=t).generated_by(rec)
                pending_dl2.append(f"ex:dl2_{r}")
                all_dl2.append(f"ex:dl2_{r}")
            if len(pending_dl2) == 5:
                sel = doc.activity(f"ex:select{r}", t, t + timedelta(seconds=20), description=steps["select"])
                extra = rng.choice(all_dl2)  # one more from anywhere earlier (a diamond)
                for dl2 in pending_dl2 + ([extra] if extra not in pending_dl2 else []):
                    sel.used(dl2)
                sel.associated_with("ex:pipeline")
                doc.entity(f"ex:dl3_{r}", description="ex:DL3", generated_at_time=t).generated_by(sel)
                event_lists.append(f"ex:dl3_{r}")
                pending_dl2 = []
                if len(event_lists) % 10 == 0:
                    ana = doc.activity(f"ex:analyse{r}", t, t + timedelta(seconds=60), description=steps["analyse"])
                    for ev in rng.sample(event_lists, min(40, len(event_lists))):
                        ana.used(ev)
                    doc.entity(f"ex:product{r}", description="ex:DL4", generated_at_time=t).generated_by(ana)
        yield doc


def edges_of(doc: Document) -> Iterator[tuple[str, str]]:
    """(child, parent) pairs, as the lineage walk sees them going back."""
    for record in doc.records:
        kind = record.kind
        if kind == "used":
            yield record.activity, record.entity  # type: ignore[attr-defined]
        elif kind == "wasGeneratedBy":
            yield record.entity, record.activity  # type: ignore[attr-defined]


def median_wall_cpu_ms(fn: Callable[[], Any], runs: int) -> tuple[float, float, Any]:
    """Median wall and process CPU time in ms after a warm-up call, and the last result.

    On SQLite the database runs in this process, so CPU time is the cost of the work itself.
    """
    wall, cpu, result = median_times(fn, runs, warm=True)
    return wall * 1000, cpu * 1000, result


def interleaved_cpu_ms(
    ours: Callable[[], Any], peer: Callable[[], Any], rounds: int
) -> tuple[float, float, float, float, float, Any, Any]:
    """Both sides timed in alternation: medians of wall and CPU ms of each, their CPU ratio, the results.

    One untimed call of each first, then ``rounds`` rounds of one call each, the order
    swapped every round. Timing one side's runs after the other's let the load of this
    shared machine differ between the two (the (a) ratio moved between 1.07x and 1.44x
    from run to run at the same code). The ratio is the median of the rounds' own ratios
    (both calls of a round see about the same load), not the ratio of the two medians.
    Both sides run with the same heap and the collector on.
    """
    result, peer_result = ours(), peer()
    walls: tuple[list[float], list[float]] = ([], [])
    cpus: tuple[list[float], list[float]] = ([], [])
    for i in range(max(1, rounds)):
        for side in (0, 1) if i % 2 == 0 else (1, 0):
            c, w = time.process_time(), time.perf_counter()
            if side == 0:
                result = ours()
            else:
                peer_result = peer()
            walls[side].append(time.perf_counter() - w)
            cpus[side].append(time.process_time() - c)
    ratios = [o / p for o, p in zip(cpus[0], cpus[1], strict=True) if p > 0]
    return (
        statistics.median(walls[0]) * 1000,
        statistics.median(cpus[0]) * 1000,
        statistics.median(walls[1]) * 1000,
        statistics.median(cpus[1]) * 1000,
        statistics.median(ratios) if ratios else float("nan"),
        result,
        peer_result,
    )


def server_cpu_s(archive: Archive) -> float | None:
    """CPU seconds used so far by the PostgreSQL server processes serving ``archive``'s database.

    Read from /proc (the server runs on this machine in the bench setup); None when it
    cannot be read. With it the PostgreSQL ingest is charged client and server CPU.
    """
    import os

    with archive.engine.connect() as conn:
        pids = [
            row[0]
            for row in conn.exec_driver_sql("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ]
    total = 0.0
    try:
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
    return total


def peer_insert(archive: Archive, tables: dict[str, list[tuple[Any, ...]]]) -> float:
    """Seconds to put the same rows in with a plain executemany (SQLite) / COPY (PostgreSQL)."""
    backend = archive.backend
    t = time.perf_counter()
    with backend.write() as conn:
        dbapi = backend.dbapi(conn)
        for table, rows in tables.items():
            columns = ", ".join(f'"{c}"' for c in TABLE_BY_NAME[table].column_names)
            if backend.name == "sqlite":
                marks = ", ".join("?" * len(TABLE_BY_NAME[table].columns))
                dbapi.executemany(f"INSERT INTO {SCHEMA}.{table} ({columns}) VALUES ({marks})", rows)
            else:
                with dbapi.cursor().copy(f"COPY {SCHEMA}.{table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
    return time.perf_counter() - t


class Lines(list[str]):
    """Table lines, printed as soon as they are measured (a full run takes minutes)."""

    def append(self, line: str) -> None:
        print(line, flush=True)
        super().append(line)


def bench_backend(
    name: str,
    url: str,
    peer_url: str,
    docs: list[Document],
    graph: nx.DiGraph,
    runs: int,
    walk_rounds: int,
    walks: bool = True,
) -> list[str]:
    lines = Lines()
    archive = open_archive(url)
    peer = open_archive(peer_url)
    records = sum(d.count() for d in docs)
    server_before = server_cpu_s(archive) if name == "PostgreSQL" else None
    c, t = time.process_time(), time.perf_counter()
    for doc in docs:
        archive.ingest(doc)
    ingest_s = time.perf_counter() - t
    ingest_cpu_s = time.process_time() - c
    server_after = server_cpu_s(archive) if server_before is not None else None
    server = ""
    if server_before is not None and server_after is not None:
        server_s = server_after - server_before
        server = (
            f"; server CPU {server_s:.1f} s, client + server {records / (ingest_cpu_s + server_s):,.0f} per CPU-second"
        )
    peer_s = 0.0
    for doc in docs:
        maker = RowMaker()
        tables: dict[str, list[tuple[Any, ...]]] = {}
        with paused_gc():
            for record in doc.records:
                table, row = maker.row(record, "")
                tables.setdefault(table, []).append(row)
        peer_s += peer_insert(peer, tables)
    lines.append(
        f"| {name} | ingest {records:,} records | {records / ingest_s:,.0f} records/s ({ingest_s:.1f} s; "
        f"client CPU {ingest_cpu_s:.1f} s = {records / ingest_cpu_s:,.0f} records per CPU-second{server}) "
        f"| plain {'executemany' if name == 'SQLite' else 'COPY'} of the same rows: {records / peer_s:,.0f} rows/s "
        f"| {ingest_s / peer_s:.2f}× the peer's time |"
    )
    if not walks:
        archive.close()
        peer.close()
        return lines
    if name == "PostgreSQL":
        # the steady state autovacuum reaches after a bulk load (reference/platform.md §6
        # did the same): statistics, and the visibility map that lets index-only scans
        # skip the heap
        with archive.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")

    products = sorted(n for n in graph if n.startswith("ex:product"))
    raws = [f"ex:raw{i}" for i in (0, len([n for n in graph if n.startswith("ex:raw")]) // 2)]
    cal_use = {n: graph.in_degree(n) for n in graph if n.startswith("ex:cal")}
    busiest_cal = max(cal_use, key=cal_use.__getitem__)
    reverse = graph.reverse(copy=False)
    cases = [
        ("(a) ancestors of a science product", products[len(products) // 2], "back", graph),
        ("(b) descendants of a raw file", raws[-1], "forth", reverse),
        ("(c) descendants of the most used calibration file", busiest_cal, "forth", reverse),
    ]
    for label, node, direction, g in cases:
        server_before = server_cpu_s(archive) if name == "PostgreSQL" else None
        # the same work on both sides: from the same id to the set of ids reached
        db_ms, db_cpu, nx_ms, nx_cpu, cpu_ratio, found, want = interleaved_cpu_ms(
            lambda n=node, d=direction: archive.lineage_ids(n, direction=d, depth=None),
            lambda n=node, g=g: nx.descendants(g, n),
            walk_rounds,
        )
        server_after = server_cpu_s(archive) if server_before is not None else None
        server = ""
        if server_before is not None and server_after is not None:
            # /proc counts in clock ticks (10 ms): the mean over the walks (and the warm-up walk)
            server = f", server CPU {(server_after - server_before) * 1000 / (walk_rounds + 1):.1f} mean"
        assert set(found) - {node} == want, f"{label}: the archive and networkx disagree"
        # also each side's walks back to back, as before: the same walk again finds its
        # memory in the CPU caches, which helps networkx's pointer chasing more than ours
        _wall, warm_db_cpu, _found = median_wall_cpu_ms(
            lambda n=node, d=direction: archive.lineage_ids(n, direction=d, depth=None), runs
        )
        _wall, warm_nx_cpu, _want = median_wall_cpu_ms(lambda n=node, g=g: nx.descendants(g, n), runs)
        lines.append(
            f"| {name} | {label}: {len(want):,} nodes | {db_ms:.2f} ms (CPU {db_cpu:.2f}{server}) "
            f"| networkx BFS in memory: {nx_ms:.2f} ms (CPU {nx_cpu:.2f}) "
            f"| {db_ms / nx_ms:.2f}× (CPU {cpu_ratio:.2f}×, median of {walk_rounds} interleaved rounds; "
            f"back to back CPU {warm_db_cpu:.2f} / {warm_nx_cpu:.2f} ms = {warm_db_cpu / warm_nx_cpu:.2f}×) |"
        )
    product = products[len(products) // 2]
    doc_ms, _cpu, doc = median_wall_cpu_ms(lambda: archive.lineage(product, depth=None), max(3, runs // 3))
    lines.append(
        f"| {name} | (a') full lineage Document of that product: {doc.count():,} records | {doc_ms:.1f} ms | — | — |"
    )
    search_ms, _cpu, rows = median_wall_cpu_ms(
        lambda: archive.search(
            type="DL2", description="reconstruct", version="0.19", since=T0 + timedelta(days=1), limit=100
        ),
        runs,
    )
    lines.append(
        f"| {name} | (d) search: DL2 made by reconstruct 0.19 after a date, first 100 | {search_ms:.2f} ms "
        f"| — | {len(rows)} rows |"
    )
    archive.close()
    peer.close()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=30_000, help="raw files (150000 ≈ 1M edges)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--pg",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="PostgreSQL server (scratch databases are created and dropped there)",
    )
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--walk-rounds",
        type=int,
        default=61,
        help="interleaved rounds (one walk of ours, one of networkx) per walk case",
    )
    parser.add_argument("--skip-walks", action="store_true", help="measure the ingest only")
    args = parser.parse_args()

    t = time.perf_counter()
    with paused_gc():
        docs = list(generate(args.size))
    graph = nx.DiGraph()
    for doc in docs:
        graph.add_edges_from(edges_of(doc))
    print(
        f"generated {sum(d.count() for d in docs):,} records, {graph.number_of_edges():,} edges, "
        f"{graph.number_of_nodes():,} nodes in {time.perf_counter() - t:.1f} s"
    )
    print("| backend | what | provarchive (median) | peer, same run | ratio |\n|---|---|---|---|---|", flush=True)
    backends = args.backends.split(",")
    if "sqlite" in backends:
        with tempfile.TemporaryDirectory() as tmp:
            bench_backend(
                "SQLite",
                str(Path(tmp) / "a.db"),
                str(Path(tmp) / "peer.db"),
                docs,
                graph,
                args.runs,
                args.walk_rounds,
                not args.skip_walks,
            )
    if "postgresql" in backends:
        import psycopg

        names = [f"provarchive_bench_{uuid.uuid4().hex[:8]}" for _ in range(2)]
        base = args.pg.rsplit("/", 1)[0]
        with psycopg.connect(args.pg, autocommit=True) as conn:
            for db in names:
                conn.execute(f'CREATE DATABASE "{db}"')
        try:
            bench_backend(
                "PostgreSQL",
                f"{base}/{names[0]}",
                f"{base}/{names[1]}",
                docs,
                graph,
                args.runs,
                args.walk_rounds,
                not args.skip_walks,
            )
        finally:
            with psycopg.connect(args.pg, autocommit=True) as conn:
                for db in names:
                    conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


if __name__ == "__main__":
    main()
