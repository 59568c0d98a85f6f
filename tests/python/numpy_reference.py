"""Runs a body through plain NumPy and through @ik.ufunc and compares everything a user sees."""

from __future__ import annotations

import re
import warnings

import numpy as np

import ironkernel as ik

# Stated accuracy of the vector math functions against NumPy's own results (both sides' errors
# add up: NumPy's SIMD sin/exp are not correctly rounded either). See docs/functions.md.
MATH_ULP = 8


def fp_warnings(record: list) -> set[str]:
    """The kinds of floating-point RuntimeWarnings raised ('divide', 'invalid', ...)."""
    kinds = set()
    for w in record:
        if issubclass(w.category, RuntimeWarning):
            m = re.search(r"(divide by zero|overflow|underflow|invalid value)", str(w.message))
            if m:
                kinds.add(m.group(1).split()[0])
    return kinds


def call_recording(fn, *args, **kwargs):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        result = fn(*args, **kwargs)
    return result, fp_warnings(record)


def ulp_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance in units in the last place of b (NaNs equal NaNs, infinities must match exactly)."""
    a = np.asarray(a)
    b = np.asarray(b)
    both_nan = np.isnan(a) & np.isnan(b)
    same = (a == b) | both_nan
    with np.errstate(all="ignore"):
        d = np.abs(a.astype(np.float64) - b.astype(np.float64)) / np.spacing(np.abs(b)).astype(np.float64)
    d = np.where(same, 0.0, d)
    return np.where(np.isnan(d), np.inf, d)


def assert_same(got, expected, ulp: float = 0, check_warnings: tuple | None = None) -> None:
    got_arr, exp_arr = np.asarray(got), np.asarray(expected)
    assert got_arr.dtype == exp_arr.dtype, f"dtype {got_arr.dtype} != NumPy's {exp_arr.dtype}"
    assert got_arr.shape == exp_arr.shape, f"shape {got_arr.shape} != NumPy's {exp_arr.shape}"
    if exp_arr.dtype.kind == "c":
        assert_same(got_arr.real, exp_arr.real, ulp)
        assert_same(got_arr.imag, exp_arr.imag, ulp)
        return
    if ulp == 0 or exp_arr.dtype.kind not in "fc":
        # bit-exact, including the sign of zero and NaN positions
        if exp_arr.dtype.kind in "fc":
            np.testing.assert_array_equal(np.signbit(got_arr) | np.isnan(got_arr), np.signbit(exp_arr) | np.isnan(exp_arr))
        np.testing.assert_array_equal(got_arr, exp_arr)
    else:
        d = ulp_distance(got_arr, exp_arr)
        worst = np.unravel_index(np.argmax(d), d.shape) if d.size else None
        assert d.size == 0 or d.max() <= ulp, (
            f"max error {d.max()} ulp > {ulp} at {worst}: got {got_arr[worst]!r}, NumPy {exp_arr[worst]!r}")


def check_kernel(fn, *args, ulp: float = 0, warnings_too: bool = True, kernel=None, **kwargs):
    """Decorates fn, runs both, compares values, dtype, shape and floating-point warnings."""
    kernel = kernel if kernel is not None else ik.ufunc(fn)
    expected, np_warn = call_recording(fn, *args)
    got, ik_warn = call_recording(kernel, *args, **kwargs)
    assert_same(got, expected, ulp)
    if warnings_too:
        assert ik_warn == np_warn, f"warnings {ik_warn} != NumPy's {np_warn}"
    return got


def with_thread_counts(kernel, *args):
    """The kernel's results on 1 and on 2 threads (they must be identical)."""
    try:
        ik.set_num_threads(1)
        one = kernel(*args)
        ik.set_num_threads(2)
        two = kernel(*args)
    finally:
        ik.set_num_threads(0)
    return one, two
