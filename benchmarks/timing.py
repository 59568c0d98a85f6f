"""Median wall-clock times of zero-argument calls, repeated for a time budget."""

from __future__ import annotations

import gc
import statistics
import time
import types
from collections.abc import Callable
from typing import Any


def timed_runs(call: Callable[[], Any], target_s: float, min_runs: int, max_runs: int = 200_000) -> list[int]:
    """Nanoseconds of each run of ``call``, run until ``target_s`` has passed and at least
    ``min_runs`` ran. The garbage collector is off while timing, as in ``timeit``, so a
    collection triggered by one peer's allocations is not billed to another."""
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
    return times


def median_seconds(
    call: Callable[[], Any], target_s: float, min_runs: int, max_runs: int = 200_000
) -> tuple[float, int]:
    """The median time of ``call`` over its timed_runs, and their number. Each call is timed on
    its own, so a stray slow run (page faults, another thread waking) does not move the result."""
    times = timed_runs(call, target_s, min_runs, max_runs)
    return statistics.median(times) / 1e9, len(times)


def interleaved_median_seconds(
    calls: dict[str, Callable[[], Any]], target_s: float, min_runs: int, rounds: int = 4
) -> dict[str, tuple[float, int]]:
    """median_seconds of several calls, timed in turns: ``rounds`` rounds in which each call runs
    for target_s / rounds. On a shared machine, whose speed drifts over seconds (another
    process's memory traffic, a neighbour on the same physical core), every call then sees the
    same mix of fast and slow spells, and their ratios hold even when the times move."""
    times: dict[str, list[int]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            times[name] += timed_runs(call, target_s / rounds, -(-min_runs // rounds))
    return {name: (statistics.median(t) / 1e9, len(t)) for name, t in times.items()}


def median_decoration_seconds(
    decorate: Callable[[types.FunctionType], Any], fn: types.FunctionType, times: int = 7
) -> tuple[Any, float]:
    """Decorate fresh copies of fn (same code, new function object, so no per-object cache can
    answer) ``times`` times; returns the last result and the median time."""
    seconds, result = [], None
    for _ in range(times):
        fresh = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__)
        t0 = time.perf_counter()
        result = decorate(fresh)
        seconds.append(time.perf_counter() - t0)
    return result, statistics.median(seconds)
