"""Capture benchmarks: `provarchive run` overhead, recording 1000+1000 files, hashing throughput.

Run:  .venv/bin/python bench/capture.py [--runs 40] [--repeats 15] [--hash-mib 256] [--only recording]

Every figure is a median with its peer measured in the same run:

1. fixed overhead of ``provarchive run -- CMD`` over the bare ``CMD`` (``true`` and
   ``python -c pass``), the console script started as a user would; budget 30 ms;
2. one activity recording 1000 inputs + 1000 outputs (stat, no hashing), against
   ``ctapipe.core.Provenance`` doing the same (``add_input_file``/``add_output_file``
   then ``finish_activity`` and ``as_json``), run by the interpreter given in
   ``--ctapipe-python`` (ctapipe pins an older astropy, so it lives in its own venv);
   budget 20 ms;
3. SHA-256 throughput of :func:`provarchive.capture.hashing.hash_file` against raw
   ``hashlib.file_digest`` and coreutils ``sha256sum`` on the same warm files; budget
   90 % of hashlib.

This checkout's environment sets PYTHONDONTWRITEBYTECODE, which would make every run
recompile provarchive's sources; the script byte-compiles ``src/provarchive`` first so
that the wrapper is measured as an installed package runs.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _p90_ms(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))] * 1000


def bench_overhead(runs: int, workdir: Path) -> dict[str, float]:
    """Median wall time of bare commands and the same commands under ``provarchive run``."""
    script = VENV_BIN / "provarchive"
    if not script.is_file():
        raise SystemExit(f"{script} not found: install provarchive in this venv (pip install -e .)")
    env = dict(os.environ, PROVARCHIVE_DATA_DIR=str(workdir / "data"), PROVARCHIVE_GIT="0")
    true = shutil.which("true") or "/bin/true"
    cases = {
        "true": [true],
        "run -- true": [str(script), "run", "--", true],
        "python -c pass": [sys.executable, "-c", "pass"],
        "run -- python -c pass": [str(script), "run", "--", sys.executable, "-c", "pass"],
        "run -o prov.json -- true": [str(script), "run", "-o", str(workdir / "prov.json"), "--", true],
    }
    samples: dict[str, list[float]] = {name: [] for name in cases}
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(3):  # warm the page cache and byte-code
        for argv in cases.values():
            subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    for _ in range(runs):  # interleaved, so drifts in machine load hit every case alike
        for name, argv in cases.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
            samples[name].append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[name].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    shutil.rmtree(workdir / "data", ignore_errors=True)
    result = {name: _median_ms(values) for name, values in samples.items()}
    result.update({f"{name} p90": _p90_ms(values) for name, values in samples.items()})
    # CPU time (user + system) of the process tree: far less sensitive to other load than wall time
    result.update({f"{name} cpu": _median_ms(values) for name, values in cpu.items()})
    return result


CTAPIPE_SCRIPT = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
from ctapipe.core import Provenance
inputs, outputs, repeats, add_meta = json.load(open(sys.argv[1]))
prov = Provenance()
samples, cpu = [], []
for _ in range(repeats + 1):
    prov.clear()
    start, start_cpu = time.perf_counter(), time.process_time()
    prov.start_activity("bench")
    for path in inputs:
        prov.add_input_file(path, role="input", add_meta=add_meta)
    for path in outputs:
        prov.add_output_file(path, role="output", add_meta=add_meta)
    prov.finish_activity()
    text = prov.as_json()
    samples.append(time.perf_counter() - start)
    cpu.append(time.process_time() - start_cpu)
import ctapipe
print(json.dumps({"samples": samples[1:], "cpu": cpu[1:], "version": ctapipe.__version__}))
"""


def _faithful_ctapipe(inputs: list[str], outputs: list[str], repeats: int) -> list[float]:
    """Re-creation of ctapipe's work (reference/capture.md §1) for when ctapipe is absent.

    Per file, as ``add_input_file``/``add_output_file`` with the default ``add_meta=True``:
    ``abspath``, an attempt to read reference metadata from the file's header (opened and
    its first block read; a .dat file has none, so ctapipe warns), a ``log.debug`` call,
    and a dict {url, role, reference_meta} appended to a list. At the end, as
    ``finish_activity`` + ``as_json``: the system block with every installed distribution
    (``importlib.metadata``) and ``json.dumps(indent=2)`` of the record. Measured as CPU
    time, the figure the real ctapipe comparison also reports.
    """
    import importlib.metadata
    import logging
    import platform

    log = logging.getLogger("ctapipe.core.provenance")
    samples = []
    for _ in range(repeats):
        start = time.process_time()
        record: dict[str, Any] = {"activity_name": "bench", "input": [], "output": []}
        for key, paths in (("input", inputs), ("output", outputs)):
            for path in paths:
                url = os.path.abspath(path)
                meta: dict[str, Any] | None
                try:
                    with open(url, "rb") as handle:
                        meta = None if not handle.read(2880).startswith(b"SIMPLE") else {}
                except OSError:
                    meta = None
                record[key].append({"url": url, "role": key, "reference_meta": meta})
                log.debug("added %s entity '%s' to activity: '%s'", key, path, "bench")
        packages = [{"name": d.metadata["Name"], "version": d.version} for d in importlib.metadata.distributions()]
        record["system"] = {"platform": platform.uname()._asdict(), "arguments": sys.argv, "packages": packages}
        json.dumps([record], indent=2)
        samples.append(time.process_time() - start)
    return samples


