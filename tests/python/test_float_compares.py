"""Float comparisons and classifications (isnan, isinf, isfinite, signbit) as one-op bodies against
NumPy's loops: every length around the kernels' 64-lane stores and the masked last lanes, inputs
off their alignment, out= neighbours left alone, and no floating-point flag from a signalling NaN
(NumPy's comparisons raise none)."""

import warnings

import numpy as np
import pytest

import ironkernel as ik

CLASSIFICATIONS = [np.isnan, np.isinf, np.isfinite, np.signbit]
COMPARISONS = [np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal]
FLOATS = [np.float32, np.float64]
LENGTHS = [*range(0, 130), 1000, 4097]


def special_values(dtype):
    return np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e-40, -1e-300, 5.0, 5.0], dtype=dtype)


def signalling_nan(dtype, negative=False):
    bits = np.uint64(0x7FF0000000000001) if dtype == np.float64 else np.uint32(0x7F800001)
    if negative:
        bits |= np.uint64(1 << 63) if dtype == np.float64 else np.uint32(1 << 31)
    return np.frombuffer(bits.tobytes(), dtype)[0]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("compare", COMPARISONS, ids=lambda f: f.__name__)
def test_every_length_and_offset_matches_numpy(compare, dtype):
    f = ik.ufunc(lambda a, b: compare(a, b))
    rng = np.random.default_rng(7)
    for n in LENGTHS:
        a = rng.choice(special_values(dtype), n + 3)
        b = rng.choice(special_values(dtype), n + 3)
        for offset in (0, 1, 3):  # element offsets move the inputs off their vectors' alignment
            x, y = a[offset : offset + n], b[3 - offset : 3 - offset + n]
            expected = compare(x, y)
            out = np.ones(n + 5, dtype=bool)
            with np.errstate(all="raise"):
                f(x, y, out=out[2:-3])
            np.testing.assert_array_equal(out[2:-3], expected, err_msg=f"n={n} offset={offset}")
            assert out[:2].all() and out[-3:].all(), f"n={n}: a byte outside out= was written"


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("compare", COMPARISONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("n", [1, 70])
def test_signalling_nan_raises_no_warning(compare, dtype, n):
    f = ik.ufunc(lambda a, b: compare(a, b))
    a = np.full(n, signalling_nan(dtype))
    b = np.ones(n, dtype)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        expected = compare(a, b)
        got = f(a, b)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("classify", CLASSIFICATIONS, ids=lambda f: f.__name__)
def test_classifications_match_numpy_with_every_kind_of_value(classify, dtype):
    f = ik.ufunc(lambda a: classify(a))
    nans = np.empty(3, dtype)  # set element by element: a cast would quiet a signalling NaN
    nans[0], nans[1], nans[2] = -np.nan, signalling_nan(dtype), signalling_nan(dtype, negative=True)
    subnormals = np.finfo(dtype).smallest_subnormal * np.array([1, -1, 3], dtype)
    values = np.concatenate([special_values(dtype), nans, subnormals])
    signalling_bit = (
        int(values.view(f"u{values.itemsize}")[-5]) & 1
    )  # a Python int: NumPy 1.26 promotes uint64 & 1
    assert np.isnan(values).sum() == 4 and signalling_bit  # one signalling NaN kept
    rng = np.random.default_rng(11)
    for n in LENGTHS:
        a = rng.choice(values, n + 1)
        for offset in (0, 1):
            x = a[offset : offset + n]
            out = np.zeros(n + 5, dtype=bool)
            with warnings.catch_warnings(), np.errstate(all="raise"):
                warnings.simplefilter("error")
                expected = classify(x)
                f(x, out=out[2:-3])
            np.testing.assert_array_equal(out[2:-3], expected, err_msg=f"n={n} offset={offset}")
            assert not out[:2].any() and not out[-3:].any(), f"n={n}: a byte outside out= was written"
