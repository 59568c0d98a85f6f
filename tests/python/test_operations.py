"""Every supported operation against NumPy, over dtypes, with special values."""

import warnings

import numpy as np
import pytest
from numpy_reference import MATH_ULP, check_kernel

import ironkernel as ik

FLOATS = [np.float16, np.float32, np.float64]
INTS = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]


def values(dtype, n=2000, seed=0):
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        with np.errstate(over="ignore"):  # 1e30 is inf in float16
            special = np.array(
                [
                    0.0,
                    -0.0,
                    1.0,
                    -1.0,
                    0.5,
                    -0.5,
                    1.5,
                    2.5,
                    -2.5,
                    np.inf,
                    -np.inf,
                    np.nan,
                    np.finfo(dtype).tiny,
                    -np.finfo(dtype).tiny,
                    np.finfo(dtype).max,
                    -np.finfo(dtype).max,
                    np.finfo(dtype).smallest_subnormal,
                    1e30,
                    -1e30,
                ],
                dtype=dtype,
            )
        body = (rng.standard_normal(n) * rng.choice([1, 10, 1000], n)).astype(dtype)
        return np.concatenate([special, body])
    info = np.iinfo(dtype)
    special = np.array(
        [0, 1, info.max, info.min, info.max - 1, info.min + 1] + ([-1, -2] if info.min < 0 else [2]),
        dtype=dtype,
    )
    return np.concatenate([special, rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True)])


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


def unary_kernel(name):
    ufunc = getattr(np, name)
    return lambda x: ufunc(x)


def binary_kernel(name):
    ufunc = getattr(np, name)
    return lambda x, y: ufunc(x, y)


def assert_bits_of_numpy_without_warnings(name: str, x: np.ndarray, y: np.ndarray) -> None:
    """The kernel of np.<name>(x, y) gives NumPy's bytes (NaN payloads included) and warns of nothing."""
    f = ik.ufunc(binary_kernel(name))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = f(x, y)
    np.testing.assert_array_equal(got.view(np.uint8), getattr(np, name)(x, y).view(np.uint8))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", EXACT_UNARY)
def test_exact_unary_float(name, dtype):
    check_kernel(unary_kernel(name), values(dtype))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", MATH_UNARY)
def test_math_unary_float(name, dtype):
    check_kernel(unary_kernel(name), values(dtype), ulp=MATH_ULP)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exp_over_its_whole_range(dtype):
    # exp's own vector routine (AVX2) computes vectors whose arguments are all within +-708
    # (float32: +-87) and hands any other vector to libmvec: arguments on both sides of those
    # bounds, with subnormal, zero and infinite results, share vectors here, in several orders.
    edge, top, bottom = (87.0, 89.0, -104.0) if dtype == np.float32 else (708.0, 710.0, -746.0)
    rng = np.random.default_rng(11)
    near = [edge, -edge, np.nextafter(edge, np.inf), -np.nextafter(edge, np.inf), 0.0, -0.0, 1e-30, -1e-30]
    x = np.concatenate(
        [rng.uniform(bottom, top, 3000), rng.uniform(-edge, edge, 3000), near, [np.inf, -np.inf, np.nan]]
    ).astype(dtype)
    for order in (x, x[::-1].copy(), rng.permutation(x)):
        check_kernel(lambda a: np.exp(a), order, ulp=MATH_ULP)
        check_kernel(lambda a: 1.0 / (1.0 + np.exp(-a)), order, ulp=MATH_ULP)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sin_over_its_whole_range(dtype):
    # float64 sin's own vector routine (AVX2) computes lanes within +-2^20 and hands the others to
    # libmvec: both sides of the bound share vectors here, with arguments next to multiples of
    # pi and pi/2, -0.0 (whose sign sin keeps), subnormals (NumPy warns of underflow when asked
    # to), huge values, infinities (invalid) and NaN, in several orders; also inside chains.
    rng = np.random.default_rng(12)
    k = rng.integers(0, 300000, 2000)
    special = [
        2.0**20,
        -(2.0**20),
        np.nextafter(2.0**20, np.inf),
        0.0,
        -0.0,
        1e-30,
        -1e-30,
        5e-324,
        -1e-310,
        1e300,
        np.inf,
        -np.inf,
        np.nan,
    ]
    x = np.concatenate(
        [
            rng.uniform(-3e6, 3e6, 2000),
            rng.uniform(-(2.0**20), 2.0**20, 2000),
            k * np.pi,
            (k + 0.5) * np.pi,
            special,
        ]
    )
    with np.errstate(over="ignore"):
        x = x.astype(dtype)
    # (NumPy's own float32 sin signals underflow for tiny normal arguments too: not compared.)
    under = "warn" if dtype == np.float64 else "ignore"
    for order in (x, x[::-1].copy(), rng.permutation(x)):
        with np.errstate(under=under):
            check_kernel(lambda a: np.sin(a), order, ulp=MATH_ULP)
        check_kernel(lambda a: np.sin(a * 1.0) + 0.0, order, ulp=MATH_ULP)
    got = ik.ufunc(lambda a: np.sin(a))(np.array([-0.0, 0.0], dtype))
    assert np.signbit(got).tolist() == [True, False]


