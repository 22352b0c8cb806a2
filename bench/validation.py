"""Validation of a CTA-like pipeline document: provarchive's validator against its peers (same run).

Run: .venv/bin/python bench/validation.py [n_records] [repeats]

Prints medians for ``validate(doc, rules=...)`` with rules w3c, ivoa and all, next to:

* ``to_statements`` alone: turning the document into W3C statements, which the W3C
  checks must do anyway (a floor);
* prov 3.2.3 ``ProvDocument.unified()`` on the same document (read from our PROV-JSON):
  the only PROV-CONSTRAINTS work the ``prov`` package does (key constraints 22/23,
  no ordering, typing or IVOA rules) — there is no Python validator to compare with.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from prov.model import ProvDocument

from provarchive.examples import pipeline
from provarchive.formats import provjson
from provarchive.model.w3c import to_statements
from provarchive.util import paused_gc
from provarchive.validation import validate
from timing import median_times


def median_time(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds (CPU time is steadier on a shared, loaded machine)."""
    wall, cpu, _result = median_times(fn, repeats)
    return wall, cpu


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    doc = pipeline(n)
    rows: list[tuple[str, tuple[float, float]]] = []
    for rules in ("w3c", "ivoa", "all"):
        report = validate(doc, rules=rules)
        assert report.valid, report.format_text(limit=5)
        rows.append(
            (f"provarchive validate(rules={rules!r})", median_time(lambda r=rules: validate(doc, rules=r), repeats))
        )
    with paused_gc():
        rows.append(("provarchive to_statements (floor)", median_time(lambda: to_statements(doc), repeats)))
    prov_doc = ProvDocument.deserialize(content=provjson.dumps(doc).decode(), format="json")
    with paused_gc():
        rows.append(("prov 3.2.3 unified() (C22/C23 only)", median_time(prov_doc.unified, max(1, repeats // 2))))
    ours_all = rows[2][1][1]
    print(f"{doc.count()} records, median of {repeats} runs")
    print(f"{'what':42} {'wall s':>8} {'CPU s':>8} {'CPU vs validate(all)':>21}")
    for name, (wall, cpu) in rows:
        print(f"{name:42} {wall:8.3f} {cpu:8.3f} {cpu / ours_all:20.2f}x")


if __name__ == "__main__":
    main()
