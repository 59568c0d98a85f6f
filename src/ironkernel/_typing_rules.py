"""NumPy's typing rules that the typer (_typing.py) applies: Python scalars' weak kinds, the loop
NumPy picks for a ufunc and the casts it implies, reductions' result dtypes, and the exception a
body that NumPy refuses raises (``LoopRejected``).
"""

from __future__ import annotations

import functools
import struct
from typing import NamedTuple

import numpy as np

from ._ops import ALIASES, MULTI_OUTPUT, result_dtype

_WEAK = (int, float, complex)
# The dtype a run-time Python scalar has where it is not converted to another: NumPy's default.
_WEAK_DEFAULT = {int: np.dtype(np.int64), float: np.dtype(np.float64), complex: np.dtype(np.complex128)}
_SYMBOLS = {"less": "<", "less_equal": "<=", "greater": ">", "greater_equal": ">="}
_COMPARISONS = {
    "less": "greater",
    "less_equal": "greater_equal",
    "greater": "less",
    "greater_equal": "less_equal",
    "equal": "equal",
    "not_equal": "not_equal",
}  # each with its mirror (operands swapped)
_NUMPY2 = np.lib.NumpyVersion(np.__version__) >= "2.0.0"  # Python scalars: NEP 50 "weak" (bool is not weak)


def _exact_key(value: int | float | complex) -> object:
    """A Python scalar as a cache key that tells -0.0 from 0.0 (which compare and hash equal)."""
    if isinstance(value, float):
        return struct.pack("<d", value)
    if isinstance(value, complex):
        return struct.pack("<dd", value.real, value.imag)
    return value


# NumPy's answers are cached: every loop of every kernel asks the same few questions, and
# asking NumPy was most of a gufunc's decoration time (14 loops, each typed from scratch).
@functools.lru_cache(maxsize=1024)
def _real_dtype(dtype: np.dtype) -> np.dtype:
    """float64 for complex128, float32 for complex64, the dtype itself otherwise."""
    return np.empty(0, dtype).real.dtype


@functools.lru_cache(maxsize=1024)
def _reduction_dtype(kind: str, dtype: np.dtype) -> np.dtype:
    """The dtype of np.<kind> (sum, prod, mean) over values of dtype: e.g. int8 sums in int64."""
    return getattr(np, kind)(np.zeros(1, dtype)).dtype


class Refusal(NamedTuple):
    """NumPy's refusal of an operation: its message, and the exception type a call raises."""

    message: str
    error: type[Exception]


def builtin_exception_type(exc: Exception) -> type[Exception]:
    """The built-in exception class an exception is (UFuncTypeError and DTypePromotionError are
    TypeErrors): what a kernel raises in its place, since NumPy's own need NumPy's arguments."""
    return next(c for c in type(exc).__mro__ if c.__module__ == "builtins")


@functools.lru_cache(maxsize=4096)
def _loop_plan(ufunc_name: str, specs: tuple, output: int | None, chars: tuple) -> tuple:
    """How np.<ufunc_name> computes operands of these specs (see _Typer.operand_spec): (loop input
    dtypes, loop output dtypes, ironkernel op, its result dtype, why ironkernel cannot compute it
    or None), or NumPy's refusal. chars: the specs' type characters, only so that the cache keeps
    int64 as 'l' and as 'q' apart (equal dtypes, but NumPy's loops keep the character)."""
    ufunc = getattr(np, ufunc_name)
    try:
        resolved = ufunc.resolve_dtypes(specs + (None,) * ufunc.nout)
    except Exception as exc:  # NumPy's own refusal: UFuncTypeError, TypeError, ...
        return Refusal(f"np.{ufunc_name}: {exc}", builtin_exception_type(exc))
    loop_in, loop_out = resolved[: ufunc.nin], resolved[ufunc.nin :]
    op = MULTI_OUTPUT[ufunc_name][output] if output is not None else ALIASES.get(ufunc_name, ufunc_name)
    out_dtype = loop_out[output or 0]
    problem = None
    if op is None:  # np.modf, typed from exact ops (_Typer.modf)
        pass
    elif len(set(loop_in)) != 1 and op != "ldexp":
        problem = f"np.{ufunc_name} has no loop with equal input dtypes here ({loop_in})"
    elif (expected := result_dtype(op, loop_in[0])) is not None and out_dtype != expected:
        # (a dtype the core does not compute in is refused where a node would get it: check_dtype)
        problem = f"np.{ufunc_name} on {loop_in[0]} gives {out_dtype}, which ironkernel does not support yet"
    return loop_in, loop_out, op, out_dtype, problem


@functools.lru_cache(maxsize=4096)
def _weak_operand(kind: type, key: object, dtype: np.dtype, ufunc_operand: bool) -> tuple:
    """A weak Python scalar (kind, _exact_key) as an operand of dtype, or why it cannot be.
    An int out of an integer dtype's range wraps as a C cast does (np.where), or, for a ufunc
    operand, is refused as NumPy 2 refuses it (1.26 would wrap it). Returns (the NumPy scalar,
    None), or (inf, the number as float64 or complex128) for a finite number that overflows a
    float dtype, which NumPy reports on every call."""
    if kind is float:
        value = struct.unpack("<d", key)[0]
    elif kind is complex:
        value = complex(*struct.unpack("<dd", key))
    else:
        value = key
    wrap = False
    if issubclass(kind, int) and kind is not bool and dtype.kind in "iu":
        bounds = np.iinfo(dtype)
        if not bounds.min <= value <= bounds.max:
            if ufunc_operand:
                return Refusal(f"Python integer {value} out of bounds for {dtype}", OverflowError)
            wrap = True
    try:
        with np.errstate(all="ignore"):
            scalar = (np.asarray(value).astype(dtype) if wrap else np.asarray(value, dtype=dtype))[()]
    except (OverflowError, ValueError, TypeError) as exc:
        return Refusal(str(exc), type(exc))
    if dtype.kind in "fc" and not np.isfinite(scalar):
        wide = np.asarray(value, np.complex128 if kind is complex else np.float64)[()]
        if np.isfinite(wide):
            return scalar, wide
    return scalar, None


class LoopRejected(Exception):
    """NumPy (or ironkernel) has no loop for this body at these input dtypes; `error` is the
    exception type NumPy raises for the body (TypeError, OverflowError, ...)."""

    def __init__(self, message: str, where: str = "", error: type[Exception] = TypeError):
        super().__init__(message)
        self.where = where
        self.error = error

    def for_call(self, kernel_name: str) -> Exception:
        """The exception a call of the kernel raises: NumPy's type and message, naming the kernel
        and the line of its body."""
        at = f" (at {self.where})" if self.where else ""
        return self.error(f"{kernel_name}(): {self}{at}")
