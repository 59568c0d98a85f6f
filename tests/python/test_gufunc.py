"""@ik.gufunc: fused reductions over a core dimension, against the same computation in NumPy. Sums and
dots, bit for bit, have a file of their own (test_gufunc_sums.py)."""

import warnings

import numpy as np
import pytest
from numpy_reference import assert_same, rows, with_thread_counts

import ironkernel as ik


def dist_body(a, b):
    return np.sqrt(np.sum((a - b) ** 2))


def softmax_body(x):
    e = np.exp(x - np.max(x))
    return e / np.sum(e)


def logsumexp_body(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def rms_norm_body(x):
    return x / np.sqrt(np.mean(x * x) + 1e-6)


def cosine_body(a, b):
    return np.dot(a, b) / (np.sqrt(np.dot(a, a)) * np.sqrt(np.dot(b, b)))


CASES = [
    ("(n),(n)->()", dist_body, 2),
    ("(n)->(n)", softmax_body, 1),
    ("(n)->()", logsumexp_body, 1),
    ("(n)->(n)", rms_norm_body, 1),
    ("(n),(n)->()", cosine_body, 2),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("signature, body, nin", CASES, ids=[c[1].__name__ for c in CASES])
def test_examples_match_numpy(signature, body, nin, dtype):
    k = ik.gufunc(signature)(body)
    assert isinstance(k, np.ufunc) and k.signature == signature.replace(" ", "")
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((6, 4, 33)).astype(dtype) for _ in range(nin)]
    got = k(*arrays)
    expected = rows(body, *arrays)
    assert_same(got, expected.astype(got.dtype), ulp=64)
    assert got.dtype == expected.dtype


def test_long_rows_and_many_rows():
    k = ik.gufunc("(n)->()")(logsumexp_body)
    rng = np.random.default_rng(1)
    for shape in [(3, 100_000), (20_000, 16), (1, 1), (5, 0 + 1)]:
        x = rng.standard_normal(shape)
        np.testing.assert_allclose(k(x), rows(logsumexp_body, x), rtol=1e-12)


def test_axes_axis_keepdims_out_and_broadcasting():
    k = ik.gufunc("(n),(n)->()")(dist_body)
    rng = np.random.default_rng(2)
    a = rng.standard_normal((5, 8))
    b = rng.standard_normal((8, 5))
    np.testing.assert_allclose(k(a, b, axes=[(1,), (0,), ()]), np.sqrt(((a - b.T) ** 2).sum(-1)))
    np.testing.assert_allclose(k(a.T, a.T, axis=0), np.zeros(5))
    assert k(a, a, keepdims=True).shape == (5, 1)
    out = np.empty(5)
    assert k(a, a[0], out=out) is out
    np.testing.assert_allclose(out, np.sqrt(((a - a[0]) ** 2).sum(-1)))
    np.testing.assert_allclose(k(a[:, ::2], a[::-1, ::2]), np.sqrt(((a[:, ::2] - a[::-1, ::2]) ** 2).sum(-1)))


def test_reductions_and_dtypes_follow_numpy():
    rng = np.random.default_rng(3)
    for dtype in (np.int8, np.int32, np.uint16, np.int64, np.float16, np.float32, np.float64, np.bool_):
        x = (rng.standard_normal((4, 9)) * 10).astype(dtype)
        for name in ("sum", "prod", "max", "min", "mean", "any", "all", "var", "std"):
            k = ik.gufunc("(n)->()")(lambda v, f=getattr(np, name): f(v))
            got = k(x)
            expected = rows(getattr(np, name), x)
            assert got.dtype == expected.dtype, (name, dtype)
            rtol = 2e-3 if dtype == np.float16 else 1e-6  # float16: one rounding of a float32 result
            np.testing.assert_allclose(
                got.astype(np.float64), expected.astype(np.float64), rtol=rtol, err_msg=name
            )


def test_var_std_and_methods():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((7, 50))
    k = ik.gufunc("(n)->(),(),()")(lambda v: (v.var(), np.std(v, ddof=1), v.mean() + v.sum() * v.max()))
    var, std, combo = k(x)
    np.testing.assert_allclose(var, x.var(-1), rtol=1e-13)
    np.testing.assert_allclose(std, x.std(-1, ddof=1), rtol=1e-13)
    np.testing.assert_allclose(combo, x.mean(-1) + x.sum(-1) * x.max(-1), rtol=1e-13)


def test_scalar_inputs_broadcast_along_the_row():
    k = ik.gufunc("(n),()->(n)")(lambda x, t: np.where(x > t, x - t, 0.0) / np.max(np.abs(x)))
    x = np.random.default_rng(5).standard_normal((3, 10))
    t = np.array([0.0, 0.5, -1.0])
    expected = np.stack([np.where(x[i] > t[i], x[i] - t[i], 0.0) / np.abs(x[i]).max() for i in range(3)])
    np.testing.assert_allclose(k(x, t), expected, rtol=1e-14)


def test_nan_propagates_through_max():
    k = ik.gufunc("(n)->()")(lambda x: np.max(x))
    x = np.array([[1.0, np.nan, 3.0], [1.0, 2.0, 3.0]])
    got = k(x)
    assert np.isnan(got[0]) and got[1] == 3.0


@pytest.mark.parametrize("signature, body, nin", CASES, ids=[c[1].__name__ for c in CASES])
def test_short_rows_in_groups_give_the_bits_of_one_row_at_a_time(signature, body, nin):
    """Rows shorter than a chunk run a group at a time; each row must come out as when it is
    the only row (then it runs alone), for contiguous, strided, transposed and broadcast rows."""
    k = ik.gufunc(signature)(body)
    rng = np.random.default_rng(21)
    base = rng.standard_normal((3, 40, 14))
    layouts = [base[0, :, :7], base[1, :, ::2], np.ascontiguousarray(base[2, :, :7].T).T, base[0, :1, :7]]
    for a in layouts:
        others = [base[2, :, 7:]][: nin - 1] if a.shape[0] > 1 else [base[2, :5, 7:]][: nin - 1]
        got = k(a, *others)
        broadcast = np.broadcast_shapes(a.shape[:-1], *(o.shape[:-1] for o in others))
        alone = np.stack(
            [
                k(
                    np.broadcast_to(a, broadcast + (7,))[i],
                    *(np.broadcast_to(o, broadcast + (7,))[i] for o in others),
                )
                for i in range(broadcast[0])
            ]
        )
        np.testing.assert_array_equal(got, alone)
        out = np.full(got.shape[::-1], np.nan).T  # a transposed (strided) output
        k(a, *others, out=out)
        np.testing.assert_array_equal(out, alone)


def test_points_in_3d_many_short_rows():
    dist = ik.gufunc("(n),(n)->()")(dist_body)
    points = np.random.default_rng(22).standard_normal((100_003, 3))
    centre = np.array([0.5, -1.0, 2.0])
    expected = np.sqrt(np.sum((points - centre) ** 2, axis=-1))
    for got in with_thread_counts(dist, points, centre):
        np.testing.assert_allclose(got, expected, rtol=1e-15)


ARG_DTYPES = [
    np.bool_,
    np.int8,
    np.uint16,
    np.int32,
    np.int64,
    np.float16,
    np.float32,
    np.float64,
    np.complex64,
    np.complex128,
]


@pytest.mark.parametrize("dtype", ARG_DTYPES)
@pytest.mark.parametrize("name", ["argmax", "argmin", "max", "min"])
def test_extrema_and_their_positions_follow_numpy(name, dtype):
    """Ties give the first position, a NaN wins at its first position, complex is lexicographic."""
    rng = np.random.default_rng(11)
    x = rng.integers(-3, 4, (40, 9)).astype(dtype)  # many ties
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.integers(-2, 3, (40, 9))
    if np.dtype(dtype).kind in "fc":
        x[3, 4] = x[3, 7] = np.nan
        x[5, 0] = np.nan
        x[6, 8] = -np.inf
        if np.dtype(dtype).kind == "c":
            x[7, 2] = complex(1, np.nan)
    k = ik.gufunc("(n)->()")(lambda v, f=getattr(np, name): f(v))
    got = k(x)
    expected = rows(getattr(np, name), x)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def test_argmax_of_long_rows_is_thread_independent_and_first():
    """Positions past the first 4096-element chunk, ties across chunks, any thread count."""
    x = np.zeros((3, 50_000))
    x[0, [9000, 30000]] = 5.0  # a tie in two chunks: the first wins
    x[1, 49_999] = 1.0
    x[2, [100, 20000]] = np.nan
    k = ik.gufunc("(n)->(),()")(lambda v: (np.argmax(v), v.argmin()))
    expected = (np.argmax(x, axis=-1), np.argmin(x, axis=-1))
    for results in with_thread_counts(k, x):
        for got, want in zip(results, expected):
            assert got.dtype == np.intp
            np.testing.assert_array_equal(got, want)
    one_row = np.zeros(300_000)
    one_row[[7, 200_000]] = -2.0
    for got in with_thread_counts(k, one_row):
        assert got == (0, 7)


def test_argmax_composes_with_element_wise_work():
    k = ik.gufunc("(n),(n)->()")(lambda a, b: np.argmax(np.abs(a - b)) * 2 + 1)
    a, b = np.random.default_rng(12).standard_normal((2, 5, 30))
    np.testing.assert_array_equal(k(a, b), np.argmax(np.abs(a - b), axis=-1) * 2 + 1)


@pytest.mark.skipif(
    np.lib.NumpyVersion(np.__version__) < "2.1.0",
    reason="NumPy < 2.1 has no hook for a gufunc to refuse a core length",
)
@pytest.mark.parametrize("name", ["argmax", "argmin", "max", "min"])
def test_empty_rows_without_identity_raise_as_numpy(name):
    k = ik.gufunc("(n)->()")(lambda v, f=getattr(np, name): f(v))
    with pytest.raises(ValueError) as numpy_error:
        getattr(np, name)(np.zeros((2, 0)), axis=-1)
    out = np.full(
        2, 7.0 if name in ("max", "min") else 7, dtype=np.float64 if name in ("max", "min") else np.intp
    )
    with pytest.raises(ValueError, match=str(numpy_error.value)):
        k(np.zeros((2, 0)), out=out)
    assert (out == 7).all()
    assert k(np.zeros((2, 1))).shape == (2,)  # non-empty rows still work
    sums = ik.gufunc("(n)->()")(lambda v: np.sum(v))
    np.testing.assert_array_equal(sums(np.zeros((2, 0))), [0.0, 0.0])  # sum has an identity


@pytest.mark.parametrize("signature", ["(n)", "(n,m)->()", "(n),(m)->()", "(3)->()", "(n?)->()", "()->(n)"])
def test_unsupported_signatures_fail_at_decoration(signature):
    with pytest.raises((ValueError, NotImplementedError)):
        ik.gufunc(signature)


def test_body_not_matching_signature_fails_at_decoration():
    with pytest.raises(TypeError, match="output"):
        ik.gufunc("(n)->()")(lambda x: x * 2)  # a vector for a scalar output
    with pytest.raises(TypeError, match="input"):
        ik.gufunc("(n),(n)->()")(lambda x: np.sum(x))
    with pytest.raises(TypeError, match="output"):
        ik.gufunc("(n)->()")(lambda x: (np.sum(x), np.max(x)))


def test_reductions_outside_gufunc_are_refused():
    with pytest.raises(ik.TracingError, match="gufunc"):
        ik.ufunc(lambda x: np.sum(x))


def test_gufunc_pickles():
    import pickle

    from ironkernel import _registry

    k = ik.gufunc("(n)->(n)")(softmax_body)
    data = pickle.dumps(k)
    _registry._cache.clear()
    k2 = pickle.loads(data)
    assert k2.signature == "(n)->(n)"
    x = np.random.default_rng(6).standard_normal((3, 5))
    np.testing.assert_array_equal(k2(x), k(x))


def test_explain_lists_the_stages():
    k = ik.gufunc("(n)->(n)")(softmax_body)
    text = ik.explain(k)
    assert text.count("pass over the core dimension") >= 3 and "exp" in text


def test_single_long_row_splits_among_threads_with_the_same_bits():
    k = ik.gufunc("(n)->(),()")(lambda x: (np.sum(x * x), np.max(x)))
    x = np.random.default_rng(7).standard_normal((1, 3_000_001))
    one, two = with_thread_counts(k, x)
    np.testing.assert_array_equal(one[0], two[0])
    np.testing.assert_allclose(two[0], np.sum(x * x, axis=-1), rtol=1e-12)
    assert two[1][0] == x.max()


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int32, np.complex64, np.complex128])
@pytest.mark.parametrize("ddof", [0, 1, 2, 3, 4, 7, 0.5, 2.5, 3.0, -1])
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_and_std_divide_by_numpys_degrees_of_freedom(name, ddof, dtype):
    # NumPy divides by max(n - ddof, 0) in float64 (a fractional ddof counts as a float): inf or
    # NaN when ddof >= n, never a negative count, with the same floating-point warnings.
    from numpy_reference import call_recording

    rng = np.random.default_rng(4)
    x = rng.standard_normal((5, 3)) * 3
    x = (x + 1j * x[::-1] if np.dtype(dtype).kind == "c" else x).astype(dtype)
    x[1] = x[1, 0]  # a row of equal values: 0 / 0 when ddof >= n
    k = ik.gufunc("(n)->()")(lambda v, f=getattr(np, name), d=ddof: f(v, ddof=d))
    got, got_warnings = call_recording(k, x)
    expected, numpy_warnings = call_recording(getattr(np, name), x, axis=-1, ddof=ddof)
    assert got.dtype == expected.dtype
    assert_same(got, expected)
    assert got_warnings == numpy_warnings


