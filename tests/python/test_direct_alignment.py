"""One-op calls over arrays that start anywhere in a cache line: the kernel writes up to the
output's first line, then runs from there, with 32-byte vectors where the inputs are off their
lines (run_direct). Every start gives NumPy's bits."""

import numpy as np
import pytest

import ironkernel as ik

OPS = {
    "add": lambda a, b: a + b,
    "subtract": lambda a, b: a - b,
    "multiply": lambda a, b: a * b,
    "maximum": lambda a, b: np.maximum(a, b),
    "less": lambda a, b: a < b,
    "absolute": lambda a, b: np.absolute(a),
    "negative": lambda a, b: -a,
}
DTYPES = [np.int8, np.int16, np.int32, np.uint64, np.float32, np.float64]


def at_offset(values, offset_bytes):
    """values copied to memory that starts offset_bytes past a 64-byte boundary."""
    raw = np.empty(values.nbytes + 128, np.uint8)
    start = (-raw.ctypes.data) % 64 + offset_bytes
    placed = raw[start : start + values.nbytes].view(values.dtype)
    placed[:] = values
    return placed


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("name", list(OPS))
def test_one_op_calls_give_numpys_bits_wherever_their_arrays_start(name, dtype):
    body = OPS[name]
    f = ik.ufunc(body)
    rng = np.random.default_rng(2)
    n = 10_007  # far over a page of bytes for every dtype: the aligned form runs
    if np.dtype(dtype).kind == "f":
        a, b = (rng.standard_normal(n) * 100).astype(dtype), (rng.standard_normal(n) * 100).astype(dtype)
        a[:4] = [np.nan, -0.0, np.inf, -np.inf]
    else:
        info = np.iinfo(dtype)
        a, b = (rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True) for _ in range(2))
    with np.errstate(all="ignore"):
        expected = body(a, b)
    item = np.dtype(dtype).itemsize
    for a_at, b_at, out_at in [
        (0, 0, 0),
        (16, 16, 16),
        (32, 0, 0),
        (0, 16, 48),
        (item, 2 * item, 32),
        (48, 32, 16),
    ]:
        x, y = at_offset(a, a_at % 64), at_offset(b, b_at % 64)
        out = at_offset(np.zeros(n, expected.dtype), out_at % 64)
        with np.errstate(all="ignore"):
            f(x, y, out=out)
        np.testing.assert_array_equal(
            out.view(np.uint8), expected.view(np.uint8), err_msg=str((a_at, b_at, out_at))
        )
