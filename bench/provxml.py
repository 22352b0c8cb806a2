"""PROV-XML write + read of a pipeline document: provarchive against prov 3.2 (same run).

Run: .venv/bin/python bench/provxml.py [n_records] [repeats]
Prints wall-clock and CPU medians and the ratios prov / provarchive. CPU seconds are
the steadier figure on a shared machine. prov is measured as shipped and again with
the garbage collector paused (as ours runs), so the comparison also shows how much of
the difference is the collector.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from prov.model import ProvDocument

from provarchive.examples import pipeline
from provarchive.formats import provxml
from provarchive.util import paused_gc
from timing import median_times


def medians(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds), medians over ``repeats`` runs, garbage collected between runs."""
    wall, cpu, _result = median_times(fn, repeats, collect=True)
    return wall, cpu


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    doc = pipeline(n)
    data = provxml.dumps(doc)
    ours_w = medians(lambda: provxml.dumps(doc), repeats)
    ours_r = medians(lambda: provxml.loads(data), repeats)
    prov_doc = ProvDocument.deserialize(content=data, format="xml")
    prov_data = prov_doc.serialize(format="xml")
    prov_w = medians(lambda: prov_doc.serialize(format="xml"), repeats)
    prov_r = medians(lambda: ProvDocument.deserialize(content=prov_data, format="xml"), repeats)
    with paused_gc():
        nogc_w = medians(lambda: prov_doc.serialize(format="xml"), repeats)
        nogc_r = medians(lambda: ProvDocument.deserialize(content=prov_data, format="xml"), repeats)
    print(f"PROV-XML, {doc.count()} records ({len(data) / 1e6:.1f} MB), medians of {repeats}")
    print(f"{'':12}{'write s':>12}{'read s':>12}{'total s':>12}   (wall / CPU)")
    rows = (("provarchive", ours_w, ours_r), ("prov 3.2", prov_w, prov_r), ("prov, no GC", nogc_w, nogc_r))
    for name, w, r in rows:
        print(f"{name:12}" + "".join(f"{a:6.2f}/{b:5.2f}" for a, b in (w, r, (w[0] + r[0], w[1] + r[1]))))
    for name, w, r in rows[1:]:
        for i, label in ((0, "wall"), (1, "CPU")):
            print(
                f"{name} / provarchive ({label}): write {w[i] / ours_w[i]:.1f}x, read {r[i] / ours_r[i]:.1f}x,"
                f" total {(w[i] + r[i]) / (ours_w[i] + ours_r[i]):.1f}x"
            )


if __name__ == "__main__":
    main()
