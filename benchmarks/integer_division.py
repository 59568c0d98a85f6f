"""Integer division against NumPy's loops: x // 7, x // -7 and x % 7 by a constant on every integer
dtype, and divmod of two arrays, as A/B pairs timed in turns in one process (one thread, both
writing into out=), so that a busy machine's slow spells hit both sides alike.

    python benchmarks/integer_division.py --sizes 1e5,1e6
    python benchmarks/integer_division.py --sizes 1e5 --only "uint8 x // 7,divmod"
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the helper modules sit next to this file

from timing import interleaved_median_seconds

import ironkernel as ik

INTEGERS = ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"]
BY_CONSTANT: dict[str, tuple[Callable, Callable]] = {
    "x // 7": (lambda x: x // 7, lambda x, o: np.floor_divide(x, 7, out=o)),
    "x // -7": (lambda x: x // -7, lambda x, o: np.floor_divide(x, -7, out=o)),
    "x % 7": (lambda x: x % 7, lambda x, o: np.remainder(x, 7, out=o)),
}


def constant_pair(body: str, dtype: str, n: int, rng: np.random.Generator) -> dict[str, Callable]:
    info = np.iinfo(dtype)
    x = rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True)
    traced, reference = BY_CONSTANT[body]
    kernel, out = ik.ufunc(traced), np.empty(n, dtype)
    if not np.array_equal(kernel(x), reference(x, np.empty(n, dtype))):
        raise AssertionError(f"{body} as {dtype}: not NumPy's result")
    return {"numpy": lambda: reference(x, out), "ironkernel": lambda: kernel(x, out=out)}


def divmod_pair(dtype: str, n: int, rng: np.random.Generator) -> dict[str, Callable]:
    signed = np.dtype(dtype).kind != "u"
    x = rng.integers(-100 if signed else 0, 100, n).astype(dtype)
    y = (rng.integers(1, 100, n) * (rng.choice([-1, 1], n) if signed else 1)).astype(dtype)
    kernel = ik.ufunc(lambda a, b: divmod(a, b))
    out = (np.empty(n, dtype), np.empty(n, dtype))
    if not all(np.array_equal(g, e) for g, e in zip(kernel(x, y), np.divmod(x, y))):
        raise AssertionError(f"divmod as {dtype}: not NumPy's result")
    return {"numpy": lambda: np.divmod(x, y, out=out), "ironkernel": lambda: kernel(x, y, out=out)}


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e5,1e6")
    parser.add_argument("--seconds", type=float, default=0.4, help="per pair and size, both sides together")
    parser.add_argument("--only", default="", help="comma-separated substrings of 'dtype body' to keep")
    args = parser.parse_args(argv)
    ik.set_num_threads(1)
    rng = np.random.default_rng(0)
    wanted = [w for w in args.only.split(",") if w]
    cells = [
        (dtype, body) for dtype in INTEGERS for body in BY_CONSTANT if body != "x // -7" or dtype[0] == "i"
    ]
    cells += [(dtype, "divmod(x, y)") for dtype in [*INTEGERS, "float32", "float64"]]
    lines = ["| n | dtype | body | NumPy | ironkernel | ratio |", "|---:|---|---|---:|---:|---:|"]
    print("\n".join(lines), flush=True)
    for n in (int(float(s)) for s in args.sizes.split(",")):
        for dtype, body in cells:
            if wanted and not any(w in f"{dtype} {body}" for w in wanted):
                continue
            pair = (
                divmod_pair(dtype, n, rng)
                if body.startswith("divmod")
                else constant_pair(body, dtype, n, rng)
            )
            times = interleaved_median_seconds(pair, args.seconds, 21, rounds=6)
            numpy_s, ik_s = times["numpy"][0], times["ironkernel"][0]
            lines.append(
                f"| {n:.0e} | {dtype} | `{body}` | {numpy_s * 1e6:.1f} µs | {ik_s * 1e6:.1f} µs | "
                f"{numpy_s / ik_s:.2f}x |"
            )
            print(lines[-1], flush=True)
    return lines


if __name__ == "__main__":
    main()
