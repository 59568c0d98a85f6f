"""Listings of the programs the passes make from many graphs, to show that a change to the passes
keeps every program as it was.

    python tools/program_listings.py record graphs.txt [pytest arguments...]
        Runs the Python tests (and compiles the benchmark expressions and random bodies built from
        test_random_expressions' vocabulary) with ironkernel._core.compile wrapped, and writes every
        distinct typed IR it was given, one hex line each, in first-seen order.
    python tools/program_listings.py list graphs.txt [--core path/to/_core.so] > listing.txt
        Compiles each recorded graph with this build's core (or with another build's extension
        module, copied aside before the change) and prints the program's listing
        (eval::to_string), its optimised graph and its cost, or the error it raised.

Compare two listings with diff: the same graphs and the same environment (IK_CHAINS, IK_BLOCK,
IK_SIMD, CPU) give the same text exactly when the passes made the same programs.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_core(path: str | None):
    if path is None:
        from ironkernel import _core

        return _core
    loader = importlib.machinery.ExtensionFileLoader("_core", path)
    spec = importlib.util.spec_from_file_location("_core", path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def random_bodies(count: int, seed: int = 20) -> list[str]:
    """Bodies of up to depth 4 from test_random_expressions' constants, unary and binary forms."""
    sys.path.insert(0, str(ROOT / "tests" / "python"))
    import test_random_expressions as t

    rng = random.Random(seed)

    def expression(depth: int) -> str:
        choice = rng.randrange(4) if depth > 0 else 0
        if choice == 0:
            return rng.choice(["a", "b"] + t.CONSTANTS)
        if choice == 1:
            return rng.choice(t.UNARY).format(expression(depth - 1))
        if choice == 2:
            return rng.choice(t.BINARY).format(expression(depth - 1), expression(depth - 1))
        return f"np.where({expression(depth - 1)} > 0, {expression(depth - 1)}, {expression(depth - 1)})"

    return [expression(4) for _ in range(count)]


def compile_extra_bodies() -> None:
    import numpy as np

    import ironkernel as ik

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import expressions

    for e in expressions.EXPRESSIONS:
        u = ik.ufunc(e.numpy)
        for dtype in (np.float64, np.float32):
            ik.explain(u, *[dtype] * e.nin)
    for body in random_bodies(1500):
        try:  # a body of constants only may not trace (1.5.astype)
            u = ik.ufunc(eval(f"lambda a, b: {body}", {"np": np}))
        except Exception:
            continue
        for dtype in (np.float64, np.float32, np.int64, np.int32):
            try:
                ik.explain(u, dtype, dtype)
            except Exception:  # a body NumPy rejects for this dtype: no loop to list
                pass


def record(out: str, pytest_args: list[str]) -> int:
    import pytest

    from ironkernel import _core

    seen: dict[bytes, None] = {}
    compile_ = _core.compile

    def recording_compile(ir):
        seen.setdefault(bytes(ir), None)
        return compile_(ir)

    _core.compile = recording_compile
    try:
        compile_extra_bodies()
        status = pytest.main(pytest_args)
    finally:
        _core.compile = compile_
        Path(out).write_text("".join(ir.hex() + "\n" for ir in seen))
    print(f"{len(seen)} graphs recorded in {out}", file=sys.stderr)
    return int(status)


def listing(graphs: str, core_path: str | None) -> int:
    core = load_core(core_path)
    for n, line in enumerate(Path(graphs).read_text().split()):
        print(f"### graph {n}")
        try:
            program = core.compile(bytes.fromhex(line))
        except Exception as e:  # the same error, with the same message, is part of the behaviour
            print(f"error {type(e).__name__}: {e}")
            continue
        print(program.graph)
        print(program)
        print(f"cost {program.cost_per_element!r}")
    return 0


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "record":
        return record(argv[1], argv[2:])
    if len(argv) >= 2 and argv[0] == "list":
        core = argv[argv.index("--core") + 1] if "--core" in argv else None
        return listing(argv[1], core)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
