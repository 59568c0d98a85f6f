"""Gufuncs whose body is one reduction (np.sum(x), np.argmax(x), ...): reduced straight from the
operand (csrc/eval/direct_reduce*), row by row or rows side by side; NumPy's bits on every layout."""

import numpy as np
import pytest
from numpy_reference import assert_same, with_thread_counts

import ironkernel as ik

FUNCTIONS = ["sum", "mean", "max", "min", "argmax", "argmin", "any", "all"]
DTYPES = [
    np.float64,
    np.float32,
    np.int8,
    np.uint8,
    np.int16,
    np.uint16,
    np.int32,
    np.uint32,
    np.int64,
    np.uint64,
    np.bool_,
]
# Around the pairwise blocks (8, 128), the vector widths of the extrema (4 vectors of 64 bytes:
# 32 float64 ... 256 int8) and their tails, and rows that halve more than once.
LENGTHS = [1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 65, 127, 128, 129, 255, 256, 257, 1000, 4097]
BLOCK_ROWS = {9: (8200, 300, 3), 129: (1100, 3)}


def kernel(name):
    return ik.gufunc("(n)->()")(lambda v, f=getattr(np, name): f(v))


KERNELS = {name: kernel(name) for name in FUNCTIONS}


def values(rng, shape, dtype):
    """Floats of many magnitudes (so that any other order of a sum changes its last bits), some
    zeros; small integers (mean sums exactly, so NumPy's buffered cast cannot differ); bools."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.random(shape) < 0.5
    if dtype.kind in "iu":
        return rng.integers(0 if dtype.kind == "u" else -50, 50, shape).astype(dtype)
    x = rng.standard_normal(shape) * 10.0 ** rng.integers(-3, 4, shape)
    x[rng.random(shape) < 0.02] = 0.0
    return x.astype(dtype)


def layouts(x):
    """The same rows as a C array, as a transposed view (rows side by side), as every other
    element (strided rows), reversed (negative steps), and transposed and strided."""
    yield "rows", x
    yield "transposed", np.ascontiguousarray(x.T).T
    yield "strided", np.repeat(x, 2, axis=-1)[:, ::2]
    yield "reversed", np.ascontiguousarray(x[::-1, ::-1])[::-1, ::-1]
    yield "transposed strided", np.ascontiguousarray(np.repeat(x, 2, axis=0).T).T[::2]


def expected(name, x):
    """np.<name> of each row: NumPy reduces a C-contiguous row as np.<name>(row) does."""
    return getattr(np, name)(np.ascontiguousarray(x), axis=-1)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", FUNCTIONS)
def test_one_reduction_has_numpys_bits_on_every_layout(name, dtype):
    rng = np.random.default_rng(20)
    k = KERNELS[name]
    for n in LENGTHS:
        # Rows side by side go 8 kB at a time (1024 float64 rows ... 8192 int8 ones): 8200 and 1100
        # rows take more than one block; few rows are one contiguous run.
        for rows in BLOCK_ROWS.get(n, (300, 3) if n <= 1000 else (3,)):
            x = values(rng, (rows, n), dtype)
            want = expected(name, x)
            for layout, view in layouts(x):
                got = k(view)
                assert got.dtype == want.dtype, (layout, n)
                assert_same(got, want, what=f"{name} of {rows} rows of {n}, {layout}")


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("layout", ["rows", "transposed"])
def test_long_rows_have_numpys_bits_on_any_thread_count(name, layout):
    rng = np.random.default_rng(21)
    for rows, n in [(5, 100_003), (700, 3000), (2, 300_001)]:
        x = values(rng, (rows, n), np.float64)
        view = dict(layouts(x))[layout]
        want = expected(name, x)
        for got in with_thread_counts(KERNELS[name], view):
            assert_same(got, want, what=f"{name} of {rows} rows of {n}, {layout}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layout", ["rows", "transposed", "strided"])
def test_extrema_take_the_first_nan_and_the_first_extreme(dtype, layout):
    n = 300
    x = np.tile(np.linspace(-1, 1, n, dtype=dtype), (12, 1))
    # Which of two NaNs np.max returns depends on NumPy's SIMD lanes (so does the sign of a zero
    # among zeros of both signs): not compared. ironkernel returns the first, as a loop does.
    x[0, 5], x[0, 200] = np.nan, np.nan
    x[1, n - 1] = np.nan  # the last element, in the tail past the vectors
    x[2, 0] = np.nan
    x[3, :] = np.nan
    x[4, [10, 250]] = 7.0  # ties: the first
    x[5, [3, 299]] = -7.0
    x[6, 100] = np.inf
    x[7, 100] = -np.inf
    x[8, :] = 0.0  # all equal
    x[9, 31], x[9, 32] = np.nan, 9.0  # a NaN at the end of a vector
    x[10, [64, 65]] = [np.inf, np.nan]
    x[11, 150:] = np.nan
    view = dict(layouts(x))[layout]
    for name in ("max", "min", "argmax", "argmin"):
        got, want = KERNELS[name](view), expected(name, x)
        assert_same(got, want, what=f"{name}, {layout}")


@pytest.mark.parametrize("layout", ["rows", "transposed"])
def test_nans_in_extrema_raise_no_floating_point_warning(layout):
    x = np.ones((40, 500))
    x[::3, 77] = np.nan
    view = dict(layouts(x))[layout]
    with np.errstate(all="raise"):
        for name in ("max", "min", "argmax", "argmin"):
            assert_same(KERNELS[name](view), expected(name, x))


@pytest.mark.parametrize("layout", ["rows", "transposed", "strided"])
def test_any_and_all_read_nan_as_true_and_negative_zero_as_false(layout):
    x = np.zeros((6, 700))
    x[0, 699] = np.nan
    x[1, :] = -0.0
    x[2, 300] = -0.0
    x[3, :] = 1.0
    x[4, :] = np.nan
    x[5, :] = 1.0
    x[5, 512] = 0.0
    view = dict(layouts(x))[layout]
    for name in ("any", "all"):
        assert_same(KERNELS[name](view), expected(name, x), what=f"{name}, {layout}")


def test_integer_sums_wrap_and_extremes_reach_the_limits_as_numpy():
    big = np.iinfo(np.int64)
    x = np.array([[big.max, 1, 2, 3] * 40, [big.min, -1, 0, 5] * 40], dtype=np.int64)
    u = np.array([[2**64 - 1, 7] * 80] * 3, dtype=np.uint64)
    for name in ("sum", "max", "min", "argmax", "argmin"):
        for values_ in (x, u):
            for _, view in layouts(values_):
                assert_same(KERNELS[name](view), expected(name, values_))


def test_sums_of_negative_zeros_and_of_empty_rows_are_positive_zero():
    x = np.full((300, 40), -0.0)
    for _, view in layouts(x):
        assert_same(KERNELS["sum"](view), expected("sum", x))
    assert_same(KERNELS["sum"](np.zeros((3, 0))), np.zeros(3))
    assert_same(KERNELS["any"](np.zeros((3, 0))), np.zeros(3, bool))
    assert_same(KERNELS["all"](np.zeros((3, 0))), np.ones(3, bool))


def test_unaligned_and_broadcast_rows_give_numpys_bits():
    x = values(np.random.default_rng(22), (50, 301), np.float64)
    raw = np.zeros(x.nbytes + 1, np.uint8)
    unaligned = raw[1:].view(np.float64).reshape(x.shape)
    unaligned[...] = x
    assert not unaligned.flags.aligned
    one_row = np.broadcast_to(x[7], (20, 301))  # every row the same memory (outer step 0)
    for name in FUNCTIONS:
        assert_same(KERNELS[name](unaligned), expected(name, x))
        assert_same(KERNELS[name](one_row), expected(name, np.ascontiguousarray(one_row)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int32, np.uint64])
def test_argmax_and_argmin_find_the_first_extreme_in_a_rows_last_vectors(dtype):
    # The last elements of a contiguous row are read a vector at a time, the last vector ending at
    # the row's end (overlapping the one before): an extreme there, and its ties, are found first.
    for n in (129, 200, 1000, 1023):
        rows = []
        for first in range(n - 40, n):
            row = np.arange(n, dtype=np.float64) % 7
            row[first] = 100
            tie = first + 1 + first % (n - first)  # a later equal element, when in the row
            row[tie:] = 100
            rows.append(row)
        x = np.array(rows).astype(dtype)
        for name in ("argmax", "argmin"):
            y = x if name == "argmax" else np.where(x == 100, 0, x + 1).astype(dtype)
            assert_same(
                KERNELS[name](y), expected(name, y), what=f"{name} of rows of {n}, {np.dtype(dtype).name}"
            )
