"""A/B of the JIT (csrc/jit) against the evaluators: ns per element, out= given (1 thread unless --threads).

IK_JIT is read once per process, so each round runs one process per mode, alternately
(IK_JIT=1, IK_JIT=0, IK_JIT=1, ...), and the table gives the median of the rounds' medians.
    python benchmarks/jit_ab.py --sizes 1e3,1e5,1e6 --dtype float64,float32 --rounds 3
    python benchmarks/jit_ab.py --sizes 1e7 --dtype float64 --threads 2   # streamed outputs
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

BODIES = ("axpy", "poly", "hypot_like", "multi", "clamp")


def measure(sizes: list[int], dtypes: list[str], threads: int, bodies: list[str]) -> dict[str, float]:
    import numpy as np
    from expressions import EXPRESSIONS

    import ironkernel as ik

    ik.set_num_threads(threads)
    by_name = {e.name: e for e in EXPRESSIONS}
    rng = np.random.default_rng(0)
    out: dict[str, float] = {}
    for name in bodies:
        expression = by_name[name]
        f = ik.ufunc(expression.numpy)
        for dtype in dtypes:
            jit = "jit: " in ik.explain(f, *[np.dtype(dtype)] * expression.nin)
            for n in sizes:
                args = [rng.standard_normal(n).astype(dtype) for _ in range(expression.nin)]
                result = np.empty(n, dtype)
                calls = max(1, 200_000 // n)
                f(*args, out=result)
                samples = []
                for _ in range(31 if n <= 100_000 else 15):
                    t0 = time.perf_counter_ns()
                    for _ in range(calls):
                        f(*args, out=result)
                    samples.append((time.perf_counter_ns() - t0) / calls / n)
                out[f"{name} {dtype} {n} {'jit' if jit else '-'}"] = statistics.median(samples)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1e3,1e5,1e6")
    parser.add_argument("--dtype", default="float64,float32")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--bodies", default=",".join(BODIES))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = parser.parse_args()
    sizes = [int(float(s)) for s in a.sizes.split(",")]
    dtypes = a.dtype.split(",")
    if a.child:
        print(json.dumps(measure(sizes, dtypes, a.threads, a.bodies.split(","))))
        return
    runs: dict[str, list[dict[str, float]]] = {"1": [], "0": []}
    for r in range(a.rounds):
        for mode in ("1", "0") if r % 2 == 0 else ("0", "1"):
            env = dict(os.environ, IK_JIT=mode)
            child = [
                sys.executable,
                __file__,
                "--child",
                "--sizes",
                a.sizes,
                "--dtype",
                a.dtype,
                "--threads",
                str(a.threads),
                "--bodies",
                a.bodies,
            ]
            runs[mode].append(
                json.loads(subprocess.run(child, env=env, check=True, capture_output=True, text=True).stdout)
            )
    print(f"load average after: {os.getloadavg()}")
    print("| body | dtype | n | IK_JIT=1 ns/el | IK_JIT=0 ns/el | speed-up | JIT code |")
    print("|---|---|---:|---:|---:|---:|---|")
    for key in runs["1"][0]:
        name, dtype, n, jit = key.split()
        off_key = f"{name} {dtype} {n} -"
        on = statistics.median(run[key] for run in runs["1"])
        off = statistics.median(run[off_key] for run in runs["0"])
        print(
            f"| {name} | {dtype} | {int(n):.0e} | {on:.3f} | {off:.3f} | {off / on:.2f}x | {'yes' if jit == 'jit' else 'no'} |"
        )


if __name__ == "__main__":
    main()