@pytest.mark.parametrize("at", [3, 700])
@pytest.mark.parametrize("body", [lambda a: np.cos(a * 2.0) + 1.0, lambda a: np.power(a * 1.0, 0.5) + 1.0])
def test_a_math_pass_in_place_warns_for_every_part_of_a_block(body, at):
    # The math pass runs in place over more than 512 elements, in parts: an invalid value in one
    # part warned only if no later part followed it.
    x = np.full(1000, 2.0)
    x[at] = np.inf if "cos" in body.__code__.co_names else -1.0
    check_kernel(body, x, ulp=MATH_ULP)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "name", ["sin", "tan", "arcsin", "arctan", "sinh", "arcsinh", "arctanh", "expm1", "log1p", "cbrt"]
)
def test_subnormal_arguments_underflow_as_numpy(name, dtype):
    # f(x) ~ x near 0: NumPy (the C library) signals underflow for a subnormal result, which
    # np.errstate(under=...) shows; cbrt's result is normal. (NumPy's own tanh does not signal
    # it, the C library's, which ironkernel's scalar table calls, does: not compared.)
    fn = getattr(np, name)
    tiny = np.finfo(dtype).smallest_subnormal
    x = np.array([0.5, tiny * 3, -tiny * 5, 1e-3, 0.25, 0.0, -0.0, 0.125] * 3, dtype)
    with np.errstate(under="warn"):
        check_kernel(lambda a: fn(a), x, ulp=MATH_ULP)
        check_kernel(lambda a: fn(a), x[2:3], ulp=MATH_ULP)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["exp", "exp2"])
def test_exp_and_exp2_of_vanishing_results_underflow_as_numpy(name, dtype):
    # Results that are subnormal and inexact, or zero: NumPy signals underflow for both dtypes.
    # (exp2(-1000) is a normal 2**-1000 in float64, which had made the import probe conclude
    # that NumPy's float64 exp2 never signals.)
    fn = getattr(np, name)
    scale = 1.0 if name == "exp2" else np.log(2.0)
    powers = (
        [-1070.5, -1100.0, -1023.5, -1000.0, -1.5]
        if dtype == np.float64
        else [-140.5, -160.0, -130.5, -100.0, -1.5]
    )
    x = np.array(powers, dtype) * dtype(scale)
    for values in (np.tile(x, 5), x[:1], x[1:2], x[3:]):
        with np.errstate(under="warn"):
            check_kernel(lambda a: fn(a), values, ulp=MATH_ULP)
    with np.errstate(under="raise"), pytest.raises(FloatingPointError, match="underflow"):
        ik.ufunc(lambda a: fn(a))(x[:1])


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


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["maximum", "minimum", "fmax", "fmin"])
def test_extrema_of_every_pair_of_special_values(name, dtype):
    # Every pair of NaNs (two payloads, both signs), signed zeros, infinities and equal values, in
    # every lane position of the vector loops: NumPy's bits (which NaN wins, which zero) and no
    # warning.
    nan2 = np.frombuffer(
        np.array(
            [0x7FF8000000000123 if dtype == np.float64 else 0x7FC00123],
            np.uint64 if dtype == np.float64 else np.uint32,
        ).tobytes(),
        dtype,
    )[0]
    special = np.array([np.nan, -np.nan, nan2, 0.0, -0.0, np.inf, -np.inf, 1.0, -1.0, 2.0], dtype)
    x, y = (a.ravel() for a in np.meshgrid(special, special))
    x, y = np.concatenate([x, y[:37]]), np.concatenate([y, x[:37]])  # and a tail past whole vectors
    assert_bits_of_numpy_without_warnings(name, x, y)


