"""Typing: gives every node of an untyped graph the dtype NumPy would give it, by asking NumPy.

For one choice of input dtypes, each ufunc call is typed with ``ufunc.resolve_dtypes`` (Python
scalars passed as their types, so NEP 50's weak-scalar rules apply), ``np.where`` with
``np.result_type``, and explicit casts are inserted where NumPy's chosen loop needs them. The
result is a typed node list for the C++ core, or a ``LoopRejected`` saying why NumPy would refuse.
"""

from __future__ import annotations

import functools
import struct
from typing import NamedTuple

import numpy as np

from ._ir import DTYPE_CODES, Graph, TypedNode, constant_bytes
from ._ops import ALIASES, MULTI_OUTPUT, OPS

_WEAK = (int, float, complex)
# The dtype a run-time Python scalar has where it is not converted to another: NumPy's default.
_WEAK_DEFAULT = {int: np.dtype(np.int64), float: np.dtype(np.float64), complex: np.dtype(np.complex128)}
_SYMBOLS = {"less": "<", "less_equal": "<=", "greater": ">", "greater_equal": ">="}
_COMPARISONS = {"less": "greater", "less_equal": "greater_equal", "greater": "less", "greater_equal": "less_equal",
                "equal": "equal", "not_equal": "not_equal"}  # each with its mirror (operands swapped)
_NUMPY2 = np.lib.NumpyVersion(np.__version__) >= "2.0.0"  # Python scalars: NEP 50 "weak" (bool is not weak)


def _exact_key(value: int | float | complex) -> object:
    """A Python scalar as a cache key that tells -0.0 from 0.0 (which compare and hash equal)."""
    if isinstance(value, float):
        return struct.pack("<d", value)
    if isinstance(value, complex):
        return struct.pack("<dd", value.real, value.imag)
    return value


# NumPy's answers are cached: every loop of every kernel asks the same few questions, and
# asking NumPy was most of a gufunc's decoration time (14 loops, each typed from scratch).
@functools.lru_cache(maxsize=1024)
def _real_dtype(dtype: np.dtype) -> np.dtype:
    """float64 for complex128, float32 for complex64, the dtype itself otherwise."""
    return np.empty(0, dtype).real.dtype


@functools.lru_cache(maxsize=1024)
def _reduction_dtype(kind: str, dtype: np.dtype) -> np.dtype:
    """The dtype of np.<kind> (sum, prod, mean) over values of dtype: e.g. int8 sums in int64."""
    return getattr(np, kind)(np.zeros(1, dtype)).dtype


class Refusal(NamedTuple):
    """NumPy's refusal of an operation: its message, and the exception type a call raises."""

    message: str
    error: type[Exception]


def builtin_exception_type(exc: Exception) -> type[Exception]:
    """The built-in exception class an exception is (UFuncTypeError and DTypePromotionError are
    TypeErrors): what a kernel raises in its place, since NumPy's own need NumPy's arguments."""
    return next(c for c in type(exc).__mro__ if c.__module__ == "builtins")


@functools.lru_cache(maxsize=4096)
def _loop_plan(ufunc_name: str, specs: tuple, output: int | None, chars: tuple) -> tuple:
    """How np.<ufunc_name> computes operands of these specs (see _Typer.operand_spec): (loop input
    dtypes, loop output dtypes, ironkernel op, its result dtype, why ironkernel cannot compute it
    or None), or NumPy's refusal. chars: the specs' type characters, only so that the cache keeps
    int64 as 'l' and as 'q' apart (equal dtypes, but NumPy's loops keep the character)."""
    ufunc = getattr(np, ufunc_name)
    try:
        resolved = ufunc.resolve_dtypes(specs + (None,) * ufunc.nout)
    except Exception as exc:  # NumPy's own refusal: UFuncTypeError, TypeError, ...
        return Refusal(f"np.{ufunc_name}: {exc}", builtin_exception_type(exc))
    loop_in, loop_out = resolved[: ufunc.nin], resolved[ufunc.nin :]
    op = MULTI_OUTPUT[ufunc_name][output] if output is not None else ALIASES.get(ufunc_name, ufunc_name)
    out_dtype = loop_out[output or 0]
    problem = None
    if op is None:  # np.modf, typed from exact ops (_Typer.modf)
        pass
    elif len(set(loop_in)) != 1 and op != "ldexp":
        problem = f"np.{ufunc_name} has no loop with equal input dtypes here ({loop_in})"
    elif out_dtype != {"bool": np.dtype(bool), "real": _real_dtype(loop_in[0]),
                       "int32": np.dtype(np.int32)}.get(OPS[op].result, loop_in[0]):
        problem = f"np.{ufunc_name} on {loop_in[0]} gives {out_dtype}, which ironkernel does not support yet"
    return loop_in, loop_out, op, out_dtype, problem


