"""One-reduction gufuncs (``@ik.gufunc("(n)->()")`` whose body is ``np.sum(x)``, ``np.argmax(x)``,
...) against NumPy's own reduction over the last axis, in one process.

    python benchmarks/reductions.py [--shapes 10000x1000,1000000x3,100x100000] [--dtype float64,float32]
                                    [--functions sum,mean,...] [--threads 1] [--quick]

The array ``a`` of each shape is C-contiguous; the gufunc reduces its rows (``rows``) or those of
``a.T`` (``transposed``: a row's elements a whole row of ``a`` apart, neighbouring rows adjacent
in memory). NumPy runs ``np.<fn>(x, axis=-1, out=out)``, ironkernel ``k(x, out=out)``. Prints one
markdown table of median times (timed in turns, so both see the same machine) and the ratio
numpy_time / ironkernel_time: above 1, ironkernel is faster.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import format_seconds
from timing import interleaved_median_seconds

SHAPES = "10000x1000,1000000x3,100x100000"
FUNCTIONS = "sum,mean,max,min,argmax,argmin,any,all,prod"


def make_input(shape: tuple[int, int], dtype: str, layout: str, rng: np.random.Generator) -> np.ndarray:
    if np.dtype(dtype).kind == "b":
        x = rng.random(shape) < 0.5
    elif np.dtype(dtype).kind in "iu":
        x = rng.integers(0, 100, shape).astype(dtype)
    else:
        x = (rng.random(shape) + 0.5).astype(dtype)  # no zero: np.any/np.all read every element
    return x if layout == "rows" else x.T


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shapes", default=SHAPES, help=f"rows x n, comma-separated (default {SHAPES})")
    parser.add_argument("--dtype", default="float64,float32")
    parser.add_argument("--functions", default=FUNCTIONS)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="shorter timing")
    args = parser.parse_args(argv)

    import ironkernel as ik

    ik.set_num_threads(args.threads)
    target_s = 0.3 if args.quick else 1.0
    rng = np.random.default_rng(0)
    print(f"NumPy {np.__version__}, ironkernel threads {args.threads}\n")
    print("| function | dtype | shape | layout | NumPy | ironkernel | NumPy / ik |")
    print("|---|---|---|---|---:|---:|---:|")
    for dtype in args.dtype.split(","):
        for shape in args.shapes.split(","):
            size = tuple(int(float(v)) for v in shape.split("x"))
            for layout in ("rows", "transposed"):
                x = make_input(size, dtype, layout, rng)
                for name in args.functions.split(","):
                    f = getattr(np, name)
                    k = ik.gufunc("(n)->()", name=f"ik_{name}")(lambda v, f=f: f(v))
                    expected = f(x, axis=-1)
                    out_np, out_ik = np.empty_like(expected), np.empty_like(expected)
                    k(x, out=out_ik)
                    # The gufunc's result is np.<fn> of each row, which for a sum over a transposed
                    # view is not NumPy's axis=-1 order (that adds column after column): compare
                    # with the rows made contiguous, which NumPy sums pairwise as one row.
                    if not np.array_equal(out_ik, f(np.ascontiguousarray(x), axis=-1), equal_nan=True):
                        print(f"  ! {name} {dtype} {shape} {layout}: results differ from NumPy")
                    times = interleaved_median_seconds(
                        {"numpy": lambda: f(x, axis=-1, out=out_np), "ik": lambda: k(x, out=out_ik)},
                        target_s,
                        min_runs=3,
                    )
                    t_np, t_ik = times["numpy"][0], times["ik"][0]
                    print(
                        f"| {name} | {dtype} | {shape} | {layout} | {format_seconds(t_np)} | "
                        f"{format_seconds(t_ik)} | {t_np / t_ik:.2f} |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
