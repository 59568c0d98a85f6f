"""Integer floor_divide, remainder and fmod by a divisor that is the same at every element run as a
multiply and shifts (csrc/eval/kernels/uniform_divisor.hpp): every quotient and remainder must be NumPy's."""

import numpy as np
import pytest

import ironkernel as ik

rng = np.random.default_rng(11)

OPS = {
    "floor_divide": np.floor_divide,
    "remainder": np.remainder,
    "fmod": np.fmod,
}
INTEGERS = ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"]


def edge_values(dtype):
    info = np.iinfo(dtype)
    values = {0, 1, 2, 3, 5, 7, 10, 100, info.max, info.max - 1, info.max // 2, info.max // 2 + 1, info.min}
    values |= {info.min + 1, info.min // 2, -1, -2, -3, -7, -100} if info.min < 0 else set()
    values |= {2**k for k in range(info.bits - (info.min < 0))} | {2**k + 1 for k in range(info.bits - 1)}
    values |= {2**k - 1 for k in range(1, info.bits - (info.min < 0) + 1)}
    return sorted(v for v in values if info.min <= v <= info.max)


def dividends(dtype):
    info = np.iinfo(dtype)
    if info.bits <= 8:
        return np.arange(info.min, info.max + 1, dtype=dtype)
    random = rng.integers(info.min, info.max, size=5000, dtype=dtype, endpoint=True)
    return np.concatenate([np.array(edge_values(dtype), dtype=dtype), random])


def divisors(dtype):
    info = np.iinfo(dtype)
    if info.bits <= 8:
        return [d for d in range(info.min, info.max + 1) if d not in (0, -1)]
    random = rng.integers(info.min, info.max, size=30, dtype=dtype, endpoint=True)
    return [int(d) for d in {*edge_values(dtype), *random.tolist()} if d not in (0, -1)]


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("dtype", INTEGERS)
def test_every_divisor_as_an_array_of_one_value(op, dtype):
    kernel = ik.ufunc(lambda a, b: OPS[op](a, b))
    a = dividends(dtype)
    for d in divisors(dtype):
        b = np.full(a.shape, d, dtype=dtype)
        got, expected = kernel(a, b), OPS[op](a, b)
        if not np.array_equal(got, expected):
            bad = np.flatnonzero(got != expected)[0]
            pytest.fail(f"{op}({a[bad]}, {d}) as {dtype}: {got[bad]}, NumPy {expected[bad]}")


# Python ints the dtype holds (NumPy refuses the others; test_dtype_matrix covers that).
CONSTANT_CASES = [
    (dtype, d)
    for dtype in ["int8", "uint16", "int32", "int64", "uint64"]
    for d in [7, -7, 1, 2, 1000, 255]
    if np.iinfo(dtype).min <= d <= np.iinfo(dtype).max
]


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize(("dtype", "d"), CONSTANT_CASES)
def test_a_constant_divisor_in_the_body(op, dtype, d):
    kernel = ik.ufunc(lambda a: OPS[op](a, d))
    a = dividends(dtype)
    np.testing.assert_array_equal(kernel(a), OPS[op](a, d))
    fused = ik.ufunc(lambda a: OPS[op](a, d) + 1)  # through the evaluators: a block of repeated d
    np.testing.assert_array_equal(fused(a), OPS[op](a, d) + np.array(1, dtype))


@pytest.mark.parametrize("op", OPS)
def test_a_stride_0_divisor_and_a_varying_one(op):
    kernel = ik.ufunc(lambda a, b: OPS[op](a, b))
    a = dividends("int64")
    np.testing.assert_array_equal(kernel(a, np.int64(-13)), OPS[op](a, np.int64(-13)))
    b = np.full(a.shape, 9, np.int64)
    b[len(b) // 2] = 4  # uniform until half way: element by element
    np.testing.assert_array_equal(kernel(a, b), OPS[op](a, b))


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("divisor", [0, -1])
def test_divisors_with_flags_keep_numpys_flags(op, divisor):
    kernel = ik.ufunc(lambda a, b: OPS[op](a, b))
    a = np.array([np.iinfo(np.int32).min, -5, 0, 5], np.int32)
    b = np.full(4, divisor, np.int32)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(kernel(a, b), OPS[op](a, b))
    with np.errstate(all="raise"):
        try:
            OPS[op](a, b)
        except FloatingPointError as e:
            with pytest.raises(FloatingPointError, match=str(e).split()[0]):
                kernel(a, b)
        else:
            kernel(a, b)


# 8- and 16-bit dividends in 16-bit vector lanes (small_integer_division.inc), then a scalar tail:
# every length up to three vectors and starts off the vectors' alignment, and the divisors that
# take other paths (1, -1: element by element with NumPy's flags) or are edges of the lanes' forms.
@pytest.mark.parametrize("op", ["floor_divide", "remainder"])
@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "uint16"])
def test_small_integers_in_vector_lanes_and_the_tail(op, dtype):
    info = np.iinfo(dtype)
    edge = [1, 2, 3, 7, 64, 127, info.max, -1, -2, -7, -128, info.min]
    chosen = [d for d in edge if info.min <= d <= info.max]
    a = np.resize(dividends(dtype), 200)
    for d in chosen:
        kernel = ik.ufunc(lambda x, d=d: OPS[op](x, d))
        for start in (0, 1, 3):
            for n in range(0, 100):
                x = a[start : start + n]
                with np.errstate(over="ignore"):
                    got, expected = kernel(x), OPS[op](x, np.array(d, dtype))
                if not np.array_equal(got, expected):
                    bad = np.flatnonzero(got != expected)[0]
                    pytest.fail(f"{op}({x[bad]}, {d}) as {dtype}, n={n}: {got[bad]}, NumPy {expected[bad]}")


# A divisor that is one value for the whole call, a constant of the body or a stride-0 input, goes
# to a kernel that reads it once (find_one_divisor_kernel): every 8- and 16-bit dividend, by every
# 8-bit divisor and edge and random 16-bit ones; edge and random dividends and divisors of 32 and
# 64 bits; for //, % and divmod.
ONE_VALUE_OPS = {"floor_divide": np.floor_divide, "remainder": np.remainder, "divmod": np.divmod}


def every_dividend(dtype):
    info = np.iinfo(dtype)
    if info.bits <= 16:
        return np.arange(info.min, info.max + 1, dtype=dtype)
    return dividends(dtype)


def assert_same_results(got, expected, what):
    for g, e in zip(
        got if isinstance(got, tuple) else (got,), expected if isinstance(expected, tuple) else (expected,)
    ):
        assert g.dtype == e.dtype, what
        if not np.array_equal(g, e):
            bad = np.flatnonzero(g != e)[0]
            pytest.fail(f"{what}, element {bad}: {g[bad]}, NumPy {e[bad]}")


@pytest.mark.parametrize("op", ONE_VALUE_OPS)
@pytest.mark.parametrize("dtype", INTEGERS)
def test_every_divisor_as_one_value_for_the_call(op, dtype):
    kernel = ik.ufunc(lambda a, b: ONE_VALUE_OPS[op](a, b))
    a = every_dividend(dtype)
    for d in divisors(dtype) if np.iinfo(dtype).bits <= 8 else divisors(dtype)[:60]:
        b = np.array(d, dtype=dtype)  # 0-d: stride 0
        assert_same_results(kernel(a, b), ONE_VALUE_OPS[op](a, b), f"{op}(a, {d}) as {dtype}")


@pytest.mark.parametrize("op", ONE_VALUE_OPS)
@pytest.mark.parametrize("dtype", INTEGERS)
def test_constant_divisors_with_their_warnings(op, dtype):
    info = np.iinfo(dtype)
    a = every_dividend(dtype)
    for d in [0, 1, -1, 2, 3, 7, -7, 8, -8, 255, info.max, info.min, info.max // 3]:
        if not info.min <= d <= info.max:
            continue
        kernel = ik.ufunc(lambda x, d=d: ONE_VALUE_OPS[op](x, d))
        with np.errstate(all="ignore"):
            assert_same_results(
                kernel(a), ONE_VALUE_OPS[op](a, np.array(d, dtype)), f"{op}(a, {d}) as {dtype}"
            )
        with np.errstate(all="raise"):
            try:
                ONE_VALUE_OPS[op](a, np.array(d, dtype))
            except FloatingPointError as e:
                with pytest.raises(FloatingPointError, match=str(e).split()[0]):
                    kernel(a)
            else:
                kernel(a)


# divmod of integers divides once: the remainder is a - q b from the floor quotient of the same
# operands (emit_instructions.cpp), also when the remainder sits in a where branch and the quotient
# outside it; by 0 both are 0 with NumPy's warning, INT_MIN by -1 NumPy's overflow.
def varying_divisors(dtype, n):
    info = np.iinfo(dtype)
    b = rng.integers(info.min, info.max, size=n, dtype=dtype, endpoint=True)
    b[::7] = 0
    b[1::11] = 1
    if info.min < 0:
        b[2::13] = -1
        b[3::17] = info.min
    b[4::5] = rng.integers(max(info.min, -20), 20, size=len(b[4::5]), endpoint=True).astype(dtype)
    return b


@pytest.mark.parametrize("dtype", INTEGERS)
def test_divmod_of_varying_divisors_divides_once_and_keeps_numpys_results(dtype):
    kernel = ik.ufunc(lambda a, b: divmod(a, b))
    a = np.resize(every_dividend(dtype), 70_000)
    b = varying_divisors(dtype, len(a))
    with np.errstate(all="ignore"):
        assert_same_results(kernel(a, b), np.divmod(a, b), f"divmod as {dtype}")
    for divisor in [0, -1]:
        if divisor < np.iinfo(dtype).min:
            continue
        c = np.array([np.iinfo(dtype).min, 5, 0], dtype)
        d = np.full(3, divisor, dtype)
        with np.errstate(all="raise"):
            with pytest.raises(FloatingPointError) as expected:
                np.divmod(c, d)
            with pytest.raises(FloatingPointError, match=str(expected.value).split()[0]):
                kernel(c, d)


@pytest.mark.parametrize("dtype", ["int16", "uint32"])
def test_a_remainder_in_a_branch_from_the_quotient_outside_it(dtype):
    kernel = ik.ufunc(lambda a, b: (a // b, np.where(a > 3, a % b, a)))
    a = np.resize(every_dividend(dtype), 20_000)
    b = varying_divisors(dtype, len(a))
    with np.errstate(all="ignore"):
        expected = (a // b, np.where(a > 3, a % b, a))
        assert_same_results(kernel(a, b), expected, f"branch as {dtype}")


# Unsigned dividends of varying divisors take a float division, truncated and corrected once
# (integer_division_kernels.inc): every pair of 8-bit values, every 16-bit dividend by divisors
# that change from element to element, 32-bit edges (quotients just below an integer, the largest
# values) and random pairs; a zero divisor gives 0 and NumPy's warning.
def unsigned_pairs(dtype):
    info = np.iinfo(dtype)
    if info.bits == 8:
        a, b = np.meshgrid(np.arange(256), np.arange(256))
        return a.ravel().astype(dtype), b.ravel().astype(dtype)
    if info.bits == 16:
        a = np.arange(65536, dtype=dtype)
        return np.tile(a, 4), rng.permutation(np.tile(np.arange(65536, dtype=dtype), 4))
    edges = np.array(
        [0, 1, 2, 3, 7, 2**16, 2**31 - 1, 2**31, 2**31 + 1, 2**32 - 2, 2**32 - 1], dtype=np.uint64
    )
    b = np.concatenate([np.repeat(edges, len(edges)), rng.integers(0, 2**32, 200_000, dtype=np.uint64)])
    a = np.concatenate([np.tile(edges, len(edges)), rng.integers(0, 2**32, 200_000, dtype=np.uint64)])
    near = rng.integers(1, 2**32, 50_000, dtype=np.uint64)  # the largest multiple of b and one below
    a = np.concatenate([a, (2**32 - 1) // near * near, (2**32 - 1) // near * near - 1])
    b = np.concatenate([b, near, near])
    return a.astype(dtype), b.astype(dtype)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("dtype", ["uint8", "uint16", "uint32", "uint64"])
def test_unsigned_division_by_varying_divisors(op, dtype):
    kernel = ik.ufunc(lambda a, b: OPS[op](a, b))
    a, b = unsigned_pairs("uint32" if dtype == "uint64" else dtype)  # uint64: values below 2^32 take it
    a, b = a.astype(dtype), b.astype(dtype)
    with np.errstate(divide="ignore"):
        assert_same_results(kernel(a, b), OPS[op](a, b), f"{op} as {dtype}")
    if dtype == "uint64":  # calls holding a larger value: the division instruction
        large = rng.integers(0, 2**64, 20_000, dtype=np.uint64, endpoint=False)
        c, d = np.concatenate([a, large, a[:20_000]]), np.concatenate([b, b[:20_000], large])
        with np.errstate(divide="ignore"):
            assert_same_results(kernel(c, d), OPS[op](c, d), f"{op} as {dtype}, large values")
    with np.errstate(divide="raise"), pytest.raises(FloatingPointError, match="divide"):
        kernel(a, b)
