"""Fused chains of steps in chunks against NumPy: every length, constants, selects, min/max, binary
operands, stored chains, multiply-then steps, math steps, warnings."""

import re
import warnings

import numpy as np
import pytest
from chunk_checks import assert_bits, bits_of, chunk_of
from numpy_reference import MATH_ULP, call_recording, ulp_distance

import ironkernel as ik


def test_explain_shows_fused_chains():
    text = ik.explain(ik.ufunc(lambda x: ((0.5 * x - 1.5) * x + 0.25) * x))
    assert "fused multiply(add(multiply(subtract(multiply(" in text
    assert "fused sqrt(add(multiply(r0, r0), square(r1)))" in ik.explain(
        ik.ufunc(lambda x, y: np.sqrt(x * x + y * y))
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n", [1, 31, 32, 33, 1000, 4099])
def test_chains_match_numpy_bit_for_bit_at_every_length(dtype, n):
    """Whole tiles of vectors and the scalar tail, operands on either side, NaNs among them."""
    bits = np.uint64 if dtype == np.float64 else np.uint32
    quiet = bits(0x7FF8000000000000) if dtype == np.float64 else bits(0x7FC00000)
    rng = np.random.default_rng(n)
    a = rng.standard_normal(n).astype(dtype)
    b = rng.standard_normal(n).astype(dtype)
    a[::3] = (np.full((n + 2) // 3, quiet | bits(1))).view(dtype)
    b[::2] = (np.full((n + 1) // 2, quiet | bits(2))).view(dtype)

    def body(a, b):
        return np.sqrt(np.abs(b / (a - b) * a + b)) - (-a)

    got = ik.ufunc(body)(a, b)
    with np.errstate(all="ignore"):
        expected = body(a, b)
    assert "fused" in ik.explain(ik.ufunc(body))
    np.testing.assert_array_equal(bits_of(got), bits_of(expected))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("c", [2.5, -0.0, 0.0, -np.inf, np.nan, 1e-310])
@pytest.mark.parametrize("n", [3, 40, 1000])
def test_chain_constants_match_numpy_bit_for_bit(dtype, c, n):
    """A constant in a chain is read once per step as one value: either side of every op, the
    start of a chain, signed zeros, infinities, NaN and subnormals keep NumPy's bits."""
    k = dtype(c)
    x = np.random.default_rng(n).standard_normal(n).astype(dtype)
    x[:3] = [0.0, -0.0, np.inf]

    def body(x):
        return (((k - x) * k + x) / k - k) * x + k + k / (x * k - k)

    f = ik.ufunc(body)
    assert "fused" in ik.explain(f)
    with np.errstate(all="ignore"):
        got, expected = f(x), body(x)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(bits_of(got), bits_of(expected))


COMPARISONS = [np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("compare", COMPARISONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("n", [5, 40, 1000])
def test_select_steps_match_numpy_bit_for_bit(dtype, compare, n):
    """A where of a comparison, with its values at hand, is a select step of a chain: constants
    or arrays, the chain's value on either side, NaN (quiet: no warning), signed zeros, ties."""
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n).astype(dtype)
    y = rng.standard_normal(n).astype(dtype)
    x[:5] = [np.nan, -0.0, 0.5, np.inf, 1.0]
    y[:5] = [1.0, 0.0, 0.5, np.nan, -np.inf]
    lo, hi = dtype(-0.0), dtype(0.5)

    def body(x, y):
        v = np.where(compare(x, hi), hi, x)  # constants; the value where the condition is false
        v = np.where(compare(y, x), y, v)  # arrays
        v = np.where(compare(x, y), v, -y)  # the value where the condition is true
        return np.where(compare(v, lo), v, lo) * 2.0

    f = ik.ufunc(body)
    assert re.search(r"= fused .*where\(", ik.explain(f))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = f(x, y)
        expected = body(x, y)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got.view(np.uint8), expected.view(np.uint8))


def float64_program(kernel):
    """ik.explain's section of the kernel's loop with float64 inputs."""
    sections = ik.explain(kernel, *[np.float64] * kernel.nin).split("loop (")
    return next(s for s in sections if set(s.split(")")[0].split(", ")) == {"float64"})


def test_clamp_is_one_chain_of_min_max():
    f = ik.ufunc(lambda x: np.where(x < -1, -1, np.where(x > 1, 1, x)))
    assert "fused max(r1, min(r3, r0))" in float64_program(f)
    assert "lazy" not in float64_program(f)


# Selects that keep the smaller or larger of a value and a bound run as x86 MIN/MAX in chunks
# (bit for bit the where's values; MIN/MAX raise invalid for NaN, so such chunks are redone
# exactly). Each body: the min/max steps ik.explain must show in its chain (None: selects must
# stay), and the function; a lone where is no chain, hence the * 2.0. Bounds include -0.0/0.0 (MIN/MAX and where differ unless the operands are in the
# right order), NaN and a bound array.
MIN_MAX = {
    "upper": ("min(r1, r0)", lambda x, y: np.where(x > 0.5, 0.5, x) * 2.0),
    "lower": ("max(r1, r0)", lambda x, y: np.where(x < -0.0, -0.0, x) * 2.0),
    "array bound": ("min(r1, r0)", lambda x, y: np.where(x > y, y, x) * 2.0),
    "clamp": ("max(r1, min(r3, r0))", lambda x, y: np.where(x < -1, -1, np.where(x > 1, 1, x))),
    "clamp mirrored": ("min(r1, max(r3, r0))", lambda x, y: np.where(x > 1, 1, np.where(x < -1, -1, x))),
    "clamp at zero": (
        "max(r1, min(r3, r0))",
        lambda x, y: np.where(x < 0.0, 0.0, np.where(x > -0.0, -0.0, x)),
    ),
    "clamp in one point": (
        "max(r1, min(r1, r0))",
        lambda x, y: np.where(x < 0.5, 0.5, np.where(x > 0.5, 0.5, x)),
    ),
    # bounds the wrong way round: the second select is not a MAX of the first's result
    "crossed bounds": ("min(r3, r0)", lambda x, y: np.where(x < 1, 1, np.where(x > -1, -1, x))),
    "nan bound": (
        "where(less(r0, r1), r1, min(r3, r0))",
        lambda x, y: np.where(x < 0.0, 0.0, np.where(x > np.nan, np.nan, x)),
    ),
    # not MIN/MAX: a non-strict comparison (>= keeps b for x == b: -0.0 vs 0.0), t not b, the
    # value not a, the bound compared on the other side, or the value kept where it holds
    "greater_equal": (None, lambda x, y: np.where(x >= 0.0, 0.0, x) * 2.0),
    "other t": (None, lambda x, y: np.where(x > 0.5, 0.25, x) * 2.0),
    "value not a": (None, lambda x, y: np.where(y > 0.5, 0.5, x) * 2.0),
    "bound first": (None, lambda x, y: np.where(np.less(0.5, x), 0.5, x) * 2.0),
    "value kept": (None, lambda x, y: np.where(x > 0.0, x, 0.0) * 2.0),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(MIN_MAX))
def test_selects_as_min_max_give_numpy_bits_and_no_warnings(name, dtype):
    shown, body = MIN_MAX[name]
    f = ik.ufunc(body)
    program = float64_program(f)
    if shown is None:
        assert "min(" not in program and "max(" not in program
    else:
        assert "fused " in program and shown in program, program
    n = 16 * 1024 + 37
    rng = np.random.default_rng(7)
    x = (rng.standard_normal(n) * 2).astype(dtype)
    y = (rng.standard_normal(n) * 2).astype(dtype)
    special = np.array([np.nan, -np.nan, 0.0, -0.0, np.inf, -np.inf, 0.5, -0.5, 1.0, -1.0], dtype)
    x[:10], y[10:20] = special, special
    x[3 * 1024 + 5 :: 5 * 1024] = np.nan  # NaN in a few chunks only: those are redone exactly
    x[1024 + 17 :: 1024 * 3] = -0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = f(x, y)
        expected = body(x, y)
        with np.errstate(invalid="raise"):
            f(x, y)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got.view(np.uint8), expected.view(np.uint8))


PAIRS = {
    "4 arrays": lambda a, b, c, d: a * b + c * d - np.sqrt(np.abs(a - d)),
    "every op": lambda a, b, c, d: (((a + b) * (c - d)) - (c / d)) / (a + c) + (b - d) * (a * 2.0),
    "pair first": lambda a, b, c, d: (c * d) - (a * b) + (a / 3.0) * (b - 1.0),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(PAIRS))
def test_binary_operands_join_their_chain_bit_for_bit(name, dtype):
    """A binary op of two values read by one chain step (c * d in a * b + c * d) is computed inside
    the step, rounded alone: NumPy's bits and warnings, with NaN, infinities, signed zeros, zero
    divisors and overflow."""
    body = PAIRS[name]
    f = ik.ufunc(body)
    text = ik.explain(f, *[dtype] * f.nin)
    loop = text[text.index(f"loop ({np.dtype(dtype).name}") :].split("\nloop ")[0]
    assert not re.search(r"= (add|subtract|multiply|divide) r", loop), loop  # every one fused into a chain
    assert chunk_of(f) == 1024
    rng = np.random.default_rng(11)
    n = 3 * chunk_of(f) + 77
    a, b, c, d = (rng.standard_normal(n).astype(dtype) * 3 for _ in range(4))
    a[:8] = [np.nan, -0.0, 0.0, np.inf, -np.inf, 1.0, 3e38, -2.0]
    d[:8] = [1.0, 0.0, -0.0, np.inf, 2.0, np.nan, 3e38, 0.0]
    got, kinds = call_recording(f, a, b, c, d)
    expected, expected_kinds = call_recording(body, a, b, c, d)
    assert kinds == expected_kinds
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    same = ~np.isnan(expected)
    np.testing.assert_array_equal(got[same].view(np.uint8), expected[same].view(np.uint8))


# Programs of several chains, which run as one with store steps ("r9 = ...; " in ik.explain; the
# number of them is given): values stored and read by the last chain, a stored value that is an
# output, three chains, a stored value read twice, chains in a lazy where branch (and its form
# for split chunks).
MERGED = {
    "4 arrays": (2, lambda a, b: a * b + (a - 1.0) * b - np.sqrt(np.abs(a - b))),
    "two outputs": (1, lambda a, b: (a * 2.0 + b, np.sqrt(np.abs(a - b)) * 3.0)),
    "three chains": (
        2,
        lambda a, b: (np.sqrt(a * a + b) - a) / (np.sqrt(np.abs(b - a)) + 1.0) - np.sqrt(b * b + 2.0) * a,
    ),
    "stored value as output": (
        1,
        lambda a, b: (np.sqrt(np.abs(a)) * 2.0 - b, (np.sqrt(np.abs(a)) * 2.0 - b) / (a * a + 1.0)),
    ),
    "in a lazy branch": (
        2,
        lambda a, b: np.where(a > 0.5, np.sqrt(np.abs(b) + a) - np.sqrt(a * 3.0 + 1.0) * b, 0.0),
    ),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(MERGED))
def test_chains_stored_in_one_give_numpy_bits_and_warnings(name, dtype):
    stores, body = MERGED[name]
    f = ik.ufunc(body)
    program = float64_program(f)
    assert len(re.findall(r"r\d+ = ", program)) == stores, program
    rng = np.random.default_rng(5)
    n = 8 * 1024 + 77
    a, b = (rng.standard_normal(n).astype(dtype) * 3 for _ in range(2))
    a[:8] = [np.nan, -0.0, 0.0, np.inf, -np.inf, 1.0, -4.0, 3e38]
    b[:8] = [1.0, 0.0, -0.0, np.inf, 2.0, np.nan, -1.0, 3e38]
    a[4000] = -9.0  # a square root of a negative number in a later chunk: invalid, redone exactly
    got, kinds = call_recording(f, a, b)
    expected, expected_kinds = call_recording(body, a, b)
    assert kinds == expected_kinds
    assert_bits(got, expected)
    # into out= arrays that are the inputs themselves, as NumPy allows element-wise
    x, y = a.copy(), b.copy()
    with np.errstate(all="ignore"):
        assert_bits(f(x, y, out=(x, y)[: f.nout]), expected)


# A multiply followed by an add or subtract of a constant is one chain step (ChainStep::then), as
# in the Horner form of a polynomial written either way round. Between them the bodies multiply
# by an array or a constant, on either side, and add or subtract on either side; constants
# include NaN, infinities and -0.0; the data NaN, infinities, signed zeros, overflow and inf * 0.
MULTIPLY_THEN = {
    "horner": lambda x, y: ((((0.5 * x - 1.5) * x + 0.25) * x + 2.0) * x - 0.75) * x + 1.0,
    "horner right": lambda x, y: 1.0 + x * (-0.75 + x * (2.0 + x * (0.25 - x * (1.5 - x * 0.5)))),
    "constant factor": lambda x, y: ((2.0 * (x - 1.0) + 3.0) * -1.0 - -0.0) * 1e30 + 1e30,
    "array factor": lambda x, y: (3.0 + (x - 1.0) * y) * y - 2.0,
    "special constants": lambda x, y: ((x * 0.0 + np.inf) * x - np.inf) * 2.0 + np.nan,
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(MULTIPLY_THEN))
def test_multiply_then_constant_steps_give_numpy_bits_and_warnings(name, dtype):
    body = MULTIPLY_THEN[name]
    f = ik.ufunc(body)
    program = float64_program(f)
    assert len(re.findall("= fused", program)) == 1 and not re.search(
        r"= (add|subtract|multiply) r", program
    ), program
    rng = np.random.default_rng(3)
    n = 3 * 1024 + 77
    x, y = (rng.standard_normal(n).astype(dtype) * 3 for _ in range(2))
    special = np.array([np.nan, -np.nan, 0.0, -0.0, np.inf, -np.inf, 1.0, -1.0, 3e38, 1e-40, 1e300], dtype)
    x[: special.size], y[5 : 5 + special.size] = special, special
    x[2500] = np.inf  # inf * 0.0 in a later chunk: invalid there, redone exactly
    for args in ((x, y), (x[1500:], y[:-1500])):
        got, kinds = call_recording(f, *args)
        expected, expected_kinds = call_recording(body, *args)
        assert kinds == expected_kinds
        assert_bits(got, expected)


MATH_STEPS = {  # name: (body, the function computed inside the chain on AVX2)
    "logistic": (lambda x, y: 1.0 / (1.0 + np.exp(-x)), "exp"),
    "gaussian": (lambda x, y: np.exp(-0.5 * x * x) * y, "exp"),
    "exp first": (lambda x, y: np.exp(x) * 2.0 + np.abs(y), "exp"),
    "two exps": (lambda x, y: np.exp(x - y) + np.exp(y * 0.5), "exp"),
    "exp in a where": (lambda x, y: np.where(x > 0.5, np.exp(x * 3.0) - 1.0, y), "exp"),
    "exp beside a root": (lambda x, y: np.sqrt(np.abs(y)) * np.exp(x), "exp"),
    "sin of a line": (lambda x, y: np.sin(x * 3.0 + 1.0) * y, "sin"),
    "seed": (lambda x, y: np.where(x > 0, np.sqrt(np.abs(x)) + np.sin(x), 0), "sin"),
    "sin beside a root": (lambda x, y: np.sin(x) * np.sqrt(np.abs(y)), "sin"),
    "sin and exp": (lambda x, y: np.sin(x) * np.exp(y * 0.1), "sin"),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(MATH_STEPS))
def test_math_steps_give_numpy_values_and_warnings(name, dtype):
    """exp (float32 and float64) and sin (float64) run inside chains on AVX2 (ChainOp::exp,
    ChainOp::sin, or as a square root's side computed inline); arguments beyond their inline
    range (exp: overflow, underflow to zero and subnormals; sin: beyond 2^20; NaN, infinities)
    and tiny ones send their chunk to the blocked evaluator, whose functions are the math
    table's: NumPy's warnings, and the same bits as each element computed alone (which the
    blocked evaluator runs)."""
    body, function = MATH_STEPS[name]
    f = ik.ufunc(body)
    if ik._core.kernel_isa() == "avx2" and ik._core.simd_isa() == "avx2":
        program = float64_program(f)
        assert re.search(rf"= fused .*{function}\(", program), program
        assert not re.search(rf"= {function} r", program), program
    rng = np.random.default_rng(5)
    n = 4 * 1024 + 77
    x, y = rng.standard_normal(n).astype(dtype) * 3, rng.standard_normal(n).astype(dtype)
    special = np.array(
        [
            np.nan,
            0.0,
            -0.0,
            np.inf,
            -np.inf,
            1e-30,
            -1e-30,
            800.0,
            -800.0,
            88.5,
            -104.0,
            3e6,
            -1e7,
            1e-310,
            1048576.0,
        ],
        dtype,
    )
    x[1100 : 1100 + special.size] = special  # in the second chunk of 1024; the others stay in range
    for args in ((x, y), (x[1000:], y[:-1000])):
        got, kinds = call_recording(f, *args)
        expected, expected_kinds = call_recording(body, *args)
        assert kinds == expected_kinds
        assert got.dtype == expected.dtype
        assert ulp_distance(got, expected).max() <= MATH_ULP
        with np.errstate(all="ignore"):
            alone = np.concatenate([f(*(a[i : i + 1] for a in args)) for i in range(0, args[0].size, 97)])
            np.testing.assert_array_equal(bits_of(got[::97]), bits_of(alone))


def test_chains_warn_as_numpy():
    x = np.linspace(-3, 3, 1001)
    f = ik.ufunc(lambda a: np.sqrt((a * 1e300) * 1e10 - 1.0) / a)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = f(x)
    with warnings.catch_warnings(record=True) as expected_caught:
        warnings.simplefilter("always")
        expected = np.sqrt((x * 1e300) * 1e10 - 1.0) / x
    assert {str(w.message).split(" in ")[0] for w in caught} == {
        str(w.message).split(" in ")[0] for w in expected_caught
    }
    np.testing.assert_array_equal(got, expected)
