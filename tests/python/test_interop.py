"""Kernels travel and compose: pickling across processes, Dask, xarray, pandas, thread control."""

import concurrent.futures
import multiprocessing
import pickle

import numpy as np
import pytest

import ironkernel as ik


def body(a):
    return np.where(a > 0, np.sqrt(a) + np.sin(a), a * 2)


KERNEL = ik.ufunc(body)
DIST = ik.gufunc("(n),(n)->()")(lambda a, b: np.sqrt(np.sum((a - b) ** 2)))


def make_local_kernel():
    return ik.ufunc(lambda a: a * 3.0 - 1.0)


@pytest.mark.parametrize("method", ["spawn", "fork", "forkserver"])
def test_multiprocessing_start_methods(method):
    x = np.linspace(-2, 2, 1001)
    local = make_local_kernel()
    ctx = multiprocessing.get_context(method)
    # The kernels themselves are the pickled callables: workers need nothing from this module.
    with ctx.Pool(2) as pool:
        first = pool.map(KERNEL, [x, x])
        second = pool.map(local, [x])
    np.testing.assert_array_equal(first[1], KERNEL(x))
    np.testing.assert_array_equal(second[0], local(x))


def test_process_pool_executor_and_joblib():
    joblib = pytest.importorskip("joblib")
    x = np.linspace(-2, 2, 101)
    local = make_local_kernel()
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as ex:
        assert np.array_equal(ex.submit(local, x).result(timeout=60), local(x))
    out = joblib.Parallel(n_jobs=2)(joblib.delayed(k)(x) for k in (KERNEL, local))
    np.testing.assert_array_equal(out[1], local(x))


def test_cloudpickle_of_closure_kernel():
    cloudpickle = pytest.importorskip("cloudpickle")
    scale = 2.5
    k = ik.ufunc(lambda a: a * scale)
    k2 = cloudpickle.loads(cloudpickle.dumps(k))
    np.testing.assert_array_equal(k2(np.arange(4.0)), np.arange(4.0) * 2.5)


def test_dask_array_is_lazy_chunked_and_correct():
    da = pytest.importorskip("dask.array")
    x = np.random.default_rng(0).standard_normal((400, 300))
    dx = da.from_array(x, chunks=(100, 150))
    lazy = KERNEL(dx)
    assert isinstance(lazy, da.Array) and lazy.chunks == dx.chunks
    with np.errstate(invalid="ignore"):
        expected = body(x)
    np.testing.assert_allclose(lazy.compute(scheduler="threads"), expected, rtol=1e-15)
    got = DIST(dx.rechunk({1: -1}), da.from_array(x[0], chunks=-1))  # core dimension: one chunk
    np.testing.assert_allclose(got.compute(), np.sqrt(((x - x[0]) ** 2).sum(-1)), rtol=1e-13)


def test_dask_tokens_are_deterministic():
    dask = pytest.importorskip("dask")
    from dask.base import tokenize

    assert tokenize(KERNEL) == tokenize(pickle.loads(pickle.dumps(KERNEL)))
    assert tokenize(ik.ufunc(body)) == tokenize(ik.ufunc(body))
    assert tokenize(KERNEL) != tokenize(ik.ufunc(lambda a: a + 1))
    assert dask is not None


def test_dask_distributed_local_cluster_with_processes():
    distributed = pytest.importorskip("distributed")
    da = pytest.importorskip("dask.array")
    x = np.random.default_rng(1).standard_normal(200_000)
    local = make_local_kernel()
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
        ) as cluster,
        distributed.Client(cluster, timeout="60s") as client,
    ):
        dx = da.from_array(x, chunks=50_000)
        got = client.compute(local(KERNEL(dx))).result(timeout=120)
    np.testing.assert_array_equal(got, local(KERNEL(x)))  # the same kernels, run in this process


def test_xarray_keeps_dims_coords_and_attrs():
    xr = pytest.importorskip("xarray")
    arr = xr.DataArray(
        np.linspace(-1, 1, 12).reshape(3, 4),
        dims=("time", "space"),
        coords={"time": [1, 2, 3]},
        attrs={"units": "m"},
        name="h",
    )
    got = KERNEL(arr)
    reference = np.negative(arr)  # a NumPy ufunc through the same xarray machinery
    assert isinstance(got, xr.DataArray)
    assert got.dims == reference.dims and got.coords.equals(reference.coords) and got.attrs == reference.attrs
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(got.values, body(arr.values), rtol=1e-14)
    dist = xr.apply_ufunc(DIST, arr, arr.isel(time=0), input_core_dims=[["space"], ["space"]])
    assert dist.dims == ("time",)


