"""Traced values: what a body being traced computes with (``Traced``), and the NumPy functions
it may call on them (``np.where``, ``np.clip``, reductions of gufunc bodies, ...), each recording
nodes through the tracer (_trace.py) that made the value.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

_NUMPY2 = np.lib.NumpyVersion(np.__version__) >= "2.0.0"

if TYPE_CHECKING:  # the tracer makes Traced values; they only call its methods
    from ._trace import TracingError, _Tracer

_COMPARISONS = {
    "__lt__": np.less,
    "__le__": np.less_equal,
    "__gt__": np.greater,
    "__ge__": np.greater_equal,
    "__eq__": np.equal,
    "__ne__": np.not_equal,
}


def _binary(ufunc: np.ufunc, reflected: bool = False):
    def method(self: Traced, other: Any) -> Traced:
        operands = (other, self) if reflected else (self, other)
        return self._tracer.call(ufunc, operands, {}, operator=True)

    return method


def _unary(ufunc: np.ufunc):
    def method(self: Traced) -> Traced:
        return self._tracer.call(ufunc, (self,), {}, operator=True)

    return method


class Traced:
    """A symbolic array inside a function being traced by ``ik.ufunc``."""

    __slots__ = ("_index", "_tracer")
    __array_priority__ = 1_000_000  # beat ndarray so that ndarray ops defer to us
    __hash__ = None  # type: ignore[assignment]  # == is element-wise

    def __init__(self, tracer: _Tracer, index: int):
        self._tracer = tracer
        self._index = index

    def __repr__(self) -> str:
        return f"<traced value %{self._index}>"

    # ---- NumPy protocols ---------------------------------------------------------------------
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Traced:
        if method != "__call__":
            raise self._tracer.fail(
                f"np.{ufunc.__name__}.{method} is a reduction or method, not an element-wise call",
                "Use @ik.gufunc for reductions over a core dimension.",
            )
        return self._tracer.call(ufunc, inputs, kwargs)

    def __array_function__(self, func: Callable, types: tuple, args: tuple, kwargs: dict) -> Any:
        handler = _FUNCTIONS.get(func)
        if handler is None:
            name = getattr(func, "__name__", repr(func))
            raise self._tracer.fail(
                f"np.{name} is not an element-wise function ironkernel can fuse",
                "Supported: NumPy ufuncs, np.where, np.clip, np.fix, np.round, np.real, np.imag, np.angle, "
                "np.sinc, np.nan_to_num and x.astype; "
                "use @ik.gufunc for reductions.",
            )
        return handler(self._tracer, *args, **kwargs)

    def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        raise self._tracer.fail(
            "a traced value is converted to a concrete NumPy array or scalar "
            "(np.asarray, np.float32(x), a NumPy function without element-wise support, ...)",
            "Inside a kernel the arguments have no values yet: convert dtypes with "
            "x.astype(np.float32) and use only element-wise NumPy operations.",
        )

    # ---- operators ---------------------------------------------------------------------------
    __add__, __radd__ = _binary(np.add), _binary(np.add, True)
    __sub__, __rsub__ = _binary(np.subtract), _binary(np.subtract, True)
    __mul__, __rmul__ = _binary(np.multiply), _binary(np.multiply, True)
    __truediv__, __rtruediv__ = _binary(np.true_divide), _binary(np.true_divide, True)
    __floordiv__, __rfloordiv__ = _binary(np.floor_divide), _binary(np.floor_divide, True)
    __mod__, __rmod__ = _binary(np.remainder), _binary(np.remainder, True)
    __and__, __rand__ = _binary(np.bitwise_and), _binary(np.bitwise_and, True)
    __or__, __ror__ = _binary(np.bitwise_or), _binary(np.bitwise_or, True)
    __xor__, __rxor__ = _binary(np.bitwise_xor), _binary(np.bitwise_xor, True)
    __lshift__, __rlshift__ = _binary(np.left_shift), _binary(np.left_shift, True)
    __rshift__, __rrshift__ = _binary(np.right_shift), _binary(np.right_shift, True)
    __rpow__ = _binary(np.power, True)
    __lt__, __le__ = _binary(np.less), _binary(np.less_equal)
    __gt__, __ge__ = _binary(np.greater), _binary(np.greater_equal)
    __eq__, __ne__ = _binary(np.equal), _binary(np.not_equal)  # type: ignore[assignment]
    __neg__, __pos__ = _unary(np.negative), _unary(np.positive)
    __abs__, __invert__ = _unary(np.absolute), _unary(np.invert)

    def __pow__(self, other: Any) -> Traced:
        # NumPy's ``array ** scalar`` computes x**2 as square(x), x**-1 as reciprocal(x) and
        # x**0.5 as sqrt(x) for float and complex arrays (exact Python int / float exponents only);
        # which applies is decided at typing, when the dtype is known.
        if type(other) in (int, float) and other in (2, -1, 0.5) and (type(other) is float) == (other == 0.5):
            return self._tracer.node("pow_operator", (self._index,), value=other)
        return self._tracer.call(np.power, (self, other), {}, operator=True)

    def __divmod__(self, other: Any) -> Any:
        return self._tracer.call(np.divmod, (self, other), {})

    def __rdivmod__(self, other: Any) -> Any:
        return self._tracer.call(np.divmod, (other, self), {})

    def __matmul__(self, other: Any) -> Any:
        raise self._tracer.fail("@ (matmul) is not element-wise", "Use @ik.gufunc with a signature for it.")

    __rmatmul__ = __matmul__

    # ---- methods and attributes --------------------------------------------------------------
    def astype(self, dtype: Any, *args: Any, **kwargs: Any) -> Traced:
        if args or kwargs:
            raise self._tracer.fail("astype() is called with options", "Use x.astype(dtype) only.")
        try:
            target = np.dtype(dtype)
        except TypeError as exc:
            raise self._tracer.fail(
                f"astype({dtype!r}) is not a NumPy dtype ({exc})", "Pass a NumPy dtype."
            ) from None
        return self._tracer.node("cast", (self._index,), target.str)

    def conjugate(self) -> Traced:
        return self._tracer.call(np.conjugate, (self,), {})

    conj = conjugate

    def clip(self, min: Any = None, max: Any = None, out: Any = None, **kwargs: Any) -> Traced:
        return _clip(self._tracer, self, min, max, out, **kwargs)

    def round(self, decimals: int = 0, out: Any = None) -> Traced:
        return _round(self._tracer, self, decimals, out)

    def __round__(self, ndigits: int | None = None) -> Traced:
        # What round() gives for one NumPy scalar: with ndigits, x.round(ndigits) in x's dtype;
        # without, a Python int, which an array of results holds as int64.
        if ndigits is not None:
            return _round(self._tracer, self, ndigits, None)
        return self._tracer.node("round", (self._index,), value=(0, True))

    @property
    def T(self) -> Traced:
        # One element is its own transpose: x.T in an element-wise body means x.
        return self

    def __bool__(self) -> bool:
        raise self._tracer.fail(
            "a traced value is used where Python needs a single True/False "
            "(`if`, `while`, `and`, `or`, `not`, bool(), or a chained comparison like a < x < b)",
            "A traced value stands for a whole array. Write np.where(condition, a, b) instead of if/else, "
            "`&`, `|`, `~` (with parentheses) instead of and/or/not, and (a < x) & (x < b) for ranges.",
        )

    def _no_concrete(self, what: str) -> TracingError:
        return self._tracer.fail(
            f"{what} of a traced value is used, but it is not known while tracing",
            "A kernel is traced once for every dtype and shape; write it with element-wise operations only.",
        )

    def __float__(self) -> float:
        raise self._tracer.fail(
            "float() / a NumPy scalar constructor is applied to a traced value",
            "Use x.astype(np.float64) (or the dtype you need) to convert inside a kernel.",
        )

    __int__ = __complex__ = __index__ = __float__  # type: ignore[assignment]

    def __len__(self) -> int:
        raise self._no_concrete("len()")

    def __iter__(self) -> Any:
        raise self._no_concrete("iteration over the elements")

    def __getitem__(self, key: Any) -> Any:
        raise self._no_concrete("indexing")

    def __setitem__(self, key: Any, value: Any) -> None:
        raise self._tracer.fail(
            "a traced value is assigned to in place",
            "Kernels are pure: compute a new value, e.g. with np.where.",
        )

    def __getattr__(self, name: str) -> Any:
        if name in ("dtype", "shape", "ndim", "size", "itemsize", "strides", "nbytes"):
            raise self._no_concrete(f"the .{name}")
        if name in _REDUCTION_METHODS:
            handler = _REDUCTION_METHODS[name]
            return lambda *args, **kwargs: handler(self._tracer, self, *args, **kwargs)
        if name in ("cumsum", "cumprod"):
            raise self._tracer.fail(
                f"x.{name}() is not supported",
                "Supported reductions: sum prod mean min max "
                "any all var std dot argmin argmax, inside @ik.gufunc.",
            )
        if name in ("real", "imag"):
            return self._tracer.node("part", (self._index,), name)
        if hasattr(np.ndarray, name) and not name.startswith("_"):
            what = "method" if callable(getattr(np.ndarray, name)) else "attribute"
            raise self._tracer.fail(
                f"x.{name} is an ndarray {what} that is not element-wise",
                "A traced value stands for one element of the arrays: use ufuncs, np.where, x.astype, x.clip, "
                "x.round, x.conj(), x.real, x.imag; reshape, index or reduce outside the kernel (or reduce over a "
                "core dimension with @ik.gufunc).",
            )
        raise AttributeError(f"traced value has no attribute {name!r}")

    # In-place operators would try to write into a traced value; NumPy falls back to the plain ones.


# ---- NumPy functions (via __array_function__) -------------------------------------------------


def _where(tracer: _Tracer, condition: Any = None, x: Any = None, y: Any = None, **kwargs: Any) -> Traced:
    if x is None or y is None or kwargs:
        raise tracer.fail(
            "np.where is called with one argument (or keywords)",
            "Use the three-argument form np.where(condition, a, b).",
        )
    args = (
        tracer.operand(condition, "np.where"),
        tracer.operand(x, "np.where"),
        tracer.operand(y, "np.where"),
    )
    return tracer.node("where", args)


def _clip(
    tracer: _Tracer, a: Any, a_min: Any = None, a_max: Any = None, out: Any = None, **kwargs: Any
) -> Traced:
    if out is not None or kwargs:
        raise tracer.fail("np.clip is called with out= or other keywords", "Use np.clip(x, low, high).")
    # NumPy computes np.clip(a, None, hi) as np.minimum(a, hi) and np.clip(a, lo, None) as
    # np.maximum(a, lo), which on a tie of signed zeros return the bound (float32/64) or `a`
    # (float16). With both bounds, np.clip is NumPy's clip ufunc, whose loop for bounds constant
    # over the loop (as constants of the body always are) keeps `a` on every tie for every dtype:
    # np.clip(-0.0, 0, 1) is -0.0. That is where(a == bound, a, extremum(a, bound)), which
    # simplify() turns back into one extremum with the operands in the order that has that tie.
    # (Bounds that are arguments of the kernel keep the extrema: NumPy's clip ufunc returns the
    # bound on such ties when the bounds are arrays, which is how a kernel's arguments usually come.)
    # (NumPy 1.26's clip loop returned the bound on those ties too, like the extrema.)
    constant_bounds = (
        _NUMPY2
        and a_min is not None
        and a_max is not None
        and not isinstance(a_min, Traced)
        and not isinstance(a_max, Traced)
    )

    def bound(extremum: np.ufunc, x: Any, limit: Any) -> Any:
        extreme = tracer.call(extremum, (x, limit), {})
        if not constant_bounds:
            return extreme
        return _where(tracer, tracer.call(np.equal, (x, limit), {}), x, extreme)

    result = a
    if a_min is not None:
        result = bound(np.maximum, result, a_min)
    if a_max is not None:
        result = bound(np.minimum, result, a_max)
    if result is a:
        raise tracer.fail("np.clip is called without bounds", "Give a lower bound, an upper bound or both.")
    return result


def _fix(tracer: _Tracer, x: Any, out: Any = None) -> Traced:
    if out is not None:
        raise tracer.fail("np.fix is called with out=", "Use np.fix(x).")
    return tracer.call(np.trunc, (x,), {})


def _round(tracer: _Tracer, a: Any, decimals: Any = 0, out: Any = None) -> Traced:
    if out is not None:
        raise tracer.fail("round is called with out=", "Use x.round(decimals) or np.round(x, decimals).")
    if not isinstance(decimals, numbers.Integral) or isinstance(decimals, bool):
        raise tracer.fail(
            f"round is called with decimals={decimals!r}", "Give the number of decimals as a Python int."
        )
    # How NumPy rounds depends on the dtype (integers keep their value or round in float64), so
    # typing expands the node.
    return tracer.node("round", (tracer.operand(a, "round"),), value=(int(decimals), False))


def _part(name: str) -> Callable:
    def handler(tracer: _Tracer, x: Any) -> Traced:
        return tracer.node("part", (tracer.operand(x, f"np.{name}"),), name)

    return handler


def _angle(tracer: _Tracer, z: Any, deg: bool = False) -> Traced:
    # NumPy's definition: arctan2(z.imag, z.real) for complex z, arctan2(0, z) otherwise (so bool
    # gives float64, not the float16 of arctan2(bool, bool)), which typing decides; in degrees on
    # request.
    result = tracer.node("angle", (tracer.operand(z, "np.angle"),))
    return result * (180 / np.pi) if deg else result


def _sinc(tracer: _Tracer, x: Any) -> Traced:
    # NumPy replaces 0 by the dtype's eps, which typing knows: it expands the node.
    return tracer.node("sinc", (tracer.operand(x, "np.sinc"),))


def _nan_to_num(
    tracer: _Tracer, x: Any, copy: bool = True, nan: float = 0.0, posinf: Any = None, neginf: Any = None
) -> Traced:
    # The replacement values depend on the dtype (finfo.max by default), so typing expands it.
    values = [tracer.constant(v, "np.nan_to_num") if v is not None else None for v in (nan, posinf, neginf)]
    return tracer.node("nan_to_num", (tracer.operand(x, "np.nan_to_num"),), value=tuple(values))


# ---- reductions over the core dimension (gufuncs only) ----------------------------------------


def _check_reduction(tracer: _Tracer, name: str, axis: Any, kwargs: dict) -> None:
    if not tracer.reductions:
        raise tracer.fail(
            f"np.{name} is a reduction; element-wise kernels have no dimension to reduce",
            "Use @ik.gufunc('(n)->()') (or another signature) for reductions over a core dimension.",
        )
    if axis not in (None, 0, -1):
        raise tracer.fail(
            f"np.{name} is called with axis={axis!r}",
            "Inside a gufunc every input is one core vector: reduce over all of it (axis=None/-1).",
        )
    bad = {k: v for k, v in kwargs.items() if v is not None and not (k == "keepdims" and v is False)}
    if bad:
        raise tracer.fail(
            f"np.{name} is called with {', '.join(bad)}=",
            "Use the plain form; cast with x.astype(dtype) first if you need another dtype.",
        )


def _reduction(name: str, build: Callable[[_Tracer, int], Traced], *, has_dtype: bool = True) -> Callable:
    """The handler of np.<name> and x.<name>(): the call checked as every reduction's
    (_check_reduction), then build(tracer, the operand's node). NumPy's parameters: (a, axis, dtype,
    out, keepdims), or for the arg-reductions (has_dtype=False) (a, axis, out, *, keepdims)."""

    def checked(tracer: _Tracer, a: Any, axis: Any, options: dict) -> Traced:
        _check_reduction(tracer, name, axis, options)
        return build(tracer, tracer.operand(a, f"np.{name}"))

    if not has_dtype:

        def arg_handler(
            tracer: _Tracer,
            a: Any,
            axis: Any = None,
            out: Any = None,
            *,
            keepdims: bool = False,
            **kwargs: Any,
        ) -> Traced:
            return checked(tracer, a, axis, {"out": out, "keepdims": keepdims, **kwargs})

        return arg_handler

    def handler(
        tracer: _Tracer,
        a: Any,
        axis: Any = None,
        dtype: Any = None,
        out: Any = None,
        keepdims: bool = False,
        **kwargs: Any,
    ) -> Traced:
        return checked(tracer, a, axis, {"dtype": dtype, "out": out, "keepdims": keepdims, **kwargs})

    return handler


def _reduce_node(kind: str) -> Callable[[_Tracer, int], Traced]:
    return lambda tracer, x: tracer.node("reduce", (x,), kind)


def _var(
    tracer: _Tracer,
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: Any = None,
    ddof: Any = 0,
    keepdims: bool = False,
    **kwargs: Any,
) -> Traced:
    # NumPy's definition: mean of |x - mean(x)|**2, divided by max(n - ddof, 0) instead of n.
    _check_reduction(tracer, "var", axis, {"dtype": dtype, "out": out, "keepdims": keepdims, **kwargs})
    if isinstance(ddof, Traced) or not isinstance(ddof, numbers.Real):
        raise tracer.fail(f"np.var/np.std is called with ddof={ddof!r}", "Give ddof as a Python number.")
    # A fractional ddof counts as a float, as NumPy subtracts it from its count.
    ddof = int(ddof) if isinstance(ddof, numbers.Integral) else float(ddof)
    x = tracer.operand(a, "np.var")
    # var's own mean (not np.mean: an empty row warns only about the degrees of freedom)
    mean = tracer.node("mean", (x,), value="var")
    deviation = tracer.call(np.subtract, (Traced(tracer, x), mean), {})
    # |x - mean|**2 as NumPy's var computes it: the squares of the real and imaginary parts, added
    # (the complex product x * conj(x) fuses one square into an FMA, as NumPy's complex multiply
    # does, and differs in the last bits); for real x, x * x + 0, the same bits.
    real, imag = (tracer.node("part", (deviation._index,), part) for part in ("real", "imag"))
    squares = tracer.call(
        np.add, (tracer.call(np.square, (real,), {}), tracer.call(np.square, (imag,), {})), {}
    )
    total = tracer.node("reduce", (squares._index,), "sum")
    return tracer.node("divide_by_dof", (total._index,), value=ddof)


def _std(tracer: _Tracer, a: Any, *args: Any, **kwargs: Any) -> Traced:
    return tracer.call(np.sqrt, (_var(tracer, a, *args, **kwargs),), {})


def _dot(tracer: _Tracer, a: Any, b: Any, out: Any = None) -> Traced:
    _check_reduction(tracer, "dot", None, {"out": out})
    return tracer.node("reduce", (tracer.call(np.multiply, (a, b), {})._index,), "dot")


# By NumPy's name, as a function (np.sum) and as a method (x.sum()).
_REDUCTION_METHODS = {
    **{kind: _reduction(kind, _reduce_node(kind)) for kind in ("sum", "prod", "max", "min", "any", "all")},
    "mean": _reduction("mean", lambda tracer, x: tracer.node("mean", (x,))),
    "var": _var,
    "std": _std,
    "dot": _dot,
    **{kind: _reduction(kind, _reduce_node(kind), has_dtype=False) for kind in ("argmax", "argmin")},
}
_REDUCTION_FUNCTIONS = {
    **{getattr(np, name): handler for name, handler in _REDUCTION_METHODS.items()},
    np.amax: _REDUCTION_METHODS["max"],
    np.amin: _REDUCTION_METHODS["min"],
}

_FUNCTIONS: dict[Callable, Callable] = {
    **_REDUCTION_FUNCTIONS,
    np.where: _where,
    np.clip: _clip,
    np.fix: _fix,
    np.real: _part("real"),
    np.imag: _part("imag"),
    np.angle: _angle,
    np.sinc: _sinc,
    np.nan_to_num: _nan_to_num,
    np.round: _round,
    np.around: _round,
}
