"""Wheres whose split chunks run as one chain against NumPy: lazy branches, math calls next to a square
root, warnings of selected lanes only, in place, strided and broadcast calls."""

import numpy as np
import pytest
from chunk_checks import VECTOR_MATH_IN_CHAINS, N, chunk_of, no_warnings
from numpy_reference import MATH_ULP, call_recording, ulp_distance

import ironkernel as ik

# Wheres whose split chunks run as one chain: (condition, true value, false value), the lazy
# branch on either side, every comparison, a math call next to a square root or none.
SPLIT_WHERES = {
    "true branch": (lambda x, y: x > 0, lambda x, y: np.sqrt(np.abs(x)) + np.sin(x), lambda x, y: 0.0),
    "false branch": (lambda x, y: x <= 0.25, lambda x, y: y, lambda x, y: np.exp(x) * np.sqrt(x)),
    "no math": (lambda x, y: x < y, lambda x, y: 2.0, lambda x, y: np.sqrt(y - x) * 3.0),
    "equal": (lambda x, y: x == 0.5, lambda x, y: np.sqrt(x * y), lambda x, y: -1.0),
    "not equal": (lambda x, y: x != 0.5, lambda x, y: 1.0 / np.sqrt(np.abs(x)), lambda x, y: y),
    "greater equal": (
        lambda x, y: y >= x,
        lambda x, y: np.exp(y) - np.sqrt(np.abs(x) * 1e-6),
        lambda x, y: x,
    ),
}


WITHOUT_MATH = {"no math", "equal", "not equal"}


def lazy_numpy_where(condition, true_value, false_value, x, y):
    """NumPy with where's lazy semantics: each value computed on the lanes that select it only,
    so only those lanes can warn."""
    c = condition(x, y)
    out = np.empty(x.shape, np.result_type(x, y))
    out[c] = true_value(x[c], y[c])
    out[~c] = false_value(x[~c], y[~c])
    return out


