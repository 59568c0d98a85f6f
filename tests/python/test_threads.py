"""Thread control and thread-count independence of results."""

import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from numpy_reference import with_thread_counts

import ironkernel as ik


def test_set_and_get_num_threads():
    before = ik.get_num_threads()
    try:
        ik.set_num_threads(1)
        assert ik.get_num_threads() == 1
        ik.set_num_threads(3)
        assert ik.get_num_threads() == 3
    finally:
        ik.set_num_threads(0)
    assert ik.get_num_threads() == before


def test_bad_thread_counts_are_refused():
    for bad in (-1, 1.5, "2"):
        with pytest.raises(ValueError):
            ik.set_num_threads(bad)


def test_omp_num_threads_is_respected():
    code = "import ironkernel as ik; print(ik.get_num_threads())"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd="/", check=True
    )
    assert out.stdout.strip() == "1"


def test_results_do_not_depend_on_thread_count():
    f = ik.ufunc(lambda a: np.where(a > 0, np.sqrt(a) + np.sin(a), a * a))
    x = np.random.default_rng(3).standard_normal(2_000_003)
    one, two = with_thread_counts(f, x)
    np.testing.assert_array_equal(one, two)


def test_concurrent_python_threads_share_kernels():
    f = ik.ufunc(lambda a, b: np.exp(-a * a) * b + 1.0)
    g = ik.ufunc(lambda a: np.where(a > 0.5, np.log(a), a))
    rng = np.random.default_rng(4)
    xs = [rng.random(300_000) for _ in range(8)]
    expected_f = [np.exp(-x * x) * x + 1.0 for x in xs]
    with np.errstate(all="ignore"):
        expected_g = [np.where(x > 0.5, np.log(x), x) for x in xs]
    errors = []

    def work(i):
        try:
            for _ in range(5):
                np.testing.assert_array_max_ulp(f(xs[i], xs[i]), expected_f[i], maxulp=8)
                np.testing.assert_array_max_ulp(g(xs[i]), expected_g[i], maxulp=8)
        except Exception as exc:  # collected for the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]


def test_forked_child_can_use_kernels_and_gufuncs_after_parent_used_threads():
    code = """
import os, signal, numpy as np, ironkernel as ik
f = ik.ufunc(lambda a: np.sin(a) * 2)
g = ik.gufunc("(n)->()")(lambda a: np.sum(np.sin(a)))
x = np.ones(5_000_000)
f(x)  # parent starts the OpenMP pool
g(x.reshape(50, -1))
pid = os.fork()
if pid == 0:
    signal.alarm(30)  # a child that hangs (waiting for the parent's pool) dies instead of lingering
    rows = x.reshape(1000, 5000)
    ok = np.allclose(f(x), np.sin(x) * 2) and np.allclose(g(rows), np.sin(rows).sum(-1))
    ok = ok and np.allclose(g(x), np.sin(x).sum()) and ik.get_num_threads() == 1
    os._exit(0 if ok else 3)
_, status = os.waitpid(pid, 0)
print(os.WEXITSTATUS(status))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/", timeout=60)
    assert out.stdout.strip() == "0", out.stderr


@pytest.mark.parametrize("threads", [2, 3])
@pytest.mark.parametrize("n", [30_001, 100_003, 1_000_001])
def test_a_threaded_call_computes_every_element_exactly_once(n, threads):
    """A threaded call is cut into pieces the threads take in turn: in place (out= the input),
    an element computed twice would be computed from its own result, and one skipped would keep
    the input's value."""
    f = ik.ufunc(lambda a: np.sqrt(np.abs(a)) * 2.0 + 1.0)
    x = np.random.default_rng(n).standard_normal(n)
    expected = np.sqrt(np.abs(x)) * 2.0 + 1.0
    with ik.threads(threads):
        for _ in range(3):
            y = x.copy()
            f(y, out=y)
            np.testing.assert_array_equal(y, expected)


def test_threads_context_manager_restores_the_setting():
    ik.set_num_threads(0)
    default = ik.get_num_threads()
    with ik.threads(1):
        assert ik.get_num_threads() == 1
        with ik.threads(2):
            assert ik.get_num_threads() == 2
        assert ik.get_num_threads() == 1
    assert ik.get_num_threads() == default


