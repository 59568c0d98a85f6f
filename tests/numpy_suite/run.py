"""Runs NumPy's own ufunc tests with ironkernel kernels in place of NumPy's ufuncs (plugin.py).

    python tests/numpy_suite/run.py                 # every test of the chosen files (a few minutes)
    python tests/numpy_suite/run.py --sample 1500   # the fixed subset CI runs
    python tests/numpy_suite/run.py test_half.py -- -x -k float16   # some files, pytest options

Exits non-zero when a test that known_failures.txt does not list fails, or a listed test passes.
Uses the installed ironkernel and the NumPy test files installed with NumPy; NumPy's conftest.py
applies, this repository's pytest settings do not.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


def _load_plugin():
    spec = importlib.util.spec_from_file_location(
        "ironkernel_numpy_suite_plugin", os.path.join(HERE, "plugin.py")
    )
    plugin = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = plugin
    spec.loader.exec_module(plugin)
    return plugin


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", help="NumPy test files (default: the nine of issue 19)")
    parser.add_argument("--sample", type=int, default=0, metavar="N", help="run a fixed subset of N tests")
    parser.add_argument(
        "--no-known-failures",
        action="store_true",
        help="run without the list, to see every failure (when re-classifying)",
    )
    parser.add_argument(
        "--any-numpy", action="store_true", help="run with a NumPy other than the one the list classifies"
    )
    args = parser.parse_args(argv)

    plugin = _load_plugin()
    version = ".".join(np.__version__.split(".")[:2])
    if version != plugin.NUMPY_VERSION and not args.any_numpy:
        print(
            f"numpy_suite: skipped: known_failures.txt classifies NumPy {plugin.NUMPY_VERSION}'s tests, this is "
            f"NumPy {np.__version__} (--any-numpy runs them anyway)"
        )
        return 0
    files = [os.path.join(plugin.TESTS_DIR, f) for f in (args.files or plugin.TEST_FILES)]
    missing = [f for f in files if not os.path.isfile(f)]
    if missing:
        print(f"not found (NumPy installed without its tests?): {', '.join(missing)}", file=sys.stderr)
        return 2
    pytest_args = [
        "-c",
        os.devnull,  # not this repository's pyproject.toml (its addopts, testpaths)
        "--rootdir",
        plugin.NUMPY_DIR,  # test ids as NumPy's; numpy/conftest.py applies
        "-p",
        "no:cacheprovider",  # nothing written into site-packages
        "-q",
        "--tb=line",
        *(["--ik-sample", str(args.sample)] if args.sample else []),
        *(["--ik-no-known-failures"] if args.no_known_failures else []),
        *extra,
        *files,
    ]
    start = time.perf_counter()
    code = pytest.main(pytest_args, plugins=[plugin])
    counts = ", ".join(f"{n} {k}" for k, n in sorted(plugin.OUTCOMES.items()))
    print(
        f"numpy_suite: {sum(plugin.OUTCOMES.values())} tests ({counts}) in {time.perf_counter() - start:.0f} s"
    )
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
