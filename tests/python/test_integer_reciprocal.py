"""np.reciprocal of integers, one loop (csrc/eval/kernels/integer_division_kernels.inc): NumPy computes
1.0 / x in float64 and converts back, so 1 and -1 give themselves, every other nonzero value 0, and
0 the conversion of an infinity with divide-by-zero and invalid warnings."""

import warnings

import numpy as np
import pytest

import ironkernel as ik

INTEGERS = ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"]
reciprocal = ik.ufunc(lambda x: np.reciprocal(x))


def values(dtype):
    info = np.iinfo(dtype)
    if info.bits <= 8:
        every = range(info.min, info.max + 1)
    else:
        every = [info.min, info.min + 1, -2, -1, 1, 2, 3, info.max - 1, info.max]
    return np.array([v for v in every if v != 0 and info.min <= v <= info.max], dtype=dtype)


def warnings_of(f, *args):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = f(*args)
    return result, sorted(str(w.message).split(" encountered")[0] for w in caught)


@pytest.mark.parametrize("dtype", INTEGERS)
def test_nonzero_values_are_numpys_without_warnings(dtype):
    x = np.resize(values(dtype), 1000 + 37)  # whole vectors and a tail
    got, got_warnings = warnings_of(reciprocal, x)
    expected, expected_warnings = warnings_of(np.reciprocal, x)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
    assert got_warnings == expected_warnings == []


@pytest.mark.parametrize("dtype", INTEGERS)
@pytest.mark.parametrize("at", [0, 5, 4999])
def test_zero_gives_numpys_value_and_warnings(dtype, at):
    x = np.resize(values(dtype), 5000)
    x[at] = 0
    got, got_warnings = warnings_of(reciprocal, x)
    expected, expected_warnings = warnings_of(np.reciprocal, x)
    np.testing.assert_array_equal(got, expected)
    assert got_warnings == expected_warnings == ["divide by zero", "invalid value"]


@pytest.mark.parametrize("dtype", ["int8", "uint32", "int64"])
def test_in_a_fused_body(dtype):
    fused = ik.ufunc(lambda x: np.reciprocal(x) + x)
    x = np.resize(values(dtype), 3001)
    np.testing.assert_array_equal(fused(x), np.reciprocal(x) + x)
