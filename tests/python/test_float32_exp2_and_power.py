"""float32 exp2 and power, ironkernel's own vector routines (csrc/simd/own_exp2.hpp, own_power.hpp):
within 1 ULP of the correctly rounded result over dense sweeps, NumPy's special values bit for bit,
and NumPy's warnings and exceptions."""

import itertools

import numpy as np
import pytest
from numpy_reference import MATH_ULP, check_kernel, raised, warned

import ironkernel as ik

# The stated bound of both routines against the correctly rounded result (simd::ulp_bound).
OWN_ULP = 1.0

exp2 = ik.ufunc(lambda a: np.exp2(a))
power = ik.ufunc(lambda a, b: np.power(a, b))


def ulps_from_exact(got: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """|got - exact| in ULPs of the float32 nearest to exact (a float64 reference, 2^-29 ULP off at most)."""
    with np.errstate(all="ignore"):
        nearest = exact.astype(np.float32)
        spacing = np.spacing(np.abs(nearest)).astype(np.float64)
        same = (got.astype(np.float64) == exact) | (np.isnan(got) & np.isnan(exact)) | (got == nearest)
        d = np.abs(got.astype(np.float64) - exact) / spacing
    return np.where(same, 0.0, np.where(np.isnan(d), np.inf, d))


def test_exp2_is_within_one_ulp_over_its_whole_range():
    rng = np.random.default_rng(20)
    x = np.concatenate(
        [
            rng.uniform(-151, 129, 400_000),
            rng.uniform(-1, 1, 100_000),
            np.arange(-150, 129, 0.25),
            np.ldexp(rng.uniform(-1, 1, 10_000), rng.integers(-149, -1, 10_000)),
        ]
    ).astype(np.float32)
    with np.errstate(all="ignore"):
        got = exp2(x)
        exact = np.exp2(x.astype(np.float64))
    assert got.dtype == np.float32
    worst = ulps_from_exact(got, exact).max()
    assert worst <= OWN_ULP, f"exp2 is {worst} ulp from the correctly rounded result"


def test_exp2_of_integers_is_exact_powers_of_two():
    n = np.arange(-149, 128, dtype=np.float32)
    with np.errstate(under="ignore"):
        np.testing.assert_array_equal(exp2(n), np.ldexp(np.float32(1), n.astype(int)).astype(np.float32))


EXP2_CLASSES = {
    # NumPy's float32 exp2 warns for these as the C library does: ironkernel the same.
    "ordinary": [0.0, -0.0, 1.0, -1.0, 0.5, 1e-45, -1e-45, 3.3, -125.9, 125.9, 127.99, -126.0],
    "overflow": [128.0, 200.0, 1e30, 3.4e38],
    "underflow": [-151.0, -160.0, -1e30, -3.4e38, -140.0, -149.0, -127.0, -140.5],
    "quiet": [np.inf, -np.inf, np.nan, -np.nan],
}


@pytest.mark.parametrize("kind", EXP2_CLASSES)
def test_exp2_special_values_warn_and_raise_as_numpy(kind):
    # Each class in a vector of its own and in the tail, alone and next to ordinary values.
    # (NumPy's own float32 exp2 does not signal underflow for some inexact subnormal results,
    # e.g. x = -126.5 or -149.5, where the C library and ironkernel do: not compared.)
    values = np.array(EXP2_CLASSES[kind], np.float32)
    for x in (np.tile(values, 9), values[:1], np.concatenate([np.full(13, 0.25, np.float32), values])):
        got, got_warnings = warned(exp2, x)
        expected, expected_warnings = warned(np.exp2, x)
        with np.errstate(over="ignore"):
            exact = np.exp2(x.astype(np.float64))
        np.testing.assert_array_less(ulps_from_exact(got, exact), OWN_ULP + 1e-9)
        assert np.array_equal(np.isnan(got), np.isnan(expected))
        assert got_warnings == expected_warnings, (kind, got_warnings, expected_warnings)
        assert raised(exp2, x) == raised(np.exp2, x)


POWER_SPECIALS = np.array(
    [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0, -3.0, 2.5, -2.5, 0.25, 7.0, -7.0, 1e-45, -1e-45,
     1e-40, 3e38, -3e38, 16777216.0, 16777217.0, 8388609.0, -8388609.0, 1e10, -1e10, 127.0, 128.0,
     -149.0, -150.0, 0.9999999, 1.0000001, np.inf, -np.inf, np.nan],
    np.float32,
)  # fmt: skip


def test_power_of_special_value_pairs_is_numpys():
    # Every pair of special values (C99's cases, which NumPy's float32 power follows): NaN where
    # NumPy has NaN, the same infinities, zeros (with their signs) and ones; other values within
    # 1 ulp of the correctly rounded result, and within 2 of NumPy's (itself up to 1 off).
    x, y = (np.array(v, np.float32) for v in zip(*itertools.product(POWER_SPECIALS, repeat=2)))
    with np.errstate(all="ignore"):
        got, expected, exact = (
            power(x, y),
            np.power(x, y),
            np.power(x.astype(np.float64), y.astype(np.float64)),
        )
    assert got.dtype == np.float32
    assert np.array_equal(np.isnan(got), np.isnan(expected))
    special = ~np.isfinite(expected) | (expected == 0) | (np.abs(expected) == 1)
    np.testing.assert_array_equal(got[special].view(np.uint32), expected[special].view(np.uint32))
    assert ulps_from_exact(got, exact).max() <= OWN_ULP
    check_kernel(lambda a, b: np.power(a, b), x, y, ulp=2, kernel=power)


@pytest.mark.parametrize("base", POWER_SPECIALS)
def test_power_warns_and_raises_as_numpy_for_every_special_pair(base):
    # Each pair alone (the warnings of one pair), in a whole vector and in a tail. (NumPy's own
    # float32 power warns of overflow for 3e38 ** inf, where C99, the C library and ironkernel
    # give inf without a flag, as NumPy does for 2 ** inf: not compared.)
    for exponent in POWER_SPECIALS:
        if abs(base) == np.float32(3e38) and np.isinf(exponent):
            continue
        for n in (17, 3):
            x, y = np.full(n, base, np.float32), np.full(n, exponent, np.float32)
            (got, got_warnings), (expected, expected_warnings) = warned(power, x, y), warned(np.power, x, y)
            assert np.array_equal(np.isnan(got), np.isnan(expected)), (base, exponent)
            assert got_warnings == expected_warnings, (base, exponent, got_warnings, expected_warnings)
            assert raised(power, x, y) == raised(np.power, x, y), (base, exponent)


def power_sweep(rng, n):
    """Bases over the whole float32 range (subnormals, both signs) with exponents that keep many
    results finite, integer exponents for negative bases, and bases near 1 with large exponents."""
    magnitude = np.exp2(rng.uniform(-149, 128, n))
    x = np.concatenate(
        [
            magnitude * rng.choice([-1, 1], n),
            rng.uniform(0, 4, n),
            1 + rng.uniform(-1e-3, 1e-3, n),
            -rng.uniform(0, 10, n),
        ]
    )
    y = np.concatenate(
        [
            rng.uniform(-3, 3, n)
            * np.where(rng.random(n) < 0.5, 1, 40 / np.maximum(np.abs(np.log2(magnitude)), 1)),
            rng.uniform(-80, 80, n),
            rng.uniform(-1e5, 1e5, n),
            rng.integers(-40, 40, n).astype(float),
        ]
    )
    with np.errstate(over="ignore", under="ignore"):
        return x.astype(np.float32), y.astype(np.float32)


def test_power_is_within_one_ulp_over_a_dense_sweep():
    x, y = power_sweep(np.random.default_rng(21), 150_000)
    with np.errstate(all="ignore"):
        got, numpys = power(x, y), np.power(x, y)
        exact = np.power(x.astype(np.float64), y.astype(np.float64))
    worst = ulps_from_exact(got, exact).max()
    assert worst <= OWN_ULP, f"power is {worst} ulp from the correctly rounded result"
    assert ulps_from_exact(got, numpys.astype(np.float64)).max() <= 2 * OWN_ULP
    # Negative bases to integer powers keep their sign, to other powers are NaN.
    negative = x < 0
    assert np.array_equal(np.signbit(got[negative]), np.signbit(numpys[negative]))


def test_power_is_within_one_ulp_at_its_table_boundaries_and_fast_path_edges():
    # The fast path's table intervals (x = 2^e (1 + j/32), a few ulps either side, with y to keep
    # |y log2 x| up to 127), x next to 1 with large y, and |y log2 x| around 125, where a lane
    # leaves the fast path (its neighbours stay on it).
    rng = np.random.default_rng(23)
    n = 100_000
    edges = np.ldexp(1 + rng.integers(0, 33, n) / 32, rng.integers(-30, 30, n)).astype(np.float32)
    nudged = (edges.view(np.int32) + rng.integers(-40, 40, n).astype(np.int32)).view(np.float32)
    near_one = (1 + np.ldexp(rng.uniform(-1, 1, n), -rng.integers(0, 24, n))).astype(np.float32)
    spread = np.exp2(rng.uniform(-125, 125, n)).astype(np.float32)
    x = np.concatenate([nudged, near_one, spread])
    with np.errstate(divide="ignore"):
        log2_x = np.abs(np.log2(x.astype(np.float64)))
    reach = np.concatenate([rng.uniform(-127, 127, 2 * n), rng.uniform(121, 129, n) * rng.choice([-1, 1], n)])
    y = np.where(log2_x > 0, reach / np.where(log2_x > 0, log2_x, 1), 1e6).astype(np.float32)
    with np.errstate(all="ignore"):
        got = power(x, y)
        exact = np.power(x.astype(np.float64), y.astype(np.float64))
    worst = ulps_from_exact(got, exact).max()
    assert worst <= OWN_ULP, f"power is {worst} ulp from the correctly rounded result"


def test_power_of_a_sweep_warns_as_numpy_in_chunks_and_chains():
    # The flags of whole arrays (every kind of result together), in a one-op body and in a longer
    # one (chunked evaluation with the unchecked routines, redone when a flag is raised).
    x, y = power_sweep(np.random.default_rng(22), 3000)
    check_kernel(lambda a, b: np.power(a, b), x, y, ulp=2, kernel=power)
    check_kernel(lambda a, b: np.power(a * 1.0, b) + 1.0, x, y, ulp=MATH_ULP)
    positive = np.abs(x) + np.float32(0.5)
    check_kernel(lambda a, b: np.power(a, b * 0.5) * 2.0, positive, y % 20, ulp=MATH_ULP)
    check_kernel(lambda a: a**2.5, positive, ulp=MATH_ULP)
