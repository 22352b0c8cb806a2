"""VO services benchmark: ProvSAP and ProvTAP latency over HTTP, SQLite and PostgreSQL.

Builds the CTA-like archive of ``bench/archive.py`` (``--size`` raw files; 100000 gives
about 1M records), starts a real ``provarchive serve`` on it, and measures medians of:

* ProvSAP: the whole back-lineage of a science product (``DEPTH=ALL``, PROV-JSON);
* TAP sync: ``TOP 1000`` from entity; a three-table join; a lineage UDF (``pa_is_ancestor``).

DaCHS, the peer named in DESIGN.md, is not installable here (reference/platform.md §4),
so each figure is printed next to the same work done without the service in the same
run: ``Archive.lineage`` + the PROV-JSON writer for ProvSAP, and the translated SQL run
directly by the database driver for the ADQL queries. The ratio is the cost of the
protocol layer (HTTP, parameter checks, guard, translation, VOTable writing).

    .venv/bin/python bench/tap.py [--size N] [--backends sqlite,postgresql] [--runs 15]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from provarchive.adql import translate
from provarchive.formats import dumps, loads
from provarchive.store import open_archive
from provarchive.web.tap_schema import build_tap_metadata
from timing import median_times

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
HERE = Path(__file__).resolve().parent


def _archive_bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench_archive", HERE / "archive.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def median_ms(fn: Callable[[], Any], runs: int) -> float:
    """Median wall milliseconds of ``runs`` calls after a warm-up call (caches and connections)."""
    return median_times(fn, runs, warm=True)[0] * 1000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(data_dir: Path, archive_url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    config = data_dir / "provarchive.toml"
    config.write_text(f'[archive]\nurl = "{archive_url}"\n[tap]\nsync_timeout_s = 120.0\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVARCHIVE_")}
    env.update(PROVARCHIVE_DATA_DIR=str(data_dir), PROVARCHIVE_CONFIG=str(config))
    executable = str(Path(sys.executable).parent / "provarchive")
    log = open(data_dir / "server.log", "wb")  # noqa: SIM115 - kept open for the server's life
    process = subprocess.Popen([executable, "serve", "--port", str(port)], env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/tap/availability", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError((data_dir / "server.log").read_text())


def direct_runner(name: str, archive_url: str, sqlite_paths: tuple[Path, Path] | None) -> Callable[[str], int]:
    """The peer for ADQL: the translated SQL run by the driver on a plain connection."""
    if name == "sqlite":
        assert sqlite_paths is not None
        connection = sqlite3.connect(sqlite_paths[0], check_same_thread=False)
        connection.execute("ATTACH DATABASE ? AS provenance", (str(sqlite_paths[1]),))

        def run_sqlite(sql: str) -> int:
            return len(connection.execute(sql).fetchall())

        return run_sqlite
    import psycopg

    pg = psycopg.connect(archive_url, autocommit=True)

    def run_pg(sql: str) -> int:
        return len(pg.execute(sql).fetchall())

    return run_pg


def bench_backend(name: str, size: int, runs: int, workdir: Path) -> list[str]:
    generator = _archive_bench()
    docs = list(generator.generate(size))
    records = sum(d.count() for d in docs)
    created_db = None
    if name == "sqlite":
        archive_url = str(workdir / "archive.db")
    else:
        import psycopg

        created_db = f"provarchive_bench_tap_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{created_db}"')
        archive_url = PG_ADMIN.rsplit("/", 1)[0] + f"/{created_db}"
    archive = open_archive(archive_url)
    for doc in docs:
        archive.ingest(doc)
    if name == "postgresql":
        with archive.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    products = sorted(r.id for d in docs for r in d.records if (getattr(r, "id", None) or "").startswith("ex:product"))
    product = products[len(products) // 2]
    process, url = start_server(workdir, archive_url)
    lines = [f"| {name} | {records:,} records in the archive | | | |"]
    try:
        client = httpx.Client(timeout=300)
        sap_params = {"ID": product, "DEPTH": "ALL"}
        sap_ms = median_ms(lambda: client.get(f"{url}/provsap", params=sap_params).raise_for_status(), runs)
        size_records = archive.lineage(product, depth=None).count()
        served = loads(client.get(f"{url}/provsap", params=sap_params).content, "PROV-JSON").count()
        if served != size_records:  # the service must have done the same work
            raise RuntimeError(f"ProvSAP returned {served} records, the archive {size_records}")
        store_ms = median_ms(lambda: dumps(archive.lineage(product, depth=None), "PROV-JSON"), runs)
        lines.append(
            f"| {name} | ProvSAP back-lineage of a science product ({size_records:,} records, PROV-JSON) "
            f"| {sap_ms:.1f} ms | Archive.lineage + PROV-JSON writer: {store_ms:.1f} ms | {sap_ms / store_ms:.2f}× |"
        )
        catalogue = build_tap_metadata().catalogue()
        sqlite_paths = None
        if name == "sqlite":
            from provarchive.store.engine import provenance_file

            sqlite_paths = (Path(archive_url), provenance_file(Path(archive_url)))
        direct = direct_runner(name, archive_url, sqlite_paths)
        queries = [
            ("TOP 1000 from entity", "SELECT TOP 1000 id, name, location, generated_at_time FROM provenance.entity"),
            (
                "join entity–wasgeneratedby–activity–description, TOP 1000",
                "SELECT TOP 1000 e.id, a.id AS activity, d.version FROM provenance.entity AS e "
                "JOIN provenance.wasgeneratedby AS g ON g.entity = e.id "
                "JOIN provenance.activity AS a ON a.id = g.activity "
                "JOIN provenance.activitydescription AS d ON d.id = a.description WHERE d.version = '0.19'",
            ),
            (
                "lineage UDF: entities upstream of a science product",
                f"SELECT e.id FROM provenance.entity AS e WHERE pa_is_ancestor(e.id, '{product}') = 1",
            ),
        ]
        dialect = "sqlite" if name == "sqlite" else "postgres"
        for label, adql in queries:
            params = {"LANG": "ADQL", "QUERY": adql}
            http_ms = median_ms(lambda p=params: client.get(f"{url}/tap/sync", params=p).raise_for_status(), runs)
            sql = translate(adql, dialect, catalogue, maxrec=10000).sql
            rows = direct(sql)
            sql_ms = median_ms(lambda s=sql: direct(s), runs)
            lines.append(
                f"| {name} | TAP sync: {label} ({rows:,} rows, VOTable) | {http_ms:.1f} ms "
                f"| translated SQL run directly: {sql_ms:.1f} ms | {http_ms / sql_ms:.2f}× |"
            )
        client.close()
    finally:
        process.terminate()
        process.wait(20)
        archive.close()
        if created_db:
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{created_db}" WITH (FORCE)')
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000, help="raw files (100000 ≈ 1M records)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    print("| backend | what | service (HTTP, median) | same work without the service (median) | ratio |")
    print("|---|---|---|---|---|")
    for name in args.backends.split(","):
        with tempfile.TemporaryDirectory(prefix="bench-tap-") as folder:
            for line in bench_backend(name.strip(), args.size, args.runs, Path(folder)):
                print(line, flush=True)


if __name__ == "__main__":
    main()
