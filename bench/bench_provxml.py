"""PROV-XML write + read of a pipeline document: provarchive against prov 3.2 (same run).

Run: .venv/bin/python bench/bench_provxml.py [n_records] [repeats]
Prints medians and the ratio prov / provarchive.
"""

from __future__ import annotations

import statistics
import sys
import time

from prov.model import ProvDocument

from provarchive.examples import pipeline
from provarchive.formats import provxml
from provarchive.util import paused_gc


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    doc = pipeline(n)
    data = provxml.dumps(doc)
    ours_w = median_time(lambda: provxml.dumps(doc), repeats)
    ours_r = median_time(lambda: provxml.loads(data), repeats)
    prov_doc = ProvDocument.deserialize(content=data, format="xml")
    prov_data = prov_doc.serialize(format="xml")
    with paused_gc():
        prov_w = median_time(lambda: prov_doc.serialize(format="xml"), max(1, repeats // 2))
        prov_r = median_time(lambda: ProvDocument.deserialize(content=prov_data, format="xml"), max(1, repeats // 2))
    print(f"PROV-XML, {doc.count()} records ({len(data) / 1e6:.1f} MB), medians")
    print(f"{'':12}{'write s':>10}{'read s':>10}{'total s':>10}")
    print(f"{'provarchive':12}{ours_w:10.3f}{ours_r:10.3f}{ours_w + ours_r:10.3f}")
    print(f"{'prov 3.2':12}{prov_w:10.3f}{prov_r:10.3f}{prov_w + prov_r:10.3f}")
    print(f"ratio prov/provarchive: write {prov_w / ours_w:.1f}x, read {prov_r / ours_r:.1f}x, "
          f"total {(prov_w + prov_r) / (ours_w + ours_r):.1f}x")


if __name__ == "__main__":
    main()
