"""Peer: Dr.Jit -- its LLVM backend traces the same Python body over ``drjit.llvm`` arrays."""

from __future__ import annotations

import time
import types
from collections.abc import Callable
from typing import Any

import numpy as np
from expressions import Expression
from peers import setup_key, thread_count

NAME = "drjit"
WRITES_OUT = False  # every evaluation is a new Dr.Jit array
COMPUTES = True
SETUP_WHAT = "Dr.Jit first call (trace + LLVM compile, or its on-disk kernel cache) at the smallest size"

setup_seconds: dict[str, float] = {}
_dr: Any = None
_array_types: dict[str, Any] = {}


class Unsupported(Exception):
    """The body calls a NumPy function the shim does not map onto Dr.Jit."""


class _NumpyShim:
    """The ``np`` the body sees: the few NumPy functions the expressions call, as Dr.Jit's.

    NumPy's scalar arguments take the array's type, as NumPy 2's weak Python scalars do
    (``np.where(x > 0, y, 0)`` stays float32 for float32 ``y``).
    """

    def __init__(self, dr: Any, array_type: Any) -> None:
        self._dr, self._type = dr, array_type
        self.sqrt, self.abs, self.absolute, self.exp, self.log = dr.sqrt, dr.abs, dr.abs, dr.exp, dr.log
        self.sin, self.cos = dr.sin, dr.cos

    def where(self, condition: Any, if_true: Any, if_false: Any) -> Any:
        return self._dr.select(condition, self._array(if_true), self._array(if_false))

    def _array(self, value: Any) -> Any:
        return value if isinstance(value, self._type) else self._type(value)

    def __getattr__(self, name: str) -> Any:  # only for names not set above
        raise Unsupported(f"np.{name} has no mapping onto Dr.Jit in peer_drjit's shim")


def available() -> tuple[bool, str]:
    global _dr
    try:
        import drjit
        import drjit.llvm

        drjit.llvm.Float64(1.0).numpy()  # the LLVM backend needs a system libLLVM: fail here, not per cell
    except Exception as exc:  # noqa: BLE001 -- any failure to import or to find LLVM is the reason to skip
        return False, f"unavailable: {type(exc).__name__}: {exc}"
    _dr = drjit
    _array_types.update(float64=drjit.llvm.Float64, float32=drjit.llvm.Float32)
    drjit.set_thread_count(thread_count())
    fast_math = drjit.flag(drjit.JitFlag.FastMath)
    return True, (
        f"drjit {drjit.__version__}, LLVM backend, {drjit.thread_count()} threads "
        f"(dr.set_thread_count), FastMath flag {'on' if fast_math else 'off'} (its default)"
    )


def _traced(fn: types.FunctionType, shim: _NumpyShim) -> types.FunctionType:
    # Same code object, globals where `np` is the shim: Dr.Jit traces the very body NumPy runs.
    return types.FunctionType(fn.__code__, {**fn.__globals__, "np": shim}, fn.__name__, fn.__defaults__)


def prepare(expr: Expression, inputs: list[np.ndarray], out: np.ndarray) -> Callable[[], Any] | None:
    dr = _dr
    dtype = inputs[0].dtype.name
    array_type = _array_types.get(dtype)
    if array_type is None:
        return None
    body = _traced(expr.numpy, _NumpyShim(dr, array_type))
    # Converting the inputs is a one-off, outside the timed call; Dr.Jit copies them into its own memory.
    args = [array_type(a) for a in inputs]
    dr.eval(*args)
    dr.sync_thread()

    def call() -> Any:
        # Every call traces the body again (the compiled kernel comes from Dr.Jit's cache); the
        # backend runs asynchronously, so the timed call waits for the result.
        result = body(*args)
        dr.eval(result)
        dr.sync_thread()
        return result

    t0 = time.perf_counter()
    try:
        call()
    except Unsupported:
        return None
    key = setup_key(expr.name, dtype)
    if key not in setup_seconds:
        setup_seconds[key] = time.perf_counter() - t0
    return call


def sin_accuracy(dtype: str, largest: float) -> str:
    """Dr.Jit's sin against NumPy's on |x| from 1 to ``largest`` (beyond the benchmark's inputs,
    which are standard normal): the largest |x| up to which it stays within 4 ulp, and the
    worst error above it."""
    x = np.geomspace(1.0, largest, 100_001).astype(dtype)
    with np.errstate(all="ignore"):
        got = _dr.sin(_array_types[dtype](x)).numpy()
        exact = np.sin(x)
        ulps = np.abs(got.astype(np.float64) - exact) / np.spacing(np.abs(exact)).astype(np.float64)
    ulps[np.isnan(got) != np.isnan(exact)] = np.inf
    bad = np.flatnonzero(~(ulps <= 4))
    if not bad.size:
        return f"{dtype} sin within 4 ulp of NumPy's for 1 <= |x| <= {largest:.0e}"
    finite = np.isfinite(ulps[bad]) & np.isfinite(got[bad])
    worst = (
        f"up to {ulps[bad][finite].max():.2g} ulp (absolute error {np.abs(got - exact)[bad][finite].max():.2g})"
        if finite.any()
        else "no finite answers"
    )
    non_finite = int((~finite).sum())
    return f"{dtype} sin within 4 ulp of NumPy's only up to |x| = {x[bad[0]]:.3g}; above it {worst}" + (
        f", NaN or inf for {non_finite} of the {x.size} |x| tried" if non_finite else ""
    )


def notes() -> list[str]:
    if _dr is None or not setup_seconds:
        return []
    return [
        "drjit accuracy beyond the benchmark inputs: "
        + "; ".join(sin_accuracy(dtype, largest) for dtype, largest in (("float64", 1e20), ("float32", 1e30)))
        + " (the benchmark's standard normal inputs stay below these)"
    ]
