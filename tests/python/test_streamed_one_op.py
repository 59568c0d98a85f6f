"""One-op bodies whose outputs are streamed past the caches: they leave their kernel (which stores
through the cache) for the JIT's non-temporal stores, with NumPy's bits and flags."""

import numpy as np
import pytest
from jit_cases import JIT_ON, same_bits, streamed_size

import ironkernel as ik

BODIES = {
    "sqrt": lambda x, y: np.sqrt(x),
    "scale": lambda x, y: x * 2.5,
    "add": lambda x, y: x + y,
    "maximum": lambda x, y: np.maximum(x, y),
}


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("name", list(BODIES))
def test_streamed_one_op_bodies_give_numpys_bits_and_flags(name, dtype, threads):
    body = BODIES[name]
    f = ik.ufunc(body)
    listing = ik.explain(f, dtype, dtype)
    assert "one op" in listing
    if JIT_ON:
        assert "the machine code below writes the outputs it streams" in listing, listing
    n = streamed_size(dtype)
    rng = np.random.default_rng(3)
    x = rng.standard_normal(n).astype(dtype)
    y = rng.standard_normal(n).astype(dtype)
    x[[0, 5, n // 2, n - 1]] = [np.nan, -0.0, np.inf, -np.inf]
    with np.errstate(all="ignore"):
        expected = body(x, y)
    out = np.empty(n + 1, dtype)[1:]  # not aligned to a vector: a head before the streamed stores
    with ik.threads(threads), np.errstate(all="ignore"):
        assert f(x, y, out=out) is out
    same_bits(out, expected)
    with np.errstate(all="raise"):
        try:
            body(x, y)
            numpy_raised = False
        except FloatingPointError:
            numpy_raised = True
        if numpy_raised:
            with pytest.raises(FloatingPointError), ik.threads(threads):
                f(x, y, out=out)
        else:
            with ik.threads(threads):
                f(x, y, out=out)
