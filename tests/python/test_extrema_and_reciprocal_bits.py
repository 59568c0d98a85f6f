"""Float extrema (minimum, maximum, fmin, fmax) and complex reciprocal, whose kernels pick
operands lane by lane (csrc/eval/kernels/float_vector_kernels.inc, complex_kernels.inc): NumPy's
bits, NaN payloads and signs included, and NumPy's floating-point errors, at every length."""

import numpy as np
import pytest

import ironkernel as ik

BITS = {np.float32: np.uint32, np.float64: np.uint64}
# Quiet and signalling NaNs of either sign with payloads, as bit patterns.
NAN_BITS = {
    np.float32: [0x7FC00000, 0xFFC00000, 0x7FC12345, 0xFFD00001, 0x7F800001, 0xFFA00007],
    np.float64: [
        0x7FF8000000000000,
        0xFFF8000000000000,
        0x7FF8000000012345,
        0xFFFC000000000001,
        0x7FF0000000000001,
        0xFFF4000000000007,
    ],
}


def special_values(dtype):
    info = np.finfo(dtype)
    edges = [info.max, -info.max, info.tiny, info.smallest_subnormal]
    ordinary = np.array([0.0, -0.0, 1.0, -1.0, 2.5, -2.5, np.inf, -np.inf, *edges], dtype)
    nans = np.array(NAN_BITS[dtype], BITS[dtype]).view(dtype)
    return np.concatenate([ordinary, nans])


def every_pair_and_random(dtype, n_random=3000):
    """Every pair of special values, then random values with specials sprinkled in."""
    s = special_values(dtype)
    a, b = np.repeat(s, s.size), np.tile(s, s.size)
    rng = np.random.default_rng(5)
    x = (rng.standard_normal(n_random) * 100).astype(dtype)
    y = (rng.standard_normal(n_random) * 100).astype(dtype)
    x[::7], y[::11] = rng.choice(s, x[::7].size), rng.choice(s, y[::11].size)
    y[::13] = x[::13]  # equal operands, where the choice between them shows (0.0 and -0.0 are equal)
    return np.concatenate([a, x]), np.concatenate([b, y])


def outcome(fn, *args):
    """The result's bits and the floating-point error raised (None if none)."""
    with np.errstate(all="raise"):
        try:
            result = fn(*args)
        except FloatingPointError as error:
            return None, str(error).split(" encountered")[0]
    with np.errstate(all="ignore"):
        result = fn(*args)
    return result.view(np.uint8), None


def assert_same_outcome(kernel, reference, *args):
    got, got_error = outcome(kernel, *args)
    expected, expected_error = outcome(reference, *args)
    assert got_error == expected_error
    if expected is not None:
        np.testing.assert_array_equal(got, expected)


EXTREMA = ["minimum", "maximum", "fmin", "fmax"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("name", EXTREMA)
def test_extrema_give_numpys_bits_and_no_warning(name, dtype):
    reference = getattr(np, name)
    kernel = ik.ufunc(lambda a, b: reference(a, b))
    a, b = every_pair_and_random(dtype)
    assert_same_outcome(kernel, reference, a, b)
    assert_same_outcome(kernel, reference, b, a)
    for n in [*range(0, 70), 127, 129, 1000]:  # the vector loop and its tail
        assert_same_outcome(kernel, reference, a[-n - 3 : -3], b[-n - 3 : -3])


def complex_values(dtype):
    part = np.float32 if dtype == np.complex64 else np.float64
    s = special_values(part)
    with np.errstate(all="ignore"):
        edges = np.array([np.finfo(part).max / 2, 1e-30, 1e30, 3.0, -0.5], part)
    parts = np.concatenate([s, edges])
    z = np.empty(parts.size**2, dtype)
    z.real, z.imag = np.repeat(parts, parts.size), np.tile(parts, parts.size)
    rng = np.random.default_rng(6)
    body = np.empty(3000, dtype)
    body.real = rng.standard_normal(3000) * rng.choice([1e-3, 1, 1e3], 3000)
    body.imag = rng.standard_normal(3000) * rng.choice([1e-3, 1, 1e3], 3000)
    return z, body


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128], ids=lambda t: np.dtype(t).name)
def test_complex_reciprocal_gives_numpys_bits_and_errors(dtype):
    kernel = ik.ufunc(lambda z: np.reciprocal(z))
    special, body = complex_values(dtype)
    assert_same_outcome(kernel, np.reciprocal, body)
    for value in special:  # one element at a time: which of them raises an error must agree too
        assert_same_outcome(kernel, np.reciprocal, np.full(17, value))
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(kernel(special).view(np.uint8), np.reciprocal(special).view(np.uint8))
    for n in [*range(0, 40), 1000]:
        assert_same_outcome(kernel, np.reciprocal, body[:n])


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128], ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("name", EXTREMA)
def test_complex_extrema_give_numpys_bits_and_no_warning(name, dtype):
    # Lexicographic order, a NaN part deciding (csrc/eval/kernels/complex_kernels.inc's vectors).
    reference = getattr(np, name)
    kernel = ik.ufunc(lambda a, b: reference(a, b))
    special, body = complex_values(dtype)
    a, b = np.repeat(special, special.size), np.tile(special, special.size)
    assert_same_outcome(kernel, reference, a, b)
    x, y = body, body[::-1].copy()
    y[::5] = x[::5]  # equal operands
    y[1::5].real = x[1::5].real  # equal real parts: the imaginary ones decide
    for n in [*range(0, 40), 1000]:  # the vector loop and its tail
        assert_same_outcome(kernel, reference, x[:n], y[:n])
        assert_same_outcome(kernel, reference, y[:n], x[:n])
