"""Ctrl-C during a long call: the call finishes, KeyboardInterrupt follows, the process goes on.

NumPy's ufunc loops do not check for signals (neither do NumPy's own), so SIGINT is handled when
the call returns. The test runs a child process that makes long calls on several threads, is sent
SIGINT in the middle of each, and must then raise KeyboardInterrupt, compute correct results
(threads included) and exit normally, within a timeout.
"""

import os
import signal
import subprocess
import sys
import time

CHILD = r"""
import signal, sys, time
# Python's own handler, also when the test runs in a background job (which ignores SIGINT, and
# children inherit that).
signal.signal(signal.SIGINT, signal.default_int_handler)
import numpy as np
from numpy.lib.stride_tricks import as_strided
import ironkernel as ik

def broadcast(value, n):
    return as_strided(np.full(1, value), shape=(n,), strides=(0,))

f = ik.ufunc(lambda a: np.sin(a) * np.cos(a) + np.sqrt(np.abs(a)))
total = ik.gufunc("(n)->()")(lambda a: np.sum(np.exp(-a * a)))
x = np.linspace(-3, 3, 4_000_001)
expected_f = np.sin(x) * np.cos(x) + np.sqrt(np.abs(x))
calls = {
    "ufunc": lambda: f(broadcast(0.5, 2**30), out=broadcast(0.0, 2**30)),
    "gufunc": lambda: total(broadcast(0.25, 2**30)),
}
for name, call in calls.items():
    print("calling", name, flush=True)
    start = time.monotonic()
    try:
        call()
        time.sleep(5)  # SIGINT may land just after the call: it must come here, then
        print("not interrupted", flush=True)
        sys.exit(3)
    except KeyboardInterrupt:
        print("interrupted", name, f"{time.monotonic() - start:.2f}", flush=True)
    # Usable afterwards: right results, on several threads.
    with ik.threads(2):
        assert np.allclose(f(x), expected_f, rtol=0, atol=1e-14)
        assert np.isclose(total(np.ones((3, 1000)) * 0.5), np.exp(-0.25) * 1000).all()
print("done", flush=True)
"""


def test_sigint_during_long_calls_raises_keyboard_interrupt_and_leaves_the_process_usable():
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd="/"
    )
    lines = []
    deadline = time.monotonic() + 90
    try:
        for line in child.stdout:
            lines.append(line.strip())
            if line.startswith("calling"):
                time.sleep(0.3)  # well inside the call (seconds long)
                child.send_signal(signal.SIGINT)
            assert time.monotonic() < deadline, lines
        child.wait(timeout=max(1, deadline - time.monotonic()))
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    stderr = child.stderr.read()
    assert child.returncode == 0, (lines, stderr)
    assert [line.split()[:2] for line in lines] == [
        ["calling", "ufunc"],
        ["interrupted", "ufunc"],
        ["calling", "gufunc"],
        ["interrupted", "gufunc"],
        ["done"],
    ]
    # The interrupt came after the call had run (it is not cut short): seconds, not 0.3 s.
    durations = [float(line.split()[2]) for line in lines if line.startswith("interrupted")]
    assert all(d > 0.3 for d in durations), lines


WORKERS = r"""
import os, threading
import numpy as np
import ironkernel as ik

f = ik.ufunc(lambda a: np.sin(a) * 2.0 + np.sqrt(np.abs(a)))
g = ik.gufunc("(n)->()")(lambda a: np.sum(a * a))
with ik.threads(2):
    f(np.linspace(-3, 3, 4_000_000))
    g(np.ones((4, 1_000_000)))
main = threading.get_native_id()
for task in os.listdir("/proc/self/task"):
    with open(f"/proc/self/task/{task}/status") as status:
        blocked = int(next(line for line in status if line.startswith("SigBlk")).split()[1], 16)
    print(int(task) == main, bool(blocked & (1 << (2 - 1))))  # SIGINT is signal 2
"""


def test_worker_threads_leave_sigint_to_the_python_thread():
    # CPython acts on a signal only on its own threads: one that lands on an OpenMP worker is
    # recorded but wakes nothing, and KeyboardInterrupt may never come. ironkernel's workers
    # block SIGINT (and the other asynchronous signals); the calling thread does not.
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")  # NumPy's BLAS threads would be listed too
    out = subprocess.run(
        [sys.executable, "-c", WORKERS], capture_output=True, text=True, timeout=120, cwd="/", env=env
    )
    assert out.returncode == 0, out.stderr
    threads = [line.split() for line in out.stdout.splitlines()]
    assert ["True", "False"] in threads  # the main thread takes SIGINT
    workers = [blocked for is_main, blocked in threads if is_main == "False"]
    assert workers and all(b == "True" for b in workers), threads
