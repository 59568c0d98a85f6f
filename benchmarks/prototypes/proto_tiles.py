"""Prototype (c) from Python: lowers a typed body to accumulator code for interp_tiles.cpp and runs it."""

from __future__ import annotations

import ctypes
import subprocess
import time
from collections import Counter
from pathlib import Path

import numpy as np

from body import Body

HERE = Path(__file__).resolve().parent
LIB = HERE / "build" / "libikp_tiles.so"
BUILD = ["g++", "-std=c++20", "-O3", "-march=x86-64-v4", "-fPIC", "-shared", str(HERE / "interp_tiles.cpp"),
         "-o", str(LIB)]
LEAVES = ("input", "constant")


def load() -> ctypes.CDLL:
    src = HERE / "interp_tiles.cpp"
    if not LIB.exists() or LIB.stat().st_mtime < src.stat().st_mtime:
        LIB.parent.mkdir(exist_ok=True)
        subprocess.run(BUILD, check=True)
    lib = ctypes.CDLL(str(LIB))
    lib.ikc_opcodes.restype = ctypes.c_char_p
    args = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p,
            ctypes.c_int64]
    lib.ikc_run.argtypes = args
    lib.ikc_bench.argtypes = args + [ctypes.c_int, ctypes.c_int, ctypes.c_void_p]
    return lib


class TileProgram:
    """Accumulator code: each non-leaf node used more than once is computed once into a scratch
    register; every other value flows through the accumulator. A binary node whose operands are
    both computed evaluates its second operand first into a register."""

    def __init__(self, lib: ctypes.CDLL, body: Body):
        t0 = time.perf_counter()
        names = lib.ikc_opcodes().decode().rstrip(",").split(",")
        self.opcode = {name: i for i, name in enumerate(names)}
        self.body = body
        self.code: list[tuple[int, int]] = []
        self.consts: list[float] = []
        self.regs: dict[int, int] = {}  # node -> scratch register holding it
        nodes = body.nodes
        uses = Counter(a for n in nodes for a in n.args)
        for n in nodes:
            if n.op not in LEAVES and n.op not in ("add", "subtract", "multiply", "divide", "sqrt", "absolute",
                                                  "negative", "square"):
                raise NotImplementedError(f"{body.name}: no tile instruction for {n.op} (interpreter today)")
        for i, n in enumerate(nodes):
            if n.op not in LEAVES and uses[i] > 1 and i != body.output:
                self._value(i)
                self._emit("store_reg", self._new_reg(i))
        self._value(body.output)
        self._emit("end", 0)
        self.program = (ctypes.c_uint8 * (2 * len(self.code)))(*[b for pair in self.code for b in pair])
        self.constants = (ctypes.c_double * max(1, len(self.consts)))(*self.consts)
        self.compile_s = time.perf_counter() - t0
        self.lib = lib

    def _new_reg(self, node: int) -> int:
        self.regs[node] = len(self.regs)
        if len(self.regs) > 16:
            raise NotImplementedError("more than 16 scratch registers")
        return self.regs[node]

    def _emit(self, name: str, x: int) -> None:
        self.code.append((self.opcode[name], x))

    def _source(self, node: int) -> tuple[str, int] | None:
        """A node readable without computing: ('i', input), ('c', constant) or ('r', register)."""
        n = self.body.nodes[node]
        if n.op == "input":
            return "i", n.value
        if n.op == "constant":
            self.consts.append(float(n.value))
            return "c", len(self.consts) - 1
        if node in self.regs:
            return "r", self.regs[node]
        return None

    def _value(self, node: int) -> None:
        """Code leaving node's value in the accumulator."""
        n = self.body.nodes[node]
        src = self._source(node)
        if src is not None:
            kind, x = src
            self._emit({"i": "load_input", "c": "load_const", "r": "load_reg"}[kind], x)
            return
        if len(n.args) == 1:
            self._value(n.args[0])
            self._emit(f"{n.op}_a", 0)
            return
        a, b = n.args
        src_b = self._source(b)
        if src_b is not None:
            self._value(a)
            self._emit(f"{n.op}_a{src_b[0]}", src_b[1])
            return
        src_a = self._source(a)
        if src_a is not None:
            self._value(b)
            self._emit(f"{n.op}_{src_a[0]}a", src_a[1])
            return
        self._value(b)
        reg = self._new_reg(b)
        self._emit("store_reg", reg)
        self._value(a)
        self._emit(f"{n.op}_ar", reg)

    def call(self, inputs: list[np.ndarray], out: np.ndarray):
        ptrs = (ctypes.c_void_p * len(inputs))(*[a.ctypes.data for a in inputs])
        keep = (inputs, out, ptrs)
        lib, prog, consts, nc, nin, o, n = (self.lib, self.program, self.constants, len(self.consts),
                                            len(inputs), out.ctypes.data, out.size)

        def run():
            keep  # noqa: B018  (keeps the arrays and the pointer array alive)
            lib.ikc_run(prog, consts, nc, nin, ptrs, o, n)
        run.bench = lambda inner, buf: lib.ikc_bench(prog, consts, nc, nin, ptrs, o, n, inner, 1, buf)
        return run
