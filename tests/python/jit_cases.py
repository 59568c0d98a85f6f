"""The bodies, operands and checks the JIT tests share: NumPy's bits (any NaN alike), the flags a call
raises."""

import numpy as np
import pytest

import ironkernel as ik

JIT_ON = ik.show_config(mode="dicts")["runtime"]["jit"].startswith("on")
needs_jit = pytest.mark.skipif(not JIT_ON, reason="no JIT here (not built, no AVX-512, or IK_JIT=0)")

DTYPES = [np.float64, np.float32]
SIZES = list(range(41)) + [1000, 100003]  # every tail length, and n in {1, 7, 8, 15, 16, 17} among them


def poly24(x):
    acc = x * 0.5 + 0.25
    for k in range(23):
        acc = acc * x + (0.125 * (k % 5) - 0.25)
    return acc


# name -> (body, number of inputs, lazy: a where whose branches NumPy computes eagerly)
BODIES = {
    "axpy": (lambda x, y: 2.5 * x + y, 2, False),
    "poly": (lambda x: ((((0.5 * x + 1.25) * x - 2.0) * x + 0.75) * x - 3.0) * x + 1.0, 1, False),
    "hypot_like": (lambda x, y: np.sqrt(x * x + y * y), 2, False),
    "multi": (lambda a, b, c, d: a * b + c * d - np.sqrt(np.abs(a - d)), 4, False),
    "negative_square": (lambda x, y: -np.square(x) / y, 2, False),
    "reciprocal": (lambda x, y: np.reciprocal(x) - y, 2, False),
    "constant_first": (lambda x, y: (1.0 - x) / (2.0 + y), 2, False),
    "poly24": (poly24, 1, False),
    "where_sqrt": (lambda x: np.where(x > 0, np.sqrt(x) + 1.0, -x), 1, True),
    "where_divide": (lambda x, y: np.where(y != 0, x / y, 0.0) * 2.0, 2, True),
    "where_both": (lambda x, y: np.where(x <= y, x * y - 1.0, (x - y) / 3.0), 2, True),
    "where_two": (lambda x, y: np.where(x == y, x, y + 1.0) + np.where(x >= 1.5, 1.0, x), 2, True),
    "clamp": (lambda x: np.where(x < -1, -1, np.where(x > 1, 1, x)), 1, False),
    "where_shared": (lambda x, y: np.where(x < y, np.sqrt(x * y) + 1.0, np.sqrt(x * y) - 1.0), 2, True),
    # (No ±0 constant beside an extremum: NumPy's loops with a scalar operand break -0.0/0.0 ties
    # by lane position; the evaluators' rule, which the JIT keeps, is tested against them below.)
    "extrema": (
        lambda x, y: np.maximum(x, y) - np.minimum(y, x) * np.fmax(x, 0.5) / np.fmin(-0.25, y),
        2,
        False,
    ),
    "clip": (lambda x: np.clip(x, -1.0, 1.0) * 3.0, 1, False),
    "clip_arguments": (lambda x, lo, hi: np.clip(x, lo, hi) + lo, 3, False),
    "where_maximum": (lambda x, y: np.where(x < 1.0, np.maximum(np.sqrt(x), y), x), 2, True),
}


def special_values(dtype):
    fi = np.finfo(dtype)
    return np.array(
        [
            0.0,
            -0.0,
            np.inf,
            -np.inf,
            np.nan,
            -np.nan,
            fi.tiny,
            -fi.tiny,
            fi.smallest_subnormal,
            -fi.smallest_subnormal,
            fi.max,
            -fi.max,
            1.0,
            -1.0,
            0.5,
            3.0,
        ],
        dtype,
    )


def operands(n, nin, dtype, seed):
    rng = np.random.default_rng(seed)
    special = special_values(dtype)
    out = []
    for _ in range(nin):
        a = rng.standard_normal(n).astype(dtype)
        pick = rng.random(n) < 0.3
        a[pick] = rng.choice(special, pick.sum())
        out.append(a)
    return out


def same_bits(got, expected):
    """Equal bit for bit (-0.0 is not 0.0), any NaN equal to any NaN."""
    assert got.dtype == expected.dtype and got.shape == expected.shape
    uint = np.uint64 if got.dtype == np.float64 else np.uint32
    same = (got.view(uint) == expected.view(uint)) | (np.isnan(got) & np.isnan(expected))
    bad = np.flatnonzero(~same)
    assert bad.size == 0, (
        f"{bad.size} elements differ, first at {bad[0]}: {got[bad[0]]!r} vs {expected[bad[0]]!r}"
    )


def flags_of(fn, *args, **kwargs):
    """The floating-point flags a call raises, as NumPy reports them ("invalid value", ...)."""
    seen = set()
    with np.errstate(all="call", call=lambda kind, flag: seen.add(kind)):
        result = fn(*args, **kwargs)
    return seen, result


def streamed_size(dtype):
    """Elements of an output past the streaming threshold (the last-level cache, 32 MiB at most)."""
    return (32 << 20) // np.dtype(dtype).itemsize + 1003


def with_threads(n, fn):
    before = ik.get_num_threads()
    ik.set_num_threads(n)
    try:
        return fn()
    finally:
        ik.set_num_threads(before)