# ---- many callers at once: results, and a bounded number of OS threads -------------------------


def os_threads() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("Threads:"))


def settled_os_threads(at_most: int, seconds: float = 5) -> int:
    """The thread count once it drops to at_most (threads that were told to exit take a moment)."""
    deadline = time.monotonic() + seconds
    while os_threads() > at_most and time.monotonic() < deadline:
        time.sleep(0.01)
    return os_threads()


class ThreadCount:
    """The most OS threads the process had while the block ran (sampled every millisecond)."""

    def __enter__(self):
        self.before = self.most = os_threads()
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample)
        self._sampler.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.001):
            self.most = max(self.most, os_threads())

    def __exit__(self, *exc):
        self._stop.set()
        self._sampler.join()
        self.most -= 1  # the sampler itself


# Big enough to go parallel (estimated work far above the 20 µs threshold), small enough to be quick.
_f = ik.ufunc(lambda a, b: np.sqrt(np.abs(a)) * b + np.where(a > b, a, b))
_g = ik.ufunc(lambda a: np.where(a > 0.5, a * a, -a))
_norms = ik.gufunc("(n)->()")(lambda a: np.sqrt(np.sum(a * a)))
_shared_x = np.random.default_rng(5).standard_normal(400_000)
_shared_y = np.random.default_rng(6).standard_normal(400_000)


def _expected():
    x, y = _shared_x, _shared_y
    rows = x.reshape(40, 10_000)
    return (
        np.sqrt(np.abs(x)) * y + np.where(x > y, x, y),
        np.where(x > 0.5, x * x, -x),
        np.sqrt((rows * rows).sum(1)),
    )


def _start_pool():
    """One threaded call: the pool's workers (started once per process) are then counted in the
    baseline."""
    with ik.threads(2):
        _f(_shared_x, _shared_y)


def _check_calls(expected, repeats=3):
    """Calls the three kernels on the shared inputs; raises if a result differs from NumPy's."""
    f_expected, g_expected, norms_expected = expected
    for _ in range(repeats):
        np.testing.assert_array_equal(_f(_shared_x, _shared_y), f_expected)  # exact ops: bit-exact
        np.testing.assert_array_equal(_g(_shared_x), g_expected)
        np.testing.assert_allclose(_norms(_shared_x.reshape(40, 10_000)), norms_expected, rtol=1e-14)
    return True


def test_eight_threads_call_the_same_and_different_kernels_on_shared_inputs_at_once():
    expected = _expected()
    _shared_x.flags.writeable = _shared_y.flags.writeable = False  # shared and read-only
    barrier = threading.Barrier(8)
    errors = []

    def work():
        try:
            barrier.wait(timeout=30)
            _check_calls(expected)
        except Exception as exc:  # collected for the main thread
            errors.append(exc)

    _start_pool()
    with ik.threads(2), ThreadCount() as count:
        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "deadlock"
    assert not errors, errors[0]
    # One pool per process: the 8 callers, and no worker more.
    assert count.most <= count.before + 8, (count.before, count.most)
    assert settled_os_threads(count.before) <= count.before, "threads left behind"


def test_kernels_in_a_thread_pool_executor_keep_the_thread_count_bounded():
    from concurrent.futures import ThreadPoolExecutor

    expected = _expected()
    _start_pool()
    with ik.threads(2), ThreadCount() as count, ThreadPoolExecutor(max_workers=6) as pool:
        assert all(pool.map(lambda _: _check_calls(expected, repeats=2), range(24), timeout=120))
    assert count.most <= count.before + 6, (count.before, count.most)
    assert settled_os_threads(count.before) <= count.before, "threads left behind"


