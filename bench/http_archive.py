"""HTTP archive benchmark: ingest over HTTP against direct library ingest, and lineage latency.

A real ``provarchive serve`` (uvicorn, one process) runs on a loopback port with a fresh
archive; the peer is the library in this process on another fresh archive of the same
backend, fed the same bytes (``formats.loads`` + ``Archive.ingest``: the same work the
server does, without HTTP). Figures are medians over ``--repeat`` rounds, each on fresh
archives:

* small documents (one pipeline job each, ~20 records), sent by 1 client and by 4
  concurrent clients: records/s over HTTP vs the library ingesting them one by one;
* large documents (``--large`` records each): records/s, HTTP vs library;
* a lineage request (depth all, PROV-JSON and graph JSON) on the large archive: median
  latency over HTTP vs the same ``Archive.lineage`` + serialisation in process.

    .venv/bin/python bench/http_archive.py [--jobs 300] [--large 20000] [--repeat 3] [--pg URL]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

from provarchive import formats
from provarchive.examples import pipeline
from provarchive.model import Document
from provarchive.store import open_archive

EX = "http://example.org/http-bench#"
T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
PROVARCHIVE = str(Path(sys.executable).parent / "provarchive")


def job_document(job: int, steps: int = 3) -> Document:
    """One pipeline job's provenance (about 20 records), ids unique per job."""
    doc = Document(namespaces={"ex": EX})
    doc.use_voprov()
    agent = doc.agent(f"ex:j{job}.ctapipe", name="ctapipe", type="SoftwareAgent")
    previous = doc.entity(f"ex:j{job}.dl0", name=f"run {job} DL0", location=f"file:///dl0/{job}.fits.fz")
    for step in range(steps):
        start = T0 + timedelta(minutes=job * 30 + step * 5)
        act = doc.activity(f"ex:j{job}.s{step}", start, start + timedelta(minutes=4), name=f"step{step}")
        act.used(previous, role="input", time=start)
        act.associated_with(agent, role="Software")
        act.parameter("threshold", str(step))
        product = doc.entity(f"ex:j{job}.p{step}", name=f"product {step}", location=f"file:///p/{job}/{step}.h5")
        act.generated(product, role="output", time=start + timedelta(minutes=4))
        previous = product
    return doc


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(archive_url: str, data_dir: Path) -> Iterator[str]:
    """A ``provarchive serve`` on ``archive_url``; yields its base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVARCHIVE_")}
    env.update(PROVARCHIVE_DATA_DIR=str(data_dir), PROVARCHIVE_ARCHIVE=archive_url)
    config = data_dir / "provarchive.toml"
    config.write_text("[service]\nmax_upload_bytes = 500000000\n")
    env["PROVARCHIVE_CONFIG"] = str(config)
    with open(data_dir / "server.log", "ab") as log:
        process = subprocess.Popen(
            [PROVARCHIVE, "serve", "--port", str(port), "--log-level", "WARNING"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit((data_dir / "server.log").read_text())
            try:
                if httpx.get(f"{url}/availability", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)


class Backends:
    """Fresh archives on the chosen backend: SQLite files, or new PostgreSQL databases."""

    def __init__(self, pg_admin: str | None, folder: Path) -> None:
        self.pg_admin = pg_admin
        self.folder = folder
        self.made: list[str] = []

    def fresh(self) -> str:
        if self.pg_admin is None:
            return str(self.folder / f"a-{uuid.uuid4().hex[:8]}.db")
        import psycopg

        name = f"provarchive_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.pg_admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        return self.pg_admin.rsplit("/", 1)[0] + "/" + name

    def drop(self) -> None:
        if self.pg_admin is None:
            return
        import psycopg

        with psycopg.connect(self.pg_admin, autocommit=True) as conn:
            for name in self.made:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def post_all(url: str, bodies: list[bytes], clients: int) -> float:
    """Seconds to POST every body with ``clients`` concurrent clients (every answer checked)."""

    def send(part: list[bytes]) -> None:
        with httpx.Client(timeout=600) as session:
            for body in part:
                response = session.post(f"{url}/archive/documents", content=body)
                if response.status_code not in (200, 201):
                    raise SystemExit(f"ingest failed: {response.status_code} {response.text[:500]}")

    parts = [bodies[i::clients] for i in range(clients)]
    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(send, parts))
    return time.perf_counter() - start


def direct_all(archive_url: str, bodies: list[bytes]) -> float:
    """Seconds for the library to read and ingest every body, one transaction each."""
    with open_archive(archive_url) as archive:
        start = time.perf_counter()
        for body in bodies:
            archive.ingest(formats.loads(body, "PROV-JSON"))
        return time.perf_counter() - start


def median_of(values: list[float]) -> float:
    return statistics.median(values)


def timed(call: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure_lineage(url: str, archive_url: str, requests: int) -> tuple[float, float, float, int]:
    """Median seconds of a depth=all lineage over HTTP (PROV-JSON, graph) and in process; its size."""
    product = "x0:map9.fits"  # a sky map: 10 runs of calibrate, reconstruct, select behind it
    params = {"id": product, "depth": "all"}
    graph = {**params, "format": "graph"}
    with httpx.Client(timeout=60) as session:
        session.get(f"{url}/archive/lineage", params=params).raise_for_status()  # warm
        http_s = timed(lambda: session.get(f"{url}/archive/lineage", params=params), requests)
        graph_s = timed(lambda: session.get(f"{url}/archive/lineage", params=graph), requests)
    with open_archive(archive_url) as archive:
        lib_s = timed(lambda: formats.dumps(archive.lineage(product, depth=None), "PROV-JSON"), requests)
        size = len(archive.lineage(product, depth=None).records)
    return http_s, graph_s, lib_s, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=300, help="small documents per round")
    parser.add_argument("--large", type=int, default=20_000, help="records per large document")
    parser.add_argument("--large-count", type=int, default=3, help="large documents per round")
    parser.add_argument("--repeat", type=int, default=3, help="rounds (medians are printed)")
    parser.add_argument("--lineage-requests", type=int, default=100)
    parser.add_argument(
        "--pg", default=None, help="PostgreSQL admin URL, e.g. postgresql://postgres@127.0.0.1/postgres"
    )
    args = parser.parse_args()

    small_docs = [job_document(j) for j in range(args.jobs)]
    small = [formats.dumps(d, "PROV-JSON") for d in small_docs]
    small_records = sum(d.count() for d in small_docs)
    large_doc = pipeline(args.large)
    large_one = formats.dumps(large_doc, "PROV-JSON")
    # distinct large documents: the same shape under another prefix and URI each (no shared ids)
    large = [
        large_one.replace(b'"ex:', f'"x{i}:'.encode())
        .replace(b'"ex"', f'"x{i}"'.encode())
        .replace(b"http://example.org/cta#", f"http://example.org/cta{i}#".encode())
        for i in range(args.large_count)
    ]
    large_records = large_doc.count() * args.large_count

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        backends = Backends(args.pg, folder)
        rows: dict[str, list[float]] = {k: [] for k in ("http1", "http4", "lib_small", "http_large", "lib_large")}
        lineage_http: list[float] = []
        graph_http: list[float] = []
        lineage_lib: list[float] = []
        try:
            for round_number in range(args.repeat):
                rows["lib_small"].append(small_records / direct_all(backends.fresh(), small))
                rows["lib_large"].append(large_records / direct_all(backends.fresh(), large))
                for clients, key in ((1, "http1"), (4, "http4")):
                    data_dir = folder / f"srv-{round_number}-{clients}"
                    data_dir.mkdir()
                    with server(backends.fresh(), data_dir) as url:
                        rows[key].append(small_records / post_all(url, small, clients))
                data_dir = folder / f"srv-{round_number}-large"
                data_dir.mkdir()
                archive_url = backends.fresh()
                with server(archive_url, data_dir) as url:
                    rows["http_large"].append(large_records / post_all(url, large, 1))
                    http_s, graph_s, lib_s, size = measure_lineage(url, archive_url, args.lineage_requests)
                lineage_http.append(http_s)
                graph_http.append(graph_s)
                lineage_lib.append(lib_s)
        finally:
            backends.drop()

    backend = "PostgreSQL" if args.pg else "SQLite"
    print(f"HTTP archive benchmark ({backend}; medians of {args.repeat} rounds, fresh archives each round)")
    print(f"{'measure':58} {'HTTP':>12} {'library':>12} {'ratio':>7}")

    def line(label: str, http: float, lib: float, unit: str) -> None:
        print(f"{label:58} {http:>10,.0f}{unit} {lib:>10,.0f}{unit} {http / lib:>7.2f}")

    small_label = f"ingest {args.jobs} job documents (~{small_records // args.jobs} records), records/s"
    line(small_label + ", 1 client", median_of(rows["http1"]), median_of(rows["lib_small"]), "/s")
    line(small_label + ", 4 clients", median_of(rows["http4"]), median_of(rows["lib_small"]), "/s")
    line(
        f"ingest {args.large_count} documents of {large_records // args.large_count} records, records/s",
        median_of(rows["http_large"]),
        median_of(rows["lib_large"]),
        "/s",
    )
    http_ms = median_of(lineage_http) * 1000
    lib_ms = median_of(lineage_lib) * 1000
    label = f"lineage depth=all ({size} records) as PROV-JSON, ms"
    print(f"{label:58} {http_ms:>11.1f}  {lib_ms:>11.1f}  {http_ms / lib_ms:>7.2f}")
    graph_ms = median_of(graph_http) * 1000
    print(f"{f'lineage depth=all ({size} records) as graph JSON, ms':58} {graph_ms:>11.1f}  {'':>11}  {'':>7}")


if __name__ == "__main__":
    main()
