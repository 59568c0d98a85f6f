"""Differential testing: random expression trees run by NumPy and by ironkernel must agree.

Values bit for bit (the generated ops are all exact), dtypes, shapes, and floating-point warnings
(for trees without np.where, which NumPy evaluates eagerly and ironkernel lazily). CI runs a fixed
budget; set IK_LONG_FUZZ=1 for a long run before a release. Hypothesis prints the failing example
and a reproducing seed; every failure found becomes an explicit regression test below.
"""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy_reference import assert_same, call_recording

import ironkernel as ik

LONG = bool(os.environ.get("IK_LONG_FUZZ"))
# NumPy 1.x promoted Python and NumPy scalar constants by value (np.where(c, 0.0, np.float32(1))
# is float64 there); ironkernel types constants the NEP 50 way, as NumPy 2 does.
pytestmark = pytest.mark.skipif(
    np.lib.NumpyVersion(np.__version__) < "2.0.0",
    reason="random bodies mix scalar constants, promoted by value in NumPy 1.x",
)
BUDGET = 2000 if LONG else 150  # CI: the same 150 examples every run (derandomized), so CI is stable

CONSTANTS = [
    "0.0",
    "-0.0",
    "1.5",
    "-2.0",
    "np.nan",
    "np.inf",
    "-np.inf",
    "3",
    "-7",
    "np.float32(0.25)",
    "2147483647",
    "-(2**63)",
]
UNARY = [
    "-{}",
    "abs({})",
    "np.sqrt(np.abs({}))",
    "np.floor({})",
    "np.square({})",
    "np.negative({})",
    "({}).astype(np.float64)",
    "({}).astype(np.int32)",
    "np.isnan({})",
    "~({} > 0)",
]
BINARY = [
    "({} + {})",
    "({} - {})",
    "({} * {})",
    "({} / {})",
    "np.maximum({}, {})",
    "np.minimum({}, {})",
    "np.fmax({}, {})",
    "({} < {})",
    "({} == {})",
    "np.copysign({}, {})",
]


def expressions(depth: int) -> st.SearchStrategy[str]:
    leaves = st.sampled_from(["a", "b"] + CONSTANTS)
    if depth == 0:
        return leaves
    sub = expressions(depth - 1)
    return st.one_of(
        leaves,
        st.builds(lambda f, x: f.format(x), st.sampled_from(UNARY), sub),
        st.builds(lambda f, x, y: f.format(x, y), st.sampled_from(BINARY), sub, sub),
        st.builds(lambda c, x, y: f"np.where({c} > 0, {x}, {y})", sub, sub, sub),
    )


DTYPES = [np.float64, np.float32, np.int64, np.int32]


# Long enough for the chunked evaluator (chunks of 256 elements, or 1024 for programs of chains
# only, then blocks for the tail).
SIZE = 2600


