"""Peer: np.copyto of one input into the output -- the memory-traffic floor for one pass."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from expressions import Expression

NAME = "copy"
WRITES_OUT = True
COMPUTES = False  # a reference for speed only; its result is not the expression


def available() -> tuple[bool, str]:
    return True, "np.copyto(out, x): reads n elements, writes n elements"


def prepare(expr: Expression, inputs: list[np.ndarray], out: np.ndarray) -> Callable[[], Any] | None:
    x = inputs[0]

    def call() -> np.ndarray:
        np.copyto(out, x)
        return out

    return call
