"""``ik.gufunc``: fused reductions over one core dimension, as a real NumPy gufunc.

A body such as ``np.sqrt(np.sum((a - b) ** 2))`` is traced like an element-wise kernel, with
reductions allowed. Per input dtype, the typed graph is cut into stages: *passes* over the core
elements of a row (element-wise programs whose outputs are reduced or written), and *scalar*
stages between them (one-element programs over the row's scalars). A value that needs a reduction
of a value that itself needs a reduction (softmax: ``exp(x - max(x)) / sum(...)``) takes one more
pass; element-wise work is recomputed in each pass rather than stored, so no row-sized temporary
exists. The C++ core runs the stages row by row, rows in parallel.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _core
from ._ir import DTYPE_CODES, Graph, TypedNode, to_payload, typed_bytes
from ._loops import LoopMaker, check_body
from ._registry import kernel_name, remember
from ._trace import trace
from ._typing import LoopRejected

# StageInput / StageOutput kinds and Reduce values of csrc/eval/gufunc/gufunc_plan.hpp, as _core gives them.
_VECTOR_INPUT, _TABLE_INPUT = (_core.stage_input_kinds[k] for k in ("vector_input", "table"))
_REDUCE_INTO_TABLE, _TABLE_OUTPUT, _VECTOR_OUTPUT = (
    _core.stage_output_kinds[k] for k in ("reduce_into_table", "table", "vector_output")
)
# reduce_sequential_sum adds one value after the other (NumPy's float16 np.dot), reduce_sum pairwise.
_REDUCE_KINDS = {f"reduce_{name}": code for name, code in _core.reductions.items()}


@dataclass(frozen=True)
class Signature:
    text: str
    inputs: tuple[bool, ...]  # per input: has the core dimension
    outputs: tuple[bool, ...]


def parse_signature(text: str) -> Signature:
    """Checks a gufunc signature; ironkernel supports one core dimension name, used or not by
    each operand, like "(n),(n)->()", "(n)->(n)" or "(n),()->(n)"."""
    if not isinstance(text, str) or "->" not in text:
        raise ValueError(f"gufunc signature {text!r} must look like '(n),(n)->()'")
    sides = text.replace(" ", "").split("->")
    parsed = []
    for side in sides:
        groups = re.fullmatch(r"\(([^()]*)\)(,\([^()]*\))*", side)
        if not groups:
            raise ValueError(
                f"gufunc signature {text!r}: cannot read {side!r}; write operands as '(n)' or '()'"
            )
        parsed.append([g.split(",") if g else [] for g in re.findall(r"\(([^()]*)\)", side)])
    names = {name for side in parsed for dims in side for name in dims}
    if any(len(dims) > 1 for side in parsed for dims in side) or len(names) > 1:
        raise NotImplementedError(
            f"gufunc signature {text!r}: ironkernel supports one core dimension (a single "
            "name such as n, at most one per operand) for now"
        )
    for name in names:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise NotImplementedError(
                f"gufunc signature {text!r}: core dimension {name!r} must be a name "
                "(fixed sizes and '?' are not supported)"
            )
    inputs = tuple(bool(d) for d in parsed[0])
    outputs = tuple(bool(d) for d in parsed[1])
    if any(outputs) and not any(inputs):
        raise NotImplementedError(
            f"gufunc signature {text!r}: an output core dimension must also be an input's"
        )
    return Signature(text, inputs, outputs)


class _Partition:
    """Cuts one typed graph into the stages of a plan."""

    def __init__(self, nodes: list[TypedNode], outputs: list[int], signature: Signature, where: str):
        self.nodes, self.outputs, self.sig = nodes, outputs, signature
        self.vector, self.level = [], []
        for n in nodes:
            if n.op == "input":
                vector, level = signature.inputs[n.value], 0
            elif n.op in ("constant", "length"):
                vector, level = False, 0
            elif n.op in _REDUCE_KINDS:
                if not self.vector[n.args[0]]:
                    raise LoopRejected(
                        "a reduction is applied to a value without the core dimension (one value per row)",
                        where,
                    )
                vector, level = False, self.level[n.args[0]] + 1
            else:
                vector = any(self.vector[a] for a in n.args)
                level = max((self.level[a] for a in n.args), default=0)
            self.vector.append(vector)
            self.level.append(level)
        for k, (o, core) in enumerate(zip(outputs, signature.outputs)):
            if self.vector[o] != core:
                what = "an element per core element" if self.vector[o] else "one value per row"
                raise LoopRejected(
                    f"output {k} is {what}, but the signature says {'(n)' if core else '()'}: "
                    f"{'reduce it (np.sum, np.max, ...)' if self.vector[o] else 'return a vector'}",
                    where,
                )
        self.table: list[np.dtype] = []
        self.slot: dict[int, int] = {}
        self.stages: list[tuple] = []

    def slot_of(self, i: int) -> int:
        if i not in self.slot:
            self.slot[i] = len(self.table)
            self.table.append(self.nodes[i].dtype)
        return self.slot[i]

    def is_row_value(self, i: int) -> bool:
        n = self.nodes[i]
        return not self.vector[i] and n.op != "constant"

    def program(self, targets: list[int], computes_scalars: set[int]) -> tuple[Any, list[tuple[int, int]]]:
        """An element-wise program computing targets; row values it reads become table inputs."""
        mapping: dict[int, int] = {}
        sub: list[TypedNode] = []
        inputs: list[tuple[int, int]] = []

        def visit(i: int) -> int:
            if i in mapping:
                return mapping[i]
            n = self.nodes[i]
            if n.op == "input" and self.vector[i]:
                inputs.append((_VECTOR_INPUT, n.value))
                new = TypedNode("input", n.dtype, value=len(inputs) - 1)
            elif self.is_row_value(i) and i not in computes_scalars:
                inputs.append((_TABLE_INPUT, self.slot_of(i)))
                new = TypedNode("input", n.dtype, value=len(inputs) - 1)
            else:
                new = TypedNode(n.op, n.dtype, tuple(visit(a) for a in n.args), n.value)
            sub.append(new)
            mapping[i] = len(sub) - 1
            return mapping[i]

        outs = [visit(t) for t in targets]
        return _core.compile(typed_bytes(len(inputs), sub, outs)), inputs

    def needed(self) -> set[int]:
        seen, stack = set(), list(self.outputs)
        while stack:
            i = stack.pop()
            if i not in seen:
                seen.add(i)
                stack.extend(self.nodes[i].args)
        return seen

    def plan(self) -> Any:
        needed = sorted(self.needed())
        top = max((self.level[i] for i in needed), default=0)
        for i in needed:  # row values that exist before any stage
            if (self.nodes[i].op == "input" and not self.vector[i]) or self.nodes[i].op == "length":
                self.slot_of(i)
        for level in range(top + 1):
            # Scalars computable at this level (from row values of this level or earlier).
            scalars = [
                i
                for i in needed
                if not self.vector[i]
                and self.level[i] == level
                and self.nodes[i].op not in ("input", "length", "constant")
                and self.nodes[i].op not in _REDUCE_KINDS
            ]
            scalars += [
                o
                for o in self.outputs
                if o in needed and self.nodes[o].op == "constant" and level == 0 and o not in scalars
            ]
            if scalars:
                program, inputs = self.program(scalars, set(scalars))
                self.stages.append(
                    (False, program, inputs, [(_TABLE_OUTPUT, self.slot_of(i), 0) for i in scalars])
                )
            # The pass at this level: arguments of the reductions giving level + 1, and vector outputs.
            reductions = [
                i for i in needed if self.nodes[i].op in _REDUCE_KINDS and self.level[i] == level + 1
            ]
            vector_outputs = [
                (k, o) for k, o in enumerate(self.outputs) if self.vector[o] and self.level[o] == level
            ]
            if reductions or vector_outputs:
                targets = [self.nodes[i].args[0] for i in reductions] + [o for _, o in vector_outputs]
                program, inputs = self.program(targets, set())
                outs = [
                    (_REDUCE_INTO_TABLE, self.slot_of(i), _REDUCE_KINDS[self.nodes[i].op]) for i in reductions
                ]
                outs += [(_VECTOR_OUTPUT, k, 0) for k, _ in vector_outputs]
                self.stages.append((True, program, inputs, outs))
        input_slot = [
            self.slot.get(self._input_node(k), -1) if not core else -1
            for k, core in enumerate(self.sig.inputs)
        ]
        output_slot = [-1 if core else self.slot_of(o) for o, core in zip(self.outputs, self.sig.outputs)]
        length = next((i for i, n in enumerate(self.nodes) if n.op == "length"), None)
        return _core.make_plan(
            len(self.sig.inputs),
            len(self.sig.outputs),
            list(self.sig.inputs),
            list(self.sig.outputs),
            [DTYPE_CODES[t] for t in self.table],
            input_slot,
            output_slot,
            self.slot.get(length, -1) if length is not None else -1,
            self.stages,
        )

    def _input_node(self, position: int) -> int:
        return next((i for i, n in enumerate(self.nodes) if n.op == "input" and n.value == position), -1)


def empty_row_warnings(graph: Graph) -> tuple[tuple[str, float], ...]:
    """NumPy's RuntimeWarnings for short rows, as (message, most): warn when the core length n is
    at most `most`. np.mean of an empty row warns "Mean of empty slice"; np.var and np.std warn
    "Degrees of freedom <= 0 for slice" when ddof >= n (their own mean does not warn). The gufunc
    loop cannot warn (it runs without the GIL, once the length is known); NumPy >= 2.1's core
    dimension hook can, before the loop (see make_ufunc.cpp's check_core_dims)."""
    most: dict[str, float] = {}
    for node in graph.nodes:
        if node.kind == "mean" and node.value is None:
            most["Mean of empty slice"] = max(most.get("Mean of empty slice", 0), 0)
        elif node.kind == "divide_by_dof":
            message = "Degrees of freedom <= 0 for slice"
            most[message] = max(most.get(message, node.value), node.value)
    return tuple(sorted(most.items()))


def build(graph: Graph, options: dict, func_name: str) -> np.ufunc:
    """The gufunc of a traced body: loops typed and planned per combination of argument dtypes on
    first use, as for ik.ufunc (_loops.py); the body is checked against the signature here."""
    sig = parse_signature(options["signature"])
    if len(sig.inputs) != graph.n_inputs:
        raise TypeError(
            f"cannot make a gufunc of {func_name}(): the signature {sig.text!r} has {len(sig.inputs)} "
            f"input(s), the function takes {graph.n_inputs}"
        )
    if len(sig.outputs) != len(graph.outputs):
        raise TypeError(
            f"cannot make a gufunc of {func_name}(): the signature {sig.text!r} has {len(sig.outputs)} "
            f"output(s), the function returns {len(graph.outputs)}"
        )
    graph.func_name = func_name
    check_body(graph, lambda nodes, outputs: _Partition(nodes, outputs, sig, ""))
    maker = LoopMaker(
        graph, options["name"], lambda nodes, outputs: _Partition(nodes, outputs, sig, "").plan()
    )
    return _core.make_gufunc(
        options["name"],
        options["doc"],
        graph.n_inputs,
        len(graph.outputs),
        sig.text,
        maker,
        to_payload(graph, options),
        list(empty_row_warnings(graph)),
    )


def gufunc(
    signature: str, *, name: str | None = None, doc: str | None = None
) -> Callable[[Callable], np.ufunc]:
    """Turn a function over core vectors into one fused NumPy gufunc.

    Inside the body, inputs with the core dimension are vectors: element-wise operations (all
    that ``ik.ufunc`` supports) and reductions over the vector (``np.sum``, ``np.prod``,
    ``np.mean``, ``np.min``, ``np.max``, ``np.any``, ``np.all``, ``np.var``, ``np.std``,
    ``np.dot``, ``np.argmin``, ``np.argmax`` and the method forms ``x.sum()`` ...) compose
    freely, and a reduced value broadcasts back along the vector.

    Parameters
    ----------
    signature : str
        The gufunc signature, with one core dimension name: ``"(n),(n)->()"``, ``"(n)->(n)"``,
        ``"(n),()->(n)"``.
    name : str, optional
        The gufunc's ``__name__``, as for ``ik.ufunc`` (default: the function's name).
    doc : str, optional
        The docstring (default: the function's).

    Returns
    -------
    callable
        A decorator that takes the function and returns the gufunc: a ``numpy.ufunc`` with
        ``signature`` set, on which ``axes=``, ``axis=``, ``keepdims=``, ``out=`` and
        broadcasting over the loop dimensions work as for NumPy's gufuncs.

    Raises
    ------
    ValueError
        The signature cannot be read.
    NotImplementedError
        The signature has more than one core dimension name, a fixed size, ``?``, or an output
        core dimension that no input has.
    TracingError
        Raised by the decorator, as for ``ik.ufunc``.
    TypeError
        Raised by the decorator when the body does not match the signature or NumPy rejects it
        for every input dtype.

    See Also
    --------
    ufunc : Element-wise kernels.
    explain : The stages a gufunc runs.

    Examples
    --------
    >>> import numpy as np, ironkernel as ik
    >>> @ik.gufunc("(n),(n)->()")
    ... def dist(a, b):
    ...     return np.sqrt(np.sum((a - b) ** 2))
    >>> dist(np.zeros((2, 3)), np.ones(3))
    array([1.73205081, 1.73205081])

    A reduced value broadcasts back along the row:

    >>> @ik.gufunc("(n)->(n)")
    ... def softmax(x):
    ...     e = np.exp(x - np.max(x))
    ...     return e / np.sum(e)
    >>> softmax(np.log([[1.0, 1.0, 2.0]]))
    array([[0.25, 0.25, 0.5 ]])
    """
    parse_signature(signature)  # fail at decoration, before tracing

    def decorate(f: Callable) -> np.ufunc:
        graph = trace(f, reductions=True)
        func_name = getattr(f, "__name__", "kernel")
        options = {
            "name": kernel_name(name or func_name),
            "doc": doc if doc is not None else (f.__doc__ or ""),
            "identity": None,
            "signature": signature,
        }
        u = build(graph, options, func_name)
        _core.loop_maker_of(u).body = f
        remember(_core.payload_of(u), u)
        return u

    return decorate