@pytest.mark.parametrize("name", ["maximum", "minimum", "fmax", "fmin", "nextafter"])
def test_float16_extrema_and_nextafter_of_signed_zeros_and_nans_have_numpys_bits(name):
    # NumPy's float16 loops return the first operand on ties (-0.0 against 0.0), where float32
    # and float64 return the second; nextafter gives the default NaN for any NaN operand.
    special = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf], np.float16)
    nans = np.array([0x7E00, 0xFE00, 0x7D01, 0xFE01], np.uint16).view(np.float16)  # quiet, signalling, signs
    special = np.concatenate([special, nans])
    x, y = (a.ravel() for a in np.meshgrid(special, special))
    assert_bits_of_numpy_without_warnings(name, x, y)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sign_of_special_values(dtype):
    # The vector loop and its scalar tail: NaNs keep their payload and sign, zeros become +0.0.
    info = np.finfo(dtype)
    special = np.array(
        [
            np.nan,
            -np.nan,
            0.0,
            -0.0,
            np.inf,
            -np.inf,
            info.smallest_subnormal,
            -info.smallest_subnormal,
            info.max,
            -info.min,
            1.0,
            -2.0,
            0.5,
        ],
        dtype,
    )
    x = np.concatenate([np.tile(special, 6), special[:5]])  # 83: a tail of 3 lanes
    got = ik.ufunc(lambda a: np.sign(a))(x)
    np.testing.assert_array_equal(got.view(np.uint8), np.sign(x).view(np.uint8))


def test_clip_and_fix():
    x = np.concatenate([np.linspace(-3, 3, 61), [np.nan, np.inf, -np.inf, -0.0]])
    check_kernel(lambda a: np.clip(a, -1, 1.5), x)
    check_kernel(lambda a: np.clip(a, -1, None), x)
    check_kernel(lambda a: np.fix(a), x)
    check_kernel(lambda a: np.clip(a, -1, 1.5), x.astype(np.float32))


@pytest.mark.parametrize("dtype", FLOATS)
def test_clip_of_signed_zeros_keeps_numpys_zero(dtype):
    # Every sign of zero for x and both bounds: with constant bounds NumPy's clip keeps x on ties
    # (np.clip(-0.0, 0, 1) is -0.0); with bounds given as arrays, and with one bound (np.maximum
    # or np.minimum), float32/64 return the bound; float16 keeps x everywhere.
    zeros = np.array([0.0, -0.0], dtype)
    x = np.tile(np.repeat(zeros, 8), 5)  # both signs in vector lanes and a scalar tail
    for lo, hi in [
        (0.0, -0.0),
        (-0.0, 0.0),
        (0.0, 0.0),
        (-0.0, -0.0),
        (-0.0, 1),
        (0.0, 1),
        (-1, 0.0),
        (-1, -0.0),
    ]:
        check_kernel(lambda a, lo=lo, hi=hi: np.clip(a, lo, hi), x)
        check_kernel(lambda a, lo=lo, hi=hi: np.clip(a, dtype(lo), dtype(hi)), x)
        check_kernel(lambda a, lo=lo: np.clip(a, lo, None), x)
        check_kernel(lambda a, hi=hi: np.clip(a, None, hi), x)
        check_kernel(lambda a, low, high: np.clip(a, low, high), x, np.full_like(x, lo), np.full_like(x, hi))
    check_kernel(lambda a: np.clip(a, np.nan, 1), x)
    check_kernel(lambda a: np.clip(a, 0, np.nan), np.array([np.nan, 2, -2, 0.5], dtype))


def test_astype_and_numpy_scalar_constants():
    x = np.array([-2.7, -0.5, 0.5, 1.5, 300.7, 1e10, np.nan, np.inf])
    check_kernel(lambda a: a.astype(np.int32), x)
    check_kernel(lambda a: a.astype(np.int8), x)
    check_kernel(lambda a: a.astype(np.uint8), x)
    check_kernel(lambda a: a.astype(np.int64), x)
    check_kernel(lambda a: a.astype(np.float32) * np.float32(1.1), x)
    check_kernel(lambda a: a.astype(bool), x)
    check_kernel(lambda a: (a > 0).astype(np.float64) * 2, x)


