"""The list of peers and the small interface every ``peer_<name>.py`` module fills.

A peer module defines:

* ``NAME: str`` -- the column title.
* ``WRITES_OUT: bool`` -- True if it writes into the preallocated ``out`` array.
* ``COMPUTES: bool`` -- False for references (a plain copy) whose result is not the expression.
* ``available() -> tuple[bool, str]`` -- ``(False, reason)`` if it cannot run here,
  else ``(True, one line of version / configuration)``. Heavy imports happen here,
  so a missing package is a skipped peer, not an error.
* ``prepare(expr, inputs, out) -> Callable[[], Any] | None`` -- a zero-argument call
  that evaluates ``expr`` on ``inputs`` (timed as is), or None if the peer does not
  cover this expression or dtype. One-off costs (compiling, tracing, moving the
  inputs) belong here, outside the timed call.
* ``setup_seconds: dict[str, float]`` and ``SETUP_WHAT: str`` (optional) -- the
  one-off cost per ``"<expression>/<dtype>"`` and what it measures.
* ``notes() -> list[str]`` (optional) -- facts learned while running (threading layer...).
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

# Column order of the tables: the reference first, the limits last.
PEER_NAMES: tuple[str, ...] = (
    "numpy",
    "ironkernel",
    "numexpr",
    "numba",
    "jax",
    "torch",
    "drjit",
    "copy",
    "floor",
    "limit",
)


def load_peers(names: set[str] | None = None) -> list[ModuleType]:
    """The peer modules (those of `names` only, if given: PEER_NAMES' spelling)."""
    # Imported by module name so run.py works when started as `python benchmarks/run.py`.
    return [importlib.import_module(f"peer_{name}") for name in PEER_NAMES if names is None or name in names]


def setup_key(expr_name: str, dtype: object) -> str:
    return f"{expr_name}/{dtype}"


def thread_count() -> int:
    """The thread count given to the peers that are told one (torch, Dr.Jit): OpenMP's default,
    which ironkernel and numba take, ``OMP_NUM_THREADS`` if set, else the cores this process may use."""
    try:
        return max(1, int(os.environ["OMP_NUM_THREADS"].split(",")[0]))
    except (KeyError, ValueError):
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
