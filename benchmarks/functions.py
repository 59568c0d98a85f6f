"""Every function ironkernel supports, on every dtype NumPy has a loop for, against NumPy's ufunc.

    python benchmarks/functions.py [--quick] [--sizes 1e3,1e5,1e6,1e7] [--dtypes float64,int32]
                                   [--functions sin,add] [--sections functions,operators,...]
                                   [--out benchmarks/results/functions.md]

A row is a one-op kernel (``@ik.ufunc`` of ``lambda x: np.sin(x)``) on one thread, timed against
the NumPy ufunc it traces, both writing into a preallocated ``out=``, on the input dtypes of one of
NumPy's loops (``ufunc.types``). A cell is numpy_time / ironkernel_time: > 1 is faster than NumPy;
cells below 1.0x are bold and listed at the end. Sections (--sections, comma-separated):

  functions  every NumPy ufunc in ik.supported_functions() (aliases once), e.g. np.sin(x), np.add(x, y)
  operators  the Python operators on arrays (x + y, -x, abs(x), ...) as the body
  constant   integer a // 7, a % 7 and the same by -7 (signed dtypes), against np.floor_divide(a, 7)
  where      where= masks of 1%, 50% and 99% random density on np.add, np.multiply and a three-op body
  gufuncs    one-reduction @ik.gufunc("(n)->()") of rows and of a transposed view, against axis=-1
"""

from __future__ import annotations

import argparse
import datetime
import functools
import os
import platform
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the helper modules sit next to this file

from function_inputs import (
    DENSITIES,
    FLOATS,
    OPERATORS,
    REDUCTIONS,
    UNCOMPUTED,
    WHERE_BODIES,
    body,
    input_dtypes,
    make_input,
    same,
)
from report import format_seconds, format_size
from run import BUSY_CORES, cpu_counters, cpu_model, other_cores, other_cpu_use
from timing import interleaved_median_seconds

import ironkernel as ik

FULL_SIZES = "1e3,1e5,1e6,1e7"
QUICK_SIZES = "1e3,1e5"
SECTIONS = ("functions", "operators", "constant", "where", "gufuncs")
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "functions.md"


@dataclass
class Row:
    """One body on one combination of input dtypes: a cell per column, or why there is none."""

    section: str
    label: str
    dtypes: str
    cells: dict[str, tuple[float, float]] = field(default_factory=dict)  # column -> (numpy s, ironkernel s)
    error: str = ""  # ironkernel refused it: the row is listed as n/a


@dataclass
class Timer:
    target_s: float
    min_runs: int
    mismatches: list[str] = field(default_factory=list)

    def time(
        self,
        what: str,
        kernel: Callable,
        numpy: Callable,
        inputs: list[np.ndarray],
        like: np.ndarray | None = None,
        eps: float = 64,
        **kwargs: object,
    ) -> tuple[float, float]:
        """(NumPy, ironkernel) median seconds of ``f(*inputs, out=..., **kwargs)``, each writing
        into outputs of its own (NumPy's result dtypes, or ``like``'s), after one warm-up call
        each: ironkernel types and compiles a new dtype combination on its first."""
        head = [a[:1] for a in inputs]  # asks the dtypes of a first row, not of 1e7 elements
        with np.errstate(all="ignore"):
            kernel(*head)  # raises for a dtype combination ironkernel refuses
            try:
                results = (like,) if like is not None else numpy(*head)
            except Exception as exc:
                raise RuntimeError(f"NumPy refused it too: {type(exc).__name__}: {exc}") from exc
            results = results if isinstance(results, tuple) else (results,)
            shapes = [inputs[0].shape[:1] + r.shape[1:] for r in results]
            outs_np = tuple(np.zeros(shape, r.dtype) for shape, r in zip(shapes, results))
            outs_ik = tuple(np.zeros(shape, r.dtype) for shape, r in zip(shapes, results))
            out_np, out_ik = (outs_np, outs_ik) if len(results) > 1 else (outs_np[0], outs_ik[0])
            call_np = lambda: numpy(*inputs, out=out_np, **kwargs)
            call_ik = lambda: kernel(*inputs, out=out_ik, **kwargs)
            call_ik()
            call_np()
            if not all(same(g, e, eps) for g, e in zip(outs_ik, outs_np)):
                self.mismatches.append(what)
            medians = interleaved_median_seconds(
                {"numpy": call_np, "ironkernel": call_ik}, self.target_s, self.min_runs
            )
        return medians["numpy"][0], medians["ironkernel"][0]


