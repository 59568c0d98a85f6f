"""Peer: JAX -- ``jax.jit`` on CPU of the same Python body with ``np`` bound to ``jax.numpy``."""

from __future__ import annotations

import time
import types
from collections.abc import Callable
from typing import Any

import numpy as np
from expressions import Expression
from peers import setup_key

NAME = "jax"
WRITES_OUT = False  # JAX arrays are immutable; every call returns a new buffer
COMPUTES = True
SETUP_WHAT = "jax first call (trace + XLA compile) at the smallest size"

setup_seconds: dict[str, float] = {}
_jax: Any = None
_jitted: dict[str, Any] = {}


def available() -> tuple[bool, str]:
    global _jax
    try:
        import jax

        # Must precede any array creation: without it float64 inputs silently become float32.
        jax.config.update("jax_enable_x64", True)
        jax.config.update("jax_platforms", "cpu")
        devices = jax.devices("cpu")
    except Exception as exc:  # noqa: BLE001 -- any failure to import is the reason to skip
        return False, f"unavailable: {type(exc).__name__}: {exc}"
    _jax = jax
    import jaxlib

    return True, f"jax {jax.__version__}, jaxlib {jaxlib.__version__}, x64 on, devices {devices}"


def _with_jax_numpy(fn: types.FunctionType) -> types.FunctionType:
    # Same code object, globals where `np` is jax.numpy: JAX runs the very body NumPy runs.
    import jax.numpy as jnp

    return types.FunctionType(fn.__code__, {**fn.__globals__, "np": jnp}, fn.__name__, fn.__defaults__)


def prepare(expr: Expression, inputs: list[np.ndarray], out: np.ndarray) -> Callable[[], Any] | None:
    key = setup_key(expr.name, inputs[0].dtype)
    if key not in _jitted:
        _jitted[key] = _jax.jit(_with_jax_numpy(expr.numpy))
    jitted = _jitted[key]
    # Moving the inputs to JAX buffers is a one-off, outside the timed call.
    args = [_jax.device_put(a) for a in inputs]
    t0 = time.perf_counter()
    jitted(*args).block_until_ready()  # compiles for this shape
    if key not in setup_seconds:
        setup_seconds[key] = time.perf_counter() - t0
    return lambda: jitted(*args).block_until_ready()
