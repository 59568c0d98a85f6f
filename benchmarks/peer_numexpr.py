"""Peer: numexpr -- ``numexpr.evaluate`` of the expression's string, default thread count."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
from expressions import Expression

NAME = "numexpr"
WRITES_OUT = True
COMPUTES = True

_ne: Any = None
# A float literal that is not part of a name (x1) or of another number.
_FLOAT_LITERAL = re.compile(r"(?<![\w.])(\d+\.\d*(?:[eE][-+]?\d+)?)")


def available() -> tuple[bool, str]:
    global _ne
    try:
        import numexpr
    except Exception as exc:  # noqa: BLE001 -- any failure to import is the reason to skip
        return False, f"unavailable: {type(exc).__name__}: {exc}"
    _ne = numexpr
    return True, f"numexpr {numexpr.__version__}, {numexpr.utils.get_num_threads()} threads"


def _typed_constants(text: str, dtype: np.dtype) -> tuple[str, dict[str, Any]]:
    """Bind float literals as scalars of ``dtype``.

    numexpr types a literal like ``1.0`` as double, which would silently
    promote a float32 expression to float64 (twice the work, other rounding);
    a named float32 scalar keeps it in float32, as NumPy's own promotion does.
    """
    if dtype == np.float64:
        return text, {}
    constants: dict[str, Any] = {}

    def bind(match: re.Match[str]) -> str:
        name = f"_k{len(constants)}"
        constants[name] = dtype.type(float(match.group(1)))
        return name

    return _FLOAT_LITERAL.sub(bind, text), constants


def prepare(expr: Expression, inputs: list[np.ndarray], out: np.ndarray) -> Callable[[], Any] | None:
    text, constants = _typed_constants(expr.numexpr, inputs[0].dtype)
    local_dict = dict(zip(expr.arg_names, inputs), **constants)
    evaluate = _ne.evaluate
    # evaluate() caches the compiled program per string, so repeated calls measure the run,
    # plus the per-call lookup a user also pays.
    return lambda: evaluate(text, local_dict=local_dict, out=out)