def bench_recording(repeats: int, workdir: Path, ctapipe_python: str | None, rounds: int = 3) -> dict[str, object]:
    """One activity, 1000 inputs + 1000 outputs, no hashing: provarchive vs ctapipe.

    The repeats are split into ``rounds`` that alternate between provarchive and its
    peers, so that a change in the machine's load during the run (other engineers' test
    suites) hits both sides alike instead of whichever happened to run at the time.
    """
    from provarchive.capture import activity
    from provarchive.capture.environment import collect_environment

    files = workdir / "files"
    files.mkdir()
    inputs: list[str] = []
    outputs: list[str] = []
    for i in range(1000):
        for kind, bucket in (("in", inputs), ("out", outputs)):
            path = files / f"{kind}{i:04d}.dat"
            path.write_bytes(b"x" * 100)
            bucket.append(str(path))
    os.environ["PROVARCHIVE_DATA_DIR"] = str(workdir / "data")
    os.environ["PROVARCHIVE_GIT"] = "0"
    environment = []
    for _ in range(repeats):
        start = time.process_time()
        collect_environment(refresh=True)
        environment.append(time.process_time() - start)
    samples: list[float] = []
    cpu: list[float] = []
    spools = iter(range(1_000_000))

    def record_ours(count: int) -> None:
        for _ in range(count):
            spool = workdir / f"spool-{next(spools)}.jsonl"
            start, start_cpu = time.perf_counter(), time.process_time()
            with activity("bench", spool=spool, hash="stat") as act:
                for path in inputs:
                    act.used(path, role="input")
                for path in outputs:
                    act.generated(path, role="output")
            samples.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)

    many_cpu: list[float] = []

    def record_ours_many(count: int) -> None:
        """The same files given as two lists (``used_many``/``generated_many``): batched writes."""
        for _ in range(count):
            spool = workdir / f"spool-{next(spools)}.jsonl"
            start_cpu = time.process_time()
            with activity("bench", spool=spool, hash="stat") as act:
                act.used_many(inputs, role="input")
                act.generated_many(outputs, role="output")
            many_cpu.append(time.process_time() - start_cpu)

    have_ctapipe = bool(ctapipe_python and Path(ctapipe_python).is_file())
    peers: dict[str, list[float]] = {}
    version = None
    per_round = max(1, -(-repeats // rounds))
    record_ours(1)  # warm-up, not counted
    record_ours_many(1)
    del samples[:], cpu[:], many_cpu[:]
    for _ in range(rounds):
        record_ours(per_round)
        record_ours_many(per_round)
        if have_ctapipe:
            for add_meta in (False, True):
                arguments = workdir / "ctapipe-args.json"
                arguments.write_text(json.dumps([inputs, outputs, per_round, add_meta]))
                done = subprocess.run(
                    [str(ctapipe_python), "-c", CTAPIPE_SCRIPT, str(arguments)],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                report = json.loads(done.stdout.strip().splitlines()[-1])
                label = "ctapipe (add_meta=True, default)" if add_meta else "ctapipe (add_meta=False)"
                peers.setdefault(f"{label} ms", []).extend(report["samples"])
                peers.setdefault(f"{label} cpu ms", []).extend(report["cpu"])
                version = report["version"]
        else:
            label = "faithful re-creation of ctapipe (no ctapipe available) cpu ms"
            peers.setdefault(label, []).extend(_faithful_ctapipe(inputs, outputs, per_round))
    from provarchive.capture.spool import compile_spool

    start = time.perf_counter()
    compiled = compile_spool(workdir / "spool-0.jsonl")
    compile_ms = (time.perf_counter() - start) * 1000
    result: dict[str, object] = {
        "provarchive ms": _median_ms(samples),
        "provarchive cpu ms": _median_ms(cpu),
        "provarchive used_many/generated_many cpu ms": _median_ms(many_cpu),
        "environment (once per process) cpu ms": _median_ms(environment),
        "compile spool to document ms": compile_ms,
        "records in document": compiled.count(),
    }
    result.update({name: _median_ms(values) for name, values in peers.items()})
    if version is not None:
        result["ctapipe version"] = version
    return result


def bench_hashing(total_mib: int, repeats: int, workdir: Path) -> dict[str, float]:
    """GiB/s of hash_file, hashlib.file_digest and sha256sum on the same (warm) files."""
    from provarchive.capture.hashing import hash_file

    count = 4
    paths = []
    chunk = os.urandom(1 << 20)
    for i in range(count):
        path = workdir / f"big{i}.bin"
        with open(path, "wb") as handle:
            for _ in range(total_mib // count):
                handle.write(chunk)
        paths.append(path)
    size_gib = sum(p.stat().st_size for p in paths) / (1 << 30)

    def ours() -> None:
        for path in paths:
            hash_file(path, cache=False)

    def raw() -> None:
        for path in paths:
            with open(path, "rb") as handle:
                hashlib.file_digest(handle, "sha256")

    def coreutils() -> None:
        subprocess.run(["sha256sum", *map(str, paths)], check=True, stdout=subprocess.DEVNULL)

    cases = {"provarchive hash_file": ours, "hashlib.file_digest": raw}
    if shutil.which("sha256sum"):
        cases["sha256sum"] = coreutils
    raw()  # warm the page cache
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, func in cases.items():
            start = time.perf_counter()
            func()
            samples[name].append(time.perf_counter() - start)
    return {f"{name} GiB/s": size_gib / statistics.median(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="runs per command for the overhead")
    parser.add_argument("--repeats", type=int, default=15, help="repeats of the recording and hashing cases")
    parser.add_argument("--hash-mib", type=int, default=256, help="MiB hashed per repeat")
    parser.add_argument(
        "--ctapipe-python", default=os.environ.get("PROVARCHIVE_CTAPIPE_PYTHON", "/tmp/ctapipe-venv/bin/python")
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--only",
        choices=("overhead", "recording", "hashing"),
        action="append",
        help="run only these parts (repeatable; default: all three)",
    )
    args = parser.parse_args()
    parts = set(args.only or ("overhead", "recording", "hashing"))
    compileall.compile_dir(str(ROOT / "src" / "provarchive"), quiet=1)
    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="pa-bench-capture-") as tmp:
        work = Path(tmp)
        if "overhead" in parts:
            overhead = bench_overhead(args.runs, work)
            print(f"\n== provarchive run fixed overhead (median of {args.runs} runs, ms) ==")
            print(f"  {'command':28s} {'wall':>7s} {'p90':>7s} {'cpu':>7s}")
            for name in ("true", "run -- true", "python -c pass", "run -- python -c pass", "run -o prov.json -- true"):
                print(
                    f"  {name:28s} {overhead[name]:7.1f} {overhead[name + ' p90']:7.1f} {overhead[name + ' cpu']:7.1f}"
                )
            for base, wrapped in (("true", "run -- true"), ("python -c pass", "run -- python -c pass")):
                wall = overhead[wrapped] - overhead[base]
                cpu_time = overhead[wrapped + " cpu"] - overhead[base + " cpu"]
                print(f"  overhead over {base:15s} wall {wall:6.1f}  cpu {cpu_time:6.1f}  (budget 30)")
            figures["overhead"] = overhead
        if "recording" in parts:
            recording = bench_recording(args.repeats, work, args.ctapipe_python)
            print(f"\n== one activity, 1000 inputs + 1000 outputs, stat only (median of {args.repeats}, ms) ==")
            for name, value in recording.items():
                print(f"  {name:55s} {value:8.1f}" if isinstance(value, float) else f"  {name:55s} {value}")
            for name, value in recording.items():
                if name.startswith(("ctapipe", "faithful")) and isinstance(value, float):
                    ours = float(recording["provarchive cpu ms" if "cpu" in name else "provarchive ms"])  # type: ignore[arg-type]
                    print(f"  ratio {name.removesuffix(' ms')} / provarchive: {value / ours:.1f}x")
            figures["recording"] = recording
        if "hashing" in parts:
            hashing = bench_hashing(args.hash_mib, max(3, args.repeats // 3), work)
            print(f"\n== SHA-256 throughput, {args.hash_mib} MiB warm (median, GiB/s) ==")
            for name, value in hashing.items():
                print(f"  {name:35s} {value:6.2f}")
            share = hashing["provarchive hash_file GiB/s"] / hashing["hashlib.file_digest GiB/s"]
            print(f"  provarchive / hashlib: {share:.0%}  (budget 90%)")
            figures["hashing"] = hashing
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