def test_kernels_under_dask_threaded_scheduler_keep_the_thread_count_bounded():
    da = pytest.importorskip("dask.array")
    import dask

    x = da.from_array(_shared_x.reshape(400, 1000), chunks=(50, 1000))
    y = da.from_array(_shared_y.reshape(400, 1000), chunks=(50, 1000))
    f_expected, g_expected, _ = _expected()
    workers = 4
    _start_pool()
    with ik.threads(2), ThreadCount() as count, dask.config.set(scheduler="threads", num_workers=workers):
        got_f, got_g, got_norms = dask.compute(_f(x, y), _g(x), _norms(x))
    np.testing.assert_array_equal(got_f.ravel(), f_expected)
    np.testing.assert_array_equal(got_g.ravel(), g_expected)
    np.testing.assert_allclose(got_norms, np.sqrt((_shared_x.reshape(400, 1000) ** 2).sum(1)), rtol=1e-14)
    # Dask keeps its worker threads; they share the one pool.
    assert count.most <= count.before + workers, (count.before, count.most)


def test_calls_during_a_parallel_call_run_serially_and_start_no_threads():
    # While one call runs on the pool, calls from other threads run on their own thread: no
    # second set of workers (oversubscription), no waiting for the pool either.
    from numpy.lib.stride_tricks import as_strided

    slow = ik.ufunc(lambda a: np.sin(a) * np.cos(a) + np.exp(a))
    n = 2**28
    one = as_strided(np.full(1, 0.5), shape=(n,), strides=(0,))
    sink = as_strided(np.zeros(1), shape=(n,), strides=(0,))
    expected = _expected()
    _start_pool()
    with ik.threads(2):
        before = os_threads()  # with the pool's workers
        long_call = threading.Thread(target=slow, args=(one,), kwargs={"out": sink})
        long_call.start()
        time.sleep(0.05)  # into the long call
        during = []

        def other_calls():
            _check_calls(expected, repeats=2)
            during.append(os_threads())
            during.append(long_call.is_alive())

        caller = threading.Thread(target=other_calls)
        caller.start()
        caller.join(timeout=60)
        long_call.join(timeout=60)
    assert during[1], "the long call ended too early to tell; make it longer"
    assert during[0] == before + 2, (before, during)  # the long call, the caller; no new worker


def test_zero_stride_out_holds_the_last_elements_value_as_numpy():
    # out= as a broadcast view: every element lands on the same memory, from both threads.
    from numpy.lib.stride_tricks import as_strided

    n = 3_000_000
    x = np.linspace(0.0, 1.0, n)
    sink = as_strided(np.zeros(1), shape=(n,), strides=(0,))
    np.sin(x, out=sink)
    assert sink[0] == np.sin(x[-1])  # NumPy's rule
    f = ik.ufunc(lambda a: np.sin(a) * 2.0)
    with ik.threads(2):
        for _ in range(10):
            sink[0] = 0.0
            f(x, out=sink)
            assert sink[0] == np.sin(x[-1]) * 2.0


# ---- the pool under contention and with awkward outputs ---------------------------------------


def test_results_do_not_change_with_busy_processes_beside():
    # Workers that wake late (their core busy with another process) leave their share to the
    # caller: the same bits whoever computes which piece.
    f = ik.ufunc(lambda a, b: np.where(a > 0, np.sqrt(np.abs(a)) + np.sin(b), np.exp(-a * a)))
    rng = np.random.default_rng(7)
    x, y = rng.standard_normal(1_000_003), rng.standard_normal(1_000_003)
    with ik.threads(1):
        alone = f(x, y)
    spinners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 2)
    ]
    try:
        time.sleep(0.2)  # the spinners are running
        out = np.empty_like(x)
        for threads in (2, 3):
            with ik.threads(threads):
                for _ in range(20):
                    np.testing.assert_array_equal(f(x, y, out=out), alone)
    finally:
        for p in spinners:
            p.kill()
            p.wait()


