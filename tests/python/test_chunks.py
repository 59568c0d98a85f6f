"""The chunked evaluator (chunks of 256 elements, of 1024 for programs whose chunks run chains only)
and fused chains, against NumPy and against the blocked evaluator without chains.

A call runs chunk by chunk until a chunk raises a floating-point flag or asks for exact lazy
evaluation; the blocked evaluator then redoes that chunk and runs the rest. These tests put the
hand-over in the middle of a call, where earlier chunks have been written already.
"""

import os
import re
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from numpy_reference import MATH_ULP, call_recording, ulp_distance

import ironkernel as ik

N = 5000  # 19 whole chunks of 256 and a tail


def chunk_of(kernel):
    """The chunk length of a kernel's float64 loop, as ik.explain shows it."""
    text = ik.explain(kernel, *[np.float64] * kernel.nin)
    loop = text[text.index("loop (float64") :]
    return int(loop[loop.index("(chunks of ") + len("(chunks of ") :].split(")")[0])


def no_warnings(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kwargs)


def test_explain_shows_the_chunk_size_of_chunked_programs():
    assert chunk_of(ik.ufunc(lambda a: np.cos(a) * 2.0)) == 256  # a pass of cos, then a chain
    # chunks that run chains only are longer: no values between passes to keep in the L1 cache
    assert chunk_of(ik.ufunc(lambda a, b: 2.5 * a + b)) == 1024
    assert chunk_of(ik.ufunc(lambda a: np.where(a < -1, -1, np.where(a > 1, 1, a)))) == 1024
    if VECTOR_MATH_IN_CHAINS:
        assert chunk_of(ik.ufunc(lambda a: np.where(a > 0, np.sqrt(np.abs(a)) + np.sin(a), 0))) == 1024
    # complex arithmetic has block kernels only
    assert "chunks of" not in ik.explain(ik.ufunc(lambda a: a * 1j))


@pytest.mark.parametrize("position", [0, 255, 256, 3000, N - 1])
def test_a_flag_in_any_chunk_warns_once_and_keeps_numpy_values(position):
    x = np.linspace(0.5, 3.0, N)
    x[position] = 0.0
    f = ik.ufunc(lambda a: np.log(a) * 2.0)
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        got = f(x)
    with np.errstate(divide="ignore"):
        np.testing.assert_array_max_ulp(got, np.log(x) * 2.0, maxulp=4)
    with np.errstate(divide="raise"), pytest.raises(FloatingPointError):
        f(x)


def test_mixed_chunks_guarding_invalid_lanes_raise_nothing():
    x = np.random.default_rng(2).standard_normal(N)
    f = ik.ufunc(lambda a: np.where(a > 0, np.log(a), 0.0) + np.where(a != 0, 1.0 / a, 0.0))
    got = no_warnings(f, x)
    expected = np.where(x > 0, np.log(np.abs(x)), 0.0) + 1.0 / x
    np.testing.assert_array_max_ulp(got, expected, maxulp=4)


