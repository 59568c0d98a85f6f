"""Tracing: runs the user's function once on symbolic values and records an untyped graph.

A ``Traced`` value stands for a whole array of unknown dtype. Python operators, NumPy ufuncs
(through ``__array_ufunc__``) and a few NumPy functions (through ``__array_function__``) record
nodes; anything that would need a concrete value (``if``, ``and``, ``len``, ``.dtype``) raises a
``TracingError`` that points at the user's line and says what to write instead.
"""

from __future__ import annotations

import functools
import inspect
import linecache
import math
import numbers
import os
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from ._ir import Graph, Node
from ._ops import op_for_ufunc
from ._traced import _NUMPY2, Traced

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_NUMPY_DIR = os.path.dirname(os.path.abspath(np.__file__))


class TracingError(TypeError):
    """The decorated function uses something ironkernel cannot fuse into a ufunc.

    Raised by ``ik.ufunc`` and ``ik.gufunc`` when they trace the function, never when a kernel
    is called. The message names the function, the file and line of the offending expression,
    and what to write instead. A subclass of ``TypeError``.

    See Also
    --------
    supported_functions : The NumPy functions a body may call.

    Examples
    --------
    >>> import numpy as np, ironkernel as ik
    >>> def f(x):
    ...     return x if x > 0 else -x
    >>> try:
    ...     ik.ufunc(f)
    ... except ik.TracingError as error:
    ...     print(str(error).splitlines()[0])
    cannot trace f(): a traced value is used where Python needs a single True/False (`if`, `while`, `and`, `or`, `not`, bool(), or a chained comparison like a < x < b)
    """


@functools.lru_cache(maxsize=256)
def _is_user_file(filename: str) -> bool:
    """Whether code from this file is the user's: not ironkernel's, NumPy's or frozen."""
    path = os.path.abspath(filename)
    return not path.startswith((_PACKAGE_DIR, _NUMPY_DIR)) and not path.startswith("<frozen")


def _user_location() -> str:
    """'file:line: source' of the innermost frame outside ironkernel and NumPy."""
    frame = sys._getframe(1)
    while frame is not None:
        if _is_user_file(frame.f_code.co_filename):
            line = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
            where = f"{frame.f_code.co_filename}:{frame.f_lineno}, in {frame.f_code.co_name}"
            return f"{where}: {line}" if line else where
        frame = frame.f_back
    return "<unknown location>"


class _Tracer:
    def __init__(self, func: Callable, n_inputs: int, reductions: bool = False):
        self.func = func
        self.graph = Graph(n_inputs)
        self.reductions = reductions  # inside @ik.gufunc: reductions over the core dimension

    def fail(self, what: str, instead: str) -> TracingError:
        name = getattr(self.func, "__qualname__", repr(self.func))
        return TracingError(f"cannot trace {name}(): {what}\n  at {_user_location()}\n  {instead}")

    def node(self, kind: str, args: tuple = (), name: str = "", value: object = None) -> Traced:
        return Traced(self, self.graph.add(Node(kind, args, name, value, _user_location())))

    def operand(self, value: Any, context: str) -> int:
        """The node index of a traced value or a scalar constant used as an operand."""
        if isinstance(value, Traced):
            if value._tracer is not self:
                raise self.fail(
                    f"a value traced by another kernel is used in {context}",
                    "Each decorated function must compute from its own arguments.",
                )
            return value._index
        return self.graph.add(Node("constant", value=self.constant(value, context)))

    def constant(self, value: Any, context: str) -> object:
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value[()]
        if isinstance(value, (bool, int, float, complex, np.generic)) and not isinstance(
            value, (np.str_, np.bytes_, np.void, np.datetime64, np.timedelta64, np.object_)
        ):
            return value
        if isinstance(value, numbers.Number):
            return (
                complex(value)
                if isinstance(value, numbers.Complex) and not isinstance(value, numbers.Real)
                else float(value)
            )
        if isinstance(value, np.ndarray):
            raise self.fail(
                f"an array of shape {value.shape} is used as a constant in {context}",
                "Only scalars can be captured; pass arrays as arguments of the function so the ufunc "
                "broadcasts them.",
            )
        raise self.fail(
            f"{type(value).__name__} value {value!r} is used in {context}",
            "Operands must be arguments of the function, Python numbers or NumPy scalars.",
        )

    def call(self, ufunc: np.ufunc, inputs: tuple, kwargs: dict, operator: bool = False) -> Traced:
        """A node calling ufunc; operator: written as a Python operator (a + b, -a), which typing
        needs to know: Python arithmetic on Python scalars gives a Python scalar, np.add a NumPy one."""
        op = op_for_ufunc(ufunc)
        if op is None:
            raise self.fail(
                f"np.{ufunc.__name__} is not supported inside an ironkernel kernel",
                "See ironkernel.supported_functions() for the functions that fuse.",
            )
        if kwargs:
            raise self.fail(
                f"np.{ufunc.__name__} is called with {', '.join(kwargs)}=",
                "Inside a kernel, call ufuncs with operands only; cast with x.astype(dtype) and pass "
                "out=/where=/dtype= to the decorated ufunc instead.",
            )
        if len(inputs) != ufunc.nin:
            raise self.fail(
                f"np.{ufunc.__name__} takes {ufunc.nin} operands, got {len(inputs)}",
                f"Call it with {ufunc.nin} operand(s).",
            )
        args = tuple(self.operand(x, f"np.{ufunc.__name__}") for x in inputs)
        if ufunc.nout > 1:
            return tuple(self.node("call", args, ufunc.__name__, value=k) for k in range(ufunc.nout))
        return self.node("call", args, ufunc.__name__, value="operator" if operator else None)


