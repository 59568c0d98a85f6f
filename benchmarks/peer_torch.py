"""Peer: torch.compile of the same NumPy body (Dynamo traces NumPy code; Inductor emits C++/OpenMP)."""

from __future__ import annotations

import sys
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from expressions import Expression
from peers import setup_key, thread_count

NAME = "torch.compile"
WRITES_OUT = True
COMPUTES = True
SETUP_WHAT = (
    "torch.compile first call (Dynamo trace + Inductor C++ build, or its on-disk caches) at the smallest "
    "size; dynamic=False compiles again for every further size"
)

setup_seconds: dict[str, float] = {}
_torch: Any = None
_compile_seconds: list[float] = []
_ironkernel_threads: list[str] = []


def _ironkernel_thread_count() -> str:
    ik = sys.modules.get("ironkernel")
    return str(ik.get_num_threads()) if ik is not None and hasattr(ik, "get_num_threads") else "not imported"


def available() -> tuple[bool, str]:
    global _torch
    before = _ironkernel_thread_count()
    t0 = time.perf_counter()
    try:
        import torch
        import torch._dynamo  # a torch without its compiler stack is no peer
    except Exception as exc:  # noqa: BLE001 -- any failure to import is the reason to skip
        return False, f"unavailable: {type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - t0
    # Before any compile: Inductor writes the thread count into each kernel's OpenMP pragma.
    torch.set_num_threads(thread_count())
    _ironkernel_threads[:] = [before, _ironkernel_thread_count()]
    _torch = torch
    return True, (
        f"torch {torch.__version__}, {torch.get_num_threads()} threads (torch.set_num_threads), "
        f"fullgraph=True, dynamic=False, inputs as tensors sharing the arrays' memory; import {seconds:.1f} s"
    )


def _body(fn: Callable[..., Any], name: str) -> types.FunctionType:
    """``fn`` on the NumPy views of its tensor arguments, written into the last one.

    Each body gets a code object of its own: Dynamo keeps its compiled graphs per code object
    and checks their guards in turn on every call, and one shared body would pile every
    expression, dtype and size onto one list (and hit its recompile limit of 8).
    """

    def body(*tensors: Any) -> None:
        arrays = [t.numpy() for t in tensors]
        arrays[-1][...] = fn(*arrays[:-1])

    code = body.__code__.replace(co_name=name, co_qualname=name)
    return types.FunctionType(code, body.__globals__, name, None, body.__closure__)


def prepare(expr: Expression, inputs: list[np.ndarray], out: np.ndarray) -> Callable[[], Any] | None:
    torch = _torch
    dtype = inputs[0].dtype.name
    compiled = torch.compile(
        _body(expr.numpy, f"body_{expr.name}_{dtype}_{inputs[0].size}"), fullgraph=True, dynamic=False
    )
    # torch.from_numpy shares memory: nothing is copied, the kernel writes straight into `out`.
    # Wrapping outside the timed call is what JAX's device_put is to the jax peer; passing the
    # ndarrays themselves also works but converts them at every call (~13 µs more at 1e3 here).
    tensors = [torch.from_numpy(a) for a in [*inputs, out]]
    t0 = time.perf_counter()
    compiled(*tensors)
    seconds = time.perf_counter() - t0
    _compile_seconds.append(seconds)
    setup_seconds.setdefault(setup_key(expr.name, dtype), seconds)

    def call() -> np.ndarray:
        compiled(*tensors)
        return out

    return call


def _openmp_runtimes() -> list[str]:
    """The OpenMP runtimes mapped into this process (torch ships a libgomp.so.1 of its own)."""
    try:
        maps = Path("/proc/self/maps").read_text().splitlines()
    except OSError:
        return []
    return sorted(
        {line.split()[-1] for line in maps if "libgomp" in line or "libiomp" in line or "libomp" in line}
    )


def notes() -> list[str]:
    if _torch is None:
        return []
    lines = [
        (
            f"torch: OpenMP runtimes in the process: {', '.join(_openmp_runtimes()) or 'none found'}; "
            f"ironkernel's thread count before import torch / after torch.set_num_threads: "
            f"{' / '.join(_ironkernel_threads)}"
        )
    ]
    if _compile_seconds:
        lines.append(
            f"torch.compile: {len(_compile_seconds)} compiles (one per expression, dtype and size), "
            f"{sum(_compile_seconds):.0f} s in all, {min(_compile_seconds):.1f}-{max(_compile_seconds):.1f} s each"
        )
    return lines
