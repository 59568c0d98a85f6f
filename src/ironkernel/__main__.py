"""The demo: `python -m ironkernel` fuses the seed expression, checks it against NumPy, times both."""

from __future__ import annotations

import sys
import time

import numpy as np

import ironkernel as ik


def seed(x):
    return np.where(x > 0, np.sqrt(np.abs(x)) + np.sin(x), 0)


def median_time(fn, *args, repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def main() -> int:
    t0 = time.perf_counter()
    fused = ik.ufunc(seed)
    decorate_ms = (time.perf_counter() - t0) * 1e3
    print("ironkernel demo: np.where(x > 0, np.sqrt(np.abs(x)) + np.sin(x), 0)")
    print(
        f"  decorated in {decorate_ms:.1f} ms -> {fused!r}, isinstance np.ufunc: {isinstance(fused, np.ufunc)}"
    )
    print(f"  threads: {ik.get_num_threads()}, vector math: {ik._core.simd_isa()}")
    ok = True
    for n in (1_000, 1_000_000, 10_000_000):
        x = np.random.default_rng(0).standard_normal(n)
        out = np.empty_like(x)
        with np.errstate(invalid="ignore"):
            expected = seed(x)
        got = fused(x, out=out)
        ulp = np.max(np.abs(got - expected) / np.spacing(np.maximum(np.abs(expected), 1e-300)))
        same = got.dtype == expected.dtype and got.shape == expected.shape and ulp <= 4
        ok &= bool(same)
        with np.errstate(invalid="ignore"):
            t_np = median_time(seed, x)
        t_ik = median_time(fused, x, out)
        print(
            f"  n={n:>10,}: NumPy {t_np * 1e3:8.3f} ms   ironkernel {t_ik * 1e3:8.3f} ms   "
            f"speedup {t_np / t_ik:5.1f}x   max error {ulp:.0f} ulp {'ok' if same else 'MISMATCH'}"
        )
    print("  see benchmarks/run.py for the comparison with numexpr, numba and JAX")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
