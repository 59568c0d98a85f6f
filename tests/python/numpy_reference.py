"""Runs a body through plain NumPy and through @ik.ufunc and compares everything a user sees."""

from __future__ import annotations

import warnings

import numpy as np

import ironkernel as ik

# The oracle is the public one, ik.testing: the same comparisons a user's tests make.
from ironkernel.testing import MATH_ULP, assert_same, fp_warnings, ulp_distance  # noqa: F401


def call_recording(fn, *args, **kwargs):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        result = fn(*args, **kwargs)
    return result, fp_warnings(record)


def warned(fn, *args):
    """fn's result and its floating-point warnings, with every kind of them warned."""
    with np.errstate(all="warn"):
        return call_recording(fn, *args)


def raised(fn, *args):
    """The message of the FloatingPointError fn raises under np.errstate(all="raise"), or None."""
    with np.errstate(all="raise"):
        try:
            fn(*args)
        except FloatingPointError as error:
            return str(error).split(" encountered")[0]
    return None


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


def rows(body, *arrays):
    """NumPy reference: the body applied row by row (the loop dimensions flattened)."""
    shape = np.broadcast_shapes(*(a.shape[:-1] for a in arrays))
    arrays = [np.broadcast_to(a, shape + a.shape[-1:]) for a in arrays]
    results = [body(*(a[idx] for a in arrays)) for idx in np.ndindex(shape)]
    return np.array(results).reshape(shape + np.shape(results[0]))
