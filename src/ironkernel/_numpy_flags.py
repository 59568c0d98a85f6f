"""NumPy's underflow signalling, asked of NumPy itself at import.

Whether ``np.sin`` of a subnormal signals underflow depends on the machine: NumPy's loop for a
function is its own SIMD code, Intel's SVML (on AVX-512 CPUs) or the C library, and they differ
(on an AVX-512 machine ``np.arctanh`` of a subnormal is silent; elsewhere the C library signals).
ironkernel raises the floating-point flags NumPy raises, so it asks NumPy once per function and
dtype and tells the core (``simd::set_signals_underflow``).
"""

from __future__ import annotations

import numpy as np

from . import _core


def _vanishing_argument(name: str, dtype: type) -> float:
    """An argument for which the function's result is subnormal or zero: a large negative one for
    exp and exp2, a subnormal one for the others (where f(x) ~ x near 0)."""
    if name in ("exp", "exp2"):
        return -1000.0
    return 3 * float(np.finfo(dtype).smallest_subnormal)


def numpy_signals_underflow(name: str, dtype: type) -> bool:
    x = np.full(16, _vanishing_argument(name, dtype), dtype)
    with np.errstate(all="ignore", under="raise"):
        try:
            getattr(np, name)(x)
        except FloatingPointError:
            return True
    return False


def install() -> None:
    for name in _core.unary_math_functions():
        for dtype in (np.float32, np.float64):
            _core.set_signals_underflow(name, dtype is np.float32, numpy_signals_underflow(name, dtype))