def test_empty_row_warnings_are_planned_per_reduction():
    # The warnings NumPy gives for short rows (issued by the gufunc's core dimension hook).
    def plan(body):
        return ik._gufunc.empty_row_warnings(ik._trace.trace(body, reductions=True))

    assert plan(lambda x: np.mean(x)) == (("Mean of empty slice", 0),)
    assert plan(lambda x: np.var(x)) == (("Degrees of freedom <= 0 for slice", 0),)
    assert plan(lambda x: np.std(x, ddof=2) + np.var(x, ddof=0.5)) == (
        ("Degrees of freedom <= 0 for slice", 2),
    )
    assert plan(lambda x: x.mean() + x.var(ddof=1)) == (
        ("Degrees of freedom <= 0 for slice", 1),
        ("Mean of empty slice", 0),
    )
    assert plan(lambda x: np.sum(x) + np.max(x)) == ()


def test_empty_rows_give_numpys_values_and_floating_point_warnings():
    from numpy_reference import call_recording

    empty = np.zeros((3, 0))
    for name in ("mean", "var", "std", "sum", "prod"):
        k = ik.gufunc("(n)->()")(lambda v, f=getattr(np, name): f(v))
        got, got_warnings = call_recording(k, empty)
        expected, numpy_warnings = call_recording(getattr(np, name), empty, axis=-1)
        assert_same(got, expected)
        assert got_warnings == numpy_warnings, name