@pytest.mark.parametrize("source", FLOATS)
@pytest.mark.parametrize("target", [np.uint64, np.int64])
def test_out_of_range_float_to_64_bit_integer_casts_match_numpy(source, target):
    # NumPy's casts are C's conversions as x86-64 computes them: out of range (and NaN) they give
    # the integer indefinite 2**63 with an "invalid value" warning, and to uint64 values at or
    # above 2**63 are converted less 2**63, so 2**64, 3e19 and inf become 0, not 2**63.
    with np.errstate(over="ignore"):
        x = np.array(
            [
                2.0**64,
                3e19,
                np.inf,
                -np.inf,
                np.nan,
                2.0**63,
                2.0**64 - 2048,
                2.0**63 - 1024,
                -1.0,
                -0.5,
                -(2.0**63),
                1e30,
                -1e30,
                65504.0,
                1.5,
            ],
            source,
        )
    for values in (x, x[:1], x[1:2], x[2:3], x[3:5], x[8:9], x[9:]):  # the warning of each alone
        check_kernel(lambda a: a.astype(target), values)
    check_kernel(lambda a: a.astype(target), np.tile(x, 7)[::3])


def test_float16_casts_round_like_numpy():
    rng = np.random.default_rng(5)
    x64 = np.concatenate(
        [
            rng.standard_normal(3000) * 10.0 ** rng.integers(-9, 6, 3000),
            [65504.0, 65519.99, 65520.0, 1e-8, 2.0**-25, 2.0**-24 * 1.5, np.nan, -np.inf, -0.0],
        ]
    )
    check_kernel(lambda a: a.astype(np.float16), x64)
    check_kernel(lambda a: a.astype(np.float16), x64.astype(np.float32))
    check_kernel(lambda a: a.astype(np.float16), np.arange(-70000, 70000, 7, dtype=np.int64))
    h = x64.astype(np.float16)
    for target in (np.float32, np.float64, np.int32, np.int8, np.uint16, bool):
        check_kernel(lambda a, t=target: a.astype(t), h)


def test_float16_arithmetic_overflow_warns_like_numpy():
    h = np.array([60000.0, 2.0, -60000.0, 1e-4], np.float16)
    check_kernel(lambda a: a * a, h)
    check_kernel(lambda a: a * np.float16(1e-3), h)


@pytest.mark.skipif(
    np.lib.NumpyVersion(np.__version__) < "2.0.0",
    reason="NumPy 1.x computes in the constant's float64 instead of casting it",
)
def test_python_numbers_overflowing_the_loop_dtype_warn_on_every_call_like_numpy():
    # NumPy casts the Python number into the array's dtype on every call and warns of the
    # overflow each time, also when np.where selects no lane of it.
    x32 = np.array([1.0, -2.0, 0.0, 3.5], np.float32)
    h = x32.astype(np.float16)
    c = (x32 + 1j).astype(np.complex64)
    for body, x in [
        (lambda a: a * 1e300, x32),
        (lambda a: a - (-1e300), x32),
        (lambda a: a * 100000, h),
        (lambda a: a + 70000.0, h),
        (lambda a: np.where(a > -5, a, 1e300), x32),
        (lambda a: np.where(a > -5, np.where(a < 5, a, -1e40), a), x32),
        (lambda a: a * complex(1e300, 1.0), c),
    ]:
        kernel = ik.ufunc(body)
        for _ in range(2):
            check_kernel(body, x, kernel=kernel)
    # The same numbers in range, and underflow to zero, which NumPy does not report.
    for body, x in [(lambda a: a * 1e30, x32), (lambda a: a * 65504.0, h), (lambda a: a * 1e-300, x32)]:
        check_kernel(body, x)
    with np.errstate(over="raise"), pytest.raises(FloatingPointError):
        ik.ufunc(lambda a: a * 1e300)(x32)
    with np.errstate(all="raise"):
        ik.ufunc(lambda a: a * 1e-300)(x32)


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
