"""Timing shared by the benchmarks: medians of wall and CPU time over repeated calls.

Every figure in docs/performance.md is a median of this kind, next to its peer timed
the same way in the same run. CPU time (this process only) is given with wall time
because the machine is shared: under load, wall time also counts waiting for a core.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def median_times(
    fn: Callable[[], T], runs: int, *, warm: bool = False, collect: bool = False
) -> tuple[float, float, T]:
    """Median wall and CPU seconds of ``runs`` calls of ``fn``, and the last call's result.

    ``warm``: one untimed call first (caches, connections, generated code).
    ``collect``: a garbage collection before each call, outside the timing, so that no
    call pays for the garbage of the one before.
    """
    if warm:
        fn()
    walls, cpus = [], []
    result: T
    for _ in range(max(1, runs)):
        if collect:
            gc.collect()
        c, w = time.process_time(), time.perf_counter()
        result = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus), result
