"""Sums, means, variances and dots in gufuncs: NumPy's bits for every row length, pairwise accuracy,
float16 accumulation, threads."""

import numpy as np
import pytest
from numpy_reference import assert_same, rows, with_thread_counts

import ironkernel as ik


def test_sum_is_pairwise_accurate_and_thread_independent():
    k = ik.gufunc("(n)->()")(lambda x: np.sum(x))
    x = np.full((4, 1_000_003), 0.1)
    exact = float(np.sum(np.full(1_000_003, 0.1, dtype=np.longdouble)))
    got = k(x)
    assert np.all(np.abs(got - exact) <= np.abs(np.sum(x[0]) - exact) + 1e-9)  # as accurate as NumPy's
    one, two = with_thread_counts(k, x)
    np.testing.assert_array_equal(one, two)


# Row lengths around NumPy's pairwise blocks (128 floats: 128 real values, 64 complex ones), the
# chunks of a pass (4096) and NumPy 1.26's buffers (8192), and long rows that split among threads.
ROW_LENGTHS = (
    1,
    3,
    4,
    5,
    7,
    8,
    9,
    63,
    64,
    65,
    127,
    128,
    129,
    1000,
    4095,
    4096,
    4097,
    8191,
    8192,
    8193,
    20_000,
    20_011,
    100_003,
)


def values_of_many_magnitudes(rng, shape, dtype):
    """Magnitudes from 1e-3 to 1e3 (in each part of complex values): any other order of the adds
    changes the last bits."""

    def part():
        return rng.standard_normal(shape) * 10.0 ** rng.integers(-3, 4, shape)

    return (part() + 1j * part() if np.dtype(dtype).kind == "c" else part()).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.complex128, np.complex64])
@pytest.mark.parametrize("name", ["sum", "mean", "var", "std"])
def test_sums_have_numpys_bits_for_every_row_length(name, dtype):
    # NumPy sums a contiguous row pairwise, halving it down to blocks; ironkernel cuts long rows
    # into chunks along the same halving and adds the chunks' sums up it: the same bits, on any
    # number of threads. Complex rows halve as the stream of their interleaved parts (another
    # cut); np.var sums the squares of both parts as real values.
    k = ik.gufunc("(n)->()")(lambda x, f=getattr(np, name): f(x))
    rng = np.random.default_rng(12)
    for n in ROW_LENGTHS:
        if (
            n > 65504
            and dtype == np.float16
            and name in ("var", "std")
            and np.lib.NumpyVersion(np.__version__) < "2.0.0"
        ):
            continue  # NumPy 1.26 divides a float16 sum by a count float16 cannot hold (documented in gufuncs.md)
        x = values_of_many_magnitudes(rng, (3, n), dtype)
        expected = getattr(np, name)(x, axis=-1)
        for got in with_thread_counts(k, x):
            assert_same(got, expected)


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_a_long_complex_row_splits_among_threads_with_numpys_bits(dtype):
    k = ik.gufunc("(n)->(),()")(lambda z: (np.sum(z), np.mean(z)))
    z = values_of_many_magnitudes(np.random.default_rng(13), (1, 300_001), dtype)
    for got in with_thread_counts(k, z):
        assert_same(got[0], np.sum(z, axis=-1))
        assert_same(got[1], np.mean(z, axis=-1))


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_a_pass_with_complex_and_real_sums_gives_numpys_bits_for_both(dtype):
    # Complex and real sums cut a row differently: such a pass runs along each cut, writing its
    # vector output once; in either order of the sums in the pass.
    def complex_first(z):
        return np.sum(z), np.sum(np.abs(z)), np.max(z.real), z * 2

    def real_first(z):
        return np.sum(z.imag), np.sum(z), np.max(z.real), z * 2

    rng = np.random.default_rng(14)
    for body in (complex_first, real_first):
        k = ik.gufunc("(n)->(),(),(),(n)")(body)
        for n in (5, 129, 8193, 20_000, 300_001):
            z = values_of_many_magnitudes(rng, (1 if n > 20_000 else 3, n), dtype)
            expected = [np.stack(e) for e in zip(*(body(row) for row in z))]
            for got in with_thread_counts(k, z):
                for g, e in zip(got, expected):
                    assert_same(g, e)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.complex128, np.complex64])
def test_sums_of_negative_zeros_are_positive_zero_as_numpy(dtype):
    # NumPy adds a row's sum to the identity +0.
    k = ik.gufunc("(n)->(),()")(lambda x: (np.sum(x), np.mean(x)))
    for n in (1, 9, 5000):
        x = np.full((2, n), -0.0 - 0.0j if np.dtype(dtype).kind == "c" else -0.0, dtype)
        got = k(x)
        assert_same(got[0], np.sum(x, axis=-1))
        assert_same(got[1], np.mean(x, axis=-1))


def test_float16_sums_accumulate_in_float32_as_numpy():
    """1000 halves of 0.1: summing in float16 would stall at 64; NumPy and ironkernel give 100."""
    x = np.full((2, 1000), 0.1, np.float16)
    k = ik.gufunc("(n)->()")(lambda v: np.sum(v))
    got = k(x)
    assert got.dtype == np.float16
    np.testing.assert_array_equal(got, np.sum(x, axis=-1))
    with np.errstate(over="raise"), pytest.raises(FloatingPointError):
        k(np.full((1, 10), 60000, np.float16))  # overflows float16 when rounded, as in NumPy


def test_float16_dot_adds_exact_products_in_float32_one_after_the_other():
    # NumPy's float16 dot: products exact in float32, added in float32 one after the other from
    # +0, rounded once: the same bits (a pairwise sum was one float16 ulp off now and then), also
    # where long rows would split among threads.
    k = ik.gufunc("(n),(n)->()")(lambda a, b: np.dot(a, b))
    rng = np.random.default_rng(7)
    for n in ROW_LENGTHS:
        shape = (1 if n > 20_000 else 40, n)
        a = (rng.standard_normal(shape) * 10.0 ** rng.integers(-2, 2, shape)).astype(np.float16)
        b = rng.standard_normal(shape).astype(np.float16)
        expected = rows(np.dot, a, b)
        for got in with_thread_counts(k, a, b):
            assert_same(got, expected)
    zeros = np.full((1, 9), -0.0, np.float16)
    assert_same(k(zeros, np.ones_like(zeros)), rows(np.dot, zeros, np.ones_like(zeros)))  # +0, as NumPy


def test_float_dot_is_within_the_documented_bound():
    # NumPy hands float32/float64 dots to BLAS, whose order (and FMA use) is its own: ironkernel's
    # pairwise sum of rounded products is not bit-identical but within the bound docs/guide/gufuncs.md
    # states, (ceil(log2 n) + 26) units of roundoff times the sum of |a_i * b_i|, as BLAS's is
    # within n of them.
    from fractions import Fraction

    k = ik.gufunc("(n),(n)->()")(lambda a, b: np.dot(a, b))
    rng = np.random.default_rng(8)
    for dtype in (np.float32, np.float64):
        for n in (1, 7, 9, 129, 4097, 20_000):
            a, b = (values_of_many_magnitudes(rng, (2, n), dtype) for _ in range(2))
            got = k(a, b)
            for row in range(2):
                products = [Fraction(float(p)) * Fraction(float(q)) for p, q in zip(a[row], b[row])]
                exact = sum(products)
                roundoff = float(np.finfo(dtype).eps) / 2
                bound = (int(np.ceil(np.log2(n))) + 26) * roundoff * float(sum(map(abs, products)))
                assert abs(Fraction(float(got[row])) - exact) <= Fraction(bound), (dtype, n)
