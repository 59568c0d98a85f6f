"""Per-call typing: the loop of each combination of argument dtypes a kernel is called with.

A kernel is registered without loops. When NumPy meets argument dtypes for which the kernel has no
loop, it asks the kernel's type resolver (csrc/ufunc/make_ufunc.cpp), which calls the kernel's
``LoopMaker`` with the call's key: per input its NumPy type number, or the kind of a Python scalar
argument (NEP 50's weak scalars), then per operand the type number ``dtype=``/``signature=`` fixed.
The maker types the body for those dtypes as NumPy types the undecorated body, compiles it and
returns the loop; the resolver adds it to the ufunc, and NumPy caches its choice. Where NumPy
rejects the body for those dtypes, the call raises NumPy's error, never another dtype's loop.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _core
from ._ir import DTYPE_CODES, Graph
from ._typing import LoopRejected, declared_dtypes, type_graph

# CallKey codes of csrc/ufunc/make_ufunc.hpp, as _core gives them.
_CODES = _core.call_key_codes
_WEAK_KINDS = {_CODES["weak_int"]: int, _CODES["weak_float"]: float, _CODES["weak_complex"]: complex}
_NO_OPERAND, NOT_FIXED = _CODES["no_operand"], _CODES["not_fixed"]

# The dtypes ironkernel computes in, in NumPy's loop order: the candidates tried where a call fixes
# only output dtypes (dtype=), or where the natural loop cannot start a reduction from the identity.
_LOOP_CHARS = "?bBhHiIlLqQefdFD"
_DTYPE_OF_NUM = {np.dtype(c).num: np.dtype(c) for c in np.typecodes["All"]}


def dtype_of_num(num: int) -> np.dtype:
    dtype = _DTYPE_OF_NUM.get(num)
    if dtype is None:
        raise TypeError(f"NumPy type number {num} is not a built-in dtype")
    return dtype


def check_body(graph: Graph, check: Callable[[list, list], None] = lambda nodes, outputs: None) -> None:
    """Raises at decoration if NumPy (or ironkernel) rejects the body for every input dtype. Typing
    stops at the first dtype that works (float64 first: the usual one), so this is one typing."""
    rejected = []
    for char in "d" + _LOOP_CHARS.replace("d", ""):
        try:
            nodes, outputs, _ = type_graph(graph, (np.dtype(char),) * graph.n_inputs)
            check(nodes, outputs)
            return
        except LoopRejected as exc:
            rejected.append(exc)
    first = rejected[0]  # NumPy's refusal of float64 explains best what is wrong with the body
    at = f"\n  at {first.where}" if first.where else ""
    raise TypeError(
        f"cannot make a ufunc of {graph.func_name}(): NumPy rejects its body for every input dtype "
        f"({first}){at}"
    )


def holds(dtype: np.dtype, identity: bool | int | float) -> bool:
    """Whether a loop with this output dtype can start a reduction from `identity` exactly."""
    if dtype.kind == "b":
        return identity in (0, 1)
    if dtype.kind in "iu":
        if isinstance(identity, float) and not identity.is_integer():
            return False
        info = np.iinfo(dtype)
        return info.min <= identity <= info.max
    return True


class LoopMaker:
    """Makes a kernel's loops, one per combination of input dtypes, when NumPy first asks.

    Called by the type resolver with the GIL held; a lock makes threads that meet a new
    combination at once compile it once. `make_handle(nodes, outputs)` compiles a typed graph (a
    program, or a gufunc plan)."""

    def __init__(
        self,
        graph: Graph,
        kernel_name: str,
        make_handle: Callable[[list, list], Any],
        identity: bool | int | float | None = None,
    ):
        self.graph = graph
        self.kernel_name = kernel_name
        self.make_handle = make_handle
        self.identity = identity
        self.body: Callable | None = None  # the Python function traced, for ik.testing (None if unpickled)
        self.nin = graph.n_inputs
        self.nout = len(graph.outputs)
        self._lock = threading.Lock()
        # By type numbers: int64 as 'l' and as 'q' are equal dtypes, but distinct loops for NumPy.
        self._loops: dict[tuple[int, ...], tuple[list[int], Any] | LoopRejected] = {}

    def __call__(self, key: tuple[int, ...]) -> tuple[list[int], Any]:
        with self._lock:
            return self.loop_for_key(key)

    def loop_for_key(self, key: tuple[int, ...]) -> tuple[list[int], Any]:
        """(type numbers, handle) of the loop for a call key, or the body's error for it."""
        codes, fixed = key[: self.nin], key[self.nin :]
        specs = []
        for k in range(self.nin):
            if fixed[k] != NOT_FIXED:
                specs.append(self.dtype(fixed[k]))
            elif codes[k] in _WEAK_KINDS:
                specs.append(_WEAK_KINDS[codes[k]])
            elif codes[k] == _NO_OPERAND:
                raise TypeError(f"{self.kernel_name}(): input {k} has no dtype; give it in signature=")
            else:
                specs.append(self.dtype(codes[k]))
        try:
            in_dtypes = declared_dtypes(self.graph, tuple(specs))
        except LoopRejected as exc:
            raise exc.for_call(self.kernel_name) from None
        fixed_out = tuple(None if t == NOT_FIXED else self.dtype(t) for t in fixed[self.nin :])
        fixed_in = tuple(t != NOT_FIXED for t in fixed[: self.nin])
        if (self.nin, self.nout) == (2, 1) and fixed_in == (True, False) and fixed_out[0] == in_dtypes[0]:
            # NumPy fixes the first input and the output to one dtype for reduce, accumulate and
            # reduceat with dtype= or out=, whose loops must be homogeneous: the second input too.
            loop = self.loop((in_dtypes[0],) * 2)
            if not isinstance(loop, LoopRejected) and self.fits(loop, fixed_out):
                return loop
        loop = self.loop(in_dtypes)
        if isinstance(loop, LoopRejected):
            if not any(fixed_out):
                raise loop.for_call(self.kernel_name)
        elif self.fits(loop, fixed_out):
            return loop
        return self.search(in_dtypes, fixed_in, fixed_out)

    def dtype(self, num: int) -> np.dtype:
        dtype = dtype_of_num(num)
        if dtype not in DTYPE_CODES:
            raise TypeError(
                f"ufunc '{self.kernel_name}' not supported for the input types: ironkernel kernels compute "
                f"in bool, integer, float and complex dtypes, not {dtype}; convert the argument (for "
                "example with .astype(np.float64))"
            )
        return dtype

    def loop(self, in_dtypes: tuple[np.dtype, ...]) -> tuple[list[int], Any] | LoopRejected:
        """The loop for these input dtypes (typed and compiled once), or why there is none."""
        key = tuple(d.num for d in in_dtypes)
        loop = self._loops.get(key)
        if loop is None:
            try:
                nodes, outputs, out_dtypes = type_graph(self.graph, in_dtypes)
                loop = (
                    [d.num for d in in_dtypes] + [d.num for d in out_dtypes],
                    self.make_handle(nodes, outputs),
                )
            except LoopRejected as exc:
                loop = exc
            except NotImplementedError as exc:  # the C++ core has no kernel for an op at this dtype
                loop = LoopRejected(
                    f"ironkernel cannot compute this body for {', '.join(map(str, in_dtypes))} yet ({exc})"
                )
            self._loops[key] = loop
        return loop

    def fits(self, loop: tuple[list[int], Any], fixed_out: tuple) -> bool:
        """Whether a loop gives the output dtypes a call fixed, and can start a reduction from the
        kernel's identity."""
        out_nums = loop[0][self.nin :]
        if any(d is not None and d.num != num for d, num in zip(fixed_out, out_nums)):
            return False
        if self.identity is None:
            return True
        # NumPy converts the identity of a two-input, one-output ufunc to each loop's first input
        # dtype when it wraps the loop, on any call (get_initial_from_ufunc): a mixed loop such as
        # int64, float64 -> float64 with identity -inf would raise OverflowError there.
        first = [loop[0][0]] if (self.nin, self.nout) == (2, 1) else []
        return all(holds(dtype_of_num(num), self.identity) for num in first + out_nums)

    def search(
        self, in_dtypes: tuple[np.dtype, ...], fixed_in: tuple[bool, ...], fixed_out: tuple
    ) -> tuple[list[int], Any]:
        """The loop for a call whose natural loop does not fit: the first dtype, in NumPy's loop
        order, that every input casts to (within its kind for dtype=, safely for the identity) and
        whose loop fits, as NumPy picks among its own loops for np.add(x, y, dtype=...). NumPy then
        checks the casts with the call's casting=.

        With one output dtype X fixed, first the inputs that cast safely to X take it and the
        others keep theirs (trying each of them with its own dtype too: np.ldexp(float32, int64,
        dtype=float64) runs float64, int64, as ldexp takes no float exponent). For dtype=, failing
        the dtypes every input casts to within its kind, the first whose loop fits at all (NumPy's
        fallback to the output signature for all operands: np.power(1.5, 2.8, dtype=np.intp,
        casting="unsafe") runs intp, intp; without casting="unsafe" NumPy refuses the casts).
        Inputs signature= fixed keep their dtype throughout."""
        out_dtypes = {d for d in fixed_out if d is not None}
        target = out_dtypes.pop() if len(out_dtypes) == 1 and all(fixed_out) else None
        if target is not None and target.char in _LOOP_CHARS:
            choices = [
                (target, d) if d != target and not fixed and np.can_cast(d, target, "safe") else (d,)
                for d, fixed in zip(in_dtypes, fixed_in)
            ]
            for mixed in itertools.islice(itertools.product(*choices), 16):
                loop = self.loop(mixed)
                if not isinstance(loop, LoopRejected) and self.fits(loop, fixed_out):
                    return loop
        rules = ["same_kind", None] if any(fixed_out) else ["safe"]
        for rule in rules:
            for char in _LOOP_CHARS:
                candidate = np.dtype(char)
                if rule and not all(
                    np.can_cast(d, candidate, rule) for d, fixed in zip(in_dtypes, fixed_in) if not fixed
                ):
                    continue
                loop = self.loop(tuple(d if fixed else candidate for d, fixed in zip(in_dtypes, fixed_in)))
                if not isinstance(loop, LoopRejected) and self.fits(loop, fixed_out):
                    return loop
        if any(fixed_out):
            wanted = ", ".join("any" if d is None else str(d) for d in fixed_out)
            raise TypeError(
                f"{self.kernel_name}(): no loop of this kernel gives output dtype(s) ({wanted}) for inputs "
                f"({', '.join(map(str, in_dtypes))}); drop dtype=/signature=, or cast the inputs"
            )
        raise TypeError(
            f"{self.kernel_name}(): no loop of this kernel for inputs ({', '.join(map(str, in_dtypes))}) "
            f"has an output dtype that holds its identity={self.identity!r}"
        )