@functools.lru_cache(maxsize=4096)
def _weak_operand(kind: type, key: object, dtype: np.dtype, ufunc_operand: bool) -> tuple:
    """A weak Python scalar (kind, _exact_key) as an operand of dtype, or why it cannot be.
    An int out of an integer dtype's range wraps as a C cast does (np.where), or, for a ufunc
    operand, is refused as NumPy 2 refuses it (1.26 would wrap it). Returns (the NumPy scalar,
    None), or (inf, the number as float64 or complex128) for a finite number that overflows a
    float dtype, which NumPy reports on every call."""
    if kind is float:
        value = struct.unpack("<d", key)[0]
    elif kind is complex:
        value = complex(*struct.unpack("<dd", key))
    else:
        value = key
    wrap = False
    if issubclass(kind, int) and kind is not bool and dtype.kind in "iu":
        bounds = np.iinfo(dtype)
        if not bounds.min <= value <= bounds.max:
            if ufunc_operand:
                return Refusal(f"Python integer {value} out of bounds for {dtype}", OverflowError)
            wrap = True
    try:
        with np.errstate(all="ignore"):
            scalar = (np.asarray(value).astype(dtype) if wrap else np.asarray(value, dtype=dtype))[()]
    except (OverflowError, ValueError, TypeError) as exc:
        return Refusal(str(exc), type(exc))
    if dtype.kind in "fc" and not np.isfinite(scalar):
        wide = np.asarray(value, np.complex128 if kind is complex else np.float64)[()]
        if np.isfinite(wide):
            return scalar, wide
    return scalar, None


class LoopRejected(Exception):
    """NumPy (or ironkernel) has no loop for this body at these input dtypes; `error` is the
    exception type NumPy raises for the body (TypeError, OverflowError, ...)."""

    def __init__(self, message: str, where: str = "", error: type[Exception] = TypeError):
        super().__init__(message)
        self.where = where
        self.error = error

    def for_call(self, kernel_name: str) -> Exception:
        """The exception a call of the kernel raises: NumPy's type and message, naming the kernel
        and the line of its body."""
        at = f" (at {self.where})" if self.where else ""
        return self.error(f"{kernel_name}(): {self}{at}")