# ---- entry point ----------------------------------------------------------------------------


def input_count(func: Callable) -> int:
    """Number of ufunc inputs: the positional parameters without default values.

    Parameters with defaults are constants, traced with their default value (the usual
    ``lambda x, k=k: ...`` idiom for binding a loop variable).
    """
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError) as exc:
        raise TracingError(f"cannot trace {func!r}: its signature cannot be inspected ({exc})") from None
    n = 0
    for p in params:
        if p.default is not p.empty and p.kind != p.VAR_POSITIONAL and p.kind != p.VAR_KEYWORD:
            continue  # a constant option, traced with its default
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            n += 1
        else:
            raise TracingError(
                f"cannot trace {func.__qualname__}(): parameter {p} is *args, **kwargs or keyword-only; "
                "a ufunc takes a fixed number of positional array arguments."
            )
    if n == 0:
        raise TracingError(f"cannot trace {func.__qualname__}(): a ufunc needs at least one argument")
    return n


def trace(func: Callable, n_inputs: int | None = None, reductions: bool = False) -> Graph:
    """Runs ``func`` once on symbolic inputs and returns its untyped graph."""
    if not callable(func):
        raise TypeError(f"@ik.ufunc decorates a function, got {type(func).__name__}")
    if n_inputs is None:
        n_inputs = input_count(func)
    _check_operand_count(func, n_inputs, 1)
    tracer = _Tracer(func, n_inputs, reductions)
    inputs = [tracer.node("input", value=i) for i in range(n_inputs)]
    raised: set[str] = set()
    # NumPy computes subexpressions of constants (np.log(0.0)) here, once; the body would warn of
    # them on every call, under the call's np.errstate. They are recorded instead of warned of here,
    # and the graph raises them on each call (_raise_on_every_call).
    with np.errstate(all="call", call=lambda kind, flag: raised.add(kind)):
        result = func(*inputs)
    results = result if isinstance(result, tuple) else (result,)
    if not results:
        raise tracer.fail("the function returns an empty tuple", "Return one value, or a tuple of values.")
    for r in results:
        if r is None:
            raise tracer.fail("the function returns None", "Return the computed value.")
        tracer.graph.outputs.append(tracer.operand(r, "the return value"))
    _check_operand_count(func, n_inputs, len(results))
    _raise_on_every_call(tracer, raised)
    return tracer.graph


# A float64 operation of constants that raises each floating-point exception NumPy reports.
_RAISING = {
    "divide by zero": (np.true_divide, 1.0, 0.0),
    "overflow": (np.multiply, 1e308, 10.0),
    "underflow": (np.multiply, 1e-308, 1e-308),
    "invalid value": (np.subtract, math.inf, math.inf),
}


def _raise_on_every_call(tracer: _Tracer, raised: set[str]) -> None:
    """Makes every output depend on an operation that raises each exception in `raised`, without
    changing it: where(result < -inf, False, output) (never true, NaN included; False is a bool,
    which promotes to any dtype)."""
    for kind in sorted(raised & set(_RAISING)):
        ufunc, a, b = _RAISING[kind]
        value = tracer.call(ufunc, (a, b), {})
        never = tracer.call(np.less, (value, -math.inf), {})
        tracer.graph.outputs = [
            tracer.graph.add(Node("where", (never._index, tracer.operand(False, "np.where"), o)))
            for o in tracer.graph.outputs
        ]


# NumPy's NPY_MAXARGS: a ufunc (or gufunc) has at most this many inputs and outputs together.
MAX_OPERANDS = 64 if _NUMPY2 else 32


def _check_operand_count(func: Callable, n_inputs: int, n_outputs: int) -> None:
    if n_inputs + n_outputs > MAX_OPERANDS:
        raise TracingError(
            f"cannot trace {getattr(func, '__qualname__', repr(func))}(): it takes {n_inputs} inputs and returns "
            f"{n_outputs} output(s), {n_inputs + n_outputs} operands, but a NumPy {np.__version__} ufunc has at most "
            f"{MAX_OPERANDS} (inputs and outputs together).\n  Stack related inputs into one array and pass it to "
            "an @ik.gufunc with a core dimension, or split the function into several kernels."
        )
