"""The op table on the Python side: which NumPy functions trace to which IR op.

The C++ table (``csrc/ir/ops.def``) is the source of truth for the ops and their numbering; this
module reads it from the compiled core and adds only what is Python's business: which NumPy
ufunc objects map to an op.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _core


@dataclass(frozen=True)
class OpInfo:
    name: str
    code: int  # the op number in the serialised IR
    arity: int
    result: str  # "same", "bool", "real" or "int32": how the result dtype follows the operand's
    accuracy: str  # "exact" or "math"


OPS: dict[str, OpInfo] = {
    name: OpInfo(name, code, arity, result, accuracy)
    for code, (name, arity, result, accuracy) in enumerate(_core.op_table())
}

# Per op: the result dtype for each operand dtype the core computes in, by the result column as the
# core applies it (ir::result_dtype), so that typing refuses what the IR verifier would.
_DTYPE_OF_CODE = {code: np.dtype(getattr(np, name)) for name, code in _core.dtype_codes.items()}
_RESULT_DTYPES = {
    name: {_DTYPE_OF_CODE[operand]: _DTYPE_OF_CODE[result] for operand, result in row.items()}
    for name, row in zip(OPS, _core.result_dtypes())
}


def result_dtype(op: str, operand: np.dtype) -> np.dtype | None:
    """The dtype op gives for operands of dtype `operand`, or None for a dtype the core does not
    compute in."""
    return _RESULT_DTYPES[op].get(operand)


STRUCTURAL = ("input", "constant", "where", "cast")

# NumPy names that are other names (or other ufuncs) for an op of the table.
ALIASES = {"degrees": "rad2deg", "radians": "deg2rad", "float_power": "power"}

# NumPy ufuncs with several outputs: the op computing each output. modf has no op of its own: typing
# builds it from trunc, subtract, where and copysign.
MULTI_OUTPUT = {
    "divmod": ("floor_divide", "remainder"),
    "frexp": ("frexp_mantissa", "frexp_exponent"),
    "modf": (None, None),
}


def op_for_ufunc(ufunc: np.ufunc) -> str | None:
    """The IR op a NumPy ufunc traces to, or None if ironkernel does not support it."""
    if getattr(np, ufunc.__name__, None) is not ufunc:
        return None
    if ufunc.__name__ in MULTI_OUTPUT:
        return ufunc.__name__
    name = ALIASES.get(ufunc.__name__, ufunc.__name__)
    if name in STRUCTURAL or name not in OPS:
        return None
    return name


# NumPy's own names, as imported: attributes that other code sets on the numpy module later are not
# NumPy functions (and would make the generated function table depend on what ran before).
_NUMPY_NAMES = frozenset(vars(np))


def supported_ufuncs() -> list[str]:
    """NumPy ufunc names that trace, sorted."""
    names = [
        n for n, v in vars(np).items() if n in _NUMPY_NAMES and isinstance(v, np.ufunc) and op_for_ufunc(v)
    ]
    return sorted(set(names))
