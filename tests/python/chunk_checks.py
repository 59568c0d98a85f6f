"""Checks the chunk and chain tests share: a kernel's chunk length, calls that must not warn, bits
with every NaN alike."""

import warnings

import numpy as np

import ironkernel as ik

# Math functions are called inside chains where the vector routines' vectors are the chain
# kernels' (libmvec: AVX2 and AVX-512), and exp is a step of its own on AVX2; elsewhere
# (IK_SIMD=sse2) they stay instructions, and a branch with one is then no single chain.
VECTOR_MATH_IN_CHAINS = (
    ik._core.simd_isa() in ("avx2", "avx512") and ik._core.simd_isa() == ik._core.kernel_isa()
)

N = 5000  # 19 whole chunks of 256 and a tail


def chunk_of(kernel):
    """The chunk length of a kernel's float64 loop, as ik.explain shows it."""
    text = ik.explain(kernel, *[np.float64] * kernel.nin)
    loop = text[text.index("loop (float64") :]
    return int(loop[loop.index("(chunks of ") + len("(chunks of ") :].split(")")[0])


def no_warnings(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kwargs)


def bits_of(x):
    """The bits of x with every NaN made the same: which NaN a + b returns when both are NaN is up
    to the compiler's operand order (NumPy's own loops differ between CPUs too)."""
    x = np.where(np.isnan(x), np.array(np.nan, x.dtype), x)
    return x.view(np.uint64 if x.dtype.itemsize == 8 else np.uint32)


def assert_bits(got, expected):
    """Equal dtypes and bits (NaNs equal at the same places, whatever their payload)."""
    for g, e in zip(*(v if isinstance(v, tuple) else (v,) for v in (got, expected))):
        assert g.dtype == e.dtype
        np.testing.assert_array_equal(np.isnan(g), np.isnan(e))
        np.testing.assert_array_equal(g[~np.isnan(e)].view(np.uint8), e[~np.isnan(e)].view(np.uint8))
