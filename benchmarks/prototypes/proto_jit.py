"""Prototype (a) from Python: builds jit_xbyak.cpp once, compiles bodies to AVX-512 code, runs them."""

from __future__ import annotations

import ctypes
import subprocess
import time
from pathlib import Path

import numpy as np

from body import Body, op_code, where_guards

HERE = Path(__file__).resolve().parent
LIB = HERE / "build" / "libikp_jit.so"
BUILD = ["g++", "-std=c++20", "-O2", "-fPIC", "-shared", f"-I{HERE.parents[1] / 'csrc'}",
         str(HERE / "jit_xbyak.cpp"), "-o", str(LIB), "-ldl"]


class CNode(ctypes.Structure):
    _fields_ = [("op", ctypes.c_int32), ("a", ctypes.c_int32), ("b", ctypes.c_int32), ("c", ctypes.c_int32),
                ("value", ctypes.c_double)]


def load() -> ctypes.CDLL:
    sources = HERE.glob("jit_xbyak*")  # the .cpp and the parts it includes (jit_xbyak_*.inc)
    if not LIB.exists() or LIB.stat().st_mtime < max(s.stat().st_mtime for s in sources):
        LIB.parent.mkdir(exist_ok=True)
        subprocess.run(BUILD, check=True)
    lib = ctypes.CDLL(str(LIB))
    lib.ikp_compile.restype = ctypes.c_void_p
    lib.ikp_compile.argtypes = [ctypes.POINTER(CNode), ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                ctypes.POINTER(ctypes.c_double)]
    lib.ikp_entry.restype = ctypes.c_void_p
    lib.ikp_entry.argtypes = [ctypes.c_void_p]
    lib.ikp_code_size.argtypes = [ctypes.c_void_p]
    lib.ikp_free.argtypes = [ctypes.c_void_p]
    lib.ikp_set_math.argtypes = [ctypes.c_int, ctypes.c_void_p]
    lib.ikp_bench.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int,
                              ctypes.c_int, ctypes.POINTER(ctypes.c_double)]
    return lib


def ironkernel_vector_sin() -> int:
    """The address of ironkernel's own AVX-512 float64 sin routine (__m512d -> __m512d, zmm0 in
    and out): simd::math_table().vector_f64[Unary::sin], read from the loaded _core module. Its
    flags are unchecked (math.hpp): fine for timing, not the flag protocol a real JIT would need."""
    import ironkernel._core as core

    so = ctypes.CDLL(core.__file__)
    math_table = so._ZN2ik4simd10math_tableEv  # ik::simd::math_table()
    math_table.restype = ctypes.c_void_p
    table = math_table()
    # struct MathTable (csrc/simd/math.hpp): isa, unary_f64[20], unary_f32[20], binary_f64[3],
    # binary_f32[3], unchecked_table, vector_bytes (int, padded to 8), vector_f64[20], ...
    isa = ctypes.c_char_p.from_address(table).value
    vector_bytes = ctypes.c_int.from_address(table + 8 * (1 + 20 + 20 + 3 + 3 + 1)).value
    if isa != b"avx512" or vector_bytes != 64:
        raise RuntimeError(f"ironkernel's math table is {isa!r} with {vector_bytes}-byte vectors, not AVX-512")
    return ctypes.c_void_p.from_address(table + 8 * (1 + 20 + 20 + 3 + 3 + 1 + 1) + 8 * 0).value


def use_ironkernel_sin(lib: ctypes.CDLL) -> int:
    address = ironkernel_vector_sin()
    lib.ikp_set_math(op_code("sin"), ctypes.c_void_p(address))
    return address


KERNEL_TYPE = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64)


MATH_OPS = ("sin", "cos", "exp", "log")


