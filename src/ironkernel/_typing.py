"""Typing: gives every node of an untyped graph the dtype NumPy would give it, by asking NumPy.

For one choice of input dtypes, each ufunc call is typed with ``ufunc.resolve_dtypes`` (Python
scalars passed as their types, so NEP 50's weak-scalar rules apply), ``np.where`` with
``np.result_type``, and explicit casts are inserted where NumPy's chosen loop needs them. The
result is a typed node list for the C++ core, or a ``LoopRejected`` saying why NumPy would refuse.
"""

from __future__ import annotations

import numpy as np

from ._ir import DTYPE_CODES, Graph, TypedNode, constant_bytes
from ._typing_compound import CompoundFunctions
from ._typing_rules import (
    _COMPARISONS,
    _SYMBOLS,
    _WEAK,
    _WEAK_DEFAULT,
    LoopRejected,
    Refusal,
    _exact_key,
    _loop_plan,
    _real_dtype,
    _weak_operand,
)


class _Typer(CompoundFunctions):
    def __init__(self, graph: Graph, in_specs: tuple):
        self.graph = graph
        self.in_specs = in_specs  # per input: its dtype, or int/float/complex for a Python scalar
        self.nodes: list[TypedNode] = []
        self.index: dict[TypedNode, int] = {}
        # per untyped node: ("typed", index, dtype), ("weak", python value) for a constant, or
        # ("weakrun", index, kind, input position or None) for a run-time value that promotes like a
        # Python scalar of that kind (a Python scalar argument, or a gufunc's core length): its node
        # has the kind's default dtype.
        self.values: list[tuple] = []
        self.weak_uses: dict[int, set[np.dtype]] = {}  # per Python scalar input: the dtypes it is used at
        self.compared: set[int] = set()  # Python int inputs compared with an integer value

    def add(self, node: TypedNode) -> int:
        key = node
        if node.op == "constant":  # by bits: -0.0 and 0.0 are different constants
            key = ("constant", node.dtype, constant_bytes(node.value, node.dtype))
        index = self.index.get(key)
        if index is None:
            index = self.index[key] = len(self.nodes)
            self.nodes.append(node)
        return index

    def check_dtype(self, dtype: np.dtype, where: str) -> np.dtype:
        if dtype not in DTYPE_CODES:
            raise LoopRejected(f"ironkernel does not compute in {dtype} yet", where)
        return dtype

    def as_dtype(
        self,
        value: tuple,
        dtype: np.dtype,
        where: str,
        ufunc_operand: bool = False,
        record: bool = True,
        branch: bool = False,
    ) -> int:
        """The node index of an operand converted to dtype (a cast, or a constant of that dtype).
        ufunc_operand: a Python int that does not fit an integer dtype rejects the loop, as NumPy 2
        refuses it for ufuncs (np.where, a function, wraps it). branch: the operand is a branch of
        np.where, which converts a Python scalar argument to dtype as a ufunc operand is."""
        if value[0] == "typed" and value[2] == dtype:  # checked when it was typed
            return value[1]
        self.check_dtype(dtype, where)
        if value[0] == "weakrun":
            _, index, kind, position = value
            if position is not None and record:  # a Python scalar argument: where the call may convert it
                self.weak_uses[position].add(dtype if ufunc_operand or branch else None)
            return index if dtype == _WEAK_DEFAULT[kind] else self.add(TypedNode("cast", dtype, (index,)))
        if value[0] == "weak":
            operand = _weak_operand(type(value[1]), _exact_key(value[1]), dtype, ufunc_operand)
            if isinstance(operand, Refusal):
                raise LoopRejected(operand.message, where, operand.error)
            scalar, wide = operand
            if wide is not None:
                # NumPy casts the Python number into dtype on every call and warns of the
                # overflow each time: the cast of a wide constant does the same here (constant
                # folding keeps a node whose evaluation raises a flag).
                return self.add(
                    TypedNode("cast", dtype, (self.add(TypedNode("constant", wide.dtype, value=wide)),))
                )
            return self.add(TypedNode("constant", dtype, value=scalar))
        return self.add(TypedNode("cast", dtype, (value[1],)))

    def operand_spec(self, value: tuple) -> object:
        if value[0] == "weakrun":
            return value[2]
        return type(value[1]) if value[0] == "weak" else value[2]

    def typed(self, op: str, dtype: np.dtype, args: tuple[int, ...], where: str) -> tuple:
        self.check_dtype(dtype, where)
        return ("typed", self.add(TypedNode(op, dtype, args)), dtype)

    def call(
        self,
        ufunc_name: str,
        operands: list[tuple],
        where: str,
        output: int | None = None,
        operator: bool = False,
    ) -> tuple:
        """np.<ufunc_name> of typed operands; operator: written as a Python operator (a + b)."""
        python_only = any(v[0] == "weakrun" for v in operands) and all(
            v[0] in ("weak", "weakrun") for v in operands
        )
        if python_only and not operator:
            # A NumPy function of Python scalars gives a NumPy scalar, which is not weak.
            operands = [self.materialize(v, where) if v[0] == "weakrun" else v for v in operands]
            python_only = False
        specs = tuple(self.operand_spec(v) for v in operands)
        if python_only and ufunc_name in _COMPARISONS:
            # Python compares Python numbers exactly: as NumPy compares them in the widest kind's dtype
            # (and refuses to order complex numbers).
            widest = max(specs, key=[int, float, complex].index)
            if widest is complex and ufunc_name not in ("equal", "not_equal"):
                raise LoopRejected(
                    f"'{_SYMBOLS[ufunc_name]}' not supported between instances of "
                    f"'{specs[0].__name__}' and '{specs[1].__name__}'",
                    where,
                )
            specs = (_WEAK_DEFAULT[widest],) * len(specs)
        plan = _loop_plan(ufunc_name, specs, output, tuple(getattr(d, "char", None) for d in specs))
        if isinstance(plan, Refusal):
            raise LoopRejected(plan.message, where, plan.error)
        loop_in, loop_out, op, out_dtype, problem = plan
        if ufunc_name in _COMPARISONS and not python_only:
            answer = self.comparison_out_of_range(ufunc_name, operands, loop_in)
            if answer is not None:
                return answer
            if {loop_in[0].kind, loop_in[1].kind} == {"i", "u"}:
                return self.mixed_sign_comparison(ufunc_name, operands, loop_in, where)
        if python_only and out_dtype.kind in "iufc" and output is None and problem is None:
            # Python arithmetic on Python scalar arguments (scale * 2) gives a Python scalar, which
            # stays weak: computed in its kind's default dtype, converted where it is used.
            kind = {"i": int, "u": int, "f": float, "c": complex}[out_dtype.kind]
            args = tuple(self.as_dtype(v, d, where, record=False) for v, d in zip(operands, loop_in))
            value = self.typed(op, out_dtype, args, where)
            # The uses of the result count as uses of the argument it comes from (of several: none).
            positions = {v[3] for v in operands if v[0] == "weakrun" and v[3] is not None}
            for position in positions if len(positions) > 1 else ():
                self.weak_uses[position].add(None)
            position = positions.pop() if len(positions) == 1 else None
            return ("weakrun", self.as_dtype(value, _WEAK_DEFAULT[kind], where, record=False), kind, position)
        # A Python int argument compared with integers is not a use that decides its dtype (see
        # declared_dtypes).
        compared = {
            k
            for k, v in enumerate(operands)
            if v[0] == "weakrun"
            and v[3] in self.compared
            and ufunc_name in _COMPARISONS
            and loop_in[k].kind in "iu"
        }
        args = tuple(
            self.as_dtype(v, d, where, ufunc_operand=True, record=not python_only and k not in compared)
            for k, (v, d) in enumerate(zip(operands, loop_in))
        )
        fast = self.scalar_power(ufunc_name, operands, loop_in[0])
        if fast:
            return self.typed(fast, loop_out[0], args[:1], where)
        if ufunc_name == "modf":
            return self.modf(args[0], loop_in[0], output, where)
        if problem:
            raise LoopRejected(problem, where)
        return self.typed(op, out_dtype, args, where)

    def mixed_sign_comparison(
        self, ufunc_name: str, operands: list[tuple], loop_in: tuple, where: str
    ) -> tuple:
        """A signed integer compared with an unsigned one (int64 with uint64, which no common dtype
        holds), exactly: a negative value is below every unsigned one; otherwise both compare as
        unsigned."""
        if loop_in[0].kind == "u":  # as "signed OP unsigned"
            operands, loop_in, ufunc_name = operands[::-1], loop_in[::-1], _COMPARISONS[ufunc_name]
        signed = self.as_dtype(operands[0], loop_in[0], where, ufunc_operand=True)
        unsigned = self.as_dtype(operands[1], loop_in[1], where, ufunc_operand=True)
        boolean = np.dtype(bool)
        zero = self.add(TypedNode("constant", loop_in[0], value=np.zeros((), loop_in[0])[()]))
        negative = self.add(TypedNode("less", boolean, (signed, zero)))
        as_unsigned = self.add(TypedNode("cast", loop_in[1], (signed,)))
        compared = self.add(TypedNode(ufunc_name, boolean, (as_unsigned, unsigned)))
        if ufunc_name in ("less", "less_equal", "not_equal"):  # true for every negative value
            return self.typed("bitwise_or", boolean, (negative, compared), where)
        return self.typed(
            "bitwise_and",
            boolean,
            (self.add(TypedNode("logical_not", boolean, (negative,))), compared),
            where,
        )

    def comparison_out_of_range(self, ufunc_name: str, operands: list[tuple], loop_in: tuple) -> tuple | None:
        """NumPy compares integers with a Python int outside their dtype's range without converting
        it (NumPy 2; 1.26 compares in a wider dtype): every element lies on the same side of it, so the
        answer is a constant. None where that is not the case. A Python int argument compared with
        integers (and used nowhere else) is kept in int64 (see declared_dtypes), which holds it."""
        for k, value in enumerate(operands):
            if value[0] == "weakrun" and value[3] is not None and value[2] is int and loop_in[k].kind in "iu":
                self.compared.add(value[3])
        for k, value in enumerate(operands):
            if value[0] != "weak" or type(value[1]) is not int or loop_in[k].kind not in "iu":
                continue
            info = np.iinfo(loop_in[k])
            if info.min <= value[1] <= info.max:
                return None
            name = ufunc_name if k == 1 else _COMPARISONS[ufunc_name]  # as "x OP number"
            above = value[1] > info.max
            holds = {
                "less": above,
                "less_equal": above,
                "greater": not above,
                "greater_equal": not above,
                "equal": False,
                "not_equal": True,
            }[name]
            return (
                "typed",
                self.add(TypedNode("constant", np.dtype(bool), value=np.bool_(holds))),
                np.dtype(bool),
            )
        return None

    def where_(self, cond: tuple, a: tuple, b: tuple, where: str) -> tuple:
        """np.where: the condition's truthiness, branches in np.result_type of the two."""
        condition = self.as_dtype(cond, np.dtype(bool), where)
        try:
            # A run-time Python scalar promotes as a Python scalar of its kind, whatever its value.
            dtype = np.result_type(
                *(v[1] if v[0] == "weak" else v[2](0) if v[0] == "weakrun" else v[2] for v in (a, b))
            )
        except TypeError as exc:
            raise LoopRejected(f"np.where: {exc}", where) from None
        args = (
            condition,
            self.as_dtype(a, dtype, where, branch=True),
            self.as_dtype(b, dtype, where, branch=True),
        )
        return self.typed("where", dtype, args, where)

    # ---- reductions (gufuncs) -----------------------------------------------------------------
    def materialize(self, value: tuple, where: str) -> tuple:
        """A typed operand for a weak Python scalar (its default NumPy dtype)."""
        if value[0] == "typed":
            return value
        if value[0] == "weakrun":
            dtype = _WEAK_DEFAULT[value[2]]
            return ("typed", self.as_dtype(value, dtype, where), dtype)
        dtype = np.asarray(value[1]).dtype
        return ("typed", self.as_dtype(value, dtype, where), dtype)

    def run(self) -> tuple[list[TypedNode], list[int], list[np.dtype]]:
        for node in self.graph.nodes:
            self.values.append(self.type_node(node))
        outputs, out_dtypes = [], []
        for o in self.graph.outputs:
            value = self.values[o]
            if value[0] == "weakrun":
                value = self.materialize(value, "")
            if value[0] == "weak":  # a constant returned as is: NumPy's dtype for the Python scalar
                value = (
                    "typed",
                    self.as_dtype(value, np.asarray(value[1]).dtype, ""),
                    np.asarray(value[1]).dtype,
                )
            outputs.append(value[1])
            out_dtypes.append(value[2])
        return self.nodes, outputs, out_dtypes

    def type_node(self, node) -> tuple:
        where = node.where
        if node.kind == "input":
            spec = self.in_specs[node.value]
            if spec in _WEAK_DEFAULT:
                self.weak_uses[node.value] = set()
                index = self.add(TypedNode("input", _WEAK_DEFAULT[spec], value=node.value))
                return ("weakrun", index, spec, node.value)
            dtype = self.check_dtype(spec, where)
            return ("typed", self.add(TypedNode("input", dtype, value=node.value)), dtype)
        if node.kind == "constant":
            value = node.value
            if type(value) in _WEAK:  # exact Python types: np.float64 subclasses float but is not weak
                return ("weak", value)
            scalar = np.asarray(value)[()]
            dtype = self.check_dtype(scalar.dtype, where)
            return ("typed", self.add(TypedNode("constant", dtype, value=scalar)), dtype)
        operands = [self.values[a] for a in node.args]
        if node.kind in ("nan_to_num", "part"):
            operands = [self.materialize(v, where) if v[0] == "weakrun" else v for v in operands]
        if node.kind == "call":
            output = node.value if type(node.value) is int else None
            return self.call(node.name, operands, where, output, operator=node.value == "operator")
        if node.kind == "nan_to_num":
            return self.nan_to_num(operands[0], node.value, where)
        if node.kind == "pow_operator":
            (base,) = operands
            # NumPy's array ** 2 is np.square for every numeric dtype (bool ** 2 is int8, where
            # np.power with a Python 2 gives int64); ** -1 and ** 0.5 only for float and complex.
            if base[0] == "typed" and (base[2].kind in "fc" or (node.value == 2 and base[2].kind in "biu")):
                name = {2: "square", -1: "reciprocal", 0.5: "sqrt"}[node.value]
                return self.call(name, [base], where)
            return self.call("power", [base, ("weak", node.value)], where, operator=True)
        if node.kind == "part":  # x.real / x.imag
            (value,) = operands
            if value[0] == "weak":
                value = (
                    "typed",
                    self.as_dtype(value, np.asarray(value[1]).dtype, where),
                    np.asarray(value[1]).dtype,
                )
            return self.typed(node.name, _real_dtype(value[2]), (value[1],), where)
        if node.kind == "where":
            return self.where_(*operands, where)
        if node.kind == "reduce":
            return self.reduce(node.name, operands[0], where)
        if node.kind == "length":
            return self.length(node.value, where)
        if node.kind == "mean":
            return self.mean(operands[0], where, of_var=node.value == "var")
        if node.kind == "sinc":
            return self.sinc(operands[0], where)
        if node.kind == "angle":
            return self.angle(operands[0], where)
        if node.kind == "round":
            return self.round_(operands[0], *node.value, where)
        if node.kind == "divide_by_dof":
            return self.divide_by_dof(operands[0], node.value, where)
        if node.kind == "cast":
            (value,) = operands
            dtype = np.dtype(node.name)
            if value[0] == "weak":
                return ("typed", self.as_dtype(value, dtype, where), dtype)
            return ("typed", self.as_dtype(value, dtype, where), dtype)
        raise AssertionError(f"unknown node kind {node.kind}")


