"""Peer: the hand-written SIMD C++ loop of the seed expression (limit/limit_seed.cpp).

Built at run time into a temporary folder with g++ for the widest vectors the CPU has
(AVX-512, else AVX2 + FMA) and loaded with ctypes; skipped with the reason if there is no
compiler, no AVX2 or no libmvec.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import Any

import numpy as np
from expressions import Expression
from native_build import build, flags, unavailable_reason
from peers import thread_count

NAME = "limit"
WRITES_OUT = True
COMPUTES = True
THREADS = thread_count()
FLAGS = flags("-O2")

_kernel: Any = None


def available() -> tuple[bool, str]:
    global _kernel
    if reason := unavailable_reason():
        return False, reason
    try:
        library = build("limit_seed.cpp", FLAGS, ("-lmvec", "-lm"))
    except Exception as exc:  # noqa: BLE001 -- a failed build is the reason to skip
        return False, f"unavailable: {exc}"
    _kernel = library.limit_seed_f64
    _kernel.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_ssize_t, ctypes.c_int]
    _kernel.restype = None
    lanes = library.limit_lanes()
    return (
        True,
        f"g++ {' '.join(FLAGS)} -lmvec ({lanes} doubles per vector), seed/float64 only, {THREADS} threads (limit/team.hpp)",
    )


def prepare(expr: Expression, inputs: list[np.ndarray], out: np.ndarray) -> Callable[[], Any] | None:
    x = inputs[0]
    if expr.name != "seed" or x.dtype != np.float64 or not (x.flags.c_contiguous and out.flags.c_contiguous):
        return None
    kernel, x_ptr, out_ptr, n = _kernel, x.ctypes.data, out.ctypes.data, x.size

    def call() -> np.ndarray:
        kernel(x_ptr, out_ptr, n, THREADS)
        return out

    return call