def test_eight_python_threads_at_once_give_the_bits_of_a_call_made_alone():
    from concurrent.futures import ThreadPoolExecutor

    f = ik.ufunc(lambda a, b: np.log1p(np.abs(a)) * np.cos(b) + np.where(a > b, a, b))
    rng = np.random.default_rng(8)
    inputs = [(rng.standard_normal(250_000 + i), rng.standard_normal(250_000 + i)) for i in range(8)]
    with ik.threads(2):
        alone = [f(a, b) for a, b in inputs]
    _start_pool()
    cores = os.cpu_count() or 1
    with ik.threads(2), ThreadCount() as count:
        baseline = len(os.listdir("/proc/self/task"))
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(
                pool.map(lambda i: [f(*inputs[i]) for _ in range(5)], [i % 8 for i in range(32)], timeout=120)
            )
            during = len(os.listdir("/proc/self/task"))
    for i, got in enumerate(results):
        for r in got:
            np.testing.assert_array_equal(r, alone[i % 8])
    assert count.most <= count.before + 8 + 1, (
        count.before,
        count.most,
    )  # the 8 callers, at most one worker more
    assert during <= baseline + 8 + cores, (baseline, during)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_zero_stride_out_holds_numpys_value_whatever_the_thread_count(threads):
    from numpy.lib.stride_tricks import as_strided

    n = 1_000_003
    x = np.random.default_rng(9).standard_normal(n)
    f = ik.ufunc(lambda a: np.sqrt(np.abs(a)) + 1.0)
    expected = as_strided(np.zeros(1), shape=(n,), strides=(0,))
    np.add(np.sqrt(np.abs(x)), 1.0, out=expected)
    got = as_strided(np.zeros(1), shape=(n,), strides=(0,))
    with ik.threads(threads):
        for _ in range(5):
            got[0] = 0.0
            f(x, out=got)
            assert got[0] == expected[0]


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_overlapping_outputs_of_one_call_hold_numpys_values_whatever_the_thread_count(threads):
    # Two outputs on one buffer, one element apart: NumPy's overlap rules decide what is left.
    n = 1_000_003
    x = np.random.default_rng(10).uniform(-50, 50, n)
    f = ik.ufunc(lambda a, b: np.divmod(a, b))
    expected = np.zeros(n + 1)
    np.divmod(x, 3.0, out=(expected[:-1], expected[1:]))
    with ik.threads(threads):
        for _ in range(3):
            got = np.zeros(n + 1)
            f(x, 3.0, out=(got[:-1], got[1:]))
            np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_output_overlapping_the_input_holds_numpys_values_whatever_the_thread_count(threads):
    n = 1_000_003
    f = ik.ufunc(lambda a: np.sqrt(np.abs(a)) * 0.5 + 1.0)
    base = np.random.default_rng(11).standard_normal(n + 1)
    expected = base.copy()
    np.add(np.multiply(np.sqrt(np.abs(expected[:-1])), 0.5), 1.0, out=expected[1:])
    with ik.threads(threads):
        got = base.copy()
        f(got[:-1], out=got[1:])
    np.testing.assert_array_equal(got, expected)


@pytest.mark.skipif(
    (os.cpu_count() or 1) < 2, reason="one processor: the pool has no workers to offer calls to"
)
def test_calls_that_meet_run_on_their_callers_threads_and_a_lone_caller_gets_threads_back():
    # Calls from several Python threads at once each run on their caller's thread (the callers keep
    # the cores busy; a worker would queue behind them), for a moment after they last met too; then
    # a lone call is offered to the pool's workers again.
    from concurrent.futures import ThreadPoolExecutor

    from ironkernel import _core

    f = ik.ufunc(lambda a: np.sin(a) * np.exp(-a * a))
    x = np.linspace(-3.0, 3.0, 400_003)
    with ik.threads(1):
        alone = f(x)
    with ik.threads(2):
        before = _core.pool_statistics()
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda _: [f(x) for _ in range(10)], range(4), timeout=120))
        after = _core.pool_statistics()
        time.sleep(0.1)  # longer than the 20 ms calls are remembered to have met
        np.testing.assert_array_equal(f(x), alone)
        later = _core.pool_statistics()
    for got in results:
        for r in got:
            np.testing.assert_array_equal(r, alone)
    assert after["crowded"] > before["crowded"], (before, after)
    assert later["crowded"] == after["crowded"], (after, later)
    offered = lambda s: s["offered"] + s["withheld"]
    assert offered(later) == offered(after) + 1, (after, later)
