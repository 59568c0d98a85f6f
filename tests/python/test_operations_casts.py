"""Casts and overflow against NumPy: astype, out-of-range and float16 casts, Python numbers overflowing
the loop dtype."""

import numpy as np
import pytest
from numpy_reference import check_kernel
from operation_values import FLOATS

import ironkernel as ik


def test_astype_and_numpy_scalar_constants():
    x = np.array([-2.7, -0.5, 0.5, 1.5, 300.7, 1e10, np.nan, np.inf])
    check_kernel(lambda a: a.astype(np.int32), x)
    check_kernel(lambda a: a.astype(np.int8), x)
    check_kernel(lambda a: a.astype(np.uint8), x)
    check_kernel(lambda a: a.astype(np.int64), x)
    check_kernel(lambda a: a.astype(np.float32) * np.float32(1.1), x)
    check_kernel(lambda a: a.astype(bool), x)
    check_kernel(lambda a: (a > 0).astype(np.float64) * 2, x)


@pytest.mark.parametrize("source", FLOATS)
@pytest.mark.parametrize("target", [np.uint64, np.int64])
def test_out_of_range_float_to_64_bit_integer_casts_match_numpy(source, target):
    # NumPy's casts are C's conversions as x86-64 computes them: out of range (and NaN) they give
    # the integer indefinite 2**63 with an "invalid value" warning, and to uint64 values at or
    # above 2**63 are converted less 2**63, so 2**64, 3e19 and inf become 0, not 2**63.
    with np.errstate(over="ignore"):
        x = np.array(
            [
                2.0**64,
                3e19,
                np.inf,
                -np.inf,
                np.nan,
                2.0**63,
                2.0**64 - 2048,
                2.0**63 - 1024,
                -1.0,
                -0.5,
                -(2.0**63),
                1e30,
                -1e30,
                65504.0,
                1.5,
            ],
            source,
        )
    for values in (x, x[:1], x[1:2], x[2:3], x[3:5], x[8:9], x[9:]):  # the warning of each alone
        check_kernel(lambda a: a.astype(target), values)
    check_kernel(lambda a: a.astype(target), np.tile(x, 7)[::3])


def test_float16_casts_round_like_numpy():
    rng = np.random.default_rng(5)
    x64 = np.concatenate(
        [
            rng.standard_normal(3000) * 10.0 ** rng.integers(-9, 6, 3000),
            [65504.0, 65519.99, 65520.0, 1e-8, 2.0**-25, 2.0**-24 * 1.5, np.nan, -np.inf, -0.0],
        ]
    )
    check_kernel(lambda a: a.astype(np.float16), x64)
    check_kernel(lambda a: a.astype(np.float16), x64.astype(np.float32))
    check_kernel(lambda a: a.astype(np.float16), np.arange(-70000, 70000, 7, dtype=np.int64))
    h = x64.astype(np.float16)
    for target in (np.float32, np.float64, np.int32, np.int8, np.uint16, bool):
        check_kernel(lambda a, t=target: a.astype(t), h)


def test_float16_arithmetic_overflow_warns_like_numpy():
    h = np.array([60000.0, 2.0, -60000.0, 1e-4], np.float16)
    check_kernel(lambda a: a * a, h)
    check_kernel(lambda a: a * np.float16(1e-3), h)


@pytest.mark.skipif(
    np.lib.NumpyVersion(np.__version__) < "2.0.0",
    reason="NumPy 1.x computes in the constant's float64 instead of casting it",
)
def test_python_numbers_overflowing_the_loop_dtype_warn_on_every_call_like_numpy():
    # NumPy casts the Python number into the array's dtype on every call and warns of the
    # overflow each time, also when np.where selects no lane of it.
    x32 = np.array([1.0, -2.0, 0.0, 3.5], np.float32)
    h = x32.astype(np.float16)
    c = (x32 + 1j).astype(np.complex64)
    for body, x in [
        (lambda a: a * 1e300, x32),
        (lambda a: a - (-1e300), x32),
        (lambda a: a * 100000, h),
        (lambda a: a + 70000.0, h),
        (lambda a: np.where(a > -5, a, 1e300), x32),
        (lambda a: np.where(a > -5, np.where(a < 5, a, -1e40), a), x32),
        (lambda a: a * complex(1e300, 1.0), c),
    ]:
        kernel = ik.ufunc(body)
        for _ in range(2):
            check_kernel(body, x, kernel=kernel)
    # The same numbers in range, and underflow to zero, which NumPy does not report.
    for body, x in [(lambda a: a * 1e30, x32), (lambda a: a * 65504.0, h), (lambda a: a * 1e-300, x32)]:
        check_kernel(body, x)
    with np.errstate(over="raise"), pytest.raises(FloatingPointError):
        ik.ufunc(lambda a: a * 1e300)(x32)
    with np.errstate(all="raise"):
        ik.ufunc(lambda a: a * 1e-300)(x32)
