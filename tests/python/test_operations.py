"""Every supported operation against NumPy, over dtypes, with special values: the op table's rows
(test_op_table reads them). Complex operations, casts, special values' bits and the math functions'
edges have files of their own (test_operations_*.py)."""

import numpy as np
import pytest
from numpy_reference import MATH_ULP, check_kernel
from operation_values import FLOATS, INTS, binary_kernel, unary_kernel, values

import ironkernel as ik

EXACT_UNARY = [
    "negative",
    "positive",
    "absolute",
    "square",
    "sqrt",
    "floor",
    "ceil",
    "trunc",
    "rint",
    "sign",
    "logical_not",
    "isnan",
    "isinf",
    "isfinite",
    "signbit",
    "reciprocal",
    "deg2rad",
    "rad2deg",
]
# Every op the table (csrc/ir/ops.def) marks math, in its order; test_op_table checks that the other
# lists here with their exclusions cover every op.
MATH_UNARY = [name for name, arity, _, accuracy in ik._core.op_table() if accuracy == "math" and arity == 1]
EXACT_BINARY = [
    "add",
    "subtract",
    "multiply",
    "divide",
    "maximum",
    "minimum",
    "fmax",
    "fmin",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "equal",
    "not_equal",
    "logical_and",
    "logical_or",
    "logical_xor",
    "copysign",
    "nextafter",
    "heaviside",
    "floor_divide",
    "remainder",
    "fmod",
]
MATH_BINARY = [name for name, arity, _, accuracy in ik._core.op_table() if accuracy == "math" and arity == 2]
INT_BINARY = [
    "add",
    "subtract",
    "multiply",
    "maximum",
    "minimum",
    "greater",
    "less_equal",
    "equal",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "floor_divide",
    "remainder",
    "fmod",
    "left_shift",
    "right_shift",
]
INT_UNARY = ["negative", "absolute", "square", "invert", "sign", "logical_not"]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", EXACT_UNARY)
def test_exact_unary_float(name, dtype):
    check_kernel(unary_kernel(name), values(dtype))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", MATH_UNARY)
def test_math_unary_float(name, dtype):
    check_kernel(unary_kernel(name), values(dtype), ulp=MATH_ULP)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", EXACT_BINARY)
def test_exact_binary_float(name, dtype):
    x, y = values(dtype, seed=1), values(dtype, seed=2)[::-1].copy()
    check_kernel(binary_kernel(name), x, y)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", MATH_BINARY)
def test_math_binary_float(name, dtype):
    x, y = values(dtype, seed=1), values(dtype, seed=2)[::-1].copy()
    check_kernel(binary_kernel(name), x, y, ulp=MATH_ULP)


@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("name", INT_BINARY)
def test_integer_binary(name, dtype):
    x, y = values(dtype, seed=1), values(dtype, seed=2)
    if name in ("left_shift", "right_shift"):
        y = (np.abs(y.astype(np.int64)) % (8 * np.dtype(dtype).itemsize + 3)).astype(dtype)
    check_kernel(binary_kernel(name), x, y)


@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("name", INT_UNARY)
def test_integer_unary(name, dtype):
    if name == "negative" and np.dtype(dtype).kind == "u":
        pass  # wraps, as NumPy
    check_kernel(unary_kernel(name), values(dtype))


BOOL_BINARY = [
    "logical_and",
    "logical_or",
    "logical_xor",
    "bitwise_and",
    "bitwise_or",
    "add",
    "multiply",
    "maximum",
    "minimum",
    "equal",
    "greater",
]


@pytest.mark.parametrize("dtype", [np.bool_])
@pytest.mark.parametrize("name", BOOL_BINARY)
def test_bool_binary(name, dtype):
    rng = np.random.default_rng(0)
    check_kernel(binary_kernel(name), rng.random(100) > 0.5, rng.random(100) > 0.5)


