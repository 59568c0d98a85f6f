"""Float floor_divide, remainder, divmod and fmod: NumPy's bits and warnings, on the vector path
(operands in the exact range), on the scalar one (every special pair) and in fused bodies."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy_reference import fp_warnings

import ironkernel as ik

FLOATS = [np.float16, np.float32, np.float64]
BODIES = {
    "divmod": lambda x, y: np.divmod(x, y),
    "%": lambda x, y: x % y,
    "//": lambda x, y: x // y,
    "fmod": lambda x, y: np.fmod(x, y),
    "(x % y) * 2": lambda x, y: (x % y) * 2,
    "x // y + 1": lambda x, y: x // y + 1,
    "divmod, then both + x": lambda x, y: tuple(r + x for r in np.divmod(x, y)),
}
KERNELS = {name: ik.ufunc(body) for name, body in BODIES.items()}
UINT = {np.float16: np.uint16, np.float32: np.uint32, np.float64: np.uint64}


def outputs(result) -> tuple:
    return result if isinstance(result, tuple) else (result,)


def run(fn, x, y):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        result = outputs(fn(x, y))
    return result, fp_warnings(record)


def assert_bits_and_warnings(name: str, x: np.ndarray, y: np.ndarray) -> None:
    expected, np_warn = run(BODIES[name], x, y)
    got, ik_warn = run(KERNELS[name], x, y)
    for g, e in zip(got, expected, strict=True):
        assert g.dtype == e.dtype
        differ = np.flatnonzero(g.view(UINT[e.dtype.type]) != e.view(UINT[e.dtype.type]))
        assert differ.size == 0, (
            f"{name}({x[differ[0]]!r}, {y[differ[0]]!r}): {g[differ[0]]!r}, NumPy {e[differ[0]]!r}"
        )
    assert ik_warn == np_warn, f"{name}: warnings {ik_warn}, NumPy's {np_warn}"


def random_floats(rng, dtype, n: int, low: int, high: int) -> np.ndarray:
    """Random signs and mantissas with exponents uniform in [low, high] (subnormals and overflow
    to infinity included where the range reaches them)."""
    with np.errstate(over="ignore", under="ignore"):
        values = rng.uniform(1, 2, n) * np.exp2(rng.integers(low, high + 1, n).astype(np.float64))
        return (values * rng.choice([-1.0, 1.0], n)).astype(dtype)


def special_values(dtype) -> np.ndarray:
    info = np.finfo(dtype)
    p = info.nmant + 1
    values = [
        0.0,
        -0.0,
        np.inf,
        -np.inf,
        np.nan,
        -np.nan,
        1.0,
        -1.0,
        0.5,
        3.0,
        -7.0,
        2.0 ** (p - 3),
        2.0 ** (p - 2),
    ]
    values += [info.max, -info.max, info.tiny, -info.tiny, info.smallest_subnormal, -info.smallest_subnormal]
    values += [info.tiny * 3, info.eps, 1 / info.eps, float(info.max) / 3]
    return np.array(values, dtype)


def cases(dtype) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(7)
    info = np.finfo(dtype)
    p = info.nmant + 1
    n = 4099  # whole vectors and a tail
    out = {}
    # Moderate quotients, the benchmark's case: the vector path throughout.
    out["uniform"] = (
        rng.uniform(-10, 10, n).astype(dtype),
        rng.uniform(-10, 10, n).astype(dtype) + dtype(0.001),
    )
    # Quotients of every size around the exact range's ends, over all exponents of b.
    b = random_floats(rng, dtype, n, info.minexp, info.maxexp - 1)
    with np.errstate(all="ignore"):
        a = (b.astype(np.float64) * random_floats(rng, np.float64, n, -8, p + 2)).astype(dtype)
    out["quotients of every size"] = (a, b)
    # a within a few ulp of an integer multiple of b: divisions rounding across an integer.
    k = rng.integers(-(2 ** (p - 3)), 2 ** (p - 3), n).astype(np.float64)
    k[: n // 2] = np.round(k[: n // 2] / 2 ** (p - 8))  # small quotients too
    b = random_floats(rng, dtype, n, -20, 20)
    with np.errstate(all="ignore"):
        a = (k * b.astype(np.float64)).astype(dtype)
        for _ in range(3):
            step = rng.integers(-1, 2, n)
            a = np.where(
                step > 0,
                np.nextafter(a, dtype(np.inf)),
                np.where(step < 0, np.nextafter(a, dtype(-np.inf)), a),
            )
    out["near integer quotients"] = (a.astype(dtype), b)
    # Every magnitude, the subnormals included, in both operands.
    out["all magnitudes"] = (
        random_floats(rng, dtype, n, info.minexp - p, info.maxexp - 1),
        random_floats(rng, dtype, n, info.minexp - p, info.maxexp - 1),
    )
    return out


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", list(BODIES))
def test_random_operands_give_numpys_bits_and_warnings(name, dtype):
    for x, y in cases(dtype).values():
        assert_bits_and_warnings(name, x, y)
        assert_bits_and_warnings(name, x[1:], y[1:])  # unaligned vectors


def special_pairs(dtype, lanes: int = 17) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of special values, each alone among moderate pairs in a group of `lanes`
    elements (at a position moving from group to group), so that its vector runs the scalar routine
    and the others the vector one. Left out: a NaN by a NaN of the other sign, whose remainder's sign
    bit differs from NumPy's for (-NaN) % NaN (NumPy's is +NaN, ironkernel's the fmod's -NaN; NumPy's
    own np.fmod gives -NaN there too); the same signs give NumPy's bits."""
    special = special_values(dtype)
    pairs = [
        (s, t)
        for s in special
        for t in special
        if not (np.isnan(s) and np.isnan(t) and np.signbit(s) != np.signbit(t))
    ]
    rng = np.random.default_rng(3)
    x = rng.uniform(1, 10, len(pairs) * lanes).astype(dtype)
    y = rng.uniform(1, 10, len(pairs) * lanes).astype(dtype)
    for k, (s, t) in enumerate(pairs):
        x[k * lanes + k % lanes], y[k * lanes + k % lanes] = s, t
    return x, y


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", ["divmod", "%", "//", "fmod", "x // y + 1"])
def test_special_pairs_among_moderate_operands_give_numpys_bits(name, dtype):
    x, y = special_pairs(dtype)
    assert_bits_and_warnings(name, x, y)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", ["divmod", "%", "//", "fmod"])
