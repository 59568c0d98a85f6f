"""Peer: numba -- ``@vectorize(target="parallel")`` of the per-element scalar function."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from expressions import Expression
from peers import setup_key

NAME = "numba"
WRITES_OUT = True
COMPUTES = True
SETUP_WHAT = "numba vectorize compile (eager signature, target='parallel')"

setup_seconds: dict[str, float] = {}
_numba: Any = None
_kernels: dict[str, Any] = {}


def available() -> tuple[bool, str]:
    global _numba
    try:
        import numba
        from numba.core import config
    except Exception as exc:  # noqa: BLE001 -- any failure to import is the reason to skip
        return False, f"unavailable: {type(exc).__name__}: {exc}"
    _numba = numba
    return True, (
        f"numba {numba.__version__}, llvmlite {_llvmlite_version()}, {_svml_status(config.USING_SVML)}, "
        f"{config.NUMBA_NUM_THREADS} threads"
    )


def _llvmlite_version() -> str:
    import llvmlite

    return llvmlite.__version__


def _svml_status(using_svml: bool) -> str:
    """The three things `numba -s` checks: config flag, libsvml loadable, SVML-patched LLVM."""
    import llvmlite.binding as llvm

    try:
        llvm.load_library_permanently("libsvml.so")  # what numba itself tries at import
        loadable = True
    except Exception:  # noqa: BLE001 -- any failure means numba cannot use it either
        loadable = False
    has_svml = getattr(llvm.targets, "has_svml", lambda: False)()
    state = "SVML enabled" if using_svml else "SVML NOT enabled"
    return (
        f"{state} (config.USING_SVML={using_svml}, libsvml.so loadable={loadable}, "
        f"llvmlite SVML-patched={has_svml})"
    )


def prepare(expr: Expression, inputs: list[np.ndarray], out: np.ndarray) -> Callable[[], Any] | None:
    dtype = inputs[0].dtype
    key = setup_key(expr.name, dtype)
    if key not in _kernels:
        # One eager signature per dtype: target="parallel" requires them, and compiling
        # only what is run keeps the reported compile time per dtype honest.
        kind = dtype.name
        signature = f"{kind}({', '.join([kind] * expr.nin)})"
        t0 = time.perf_counter()
        _kernels[key] = _numba.vectorize([signature], target="parallel")(expr.scalar)
        setup_seconds[key] = time.perf_counter() - t0
    kernel = _kernels[key]
    return lambda: kernel(*inputs, out=out)


def notes() -> list[str]:
    if _numba is None or not _kernels:
        return []
    try:
        layer = _numba.threading_layer()  # only known after a parallel kernel ran
    except ValueError:
        layer = "not initialised"
    return [f"numba threading layer: {layer}"]
