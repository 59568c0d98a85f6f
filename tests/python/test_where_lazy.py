"""np.where evaluates only the selected branch: no work and no warnings from the other one."""

import warnings

import numpy as np
import pytest

import ironkernel as ik


@pytest.fixture(params=[10, 5000, 3_000_000], ids=["tiny", "blocks", "threaded"])
def x(request):
    return np.random.default_rng(1).standard_normal(request.param)


def no_warnings(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args)


def test_dead_branch_raises_no_warning(x):
    f = ik.ufunc(lambda a: np.where(a > 0, np.sqrt(a), 0.0))
    got = no_warnings(f, x)
    np.testing.assert_array_equal(got, np.where(x > 0, np.sqrt(np.abs(x)), 0.0))


def test_dead_branch_cannot_raise_under_errstate_raise(x):
    f = ik.ufunc(lambda a: np.where(a != 0, 1.0 / a, 0.0) + np.where(a > 0, np.log(a), -1.0))
    with np.errstate(all="raise"):
        got = f(np.concatenate([x, [0.0, -0.0]]))
    assert got[-1] == -1.0 and got[-2] == -1.0


def test_selected_lanes_still_warn(x):
    f = ik.ufunc(lambda a: np.where(a < 0, np.sqrt(a), 0.0))
    with pytest.warns(RuntimeWarning, match="invalid value"):
        f(x)
    with np.errstate(invalid="raise"), pytest.raises(FloatingPointError):
        f(x)


def test_nested_where_and_shared_subexpressions(x):
    def body(a):
        s = np.sin(a)
        return np.where(s > 0, np.where(a > 1, np.log(a), np.exp(s)), s * 2)

    f = ik.ufunc(body)
    with np.errstate(all="ignore"):
        expected = body(x)
    got = no_warnings(f, x)
    np.testing.assert_array_max_ulp(got, expected, maxulp=8)


def test_uniform_blocks_and_mixed_blocks():
    x = np.concatenate([np.full(5000, 4.0), np.full(5000, -4.0), np.tile([1.0, -1.0], 2500)])
    f = ik.ufunc(lambda a: np.where(a > 0, np.sqrt(a), np.log(-a)))
    got = no_warnings(f, x)
    np.testing.assert_array_max_ulp(got, np.where(x > 0, np.sqrt(np.abs(x)), np.log(np.abs(x))), maxulp=4)


def test_condition_from_integers_and_floats_is_truthiness():
    f = ik.ufunc(lambda c, a: np.where(c, a, -a))
    c = np.array([0, 1, 2, -1, 0])
    a = np.arange(5.0)
    np.testing.assert_array_equal(f(c, a), np.where(c, a, -a))
    nan_cond = np.array([np.nan, 0.0, -0.0, 2.0])
    np.testing.assert_array_equal(f(nan_cond, np.ones(4)), np.where(nan_cond, 1.0, -1.0))


def test_explain_marks_lazy_branches():
    f = ik.ufunc(lambda a: np.where(a > 0, np.sqrt(a), 0.0))
    assert "lazy region" in ik.explain(f)
