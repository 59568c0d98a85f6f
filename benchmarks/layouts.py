"""ironkernel and NumPy on the same million elements laid out in different ways in memory.

    python benchmarks/layouts.py [--dtype float64] [--rounds 4]

A ufunc never sees a whole array: NumPy's iterator hands its loop one line of elements at a
time. A contiguous array (or one NumPy can walk as one line, such as a transposed array with an
output in the same order) is one call over every element; a strided 1-D view is one call with a
stride; a view NumPy cannot flatten (a block of columns of a wider array) goes through NumPy's
buffers, which copy it in and out around the loop in pieces of np.getbufsize() elements (8192),
and ironkernel runs a piece of less than about 20 µs of work on one thread. A larger buffer
(np.setbufsize) gives it larger pieces. Prints a markdown table of median times for the seed expression and
`2.5 * x + y` (each input its own array of that layout), ironkernel's time relative to its
contiguous case, and its speedup over the plain NumPy body on the same inputs (which allocates
its result, as NumPy code does; ironkernel writes into out= of the inputs' shape and order).
The two are timed in turns, --rounds rounds, so a slow spell of the machine hits both.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
from expressions import EXPRESSIONS
from report import format_seconds
from timing import interleaved_median_seconds

import ironkernel as ik

N = 1_000_000


LAYOUTS = {  # name -> (a view of N elements of a larger array, NumPy's buffer size for the call)
    "contiguous": (lambda a: a[:N], None),
    "every 2nd element (x[::2])": (lambda a: a[::2], None),
    "transposed (a.T)": (lambda a: a[:N].reshape(1000, 1000).T, None),
    "rows of a wider array (a[:, :100])": (
        lambda a: a[: N // 100 * 103].reshape(N // 100, 103)[:, :100],
        None,
    ),
    "the same, np.setbufsize(2**20)": (lambda a: a[: N // 100 * 103].reshape(N // 100, 103)[:, :100], 2**20),
    "rows of a wider array (a[:, :16])": (lambda a: a[: N // 16 * 19].reshape(N // 16, 19)[:, :16], None),
}


def views(layout: str, dtype: str, count: int, seed: int = 0) -> list[np.ndarray]:
    """count different input arrays, each a view of a larger random array."""
    rng = np.random.default_rng(seed)
    make, _ = LAYOUTS[layout]
    return [make(rng.standard_normal(2 * N).astype(dtype)) for _ in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dtype", default="float64")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    exprs = [e for e in EXPRESSIONS if e.name in ("seed", "axpy")]
    print(
        f"ironkernel {ik.__version__}, NumPy {np.__version__}, {args.dtype}, {N:.0e} elements, "
        f"median of {args.rounds} interleaved rounds\n"
    )
    print("| expression | layout | NumPy | ironkernel | vs its contiguous time | speedup over NumPy |")
    print("|---|---|---:|---:|---:|---:|")
    for expr in exprs:
        kernel = ik.ufunc(expr.numpy)
        contiguous = None
        for name, (_, bufsize) in LAYOUTS.items():
            inputs = views(name, args.dtype, expr.nin)
            out = np.empty_like(inputs[0])  # in the inputs' order, as NumPy allocates its result
            np.testing.assert_allclose(
                kernel(*inputs, out=out), expr.numpy(*inputs), rtol=1e-12 if args.dtype == "float64" else 1e-5
            )
            calls: dict[str, Callable[[], object]] = {
                "numpy": lambda: expr.numpy(*inputs),
                "ironkernel": lambda: kernel(*inputs, out=out),
            }
            previous = np.getbufsize()
            np.setbufsize(bufsize or previous)
            try:
                times = interleaved_median_seconds(calls, 0.4, 5, rounds=args.rounds)
            finally:
                np.setbufsize(previous)
            numpy_s, ik_s = times["numpy"][0], times["ironkernel"][0]
            contiguous = contiguous or ik_s
            print(
                f"| {expr.name} | {name} | {format_seconds(numpy_s)} | {format_seconds(ik_s)} | "
                f"{ik_s / contiguous:.2f}x | {numpy_s / ik_s:.1f}x |"
            )


if __name__ == "__main__":
    main()
