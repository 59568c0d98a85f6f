"""Operands and one-function kernels of the operation tests: each dtype's special values and a random
body."""

import numpy as np

FLOATS = [np.float16, np.float32, np.float64]
INTS = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]


def values(dtype, n=2000, seed=0):
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        with np.errstate(over="ignore"):  # 1e30 is inf in float16
            special = np.array(
                [
                    0.0,
                    -0.0,
                    1.0,
                    -1.0,
                    0.5,
                    -0.5,
                    1.5,
                    2.5,
                    -2.5,
                    np.inf,
                    -np.inf,
                    np.nan,
                    np.finfo(dtype).tiny,
                    -np.finfo(dtype).tiny,
                    np.finfo(dtype).max,
                    -np.finfo(dtype).max,
                    np.finfo(dtype).smallest_subnormal,
                    1e30,
                    -1e30,
                ],
                dtype=dtype,
            )
        body = (rng.standard_normal(n) * rng.choice([1, 10, 1000], n)).astype(dtype)
        return np.concatenate([special, body])
    info = np.iinfo(dtype)
    special = np.array(
        [0, 1, info.max, info.min, info.max - 1, info.min + 1] + ([-1, -2] if info.min < 0 else [2]),
        dtype=dtype,
    )
    return np.concatenate([special, rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True)])


def unary_kernel(name):
    ufunc = getattr(np, name)
    return lambda x: ufunc(x)


def binary_kernel(name):
    ufunc = getattr(np, name)
    return lambda x, y: ufunc(x, y)