def fill(
    row: Row,
    timer: Timer,
    kernel: Callable,
    numpy: Callable,
    cases: Iterable[tuple[str, list[np.ndarray], dict]],
) -> Row:
    """Times the row's (column, inputs, options) cases in turn, made one at a time (inputs of 1e7
    elements are not all kept); ironkernel refusing one makes the row n/a."""
    started = time.perf_counter()
    for column, inputs, options in cases:
        try:
            row.cells[column] = timer.time(
                f"{row.label} {row.dtypes} {column}", kernel, numpy, inputs, **options
            )
        except Exception as exc:  # noqa: BLE001 -- a refused dtype is an n/a row, not a lost run
            row.error = f"{type(exc).__name__}: {exc}".splitlines()[0]
            break
    print(
        f"  {row.section}: {row.label} {row.dtypes}: {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
        flush=True,
    )
    return row


def one_op_rows(section: str, bodies: dict[str, str], args: argparse.Namespace, timer: Timer) -> list[Row]:
    """A row per body (expression -> NumPy ufunc name) and per input dtypes of the ufunc's loops."""
    rows = []
    for expression, name in bodies.items():
        ufunc = getattr(np, name)
        kernel = ik.ufunc(body(expression, ufunc.nin))
        for dtypes in (d for d in input_dtypes(ufunc) if wanted(d[0].name, args)):
            cases = (
                (format_size(n), [make_input(name, i, d, (n,), i) for i, d in enumerate(dtypes)], {})
                for n in args.sizes
            )
            rows.append(
                fill(Row(section, expression, ", ".join(d.name for d in dtypes)), timer, kernel, ufunc, cases)
            )
    return rows


def by_constant(ufunc: np.ufunc, constant: int) -> Callable:
    return lambda x, out=None: ufunc(x, constant, out=out)


def constant_rows(args: argparse.Namespace, timer: Timer) -> list[Row]:
    """x // c and x % c by a constant, against NumPy's ufunc with the same Python int."""
    rows = []
    for dtype in ("int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"):
        for constant in (7, -7):
            if not wanted(dtype, args) or (constant < 0 and dtype.startswith("u")):
                continue  # NumPy refuses a negative Python int with an unsigned array (NEP 50)
            for symbol, ufunc in (("//", np.floor_divide), ("%", np.remainder)):
                expression = f"x {symbol} {constant}"
                if matches(expression, args):
                    cases = (
                        (format_size(n), [make_input("floor_divide", 0, np.dtype(dtype), (n,), 0)], {})
                        for n in args.sizes
                    )
                    rows.append(
                        fill(
                            Row("constant", expression, dtype),
                            timer,
                            ik.ufunc(body(expression, 1)),
                            by_constant(ufunc, constant),
                            cases,
                        )
                    )
    return rows


def where_cases(dtype: str, density: float, sizes: list[int]) -> Iterator[tuple[str, list[np.ndarray], dict]]:
    for n in sizes:
        x, y = (make_input("add", 0, np.dtype(dtype), (n,), seed) for seed in (0, 1))
        mask = np.random.default_rng(2).random(n) < density  # scattered, not in runs
        yield format_size(n), [x, y], {"like": x, "where": mask}


def where_rows(args: argparse.Namespace, timer: Timer) -> list[Row]:
    rows = []
    for expression, numpy_body in WHERE_BODIES.items():
        if not matches(expression, args):
            continue
        kernel = ik.ufunc(body(expression, 2))
        for dtype in (d for d in FLOATS if wanted(d, args)):
            for density in DENSITIES:
                rows.append(
                    fill(
                        Row("where", f"{expression}, where= {density:.0%}", dtype),
                        timer,
                        kernel,
                        numpy_body,
                        where_cases(dtype, density, args.sizes),
                    )
                )
    return rows


