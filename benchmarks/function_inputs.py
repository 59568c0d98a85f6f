"""The cases functions.py times: the operators and their ufuncs, each function's domain, the where=
bodies and reductions, the input dtypes and values of NumPy's loops, and how a result is checked."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# Python's operators on arrays and the NumPy ufunc each one calls (ndarray's number protocol).
OPERATORS = {
    "x + y": "add",
    "x - y": "subtract",
    "x * y": "multiply",
    "x / y": "divide",
    "x // y": "floor_divide",
    "x % y": "remainder",
    "divmod(x, y)": "divmod",
    "x ** y": "power",
    "x & y": "bitwise_and",
    "x | y": "bitwise_or",
    "x ^ y": "bitwise_xor",
    "x << y": "left_shift",
    "x >> y": "right_shift",
    "x < y": "less",
    "x <= y": "less_equal",
    "x == y": "equal",
    "x != y": "not_equal",
    "x > y": "greater",
    "x >= y": "greater_equal",
    "-x": "negative",
    "+x": "positive",
    "~x": "invert",
    "abs(x)": "absolute",
}
# Value range per input where the default (-10, 10) would leave a function's domain or overflow;
# integers draw from the range rounded inwards, clipped to the dtype (default (-100, 100)).
DOMAINS = {
    "sqrt": [(0, 10)],
    "log": [(0.1, 10)],
    "log2": [(0.1, 10)],
    "log10": [(0.1, 10)],
    "log1p": [(-0.9, 10)],
    "arcsin": [(-1, 1)],
    "arccos": [(-1, 1)],
    "arctanh": [(-0.99, 0.99)],
    "arccosh": [(1, 10)],
    "tan": [(-1.5, 1.5)],
    "power": [(0.5, 3), (0, 4)],
    "float_power": [(0.5, 3), (0, 4)],
    "ldexp": [(-10, 10), (-10, 10)],
}
SHIFTS = ("left_shift", "right_shift")  # the shift count stays below the dtype's bit width
NONZERO = {"divide": 1, "floor_divide": 1, "remainder": 1, "fmod": 1, "divmod": 1, "reciprocal": 0}
WHERE_BODIES = {  # ironkernel's body, and NumPy's best with where=: in-place steps into out
    "np.add(x, y)": lambda x, y, out, where: np.add(x, y, out=out, where=where),
    "np.multiply(x, y)": lambda x, y, out, where: np.multiply(x, y, out=out, where=where),
    "(x * y + x) * 0.5": lambda x, y, out, where: (
        np.multiply(x, y, out=out, where=where),
        np.add(out, x, out=out, where=where),
        np.multiply(out, 0.5, out=out, where=where),
    ),
}
DENSITIES = (0.01, 0.5, 0.99)
REDUCTIONS = ("sum", "mean", "max", "min", "argmax", "argmin", "any", "all")
FLOATS = ("float64", "float32")  # the dtypes of the where= and gufunc sections
UNCOMPUTED = ("float128", "complex256", "object", "datetime64", "timedelta64")  # NumPy's, not ironkernel's


def body(expression: str, nin: int) -> Callable:
    return eval(f"lambda {', '.join('xy'[:nin])}: {expression}", {"np": np})


def input_dtypes(ufunc: np.ufunc) -> list[tuple[np.dtype, ...]]:
    """The distinct input dtypes of NumPy's loops for ufunc (int64 is both 'l' and 'q')."""
    unit = {"M": "M8[s]", "m": "m8[s]"}  # datetimes need a unit to make arrays of
    seen: dict[tuple[str, ...], tuple[np.dtype, ...]] = {}
    for types in ufunc.types:
        dtypes = tuple(np.dtype(unit.get(c, c)) for c in types[: ufunc.nin])
        seen.setdefault(tuple(d.name for d in dtypes), dtypes)
    return list(seen.values())


def make_input(name: str, position: int, dtype: np.dtype, shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Values of input ``position`` of np.<name> inside its domain, nonzero where it divides."""
    rng = np.random.default_rng(seed)
    low, high = DOMAINS.get(name, [(-10, 10)] * 2)[position]
    if dtype.kind in "iumM":
        if name not in DOMAINS:
            low, high = -100, 100
        if name in SHIFTS and position == 1:
            low, high = 0, 8 * dtype.itemsize - 1
        if dtype.kind == "u":
            low = max(low, 0)
        values = rng.integers(int(np.ceil(low)), int(np.floor(high)) + 1, shape)
    elif dtype.kind == "b":
        values = rng.random(shape) < 0.5
    else:  # floats, complex (imaginary part in (-1, 1)) and objects holding floats
        values = rng.uniform(low, high, shape)
        if dtype.kind == "c":
            values = values + 1j * rng.uniform(-1, 1, shape)
    values = values.astype(dtype)
    if NONZERO.get(name) == position:
        values[values == 0] = 1
    return values


def same(got: np.ndarray, expected: np.ndarray, eps: float = 64) -> bool:
    """Equal for exact dtypes; floats within ``eps`` machine epsilons, relative or absolute
    (ironkernel's math is within 4 ulp; a sum in another order differs by up to n epsilons)."""
    if got.dtype != expected.dtype or got.shape != expected.shape:
        return False
    if got.dtype.kind not in "fc":
        return bool(np.array_equal(got, expected))
    eps *= float(np.finfo(got.dtype).eps)
    with np.errstate(all="ignore"):
        return bool(np.allclose(got, expected, rtol=eps, atol=eps, equal_nan=True))
