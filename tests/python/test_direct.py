"""One-op bodies run as their kernel straight over the arrays (csrc/eval/direct/direct.cpp) wherever the
layout allows, and through the evaluators where it does not: both must give NumPy's result."""

import numpy as np
import pytest
from numpy_reference import MATH_ULP

import ironkernel as ik
from ironkernel.testing import assert_matches_numpy

rng = np.random.default_rng(7)

BODIES = {
    "add": lambda a, b: a + b,
    "maximum": lambda a, b: np.maximum(a, b),
    "less": lambda a, b: a < b,
    "times_constant": lambda a, b: a * 3,
    "constant_minus": lambda a, b: 5 - b,
    "sqrt": lambda a, b: np.sqrt(a),
    "sin": lambda a, b: np.sin(b),
}


def arrays(dtype, n):
    a = (rng.random(n) * 50).astype(dtype)
    b = (rng.random(n) * 50 - 10).astype(dtype)
    return a, b


@pytest.mark.parametrize("name", BODIES)
def test_one_op_bodies_are_direct(name):
    kernel = ik.ufunc(BODIES[name])
    assert "one op" in ik.explain(kernel, np.float64, np.float64)


def test_fused_bodies_are_not_direct():
    kernel = ik.ufunc(lambda a, b: a * b + 1)
    assert "one op" not in ik.explain(kernel, np.float64, np.float64)


@pytest.mark.parametrize("name", BODIES)
@pytest.mark.parametrize("dtype", ["float64", "float32", "int8", "int64"])
# Around the span of a repeated operand (2048), and on either side of a chunk.
@pytest.mark.parametrize("n", [1, 255, 2047, 2048, 2049, 5000, 100_003])
def test_contiguous_and_repeated_operands(name, dtype, n):
    kernel = ik.ufunc(BODIES[name])
    assert_matches_numpy(kernel, *arrays(dtype, n))


LAYOUTS = {
    "strided": lambda a, b: (a[::2], b[::2]),
    "reversed": lambda a, b: (a[::-1], b[::-1]),
    "scalar_array": lambda a, b: (a, b[:1].reshape(())),
    "broadcast_row": lambda a, b: (a.reshape(-1, 10), b[:10]),
    "unaligned": lambda a, b: (
        np.frombuffer(b"\0" + a.tobytes(), dtype=a.dtype, offset=1),
        np.frombuffer(b"\0" + b.tobytes(), dtype=b.dtype, offset=1),
    ),
}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", ["add", "times_constant", "sqrt"])
def test_layouts_the_kernel_cannot_take_run_in_the_evaluators(layout, name):
    a, b = arrays("float64", 10_000)
    assert_matches_numpy(ik.ufunc(BODIES[name]), *LAYOUTS[layout](a, b))


@pytest.mark.parametrize("name", ["add", "maximum", "times_constant"])
def test_out_is_an_input(name):
    kernel, body = ik.ufunc(BODIES[name]), BODIES[name]
    a, b = arrays("float64", 10_000)
    expected = body(a.copy(), b.copy())
    got = kernel(a, b, out=a)
    assert got is a
    np.testing.assert_array_equal(a, expected)


def test_out_shifted_against_an_input_gives_numpys_result():
    kernel = ik.ufunc(BODIES["add"])
    x = np.arange(10_000.0)
    y = x.copy()
    np.add(y[:-1], 1.0, out=y[1:])
    kernel(x[:-1], 1.0, out=x[1:])
    np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("density", [0.01, 0.5, 0.99])
def test_where_masks(density):
    kernel = ik.ufunc(BODIES["add"])
    a, b = arrays("float64", 10_000)
    mask = rng.random(10_000) < density
    got, expected = np.full(10_000, -1.0), np.full(10_000, -1.0)
    kernel(a, b, out=got, where=mask)
    np.add(a, b, out=expected, where=mask)
    np.testing.assert_array_equal(got, expected)


# where= makes NumPy call the loop once per run of selected elements: short calls, which take a
# path of their own (eval::run_short_direct) when every operand is a contiguous input array.
WHERE_BODIES = {**BODIES, "divide": lambda a, b: a / b, "negative": lambda a, b: -a}