def test_a_pass_with_more_reductions_than_numpy_has_operands():
    # 80 sums in one pass and a scalar stage reading 80 row values: more operands than a ufunc
    # has, which the stage programs must take.
    def body(x):
        total = 0
        for i in range(80):
            total = total + np.sum(x * (i + 1.5))
        return total

    k = ik.gufunc("(n)->()")(body)
    for n in (3, 1000, 20_000):
        x = np.random.default_rng(n).standard_normal((4, n))
        np.testing.assert_array_equal(k(x), rows(body, x))


@pytest.mark.skipif(
    np.lib.NumpyVersion(np.__version__) < "2.1.0",
    reason="NumPy < 2.1 has no core-dimension hook, where a gufunc can warn before its loop",
)
def test_short_rows_warn_as_numpy():
    """np.mean of an empty row warns "Mean of empty slice", np.var with ddof >= n "Degrees of freedom
    <= 0 for slice", as NumPy does for the same rows; longer rows do not warn."""
    mean = ik.gufunc("(n)->()")(lambda v: np.mean(v))
    var3 = ik.gufunc("(n)->()")(lambda v: np.var(v, ddof=3))
    with pytest.warns(RuntimeWarning, match="Mean of empty slice"):
        got = mean(np.zeros((2, 0)))
    assert np.isnan(got).all()
    with pytest.warns(RuntimeWarning, match="Degrees of freedom"):
        var3(np.ones((2, 3)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mean(np.zeros((2, 1)))
        var3(np.ones((2, 4)))
