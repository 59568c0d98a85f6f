"""Peer: the hand-written SIMD C++ loop of the seed expression (limit/limit_seed.cpp).

Built at run time into a temporary folder with g++ for the widest vectors the CPU has
(AVX-512, else AVX2 + FMA) and loaded with ctypes; skipped with the reason if there is no
compiler, no AVX2 or no libmvec.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from expressions import Expression

NAME = "limit"
WRITES_OUT = True
COMPUTES = True
SOURCE = Path(__file__).parent / "limit" / "limit_seed.cpp"
THREADS = os.cpu_count() or 1

_kernel: Any = None


def _cpu_level() -> str | None:
    """The -march level the CPU runs: x86-64-v4 with AVX-512, x86-64-v3 with AVX2 and FMA."""
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        return None
    if {"avx512f", "avx512dq", "avx512vl", "avx512bw"} <= flags:
        return "x86-64-v4"
    if {"avx2", "fma"} <= flags:
        return "x86-64-v3"
    return None


FLAGS = ["-O2", f"-march={_cpu_level() or 'native'}", "-fopenmp", "-fPIC", "-shared"]


def _build() -> ctypes.CDLL:
    folder = tempfile.mkdtemp(prefix="ik_limit_")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    library = Path(folder) / "liblimit_seed.so"
    command = ["g++", *FLAGS, str(SOURCE), "-o", str(library), "-lmvec", "-lm"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"g++ failed: {result.stderr.strip().splitlines()[-1:]}")
    return ctypes.CDLL(str(library))


def available() -> tuple[bool, str]:
    global _kernel
    if shutil.which("g++") is None:
        return False, "unavailable: no g++ on PATH"
    if _cpu_level() is None:
        return False, "unavailable: CPU has neither AVX-512 nor AVX2 + FMA"
    try:
        library = _build()
    except Exception as exc:  # noqa: BLE001 -- a failed build is the reason to skip
        return False, f"unavailable: {exc}"
    _kernel = library.limit_seed_f64
    _kernel.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_ssize_t, ctypes.c_int]
    _kernel.restype = None
    lanes = library.limit_lanes()
    return True, f"g++ {' '.join(FLAGS)} -lmvec ({lanes} doubles per vector), seed/float64 only, {THREADS} OpenMP threads"


def prepare(expr: Expression, inputs: list[np.ndarray], out: np.ndarray) -> Callable[[], Any] | None:
    x = inputs[0]
    if expr.name != "seed" or x.dtype != np.float64 or not (x.flags.c_contiguous and out.flags.c_contiguous):
        return None
    kernel, x_ptr, out_ptr, n = _kernel, x.ctypes.data, out.ctypes.data, x.size

    def call() -> np.ndarray:
        kernel(x_ptr, out_ptr, n, THREADS)
        return out

    return call
