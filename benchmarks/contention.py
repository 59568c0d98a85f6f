"""Threads under contention: every expression on 1 and 2 threads, with the machine idle, with
busy processes beside, and with another library's thread pool in the same process.

    python benchmarks/contention.py [--sizes 1e5,1e6,1e7] [--calls 60] [--rounds 2]
                                    [--compare /path/to/other/ironkernel --labels new,old]

Each condition (idle; one and two `python -c "while True: pass"` processes beside; another
library's pool called between the kernel calls: NumPy's BLAS via np.dot on 500x500 matrices, if
NumPy has a threaded BLAS, torch's np.sin of a million float64 elements, Dr.Jit's, each on 2
threads, if installed: their call's time alone and between the kernel calls is reported) is timed
in a fresh subprocess per build, the builds alternating for --rounds rounds so that a slow spell
of the machine hits both. Within a subprocess, 1 and 2 threads alternate every 10 calls. Every
call writes into out= and is timed on its own: median, 90th and 99th percentile. --compare adds
a second ironkernel build (a directory holding its `ironkernel` package, e.g. from
`pip install --target DIR`) to the same sitting. Run it on an otherwise idle machine: it waits
(up to 20 minutes) for the load average to drop below 0.6 and for compilers, test runs and
installs to finish before it starts, and for those and for idle cores before each subprocess.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shlex
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CONDITIONS = ("idle", "1 busy", "2 busy", "blas", "torch", "drjit")
BUSY = {"idle": 0, "1 busy": 1, "2 busy": 2, "blas": 0, "torch": 0, "drjit": 0}
# Another library's thread pool in the same process, called between the kernel calls: its call.
POOLS = ("blas", "torch", "drjit")
OTHERS = ("cc1plus", "pytest", "pip", "meson")


def others_running() -> list[str]:
    """Compilers, test runs, installs of other users of the machine (they would skew timings)."""
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        pid, _, cmd = line.strip().partition(" ")
        if int(pid) == os.getpid():
            continue
        words = [os.path.basename(w) for w in cmd.split()[:3]]
        if any(w in OTHERS or w.startswith(("pip", "pytest")) for w in words) or "cc1plus" in cmd:
            found.append(cmd[:80])
    return found


def cpu_busy(seconds: float = 1.0) -> float:
    """The share of the machine's CPU time spent outside idle (steal included: another virtual
    machine on the same cores) over the next `seconds`."""

    def sample() -> tuple[int, int]:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
        return sum(fields[:8]), fields[3] + fields[4]  # total, idle + iowait

    total0, idle0 = sample()
    time.sleep(seconds)
    total1, idle1 = sample()
    return 1.0 - (idle1 - idle0) / max(1, total1 - total0)


def wait_until_quiet(check_load: bool, limit_s: float = 1200) -> None:
    """Waits for the 1-minute load average below 0.6 (if check_load), for no compiler, test run
    or install to be running, and for the cores to be idle for a second."""
    deadline = time.monotonic() + limit_s
    while True:
        load = os.getloadavg()[0]
        busy = others_running()
        cpu = cpu_busy()
        if (not check_load or load < 0.6) and not busy and cpu < 0.1:
            return
        if time.monotonic() > deadline:
            sys.exit(f"machine still busy after {limit_s:.0f} s (load {load:.2f}, cpu {cpu:.0%}; {busy[:3]})")
        print(f"# waiting: load {load:.2f}, cpu {cpu:.0%}, running {busy[:2]}", file=sys.stderr, flush=True)
        time.sleep(60 if check_load else 5)


def worker(args: argparse.Namespace) -> None:
    """Runs in a subprocess: times every expression and size, prints one JSON line."""
    if args.ironkernel_path:
        # Another build than the installed one: drop an editable install's finder, then import
        # from the given directory.
        sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in type(f).__module__]
        sys.path.insert(0, args.ironkernel_path)
    sys.path.insert(0, HERE)
    import gc

    import numpy as np
    from expressions import EXPRESSIONS
    from run import make_inputs

    import ironkernel as ik

    other = other_pool(args.condition)
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    times: dict[str, list[float]] = {}
    gc.disable()
    if other is not None:  # the other library's call alone, before any kernel ran
        other()
        times["other|alone"] = [timed(other) for _ in range(100)]
        times["other|beside"] = []
    for expr in EXPRESSIONS:
        kernel = ik.ufunc(expr.numpy)
        for n in sizes:
            inputs = make_inputs(n, "float64", expr.nin)
            out = np.empty(n)
            for threads in (1, 2):
                times[f"{expr.name}|{n}|{threads}"] = []
            for start in range(0, args.calls, 10):
                for threads in (1, 2):
                    with ik.threads(threads):
                        kernel(*inputs, out=out)  # warm: caches, scratch memory, workers
                        for _ in range(min(10, args.calls - start)):
                            if other is not None:
                                times["other|beside"].append(timed(other))
                            t0 = time.perf_counter_ns()
                            kernel(*inputs, out=out)
                            times[f"{expr.name}|{n}|{threads}"].append((time.perf_counter_ns() - t0) / 1e6)
            del inputs, out
    print(json.dumps(times))


def timed(call) -> float:
    t0 = time.perf_counter_ns()
    call()
    return (time.perf_counter_ns() - t0) / 1e6


def other_pool(condition: str):
    """The call of another library's thread pool (2 threads) for a condition, or None."""
    import numpy as np

    x = np.random.default_rng(1).standard_normal(1_000_000)
    if condition == "blas":
        a = np.random.default_rng(1).standard_normal((500, 500))
        return lambda: np.dot(a, a)
    if condition == "torch":  # an element-wise op on torch's intra-op (OpenMP) pool
        import torch

        torch.set_num_threads(2)
        t = torch.from_numpy(x)
        return lambda: torch.sin(t)
    if condition == "drjit":
        import drjit as dr
        from drjit.llvm import Float64

        dr.set_thread_count(2)
        d = Float64(x)
        dr.eval(d)

        def call():
            r = dr.sin(d)
            dr.eval(r)
            dr.sync_thread()

        return call
    return None


