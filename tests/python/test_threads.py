"""Thread control and thread-count independence of results."""

import os
import subprocess
import sys
import threading

import numpy as np
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
    import pytest

    for bad in (-1, 1.5, "2"):
        with pytest.raises(ValueError):
            ik.set_num_threads(bad)


def test_omp_num_threads_is_respected():
    code = "import ironkernel as ik; print(ik.get_num_threads())"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd="/", check=True)
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


def test_forked_child_can_use_kernels_after_parent_used_threads():
    code = """
import os, signal, numpy as np, ironkernel as ik
f = ik.ufunc(lambda a: np.sin(a) * 2)
g = ik.gufunc("(n)->()")(lambda a: np.sum(np.sqrt(a)))
x = np.ones(5_000_000)
f(x)  # parent starts the OpenMP pool
g(x.reshape(50, -1))
pid = os.fork()
if pid == 0:
    signal.alarm(30)  # a child that hangs (waiting for the parent's pool) dies instead of lingering
    ok = np.allclose(f(x), np.sin(x) * 2) and np.allclose(g(x.reshape(50, -1)), 100_000.0)
    ok = ok and np.allclose(g(x), 5_000_000.0)  # one long row: its chunks would be split among threads
    os._exit(0 if ok else 3)
_, status = os.waitpid(pid, 0)
print(os.WEXITSTATUS(status))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/", timeout=60)
    assert out.stdout.strip() == "0", out.stderr


def test_threads_context_manager_restores_the_setting():
    ik.set_num_threads(0)
    default = ik.get_num_threads()
    with ik.threads(1):
        assert ik.get_num_threads() == 1
        with ik.threads(2):
            assert ik.get_num_threads() == 2
        assert ik.get_num_threads() == 1
    assert ik.get_num_threads() == default