def runs_of_chunk_kinds(rng, chunk, n):
    """Stretches of a chunk's length that are mixed, all on one side, or sparse, in turn: after a
    split chunk the evaluator runs the next one without counting its lanes first, so every kind
    of chunk must also come right after a split one."""
    kinds = [
        lambda: rng.standard_normal(chunk),
        lambda: rng.standard_normal(chunk),
        lambda: -rng.uniform(0.5, 4.0, chunk),
        lambda: rng.standard_normal(chunk),
        lambda: np.where(rng.uniform(size=chunk) < 0.05, 2.0, -2.0),
        lambda: rng.standard_normal(chunk),
        lambda: rng.uniform(0.5, 4.0, chunk),
    ]
    return np.concatenate([kinds[k % len(kinds)]() for k in range(n // chunk + 1)])[:n]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("data", ["mixed", "positive", "negative", "sorted", "sparse", "runs"])
@pytest.mark.parametrize("name", list(SPLIT_WHERES))
def test_wheres_of_split_chunks_match_numpy(name, data, dtype):
    condition, true_value, false_value = SPLIT_WHERES[name]
    f = ik.ufunc(lambda x, y: np.where(condition(x, y), true_value(x, y), false_value(x, y)))
    assert ("(split chunks: fused " in ik.explain(f)) == (VECTOR_MATH_IN_CHAINS or name in WITHOUT_MATH)
    chunk = chunk_of(f)
    n = 16 * chunk + 37  # every kind of run twice, and a tail
    rng = np.random.default_rng(3)
    x = {
        "mixed": lambda: rng.standard_normal(n),
        "positive": lambda: rng.uniform(0.5, 4.0, n),
        "negative": lambda: -rng.uniform(0.5, 4.0, n),
        "sorted": lambda: np.sort(rng.standard_normal(n)),  # uniform chunks, one split chunk
        "sparse": lambda: np.where(rng.uniform(size=n) < 0.05, 2.0, -2.0),  # few lanes take the branch
        "runs": lambda: runs_of_chunk_kinds(rng, chunk, n),
    }[data]().astype(dtype)
    x[:6] = [np.nan, -0.0, 0.0, 0.5, np.inf, -np.inf]
    y = rng.uniform(0.5, 2.0, n).astype(dtype)
    got, kinds = call_recording(f, x, y)
    expected, expected_kinds = call_recording(lazy_numpy_where, condition, true_value, false_value, x, y)
    assert got.dtype == expected.dtype
    assert kinds == expected_kinds
    assert ulp_distance(got, expected).max() <= MATH_ULP


def test_a_where_of_split_chunks_warns_for_selected_lanes_only():
    x = np.linspace(-3.0, 3.0, N)
    x[1000] = np.inf  # selected: sin(inf) is invalid
    x[2000] = -np.inf  # not selected
    f = ik.ufunc(lambda a: np.where(a > 0, np.sqrt(np.abs(a)) + np.sin(a), 0))
    with pytest.warns(RuntimeWarning, match="invalid value"):
        got = f(x)
    assert np.isnan(got[1000]) and got[2000] == 0
    x[1000] = 1.0
    got = no_warnings(f, x)
    with np.errstate(all="ignore"):
        assert ulp_distance(got, np.where(x > 0, np.sqrt(np.abs(x)) + np.sin(x), 0)).max() <= MATH_ULP


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_math_calls_next_to_a_square_root_warn_as_numpy(dtype):
    """The call runs inside the chain, where it may raise spurious flags; a chunk that raised any
    runs again with NumPy's exact flags."""
    x = np.linspace(-2, 700, N).astype(dtype)  # sqrt of negatives: invalid; float32 exp overflows

    def body(a):
        return np.sqrt(a) * np.exp(a)

    f = ik.ufunc(body)
    assert ("fused multiply(sqrt(r0), exp(r0))" in ik.explain(f)) == VECTOR_MATH_IN_CHAINS
    got, kinds = call_recording(f, x)
    expected, expected_kinds = call_recording(body, x)
    assert kinds == expected_kinds
    assert ulp_distance(got, expected).max() <= MATH_ULP


def test_wheres_of_split_chunks_in_place_strided_and_broadcast():
    """The chunk chain writes the output directly and reads the comparison's operands wherever
    they are: the input itself (out=x), every other element, a scalar broadcast to every element."""
    x = np.random.default_rng(9).standard_normal(2 * N) * 3
    x[:4] = [np.nan, -0.0, np.inf, 0.0]
    f = ik.ufunc(lambda a, b: np.where(a > b, np.sqrt(np.abs(a) * 2.0 + 1.0) * 0.5, b))
    assert "(split chunks: fused where(" in ik.explain(f)

    def expected(a, b):
        return np.where(a > b, np.sqrt(np.abs(a) * 2.0 + 1.0) * 0.5, b)

    y = x[:N].copy()
    assert no_warnings(f, y, 0.25, out=y) is y
    np.testing.assert_array_equal(y, expected(x[:N], 0.25))
    for a, b in [(x[::2], x[1::2]), (x[:N], np.float64(-0.5)), (x[::2], np.full(N, 0.1)[::-1])]:
        np.testing.assert_array_equal(no_warnings(f, a, b), expected(a, b))


@pytest.mark.parametrize("n", [5, 300, 1000, 1023])
@pytest.mark.parametrize(
    "body",
    [
        lambda a: np.exp(a * 300.0) * 0.5,
        lambda a: 1.0 / (1.0 + np.exp(-a)),
        lambda a: np.where(a > 0, np.sqrt(np.abs(a)) + np.sin(a), 0),
    ],
)
def test_chains_below_a_chunk_run_fast_then_exactly_on_flags(body, n):
    """Below a chunk the blocked evaluator runs a chain's fast form (inline exp and sin, math
    calls) and, if it raised a flag, its exact form: NumPy's values and warnings either way,
    also when the chain writes the memory it reads."""
    x = np.linspace(-3, 3, n)
    x[n // 2] = np.inf
    x[n // 3] = 1e-310
    x[-1] = 3e6
    expected, expected_kinds = call_recording(body, x)
    for out in (None, x):  # in place, the chain's output is its input: then only the exact form runs
        got, kinds = call_recording(ik.ufunc(body), x.copy() if out is None else x, out=out)
        assert kinds == expected_kinds
        assert ulp_distance(got, expected).max() <= MATH_ULP