def arrays(dtype, size, seed):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        values = rng.standard_normal(size) * 10
        special = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-310, 2.5]
        # At the start, and again in a later chunk: a flag raised there hands the rest of the call
        # to the blocked evaluator after earlier chunks were already written.
        values[: len(special)] = special
        values[size // 2 : size // 2 + len(special)] = special
        return values.astype(dtype)
    return rng.integers(-50, 50, size).astype(dtype)


def run_both(source: str, dtype_a, dtype_b, seed: int):
    namespace = {"np": np}
    exec(f"def body(a, b):\n    return {source}", namespace)
    body = namespace["body"]
    a, b = arrays(dtype_a, SIZE, seed), arrays(dtype_b, SIZE, seed + 1)
    try:
        with np.errstate(all="ignore"):
            expected = body(a, b)
    except Exception:  # NumPy refuses the body for these dtypes: nothing to compare
        return
    if np.asarray(expected).dtype.kind not in "biuf" or np.ndim(expected) == 0:
        return
    # Subexpressions of constants only (0.0 / np.sqrt(0.0)) are plain Python, run once while the
    # body is traced: their warnings come at decoration instead of at every call.
    kernel, decoration_warnings = call_recording(ik.ufunc, body)
    with np.errstate(all="ignore"):
        got = kernel(a, b)
    assert_same(got, expected)
    if "where" not in source:
        _, np_warnings = call_recording(body, a, b)
        _, ik_warnings = call_recording(kernel, a, b)
        assert ik_warnings | decoration_warnings == np_warnings, (source, ik_warnings, np_warnings)


@settings(
    max_examples=BUDGET, deadline=None, derandomize=not LONG, suppress_health_check=[HealthCheck.too_slow]
)
@given(expressions(3), st.sampled_from(DTYPES), st.integers(0, 10_000))
def test_random_expressions_match_numpy(source, dtype, seed):
    # Both inputs share a dtype. With mixed input dtypes NumPy picks one of the kernel's loops for
    # all inputs, so the body computes in the common dtype from the start (b * 0 in float64, not
    # int64): a known difference from the plain body, see the README.
    run_both(source, dtype, dtype, seed)


LAYOUTS = ["strided", "reversed", "broadcast", "out", "out_aliases_input", "where_mask", "two_d_transposed"]


def run_with_layout(source: str, dtype, seed: int, layout: str):
    """The body on inputs laid out as NumPy users do (views, broadcasting, out=, where=): the
    kernel's result must equal the plain body's on the same arrays."""
    namespace = {"np": np}
    exec(f"def body(a, b):\n    return {source}", namespace)
    body = namespace["body"]
    a, b = arrays(dtype, 2 * SIZE, seed), arrays(dtype, 2 * SIZE, seed + 1)
    if layout == "strided":
        a, b = a[::2], b[1::2]
    elif layout == "reversed":
        a = a[::-1]
    elif layout == "broadcast":
        a, b = a[:1024].reshape(32, 32), b[:32]
    elif layout == "two_d_transposed":
        a, b = a[:1024].reshape(32, 32).T, b[:1024].reshape(32, 32)
    try:
        with np.errstate(all="ignore"):
            expected = np.asarray(body(a, b))
    except Exception:  # NumPy refuses the body for these dtypes: nothing to compare
        return
    if expected.dtype.kind not in "biuf" or expected.ndim == 0:
        return
    # A ufunc's result has the shape of all its inputs broadcast, even where the body ignores one.
    expected = np.broadcast_to(expected, np.broadcast_shapes(a.shape, b.shape))
    kernel = ik.ufunc(body)
    with np.errstate(all="ignore"):
        if layout == "out":
            out = np.empty_like(expected)
            got = kernel(a, b, out=out)
            assert got is out
        elif layout == "out_aliases_input":
            if expected.dtype != a.dtype or expected.shape != a.shape:
                return
            a = a.copy()
            got = kernel(a, b, out=a)
        elif layout == "where_mask":
            mask = np.random.default_rng(seed).random(expected.shape) < 0.5
            got = np.zeros_like(expected)
            kernel(a, b, out=got, where=mask)
            expected = np.where(mask, expected, np.zeros_like(expected))
        else:
            got = kernel(a, b)
    assert_same(got, expected)


@settings(
    max_examples=BUDGET // 2,
    deadline=None,
    derandomize=not LONG,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(expressions(3), st.sampled_from(DTYPES), st.integers(0, 10_000), st.sampled_from(LAYOUTS))
def test_random_expressions_with_views_broadcasting_out_and_where(source, dtype, seed, layout):
    run_with_layout(source, dtype, seed, layout)


# ---- regressions found by the tests above -----------------------------------------------------


def test_operand_used_twice_frees_its_slot_once():
    # copysign(b, b): the register of b was released twice and later handed to two live values.
    run_both("a + -np.copysign(b, b)", np.int64, np.int64, 0)
    run_both("(a * a) - np.maximum(a, a) + b", np.float64, np.float64, 1)


def test_constant_subexpressions_warn_at_decoration():
    # 0.0 / np.sqrt(np.abs(0.0)) is computed by NumPy scalars while tracing: "invalid" once, then
    # the constant NaN, as any Python code in the body (hypothesis found the difference).
    run_both("(a + (0.0 / np.sqrt(np.abs(0.0))))", np.float64, np.float64, 0)


def test_rounding_bools_is_identity():
    # floor/ceil/trunc of bool have NumPy loops (bool -> bool); ironkernel had no kernel.
    run_both("np.floor(np.isnan(a)) + np.ceil(b > 0) * np.trunc(a < 1)", np.float64, np.float64, 2)


def test_where_wraps_an_integer_constant_too_large_for_the_branch_dtype():
    # np.where(int32 condition..., a, -(2**63)) casts the constant to int32 as C does (to 0);
    # for ufunc operands NumPy 2 refuses such a constant instead (test_errors.py).
    run_both("np.where(a > 0, a, -(2**63))", np.int32, np.int32, 0)
    run_both("np.sqrt(np.abs(np.where(a > 0, a, 2147483647)))", np.int32, np.int32, 1)
