"""Builds the hand-written C++ references of benchmarks/limit/ (peer_limit, peer_floor) at run
time, into a temporary folder, for the widest vectors the CPU has, and loads them with ctypes."""

from __future__ import annotations

import atexit
import ctypes
import shutil
import subprocess
import tempfile
from pathlib import Path

LIMIT_DIR = Path(__file__).parent / "limit"


def cpu_level() -> str | None:
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


def flags(optimisation: str = "-O2") -> list[str]:
    # No OpenMP: the references' threads are limit/team.hpp's, which sleep between calls.
    return [optimisation, f"-march={cpu_level() or 'native'}", "-std=c++20", "-pthread", "-fPIC", "-shared"]


def unavailable_reason() -> str | None:
    """Why the references cannot be built here, or None."""
    if shutil.which("g++") is None:
        return "unavailable: no g++ on PATH"
    if cpu_level() is None:
        return "unavailable: CPU has neither AVX-512 nor AVX2 + FMA"
    return None


def build(source: str, compile_flags: list[str], libraries: tuple[str, ...] = ()) -> ctypes.CDLL:
    """Compiles LIMIT_DIR/source into a shared library and loads it."""
    folder = tempfile.mkdtemp(prefix="ik_limit_")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    library = Path(folder) / f"lib{Path(source).stem}.so"
    command = ["g++", *compile_flags, str(LIMIT_DIR / source), "-o", str(library), *libraries]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"g++ failed: {result.stderr.strip().splitlines()[-1:]}")
    return ctypes.CDLL(str(library))
