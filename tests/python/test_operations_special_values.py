"""NumPy's bits for signed zeros, NaN payloads and infinities: extrema, nextafter, sign, clip."""

import warnings

import numpy as np
import pytest
from numpy_reference import check_kernel
from operation_values import FLOATS, binary_kernel

import ironkernel as ik


def assert_bits_of_numpy_without_warnings(name: str, x: np.ndarray, y: np.ndarray) -> None:
    """The kernel of np.<name>(x, y) gives NumPy's bytes (NaN payloads included) and warns of nothing."""
    f = ik.ufunc(binary_kernel(name))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = f(x, y)
    np.testing.assert_array_equal(got.view(np.uint8), getattr(np, name)(x, y).view(np.uint8))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["maximum", "minimum", "fmax", "fmin"])
def test_extrema_of_every_pair_of_special_values(name, dtype):
    # Every pair of NaNs (two payloads, both signs), signed zeros, infinities and equal values, in
    # every lane position of the vector loops: NumPy's bits (which NaN wins, which zero) and no
    # warning.
    nan2 = np.frombuffer(
        np.array(
            [0x7FF8000000000123 if dtype == np.float64 else 0x7FC00123],
            np.uint64 if dtype == np.float64 else np.uint32,
        ).tobytes(),
        dtype,
    )[0]
    special = np.array([np.nan, -np.nan, nan2, 0.0, -0.0, np.inf, -np.inf, 1.0, -1.0, 2.0], dtype)
    x, y = (a.ravel() for a in np.meshgrid(special, special))
    x, y = np.concatenate([x, y[:37]]), np.concatenate([y, x[:37]])  # and a tail past whole vectors
    assert_bits_of_numpy_without_warnings(name, x, y)


@pytest.mark.parametrize("name", ["maximum", "minimum", "fmax", "fmin", "nextafter"])
def test_float16_extrema_and_nextafter_of_signed_zeros_and_nans_have_numpys_bits(name):
    # NumPy's float16 loops return the first operand on ties (-0.0 against 0.0), where float32
    # and float64 return the second; nextafter gives the default NaN for any NaN operand.
    special = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf], np.float16)
    nans = np.array([0x7E00, 0xFE00, 0x7D01, 0xFE01], np.uint16).view(np.float16)  # quiet, signalling, signs
    special = np.concatenate([special, nans])
    x, y = (a.ravel() for a in np.meshgrid(special, special))
    assert_bits_of_numpy_without_warnings(name, x, y)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sign_of_special_values(dtype):
    # The vector loop and its scalar tail: NaNs keep their payload and sign, zeros become +0.0.
    info = np.finfo(dtype)
    special = np.array(
        [
            np.nan,
            -np.nan,
            0.0,
            -0.0,
            np.inf,
            -np.inf,
            info.smallest_subnormal,
            -info.smallest_subnormal,
            info.max,
            -info.min,
            1.0,
            -2.0,
            0.5,
        ],
        dtype,
    )
    x = np.concatenate([np.tile(special, 6), special[:5]])  # 83: a tail of 3 lanes
    got = ik.ufunc(lambda a: np.sign(a))(x)
    np.testing.assert_array_equal(got.view(np.uint8), np.sign(x).view(np.uint8))


def test_clip_and_fix():
    x = np.concatenate([np.linspace(-3, 3, 61), [np.nan, np.inf, -np.inf, -0.0]])
    check_kernel(lambda a: np.clip(a, -1, 1.5), x)
    check_kernel(lambda a: np.clip(a, -1, None), x)
    check_kernel(lambda a: np.fix(a), x)
    check_kernel(lambda a: np.clip(a, -1, 1.5), x.astype(np.float32))


@pytest.mark.parametrize("dtype", FLOATS)
def test_clip_of_signed_zeros_keeps_numpys_zero(dtype):
    # Every sign of zero for x and both bounds: with constant bounds NumPy's clip keeps x on ties
    # (np.clip(-0.0, 0, 1) is -0.0); with bounds given as arrays, and with one bound (np.maximum
    # or np.minimum), float32/64 return the bound; float16 keeps x everywhere.
    zeros = np.array([0.0, -0.0], dtype)
    x = np.tile(np.repeat(zeros, 8), 5)  # both signs in vector lanes and a scalar tail
    for lo, hi in [
        (0.0, -0.0),
        (-0.0, 0.0),
        (0.0, 0.0),
        (-0.0, -0.0),
        (-0.0, 1),
        (0.0, 1),
        (-1, 0.0),
        (-1, -0.0),
    ]:
        check_kernel(lambda a, lo=lo, hi=hi: np.clip(a, lo, hi), x)
        check_kernel(lambda a, lo=lo, hi=hi: np.clip(a, dtype(lo), dtype(hi)), x)
        check_kernel(lambda a, lo=lo: np.clip(a, lo, None), x)
        check_kernel(lambda a, hi=hi: np.clip(a, None, hi), x)
        check_kernel(lambda a, low, high: np.clip(a, low, high), x, np.full_like(x, lo), np.full_like(x, hi))
    check_kernel(lambda a: np.clip(a, np.nan, 1), x)
    check_kernel(lambda a: np.clip(a, 0, np.nan), np.array([np.nan, 2, -2, 0.5], dtype))
