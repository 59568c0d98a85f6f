"""Draws the speedup plot of the performance page from the table in performance_results.md.

The table is the one ``python benchmarks/run.py`` prints (or the README's shorter form of it): a
cell is a median time such as ``3.46 µs`` or ``26.2 ms (7.1x)``; the speedup of a peer is
NumPy's time over the peer's, recomputed here from the times. The Sphinx build runs this script
(docs/conf.py); by hand:

    python docs/plot_speedups.py [docs/performance_results.md] [out.png]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

UNITS = {"s": 1.0, "ms": 1e-3, "µs": 1e-6, "us": 1e-6, "ns": 1e-9}
PEERS = [
    "ironkernel",
    "numexpr",
    "numba",
    "JAX",
    "torch.compile",
    "Dr.Jit",
]  # drawn, in this order, when present
COLOURS = {
    "ironkernel": "#c0392b",
    "numexpr": "#7f8c8d",
    "numba": "#2c7fb8",
    "JAX": "#8e6bbf",
    "torch.compile": "#e67e22",
    "Dr.Jit": "#27ae60",
}


def seconds(cell: str) -> float | None:
    """The time in a table cell, or None for a cell without one (—, error)."""
    match = re.match(r"\s*([0-9.]+)\s*(s|ms|µs|us|ns)\b", cell)
    return float(match.group(1)) * UNITS[match.group(2)] if match else None


def read_table(path: Path) -> tuple[list[str], list[list[str]]]:
    """The header and rows of the first markdown table in a file."""
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    rows = [line for line in lines if line.startswith("|")]
    if len(rows) < 3:
        raise ValueError(f"{path}: no markdown table")
    split = [[c.strip() for c in row.strip("|").split("|")] for row in rows]
    return split[0], split[2:]


def speedups(header: list[str], rows: list[list[str]]) -> tuple[list[str], dict[str, list[float | None]]]:
    """Row labels ("seed, n = 1e7") and, per peer, NumPy's time over the peer's time per row."""
    columns = {name.lower(): k for k, name in enumerate(header)}
    labels, result = [], {p: [] for p in PEERS if p.lower() in columns}
    for row in rows:
        reference = seconds(row[columns["numpy"]])
        dtype = f" {row[columns['dtype']]}" if "dtype" in columns else ""
        labels.append(f"{row[0].strip('`')}{dtype}, n = {row[columns['n']]}")
        for peer, values in result.items():
            t = seconds(row[columns[peer.lower()]])
            values.append(reference / t if reference and t else None)
    return labels, result


def plot(labels: list[str], result: dict[str, list[float | None]], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 0.55 * len(labels) + 1.4), dpi=110)
    height = 0.8 / len(result)
    for k, (peer, values) in enumerate(result.items()):
        positions = [i + (k - (len(result) - 1) / 2) * height for i in range(len(labels))]
        ax.barh(positions, [v or 0 for v in values], height=height, label=peer, color=COLOURS.get(peer))
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set_xlabel("speedup over NumPy (NumPy time / time; 1 = as fast as NumPy)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    # No timestamps in the file: the same table gives the same image.
    fig.savefig(out, metadata={"Software": None})
    plt.close(fig)


def main(argv: list[str]) -> Path:
    here = Path(__file__).resolve().parent
    table = Path(argv[0]) if argv else here / "performance_results.md"
    out = Path(argv[1]) if len(argv) > 1 else here / "_generated" / "speedup_float64.png"
    plot(*speedups(*read_table(table)), out)
    return out


if __name__ == "__main__":
    print(f"wrote {main(sys.argv[1:])}")