def gufunc_shape(sizes: list[int]) -> tuple[int, int]:
    """Rows of 1000 elements adding up to the largest size: 10000 x 1000 for 1e7."""
    cols = min(1000, max(sizes))
    return max(1, max(sizes) // cols), cols


def gufunc_rows(args: argparse.Namespace, timer: Timer) -> list[Row]:
    rows = []
    nrows, ncols = gufunc_shape(args.sizes)
    for name in REDUCTIONS:
        expression = f"np.{name}(x)"
        if not matches(expression, args):
            continue
        kernel = ik.gufunc("(n)->()")(body(expression, 1))
        reference = functools.partial(getattr(np, name), axis=-1)
        for dtype in (d for d in FLOATS if wanted(d, args)):
            rng = np.random.default_rng(0)
            x = rng.standard_normal((nrows, ncols)).astype(dtype)
            if name == "any":  # mostly zeros, so that every row is read to its end
                x = np.where(rng.random(x.shape) < 1e-4, x, 0).astype(dtype)
            # Another order of summation differs by up to n epsilons.
            cases = [
                ("rows", [x], {"eps": 4 * ncols}),
                ("transposed", [np.asfortranarray(x)], {"eps": 4 * ncols}),
            ]
            rows.append(fill(Row("gufuncs", expression, dtype), timer, kernel, reference, cases))
    return rows


def matches(label: str, args: argparse.Namespace) -> bool:
    return not args.functions or any(f in label for f in args.functions)


def wanted(dtype: str, args: argparse.Namespace) -> bool:
    return args.dtypes is None or dtype in args.dtypes


def function_bodies(args: argparse.Namespace) -> dict[str, str]:
    """np.<name>(x[, y]) -> name for every NumPy ufunc ironkernel traces, each ufunc once (np.abs
    is np.absolute); the functions that are not ufuncs (np.where, np.clip, ...) have no loops."""
    ufuncs = {
        getattr(np, n).__name__ for n in ik.supported_functions() if isinstance(getattr(np, n), np.ufunc)
    }
    bodies = {f"np.{n}({', '.join('xy'[: getattr(np, n).nin])})": n for n in sorted(ufuncs)}
    return {e: n for e, n in bodies.items() if matches(e, args)}


def operator_bodies(args: argparse.Namespace) -> dict[str, str]:
    ufuncs = {
        getattr(np, n).__name__ for n in ik.supported_functions() if isinstance(getattr(np, n), np.ufunc)
    }
    return {e: n for e, n in OPERATORS.items() if n in ufuncs and matches(e, args)}


def ratio_text(numpy_s: float, ik_s: float) -> str:
    text = f"{numpy_s / ik_s:.2f}x"
    return f"**{text}** ({format_seconds(ik_s)})" if numpy_s < ik_s else text


def table(rows: list[Row], columns: list[str]) -> list[str]:
    lines = ["| body | dtypes | " + " | ".join(columns) + " |", "|---|---|" + "---:|" * len(columns)]
    for row in rows:
        cells = [ratio_text(*row.cells[c]) if c in row.cells else "—" for c in columns]
        lines.append(f"| `{row.label}` | {row.dtypes} | " + " | ".join(cells) + " |")
    return lines


def not_available(refused: list[Row]) -> list[str]:
    """The loops ironkernel refused: in one line those on dtypes it does not compute in at all, each
    of the others with its reason (a numeric dtype NumPy has a loop for and ironkernel lacks)."""
    uncomputed = [r for r in refused if any(d in r.dtypes for d in UNCOMPUTED)]
    lines = [
        "",
        (
            f"n/a: {len(uncomputed)} of NumPy's loops on {', '.join(UNCOMPUTED)} (ironkernel computes in "
            f"bool, integer, float and complex dtypes only); bodies: {len({r.label for r in uncomputed})}"
        ),
    ]
    others = [r for r in refused if r not in uncomputed]
    if others:
        lines += ["", "n/a, NumPy's loops on numeric dtypes that ironkernel refused:", ""]
        lines += [f"- `{r.label}` {r.dtypes}: {r.error[:200]}" for r in others]
    return lines if refused else []


def report(rows: list[Row], args: argparse.Namespace, timer: Timer) -> list[str]:
    """The sections' tables, what ironkernel refused (n/a), and the list of cells below 1.0x."""
    lines, slow, tally = [], [], {}  # tally: section -> (cells below 1.0x, cells)
    titles = {
        "functions": "Functions: np.<name>(x[, y])",
        "operators": "Python operators",
        "constant": "Integer division by a constant",
        "where": "where= masks (scattered)",
        "gufuncs": "One-reduction gufuncs `(n)->()` against NumPy's axis=-1, {} x {}".format(
            *gufunc_shape(args.sizes)
        ),
    }
    for section in (s for s in SECTIONS if s in args.sections):
        mine = [r for r in rows if r.section == section]
        if not mine:
            continue  # filtered out
        timed = [r for r in mine if r.cells]
        columns = ["rows", "transposed"] if section == "gufuncs" else [format_size(n) for n in args.sizes]
        lines += ["", f"## {titles[section]}", ""] + (table(timed, columns) if timed else ["(none timed)"])
        lines += not_available([r for r in mine if r.error])
        if section == "functions":
            composed = [
                f"np.{n}" for n in ik.supported_functions() if not isinstance(getattr(np, n), np.ufunc)
            ]
            lines += ["", f"Not timed, as not NumPy ufuncs (no loops to compare with): {', '.join(composed)}"]
        below = 0
        for row in timed:
            cells = [
                f"{c} {numpy_s / ik_s:.2f}x" for c, (numpy_s, ik_s) in row.cells.items() if numpy_s < ik_s
            ]
            slow += [f"`{row.label}` {row.dtypes} ({', '.join(cells)})"] if cells else []
            below += len(cells)
        tally[section] = below, sum(len(r.cells) for r in timed)
    if timer.mismatches:
        lines += [
            "",
            f"Results differing from NumPy's ({len(timer.mismatches)}): " + "; ".join(timer.mismatches),
        ]
    below, total = (sum(t[i] for t in tally.values()) for i in (0, 1))
    per_section = ", ".join(f"{section} {b}/{t}" for section, (b, t) in tally.items())
    lines += [
        "",
        f"{below} cells below 1.0x (of {total}; {per_section}): " + ("; ".join(slow) if slow else "none"),
    ]
    return lines


def header(args: argparse.Namespace, busy: float) -> list[str]:
    runtime = ik.show_config(mode="dicts")["runtime"]
    return [
        "# ironkernel against NumPy, function by function",
        "",
        (
            f"- {datetime.datetime.now():%Y-%m-%d %H:%M}, {cpu_model()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, NumPy {np.__version__}, ironkernel {ik.__version__}"
        ),
        (
            f"- instruction set: kernels {runtime['kernel_isa']}, math {runtime['math_table']}; "
            f"ironkernel on {ik.get_num_threads()} thread"
        ),
        f"- sizes {', '.join(format_size(n) for n in args.sizes)}; median of >= {args.min_runs} calls and "
        f">= {args.seconds} s per side and cell, ironkernel and NumPy in 4 interleaved rounds"
        + (" (--quick)" if args.quick else ""),
        (
            "- both write into a preallocated out=; cell = numpy_time / ironkernel_time (> 1: ironkernel faster); "
            "below 1.0x in bold, with ironkernel's time"
        ),
        f"- other processes' CPU use just before the run: {busy:.2f} cores" + busy_warning(busy),
    ]


def busy_warning(cores: float) -> str:
    return (
        " -- WARNING: the machine is busy, times are suspect (ratios less so)" if cores > BUSY_CORES else ""
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", help=f"comma-separated element counts (default {FULL_SIZES}, --quick {QUICK_SIZES})"
    )
    parser.add_argument("--dtypes", help="comma-separated dtypes of the first input to keep (default: all)")
    parser.add_argument("--functions", help="comma-separated substrings of the body, e.g. sin,add,//")
    parser.add_argument(
        "--sections", default=",".join(SECTIONS), help=f"comma-separated of {','.join(SECTIONS)}"
    )
    parser.add_argument("--quick", action="store_true", help=f"sizes {QUICK_SIZES}, shorter timing (< 3 min)")
    parser.add_argument("--seconds", type=float, help="timing per side and cell (default 0.2, --quick 0.02)")
    parser.add_argument(
        "--out", default=str(DEFAULT_OUT), help="markdown file to write (default %(default)s)"
    )
    args = parser.parse_args(argv)
    args.sizes = [
        int(float(s)) for s in (args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES)).split(",")
    ]
    args.dtypes = {np.dtype(d).name for d in args.dtypes.split(",")} if args.dtypes else None
    args.functions = [f.strip() for f in args.functions.split(",")] if args.functions else []
    args.sections = [s.strip() for s in args.sections.split(",")]
    if unknown := set(args.sections) - set(SECTIONS):
        parser.error(f"unknown sections {sorted(unknown)}; choose from {','.join(SECTIONS)}")
    args.seconds = args.seconds or (0.02 if args.quick else 0.2)
    args.min_runs = 4  # one call per interleaved round at least: a 1e7 complex call takes ~1 s
    return args


