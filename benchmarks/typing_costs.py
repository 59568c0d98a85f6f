"""What per-call typing costs: decoration, the first call of a new combination of argument dtypes,
and the calls after it, for every expression of expressions.py and a few mixed-dtype calls.

    python benchmarks/typing_costs.py [--markdown]

Decoration is the median over fresh function objects (same code, new object). A first call is timed
on a fresh kernel each time (median of 15): it types the body for the call's dtypes, compiles it
and adds the loop. Later calls are medians of many calls on 1 and 1000 elements, beside NumPy
running the undecorated body on the same arguments. Single-threaded; nothing else should run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from expressions import EXPRESSIONS
from timing import median_decoration_seconds, median_seconds

import ironkernel as ik

RNG = np.random.default_rng(0)


def arrays(nin: int, n: int, dtype=np.float64) -> list[np.ndarray]:
    return [RNG.standard_normal(n).astype(dtype) for _ in range(nin)]


# Mixed calls: (name, body, arguments of n elements)
MIXED = [
    (
        "float64 with two bool masks",
        lambda x, m1, m2: np.where(m1 & m2, x, 0),
        lambda n: [RNG.standard_normal(n), RNG.random(n) > 0.5, RNG.random(n) > 0.5],
    ),
    (
        "float32 beside float64",
        lambda a, b: np.sin(a) * b,
        lambda n: [RNG.standard_normal(n).astype(np.float32), RNG.standard_normal(n)],
    ),
    (
        "int32 counts beside float64",
        lambda x, k: x * k + 1.0,
        lambda n: [RNG.standard_normal(n), RNG.integers(0, 9, n).astype(np.int32)],
    ),
    (
        "float32 with a Python float",
        lambda x, s: x * s + 1.0,
        lambda n: [RNG.standard_normal(n).astype(np.float32), 2.5],
    ),
]


def first_call_seconds(body, args: list, times: int = 15) -> float:
    """The median time of the first call of fresh kernels of body."""
    seconds = []
    for _ in range(times):
        kernel = ik.ufunc(body)
        start = time.perf_counter()
        kernel(*args)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def later_call_seconds(fn, args: list) -> float:
    return median_seconds(lambda: fn(*args), 0.3, 200)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    options = parser.parse_args()
    ik.set_num_threads(1)
    rows = []
    for expr in EXPRESSIONS:
        _, decoration = median_decoration_seconds(ik.ufunc, expr.numpy, 25)
        one, thousand = arrays(expr.nin, 1), arrays(expr.nin, 1000)
        kernel = ik.ufunc(expr.numpy)
        rows.append(
            (
                f"{expr.name} (float64)",
                decoration,
                first_call_seconds(expr.numpy, one),
                later_call_seconds(kernel, one),
                later_call_seconds(expr.numpy, one),
                later_call_seconds(kernel, thousand),
                later_call_seconds(expr.numpy, thousand),
            )
        )
    for name, body, make in MIXED:
        _, decoration = median_decoration_seconds(ik.ufunc, body, 25)
        one, thousand = make(1), make(1000)
        kernel = ik.ufunc(body)
        rows.append(
            (
                name,
                decoration,
                first_call_seconds(body, one),
                later_call_seconds(kernel, one),
                later_call_seconds(body, one),
                later_call_seconds(kernel, thousand),
                later_call_seconds(body, thousand),
            )
        )
    header = [
        "call",
        "decoration",
        "first call",
        "1 elem ik",
        "1 elem NumPy",
        "1000 elem ik",
        "1000 elem NumPy",
    ]
    if options.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for name, *values in rows:
            print(f"| {name} | " + " | ".join(f"{v * 1e6:.1f} µs" for v in values) + " |")
    else:
        print(f"{header[0]:32}" + "".join(f"{h:>16}" for h in header[1:]))
        for name, *values in rows:
            print(f"{name:32}" + "".join(f"{v * 1e6:13.1f} µs" for v in values))
    print(f"\nnumpy {np.__version__}, ironkernel {ik.__version__}, 1 thread")


if __name__ == "__main__":
    main()