def test_integer_division_by_zero_warns_like_numpy():
    x = np.array([1, -7, 0, 5], np.int32)
    y = np.array([0, 2, 0, -1], np.int32)
    check_kernel(lambda a, b: a // b, x, y)
    check_kernel(lambda a, b: a % b, x, y)


def test_integer_overflow_wraps():
    x = np.array([127, -128, 100], np.int8)
    check_kernel(lambda a: a + 1, x)
    check_kernel(lambda a: a * 3, x)
    check_kernel(lambda a: -a, x)


def test_operators_match_numpy_operators():
    def body(x, y):
        return (x + y) * (x - y) / (y**2 + 1) - x**0.5 + 2**y + x**-1 + (x // 3) % 2 + abs(-x)

    x = np.linspace(0.1, 10, 300)
    y = np.linspace(-3, 3, 300)
    check_kernel(body, x, y, ulp=MATH_ULP)


def test_power_operator_uses_numpy_fast_paths():
    x = np.array([-0.0, -np.inf, 4.0, 2.0, np.nan, -4.0])
    check_kernel(lambda a: a**0.5, x)
    check_kernel(lambda a: a**2, x)
    check_kernel(lambda a: a**-1, x)
    i = np.arange(-3, 4, dtype=np.int64)
    check_kernel(lambda a: a**2, i)


def test_comparisons_chain_and_logic():
    x = np.linspace(-2, 2, 41)

    def body(a):
        return np.where((a > -1) & (a < 1) | (a == 2), a, -a)

    check_kernel(body, x)


def test_degrees_radians_aliases():
    x = np.linspace(-400, 400, 81)
    check_kernel(lambda a: np.radians(np.degrees(a)), x)


def test_supported_functions_lists_what_traces():
    names = ik.supported_functions()
    for name in ("sin", "add", "where", "clip", "maximum", "bitwise_and"):
        assert name in names
    for name in names:
        if isinstance(getattr(np, name, None), np.ufunc):
            assert getattr(np, name).nin in (1, 2)


@pytest.mark.parametrize("dtype", FLOATS)
def test_multi_output_functions_in_a_body(dtype):
    x = values(dtype)
    check_kernel(lambda a: np.modf(a), x)
    check_kernel(lambda a: np.frexp(a), x)
    check_kernel(lambda a: np.divmod(a, dtype(0.7)), x)
    check_kernel(lambda a, b: divmod(a, b), x, values(dtype, seed=3))
    check_kernel(lambda a: np.modf(a)[0] + np.frexp(a)[1], x)


def test_multi_output_functions_on_integers():
    i = values(np.int32)
    check_kernel(lambda a, b: np.divmod(a, b), i, values(np.int32, seed=4))
    check_kernel(lambda a: np.modf(a), i[:100])
    check_kernel(lambda a: np.frexp(a), i[:100])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("exponent_dtype", [np.int8, np.int32, np.int64])
def test_ldexp(dtype, exponent_dtype):
    x = values(dtype)
    e = np.random.default_rng(1).integers(-60, 60, x.size).astype(exponent_dtype)
    check_kernel(lambda a, b: np.ldexp(a, b), x, e)
    check_kernel(lambda a: np.ldexp(a, 3), x)


def test_ldexp_in_a_kernel_of_many_inputs_decorates_quickly():
    # Loops for every mix of float and integer inputs were once enumerated at decoration (8**n: a
    # 6-input body took minutes, a 32-input pickle hung); now a loop is typed per call.
    import time

    start = time.perf_counter()
    kernel = ik.ufunc(lambda a, b, c, d, e, f: np.ldexp(a, b + c) * d + e - f)
    assert time.perf_counter() - start < 2
    x, k = values(np.float32)[:50], np.arange(50, dtype=np.int8) % 7
    got = check_kernel(
        lambda a, b, c, d, e, f: np.ldexp(a, b + c) * d + e - f, x, k, k, x, x, x, kernel=kernel
    )
    assert got.dtype == np.float32


@pytest.mark.parametrize("dtype", FLOATS)
def test_spacing_sinc_nan_to_num(dtype):
    x = values(dtype)
    check_kernel(lambda a: np.spacing(a), x)
    check_kernel(lambda a: np.sinc(a), x, ulp=MATH_ULP)
    check_kernel(lambda a: np.nan_to_num(a), x)
    check_kernel(lambda a: np.nan_to_num(a, nan=-1.0, posinf=7, neginf=-7), x)


@pytest.mark.parametrize("dtype", FLOATS)
def test_spacing_of_nan_and_inf_warns_like_numpy(dtype):
    # float16 NaN warns "invalid value" and gives the default NaN (float32/64 NaN is quiet).
    nans = np.array([np.nan, -np.nan, np.inf, -np.inf, 1.0], dtype)
    if dtype == np.float16:
        nans = np.concatenate([nans, np.array([0x7D01, 0xFE01], np.uint16).view(np.float16)])
    for x in (nans, nans[:1], nans[1:2], nans[4:5]):
        got = check_kernel(lambda a: np.spacing(a), x)
        with np.errstate(invalid="ignore"):
            np.testing.assert_array_equal(got.view(np.uint8), np.spacing(x).view(np.uint8))


def test_nan_to_num_on_integers_is_identity():
    check_kernel(lambda a: np.nan_to_num(a) + 1, np.arange(-5, 5))


@pytest.mark.parametrize("dtype", FLOATS)
def test_power_by_constant_follows_numpys_loop(dtype):
    x = values(dtype)
    for exponent in (0.5, -1.0, 2.0, 3.0, -0.5):
        check_kernel(lambda a, e=exponent: np.power(a, e), x, ulp=MATH_ULP)
        check_kernel(lambda a, e=exponent: np.power(a, dtype(e)), x, ulp=MATH_ULP)


@pytest.mark.parametrize("dtype", [np.bool_] + INTS + FLOATS)
def test_power_operator_two_is_square_for_every_dtype(dtype):
    # NumPy's array ** 2 calls np.square for bool and integers too: bool ** 2 is int8, where
    # np.power(bool, 2) would give int64.
    x = np.array([True, False, True]) if dtype == np.bool_ else values(dtype, n=200)
    with np.errstate(all="ignore"):
        check_kernel(lambda a: a**2, x, warnings_too=False)


@pytest.mark.parametrize("dtype", [np.bool_] + INTS + FLOATS)
def test_angle_of_real_values_has_numpys_dtype(dtype):
    # np.angle(x) is arctan2(0, x) for real x: float64 for bool, float16 for int8.
    x = np.array([True, False, True]) if dtype == np.bool_ else values(dtype, n=200)
    check_kernel(lambda a: np.angle(a), x, ulp=MATH_ULP)
    check_kernel(lambda a: np.angle(a, deg=True), x, ulp=MATH_ULP)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_nan_to_num_of_complex_replaces_each_part(dtype):
    parts = [0.0, -0.0, 1.5, -2.0, np.inf, -np.inf, np.nan, -np.nan, 3e38]
    z = np.array([complex(a, b) for a in parts for b in parts]).astype(dtype)
    check_kernel(lambda a: np.nan_to_num(a), z)
    check_kernel(lambda a: np.nan_to_num(a, nan=-0.0, posinf=7.0, neginf=-3.0), z)
    check_kernel(lambda a: np.nan_to_num(a * 2), z)


def test_element_wise_ndarray_methods_and_attributes():
    x = np.concatenate([np.linspace(-3, 3, 61), [np.nan, np.inf, -np.inf, -0.0, 2.5, -2.5, 0.125, 1234.5678]])
    z = x + 1j * x[::-1]
    check_kernel(lambda a: a.clip(-1, 1.5), x)
    check_kernel(lambda a: a.clip(max=1.5), x)
    check_kernel(lambda a: a.T + 1, x)
    check_kernel(
        lambda a: a.conj() - 2 * a.conjugate(), z
    )  # no complex product: its bits follow the ISA (FMA)
    check_kernel(lambda a: a.real - a.imag, z)
    check_kernel(lambda a: a.astype(np.float32).round(1), x)
    for decimals in (-2, -1, 0, 1, 3):
        for dtype in FLOATS:
            check_kernel(lambda a, d=decimals: a.round(d), x.astype(dtype), warnings_too=False)
            check_kernel(lambda a, d=decimals: np.round(a, d), x.astype(dtype), warnings_too=False)
            check_kernel(lambda a, d=decimals: np.around(a, decimals=d), x.astype(dtype), warnings_too=False)
        for dtype in INTS:
            # (a rounded value out of the dtype's range is cast as the C cast does: no defined value)
            i = values(dtype, n=200)
            check_kernel(
                lambda a, d=decimals: a.round(d), i[i <= np.iinfo(dtype).max // 2], warnings_too=False
            )
    check_kernel(lambda a: a.round(), np.array([True, False]))


@pytest.mark.parametrize("dtype", INTS + FLOATS)
def test_python_round_of_a_traced_value_is_round_of_each_element(dtype):
    # round(x, n) is x.round(n), as for a NumPy scalar; round(x) gives what round() gives for
    # each NumPy scalar, a Python int, held as int64.
    x = values(dtype, n=200)
    if dtype in FLOATS:
        x = x[np.isfinite(x) & (np.abs(x) < 2.0**62)]
    x = x[x <= np.iinfo(np.int64).max] if dtype == np.uint64 else x
    got = ik.ufunc(lambda a: round(a))(x)
    np.testing.assert_array_equal(got, np.array([round(v) for v in x], dtype=np.int64))
    assert got.dtype == np.int64
    for ndigits in (1, -1):
        with np.errstate(all="ignore"):
            expected = np.array([round(v, ndigits) for v in x], x.dtype)
            np.testing.assert_array_equal(ik.ufunc(lambda a: round(a, ndigits))(x), expected)
