"""How fast each core of this machine computes right now, as a check on a benchmark run.

On a shared (virtual) machine a core can run at half its speed for minutes, when another guest
uses the same physical core; nothing inside the machine shows it (no steal time, no load). A
threaded peer then waits for its slow half, and every time in the run moves. This check times the
same small compute-bound NumPy loop pinned to each core in turn, so a run's report can say
whether its cores were equal and how fast they were.

    python benchmarks/cores.py
"""

from __future__ import annotations

import os
import statistics
import time

import numpy as np

ELEMENTS = 4096  # float64: 32 KiB in and out, in the first-level cache
UNEVEN = 1.25  # slowest / fastest core above this: the run's threaded times are suspect


def _sqrt_ns_per_element(seconds: float) -> float:
    # np.sqrt is one vector instruction per few elements, bound by the core's divider: its time
    # moves only with the core's speed, not with memory or the library's code paths.
    x = np.linspace(1.0, 3.0, ELEMENTS)
    out = np.empty_like(x)
    times = []
    stop = time.perf_counter() + seconds
    while time.perf_counter() < stop:
        t0 = time.perf_counter_ns()
        np.sqrt(x, out=out)
        times.append(time.perf_counter_ns() - t0)
    return statistics.median(times) / ELEMENTS


def core_speeds(seconds: float = 0.2) -> dict[int, float]:
    """Median ns per element of np.sqrt over a small float64 array, on each core this process
    may use (pinned to it for the measurement); {} where threads cannot be pinned."""
    if not hasattr(os, "sched_getaffinity"):
        return {}
    allowed = os.sched_getaffinity(0)
    speeds = {}
    try:
        for core in sorted(allowed):
            os.sched_setaffinity(0, {core})
            _sqrt_ns_per_element(seconds / 4)  # settle on the core
            speeds[core] = _sqrt_ns_per_element(seconds)
    finally:
        os.sched_setaffinity(0, allowed)
    return speeds


def describe(speeds: dict[int, float]) -> str:
    """One line for a report: each core's time, and a warning when they differ."""
    if not speeds:
        return "core speed check: not available on this system"
    text = ", ".join(f"core {c} {ns:.2f}" for c, ns in speeds.items())
    line = f"core speed check (np.sqrt, float64, ns/element, lower is faster): {text}"
    if len(speeds) > 1 and max(speeds.values()) > UNEVEN * min(speeds.values()):
        line += (" -- WARNING: the cores run at different speeds (a shared physical core?); "
                 "threaded times are suspect")
    return line


if __name__ == "__main__":
    print(describe(core_speeds()))
