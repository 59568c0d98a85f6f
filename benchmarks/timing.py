"""Median wall-clock time of a zero-argument call, repeated for a time budget."""

from __future__ import annotations

import gc
import statistics
import time
import types
from collections.abc import Callable
from typing import Any


def median_seconds(
    call: Callable[[], Any], target_s: float, min_runs: int, max_runs: int = 200_000
) -> tuple[float, int]:
    """Run ``call`` until ``target_s`` has passed and at least ``min_runs`` ran.

    Each call is timed on its own and the median is returned, so a stray slow
    run (page faults, another thread waking) does not move the result. The
    garbage collector is off while timing, as in ``timeit``, so a collection
    triggered by one peer's allocations is not billed to another.
    """
    times: list[int] = []
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter_ns()
        target_ns = int(target_s * 1e9)
        while len(times) < max_runs and (len(times) < min_runs or time.perf_counter_ns() - start < target_ns):
            t0 = time.perf_counter_ns()
            call()
            times.append(time.perf_counter_ns() - t0)
    finally:
        if gc_was_enabled:
            gc.enable()
    return statistics.median(times) / 1e9, len(times)


def median_decoration_seconds(decorate: Callable[[types.FunctionType], Any], fn: types.FunctionType,
                              times: int = 7) -> tuple[Any, float]:
    """Decorate fresh copies of fn (same code, new function object, so no per-object cache can
    answer) ``times`` times; returns the last result and the median time."""
    seconds, result = [], None
    for _ in range(times):
        fresh = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__)
        t0 = time.perf_counter()
        result = decorate(fresh)
        seconds.append(time.perf_counter() - t0)
    return result, statistics.median(seconds)
