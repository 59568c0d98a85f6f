"""What the installed NumPy does where NumPy itself differs between machines and versions, asked of
NumPy once at import and told to the core.

- Whether a vanishing result signals underflow: NumPy's loop for a function is its own SIMD code,
  Intel's SVML (on AVX-512 CPUs) or the C library, and they differ (on an AVX-512 machine
  ``np.arctanh`` of a subnormal is silent; elsewhere the C library signals). ironkernel raises the
  floating-point flags NumPy raises (``simd::set_signals_underflow``).
- The order of a long row's sum: NumPy 2 sums a contiguous row pairwise as a whole; NumPy 1.26 sums
  it in buffers of its bufsize and adds the buffers' sums one after the other. ironkernel's gufunc
  sums follow the same order, so that they have NumPy's bits (``eval::set_numpy_sum_block``).
"""

from __future__ import annotations

import math

import numpy as np

from . import _core


def _vanishing_argument(name: str, dtype: type) -> float:
    """An argument for which the function's result is subnormal and inexact, the case where every
    library signals underflow if it ever does (an exact subnormal such as exp2(-1074) need not
    signal): for exp and exp2 the logarithm of 3.5 times the smallest subnormal (about -1072.2 for
    exp2 in float64; -1000 would be a normal 2**-1000 there), a subnormal argument for the others
    (where f(x) ~ x near 0)."""
    # 3.5 * smallest_subnormal itself would round to 4 * smallest_subnormal: scale the logarithm.
    smallest = float(np.finfo(dtype).smallest_subnormal)
    if name == "exp":
        return math.log(smallest) + math.log(3.5)
    if name == "exp2":
        return math.log2(smallest) + math.log2(3.5)
    return 3 * float(np.finfo(dtype).smallest_subnormal)


def numpy_signals_underflow(name: str, dtype: type) -> bool:
    x = np.full(16, _vanishing_argument(name, dtype), dtype)
    with np.errstate(all="ignore", under="raise"):
        try:
            getattr(np, name)(x)
        except FloatingPointError:
            return True
    return False


def numpy_sum_block() -> int:
    """The length of the buffers NumPy sums a long contiguous row in, or 0 for the whole row.

    With a buffer of b elements, 2**53 at 0 and ones at b / 2 and b: summed as a whole row, the
    halving puts both ones in the second half, whose sum 2 survives next to 2**53; in buffers, the
    first buffer's 2**53 + 1 rounds to 2**53 (ties to even), and so does adding the second one.
    """
    b = int(np.getbufsize())
    x = np.zeros(b + 8)
    x[0], x[b // 2], x[b] = 2.0**53, 1.0, 1.0
    return 0 if np.sum(x) == 2.0**53 + 2 else b


def install() -> None:
    for name in _core.unary_math_functions():
        for dtype in (np.float32, np.float64):
            _core.set_signals_underflow(name, dtype is np.float32, numpy_signals_underflow(name, dtype))
    _core.set_numpy_sum_block(numpy_sum_block())
