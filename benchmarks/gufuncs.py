"""Fused row reductions (gufuncs) against NumPy and numba ``@guvectorize``, in one process.

    python benchmarks/gufuncs.py [--shapes 100000x100,10000x1000,10x1000000] [--dtype float64]
                                 [--quick] [--out benchmarks/results]

Each kernel is written three ways: the ironkernel gufunc body (the per-row NumPy code, the
same body the docs show), NumPy over the last axis (what a user writes without ironkernel:
one pass and one temporary per operation), and a hand-written numba loop compiled with
``@guvectorize(target="parallel")``. Prints a markdown table of median times with the ratio
numpy_time / peer_time and writes gufuncs.md to --out.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import format_seconds
from timing import median_decoration_seconds, median_seconds

FULL_SHAPES = "1000x100,100000x100,10000x1000,10x1000000"
QUICK_SHAPES = "1000x100,10000x1000"


# ---- the kernels, per vocabulary -------------------------------------------------------------


def dist(a, b):
    return np.sqrt(np.sum((a - b) ** 2))


def softmax(x):
    e = np.exp(x - np.max(x))
    return e / np.sum(e)


def logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def rms_norm(x):
    return x / np.sqrt(np.mean(x * x) + 1e-6)


def cosine(a, b):
    return np.dot(a, b) / (np.sqrt(np.dot(a, a)) * np.sqrt(np.dot(b, b)))


def dist_numpy(a, b):
    return np.sqrt(np.sum((a - b) ** 2, axis=-1))


def softmax_numpy(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def logsumexp_numpy(x):
    m = np.max(x, axis=-1)
    return m + np.log(np.sum(np.exp(x - m[..., None]), axis=-1))


def rms_norm_numpy(x):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + 1e-6)


def cosine_numpy(a, b):
    return np.sum(a * b, axis=-1) / (np.sqrt(np.sum(a * a, axis=-1)) * np.sqrt(np.sum(b * b, axis=-1)))


# numba: loops over one row, as numba's documentation writes gufunc kernels.
def dist_loop(a, b, out):
    s = 0.0
    for i in range(a.shape[0]):
        d = a[i] - b[i]
        s += d * d
    out[0] = np.sqrt(s)


def softmax_loop(x, out):
    m = x[0]
    for i in range(x.shape[0]):
        m = max(m, x[i])
    s = 0.0
    for i in range(x.shape[0]):
        out[i] = np.exp(x[i] - m)
        s += out[i]
    for i in range(x.shape[0]):
        out[i] /= s


def logsumexp_loop(x, out):
    m = x[0]
    for i in range(x.shape[0]):
        m = max(m, x[i])
    s = 0.0
    for i in range(x.shape[0]):
        s += np.exp(x[i] - m)
    out[0] = m + np.log(s)


def rms_norm_loop(x, out):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * x[i]
    scale = 1.0 / np.sqrt(s / x.shape[0] + 1e-6)
    for i in range(x.shape[0]):
        out[i] = x[i] * scale


def cosine_loop(a, b, out):
    ab = aa = bb = 0.0
    for i in range(a.shape[0]):
        ab += a[i] * b[i]
        aa += a[i] * a[i]
        bb += b[i] * b[i]
    out[0] = ab / (np.sqrt(aa) * np.sqrt(bb))


@dataclass(frozen=True)
class Kernel:
    name: str
    signature: str
    body: Callable[..., Any]  # per row, for ik.gufunc
    numpy: Callable[..., Any]  # over the last axis
    loop: Callable[..., None]  # per row, for numba.guvectorize

    @property
    def nin(self) -> int:
        return self.signature.split("->")[0].count("(")

    @property
    def vector_output(self) -> bool:
        return self.signature.endswith("(n)")


KERNELS = [
    Kernel("dist", "(n),(n)->()", dist, dist_numpy, dist_loop),
    Kernel("softmax", "(n)->(n)", softmax, softmax_numpy, softmax_loop),
    Kernel("logsumexp", "(n)->()", logsumexp, logsumexp_numpy, logsumexp_loop),
    Kernel("rms_norm", "(n)->(n)", rms_norm, rms_norm_numpy, rms_norm_loop),
    Kernel("cosine", "(n),(n)->()", cosine, cosine_numpy, cosine_loop),
]


# ---- the peers ----------------------------------------------------------------------------


def make_ironkernel(kernel: Kernel, dtype: str) -> tuple[Callable[..., Any], float]:
    import ironkernel as ik

    # The median of 7 decorations, as run.py reports ik.ufunc's (numba compiles once: seconds).
    return median_decoration_seconds(ik.gufunc(kernel.signature, name=kernel.name), kernel.body)


def make_numba(kernel: Kernel, dtype: str) -> tuple[Callable[..., Any], float]:
    import numba

    arrays = ", ".join([f"{dtype}[:]"] * (kernel.nin + 1))
    t0 = time.perf_counter()
    u = numba.guvectorize([f"void({arrays})"], kernel.signature, target="parallel")(kernel.loop)
    return u, time.perf_counter() - t0


def numba_version() -> str:
    try:
        import numba
    except Exception as exc:  # noqa: BLE001 -- missing numba is a skipped column
        return f"skipped ({type(exc).__name__}: {exc})"
    return f"numba {numba.__version__}, {numba.config.NUMBA_NUM_THREADS} threads"


# ---- the run ------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shapes", help=f"rows x n, comma-separated (default {FULL_SHAPES})")
    parser.add_argument("--dtype", default="float64", help="comma-separated: float64,float32")
    parser.add_argument("--quick", action="store_true", help="2 shapes, shorter timing")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    args = parser.parse_args(argv)
    text = args.shapes or (QUICK_SHAPES if args.quick else FULL_SHAPES)
    args.shapes = [tuple(int(float(v)) for v in s.split("x")) for s in text.split(",")]
    args.dtypes = [np.dtype(d.strip()).name for d in args.dtype.split(",")]
    args.target_s, args.min_runs = (0.05, 3) if args.quick else (0.2, 5)
    return args


def time_cell(call: Callable[[], Any], reference: np.ndarray, args: argparse.Namespace) -> str:
    result = call()
    # Sums in another order (numba's loops add sequentially, NumPy and ironkernel pairwise) differ
    # by rounding relative to the sum of magnitudes, so a near-zero result (a cosine of nearly
    # orthogonal rows) needs an absolute slack too.
    rtol = 1e-10 if reference.dtype == np.float64 else 1e-4
    if not np.allclose(result, reference, rtol=rtol, atol=rtol * float(np.max(np.abs(reference)))):
        return "✗ WRONG"
    seconds, _ = median_seconds(call, args.target_s, args.min_runs)
    return seconds


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    lines = [
        "# ironkernel gufuncs: fused row reductions against NumPy and numba",
        "",
        f"- {datetime.datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"NumPy {np.__version__}; numba: {numba_version()}",
        "- NumPy: the body over the last axis (allocates); ironkernel and numba: gufuncs writing into out=",
        "- cell = median time (numpy_time / peer_time; > 1 is faster than NumPy)",
    ]
    setup: dict[tuple[str, str], dict[str, float]] = {}
    for dtype in args.dtypes:
        lines += [
            "",
            f"## {dtype}",
            "",
            "| kernel | rows × n | NumPy | ironkernel | numba guvectorize |",
            "|---|---|---:|---:|---:|",
        ]
        rng = np.random.default_rng(0)
        for kernel in KERNELS:
            peers = {"ironkernel": make_ironkernel}
            if "skipped" not in numba_version():
                peers["numba"] = make_numba
            made = {}
            for name, make in peers.items():
                made[name], seconds = make(kernel, dtype)
                setup.setdefault((kernel.name, dtype), {})[name] = seconds
            for rows, n in args.shapes:
                inputs = [rng.standard_normal((rows, n)).astype(dtype) for _ in range(kernel.nin)]
                out = np.empty((rows, n) if kernel.vector_output else (rows,), dtype)
                reference = kernel.numpy(*inputs)
                numpy_s, _ = median_seconds(lambda: kernel.numpy(*inputs), args.target_s, args.min_runs)
                cells = [format_seconds(numpy_s)]
                for name in ("ironkernel", "numba"):
                    if name not in made:
                        cells.append("—")
                        continue
                    u = made[name]
                    # numba's parallel gufuncs take the output positionally.
                    call = (
                        (lambda u=u: u(*inputs, out))
                        if name == "numba"
                        else (lambda u=u: u(*inputs, out=out))
                    )
                    got = time_cell(call, reference, args)
                    cells.append(
                        got if isinstance(got, str) else f"{format_seconds(got)} ({numpy_s / got:.2f}x)"
                    )
                lines.append(f"| {kernel.name} | {rows} × {n} | " + " | ".join(cells) + " |")
                print(f"  {dtype} {kernel.name} {rows}x{n} done", file=sys.stderr, flush=True)
    lines += [
        "",
        "## One-off costs: ironkernel decoration vs numba compile",
        "",
        "| kernel | dtype | ironkernel | numba |",
        "|---|---|---:|---:|",
    ]
    for (kernel_name, dtype), costs in setup.items():
        cells = [f"{costs[p] * 1e3:.1f} ms" if p in costs else "—" for p in ("ironkernel", "numba")]
        lines.append(f"| {kernel_name} | {dtype} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "- ironkernel: ik.gufunc decoration, median of 7, fresh function object each time; "
        "numba: guvectorize compile of one signature",
    ]
    text = "\n".join(lines) + "\n"
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "gufuncs.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
