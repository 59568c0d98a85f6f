"""Calls over more than 2**31 elements index with 64 bits, without allocating the elements.

Two constructions keep memory small: views with stride 0 (every element is the same 8 bytes),
and a 16 GiB anonymous mapping that is only read, so that every page maps the kernel's shared
zero page and costs no memory; a few elements written past 2**31 make the data position-dependent
at the cost of a few pages. Outputs are one element (stride-0 views, or a gufunc's scalar).
"""

import mmap

import numpy as np
import pytest
from numpy.lib.stride_tricks import as_strided

import ironkernel as ik

N = 2**31 + 10  # more elements than an int32 can count
MAP_NORESERVE = 0x4000  # Linux; not exported by Python 3.11's mmap module


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def broadcast(value, dtype=np.float64, n=N):
    """n elements, all `value`, in 8 bytes of memory."""
    return as_strided(np.full(1, value, dtype=dtype), shape=(n,), strides=(0,))


@pytest.fixture(scope="module")
def zero_row():
    """N float64 zeros backed by the zero page, with the values of `SAMPLES` written in."""
    try:
        m = mmap.mmap(-1, N * 8, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | MAP_NORESERVE)
    except (OSError, ValueError) as exc:  # strict overcommit, 32-bit address space
        pytest.skip(f"cannot map 16 GiB of address space: {exc}")
    if hasattr(mmap, "MADV_HUGEPAGE"):
        m.madvise(mmap.MADV_HUGEPAGE)  # reads then map the huge zero page: 512 times fewer faults
    x = np.frombuffer(m, dtype=np.float64)
    for position, value in SAMPLES.items():
        x[position] = value
    return x  # unmapped when the last view goes


# Positions on both sides of 2**31 (and of 2**32 bytes), with values whose sums are exact.
SAMPLES = {0: 1.5, 2**31 - 1: 2.5, 2**31: 3.5, 2**31 + 5: -4.5, N - 1: 5.5}


def test_ufunc_over_more_than_2_31_broadcast_elements():
    @ik.ufunc
    def f(a, b):
        return a * 2 + b

    out = broadcast(np.nan)  # every element of the output is the same memory
    result = f(broadcast(4.0), broadcast(0.25), out=out)
    assert result is out and result.shape == (N,)
    a, b = np.full(3, 4.0), np.full(3, 0.25)  # the same body by NumPy, on a small equivalent
    assert out[0] == out[N - 1] == (a * 2 + b)[0]


def test_ufunc_reads_elements_past_2_31(zero_row):
    @ik.ufunc
    def root(a):
        return np.sqrt(a) + 1

    out = broadcast(np.nan)
    before = rss_bytes()
    # The one negative element, at 2**31 + 5, is the only one that raises "invalid": the flag
    # shows that the element was read from the right address.
    with np.errstate(invalid="raise"):
        with pytest.raises(FloatingPointError):
            root(zero_row, out=out)
        root(zero_row[: 2**31 + 5], out=out[: 2**31 + 5])  # stops just before it: no flag
    assert rss_bytes() - before < 64 * 2**20  # the zero page, read 2**22 times


def test_gufunc_reduces_a_row_of_more_than_2_31_elements(zero_row):
    @ik.gufunc("(n)->()")
    def sum_of_squares(a):
        return np.sum(a * a)

    @ik.gufunc("(n)->()")
    def largest(a):
        return np.max(-a)

    values = np.array(list(SAMPLES.values()))
    assert sum_of_squares(zero_row) == np.sum(values * values)  # the zeros add nothing
    assert largest(zero_row) == np.max(-values) == 4.5  # the element at 2**31 + 5


def test_gufunc_over_a_broadcast_row_of_more_than_2_31_elements():
    @ik.gufunc("(n)->()")
    def total(a):
        return np.sum(a)

    @ik.gufunc("(n),()->()")
    def mean_plus(a, b):
        return np.mean(a) + b

    assert total(broadcast(1.0)) == float(N)  # exact: every element counted once
    assert mean_plus(broadcast(0.5), 2.0) == 2.5