def test_integer_division_by_zero_in_an_unselected_branch_raises_nothing():
    rng = np.random.default_rng(3)
    a, b = rng.integers(-100, 100, N), rng.integers(-3, 3, N)
    f = ik.ufunc(lambda a, b: np.where(b != 0, a // np.where(b != 0, b, 1), -1))
    np.testing.assert_array_equal(no_warnings(f, a, b), np.where(b != 0, a // np.where(b != 0, b, 1), -1))
    g = ik.ufunc(lambda a, b: np.where(b != 0, a // b, -1))
    got = no_warnings(g, a, b)
    with np.errstate(divide="ignore"):
        np.testing.assert_array_equal(got, np.where(b != 0, a // b, -1))


def test_a_costly_branch_few_elements_select_matches_numpy():
    x = np.random.default_rng(4).standard_normal(N)
    x[::10] = np.abs(x[::10]) + 3.0  # every tenth element selects the costly branch

    def body(a):
        return np.where(a > 2.5, np.exp(np.sin(a)) * np.log(a) + np.sqrt(a), -1.0)

    got = no_warnings(ik.ufunc(body), x)
    with np.errstate(all="ignore"):
        np.testing.assert_array_max_ulp(got, body(x), maxulp=8)


def test_output_aliasing_the_input_is_right_when_a_later_chunk_hands_over():
    x = np.random.default_rng(5).standard_normal(N) * 5
    x[2000] = -0.0
    x[3000] = np.nan
    f = ik.ufunc(lambda a: np.where(a > 0, np.sqrt(np.abs(a)) + np.sin(a), np.log(-a)))
    with np.errstate(all="ignore"):
        expected = np.where(x > 0, np.sqrt(np.abs(x)) + np.sin(x), np.log(-x))
    y = x.copy()
    with np.errstate(all="ignore"):
        got = f(y, out=y)
    assert got is y
    np.testing.assert_array_max_ulp(y, expected, maxulp=4)


def test_strided_broadcast_and_float32_inputs():
    x = np.random.default_rng(6).standard_normal(2 * N)
    f = ik.ufunc(lambda a, b: np.where(a > b, a * b - 1.5, np.maximum(a, b)))
    for a, b in [(x[::2], x[1::2]), (x[:N], np.float64(0.25)), (x[:N].astype(np.float32), np.float32(0.25))]:
        np.testing.assert_array_equal(no_warnings(f, a, b), np.where(a > b, a * b - 1.5, np.maximum(a, b)))


def bits_of(x):
    """The bits of x with every NaN made the same: which NaN a + b returns when both are NaN is up
    to the compiler's operand order (NumPy's own loops differ between CPUs too)."""
    x = np.where(np.isnan(x), np.array(np.nan, x.dtype), x)
    return x.view(np.uint64 if x.dtype.itemsize == 8 else np.uint32)


BODIES = [
    "np.where(a > 0, np.sqrt(np.abs(a)) + np.sin(a), 0)",
    "np.exp(-a * a) / (1.0 + np.cosh(a)) - np.arctan2(a, b)",
    "np.where(a > b, np.log1p(np.abs(a)), np.power(np.abs(b), 0.3))",
    "np.hypot(a, b) * np.tanh(b) + (a > 0.5)",
    "np.clip(a * 3.0, -1.0, b).astype(np.float32) * np.float32(2)",
    "np.sqrt(a * a + b * b) + (-b) * np.abs(a) - np.sqrt(b) / a",  # unary ops fused into operands
    # math calls inside chains, next to a square root; wheres whose split chunks run as one chain
    "np.cos(b) - np.sqrt(np.abs(a)) + np.sqrt(b * b + 1.0) * np.exp(a)",
    "np.where(a <= 1.5, -2.0, np.sqrt(np.abs(b)) / np.log(a))",
    "np.where(b != a, np.sqrt(a) * np.tanh(b), b)",
    # binary ops of two registers as a step's operand (pairs)
    "a * b + (a - 1.5) * (b + 2.0) - np.sqrt(np.abs(a - b)) / (b * a)",
    # exp as a step of a chain (AVX2), with arguments beyond its inline range in some chunks
    "1.0 / (1.0 + np.exp(-a))",
    "np.exp(-0.5 * a * a) * b + np.exp(b * 150.0)",
]


@pytest.mark.parametrize("switch", ["IK_CHUNKS=0", "IK_CHAINS=0", "IK_CHUNKS=0 IK_CHAINS=0"])
def test_chunks_and_chains_change_no_bit(tmp_path, switch):
    """The chunked evaluator uses the same vector functions as the blocked one, and a chain rounds
    every operation as alone: equal bits with either switched off."""
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal(N) * 4, rng.standard_normal(N) * 4
    a[100:107] = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-310, 2.5]
    np.save(tmp_path / "a.npy", a)
    np.save(tmp_path / "b.npy", b)
    script = textwrap.dedent(
        f"""
        import numpy as np, ironkernel as ik
        a, b = np.load({str(tmp_path / "a.npy")!r}), np.load({str(tmp_path / "b.npy")!r})
        for k, body in enumerate({BODIES!r}):
            f = ik.ufunc(eval("lambda a, b: " + body))
            with np.errstate(all="ignore"):
                np.save({str(tmp_path)!r} + f"/other{{k}}.npy", f(a, b))
        """
    )
    env = dict(os.environ, **dict(kv.split("=") for kv in switch.split()))
    subprocess.run([sys.executable, "-c", script], env=env, check=True, cwd=tmp_path)
    for k, body in enumerate(BODIES):
        f = ik.ufunc(eval("lambda a, b: " + body))
        with np.errstate(all="ignore"):
            default = f(a, b)
        other = np.load(tmp_path / f"other{k}.npy")
        assert default.dtype == other.dtype
        np.testing.assert_array_equal(bits_of(default), bits_of(other), err_msg=body)


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


def assert_bits(got, expected):
    """Equal dtypes and bits (NaNs equal at the same places, whatever their payload)."""
    for g, e in zip(*(v if isinstance(v, tuple) else (v,) for v in (got, expected))):
        assert g.dtype == e.dtype
        np.testing.assert_array_equal(np.isnan(g), np.isnan(e))
        np.testing.assert_array_equal(g[~np.isnan(e)].view(np.uint8), e[~np.isnan(e)].view(np.uint8))


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


# Wheres whose split chunks run as one chain: (condition, true value, false value), the lazy
# branch on either side, every comparison, a math call next to a square root or none.
SPLIT_WHERES = {
    "true branch": (lambda x, y: x > 0, lambda x, y: np.sqrt(np.abs(x)) + np.sin(x), lambda x, y: 0.0),
    "false branch": (lambda x, y: x <= 0.25, lambda x, y: y, lambda x, y: np.exp(x) * np.sqrt(x)),
    "no math": (lambda x, y: x < y, lambda x, y: 2.0, lambda x, y: np.sqrt(y - x) * 3.0),
    "equal": (lambda x, y: x == 0.5, lambda x, y: np.sqrt(x * y), lambda x, y: -1.0),
    "not equal": (lambda x, y: x != 0.5, lambda x, y: 1.0 / np.sqrt(np.abs(x)), lambda x, y: y),
    "greater equal": (
        lambda x, y: y >= x,
        lambda x, y: np.exp(y) - np.sqrt(np.abs(x) * 1e-6),
        lambda x, y: x,
    ),
}


# Math functions are called inside chains where the vector routines' vectors are the chain
# kernels' (libmvec: AVX2 and AVX-512), and exp is a step of its own on AVX2; elsewhere
# (IK_SIMD=sse2) they stay instructions, and a branch with one is then no single chain.
VECTOR_MATH_IN_CHAINS = (
    ik._core.simd_isa() in ("avx2", "avx512") and ik._core.simd_isa() == ik._core.kernel_isa()
)
WITHOUT_MATH = {"no math", "equal", "not equal"}


def lazy_numpy_where(condition, true_value, false_value, x, y):
    """NumPy with where's lazy semantics: each value computed on the lanes that select it only,
    so only those lanes can warn."""
    c = condition(x, y)
    out = np.empty(x.shape, np.result_type(x, y))
    out[c] = true_value(x[c], y[c])
    out[~c] = false_value(x[~c], y[~c])
    return out


def runs_of_chunk_kinds(rng, chunk, n):
    """Stretches of a chunk's length that are mixed, all on one side, or sparse, in turn: after a
    split chunk the evaluator runs the next one without counting its lanes first, so every kind
    of chunk must also come right after a split one."""
    kinds = [
        lambda: rng.standard_normal(chunk),
        lambda: rng.standard_normal(chunk),
        lambda: -rng.uniform(0.5, 4.0, chunk),
        lambda: rng.standard_normal(chunk),
        lambda: np.where(rng.uniform(size=chunk) < 0.05, 2.0, -2.0),
        lambda: rng.standard_normal(chunk),
        lambda: rng.uniform(0.5, 4.0, chunk),
    ]
    return np.concatenate([kinds[k % len(kinds)]() for k in range(n // chunk + 1)])[:n]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("data", ["mixed", "positive", "negative", "sorted", "sparse", "runs"])
@pytest.mark.parametrize("name", list(SPLIT_WHERES))
def test_wheres_of_split_chunks_match_numpy(name, data, dtype):
    condition, true_value, false_value = SPLIT_WHERES[name]
    f = ik.ufunc(lambda x, y: np.where(condition(x, y), true_value(x, y), false_value(x, y)))
    assert ("(split chunks: fused " in ik.explain(f)) == (VECTOR_MATH_IN_CHAINS or name in WITHOUT_MATH)
    chunk = chunk_of(f)
    n = 16 * chunk + 37  # every kind of run twice, and a tail
    rng = np.random.default_rng(3)
    x = {
        "mixed": lambda: rng.standard_normal(n),
        "positive": lambda: rng.uniform(0.5, 4.0, n),
        "negative": lambda: -rng.uniform(0.5, 4.0, n),
        "sorted": lambda: np.sort(rng.standard_normal(n)),  # uniform chunks, one split chunk
        "sparse": lambda: np.where(rng.uniform(size=n) < 0.05, 2.0, -2.0),  # few lanes take the branch
        "runs": lambda: runs_of_chunk_kinds(rng, chunk, n),
    }[data]().astype(dtype)
    x[:6] = [np.nan, -0.0, 0.0, 0.5, np.inf, -np.inf]
    y = rng.uniform(0.5, 2.0, n).astype(dtype)
    got, kinds = call_recording(f, x, y)
    expected, expected_kinds = call_recording(lazy_numpy_where, condition, true_value, false_value, x, y)
    assert got.dtype == expected.dtype
    assert kinds == expected_kinds
    assert ulp_distance(got, expected).max() <= MATH_ULP


def test_a_where_of_split_chunks_warns_for_selected_lanes_only():
    x = np.linspace(-3.0, 3.0, N)
    x[1000] = np.inf  # selected: sin(inf) is invalid
    x[2000] = -np.inf  # not selected
    f = ik.ufunc(lambda a: np.where(a > 0, np.sqrt(np.abs(a)) + np.sin(a), 0))
    with pytest.warns(RuntimeWarning, match="invalid value"):
        got = f(x)
    assert np.isnan(got[1000]) and got[2000] == 0
    x[1000] = 1.0
    got = no_warnings(f, x)
    with np.errstate(all="ignore"):
        assert ulp_distance(got, np.where(x > 0, np.sqrt(np.abs(x)) + np.sin(x), 0)).max() <= MATH_ULP


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_math_calls_next_to_a_square_root_warn_as_numpy(dtype):
    """The call runs inside the chain, where it may raise spurious flags; a chunk that raised any
    runs again with NumPy's exact flags."""
    x = np.linspace(-2, 700, N).astype(dtype)  # sqrt of negatives: invalid; float32 exp overflows

    def body(a):
        return np.sqrt(a) * np.exp(a)

    f = ik.ufunc(body)
    assert ("fused multiply(sqrt(r0), exp(r0))" in ik.explain(f)) == VECTOR_MATH_IN_CHAINS
    got, kinds = call_recording(f, x)
    expected, expected_kinds = call_recording(body, x)
    assert kinds == expected_kinds
    assert ulp_distance(got, expected).max() <= MATH_ULP


def test_wheres_of_split_chunks_in_place_strided_and_broadcast():
    """The chunk chain writes the output directly and reads the comparison's operands wherever
    they are: the input itself (out=x), every other element, a scalar broadcast to every element."""
    x = np.random.default_rng(9).standard_normal(2 * N) * 3
    x[:4] = [np.nan, -0.0, np.inf, 0.0]
    f = ik.ufunc(lambda a, b: np.where(a > b, np.sqrt(np.abs(a) * 2.0 + 1.0) * 0.5, b))
    assert "(split chunks: fused where(" in ik.explain(f)

    def expected(a, b):
        return np.where(a > b, np.sqrt(np.abs(a) * 2.0 + 1.0) * 0.5, b)

    y = x[:N].copy()
    assert no_warnings(f, y, 0.25, out=y) is y
    np.testing.assert_array_equal(y, expected(x[:N], 0.25))
    for a, b in [(x[::2], x[1::2]), (x[:N], np.float64(-0.5)), (x[::2], np.full(N, 0.1)[::-1])]:
        np.testing.assert_array_equal(no_warnings(f, a, b), expected(a, b))


@pytest.mark.parametrize("n", [5, 300, 1000, 1023])
@pytest.mark.parametrize(
    "body",
    [
        lambda a: np.exp(a * 300.0) * 0.5,
        lambda a: 1.0 / (1.0 + np.exp(-a)),
        lambda a: np.where(a > 0, np.sqrt(np.abs(a)) + np.sin(a), 0),
    ],
)
def test_chains_below_a_chunk_run_fast_then_exactly_on_flags(body, n):
    """Below a chunk the blocked evaluator runs a chain's fast form (inline exp and sin, math
    calls) and, if it raised a flag, its exact form: NumPy's values and warnings either way,
    also when the chain writes the memory it reads."""
    x = np.linspace(-3, 3, n)
    x[n // 2] = np.inf
    x[n // 3] = 1e-310
    x[-1] = 3e6
    expected, expected_kinds = call_recording(body, x)
    for out in (None, x):  # in place, the chain's output is its input: then only the exact form runs
        got, kinds = call_recording(ik.ufunc(body), x.copy() if out is None else x, out=out)
        assert kinds == expected_kinds
        assert ulp_distance(got, expected).max() <= MATH_ULP
