"""Many callers: Python threads calling kernels at once, against one caller.

    python benchmarks/callers.py [--sizes 1e4,1e5,1e6] [--callers 8] [--seconds 1.0] [--shared-inputs]

For each expression and size, one Python thread calls the kernel for --seconds, then --callers
threads (a ThreadPoolExecutor, each with its own inputs and out=) call it for the same time; the
two are alternated for --rounds rounds and the best throughput of each kept. Prints elements per
second of each and their ratio (above 1: the callers together get more done than one), the same
ratio for the body run by NumPy (what NumPy's dispatch, the GIL and the caches leave), the OS
threads of the process afterwards, and checks that every caller's result has the bits of a call
made alone. With --shared-inputs every caller reads the same input arrays (each writes its own
out=), so that the caches hold one call's inputs as in the single caller's case: what is left
of the gap is the scheduling, not the many callers' working sets. ironkernel runs a call on several threads only when no other call is doing so and none
met another in the last 20 ms (the others run on their callers' threads), so many callers share
the cores without oversubscribing them.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from expressions import EXPRESSIONS
from run import make_inputs

import ironkernel as ik


def calls_per_second(call, seconds: float) -> float:
    """Calls made by this thread until `seconds` have passed, per second."""
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        call()
        count += 1
    return count / elapsed


def throughputs(calls, pool: ThreadPoolExecutor, n: int, args: argparse.Namespace) -> tuple[float, float]:
    """Elements per second of calls[0] made by one thread, and of calls[k] made by thread k of
    the pool at once; each the best of --rounds rounds, the two alternating."""
    one = many = 0.0
    for _ in range(args.rounds):
        one = max(one, calls_per_second(calls[0], args.seconds) * n)
        rates = pool.map(lambda k: calls_per_second(calls[k], args.seconds), range(args.callers))
        many = max(many, sum(rates) * n)
    return one, many


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1e4,1e5,1e6")
    parser.add_argument("--callers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--shared-inputs", action="store_true", help="every caller reads the same inputs")
    args = parser.parse_args()
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    print(
        f"ironkernel {ik.__version__}, float64, {os.cpu_count()} cores, {ik.get_num_threads()} threads per call; "
        f"1 caller against {args.callers}{' on shared inputs' if args.shared_inputs else ''}, best of {args.rounds} rounds of {args.seconds} s each\n"
    )
    print(
        f"| expression | n | 1 caller (elements/s) | {args.callers} callers (elements/s) | ratio | NumPy's ratio |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    worst = float("inf")
    with ThreadPoolExecutor(args.callers) as pool:
        for expr in EXPRESSIONS:
            kernel = ik.ufunc(expr.numpy)
            for n in sizes:
                if args.shared_inputs:
                    inputs = [make_inputs(n, "float64", expr.nin)] * args.callers
                else:
                    inputs = [make_inputs(n, "float64", expr.nin) for _ in range(args.callers)]
                outs = [np.empty(n) for _ in range(args.callers)]
                alone = kernel(*inputs[0])
                kernel_calls = [lambda k=k: kernel(*inputs[k], out=outs[k]) for k in range(args.callers)]
                one, many = throughputs(kernel_calls, pool, n, args)
                # The same body through NumPy: what NumPy's dispatch and the GIL leave of many callers
                numpy_calls = [lambda k=k: expr.numpy(*inputs[k]) for k in range(args.callers)]
                numpy_one, numpy_many = throughputs(numpy_calls, pool, n, args)
                # make_inputs draws the same values each time: every caller's last result must be
                # bit for bit the result of a call made alone
                for out in outs:
                    np.testing.assert_array_equal(out, alone)
                worst = min(worst, many / one)
                print(
                    f"| {expr.name} | {n:.0e} | {one:.3g} | {many:.3g} | {many / one:.2f} | "
                    f"{numpy_many / numpy_one:.2f} |",
                    flush=True,
                )
    print(
        f"\nlowest ratio {worst:.2f}; OS threads of the process now: {threading.active_count()} Python, "
        f"{len(os.listdir('/proc/self/task')) if os.path.isdir('/proc/self/task') else '?'} in all"
    )


if __name__ == "__main__":
    main()
