"""Every ufunc idiom behaves for a kernel as for the same body written in NumPy."""

import warnings

import numpy as np
import pytest
from numpy_reference import assert_same, check_kernel

import ironkernel as ik


def body2(a, b):
    return a * b + 1.0


def body1(a):
    return np.where(a > 0, np.sqrt(a), -a)


# NumPy evaluates both branches of np.where (and warns about sqrt of the negatives); the kernel
# evaluates only the selected one, so warnings are compared for body2 only.
LAZY = {"warnings_too": False}


k2 = ik.ufunc(body2)
k1 = ik.ufunc(body1)
rng = np.random.default_rng(11)


def test_broadcasting_between_inputs():
    row, col = rng.standard_normal(7), rng.standard_normal((5, 1))
    check_kernel(body2, row, col, kernel=k2)
    check_kernel(body2, rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((4, 1)), kernel=k2)
    check_kernel(body2, 2.0, rng.standard_normal(6), kernel=k2)
    check_kernel(body2, np.float32(2.0), rng.standard_normal(6).astype(np.float32), kernel=k2)


@pytest.mark.parametrize("view", ["reversed", "strided", "transposed", "zero_stride", "column"])
def test_non_contiguous_inputs(view):
    base = rng.standard_normal((40, 30))
    x = {
        "reversed": base[::-1, ::-1],
        "strided": base[::3, 1::4],
        "transposed": base.T,
        "zero_stride": np.lib.stride_tricks.as_strided(base[0], shape=(20, 30), strides=(0, 8)),
        "column": base[:, 5],
    }[view]
    check_kernel(body1, x, kernel=k1, **LAZY)
    check_kernel(body2, x, x.copy(), kernel=k2)


def test_zero_d_scalars_and_empty():
    check_kernel(body1, np.array(2.25), kernel=k1, **LAZY)
    assert np.isscalar(k1(2.25)) and k1(2.25) == body1(2.25)
    check_kernel(body1, np.empty((0,)), kernel=k1, **LAZY)
    check_kernel(body2, np.empty((3, 0)), np.empty((0,)), kernel=k2)


def test_out_strided_and_aliasing_inputs():
    x = rng.standard_normal(101)
    y = rng.standard_normal(101)
    expected = body2(x, y)
    out = np.zeros(202)
    k2(x, y, out=out[::2])
    np.testing.assert_array_equal(out[::2], expected)
    assert np.all(out[1::2] == 0)
    a, b = x.copy(), y.copy()
    k2(a, b, out=a)
    np.testing.assert_array_equal(a, expected)
    a, b = x.copy(), y.copy()
    k2(a, b, out=b)
    np.testing.assert_array_equal(b, expected)
    big = rng.standard_normal(3_000_000)
    expect_big = body2(big, big)
    k2(big, big, out=big)  # large enough for threads
    np.testing.assert_array_equal(big, expect_big)


def costly_body(a):
    # Enough work per element that computing, not memory, bounds the call (square roots and a
    # divide: exact IEEE operations, so equal bits).
    return np.where(a > 0, np.sqrt(np.sqrt(a) + 1.0) / (a * a + 1.0), -a)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("body", [body1, costly_body])
def test_outputs_larger_than_the_cache_match_numpy(body, threads):
    """Outputs above 32 MiB of a memory-bound body are written with non-temporal stores, those of
    a costly body straight into the output: new arrays, out=, out aliasing the input, and a where
    that writes straight into the output (mixed and uniform blocks)."""
    kernel = k1 if body is body1 else ik.ufunc(costly_body)
    x = rng.standard_normal(5_000_003)  # 40 MB, not a whole number of blocks
    x[:100_000] = np.abs(x[:100_000])  # uniform blocks at the start
    expected = body(x)
    with ik.threads(threads):
        np.testing.assert_array_equal(kernel(x), expected)
        out = np.empty_like(x)
        kernel(x, out=out)
        np.testing.assert_array_equal(out, expected)
        kernel(x[1:], out=out[1:])  # unaligned to 16 bytes
        np.testing.assert_array_equal(out[1:], expected[1:])
        kernel(x, out=x)
        np.testing.assert_array_equal(x, expected)


def test_multiple_outputs_written_in_place_or_aliasing_inputs():
    """Outputs that share no memory are written by their instructions directly; outputs that are
    the inputs (out=(a, b)) or each other's neighbours must still see every input unchanged."""
    k = ik.ufunc(lambda a, b: (a + b, a - b, a * b))
    x, y = rng.standard_normal(5000), rng.standard_normal(5000)
    expected = (x + y, x - y, x * y)
    for got in (k(x, y), k(x, y, out=tuple(np.empty(5000) for _ in range(3)))):
        for g, e in zip(got, expected):
            np.testing.assert_array_equal(g, e)
    a, b, c = x.copy(), y.copy(), np.empty(5000)
    k(a, b, out=(b, a, c))  # each output is the other input
    for g, e in zip((b, a, c), expected):
        np.testing.assert_array_equal(g, e)
    out = np.empty(10_000)
    k(x, y, out=(out[:5000], out[5000:], c))  # two outputs in one buffer, side by side
    np.testing.assert_array_equal(out, np.concatenate(expected[:2]))


