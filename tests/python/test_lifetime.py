"""Creating and dropping kernels leaks nothing; pickling rebuilds kernels by content."""

import gc
import pickle

import numpy as np
import pytest

import ironkernel as ik


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def make(i):
    return ik.ufunc(lambda a: np.sin(a) * i + np.where(a > i, a, -a))


def test_creating_and_dropping_10000_ufuncs_does_not_grow_memory():
    """Bound: RSS grows by less than 16 MiB while 10,000 kernels are made, called and dropped
    (after 500 warm-up kernels), i.e. under 1.7 KiB per kernel. What stays is the bounded cache
    of kernels by payload (at most 256 kernels) and the allocator's fragmentation: about 2 MiB
    when this test runs alone, 8 MiB after the rest of the suite. A kept kernel (ufunc, loops,
    programs) costs about 30 KiB, so leaking them would grow RSS by about 300 MiB."""
    x = np.linspace(-1, 1, 100)
    for i in range(500):  # warm up allocators and caches
        make(i)(x)
    gc.collect()
    before = rss_bytes()
    for i in range(10_000):
        make(i % 300 + 0.5)(x)
    gc.collect()
    grown = rss_bytes() - before
    assert grown < 16 * 2**20, f"RSS grew by {grown / 2**20:.1f} MiB"


def test_a_million_calls_do_not_grow_memory():
    """Bound: RSS grows by less than 4 MiB over 1,000,000 calls on tiny arrays (after 1,000
    warm-up calls), i.e. under 5 bytes per call: any per-call leak (an output array, a scratch
    block, a reference) would exceed it. The calls mix the paths a call can take: arrays, NumPy
    and Python scalars, out=, where=, and a gufunc. About 1.5 s."""
    f = ik.ufunc(lambda a, b: a * b + np.sqrt(np.abs(a)))
    g = ik.gufunc("(n),(n)->()")(lambda a, b: np.sum(a * b))
    x, out, mask = np.ones(10), np.empty(10), np.arange(10) % 2 == 0
    scalar = np.float64(1.5)
    calls = [
        lambda: f(x, x),
        lambda: f(x, 2.0, out=out),
        lambda: f(scalar, x),
        lambda: f(x, x, out=out, where=mask),
        lambda: g(x, x),
    ]
    for call in calls:
        for _ in range(200):
            call()
    gc.collect()
    before = rss_bytes()
    for call, n in zip(calls, (400_000, 200_000, 200_000, 100_000, 100_000)):
        for _ in range(n):
            call()
    gc.collect()
    grown = rss_bytes() - before
    assert grown < 4 * 2**20, f"RSS grew by {grown / 2**20:.1f} MiB"


def test_pickle_round_trip_in_process_returns_same_object():
    f = ik.ufunc(lambda a: np.where(a > 0, np.sqrt(a), 0.0))
    g = pickle.loads(pickle.dumps(f))
    assert g is f


def test_pickle_rebuilds_from_ir():
    from ironkernel import _registry

    f = ik.ufunc(lambda a, b: np.hypot(a, b) * 2, name="hyp2")
    data = pickle.dumps(f)
    _registry._cache.clear()
    g = pickle.loads(data)
    assert g is not f and isinstance(g, np.ufunc) and g.__name__ == "hyp2"
    x = np.linspace(0, 5, 11)
    np.testing.assert_array_equal(g(x, x), f(x, x))


def test_numpy_ufuncs_still_pickle_by_name():
    assert pickle.loads(pickle.dumps(np.add)) is np.add


def test_corrupted_pickle_gives_a_clear_error():
    f = ik.ufunc(lambda a: a + 1)
    data = pickle.dumps(f)
    from ironkernel import _registry

    payload = next(v for v in _registry._cache if _registry._cache[v] is f)
    broken = data.replace(payload[6:30], b"x" * 24)
    with pytest.raises(ValueError, match=r"corrupted kernel payload|not an ironkernel"):
        _registry._cache.clear()
        pickle.loads(broken)


def test_pickle_in_a_fresh_process():
    import subprocess
    import sys

    f = ik.ufunc(lambda a: np.exp(-a) * 3)
    code = (
        "import pickle, sys, numpy as np; f = pickle.loads(sys.stdin.buffer.read()); "
        "print(repr(float(f(np.float64(0.5)))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], input=pickle.dumps(f), capture_output=True, cwd="/", timeout=60
    )
    assert out.returncode == 0, out.stderr.decode()
    assert float(out.stdout) == float(f(np.float64(0.5)))
