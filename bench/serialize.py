"""Serialisation benchmark: PROV-JSON, PROV-N and PROV-XML, provarchive against prov 3.2.3.

For each document size (CTA-like pipelines from ``provarchive.examples.pipeline``):

* **ours**: ``dumps(doc)`` and ``loads(bytes)`` of each format module;
* **prov** 3.2.3, in the same run on the same document: prov reads the bytes we
  wrote, and writes the document it parsed. Both libraries are called as a user
  calls them (prov with the garbage collector on, as it always runs; ours pauses it
  inside ``dumps``/``loads``);
* **floor** (PROV-JSON only): orjson ``dumps``/``loads`` of the equivalent plain
  dicts, i.e. exactly the JSON tree of the document without any PROV semantics.

Medians of CPU time over ``--repeat`` runs (``--prov-repeat`` for prov), the runs of
ours, prov and the floor interleaved so that they share the machine's conditions.
PROV-JSON is read and written with the compiled accelerator where it is built (the
table's heading says); ``PROVARCHIVE_PURE_PYTHON=1`` measures the pure-Python paths.
Usage::

    .venv/bin/python bench/serialize.py            # 10k and 100k records
    .venv/bin/python bench/serialize.py --quick    # 10k only
    .venv/bin/python bench/serialize.py --repeat 5 --sizes 1000,50000
    .venv/bin/python bench/serialize.py --formats PROV-JSON   # one format only
    PROVARCHIVE_PURE_PYTHON=1 .venv/bin/python bench/serialize.py --formats PROV-JSON
"""

from __future__ import annotations

import argparse
import gc
import importlib
import statistics
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import orjson

from provarchive.examples import pipeline
from provarchive.formats.accel import ACCEL
from provarchive.model import Document
from provarchive.util import PURE_PYTHON_VARIABLE


@dataclass
class Row:
    """One line of the table: a format at one size, every figure in seconds."""

    fmt: str
    records: int
    megabytes: float
    ours_write: float
    ours_read: float
    prov_write: float
    prov_read: float
    floor_write: float | None = None
    floor_read: float | None = None


def cpu_seconds(action: Callable[[], Any]) -> float:
    """CPU time of one call of ``action`` (this process only).

    CPU time, not wall time: the code measured is single-threaded, so on a quiet
    machine the two agree, and on a shared one (other jobs running) CPU time is what
    stays comparable. Garbage left by earlier calls is collected before the clock
    starts and the result is freed after it stops, so no call pays another's clean-up.
    """
    gc.collect()
    start = time.process_time()
    result = action()
    elapsed = time.process_time() - start
    del result
    return elapsed


def optional_module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def measure(fmt: str, module: ModuleType, prov_format: str, doc: Document, repeat: int, prov_repeat: int) -> Row:
    """Time every action of one format; rounds interleave ours, prov's and the floor's."""
    from prov.model import ProvDocument

    data = module.dumps(doc)
    text = data.decode()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prov_doc = ProvDocument.deserialize(content=text, format=prov_format)
    plain = orjson.loads(data) if fmt == "PROV-JSON" else None
    actions: dict[str, tuple[Callable[[], Any], int]] = {
        "ours_write": (lambda: module.dumps(doc), repeat),
        "ours_read": (lambda: module.loads(data), repeat),
        "prov_read": (lambda: ProvDocument.deserialize(content=text, format=prov_format), prov_repeat),
        "prov_write": (lambda: prov_doc.serialize(format=prov_format), prov_repeat),
    }
    if plain is not None:
        actions["floor_write"] = (lambda: orjson.dumps(plain), repeat)
        actions["floor_read"] = (lambda: orjson.loads(data), repeat)
    times: dict[str, list[float]] = {name: [] for name in actions}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for round_ in range(max(repeat, prov_repeat)):
            for name, (action, runs) in actions.items():
                if round_ < runs:
                    times[name].append(cpu_seconds(action))
    med = {name: statistics.median(values) for name, values in times.items()}
    return Row(
        fmt,
        doc.count(),
        len(data) / 1e6,
        med["ours_write"],
        med["ours_read"],
        med["prov_write"],
        med["prov_read"],
        med.get("floor_write"),
        med.get("floor_read"),
    )


def ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}×"


def print_table(rows: list[Row]) -> None:
    header = (
        "| format | records | MB | ours write | ours read | prov write | prov read | prov/ours write | prov/ours read "
        "| prov/ours total | floor write | floor read | ours/floor total |"
    )
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for r in rows:
        floor = "| — | — | — |"
        if r.floor_write is not None and r.floor_read is not None:
            floor = (
                f"| {r.floor_write * 1e3:.0f} ms | {r.floor_read * 1e3:.0f} ms "
                f"| {ratio(r.ours_write + r.ours_read, r.floor_write + r.floor_read)} |"
            )
        print(
            f"| {r.fmt} | {r.records} | {r.megabytes:.1f} | {r.ours_write * 1e3:.0f} ms | {r.ours_read * 1e3:.0f} ms "
            f"| {r.prov_write * 1e3:.0f} ms | {r.prov_read * 1e3:.0f} ms | {ratio(r.prov_write, r.ours_write)} "
            f"| {ratio(r.prov_read, r.ours_read)} | {ratio(r.prov_write + r.prov_read, r.ours_write + r.ours_read)} "
            + floor
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10k records only")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement of ours (median)")
    parser.add_argument("--prov-repeat", type=int, default=3, help="runs per measurement of prov (median)")
    parser.add_argument("--sizes", default=None, help="comma-separated record counts (default 10000,100000)")
    parser.add_argument(
        "--formats", default=None, help="comma-separated formats to measure (default PROV-JSON,PROV-N,PROV-XML)"
    )
    args = parser.parse_args(argv)
    sizes = [10_000] if args.quick else [int(s) for s in (args.sizes or "10000,100000").split(",")]

    formats: list[tuple[str, str, str]] = [
        ("PROV-JSON", "provarchive.formats.provjson", "json"),
        ("PROV-N", "provarchive.formats.provn", "provn"),
        ("PROV-XML", "provarchive.formats.provxml", "xml"),
    ]
    if args.formats:
        wanted = {name.strip().upper() for name in args.formats.split(",")}
        unknown = wanted - {fmt for fmt, _module, _prov in formats}
        if unknown:
            parser.error(f"unknown format(s): {', '.join(sorted(unknown))}")
        formats = [entry for entry in formats if entry[0] in wanted]
    rows: list[Row] = []
    for size in sizes:
        doc = pipeline(size)
        for fmt, module_name, prov_format in formats:
            module = optional_module(module_name)
            if module is None:
                print(f"{fmt}: {module_name} is not importable; row skipped")
                continue
            rows.append(measure(fmt, module, prov_format, doc, args.repeat, args.prov_repeat))
            print(f"measured {fmt} at {size} records", flush=True)
    print()
    print(
        f"Medians of CPU time: ours of {args.repeat} runs, prov 3.2.3 of {args.prov_repeat}, "
        "interleaved in one process on the same documents."
    )
    if ACCEL is not None:
        print("PROV-JSON: compiled accelerator (provarchive.formats._provjson_accel).")
    else:
        print(f"PROV-JSON: pure Python (accelerator not built, or {PURE_PYTHON_VARIABLE} set).")
    print_table(rows)


if __name__ == "__main__":
    main()
