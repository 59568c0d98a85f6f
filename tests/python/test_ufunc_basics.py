"""The foundation user story: @ik.ufunc returns a real NumPy ufunc that behaves like the body."""

import numpy as np
import pytest
from numpy_reference import check_kernel

import ironkernel as ik


def seed(x):
    return np.where(x > 0, np.sqrt(np.abs(x)) + np.sin(x), 0)


@pytest.fixture(scope="module")
def f():
    return ik.ufunc(seed)


@pytest.fixture(scope="module")
def x():
    return np.random.default_rng(0).standard_normal((1000, 1000))


def test_is_a_real_ufunc(f):
    assert isinstance(f, np.ufunc)
    assert (f.nin, f.nout) == (1, 1)
    assert f.__name__ == "seed"
    assert f.signature is None
    # A loop per combination of argument dtypes, compiled on its first call.
    f(np.ones(3)), f(np.ones(3, np.float32))
    assert "d->d" in f.types and "f->f" in f.types


def test_issue_example(f, x):
    y = check_kernel(seed, x, ulp=4, kernel=f)
    assert f(x, out=y) is y
    check_kernel(seed, x[:, ::3], ulp=4, kernel=f)
    check_kernel(seed, x.T, ulp=4, kernel=f)
    if np.lib.NumpyVersion(np.__version__) >= "2.0.0":
        # NumPy 1.x promoted NumPy scalars by value (np.where then gives float64); NEP 50 in 2.x
        # made them behave like arrays, which is what a ufunc's loops always did.
        check_kernel(seed, np.float32(2.5), ulp=4, kernel=f)
    assert f(np.float32(2.5)).dtype == np.float32
    assert f(x.astype(np.float32)).dtype == np.float32


def test_where_keyword_with_out(f, x):
    y = np.full_like(x, 7.0)
    f(x, where=x > 1, out=y)
    with np.errstate(invalid="ignore"):
        expected = np.where(x > 1, seed(x), 7.0)
    np.testing.assert_array_max_ulp(y, expected, maxulp=4)


def test_keywords_name_doc_identity():
    @ik.ufunc(name="hyp", doc="a*a + b*b", identity=0.0)
    def hypot2(a, b):
        return a * a + b * b

    assert hypot2.__name__ == "hyp"
    assert "a*a + b*b" in hypot2.__doc__
    assert hypot2.identity == 0.0
    assert hypot2.nin == 2


def test_doc_defaults_to_function_docstring():
    @ik.ufunc
    def g(x):
        """Doubles x."""
        return x * 2

    assert "Doubles x." in g.__doc__


def test_names_of_numpy_ufuncs_are_not_reused():
    def add(a, b):
        return a + b

    k = ik.ufunc(add)
    assert k.__name__ != "add" and k.__name__.startswith("add")


def test_integer_inputs_follow_numpy_dtypes():
    def g(x):
        return np.sqrt(x) * 2.0

    for dt in (np.int16, np.int32, np.int64, np.uint16, np.uint32, np.uint64, np.float32, np.float64):
        check_kernel(g, np.arange(50, dtype=dt), ulp=0)


def test_mixed_inputs_follow_numpy_promotion():
    def g(a, b):
        return a * b + 1.0

    check_kernel(g, np.arange(10, dtype=np.int64), np.ones(10, np.float32))
    check_kernel(g, np.arange(10, dtype=np.float32), 2.0)
    check_kernel(g, np.arange(10, dtype=np.float32), np.float32(2.0))


def test_weak_python_scalars_keep_float32():
    def g(x):
        return x * 2.5 + 1

    assert ik.ufunc(g)(np.ones(3, np.float32)).dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int16, np.uint8])
