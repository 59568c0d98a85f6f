"""Peer: plain NumPy, the reference -- the expression's Python body, one temporary per op."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from expressions import Expression

NAME = "numpy"
WRITES_OUT = False  # the body allocates its own result, as a user's code does
COMPUTES = True


def available() -> tuple[bool, str]:
    return True, f"NumPy {np.__version__}"


def prepare(expr: Expression, inputs: list[np.ndarray], out: np.ndarray) -> Callable[[], Any] | None:
    fn = expr.numpy
    return lambda: fn(*inputs)
