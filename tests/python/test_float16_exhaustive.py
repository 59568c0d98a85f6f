"""float16 functions over all 65536 inputs against NumPy: bits (NaN payloads included) and
warnings, for the whole range and for each class of input apart (zeros, subnormals, normals,
infinities, quiet and signalling NaNs), so that a warning is matched to the inputs that give it."""

import warnings

import numpy as np
import pytest
from numpy_reference import fp_warnings, ulp_distance

import ironkernel as ik

ALL = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16)


def classes(x: np.ndarray) -> list[np.ndarray]:
    bits = x.view(np.uint16)
    magnitude = bits & 0x7FFF
    return [
        x,
        x[magnitude == 0],
        x[(magnitude > 0) & (magnitude < 0x400)],
        x[(magnitude >= 0x400) & (magnitude < 0x7C00)],
        x[magnitude == 0x7C00],
        x[magnitude >= 0x7E00],
        x[(magnitude > 0x7C00) & (magnitude < 0x7E00)],
        x[(magnitude >= 0x3000) & (magnitude < 0x5000)],
    ]


def run(fn, *args):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        result = fn(*args)
    return result, fp_warnings(record)


def assert_numpy_bits_and_warnings(body, kernel, *args, ulp=None):
    """NumPy's bytes and warnings; with ulp, values within ulp of NumPy's (any NaN for a NaN)."""
    expected, expected_warnings = run(body, *args)
    got, got_warnings = run(kernel, *args)
    expected = expected if isinstance(expected, tuple) else (expected,)
    got = got if isinstance(got, tuple) else (got,)
    for g, e in zip(got, expected):
        assert g.dtype == e.dtype, f"dtype {g.dtype}, NumPy's {e.dtype}"
        if ulp is not None:
            differs = (ulp_distance(g, e) > ulp)[:, None]
        else:
            differs = g.view(np.uint8).reshape(g.size, -1) != e.view(np.uint8).reshape(e.size, -1)
        if differs.any():
            k = int(np.argmax(differs.any(axis=1)))
            raise AssertionError(
                f"{int(differs.any(axis=1).sum())} differ; the first: input bits "
                f"{[a[k : k + 1].tobytes()[::-1].hex() for a in args]}: got {g[k : k + 1].tobytes()[::-1].hex()}, "
                f"NumPy {e[k : k + 1].tobytes()[::-1].hex()}"
            )
    assert got_warnings == expected_warnings, f"warnings {got_warnings}, NumPy's {expected_warnings}"


EXACT_UNARY = [
    "negative",
    "positive",
    "absolute",
    "conjugate",
    "sign",
    "signbit",
    "isnan",
    "isinf",
    "isfinite",
    "logical_not",
    "sqrt",
    "square",
    "reciprocal",
    "floor",
    "ceil",
    "trunc",
    "rint",
    "deg2rad",
    "rad2deg",
    "spacing",
]
MATH_UNARY = [
    "sin",
    "cos",
    "tan",
    "arcsin",
    "arccos",
    "arctan",
    "sinh",
    "cosh",
    "tanh",
    "arcsinh",
    "arccosh",
    "arctanh",
    "exp",
    "exp2",
    "expm1",
    "log",
    "log2",
    "log10",
    "log1p",
    "cbrt",
]


@pytest.mark.parametrize("name", EXACT_UNARY)
def test_float16_unary_over_every_value(name):
    ufunc = getattr(np, name)
    body = lambda a: ufunc(a)
    kernel = ik.ufunc(body)
    for x in classes(ALL):
        assert_numpy_bits_and_warnings(body, kernel, x)


@pytest.mark.parametrize("name", MATH_UNARY)
def test_float16_math_over_every_value_is_within_one_ulp(name):
    # NumPy computes these in float32 and rounds to float16; a float32 result a few float32 ulp
    # from NumPy's rounds to NumPy's float16 or, next to a halfway point, to its neighbour.
    # Signalling NaNs are left out: NumPy's float32 exp and log warn "invalid" for them, ours do
    # not (float32 itself has the same difference).
    ufunc = getattr(np, name)
    body = lambda a: ufunc(a)
    kernel = ik.ufunc(body)
    for x in classes(ALL)[1:]:
        if (x.view(np.uint16)[:1] & 0x7E00 == 0x7C00).all() and x.size and (x.view(np.uint16)[0] & 0x3FF):
            continue  # the signalling NaNs
        assert_numpy_bits_and_warnings(body, kernel, x, ulp=1)