def library_available(condition: str) -> bool:
    if condition == "blas":
        return has_threaded_blas()
    try:
        importlib.import_module({"torch": "torch", "drjit": "drjit.llvm"}[condition])
    except ImportError:
        return False
    return True


def run_condition(condition: str, path: str | None, args: argparse.Namespace) -> dict[str, list[float]]:
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(BUSY[condition])]
    try:
        time.sleep(0.3 if spinners else 0)
        cmd = [
            sys.executable,
            os.path.abspath(__file__),
            "--worker",
            "--condition",
            condition,
            "--sizes",
            args.sizes,
        ]
        cmd += ["--calls", str(args.calls)] + (["--ironkernel-path", path] if path else [])
        env = dict(os.environ)
        if condition != "blas":
            env.setdefault("OPENBLAS_NUM_THREADS", "1")  # NumPy's BLAS idle in the other conditions
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        for p in spinners:
            p.kill()
            p.wait()


def has_threaded_blas() -> bool:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return False
    import numpy  # noqa: F401  (loads its BLAS)

    return any(p["user_api"] == "blas" and p["num_threads"] > 1 for p in threadpool_info())


def stats(ms: list[float]) -> tuple[float, float, float]:
    import numpy as np

    return tuple(float(np.percentile(ms, q)) for q in (50, 90, 99))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1e5,1e6,1e7")
    parser.add_argument(
        "--calls", type=int, default=60, help="timed calls per expression, size and thread count"
    )
    parser.add_argument(
        "--rounds", type=int, default=2, help="subprocesses per build and condition, alternating"
    )
    parser.add_argument("--conditions", default=",".join(CONDITIONS))
    parser.add_argument("--compare", default=None, help="a directory holding another ironkernel build")
    parser.add_argument("--labels", default="new,old", help="names of the installed build and of --compare's")
    parser.add_argument("--no-wait", action="store_true", help="do not wait for an idle machine")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--condition", help=argparse.SUPPRESS)
    parser.add_argument("--ironkernel-path", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return

    labels = args.labels.split(",")
    builds = [(labels[0], None)] + ([(labels[1], args.compare)] if args.compare else [])
    conditions = [c for c in args.conditions.split(",") if c]
    for pool in POOLS:
        if pool in conditions and not library_available(pool):
            print(f"# no {pool} (threaded) here: the '{pool}' condition is skipped", file=sys.stderr)
            conditions.remove(pool)
    if not args.no_wait:
        wait_until_quiet(check_load=True)
    results: dict[tuple[str, str], dict[str, list[float]]] = {}
    for condition in conditions:
        for _ in range(args.rounds):
            for label, path in builds:
                if not args.no_wait:
                    wait_until_quiet(check_load=False)  # (the load average remembers our spinners)
                got = run_condition(condition, path, args)
                merged = results.setdefault((label, condition), {})
                for key, ms in got.items():
                    merged.setdefault(key, []).extend(ms)
        print(f"# {condition} done", file=sys.stderr, flush=True)

    print("`" + " ".join(shlex.quote(a) for a in [os.path.relpath(sys.argv[0])] + sys.argv[1:]) + "`")
    print(
        f"\n{os.cpu_count()} cores, float64, out= given; milliseconds: median / p90 / p99 of {args.calls * args.rounds} calls"
    )
    print("each; ratio: 2 threads over 1, median and p90 (below 1: 2 threads faster).\n")
    keys = [k for k in next(iter(results.values())) if not k.startswith("other|")]
    rows = sorted({k.rsplit("|", 1)[0] for k in keys}, key=lambda k: keys.index(k + "|1"))
    for condition in conditions:
        print(f"\n**{condition}**\n")
        head = "| expression | n |"
        for label, _ in builds:
            head += f" {label} 1 thread | {label} 2 threads | {label} ratio |"
        print(head)
        print("|---|---:|" + "---:|---:|---:|" * len(builds))
        for row in rows:
            name, n = row.split("|")
            line = f"| {name} | {int(n):.0e} |"
            for label, _ in builds:
                one = stats(results[(label, condition)][row + "|1"])
                two = stats(results[(label, condition)][row + "|2"])
                cell = lambda s: " / ".join(f"{v:.3g}" for v in s)
                line += f" {cell(one)} | {cell(two)} | {two[0] / one[0]:.2f} / {two[1] / one[1]:.2f} |"
            print(line)
        if condition in POOLS:
            for label, _ in builds:
                got = results[(label, condition)]
                alone, beside = stats(got["other|alone"]), stats(got["other|beside"])
                print(
                    f"\n{label}: the {condition} call (2 threads) alone {alone[0]:.3g} / {alone[1]:.3g} ms, "
                    f"between kernel calls {beside[0]:.3g} / {beside[1]:.3g} ms (median / p90: "
                    f"{beside[0] / alone[0]:.2f}x / {beside[1] / alone[1]:.2f}x)"
                )
                if (label, "idle") in results:
                    worst = max(
                        stats(got[r + "|2"])[0] / stats(results[(label, "idle")][r + "|2"])[0] for r in rows
                    )
                    print(
                        f"{label}: ironkernel's 2-thread median beside it, over idle's: at most {worst:.2f}x"
                    )


if __name__ == "__main__":
    main()
