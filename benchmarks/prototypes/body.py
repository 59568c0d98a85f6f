"""The prototypes' input: a float64 body traced and typed by ironkernel itself, as a flat node list.

Both prototypes read the typed graph ironkernel's C++ core reads (``_typing.type_graph``: the op
names and numbers of ``csrc/ir/ops.def``, operands as indices of earlier nodes), not a format of
their own. Only float64 loops are typed here; other dtypes are what the prototypes would leave to
the interpreter.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ironkernel import _trace, _typing
from ironkernel._ops import OPS

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import expressions  # noqa: E402  (benchmarks/expressions.py)


@dataclass(frozen=True)
class Body:
    name: str
    func: object
    n_inputs: int
    nodes: list  # ironkernel TypedNode: op, dtype, args, value
    output: int


def typed_body(name: str, func) -> Body:
    graph = _trace.trace(func)
    nodes, outputs, _ = _typing.type_graph(graph, (np.dtype(np.float64),) * graph.n_inputs)
    assert len(outputs) == 1
    return Body(name, func, graph.n_inputs, list(nodes), outputs[0])


def where_guards(body: Body) -> dict[int, tuple[int, bool] | None]:
    """For each live node, the lanes it must be computed on: None for every lane, or (condition
    node, negated) for the lanes where a `where` selects it. Like jit_xbyak.cpp's compute_guards,
    a node needed under two different conditions, or a nested lazy where, is refused."""
    guards: dict[int, tuple[int, bool] | None] = {body.output: None}

    def merge(node: int, guard) -> None:
        if node not in guards:
            guards[node] = guard
        elif guards[node] is None or guard is None:
            guards[node] = None
        elif guards[node] != guard:
            raise NotImplementedError("a value under two different where conditions")

    for i in range(len(body.nodes) - 1, -1, -1):
        if i not in guards:
            continue
        n = body.nodes[i]
        if n.op == "where":
            if guards[i] is not None:
                raise NotImplementedError("nested lazy where")
            merge(n.args[0], None)
            merge(n.args[1], (n.args[0], False))
            merge(n.args[2], (n.args[0], True))
        else:
            for a in n.args:
                merge(a, guards[i])
    return guards


def op_code(name: str) -> int:
    return OPS[name].code


def poly7(x):
    # Degree-7 Horner polynomial (benchmarks/expressions.py's poly is degree 5).
    return (((((((0.5 * x - 1.5) * x + 0.25) * x + 2.0) * x - 0.75) * x + 1.0) * x - 0.125) * x + 3.0)


BODIES = {e.name: e.numpy for e in expressions.EXPRESSIONS if e.name in ("axpy", "multi", "poly", "hypot_like", "seed")}
BODIES["poly7"] = poly7


def safe_recip(x):
    # A lazy where over arithmetic: 1/x must not raise divide-by-zero where x == 0.
    return np.where(x != 0, 1.0 / x, 0.0)



def horner(degree: int):
    """A Horner polynomial of the given degree with distinct constants (for scaling runs)."""
    coefficients = [0.5 + 0.125 * k * (-1) ** k for k in range(degree + 1)]

    def poly_n(x):
        acc = coefficients[0] * x
        for c in coefficients[1:-1]:
            acc = (acc + c) * x
        return acc + coefficients[-1]
    poly_n.__name__ = f"horner{degree}"
    return poly_n


def wide(a, b, c, d, e, f, g, h):
    """Sixteen products of eight inputs summed: many values live at once (for scaling runs)."""
    return (a * b + c * d + e * f + g * h + a * c + b * d + e * g + f * h
            + a * d + b * c + e * h + f * g + a * e + b * f + c * g + d * h)
