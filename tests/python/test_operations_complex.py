"""Complex operations against NumPy: exact and math functions, extreme values, power, parts, promotion."""

import numpy as np
import pytest
from numpy_reference import MATH_ULP, check_kernel
from operation_values import binary_kernel, unary_kernel

import ironkernel as ik

COMPLEX = [np.complex64, np.complex128]

# NumPy 1.x computed complex functions of infinite and NaN parts with its own code, which NumPy 2
# replaced by the C library's (and changed np.sign for complex to z/|z|). ironkernel follows
# NumPy 2; against NumPy 1.26 the special values are left out of the comparison.
NUMPY2 = np.lib.NumpyVersion(np.__version__) >= "2.0.0"


def complex_values(dtype, n=1500, seed=0):
    rng = np.random.default_rng(seed)
    parts = (
        [0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 2.5, 1e-30] if NUMPY2 else [0.0, -0.0, 1.0, -1.0, 2.5]
    )
    special = np.array([complex(a, b) for a in parts for b in parts])
    body = rng.standard_normal(n) * rng.choice([1, 10, 100], n) + 1j * rng.standard_normal(n) * rng.choice(
        [1, 10], n
    )
    with np.errstate(all="ignore"):
        return np.concatenate([special, body]).astype(dtype)


COMPLEX_EXACT_UNARY = [
    "negative",
    "positive",
    "conjugate",
    "absolute",
    "square",
    "reciprocal",
    "isnan",
    "isinf",
    "isfinite",
    "logical_not",
    "rint",
    "sign",
]
COMPLEX_MATH_UNARY = [
    "sqrt",
    "exp",
    "log",
    "sin",
    "cos",
    "tan",
    "sinh",
    "cosh",
    "tanh",
    "arcsin",
    "arccos",
    "arctan",
    "arcsinh",
    "arccosh",
    "arctanh",
    "exp2",
    "expm1",
    "log2",
    "log10",
    "log1p",
]
# NumPy's SIMD loops for these fuse a multiply-add where the CPU has FMA; ironkernel's AVX2 and
# AVX-512 kernels do the same, its baseline kernels cannot (within 2 ULP then).
FMA_SENSITIVE = {"absolute", "square", "multiply"}


def fma_unfused(name):
    return name in FMA_SENSITIVE and ik._core.kernel_isa() == "baseline"


def check_unfused(fn, *args):
    """Without FMA a product of parts loses the low bits NumPy's fused result keeps: compare the
    error against the size of the products (2 eps * |a| * |b|) instead of bit for bit."""
    k = ik.ufunc(fn)
    with np.errstate(all="ignore"):
        got, expected = k(*args), fn(*args)
    scale = np.maximum(np.abs(args[0]) * np.abs(args[-1]), np.abs(args[0]))
    eps = np.finfo(args[0].dtype).eps
    finite = np.isfinite(expected) & np.isfinite(scale)  # (an infinite or NaN scale bounds nothing)
    assert np.all(np.abs(got - expected)[finite] <= 2 * eps * scale[finite] + np.finfo(args[0].dtype).tiny)


COMPLEX_EXACT_BINARY = [
    "add",
    "subtract",
    "multiply",
    "divide",
    "equal",
    "not_equal",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "maximum",
    "minimum",
    "fmax",
    "fmin",
    "logical_and",
    "logical_or",
    "logical_xor",
]


@pytest.mark.parametrize("dtype", COMPLEX)
@pytest.mark.parametrize("name", COMPLEX_EXACT_UNARY)
def test_complex_exact_unary(name, dtype):
    if name == "sign" and not NUMPY2:
        pytest.skip(
            "NumPy 1.x defined sign differently for complex numbers; ironkernel follows NumPy 2 (z/|z|)"
        )
    if fma_unfused(name):
        return check_unfused(unary_kernel(name), complex_values(dtype))
    check_kernel(unary_kernel(name), complex_values(dtype))


@pytest.mark.parametrize("dtype", COMPLEX)
@pytest.mark.parametrize("name", COMPLEX_MATH_UNARY)
def test_complex_math_unary(name, dtype):
    check_kernel(unary_kernel(name), complex_values(dtype), ulp=MATH_ULP)


