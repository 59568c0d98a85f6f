"""The JIT on two threads and with streamed outputs: one thread's bits, NumPy's bits and flags at every
alignment."""

import numpy as np
import pytest
from jit_cases import BODIES, DTYPES, JIT_ON, operands, poly24, same_bits, streamed_size, with_threads

import ironkernel as ik


def test_two_threads_give_one_threads_bits():
    body = BODIES["where_both"][0]
    f = ik.ufunc(body)
    x, y = operands(3_000_003, 2, np.float64, seed=7)
    before = ik.get_num_threads()
    try:
        with np.errstate(all="ignore"):
            ik.set_num_threads(1)
            one = f(x, y)
            ik.set_num_threads(2)
            two = f(x, y)
    finally:
        ik.set_num_threads(before)
    same_bits(two, one)
    with np.errstate(all="ignore"):
        same_bits(one, body(x, y))


def test_memory_bound_bodies_stream_through_the_jit():
    streams = ik.explain(ik.ufunc(BODIES["axpy"][0]), np.float64, np.float64)
    if JIT_ON:
        assert "jit: " in streams and "streaming outputs over" in streams
    assert "streaming" not in ik.explain(ik.ufunc(poly24), np.float64)  # compute bounds it


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_streamed_outputs_are_numpys_at_every_alignment(dtype, threads):
    # Outputs past the cache size are written with non-temporal stores, aligned after a head of
    # up to a vector's lanes; each thread's piece has its own head and tail.
    def body(x, y):
        return np.where(x > y, x - y, y) + 1.0

    f = ik.ufunc(body)
    if JIT_ON:
        assert "streaming outputs over" in ik.explain(f, dtype, dtype)
    n = streamed_size(dtype)
    x, y = operands(n, 2, dtype, seed=11)
    with np.errstate(all="ignore"):
        expected = body(x, y)
    lanes = 64 // np.dtype(dtype).itemsize
    memory = np.full(n + 2 * lanes, 7.0, dtype)
    for head in [0, 1, lanes // 2, lanes - 1]:
        memory[:] = 7.0
        out = memory[head : head + n]
        with np.errstate(all="ignore"):
            got = with_threads(threads, lambda: f(x, y, out=out))
        assert got is out
        same_bits(out, expected)
        assert (memory[:head] == 7.0).all() and (memory[head + n :] == 7.0).all(), "wrote outside the output"


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_streamed_outputs_raise_numpys_flags(dtype, threads):
    # 0/0 in the untaken branch at the head, inside and at the end of a streamed call: no flag;
    # the same lanes taken: the flag, raised as FloatingPointError under errstate(raise).
    f = ik.ufunc(lambda x, y, c: np.where(c > 0, x / y, c) + 1.0)
    if JIT_ON:
        assert "streaming outputs over" in ik.explain(f, dtype, dtype, dtype)
    n = streamed_size(dtype)
    x = np.ones(n, dtype)
    y = np.ones(n, dtype)
    for at in [0, 3, n // 2 + 5, n - 1]:
        x[at] = y[at] = 0.0
    out = np.empty(n + 1, dtype)[1:]
    for c in [np.full(n, -1.0, dtype), np.full(n, 1.0, dtype)]:
        with np.errstate(all="raise"):
            if c[0] > 0:
                with pytest.raises(FloatingPointError):
                    with_threads(threads, lambda: f(x, y, c, out=out))
            else:
                with_threads(threads, lambda: f(x, y, c, out=out))
                assert (out == 0.0).all()
