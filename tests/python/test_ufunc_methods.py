"""reduce, accumulate, reduceat, outer and at of two-input kernels, against NumPy and plain folds."""

import functools

import numpy as np
import pytest

import ironkernel as ik

rng = np.random.default_rng(21)
ADD = ik.ufunc(lambda a, b: a + b)
FOLD = ik.ufunc(lambda a, b: a * 0.5 + b, identity=0.0)  # not associative: order matters


def test_reduce_and_accumulate_are_sequential_folds():
    x = rng.standard_normal(10_001)  # large: NumPy hands overlapping operands in big chunks
    assert FOLD.reduce(x) == functools.reduce(lambda acc, v: acc * 0.5 + v, x)
    expected = np.array(list(__import__("itertools").accumulate(x, lambda acc, v: acc * 0.5 + v)))
    np.testing.assert_array_equal(FOLD.accumulate(x), expected)


def test_reduce_over_axes_matches_numpy():
    m = rng.standard_normal((300, 400))
    np.testing.assert_allclose(ADD.reduce(m, axis=0), m.sum(axis=0), rtol=1e-12, atol=1e-11)
    np.testing.assert_allclose(ADD.reduce(m, axis=1), np.add.reduce(m, axis=1), rtol=1e-12, atol=1e-11)
    np.testing.assert_allclose(
        ADD.reduce(m, axis=1, keepdims=True), m.sum(axis=1, keepdims=True), rtol=1e-12, atol=1e-11
    )
    np.testing.assert_allclose(
        ADD.reduce(m, axis=0, initial=5.0), m.sum(axis=0) + 5.0, rtol=1e-12, atol=1e-11
    )


def test_identity_decides_empty_and_multi_axis_reductions():
    assert FOLD.reduce(np.empty(0)) == 0.0
    with pytest.raises(ValueError):
        ADD.reduce(np.empty(0))  # no identity: as NumPy's ufuncs without one
    assert FOLD.reduce(np.ones((2, 3)), axis=None) == FOLD.reduce(np.ones(6))


def test_identity_may_be_infinite_or_a_numpy_scalar():
    maximum = ik.ufunc(lambda a, b: np.maximum(a, b), identity=-np.inf)
    assert maximum.identity == -np.inf
    assert maximum.reduce(np.empty(0)) == -np.inf
    assert maximum.reduce(np.array([[1.0, 3.0], [np.nan, 2.0]]), axis=None) != maximum.reduce(np.ones(1))
    # -inf fits no integer dtype: integer inputs go to a float loop, as NumPy's resolver decides
    assert not any(t[0] in "bBhHiIlLqQ?" for t in maximum.types)
    assert maximum.reduce(np.array([2, 7, 3])) == 7.0
    total = ik.ufunc(lambda a, b: a + b, identity=np.int64(0))
    assert total.identity == 0 and total.reduce(np.arange(5)) == 10
    half = ik.ufunc(lambda a, b: a + b, identity=np.float32(0.5))
    assert half.reduce(np.empty(0)) == 0.5 and "ll->l" not in half.types
    with pytest.raises(TypeError, match="real number"):
        ik.ufunc(lambda a, b: a + b, identity="0")


@pytest.mark.parametrize(
    "args", [(0, np.nan), (1, 2), (np.arange(3), 0.5), (np.arange(3, dtype=np.int32), np.ones(3))]
)
def test_float_identity_with_integer_first_input_calls_as_numpy(args):
    # NumPy converts the identity to a loop's first input dtype on every call, not only in reductions
    logaddexp = ik.ufunc(lambda a, b: np.logaddexp(a, b), identity=-np.inf)
    ik.testing.assert_matches_numpy(logaddexp, *args)


def test_reduceat_outer_at():
    x = rng.standard_normal(20)
    np.testing.assert_allclose(ADD.reduceat(x, [0, 5, 12]), np.add.reduceat(x, [0, 5, 12]), rtol=1e-14)
    np.testing.assert_array_equal(ADD.outer(x[:5], x[:4]), np.add.outer(x[:5], x[:4]))
    a = np.zeros(5)
    b = np.zeros(5)
    ADD.at(a, [0, 0, 3, 1], 1.5)
    np.add.at(b, [0, 0, 3, 1], 1.5)
    np.testing.assert_array_equal(a, b)


def test_unary_kernels_refuse_reduce_like_numpy():
    k = ik.ufunc(lambda a: a * 2)
    with pytest.raises(ValueError):
        k.reduce(np.ones(3))
    with pytest.raises(ValueError):
        np.negative.reduce(np.ones(3))
