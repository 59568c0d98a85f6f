"""NumPy functions the typer (_typing.py) types as several nodes: reductions of gufunc bodies
(sum, mean, var, ...), np.round, np.sinc, np.angle, np.modf, np.nan_to_num. A mixin of the typer:
each method records nodes through its `call`, `typed` and `add`, as NumPy computes the function.
"""

from __future__ import annotations

import numpy as np

from ._ir import TypedNode
from ._typing_rules import _NUMPY2, LoopRejected, _real_dtype, _reduction_dtype


class CompoundFunctions:
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
        operand_dtype = (
            dtype if kind in ("argmax", "argmin") else result
        )  # positions of the values as they are
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
        quotient = self.typed(
            "divide", wide, (self.as_dtype(total, wide, where), self.as_dtype(count, wide, where)), where
        )
        return ("typed", self.as_dtype(quotient, total[2], where), total[2])

    def mean(self, value: tuple, where: str, of_var: bool = False) -> tuple:
        """np.mean: integers and bools in float64, float16 accumulated in float32, as NumPy (np.var's
        own mean sums float16 in float16). NumPy 2 divides the sum by its count, an intp, so in
        np.result_type(sum, int64) (complex64 in complex128), rounded back to the sum's dtype."""
        value = self.materialize(value, where)
        dtype = value[2]
        accumulate = (
            np.dtype(np.float64)
            if dtype.kind in "biu"
            else (np.dtype(np.float32) if dtype == np.float16 and not of_var else dtype)
        )
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
            quotient = self.divide_by_length(
                total, np.result_type(accumulate, np.int64) if _NUMPY2 else accumulate, where
            )
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
        result = self.call(
            then, [self.call("rint", [self.call(first, [x, scale], where)], where), scale], where
        )
        return ("typed", self.as_dtype(result, dtype, where), dtype)

    def sinc(self, value: tuple, where: str) -> tuple:
        """np.sinc as the running NumPy computes it: y = pi*x, replaced by the dtype's eps where it
        is 0 (NumPy 2); NumPy 1.x replaced x == 0 by 1e-20 first."""
        if not _NUMPY2:
            is_zero = self.call("equal", [value, ("weak", 0)], where)
            y = self.call(
                "multiply", [("weak", np.pi), self.where_(is_zero, ("weak", 1.0e-20), value, where)], where
            )
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
        for test, constant, replacement in (
            ("equal", -np.inf, neginf if neginf is not None else info.min),
            ("equal", np.inf, posinf if posinf is not None else info.max),
        ):
            bound = self.as_dtype(("weak", constant), dtype, where)
            condition = self.add(TypedNode(test, np.dtype(bool), (x, bound)))
            result = self.add(
                TypedNode(
                    "where",
                    dtype,
                    (
                        condition,
                        self.as_dtype(("weak", replacement), dtype, where)
                        if not isinstance(replacement, np.generic)
                        else self.as_dtype(("weak", replacement.item()), dtype, where),
                        result,
                    ),
                )
            )
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
        real, imag = (
            self.nan_to_num(self.typed(part, part_dtype, (z[1],), where), replacements, where)
            for part in ("real", "imag")
        )

        def as_complex(part: tuple) -> tuple:
            return ("typed", self.as_dtype(part, complex_dtype, where), complex_dtype)

        real_part = self.call("conjugate", [as_complex(real)], where)
        rotated = self.call(
            "multiply",
            [self.call("conjugate", [as_complex(self.call("negative", [imag], where))], where), ("weak", 1j)],
            where,
        )
        rebuilt = self.call("add", [real_part, self.call("negative", [rotated], where)], where)
        return self.where_(self.call("isfinite", [z], where), z, rebuilt, where)
