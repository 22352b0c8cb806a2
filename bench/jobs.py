"""Job service benchmark: creation rate, trivial-job latency, 1000 jobs at once.

Runs a real ``provarchive serve`` (SQLite archive in a temporary directory, local
executor, 2 slots) and measures, with the peers in the same run:

1. job creation rate: one SQLite row insert + commit per job with the sqlite3 module
   (the floor), ``JobService.create_job`` in process, and HTTP POST (303) to the server;
2. latency of a trivial job (``true``) from POST with PHASE=RUN to COMPLETED seen
   through WAIT, against a bare ``subprocess.run(["true"])`` and the runner shim alone;
3. 1000 trivial jobs submitted at once (8 client threads), all reaching COMPLETED.

Usage: ``python bench/jobs.py [--latency-runs 60] [--burst 1000]``
"""

from __future__ import annotations

import argparse
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
JOBDEFS = ROOT / "tests" / "jobs" / "data"
PROVARCHIVE = str(Path(sys.executable).parent / "provarchive")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    config = data_dir / "provarchive.toml"
    config.write_text("[service]\nslots = 2\nmax_active_jobs_per_user = 100000\nwait_max_s = 30.0\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVARCHIVE_")}
    env.update(PROVARCHIVE_DATA_DIR=str(data_dir), PROVARCHIVE_CONFIG=str(config))
    port = free_port()
    log = open(data_dir / "server.log", "wb")  # noqa: SIM115 - lives as long as the server
    process = subprocess.Popen(
        [PROVARCHIVE, "serve", "--port", str(port), "--jobdefs", str(JOBDEFS), "--log-level", "WARNING"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/availability", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError("server did not start")


def sqlite_floor(folder: Path, count: int) -> float:
    """Jobs/s for one row insert + commit per job with sqlite3 (WAL, synchronous=NORMAL)."""
    connection = sqlite3.connect(tempfile.mktemp(suffix=".db", dir=folder), isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("CREATE TABLE job (id TEXT PRIMARY KEY, phase TEXT, created INTEGER, params TEXT)")
    start = time.perf_counter()
    for n in range(count):
        connection.execute("BEGIN")
        connection.execute("INSERT INTO job VALUES (?, 'PENDING', ?, 'x')", (f"{n:032x}", n))
        connection.execute("COMMIT")
    return count / (time.perf_counter() - start)


def service_rate(folder: Path, count: int) -> float:
    """Jobs/s for JobService.create_job (validation, directory, rows) on the archive's SQLite."""
    from provarchive.config import Settings
    from provarchive.jobs.definitions import load_definition
    from provarchive.web.app import build_service

    settings = Settings(data_dir=folder / "inproc")
    service = build_service(settings)
    service.store.create_schema()
    service.config.jobs_dir.mkdir(parents=True, exist_ok=True)
    service.add_definition(load_definition((JOBDEFS / "echo.yaml").read_bytes()))
    start = time.perf_counter()
    for _ in range(count):
        service.create_job("echo", None, [("text", "bench"), ("count", "2")])
    return count / (time.perf_counter() - start)


def http_rate(url: str, count: int) -> float:
    with httpx.Client(timeout=30) as client:
        start = time.perf_counter()
        for _ in range(count):
            response = client.post(f"{url}/uws/echo/jobs", data={"text": "bench", "count": "2"})
            assert response.status_code == 303
        return count / (time.perf_counter() - start)


def trivial_latency(url: str, runs: int) -> list[float]:
    times = []
    with httpx.Client(timeout=60) as client:
        for _ in range(runs):
            start = time.perf_counter()
            job_url = client.post(f"{url}/uws/trivial/jobs", data={"PHASE": "RUN"}).headers["location"]
            phase = ""
            while phase not in ("COMPLETED", "ERROR"):
                body = client.get(job_url, params={"WAIT": "10"}).text
                phase = body.split("<uws:phase>")[1].split("<")[0]
            times.append(time.perf_counter() - start)
            assert phase == "COMPLETED"
    return times


def bare_true(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(["true"], check=True)
        times.append(time.perf_counter() - start)
    return times


def shim_alone(folder: Path, runs: int) -> list[float]:
    shim = ROOT / "src" / "provarchive" / "jobs" / "executors" / "shim.py"
    times = []
    for n in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-I", "-S", str(shim), str(folder / f"s{n}.json"), "10", "1", "--", "true"], check=True
        )
        times.append(time.perf_counter() - start)
    return times


def burst(url: str, count: int) -> tuple[float, dict[str, int]]:
    """Submit ``count`` jobs at once; seconds until all are final, and the phases seen."""

    def submit(_: int) -> str:
        with httpx.Client(timeout=60) as client:
            response = client.post(f"{url}/uws/trivial/jobs", data={"PHASE": "RUN"})
            assert response.status_code == 303, response.text
            return str(response.headers["location"])

    start = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        urls = list(pool.map(submit, range(count)))
    submitted = time.perf_counter() - start
    phases: dict[str, int] = {}
    with httpx.Client(timeout=60) as client:
        for job_url in urls:
            phase = client.get(f"{job_url}/phase").text
            while phase in ("QUEUED", "EXECUTING"):
                client.get(job_url, params={"WAIT": "10"})
                phase = client.get(f"{job_url}/phase").text
            phases[phase] = phases.get(phase, 0) + 1
    total = time.perf_counter() - start
    print(f"  submitted {count} jobs in {submitted:.2f} s ({count / submitted:.0f}/s)")
    return total, phases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creations", type=int, default=500)
    parser.add_argument("--latency-runs", type=int, default=60)
    parser.add_argument("--burst", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-jobs-") as tmp:
        folder = Path(tmp)
        (folder / "server").mkdir()
        process, url = start_server(folder / "server")
        try:
            floor = statistics.median(sqlite_floor(folder, args.creations) for _ in range(3))
            inproc = statistics.median(service_rate(folder / f"r{n}", args.creations) for n in range(3))
            over_http = statistics.median(http_rate(url, args.creations) for _ in range(3))
            print("## Job creation (jobs/s, median of 3 runs of", args.creations, "jobs)")
            print(f"  sqlite3 row insert + commit (floor)   {floor:8.0f}")
            print(f"  JobService.create_job (in process)    {inproc:8.0f}   {inproc / floor:.2f}x floor")
            print(f"  HTTP POST → 303 (uvicorn, 1 client)   {over_http:8.0f}   {over_http / floor:.2f}x floor")
            trivial_latency(url, 5)  # warm up
            latency = trivial_latency(url, args.latency_runs)
            bare = bare_true(args.latency_runs)
            shim = shim_alone(folder, args.latency_runs)
            median = statistics.median(latency) * 1000
            print(f"## Trivial job latency (ms, median of {args.latency_runs})")
            print(f"  subprocess.run(['true'])               {statistics.median(bare) * 1000:8.1f}")
            print(f"  runner shim + true                     {statistics.median(shim) * 1000:8.1f}")
            print(
                f"  POST PHASE=RUN → COMPLETED via WAIT    {median:8.1f}   "
                f"(p90 {sorted(latency)[int(len(latency) * 0.9)] * 1000:.1f})"
            )
            total, phases = burst(url, args.burst)
            print(f"## {args.burst} trivial jobs at once (2 slots)")
            print(f"  all final after {total:.1f} s ({args.burst / total:.0f} jobs/s); phases: {phases}")
            lost = args.burst - phases.get("COMPLETED", 0)
            print(f"  lost or failed: {lost}")
        finally:
            process.terminate()
            process.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