def test_constants_equal_as_numbers_stay_apart(dtype):
    # Typing caches NumPy's conversions of Python constants: -0.0 and 0.0 (equal, same hash), 1
    # and 1.0 and True must each keep their own bits and dtype rules, in one kernel and across
    # kernels decorated one after the other.
    def signs(x):
        return np.where(x > 1, -0.0, 0.0) + np.where(x > 2, 0.0, -0.0)

    def by_int(x):
        return x * 1

    def by_float(x):
        return x * 1.0

    def by_bool(x):
        return x + True

    x = np.arange(5).astype(dtype)
    for fn in (signs, by_int, by_float, by_bool, signs):
        check_kernel(fn, x)  # bits (the sign of zero too) and dtype as NumPy's
    assert np.signbit(ik.ufunc(signs)(np.arange(5.0))).tolist() == [False, False, True, False, False]


def test_multi_output_tuple():
    def sincos(x):
        return np.sin(x), np.cos(x)

    k = ik.ufunc(sincos)
    assert k.nout == 2
    x = np.linspace(-3, 3, 101)
    s, c = k(x)
    np.testing.assert_array_max_ulp(s, np.sin(x), maxulp=4)
    np.testing.assert_array_max_ulp(c, np.cos(x), maxulp=4)
    out = (np.empty_like(x), np.empty_like(x))
    r = k(x, out=out)
    assert r[0] is out[0] and r[1] is out[1]


def test_closure_and_global_constants_are_baked_in():
    scale = 3.0

    def g(x):
        return x * scale + OFFSET

    check_kernel(g, np.arange(5.0))


OFFSET = np.float32(0.5)


def test_explain_shows_lazy_branch(f):
    text = ik.explain(f)
    assert "lazy region" in text and "sin" in text and "float64" in text


@pytest.mark.parametrize(
    ("args", "loop"),
    [
        ((np.ones(3, np.float32), 2.0), "(float32, float32) -> (float32)"),  # arrays, as a call takes them
        ((np.float32, float), "(float32, float32) -> (float32)"),
        ((np.int8(1), 3), "(int8, int8) -> (int8)"),
        ((np.ones(2, np.int16), np.ones(2, np.float32)), "(int16, float32) -> (float32)"),  # cast inside
    ],
)
def test_explain_takes_arguments_as_a_call_does(args, loop):
    kernel = ik.ufunc(lambda a, b: a + b)
    assert ik.explain(kernel, *args).splitlines()[0] == f"loop {loop}"


def test_demo_runs():
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "ironkernel"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "speedup" in r.stdout and "MISMATCH" not in r.stdout


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(dtype=np.longlong),
        dict(signature="qq->q"),
        dict(dtype=np.float32),
        dict(dtype=np.int8),
        dict(dtype=np.ulonglong, casting="unsafe"),
        dict(signature=(np.float64, np.float64, None)),
    ],
)
def test_dtype_and_signature_pick_the_loop_numpy_picks(kwargs):
    """dtype= and signature= as for np.add: int64 as 'q' (longlong) is its own loop, NumPy checks
    the casts with casting=."""
    add = ik.ufunc(lambda a, b: a + b)
    a = np.arange(-3, 5)
    got, expected = add(a, a, **kwargs), np.add(a, a, **kwargs)
    ik.testing.assert_same(got, expected)
    assert got.dtype.char == expected.dtype.char


def test_dtype_refused_as_numpy_refuses_it():
    add = ik.ufunc(lambda a, b: a + b)
    a = np.arange(5)
    with pytest.raises(
        TypeError, match="Cannot cast ufunc '_lambda_' input 0 from dtype\\('int64'\\) to dtype\\('uint64'\\)"
    ):
        add(a, a, dtype=np.ulonglong)


def test_reduce_with_a_longlong_dtype():
    add = ik.ufunc(lambda a, b: a + b, identity=0)
    a = np.arange(10, dtype=np.int32)
    got, expected = add.reduce(a, dtype="q"), np.add.reduce(a, dtype="q")
    assert got == expected and got.dtype.char == expected.dtype.char
