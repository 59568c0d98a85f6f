"""Peer: the memory floor of a one-pass body (limit/floor.cpp): out = sum of the inputs + 0.0,
on as many threads as ironkernel's calls use, the faster of ordinary and non-temporal stores.

It reads every input of the expression and writes the output once, with next to no arithmetic:
no fused kernel of a memory-bound expression can beat it on the same arrays. The issue's target
for memory-bound bodies at 1e7 and 1e8 elements is within 1.15x of it. Built at run time with g++
(-O3, the widest vectors the CPU has) and loaded with ctypes.
"""

from __future__ import annotations

import ctypes
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from expressions import Expression
from native_build import build, flags, unavailable_reason
from peers import thread_count

NAME = "floor"
WRITES_OUT = True
COMPUTES = False  # a reference for speed only; its result is not the expression
THREADS = thread_count()
FLAGS = flags("-O3")

_library: Any = None
_chosen: list[str] = []


def available() -> tuple[bool, str]:
    global _library
    if reason := unavailable_reason():
        return False, reason
    try:
        _library = build("floor.cpp", FLAGS)
    except Exception as exc:  # noqa: BLE001 -- a failed build is the reason to skip
        return False, f"unavailable: {exc}"
    for name in ("floor_f64", "floor_f32"):
        fn = getattr(_library, name)
        fn.argtypes = [
            ctypes.c_void_p,
            ctypes.c_int,
            ctypes.c_void_p,
            ctypes.c_ssize_t,
            ctypes.c_int,
            ctypes.c_int,
        ]
        fn.restype = None
    return (
        True,
        f"g++ {' '.join(FLAGS)}: out = sum(inputs) + 0, {THREADS} threads (limit/team.hpp), best of plain/streaming stores",
    )


def _seconds(call: Callable[[], Any], repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - t0)
    return best


def prepare(expr: Expression, inputs: list[np.ndarray], out: np.ndarray) -> Callable[[], Any] | None:
    if out.dtype not in (np.float64, np.float32) or not out.flags.c_contiguous:
        return None
    if any(x.dtype != out.dtype or not x.flags.c_contiguous or x.shape != out.shape for x in inputs):
        return None
    fn = _library.floor_f64 if out.dtype == np.float64 else _library.floor_f32
    pointers = (ctypes.c_void_p * len(inputs))(*[x.ctypes.data for x in inputs])
    args = (ctypes.cast(pointers, ctypes.c_void_p), len(inputs), out.ctypes.data, out.size, THREADS)
    calls = {kind: (lambda nt=nt: fn(*args, nt)) for kind, nt in (("plain", 0), ("streaming", 1))}
    kind = min(calls, key=lambda k: _seconds(calls[k]))
    _chosen.append(f"{expr.name}/{out.dtype}/{out.size:.0e}: {kind}")
    call = calls[kind]

    def timed_call() -> np.ndarray:
        call()
        return out

    return timed_call


def notes() -> list[str]:
    return [f"floor stores chosen: {', '.join(_chosen)}"] if _chosen else []
