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


def op_code(name: str) -> int:
    return OPS[name].code


def poly7(x):
    # Degree-7 Horner polynomial (benchmarks/expressions.py's poly is degree 5).
    return (((((((0.5 * x - 1.5) * x + 0.25) * x + 2.0) * x - 0.75) * x + 1.0) * x - 0.125) * x + 3.0)


BODIES = {e.name: e.numpy for e in expressions.EXPRESSIONS if e.name in ("axpy", "multi", "poly", "hypot_like", "seed")}
BODIES["poly7"] = poly7