class _Typer:
    def __init__(self, graph: Graph, in_specs: tuple):
        self.graph = graph
        self.in_specs = in_specs  # per input: its dtype, or int/float/complex for a Python scalar
        self.nodes: list[TypedNode] = []
        self.index: dict[TypedNode, int] = {}
        # per untyped node: ("typed", index, dtype), ("weak", python value) for a constant, or
        # ("weakrun", index, kind, input position or None) for a run-time value that promotes like a
        # Python scalar of that kind (a Python scalar argument, or a gufunc's core length): its node
        # has the kind's default dtype.
        self.values: list[tuple] = []
        self.weak_uses: dict[int, set[np.dtype]] = {}  # per Python scalar input: the dtypes it is used at
        self.compared: set[int] = set()  # Python int inputs compared with an integer value

    def add(self, node: TypedNode) -> int:
        key = node
        if node.op == "constant":  # by bits: -0.0 and 0.0 are different constants
            key = ("constant", node.dtype, constant_bytes(node.value, node.dtype))
        index = self.index.get(key)
        if index is None:
            index = self.index[key] = len(self.nodes)
            self.nodes.append(node)
        return index

    def check_dtype(self, dtype: np.dtype, where: str) -> np.dtype:
        if dtype not in DTYPE_CODES:
            raise LoopRejected(f"ironkernel does not compute in {dtype} yet", where)
        return dtype

    def as_dtype(self, value: tuple, dtype: np.dtype, where: str, ufunc_operand: bool = False,
                 record: bool = True, branch: bool = False) -> int:
        """The node index of an operand converted to dtype (a cast, or a constant of that dtype).
        ufunc_operand: a Python int that does not fit an integer dtype rejects the loop, as NumPy 2
        refuses it for ufuncs (np.where, a function, wraps it). branch: the operand is a branch of
        np.where, which converts a Python scalar argument to dtype as a ufunc operand is."""
        if value[0] == "typed" and value[2] == dtype:  # checked when it was typed
            return value[1]
        self.check_dtype(dtype, where)
        if value[0] == "weakrun":
            _, index, kind, position = value
            if position is not None and record:  # a Python scalar argument: where the call may convert it
                self.weak_uses[position].add(dtype if ufunc_operand or branch else None)
            return index if dtype == _WEAK_DEFAULT[kind] else self.add(TypedNode("cast", dtype, (index,)))
        if value[0] == "weak":
            operand = _weak_operand(type(value[1]), _exact_key(value[1]), dtype, ufunc_operand)
            if isinstance(operand, Refusal):
                raise LoopRejected(operand.message, where, operand.error)
            scalar, wide = operand
            if wide is not None:
                # NumPy casts the Python number into dtype on every call and warns of the
                # overflow each time: the cast of a wide constant does the same here (constant
                # folding keeps a node whose evaluation raises a flag).
                return self.add(TypedNode("cast", dtype, (self.add(TypedNode("constant", wide.dtype, value=wide)),)))
            return self.add(TypedNode("constant", dtype, value=scalar))
        return self.add(TypedNode("cast", dtype, (value[1],)))

    def operand_spec(self, value: tuple) -> object:
        if value[0] == "weakrun":
            return value[2]
        return type(value[1]) if value[0] == "weak" else value[2]

    def typed(self, op: str, dtype: np.dtype, args: tuple[int, ...], where: str) -> tuple:
        self.check_dtype(dtype, where)
        return ("typed", self.add(TypedNode(op, dtype, args)), dtype)

    def call(self, ufunc_name: str, operands: list[tuple], where: str, output: int | None = None,
             operator: bool = False) -> tuple:
        """np.<ufunc_name> of typed operands; operator: written as a Python operator (a + b)."""
        python_only = any(v[0] == "weakrun" for v in operands) and all(v[0] in ("weak", "weakrun") for v in operands)
        if python_only and not operator:
            # A NumPy function of Python scalars gives a NumPy scalar, which is not weak.
            operands = [self.materialize(v, where) if v[0] == "weakrun" else v for v in operands]
            python_only = False
        specs = tuple(self.operand_spec(v) for v in operands)
        if python_only and ufunc_name in _COMPARISONS:
            # Python compares Python numbers exactly: as NumPy compares them in the widest kind's dtype
            # (and refuses to order complex numbers).
            widest = max(specs, key=[int, float, complex].index)
            if widest is complex and ufunc_name not in ("equal", "not_equal"):
                raise LoopRejected(f"'{_SYMBOLS[ufunc_name]}' not supported between instances of "
                                   f"'{specs[0].__name__}' and '{specs[1].__name__}'", where)
            specs = (_WEAK_DEFAULT[widest],) * len(specs)
        plan = _loop_plan(ufunc_name, specs, output, tuple(getattr(d, "char", None) for d in specs))
        if isinstance(plan, Refusal):
            raise LoopRejected(plan.message, where, plan.error)
        loop_in, loop_out, op, out_dtype, problem = plan
        if ufunc_name in _COMPARISONS and not python_only:
            answer = self.comparison_out_of_range(ufunc_name, operands, loop_in)
            if answer is not None:
                return answer
            if {loop_in[0].kind, loop_in[1].kind} == {"i", "u"}:
                return self.mixed_sign_comparison(ufunc_name, operands, loop_in, where)
        if python_only and out_dtype.kind in "iufc" and output is None and problem is None:
            # Python arithmetic on Python scalar arguments (scale * 2) gives a Python scalar, which
            # stays weak: computed in its kind's default dtype, converted where it is used.
            kind = {"i": int, "u": int, "f": float, "c": complex}[out_dtype.kind]
            args = tuple(self.as_dtype(v, d, where, record=False) for v, d in zip(operands, loop_in))
            value = self.typed(op, out_dtype, args, where)
            # The uses of the result count as uses of the argument it comes from (of several: none).
            positions = {v[3] for v in operands if v[0] == "weakrun" and v[3] is not None}
            for position in positions if len(positions) > 1 else ():
                self.weak_uses[position].add(None)
            position = positions.pop() if len(positions) == 1 else None
            return ("weakrun", self.as_dtype(value, _WEAK_DEFAULT[kind], where, record=False), kind, position)
        # A Python int argument compared with integers is not a use that decides its dtype (see
        # declared_dtypes).
        compared = {k for k, v in enumerate(operands) if v[0] == "weakrun" and v[3] in self.compared
                    and ufunc_name in _COMPARISONS and loop_in[k].kind in "iu"}
        args = tuple(self.as_dtype(v, d, where, ufunc_operand=True, record=not python_only and k not in compared)
                     for k, (v, d) in enumerate(zip(operands, loop_in)))
        fast = self.scalar_power(ufunc_name, operands, loop_in[0])
        if fast:
            return self.typed(fast, loop_out[0], args[:1], where)
        if ufunc_name == "modf":
            return self.modf(args[0], loop_in[0], output, where)
        if problem:
            raise LoopRejected(problem, where)
        if op == "reciprocal" and out_dtype.kind in "iu":
            return self.integer_reciprocal(args[0], out_dtype, where)
        return self.typed(op, out_dtype, args, where)

    def integer_reciprocal(self, x: int, dtype: np.dtype, where: str) -> tuple:
        """np.reciprocal of integers as NumPy's loop computes it: 1.0 / x in float64, converted back
        (0 divides by zero, and its infinity converts with an invalid-value warning)."""
        double = np.dtype(np.float64)
        one = self.add(TypedNode("constant", double, value=np.float64(1.0)))
        quotient = self.add(TypedNode("divide", double, (one, self.add(TypedNode("cast", double, (x,))))))
        return self.typed("cast", dtype, (quotient,), where)

    def mixed_sign_comparison(self, ufunc_name: str, operands: list[tuple], loop_in: tuple, where: str) -> tuple:
        """A signed integer compared with an unsigned one (int64 with uint64, which no common dtype
        holds), exactly: a negative value is below every unsigned one; otherwise both compare as
        unsigned."""
        if loop_in[0].kind == "u":  # as "signed OP unsigned"
            operands, loop_in, ufunc_name = operands[::-1], loop_in[::-1], _COMPARISONS[ufunc_name]
        signed = self.as_dtype(operands[0], loop_in[0], where, ufunc_operand=True)
        unsigned = self.as_dtype(operands[1], loop_in[1], where, ufunc_operand=True)
        boolean = np.dtype(bool)
        zero = self.add(TypedNode("constant", loop_in[0], value=np.zeros((), loop_in[0])[()]))
        negative = self.add(TypedNode("less", boolean, (signed, zero)))
        as_unsigned = self.add(TypedNode("cast", loop_in[1], (signed,)))
        compared = self.add(TypedNode(ufunc_name, boolean, (as_unsigned, unsigned)))
        if ufunc_name in ("less", "less_equal", "not_equal"):  # true for every negative value
            return self.typed("bitwise_or", boolean, (negative, compared), where)
        return self.typed("bitwise_and", boolean, (self.add(TypedNode("logical_not", boolean, (negative,))), compared),
                          where)

    def comparison_out_of_range(self, ufunc_name: str, operands: list[tuple], loop_in: tuple) -> tuple | None:
        """NumPy compares integers with a Python int outside their dtype's range without converting
        it (NumPy 2; 1.26 compares in a wider dtype): every element lies on the same side of it, so the
        answer is a constant. None where that is not the case. A Python int argument compared with
        integers (and used nowhere else) is kept in int64 (see declared_dtypes), which holds it."""
        for k, value in enumerate(operands):
            if value[0] == "weakrun" and value[3] is not None and value[2] is int and loop_in[k].kind in "iu":
                self.compared.add(value[3])
        for k, value in enumerate(operands):
            if value[0] != "weak" or type(value[1]) is not int or loop_in[k].kind not in "iu":
                continue
            info = np.iinfo(loop_in[k])
            if info.min <= value[1] <= info.max:
                return None
            name = ufunc_name if k == 1 else _COMPARISONS[ufunc_name]  # as "x OP number"
            above = value[1] > info.max
            holds = {"less": above, "less_equal": above, "greater": not above, "greater_equal": not above,
                     "equal": False, "not_equal": True}[name]
            return ("typed", self.add(TypedNode("constant", np.dtype(bool), value=np.bool_(holds))), np.dtype(bool))
        return None

    def where_(self, cond: tuple, a: tuple, b: tuple, where: str) -> tuple:
        """np.where: the condition's truthiness, branches in np.result_type of the two."""
        condition = self.as_dtype(cond, np.dtype(bool), where)
        try:
            # A run-time Python scalar promotes as a Python scalar of its kind, whatever its value.
            dtype = np.result_type(*(v[1] if v[0] == "weak" else v[2](0) if v[0] == "weakrun" else v[2]
                                     for v in (a, b)))
        except TypeError as exc:
            raise LoopRejected(f"np.where: {exc}", where) from None
        args = (condition, self.as_dtype(a, dtype, where, branch=True), self.as_dtype(b, dtype, where, branch=True))
        return self.typed("where", dtype, args, where)

    # ---- reductions (gufuncs) -----------------------------------------------------------------
    def materialize(self, value: tuple, where: str) -> tuple:
        """A typed operand for a weak Python scalar (its default NumPy dtype)."""
        if value[0] == "typed":
            return value
        if value[0] == "weakrun":
            dtype = _WEAK_DEFAULT[value[2]]
            return ("typed", self.as_dtype(value, dtype, where), dtype)
        dtype = np.asarray(value[1]).dtype
        return ("typed", self.as_dtype(value, dtype, where), dtype)

    def reduce(self, kind: str, value: tuple, where: str) -> tuple:
        """A reduction over the core dimension, in the dtype NumPy's np.<kind> gives."""
        value = self.materialize(value, where)
        dtype = value[2]
        if kind in ("sum", "prod"):
            result = _reduction_dtype(kind, dtype)
        elif kind in ("any", "all"):
            result = np.dtype(bool)
        elif kind in ("argmax", "argmin"):
            result = np.dtype(np.intp)
        else:  # max, min, dot: the operand's dtype
            result = dtype
        op = "reduce_sum" if kind == "dot" else f"reduce_{kind}"
        operand_dtype = dtype if kind in ("argmax", "argmin") else result  # positions of the values as they are
        product = self.nodes[value[1]]
        if kind == "dot" and dtype == np.float16 and product.op == "multiply":
            # NumPy's float16 dot (HALF_dot) adds the products in float32 (exact there: 11 + 11
            # bits) one after the other from +0, and rounds once at the end; the float16 multiply
            # would round each product, a pairwise sum add them in another order.
            wide = np.dtype(np.float32)
            factors = tuple(self.add(TypedNode("cast", wide, (a,))) for a in product.args)
            products = self.add(TypedNode("multiply", wide, factors))
            total = self.typed("reduce_sequential_sum", wide, (products,), where)
            return ("typed", self.as_dtype(total, dtype, where), dtype)
        return self.typed(op, result, (self.as_dtype(value, operand_dtype, where),), where)

    def length(self, ddof: int, where: str) -> tuple:
        """The core length (minus ddof), promoting like a Python int."""
        index = self.add(TypedNode("length", np.dtype(np.int64)))
        if ddof:
            offset = self.add(TypedNode("constant", np.dtype(np.int64), value=np.int64(ddof)))
            index = self.add(TypedNode("subtract", np.dtype(np.int64), (index, offset)))
        return ("weakrun", index, int, None)

    def divide_by_dof(self, total: tuple, ddof: int | float, where: str) -> tuple:
        """np.var's last step: the sum of squares divided by max(n - ddof, 0). NumPy's count is an
        intp (a float64 for a fractional ddof), so it divides in float64 and rounds the quotient to
        the sum's dtype: inf or NaN when ddof >= n, never a negative count."""
        total = self.materialize(total, where)
        wide = np.dtype(np.float64)
        n = ("typed", self.add(TypedNode("length", np.dtype(np.int64))), np.dtype(np.int64))
        count = self.call("maximum", [self.call("subtract", [n, ("weak", ddof)], where), ("weak", 0)], where)
        quotient = self.typed("divide", wide, (self.as_dtype(total, wide, where), self.as_dtype(count, wide, where)), where)
        return ("typed", self.as_dtype(quotient, total[2], where), total[2])

    def mean(self, value: tuple, where: str, of_var: bool = False) -> tuple:
        """np.mean: integers and bools in float64, float16 accumulated in float32, as NumPy (np.var's
        own mean sums float16 in float16). NumPy 2 divides the sum by its count, an intp, so in
        np.result_type(sum, int64) (complex64 in complex128), rounded back to the sum's dtype."""
        value = self.materialize(value, where)
        dtype = value[2]
        accumulate = np.dtype(np.float64) if dtype.kind in "biu" else (
            np.dtype(np.float32) if dtype == np.float16 and not of_var else dtype)
        total = self.typed("reduce_sum", accumulate, (self.as_dtype(value, accumulate, where),), where)
        mean_dtype = accumulate if of_var else _reduction_dtype("mean", dtype)
        if not _NUMPY2 and accumulate == np.complex64:
            # NumPy 1.26 promoted the count by its value: complex64 holds counts below 65536 (uint16)
            # exactly, and divides in complex64; a larger count makes it divide in complex128.
            small = self.divide_by_length(total, accumulate, where)
            large = self.divide_by_length(total, np.dtype(np.complex128), where)
            is_large = self.call("greater_equal", [self.length(0, where), ("weak", 65536)], where)
            quotient = self.where_(is_large, large, small, where)
        else:
            # NumPy 1.26 promoted the count by its value: real divisions stay in the sum's dtype
            # (NumPy 2's float64 division, rounded, gives the same bits).
            quotient = self.divide_by_length(total, np.result_type(accumulate, np.int64) if _NUMPY2 else accumulate,
                                             where)
        return ("typed", self.as_dtype(quotient, mean_dtype, where), mean_dtype)

    def divide_by_length(self, total: tuple, dtype: np.dtype, where: str) -> tuple:
        """total / n (the core length), both converted to dtype."""
        n = ("typed", self.as_dtype(self.length(0, where), dtype, where), dtype)
        return self.call("divide", [("typed", self.as_dtype(total, dtype, where), dtype), n], where)

    def angle(self, value: tuple, where: str) -> tuple:
        """np.angle: arctan2(z.imag, z.real) for complex z, arctan2(0, z) for everything else (so
        bool gives float64 and int8 float16, as NumPy's loop for a weak 0 and that dtype)."""
        if value[0] == "typed" and value[2].kind == "c":
            real_dtype = _real_dtype(value[2])
            parts = [self.typed(part, real_dtype, (value[1],), where) for part in ("imag", "real")]
            return self.call("arctan2", parts, where)
        return self.call("arctan2", [("weak", 0), value], where)

    def round_(self, value: tuple, decimals: int, to_int: bool, where: str) -> tuple:
        """x.round(decimals) as NumPy's PyArray_Round: integers unchanged for decimals >= 0, else
        divided, rounded and multiplied back in float64 and cast back; floats rint(x * 10**d) / 10**d
        (x / 10**-d then * 10**-d for negative d) in their dtype; bool only with decimals=0 (rint).
        to_int: round(x) of one NumPy scalar, a Python int (int64 in an array)."""
        value = self.materialize(value, where)
        dtype = value[2]
        if dtype.kind == "c":
            raise LoopRejected("rounding complex values is not supported yet", where)
        if to_int:
            if dtype.kind == "b":
                raise LoopRejected("type numpy.bool doesn't define __round__ method", where)
            rounded = self.call("rint", [value], where) if dtype.kind == "f" else value
            return ("typed", self.as_dtype(rounded, np.dtype(np.int64), where), np.dtype(np.int64))
        if dtype.kind in "iu" and decimals >= 0:
            return value
        if decimals == 0:
            return self.call("rint", [value], where)
        if dtype.kind == "b":
            raise LoopRejected(f"np.round of bool with decimals={decimals}: NumPy has no loop for it", where)
        scale = ("weak", 10.0 ** abs(decimals))
        first, then = ("multiply", "divide") if decimals >= 0 else ("divide", "multiply")
        work = np.dtype(np.float64) if dtype.kind in "iu" else dtype
        x = ("typed", self.as_dtype(value, work, where), work)
        result = self.call(then, [self.call("rint", [self.call(first, [x, scale], where)], where), scale], where)
        return ("typed", self.as_dtype(result, dtype, where), dtype)

    def sinc(self, value: tuple, where: str) -> tuple:
        """np.sinc as the running NumPy computes it: y = pi*x, replaced by the dtype's eps where it
        is 0 (NumPy 2); NumPy 1.x replaced x == 0 by 1e-20 first."""
        if not _NUMPY2:
            is_zero = self.call("equal", [value, ("weak", 0)], where)
            y = self.call("multiply", [("weak", np.pi), self.where_(is_zero, ("weak", 1.0e-20), value, where)], where)
            return self.call("divide", [self.call("sin", [y], where), y], where)
        x = self.call("multiply", [("weak", np.pi), value], where)
        eps = float(np.finfo(x[2]).eps) if x[2].kind == "f" else 1e-20
        y = self.where_(x, x, ("weak", eps), where)
        return self.call("divide", [self.call("sin", [y], where), y], where)

    def scalar_power(self, ufunc_name: str, operands: list[tuple], dtype: np.dtype) -> str | None:
        """NumPy 2's np.power loop computes float powers by a constant exponent 0.5 as sqrt (float32
        and float64) and -1 as reciprocal (float32): the op NumPy uses there, or None."""
        if not _NUMPY2 or ufunc_name != "power" or dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            return None
        exponent = operands[1]
        if exponent[0] == "weak":
            value = exponent[1]
        elif exponent[0] == "typed" and self.nodes[exponent[1]].op == "constant":
            value = self.nodes[exponent[1]].value
        else:
            return None
        if value == 0.5:
            return "sqrt"
        if value == -1 and dtype == np.dtype(np.float32):
            return "reciprocal"
        return None

    def modf(self, x: int, dtype: np.dtype, output: int, where: str) -> tuple:
        """np.modf from exact ops: integral part trunc(x); fractional part x - trunc(x) with the sign
        of x, and +-0 for infinities (C's modf)."""
        integral = self.add(TypedNode("trunc", dtype, (x,)))
        if output == 1:
            return ("typed", integral, dtype)
        difference = self.add(TypedNode("subtract", dtype, (x, integral)))
        infinite = self.add(TypedNode("isinf", np.dtype(bool), (x,)))
        zero = self.add(TypedNode("constant", dtype, value=np.zeros((), dtype)[()]))
        finite_part = self.add(TypedNode("where", dtype, (infinite, zero, difference)))
        return self.typed("copysign", dtype, (finite_part, x), where)

    def nan_to_num(self, value: tuple, replacements: tuple, where: str) -> tuple:
        """np.nan_to_num: NaN, +inf and -inf replaced (by 0, the largest and the smallest finite
        value unless given), in the real and the imaginary part separately for complex values; other
        dtypes unchanged."""
        if value[0] == "typed" and value[2].kind == "c":
            return self.complex_nan_to_num(value, replacements, where)
        if value[0] == "weak" or value[2].kind not in "f":
            return value
        dtype = value[2]
        nan, posinf, neginf = replacements
        info = np.finfo(dtype)
        x = value[1]
        result = x
        for test, constant, replacement in (("equal", -np.inf, neginf if neginf is not None else info.min),
                                            ("equal", np.inf, posinf if posinf is not None else info.max)):
            bound = self.as_dtype(("weak", constant), dtype, where)
            condition = self.add(TypedNode(test, np.dtype(bool), (x, bound)))
            result = self.add(TypedNode("where", dtype, (condition, self.as_dtype(("weak", replacement), dtype, where)
                                                           if not isinstance(replacement, np.generic)
                                                           else self.as_dtype(("weak", replacement.item()), dtype, where),
                                                           result)))
        is_nan = self.add(TypedNode("isnan", np.dtype(bool), (x,)))
        nan_value = self.as_dtype(("weak", nan.item() if isinstance(nan, np.generic) else nan), dtype, where)
        return self.typed("where", dtype, (is_nan, nan_value, result), where)

    def complex_nan_to_num(self, z: tuple, replacements: tuple, where: str) -> tuple:
        """np.nan_to_num of complex z: each part replaced as a real value would be. There is no op
        making a complex from two parts, so where z is not finite the new parts r and i are put
        together with exact ops: (r, -0) + (-0, i) is (r, i) bit for bit, signed zeros included
        (x + -0.0 is x for every x), with (r, -0) = conj(r) and (-0, i) = -(conj(-i) * 1j), whose
        product is exactly (+0, -i) for finite i. Finite z is kept as it is."""
        complex_dtype = z[2]
        part_dtype = _real_dtype(complex_dtype)
        real, imag = (self.nan_to_num(self.typed(part, part_dtype, (z[1],), where), replacements, where)
                      for part in ("real", "imag"))

        def as_complex(part: tuple) -> tuple:
            return ("typed", self.as_dtype(part, complex_dtype, where), complex_dtype)

        real_part = self.call("conjugate", [as_complex(real)], where)
        rotated = self.call("multiply", [self.call("conjugate", [as_complex(self.call("negative", [imag], where))],
                                                   where), ("weak", 1j)], where)
        rebuilt = self.call("add", [real_part, self.call("negative", [rotated], where)], where)
        return self.where_(self.call("isfinite", [z], where), z, rebuilt, where)

    def run(self) -> tuple[list[TypedNode], list[int], list[np.dtype]]:
        for node in self.graph.nodes:
            self.values.append(self.type_node(node))
        outputs, out_dtypes = [], []
        for o in self.graph.outputs:
            value = self.values[o]
            if value[0] == "weakrun":
                value = self.materialize(value, "")
            if value[0] == "weak":  # a constant returned as is: NumPy's dtype for the Python scalar
                value = ("typed", self.as_dtype(value, np.asarray(value[1]).dtype, ""), np.asarray(value[1]).dtype)
            outputs.append(value[1])
            out_dtypes.append(value[2])
        return self.nodes, outputs, out_dtypes

    def type_node(self, node) -> tuple:
        where = node.where
        if node.kind == "input":
            spec = self.in_specs[node.value]
            if spec in _WEAK_DEFAULT:
                self.weak_uses[node.value] = set()
                index = self.add(TypedNode("input", _WEAK_DEFAULT[spec], value=node.value))
                return ("weakrun", index, spec, node.value)
            dtype = self.check_dtype(spec, where)
            return ("typed", self.add(TypedNode("input", dtype, value=node.value)), dtype)
        if node.kind == "constant":
            value = node.value
            if type(value) in _WEAK:  # exact Python types: np.float64 subclasses float but is not weak
                return ("weak", value)
            scalar = np.asarray(value)[()]
            dtype = self.check_dtype(scalar.dtype, where)
            return ("typed", self.add(TypedNode("constant", dtype, value=scalar)), dtype)
        operands = [self.values[a] for a in node.args]
        if node.kind in ("nan_to_num", "part"):
            operands = [self.materialize(v, where) if v[0] == "weakrun" else v for v in operands]
        if node.kind == "call":
            output = node.value if type(node.value) is int else None
            return self.call(node.name, operands, where, output, operator=node.value == "operator")
        if node.kind == "nan_to_num":
            return self.nan_to_num(operands[0], node.value, where)
        if node.kind == "pow_operator":
            (base,) = operands
            # NumPy's array ** 2 is np.square for every numeric dtype (bool ** 2 is int8, where
            # np.power with a Python 2 gives int64); ** -1 and ** 0.5 only for float and complex.
            if base[0] == "typed" and (base[2].kind in "fc" or node.value == 2 and base[2].kind in "biu"):
                name = {2: "square", -1: "reciprocal", 0.5: "sqrt"}[node.value]
                return self.call(name, [base], where)
            return self.call("power", [base, ("weak", node.value)], where, operator=True)
        if node.kind == "part":  # x.real / x.imag
            (value,) = operands
            if value[0] == "weak":
                value = ("typed", self.as_dtype(value, np.asarray(value[1]).dtype, where), np.asarray(value[1]).dtype)
            return self.typed(node.name, _real_dtype(value[2]), (value[1],), where)
        if node.kind == "where":
            return self.where_(*operands, where)
        if node.kind == "reduce":
            return self.reduce(node.name, operands[0], where)
        if node.kind == "length":
            return self.length(node.value, where)
        if node.kind == "mean":
            return self.mean(operands[0], where, of_var=node.value == "var")
        if node.kind == "sinc":
            return self.sinc(operands[0], where)
        if node.kind == "angle":
            return self.angle(operands[0], where)
        if node.kind == "round":
            return self.round_(operands[0], *node.value, where)
        if node.kind == "divide_by_dof":
            return self.divide_by_dof(operands[0], node.value, where)
        if node.kind == "cast":
            (value,) = operands
            dtype = np.dtype(node.name)
            if value[0] == "weak":
                return ("typed", self.as_dtype(value, dtype, where), dtype)
            return ("typed", self.as_dtype(value, dtype, where), dtype)
        raise AssertionError(f"unknown node kind {node.kind}")