def type_graph(
    graph: Graph, in_dtypes: tuple[np.dtype, ...]
) -> tuple[list[TypedNode], list[int], list[np.dtype]]:
    """Typed nodes, output node indices and output dtypes for these input dtypes (or LoopRejected)."""
    return _Typer(graph, tuple(np.dtype(d) for d in in_dtypes)).run()


def declared_dtypes(graph: Graph, in_specs: tuple) -> tuple[np.dtype, ...]:
    """The loop dtypes of a call's inputs, where some are Python scalars (int, float or complex in
    in_specs; NEP 50's weak scalars). The body is typed once with them weak, as NumPy types it, to
    see where each is used: a Python scalar whose value (or what Python arithmetic in the body makes
    of it) meets arrays at one dtype as a ufunc operand is declared in that dtype (NumPy converts it
    on the call, raising OverflowError for an int out of its range, as it would in the body; its
    comparisons with integers do not count, and are made in that dtype); one used at several dtypes,
    outside ufunc operands, or only compared with integers, in its kind's default dtype. The loop
    is then typed with these dtypes like any other: one typed graph per combination of loop dtypes,
    whatever the arguments were (LoopRejected as type_graph)."""
    if not any(spec in _WEAK_DEFAULT for spec in in_specs):
        return in_specs
    typer = _Typer(graph, in_specs)
    typer.run()
    declared = []
    for k, spec in enumerate(in_specs):
        uses = typer.weak_uses.get(k, set())
        if spec not in _WEAK_DEFAULT:
            declared.append(spec)
        elif len(uses) == 1 and None not in uses:
            declared.append(next(iter(uses)))
        else:
            declared.append(_WEAK_DEFAULT[spec])
    return tuple(declared)