@pytest.mark.parametrize("name", MATH_UNARY)
def test_float16_math_is_correctly_rounded_for_every_value(name):
    # The bound documented on docs/functions.md: every float16 argument (finite, infinite, NaN)
    # gives the correctly rounded float16 of the function's value (float64's, rounded once), NaN
    # exactly where it is NaN. NumPy's own float16 loops are 1 ulp off for up to 8 arguments.
    ufunc = getattr(np, name)
    kernel = ik.ufunc(lambda a: ufunc(a))
    with np.errstate(all="ignore"):
        got = kernel(ALL)
        expected = ufunc(ALL.astype(np.float64)).astype(np.float16)
    nan = np.isnan(expected)
    np.testing.assert_array_equal(np.isnan(got), nan)
    differ = got.view(np.uint16)[~nan] != expected.view(np.uint16)[~nan]
    assert not differ.any(), f"{int(differ.sum())} not correctly rounded, the first: {ALL[~nan][differ][:1]}"


def flags_argument_by_argument(fn) -> np.ndarray:
    """The floating-point flags (NumPy's errstate bits) fn raises for each float16 value alone."""
    flags = np.zeros(ALL.size, np.uint8)
    raised = []
    previous = np.seterrcall(lambda kind, flag: raised.append(flag))
    try:
        with np.errstate(all="call"):
            for i in range(ALL.size):
                raised.clear()
                fn(ALL[i : i + 1])
                flags[i] = raised[0] if raised else 0
    finally:
        np.seterrcall(previous)
    return flags


# Arguments whose flags alone are not NumPy's, all underflow: NumPy's float32 routines (through
# which it computes float16) raise it for some arguments whose float16 result is exact, or not
# for some whose float32 result vanishes. ironkernel raises, argument by argument, what its float32
# path raised (half_math.inc); a whole class of arguments (the tests above) raises NumPy's flags.
# The counts are the AVX-512 routines'; other instruction sets' float32 routines (IK_SIMD=avx2,
# scalar) give others: 0-220 arguments, underflow only, with NumPy 2.4 on an AVX512-FP16 CPU.
UNDERFLOW_DIFFERENCES = {"arctanh": 210, "exp2": 5, "expm1": 1, "log1p": 1}
UNDERFLOW_DIFFERENCES_ELSEWHERE = 256


@pytest.mark.parametrize("name", MATH_UNARY)
def test_float16_math_warns_like_numpy_argument_by_argument(name):
    # A float16 math call raises the union of its arguments' flags (half_math.inc), so each
    # argument alone is compared. Signalling NaNs are left out, as above.
    ufunc = getattr(np, name)
    kernel = ik.ufunc(lambda a: ufunc(a))
    got, expected = flags_argument_by_argument(kernel), flags_argument_by_argument(ufunc)
    magnitude = ALL.view(np.uint16) & 0x7FFF
    compared = (magnitude <= 0x7C00) | (magnitude >= 0x7E00)
    underflow = 4  # NumPy's errstate bit
    differ = compared & (got != expected)
    assert not (differ & ((got ^ expected) != underflow)).any(), "flags other than underflow differ"
    avx512 = ik._core.kernel_isa() == "avx512" and ik._core.simd_isa() == "avx512"
    bound = UNDERFLOW_DIFFERENCES.get(name, 0) if avx512 else UNDERFLOW_DIFFERENCES_ELSEWHERE
    assert int(differ.sum()) == bound if avx512 else int(differ.sum()) <= bound, (
        f"{int(differ.sum())} differ, the first: {ALL[differ][:1]} raises {got[differ][:1]}, NumPy {expected[differ][:1]}"
    )


