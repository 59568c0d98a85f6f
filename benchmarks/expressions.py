"""The benchmark expressions: one NumPy body plus the equivalent text every peer needs."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Expression:
    """One element-wise expression, written once per peer vocabulary.

    ``numpy`` is the reference and is also what ironkernel decorates and JAX
    re-runs with ``jax.numpy``; ``numexpr`` and ``scalar`` must compute the
    same thing in numexpr's string language and as a per-element Python
    function (for numba ``@vectorize``).
    """

    name: str
    numpy: Callable[..., Any]
    numexpr: str
    scalar: Callable[..., float]
    float32: bool = True  # False would skip the expression in --dtype float32 runs

    @property
    def arg_names(self) -> tuple[str, ...]:
        # numexpr's local_dict is keyed by these, so they must match the string.
        return tuple(inspect.signature(self.numpy).parameters)

    @property
    def nin(self) -> int:
        return len(self.arg_names)


def seed(x):
    return np.where(x > 0, np.sqrt(np.abs(x)) + np.sin(x), 0)


def seed_scalar(x):
    return math.sqrt(abs(x)) + math.sin(x) if x > 0 else 0.0


def axpy(x, y):
    return 2.5 * x + y


def poly(x):
    # Horner form of a degree-5 polynomial; the same text is valid for all peers.
    return ((((0.5 * x - 1.5) * x + 0.25) * x + 2.0) * x - 0.75) * x + 1.0


def hypot_like(x, y):
    return np.sqrt(x * x + y * y)


def hypot_like_scalar(x, y):
    return math.sqrt(x * x + y * y)


def logistic(x):
    return 1.0 / (1.0 + np.exp(-x))


def logistic_scalar(x):
    return 1.0 / (1.0 + math.exp(-x))


def clamp(x):
    return np.where(x < -1, -1, np.where(x > 1, 1, x))


def clamp_scalar(x):
    return -1.0 if x < -1 else (1.0 if x > 1 else x)


def multi(a, b, c, d):
    return a * b + c * d - np.sqrt(np.abs(a - d))


def multi_scalar(a, b, c, d):
    return a * b + c * d - math.sqrt(abs(a - d))


EXPRESSIONS: tuple[Expression, ...] = (
    Expression("seed", seed, "where(x > 0, sqrt(abs(x)) + sin(x), 0)", seed_scalar),
    # Pure arithmetic bodies are already valid scalar functions, so numba reuses them.
    Expression("axpy", axpy, "2.5 * x + y", axpy),
    Expression("poly", poly, "((((0.5 * x - 1.5) * x + 0.25) * x + 2.0) * x - 0.75) * x + 1.0", poly),
    Expression("hypot_like", hypot_like, "sqrt(x * x + y * y)", hypot_like_scalar),
    Expression("logistic", logistic, "1.0 / (1.0 + exp(-x))", logistic_scalar),
    Expression("clamp", clamp, "where(x < -1, -1, where(x > 1, 1, x))", clamp_scalar),
    Expression("multi", multi, "a * b + c * d - sqrt(abs(a - d))", multi_scalar),
)