def test_pandas_keeps_the_index_and_is_not_dispatched_by_name():
    pd = pytest.importorskip("pandas")
    s = pd.Series([1.0, -2.0, 3.0], index=["a", "b", "c"])
    got = KERNEL(s)
    assert isinstance(got, pd.Series) and list(got.index) == ["a", "b", "c"]
    df = pd.DataFrame({"x": [1.0, 4.0], "y": [9.0, -1.0]})
    assert list(KERNEL(df).columns) == ["x", "y"]

    def add(a, b):  # named like np.add: pandas must not run Series.__add__ instead
        return a * b

    k = ik.ufunc(add)
    t = pd.Series([2.0, 3.0, 4.0], index=["a", "b", "c"])
    np.testing.assert_array_equal(k(s, t).values, (s * t).values)


def test_threadpoolctl_limits_ironkernel():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    ik.set_num_threads(0)
    with threadpoolctl.threadpool_limits(1):
        assert ik.get_num_threads() == 1
    assert ik.get_num_threads() >= 1


MASKED = ik.ufunc(lambda x, m1, m2: np.where(m1 & m2, np.sqrt(np.abs(x)), x * 2))
ROW_MASKED = ik.gufunc("(n),(n)->()")(lambda x, m: np.sum(np.where(m, x, 0)))


def test_dask_follows_per_call_typing_of_mixed_dtypes():
    """Float32 data with two boolean masks, and gufunc rows with a mask, on Dask arrays: the dtype
    and values NumPy gives for the undecorated bodies."""
    da = pytest.importorskip("dask.array")
    x = np.random.default_rng(3).standard_normal((40, 30)).astype(np.float32)
    dx = da.from_array(x, chunks=(10, 30))
    lazy = MASKED(dx, dx > 0, dx < 0.5)
    assert lazy.dtype == np.float32
    ik.testing.assert_same(lazy.compute(), np.where((x > 0) & (x < 0.5), np.sqrt(np.abs(x)), x * 2))
    rows = da.apply_gufunc(ROW_MASKED, "(n),(n)->()", dx, dx > 0, output_dtypes=np.float32).compute()
    ik.testing.assert_same(rows, np.sum(np.where(x > 0, x, 0), axis=-1))


def test_unpickled_kernel_types_each_call_as_numpy():
    """A kernel rebuilt from its pickle (graph only, no loops) types new dtype mixes on its calls."""
    rebuilt = pickle.loads(pickle.dumps(MASKED))
    x = np.linspace(-1, 1, 11, dtype=np.float16)
    ik.testing.assert_matches_numpy(
        rebuilt, x, x > 0, x < 0.5, body=lambda x, m1, m2: np.where(m1 & m2, np.sqrt(np.abs(x)), x * 2)
    )
    with pytest.raises(TypeError, match="bitwise_and"):
        rebuilt(x, x, x)  # NumPy refuses & on floats: so does the kernel, naming np.bitwise_and


SINCOS = ik.ufunc(lambda x, y: (np.sin(x) * y, np.cos(x) + y))


def test_a_kernel_with_several_outputs_on_dask_arrays_and_a_local_cluster():
    """Dask refuses ufuncs with several outputs it does not know by name; ik.dask_ufunc runs them
    chunk by chunk (here on worker processes), with broadcasting and the kernel's dtypes."""
    distributed = pytest.importorskip("distributed")
    da = pytest.importorskip("dask.array")
    x = np.random.default_rng(4).standard_normal((300, 40)).astype(np.float32)
    y = np.linspace(0, 1, 40)
    with pytest.raises(TypeError):
        SINCOS(da.from_array(x, chunks=(100, 40)), y)  # Dask's own dispatch refuses it
    lazy = ik.dask_ufunc(SINCOS)(da.from_array(x, chunks=(100, 40)), y)
    assert [part.dtype for part in lazy] == [np.float64, np.float64]
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
        ) as cluster,
        distributed.Client(cluster, timeout="60s") as client,
    ):
        got = [f.result(timeout=120) for f in client.compute(list(lazy))]
    for part, expected in zip(got, SINCOS(x, y)):
        ik.testing.assert_same(part, expected)
    ik.testing.assert_same(ik.dask_ufunc(SINCOS)(x, y)[0], SINCOS(x, y)[0])  # NumPy arguments: the kernel