def test_each_special_pair_warns_as_numpy(name, dtype):
    # One call a pair, among moderate pairs, so that the warnings are that pair's.
    x, y = special_pairs(dtype, lanes=33)
    for k in range(0, x.size, 33):
        assert_bits_and_warnings(name, x[k : k + 33], y[k : k + 33])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", ["divmod", "%", "//"])
def test_errstate_raise_matches_numpy(name, dtype):
    special = special_values(dtype)
    for s in special:
        for t in special:
            x, y = np.full(32, s, dtype), np.full(32, t, dtype)
            errors = []
            for fn in (BODIES[name], KERNELS[name]):
                with np.errstate(all="raise"):
                    try:
                        fn(x, y)
                        errors.append(None)
                    except FloatingPointError as e:
                        errors.append(str(e).split(" encountered")[0])
            assert errors[0] == errors[1], f"{name}({s!r}, {t!r}): ironkernel {errors[1]}, NumPy {errors[0]}"


def test_divmod_divides_once_and_fused_bodies_keep_their_kernels():
    x = np.ones(8)
    text = ik.explain(KERNELS["divmod"], x, x)
    assert "floor_divide r0, r1" in text and "remainder r0, r1, r2" in text, text
    assert "remainder r0, r1" in ik.explain(KERNELS["(x % y) * 2"], x, x)
