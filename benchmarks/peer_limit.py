"""Peer: the hand-written AVX-512 C++ loop of the seed expression (limit/limit_seed.cpp).

Built at run time into a temporary folder with g++ and loaded with ctypes; skipped with
the reason if there is no compiler, no AVX-512 or no libmvec.
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
FLAGS = ["-O2", "-march=x86-64-v4", "-fopenmp", "-fPIC", "-shared"]
THREADS = os.cpu_count() or 1

_kernel: Any = None


def _has_avx512() -> bool:
    try:
        return "avx512f" in Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False


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
    if not _has_avx512():
        return False, "unavailable: CPU has no AVX-512 (avx512f)"
    try:
        library = _build()
    except Exception as exc:  # noqa: BLE001 -- a failed build is the reason to skip
        return False, f"unavailable: {exc}"
    _kernel = library.limit_seed_f64
    _kernel.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_ssize_t, ctypes.c_int]
    _kernel.restype = None
    return True, f"g++ {' '.join(FLAGS)} -lmvec, seed/float64 only, {THREADS} OpenMP threads"


def prepare(expr: Expression, inputs: list[np.ndarray], out: np.ndarray) -> Callable[[], Any] | None:
    x = inputs[0]
    if expr.name != "seed" or x.dtype != np.float64 or not (x.flags.c_contiguous and out.flags.c_contiguous):
        return None
    kernel, x_ptr, out_ptr, n = _kernel, x.ctypes.data, out.ctypes.data, x.size

    def call() -> np.ndarray:
        kernel(x_ptr, out_ptr, n, THREADS)
        return out

    return call