@pytest.mark.parametrize("name", WHERE_BODIES)
@pytest.mark.parametrize("dtype", ["float64", "float32", "int8", "int64", "complex64"])
@pytest.mark.parametrize("density", [0.1, 0.5, 0.9])
def test_where_masks_over_bodies_and_dtypes(name, dtype, density):
    a, b = arrays(dtype, 3001)
    mask = rng.random(3001) < density
    kernel, body = ik.ufunc(WHERE_BODIES[name]), WHERE_BODIES[name]
    with np.errstate(all="ignore"):
        expected = body(a, b)
    got = np.zeros(3001, expected.dtype)
    want = got.copy()
    with np.errstate(all="ignore"):
        kernel(a, b, out=got, where=mask)
    np.copyto(want, expected, where=mask)
    if name == "sin":  # vector math: within its documented bound of NumPy's (part by part)
        parts = np.float32 if got.dtype == np.complex64 else got.real.dtype
        np.testing.assert_array_max_ulp(got.view(parts), want.view(parts), maxulp=MATH_ULP)
    else:
        np.testing.assert_array_equal(got, want)


def test_where_mask_into_an_input():
    kernel = ik.ufunc(BODIES["add"])
    a, b = arrays("float64", 3001)
    mask = rng.random(3001) < 0.5
    expected = a.copy()
    np.add(expected, b, out=expected, where=mask)
    kernel(a, b, out=a, where=mask)
    np.testing.assert_array_equal(a, expected)


def test_where_mask_with_out_shifted_against_an_input():
    # Runs whose output overlaps the input one element ahead: each element reads the previous
    # element's result, which the short path must leave to the evaluators.
    kernel = ik.ufunc(BODIES["add"])
    x = np.arange(1000.0)
    y = x.copy()
    mask = np.arange(999) % 7 != 3
    np.add(y[:-1], 1.0, out=y[1:], where=mask)
    kernel(x[:-1], 1.0, out=x[1:], where=mask)
    np.testing.assert_array_equal(x, y)
    x, y = np.arange(1000.0), np.arange(1000.0)
    np.add(y[:-1], y[:-1], out=y[1:], where=mask)
    kernel(x[:-1], x[:-1], out=x[1:], where=mask)
    np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("layout", ["strided", "unaligned"])
def test_where_mask_over_layouts_the_short_path_cannot_take(layout):
    kernel = ik.ufunc(BODIES["add"])
    a, b = LAYOUTS[layout](*arrays("float64", 4002))
    mask = rng.random(a.size) < 0.5
    got, expected = np.full(a.size, -1.0), np.full(a.size, -1.0)
    kernel(a, b, out=got, where=mask)
    np.add(a, b, out=expected, where=mask)
    np.testing.assert_array_equal(got, expected)


def test_where_mask_warns_only_for_selected_elements():
    kernel = ik.ufunc(lambda a, b: a / b)
    a = np.ones(1000)
    b = np.where(np.arange(1000) % 2 == 0, 0.0, 2.0)
    out = np.zeros(1000)
    odd = np.arange(1000) % 2 == 1
    with np.errstate(divide="raise"):
        kernel(a, b, out=out, where=odd)  # no zero divisor selected: no warning
        np.testing.assert_array_equal(out, np.where(odd, 0.5, 0.0))
        with pytest.raises(FloatingPointError, match="divide"):
            kernel(a, b, out=out, where=~odd)


def test_threads_split_a_direct_call():
    kernel = ik.ufunc(BODIES["sin"])
    a, b = arrays("float64", 2_000_003)
    with ik.threads(2):
        two = kernel(a, b)
    with ik.threads(1):
        one = kernel(a, b)
    np.testing.assert_array_equal(one, two)


def test_flags_are_exact():
    kernel = ik.ufunc(lambda a, b: a / b)
    a = np.array([1.0, 0.0, 2.0] * 1000)
    b = np.array([1.0, 0.0, 0.0] * 1000)
    with np.errstate(divide="raise", invalid="ignore"), pytest.raises(FloatingPointError, match="divide"):
        kernel(a, b)
    with np.errstate(divide="ignore", invalid="raise"), pytest.raises(FloatingPointError, match="invalid"):
        kernel(a, b)
    assert_matches_numpy(kernel, a, b)
