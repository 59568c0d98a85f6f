"""Peer: ironkernel -- ``ik.ufunc`` applied to the very same Python function as NumPy runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from expressions import Expression
from peers import setup_key
from timing import median_decoration_seconds

NAME = "ironkernel"
WRITES_OUT = True
COMPUTES = True
SETUP_WHAT = "ik.ufunc(fn) decoration, median of 7, fresh function object each time"
DECORATIONS = 7

setup_seconds: dict[str, float] = {}
_ik: Any = None
_kernels: dict[str, np.ufunc] = {}


def available() -> tuple[bool, str]:
    global _ik
    try:
        import ironkernel

        ironkernel.ufunc  # noqa: B018 -- a half-built package may import but lack the API
    except Exception as exc:  # noqa: BLE001 -- any failure means "not usable here", shown as the reason
        return False, f"unavailable: {type(exc).__name__}: {exc}"
    _ik = ironkernel
    version = getattr(ironkernel, "__version__", "?")
    threads = getattr(ironkernel, "get_num_threads", lambda: "?")()
    return True, f"ironkernel {version}, {threads} threads"


def _decorate(expr: Expression) -> np.ufunc:
    kernel, seconds = median_decoration_seconds(_ik.ufunc, expr.numpy, DECORATIONS)
    setup_seconds[setup_key(expr.name, "all")] = seconds
    return kernel


def prepare(expr: Expression, inputs: list[np.ndarray], out: np.ndarray) -> Callable[[], Any] | None:
    # One ufunc serves every dtype (its loops are chosen by NumPy), so decorate once per expression.
    if expr.name not in _kernels:
        _kernels[expr.name] = _decorate(expr)
    kernel = _kernels[expr.name]
    return lambda: kernel(*inputs, out=out)


def notes() -> list[str]:
    return [f"ironkernel threads: {_ik.get_num_threads()}"] if _ik and hasattr(_ik, "get_num_threads") else []
