"""np.ldexp, np.frexp, np.spacing and np.signbit at the edges of the exponent range: NumPy's bits
(NaN payloads included) and NumPy's warnings, for each edge value alone and for all of them in
one array (so that the vector loops and their scalar tails both see every case)."""

import warnings

import numpy as np
import pytest
from numpy_reference import fp_warnings

import ironkernel as ik

FLOATS = [np.float32, np.float64]
UINT = {np.float32: np.uint32, np.float64: np.uint64, np.float16: np.uint16}


def edge_values(dtype):
    """Zeros, subnormals, the normal range's ends, infinities, quiet and signalling NaNs, and
    neighbours of each, with both signs, then random values of every exponent."""
    info = np.finfo(dtype)
    u = UINT[dtype]
    bits = info.bits
    mantissa = info.nmant
    inf_bits = ((1 << (bits - 1 - mantissa)) - 1) << mantissa
    magnitudes = [
        0,
        1,
        2,
        3,
        (1 << mantissa) - 1,
        1 << mantissa,
        (1 << mantissa) + 1,
        (1 << (mantissa - 1)) + 1,
        inf_bits - 1,
        inf_bits,
        inf_bits | 1,
        inf_bits | (1 << (mantissa - 1)),
        inf_bits | 0x5,
    ]
    one = np.array(1.0, dtype).view(u).item()
    magnitudes += [one - 1, one, one + 1]
    sign = 1 << (bits - 1)
    special = np.array(magnitudes + [m | sign for m in magnitudes], dtype=u).view(dtype)
    rng = np.random.default_rng(7)
    random = rng.integers(0, 1 << bits, 3000, dtype=np.uint64).astype(u).view(dtype)
    return np.concatenate([special, random])


def run(fn, *args):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        result = fn(*args)
    return result, fp_warnings(record)


def assert_numpy_bits_and_warnings(body, *args, each=None):
    """body through ik.ufunc against NumPy: outputs' bytes and warnings, for the whole arrays and
    for each of the first `each` elements alone."""
    kernel = ik.ufunc(body)
    count = args[0].size if each is None else each
    cases = [tuple(a[k : k + 1] for a in args) for k in range(count)] + [args]
    for case in cases:
        expected, expected_warnings = run(body, *case)
        got, got_warnings = run(kernel, *case)
        expected = expected if isinstance(expected, tuple) else (expected,)
        got = got if isinstance(got, tuple) else (got,)
        for g, e in zip(got, expected):
            assert g.dtype == e.dtype
            differs = g.view(np.uint8).reshape(g.size, -1) != e.view(np.uint8).reshape(e.size, -1)
            if differs.any():
                k = int(np.argmax(differs.any(axis=1)))
                raise AssertionError(
                    f"input {[a[k : k + 1].tobytes()[::-1].hex() for a in case]} (bytes): got "
                    f"{g[k : k + 1].tobytes()[::-1].hex()}, NumPy {e[k : k + 1].tobytes()[::-1].hex()}"
                )
        assert got_warnings == expected_warnings, (
            f"{case!r}: warnings {got_warnings}, NumPy's {expected_warnings}"
        )


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("exponent_dtype", [np.int32, np.int64, np.int8, np.uint16])
def test_ldexp_of_edge_values_and_exponents_has_numpys_bits_and_warnings(dtype, exponent_dtype):
    x = edge_values(dtype)
    info = np.iinfo(exponent_dtype)
    nmant, maxexp = np.finfo(dtype).nmant, np.finfo(dtype).maxexp
    exponents = [
        0,
        1,
        -1,
        nmant,
        -nmant,
        maxexp,
        -maxexp,
        2 * maxexp,
        -2 * maxexp,
        2 * maxexp + nmant + 3,
        -2 * maxexp - nmant - 3,
        3 * maxexp,
        -3 * maxexp,
        info.max,
        info.min,
        10**6,
        -(10**6),
        2**31 + 5,
        -(2**31) - 5,
        2**40,
        -(2**40),
    ]
    exponents = np.array(
        sorted({int(np.clip(e, info.min, info.max)) for e in exponents}), dtype=exponent_dtype
    )
    # Every edge value with every exponent (each pair alone for the first 300), then random pairs.
    xs, es = np.repeat(x[:26], exponents.size), np.tile(exponents, 26)
    rng = np.random.default_rng(3)
    low, high = max(info.min, -3 * maxexp), min(info.max, 3 * maxexp)
    xs = np.concatenate([xs, x[26:], x[rng.integers(0, x.size, 2000)]])
    es = np.concatenate(
        [es, rng.integers(low, high, xs.size - es.size, endpoint=True).astype(exponent_dtype)]
    )
    assert_numpy_bits_and_warnings(lambda a, b: np.ldexp(a, b), xs, es, each=300)


def test_ldexp_rounds_subnormal_results_to_nearest_even():
    # Halfway cases below the normal range: a double rounding (scaled twice) would get them wrong.
    m = np.array([1.5, 2.5, 1.0 + 2.0**-52, 1.75, 1.0 + 2.0**-30, 1.9999999999999998], np.float64)
    e = np.arange(-1080, -1018, dtype=np.int32)
    x, k = np.repeat(m, e.size), np.tile(e, m.size)
    assert_numpy_bits_and_warnings(lambda a, b: np.ldexp(a, b), x, k, each=x.size)
    x32 = np.repeat(m.astype(np.float32), e.size)
    assert_numpy_bits_and_warnings(lambda a, b: np.ldexp(a, b), x32, k + 1080 - 155, each=x.size)


@pytest.mark.parametrize("dtype", FLOATS)
def test_frexp_of_edge_values_has_numpys_bits_and_warnings(dtype):
    x = edge_values(dtype)
    assert_numpy_bits_and_warnings(lambda a: np.frexp(a), x, each=26)
    assert_numpy_bits_and_warnings(lambda a: np.frexp(a)[0], x, each=26)
    assert_numpy_bits_and_warnings(lambda a: np.frexp(a)[1], x, each=26)


@pytest.mark.parametrize("dtype", FLOATS)
def test_spacing_of_edge_values_has_numpys_bits_and_warnings(dtype):
    assert_numpy_bits_and_warnings(lambda a: np.spacing(a), edge_values(dtype), each=26)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_signbit_of_edge_values(dtype):
    x = (
        edge_values(dtype)
        if dtype != np.float16
        else np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16)
    )
    for n in (x.size, 1, 3, 7, 33):
        assert_numpy_bits_and_warnings(lambda a: np.signbit(a), x[:n])