def type_graph(graph: Graph, in_dtypes: tuple[np.dtype, ...]) -> tuple[list[TypedNode], list[int], list[np.dtype]]:
    """Typed nodes, output node indices and output dtypes for these input dtypes (or LoopRejected)."""
    return _Typer(graph, tuple(np.dtype(d) for d in in_dtypes)).run()


def declared_dtypes(graph: Graph, in_specs: tuple) -> tuple[np.dtype, ...]:
    """The loop dtypes of a call's inputs, where some are Python scalars (int, float or complex in
    in_specs; NEP 50's weak scalars). The body is typed once with them weak, as NumPy types it, to
    see where each is used: a Python scalar whose value (or what Python arithmetic in the body makes
    of it) meets arrays at one dtype as a ufunc operand is declared in that dtype (NumPy converts it
    on the call, raising OverflowError for an int out of its range, as it would in the body; its
    comparisons with integers do not count, and are made in that dtype); one used at several dtypes,
    outside ufunc operands, or only compared with integers, in its kind's default dtype. The loop
    is then typed with these dtypes like any other: one typed graph per combination of loop dtypes,
    whatever the arguments were (LoopRejected as type_graph)."""
    if not any(spec in _WEAK_DEFAULT for spec in in_specs):
        return in_specs
    typer = _Typer(graph, in_specs)
    typer.run()
    declared = []
    for k, spec in enumerate(in_specs):
        uses = typer.weak_uses.get(k, set())
        if spec not in _WEAK_DEFAULT:
            declared.append(spec)
        elif len(uses) == 1 and None not in uses:
            declared.append(next(iter(uses)))
        else:
            declared.append(_WEAK_DEFAULT[spec])
    return tuple(declared)