def calls_first(body: Body) -> tuple[list, int]:
    """The nodes reordered so that each math call comes as early as its operands allow: fewer
    values are live across a call, so fewer are spilled around it (the vector ABI clobbers all
    zmm registers). Returns (nodes with renumbered operands, output index)."""
    order: list[int] = []
    placed: set[int] = set()
    try:
        guards = where_guards(body)
    except NotImplementedError:
        return list(body.nodes), body.output  # the JIT refuses these anyway

    def place(i: int) -> None:
        if i in placed:
            return
        if guards.get(i) is not None:  # a node under a where's mask needs the condition first
            place(guards[i][0])
        for a in body.nodes[i].args:
            place(a)
        placed.add(i)
        order.append(i)

    for i, n in enumerate(body.nodes):
        if n.op in MATH_OPS:
            place(i)
    for i in range(len(body.nodes)):
        place(i)
    new = {old: k for k, old in enumerate(order)}
    nodes = [body.nodes[old]._replace(args=tuple(new[a] for a in body.nodes[old].args)) for old in order]
    return nodes, new[body.output]


def chain_depth(body: Body) -> int:
    """The longest chain of dependent computed ops (inputs and constants are free)."""
    depth = []
    for n in body.nodes:
        below = max((depth[a] for a in n.args), default=0)
        depth.append(below + (n.op not in ("input", "constant")))
    return depth[body.output]


def auto_unroll(body: Body) -> int:
    """Vectors per iteration: 4 hide the 4-cycle latency of short chains; a long chain (a high
    degree polynomial) needs 8 in flight to keep both FP ports busy. A stand-in for a cost model."""
    return 8 if chain_depth(body) > 20 else 4


class JitKernel:
    def __init__(self, lib: ctypes.CDLL, body: Body, unroll: int = 0):
        """unroll: vectors per iteration to try first (fewer if the registers do not fit); 0: auto."""
        t0 = time.perf_counter()
        unroll = unroll or auto_unroll(body)
        ordered, output = calls_first(body)
        nodes = (CNode * len(ordered))()
        for i, n in enumerate(ordered):
            args = list(n.args) + [-1] * (3 - len(n.args))
            if n.op == "input":
                args[0] = n.value
            value = float(n.value) if n.op == "constant" else 0.0
            nodes[i] = CNode(op_code(n.op), *args, value)
        seconds = ctypes.c_double()
        self.handle = None
        for u in range(unroll, 0, -1):  # fewer copies when the registers do not fit
            self.handle = lib.ikp_compile(nodes, len(nodes), output, u, ctypes.byref(seconds))
            if self.handle:
                self.unroll = u
                break
        if not self.handle:
            raise NotImplementedError(f"{body.name}: outside the JIT prototype (fallback to the interpreter)")
        self.codegen_s = seconds.value  # the last (successful) ikp_compile call, in C++
        self.entry = lib.ikp_entry(self.handle)
        self.code_bytes = lib.ikp_code_size(self.handle)
        self.fn = KERNEL_TYPE(self.entry)
        self.total_s = time.perf_counter() - t0  # node conversion + every attempt, from Python
        self.lib = lib

    def __del__(self):
        if getattr(self, "handle", None):
            self.lib.ikp_free(self.handle)


class Call:
    """A prepared call on fixed arrays (pointer array built once, as a ufunc loop gets them)."""

    def __init__(self, entry_fn, inputs: list[np.ndarray], out: np.ndarray):
        self.keep = (inputs, out)
        self.ptrs = (ctypes.c_void_p * len(inputs))(*[a.ctypes.data for a in inputs])
        self.out = out.ctypes.data
        self.n = out.size
        self.fn = entry_fn

    def __call__(self):
        self.fn(self.ptrs, self.out, self.n)


def ufunc_shim():
    """The ufunc_shim extension (built on first use): np.ufunc objects around generated kernels."""
    import importlib.util
    import sysconfig

    src = HERE / "ufunc_shim.c"
    so = HERE / "build" / ("ufunc_shim" + sysconfig.get_config_var("EXT_SUFFIX"))
    if not so.exists() or so.stat().st_mtime < src.stat().st_mtime:
        so.parent.mkdir(exist_ok=True)
        subprocess.run(["gcc", "-O2", "-fPIC", "-shared", f"-I{sysconfig.get_paths()['include']}",
                        f"-I{np.get_include()}", str(src), "-o", str(so)], check=True)
    spec = importlib.util.spec_from_file_location("ufunc_shim", so)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
