"""What `import ironkernel` adds to `import numpy`, in fresh processes.

    python benchmarks/import_time.py [--runs 10]

Each run is a fresh interpreter with ``-X importtime`` importing numpy and then ironkernel; the
cumulative times of the two top-level imports are read from its report, so the ironkernel figure
is what it adds after NumPy (its own modules, its compiled core and whatever it runs at import).
The wall time of the whole process is given beside, for ``python -c "import numpy"`` and for
``python -c "import ironkernel"``. Medians over the runs; nothing else should run (the issue's
budget: 30 ms on top of NumPy).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def importtime_ms(code: str) -> dict[str, float]:
    """The cumulative import time of each top-level module that `code` imports, in ms."""
    report = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True
    ).stderr
    times = {}
    for line in report.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split(":", 1)[1].split("|")
        if cumulative.strip().isdigit() and not name.startswith("  "):  # the header; nested imports
            times.setdefault(name.strip(), float(cumulative) / 1000)
    return times


def wall_ms(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="fresh processes per figure (default 10)")
    args = parser.parse_args()

    numpy_ms, ironkernel_ms, wall_numpy, wall_ironkernel = [], [], [], []
    for _ in range(args.runs):
        times = importtime_ms("import numpy; import ironkernel")
        numpy_ms.append(times["numpy"])
        ironkernel_ms.append(times["ironkernel"])
        wall_numpy.append(wall_ms("import numpy"))
        wall_ironkernel.append(wall_ms("import ironkernel"))

    import numpy

    import ironkernel

    print(
        f"ironkernel {ironkernel.__version__}, NumPy {numpy.__version__}, Python {sys.version.split()[0]}; "
        f"median of {args.runs} fresh processes"
    )
    print("| measure | ms |")
    print("|---|---|")
    print(f"| -X importtime: import numpy | {statistics.median(numpy_ms):.1f} |")
    print(f"| -X importtime: import ironkernel after numpy | {statistics.median(ironkernel_ms):.1f} |")
    print(f"| wall: python -c 'import numpy' | {statistics.median(wall_numpy):.1f} |")
    print(f"| wall: python -c 'import ironkernel' | {statistics.median(wall_ironkernel):.1f} |")


if __name__ == "__main__":
    main()
