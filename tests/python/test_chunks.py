"""The chunked evaluator (chunks of 256 elements, of 1024 for programs whose chunks run chains only)
and fused chains, against NumPy and against the blocked evaluator without chains. The chains' steps
and the wheres of split chunks have files of their own (test_chunks_chains.py,
test_chunks_split_wheres.py).

A call runs chunk by chunk until a chunk raises a floating-point flag or asks for exact lazy
evaluation; the blocked evaluator then redoes that chunk and runs the rest. These tests put the
hand-over in the middle of a call, where earlier chunks have been written already.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from chunk_checks import VECTOR_MATH_IN_CHAINS, N, bits_of, chunk_of, no_warnings

import ironkernel as ik


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