def test_partially_overlapping_out_matches_numpy():
    x = rng.standard_normal(50)
    a = x.copy()
    k2(a[:-1], a[1:], out=a[1:])
    b = x.copy()
    np.add(np.multiply(b[:-1], b[1:]), 1.0, out=b[1:])
    np.testing.assert_array_equal(a, b)


def test_where_mask_with_out():
    x = rng.standard_normal(1000)
    mask = x > 0.3
    out = np.full_like(x, 7.0)
    k1(x, out=out, where=mask)
    np.testing.assert_array_equal(out, np.where(mask, body1(np.abs(x)), 7.0))


def test_dtype_and_casting_keywords():
    x = rng.standard_normal(10)
    got = k2(x, x, dtype=np.float32)
    expected = np.add(np.multiply(x, x, dtype=np.float32), 1.0, dtype=np.float32)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    with pytest.raises(TypeError):
        k2(x, x, out=np.empty(10, np.int32))  # same_kind refuses float64 -> int32, as NumPy
    out = np.empty(10, np.int32)
    k2(x * 10, x, out=out, casting="unsafe")
    np.testing.assert_array_equal(out, (body2(x * 10, x)).astype(np.int32))
    i = np.arange(10, dtype=np.int16)
    assert k2(i, i).dtype == body2(i, i).dtype


@pytest.mark.parametrize(
    "ufunc, args, keywords",
    [
        (np.power, (1.5, 2.8), {"dtype": np.intp, "casting": "unsafe"}),  # the output dtype for all inputs
        (np.power, (1.5, 2.8), {"signature": (None, None, np.intp), "casting": "unsafe"}),
        (np.multiply, (np.arange(3, dtype=np.int8), 2.5), {"dtype": np.int16, "casting": "unsafe"}),
        (np.ldexp, (np.float32(1.0), np.int_(2)), {"dtype": "d"}),  # float64, int64: no float exponent
        (np.sqrt, (np.arange(3, dtype=np.int16),), {"dtype": np.float64}),
    ],
)
def test_output_dtype_alone_picks_the_loop_numpy_picks(ufunc, args, keywords):
    # found by NumPy's own tests (tests/numpy_suite): test_use_output_signature_for_all_arguments
    params = ", ".join(f"x{i}" for i in range(ufunc.nin))
    kernel = ik.ufunc(eval(f"lambda {params}, f=f: f({params})", {"f": ufunc}))
    assert_same(kernel(*args, **keywords), ufunc(*args, **keywords))


def test_output_dtype_alone_still_checks_casting():
    power = ik.ufunc(lambda a, b: a**b)
    with pytest.raises(TypeError, match="casting rule 'same_kind'"):
        power(1.5, 2.8, dtype=np.intp)  # float64 -> intp is not same_kind, as in NumPy


@pytest.mark.parametrize("order", ["C", "F", "K", "A"])
def test_order_keyword(order):
    x = np.asfortranarray(rng.standard_normal((6, 7)))
    got = k1(x, order=order)
    expected = np.negative(np.abs(x), order=order)  # a NumPy ufunc with the same layout rules
    assert got.flags.c_contiguous == expected.flags.c_contiguous
    assert got.flags.f_contiguous == expected.flags.f_contiguous
    with np.errstate(invalid="ignore"):
        assert_same(got, body1(x))


def test_byteswapped_and_unaligned_inputs():
    x = rng.standard_normal(33)
    check_kernel(body1, x.astype(">f8"), kernel=k1, **LAZY)
    raw = np.zeros(33 * 8 + 1, np.uint8)[1:].view(np.float64)
    raw[:] = x
    assert not raw.flags.aligned
    check_kernel(body1, raw, kernel=k1, **LAZY)


def test_errstate_on_worker_threads():
    k = ik.ufunc(lambda a: 1.0 / a)
    for position in (0, 2_999_999):
        x = np.ones(3_000_000)
        x[position] = 0.0
        with np.errstate(divide="raise"), pytest.raises(FloatingPointError):
            k(x)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("error")
            k(x)


def test_a_warning_of_constants_comes_on_every_call_not_at_decoration():
    """NumPy warns of np.log(0.0) in the body on every call, under the call's np.errstate; the kernel
    too (decoration, which runs the body once, stays quiet)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            f = ik.ufunc(lambda x: x + np.log(0.0))
            g = ik.ufunc(lambda x: np.where(x > 0, x, np.float32(3e38) * 10))
            rows = ik.gufunc("(n)->()")(lambda v: np.sum(v) + np.sqrt(-1.0))
    x = np.linspace(-1, 1, 5)
    for kernel in (f, g, rows):
        for _ in range(2):
            ik.testing.assert_matches_numpy(kernel, x if kernel is not rows else x.reshape(1, 5))
    with np.errstate(divide="raise"), pytest.raises(FloatingPointError):
        f(x)
    with np.errstate(over="ignore"), warnings.catch_warnings():
        warnings.simplefilter("error")
        g(x)
