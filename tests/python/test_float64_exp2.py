"""float64 exp2, ironkernel's own vector routine (csrc/simd/own_exp2.hpp): within 1 ULP of the
correctly rounded result (long double's exp2 as the reference: 11 more bits), powers of two
exact, and NumPy's special values, warnings and exceptions."""

import numpy as np
import pytest
from numpy_reference import raised, warned

import ironkernel as ik

OWN_ULP = 1.0
exp2 = ik.ufunc(lambda a: np.exp2(a))

pytestmark = pytest.mark.skipif(
    np.finfo(np.longdouble).nmant < 63, reason="needs x87 long double as the reference (x86-64)"
)


def ulps_from_exact(got: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """|got - exact| in ULPs of the float64 nearest to exact."""
    with np.errstate(all="ignore"):
        nearest = exact.astype(np.float64)
        spacing = np.spacing(np.abs(nearest)).astype(np.longdouble)
        same = (got == nearest) | (np.isnan(got) & np.isnan(nearest))
        d = np.abs(got.astype(np.longdouble) - exact) / spacing
    return np.where(same, 0.0, np.where(np.isnan(d), np.inf, d.astype(np.float64)))


def test_exp2_is_within_one_ulp_over_its_whole_range():
    rng = np.random.default_rng(64)
    x = np.concatenate(
        [
            rng.uniform(-1080, 1025, 1_000_000),
            rng.uniform(-1, 1, 500_000),
            rng.uniform(-1e-3, 1e-3, 100_000),
            np.arange(-1075, 1024, 0.125),
            np.ldexp(rng.uniform(-1, 1, 10_000), rng.integers(-1074, -1, 10_000)),
        ]
    )
    with np.errstate(all="ignore"):
        got = exp2(x)
        exact = np.exp2(x.astype(np.longdouble))
    assert got.dtype == np.float64
    worst = ulps_from_exact(got, exact).max()
    assert worst <= OWN_ULP, f"exp2 is {worst} ulp from the correctly rounded result"


def test_exp2_of_integers_is_exact_powers_of_two():
    n = np.arange(-1074, 1024, dtype=np.float64)
    with np.errstate(under="ignore"):
        np.testing.assert_array_equal(exp2(n), np.ldexp(1.0, n.astype(int)))


EXP2_CLASSES = {
    "ordinary": [0.0, -0.0, 1.0, -1.0, 0.5, 5e-324, -5e-324, 3.3, -1021.9, 1021.9, 1023.99, -1022.0],
    "overflow": [1024.0, 2000.0, 1e300, 1.7e308],
    "underflow": [-1075.0, -1100.0, -1e300, -1.7e308, -1050.0, -1074.0, -1023.0, -1050.5],
    "quiet": [np.inf, -np.inf, np.nan, -np.nan],
}


@pytest.mark.parametrize("kind", EXP2_CLASSES)
def test_exp2_special_values_warn_and_raise_as_numpy(kind):
    # Each class in a vector of its own and in the tail, alone and next to ordinary values.
    values = np.array(EXP2_CLASSES[kind])
    for x in (np.tile(values, 9), values[:1], np.concatenate([np.full(13, 0.25), values])):
        got, got_warnings = warned(exp2, x)
        expected, expected_warnings = warned(np.exp2, x)
        with np.errstate(all="ignore"):
            exact = np.exp2(x.astype(np.longdouble))
        np.testing.assert_array_less(ulps_from_exact(got, exact), OWN_ULP + 1e-9)
        assert np.array_equal(np.isnan(got), np.isnan(expected))
        special = ~np.isfinite(expected) | (expected == 0)
        np.testing.assert_array_equal(got[special], expected[special])
        assert got_warnings == expected_warnings, (kind, got_warnings, expected_warnings)
        assert raised(exp2, x) == raised(np.exp2, x)
