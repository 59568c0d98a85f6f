"""Math functions at the edges of their vector routines: whole ranges, subnormal arguments, underflow,
passes in place."""

import numpy as np
import pytest
from numpy_reference import MATH_ULP, check_kernel

import ironkernel as ik


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