@pytest.mark.parametrize("dtype", COMPLEX)
@pytest.mark.parametrize("name", COMPLEX_EXACT_BINARY)
def test_complex_exact_binary(name, dtype):
    x, y = complex_values(dtype, seed=1), complex_values(dtype, seed=2)[::-1].copy()
    if fma_unfused(name):
        return check_unfused(binary_kernel(name), x, y)
    check_kernel(binary_kernel(name), x, y)


def extreme_complex_values(dtype):
    """Every pair of parts from zero and subnormal to the largest finite value, inf and NaN: where
    |z|'s ratio of parts underflows, its product overflows, or a part decides the result alone."""
    part = np.finfo(dtype)
    parts = [
        0.0,
        -0.0,
        part.smallest_subnormal,
        -3 * part.smallest_subnormal,
        part.tiny,
        -part.tiny,
        part.eps,
        1.0,
        -1.5,
        np.sqrt(part.max),
        part.max / 2,
        -part.max,
        np.inf,
        -np.inf,
        np.nan,
    ]
    return np.array([complex(a, b) for a in parts for b in parts], dtype=dtype)


@pytest.mark.parametrize("dtype", COMPLEX)
@pytest.mark.parametrize("name", ["absolute", "square"])
@pytest.mark.parametrize("layout", ["contiguous", "strided"])
def test_complex_vector_kernels_keep_numpys_bits_and_warnings_at_extremes(name, dtype, layout):
    z = extreme_complex_values(dtype)
    z = z if layout == "contiguous" else np.repeat(z, 2)[::2]
    if fma_unfused(name):
        return check_unfused(unary_kernel(name), z)
    check_kernel(unary_kernel(name), z)


@pytest.mark.parametrize("dtype", COMPLEX)
def test_complex_absolute_raises_no_flag_as_numpys(dtype):
    # NumPy's loop clears the status after it: no overflow for |max + max j|, no underflow for a
    # ratio of parts below the smallest subnormal. Flags raised before it in a body remain.
    z = extreme_complex_values(dtype)
    kernel = ik.ufunc(lambda a: np.abs(a))
    with np.errstate(all="raise"):
        np.abs(z)
        np.testing.assert_array_equal(kernel(z), np.abs(z))
    after_divide = ik.ufunc(lambda a, b: np.abs(a) + 1 / b)
    with np.errstate(divide="raise"), pytest.raises(FloatingPointError, match="divide"):
        after_divide(z, np.zeros(z.size))


@pytest.mark.parametrize("dtype", COMPLEX)
def test_complex_multiply_keeps_numpys_bits_and_warnings_at_extremes(dtype):
    z = extreme_complex_values(dtype)
    x, y = np.repeat(z, z.size), np.tile(z, z.size)  # every pair
    if fma_unfused("multiply"):
        return check_unfused(binary_kernel("multiply"), x, y)
    check_kernel(binary_kernel("multiply"), x, y)


@pytest.mark.parametrize("dtype", COMPLEX)
def test_complex_power(dtype):
    x = complex_values(dtype, seed=3)
    for exponent in (2, 3, -1, -2, 5, 0.5, 1.5 + 0.5j, 0):
        check_kernel(lambda a, e=exponent: np.power(a, e), x, ulp=MATH_ULP)
    check_kernel(lambda a, b: np.power(a, b), x[:200], x[200:400], ulp=MATH_ULP)


def test_complex_parts_angle_and_casts():
    z = complex_values(np.complex128)
    check_kernel(lambda a: np.real(a) + np.imag(a) * 2, z)
    check_kernel(lambda a: a.real - a.imag, z)
    check_kernel(lambda a: np.angle(a), z, ulp=MATH_ULP)
    check_kernel(lambda a: np.angle(a, deg=True), z, ulp=MATH_ULP)
    check_kernel(lambda a: np.angle(a), np.linspace(-2, 2, 9))
    check_kernel(lambda a: a.astype(np.complex64), z)
    check_kernel(lambda a: (a * 2).astype(np.complex128), np.arange(-5, 5, dtype=np.int32))
    check_kernel(lambda a: a.astype(bool), z)
    check_kernel(lambda a: a * 1j + 2, np.linspace(-1, 1, 11).astype(np.float32))


def test_mixed_real_and_complex_inputs_promote_like_numpy():
    check_kernel(lambda a, b: a * b + 1, np.arange(5.0), complex_values(np.complex64)[:5])
    check_kernel(lambda a, b: a / b, np.arange(5, dtype=np.float32), complex_values(np.complex64)[20:25])
