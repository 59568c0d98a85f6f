"""Turns measured cells into the markdown tables and the speedup plot."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from peers import setup_key


@dataclass
class Cell:
    """One (dtype, size, expression, peer) measurement."""

    dtype: str
    size: int
    expr: str
    peer: str
    seconds: float | None = None  # median; None if not run
    runs: int = 0
    matches: bool | None = None  # None: not checked (reference or not run)
    max_rel_err: float | None = None
    bit_equal: float | None = None  # fraction of elements with NumPy's bits (any NaN equals any NaN)
    max_ulp: float | None = None  # largest error in units in the last place of NumPy's result
    error: str = ""  # exception text when the peer failed on this cell


def format_seconds(seconds: float) -> str:
    # The unit is chosen after rounding to 3 digits, so 999.6 µs prints as 1 ms, not 1e+03 µs.
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale * (1 - 5e-4):
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def format_size(n: int) -> str:
    exponent = math.log10(n) if n > 0 else 0
    return f"1e{int(exponent)}" if exponent.is_integer() else str(n)


def _cell_text(cell: Cell | None, reference: Cell | None) -> str:
    if cell is None:
        return "—"  # the peer does not cover this expression / dtype
    if cell.error:
        return "error"
    text = format_seconds(cell.seconds)
    if cell.peer != "numpy" and reference is not None and reference.seconds:
        text += f" ({reference.seconds / cell.seconds:.2f}x)"
    if cell.matches is False:
        text += " ✗ WRONG"
    return text


def timing_table(cells: list[Cell], dtype: str, peers: list[str], exprs: list[str], sizes: list[int]) -> str:
    index = {(c.expr, c.size, c.peer): c for c in cells if c.dtype == dtype}
    lines = ["| expression | n | " + " | ".join(peers) + " |", "|---|---:|" + "---:|" * len(peers)]
    for expr in exprs:
        for size in sizes:
            reference = index.get((expr, size, "numpy"))
            row = [_cell_text(index.get((expr, size, p)), reference) for p in peers]
            lines.append(f"| {expr} | {format_size(size)} | " + " | ".join(row) + " |")
    return "\n".join(lines)


def setup_table(setups: dict[str, tuple[str, dict[str, float]]], exprs: list[str], dtypes: list[str]) -> str:
    """One row per expression, one column per peer that reports a one-off cost."""
    if not setups:
        return ""
    names = list(setups)
    lines = ["| expression | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for expr in exprs:
        row = []
        for name in names:
            seconds = setups[name][1]
            shared = seconds.get(setup_key(expr, "all"))
            if shared is not None:
                row.append(format_seconds(shared))
                continue
            parts = [
                f"{d}: {format_seconds(seconds[setup_key(expr, d)])}"
                for d in dtypes
                if setup_key(expr, d) in seconds
            ]
            row.append(", ".join(parts) if parts else "—")
        lines.append(f"| {expr} | " + " | ".join(row) + " |")
    lines.append("")
    lines += [f"- {name}: {what}" for name, (what, _) in setups.items()]
    return "\n".join(lines)


def verification_lines(cells: list[Cell], expr: str, dtype: str, peers: list[str]) -> list[str]:
    """Per peer: does every size of ``expr`` match NumPy, and the worst relative error."""
    lines = []
    for peer in peers:
        mine = [c for c in cells if c.expr == expr and c.dtype == dtype and c.peer == peer]
        checked = [c for c in mine if c.matches is not None]
        if not checked:
            reason = "failed" if any(c.error for c in mine) else "not checked (reference or not run)"
            lines.append(f"- {peer}: {reason}")
            continue
        worst = max((c.max_rel_err or 0.0) for c in checked)
        verdict = "matches" if all(c.matches for c in checked) else "MISMATCH"
        lines.append(
            f"- {peer}: {verdict} NumPy at n = {', '.join(format_size(c.size) for c in checked)}"
            f" (max relative error {worst:.2g})"
        )
    return lines


def format_ulp(ulp: float) -> str:
    if ulp == 0:
        return "0 ulp"
    if math.isinf(ulp):
        return "NaN or inf where NumPy differs"
    return f"{ulp:.3g} ulp" if ulp < 1e6 else f"{ulp:.1e} ulp"


def bit_equality_table(cells: list[Cell], dtype: str, peers: list[str], exprs: list[str]) -> str:
    """Per expression and peer: the share of elements bit-identical to NumPy's and the largest
    error in ulp, the worst of each over the sizes."""
    checked = [p for p in peers if any(c.peer == p and c.bit_equal is not None for c in cells)]
    lines = ["| expression | " + " | ".join(checked) + " |", "|---|" + "---:|" * len(checked)]
    for expr in exprs:
        row = []
        for peer in checked:
            mine = [
                c
                for c in cells
                if (c.expr, c.dtype, c.peer) == (expr, dtype, peer) and c.bit_equal is not None
            ]
            if not mine:
                row.append("—")
                continue
            share = min(c.bit_equal for c in mine)
            text = "100%" if share == 1.0 else f"{100 * share:.1f}%"
            ulps = [c.max_ulp for c in mine if c.max_ulp is not None]
            row.append(text if share == 1.0 or not ulps else f"{text}, {format_ulp(max(ulps))}")
        lines.append(f"| {expr} | " + " | ".join(row) + " |")
    return "\n".join(lines)


def plot_speedups(cells: list[Cell], dtype: str, peers: list[str], exprs: list[str], path: Path) -> None:
    """Speedup vs NumPy per size, log x, one panel per expression."""
    import matplotlib

    matplotlib.use("Agg")  # files only; no display on a build machine
    import matplotlib.pyplot as plt

    index = {(c.expr, c.size, c.peer): c for c in cells if c.dtype == dtype}
    ncols = min(4, len(exprs) + 1)
    nrows = math.ceil((len(exprs) + 1) / ncols)  # +1 panel for the legend
    fig, axes = plt.subplots(nrows, ncols, figsize=(4 * ncols, 3.2 * nrows), squeeze=False)
    flat = axes.ravel()
    handles = {}
    for ax, expr in zip(flat, exprs):
        for peer in peers:
            if peer == "numpy":
                continue
            points = []
            for (e, size, p), cell in sorted(index.items(), key=lambda item: item[0][1]):
                reference = index.get((e, size, "numpy"))
                if e == expr and p == peer and cell.seconds and reference and reference.seconds:
                    points.append((size, reference.seconds / cell.seconds))
            if points:
                style = "--" if peer in ("copy", "floor", "limit") else "-"  # references, not contenders
                # A fixed colour per peer, so a peer missing from one panel does not recolour the rest.
                (line,) = ax.plot(
                    *zip(*points), style, marker="o", label=peer, color=f"C{peers.index(peer) % 10}"
                )
                handles[peer] = line
        ax.axhline(1.0, color="grey", linewidth=0.8)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(expr)
        ax.set_xlabel("elements")
        ax.set_ylabel("speedup vs NumPy")
        ax.grid(True, which="both", alpha=0.3)
    for ax in flat[len(exprs) :]:
        ax.axis("off")
    flat[len(exprs)].legend(list(handles.values()), list(handles), loc="center")
    fig.suptitle(f"speedup vs NumPy ({dtype}), higher is faster")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