def main(argv: list[str] | None = None) -> str:
    """Runs the sections asked for; prints the report, writes it to --out and returns it."""
    args = parse_args(argv)
    timer, rows = Timer(args.seconds, args.min_runs), []
    with ik.threads(1):  # one thread against NumPy's one; the caller's setting comes back after
        lines = header(args, other_cpu_use())
        started, counters = time.perf_counter(), cpu_counters()
        if "functions" in args.sections:
            rows += one_op_rows("functions", function_bodies(args), args, timer)
        if "operators" in args.sections:
            rows += one_op_rows("operators", operator_bodies(args), args, timer)
        if "constant" in args.sections:
            rows += constant_rows(args, timer)
        if "where" in args.sections:
            rows += where_rows(args, timer)
        if "gufuncs" in args.sections:
            rows += gufunc_rows(args, timer)
    lines += report(rows, args, timer)
    elapsed = time.perf_counter() - started
    during = other_cores(counters, cpu_counters())
    lines += [
        "",
        f"Run time {elapsed:.0f} s; other processes used {during:.2f} cores on average during it"
        + busy_warning(during),
        "",
    ]
    text = "\n".join(lines)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(text)
    print(f"wrote {args.out} in {elapsed:.0f} s", file=sys.stderr)
    return text


if __name__ == "__main__":
    main()
