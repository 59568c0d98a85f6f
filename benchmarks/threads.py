"""Thread scaling of ironkernel: every expression of the suite on 1 thread and on all threads.

    python benchmarks/threads.py [--sizes 1e6] [--dtype float64] [--rounds 5]

For each expression and size, the two settings are timed alternately for --rounds rounds (so a
slow spell of the machine hits both), and the best median of each is kept. Prints a markdown
table of the times and the speedup of all threads over one.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from expressions import EXPRESSIONS
from run import make_inputs
from timing import median_seconds

import ironkernel as ik


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1e6", help="comma-separated element counts (default 1e6)")
    parser.add_argument("--dtype", default="float64")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    most = os.cpu_count() or 1
    print(
        f"ironkernel {ik.__version__}, {args.dtype}, 1 thread vs {most} threads, best median of {args.rounds} rounds\n"
    )
    print(f"| expression | n | 1 thread | {most} threads | speedup |")
    print("|---|---:|---:|---:|---:|")
    for expr in EXPRESSIONS:
        kernel = ik.ufunc(expr.numpy)
        for n in sizes:
            inputs = make_inputs(n, args.dtype, expr.nin)
            out = np.empty(n, dtype=args.dtype)
            best = {1: float("inf"), most: float("inf")}
            for _ in range(args.rounds):
                for threads in best:
                    with ik.threads(threads):
                        kernel(*inputs, out=out)  # warm: scratch memory, thread pool
                        seconds, _ = median_seconds(lambda: kernel(*inputs, out=out), 0.1, 5)
                    best[threads] = min(best[threads], seconds)
            one, all_ = best[1], best[most]
            print(f"| {expr.name} | {n:.0e} | {one * 1e3:.3g} ms | {all_ * 1e3:.3g} ms | {one / all_:.2f}x |")


if __name__ == "__main__":
    main()