@pytest.mark.parametrize("name", ["sin", "exp", "log", "exp2", "tanh"])
def test_float16_math_inside_a_fused_body_matches_numpy(name):
    ufunc = getattr(np, name)
    body = lambda a: ufunc(a) * 2  # exact: NumPy's float16 results, 1 ulp off for a few arguments, stay so
    kernel = ik.ufunc(body)
    for x in classes(ALL)[1:6] + [classes(ALL)[7]]:
        assert_numpy_bits_and_warnings(body, kernel, x, ulp=1)


@pytest.mark.parametrize(
    "name",
    [
        "copysign",
        "equal",
        "not_equal",
        "less",
        "less_equal",
        "greater",
        "greater_equal",
        "logical_and",
        "logical_or",
        "logical_xor",
    ],
)
def test_float16_binary_over_every_value_against_special_values(name):
    ufunc = getattr(np, name)
    body = lambda a, b: ufunc(a, b)
    kernel = ik.ufunc(body)
    special = np.array(
        [
            0x0000,
            0x8000,
            0x0001,
            0x8001,
            0x03FF,
            0x0400,
            0x3C00,
            0xBC00,
            0x3C01,
            0x3BFF,
            0x7BFF,
            0xFBFF,
            0x7C00,
            0xFC00,
            0x7C01,
            0x7E00,
            0xFE00,
            0x7FFF,
            0xFD55,
        ],
        np.uint16,
    ).view(np.float16)
    for s in special:
        for x in classes(ALL):
            y = np.full_like(x, s)
            assert_numpy_bits_and_warnings(body, kernel, x, y)
            assert_numpy_bits_and_warnings(body, kernel, y, x)


def float32_rounding_cases() -> np.ndarray:
    """float32 values at every binary16 rounding boundary: for each float32 exponent and each
    number s of bits a conversion drops (13 for normal binary16 results, up to 24 for subnormal
    ones), the dropped bits 0, 1, halfway - 1, halfway, halfway + 1 and all ones, under random
    kept bits; then random float32 values of every exponent. Both signs."""
    rng = np.random.default_rng(11)
    parts = []
    for s in range(13, 25):
        half = 1 << (s - 1)
        low = np.array([0, 1, half - 1, half, half + 1, (1 << s) - 1], np.uint32)
        kept = rng.integers(0, 1 << 23, 48, dtype=np.uint32) & ~np.uint32((1 << s) - 1) & np.uint32(0x7FFFFF)
        kept = np.concatenate([kept, [0, np.uint32(0x7FFFFF) & ~np.uint32((1 << s) - 1)]]).astype(np.uint32)
        mantissas = (kept[:, None] | low[None, :]).ravel()
        exponents = np.arange(256, dtype=np.uint32) << 23
        parts.append((exponents[:, None] | mantissas[None, :]).ravel())
    parts.append(rng.integers(0, 1 << 31, 1 << 20, dtype=np.uint32))
    bits = np.concatenate(parts)
    return np.concatenate([bits, bits | np.uint32(0x80000000)]).view(np.float32)


def test_float32_to_float16_rounds_and_warns_like_numpy_at_every_boundary():
    x = float32_rounding_cases()
    body = lambda a: a.astype(np.float16)
    kernel = ik.ufunc(body)
    magnitude = x.view(np.uint32) & 0x7FFFFFFF
    groups = [
        x,
        x[magnitude < 0x33000000],
        x[(magnitude >= 0x33000000) & (magnitude < 0x38800000)],
        x[(magnitude >= 0x38800000) & (magnitude < 0x477FE000)],
        x[(magnitude >= 0x477FE000) & (magnitude < 0x7F800000)],
        x[magnitude >= 0x7F800000],
    ]
    # values just below 2**-14 that round to it: underflow in NumPy (tininess before rounding)
    groups.append(np.array([0x387FF000, 0x387FFFFF, 0x387FE000, 0x38800000], np.uint32).view(np.float32))
    for g in groups:
        for part in (g, g[:7], g[:9]):
            assert_numpy_bits_and_warnings(body, kernel, part)
        for k in range(0, min(g.size, 64)):
            assert_numpy_bits_and_warnings(body, kernel, np.repeat(g[k : k + 1], 9))
