"""Prototype (b): the same typed graph as LLVM IR, compiled in process by llvmlite (the JIT tier).

The IR text is generated from one table of op templates (``VECTOR_OPS``). The loop runs W-wide
vectors (<W x double>: W=32 is four zmm per iteration, i.e. unrolled by four), then a scalar tail
whose math calls go through the same vector function (lane 0 of a zero vector) so a result never
depends on where an element falls in the array. Each op is one IR instruction without fast-math
flags, so LLVM contracts no FMA and reassociates nothing: NumPy's bits for exact ops.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import time

import llvmlite.binding as llvm

from body import Body, where_guards

# op -> (template, kind). {t}: the value type, {a} {b} {c}: operands, {w}: lanes, {s}: a suffix.
VECTOR_OPS = {
    "add": ("fadd {t} {a}, {b}", "f"),
    "subtract": ("fsub {t} {a}, {b}", "f"),
    "multiply": ("fmul {t} {a}, {b}", "f"),
    "divide": ("fdiv {t} {a}, {b}", "f"),
    "square": ("fmul {t} {a}, {a}", "f"),
    "negative": ("fneg {t} {a}", "f"),
    "sqrt": ("call {t} @llvm.sqrt.{s}({t} {a})", "f"),
    "absolute": ("call {t} @llvm.fabs.{s}({t} {a})", "f"),
    "greater": ("fcmp ogt {t} {a}, {b}", "b"),
    "greater_equal": ("fcmp oge {t} {a}, {b}", "b"),
    "less": ("fcmp olt {t} {a}, {b}", "b"),
    "less_equal": ("fcmp ole {t} {a}, {b}", "b"),
    "equal": ("fcmp oeq {t} {a}, {b}", "b"),
    "not_equal": ("fcmp une {t} {a}, {b}", "b"),
    "where": ("select {bt} {a}, {t} {b}, {t} {c}", "f"),
}
# The same with LLVM's constrained FP intrinsics ("strict" mode): the only way to tell LLVM that FP
# flags are observable (quiet compares stay quiet, nothing speculated). The function gets strictfp.
_RM, _EX = 'metadata !"round.tonearest"', 'metadata !"fpexcept.strict"'
STRICT_OPS = dict(VECTOR_OPS)
for _op, _ins in (("add", "fadd"), ("subtract", "fsub"), ("multiply", "fmul"), ("divide", "fdiv")):
    STRICT_OPS[_op] = (f"call {{t}} @llvm.experimental.constrained.{_ins}.{{s}}({{t}} {{a}}, {{t}} {{b}}, {_RM}, {_EX}) #0", "f")
STRICT_OPS["square"] = (f"call {{t}} @llvm.experimental.constrained.fmul.{{s}}({{t}} {{a}}, {{t}} {{a}}, {_RM}, {_EX}) #0", "f")
STRICT_OPS["sqrt"] = (f"call {{t}} @llvm.experimental.constrained.sqrt.{{s}}({{t}} {{a}}, {_RM}, {_EX}) #0", "f")
for _op, _pred in (("greater", "ogt"), ("greater_equal", "oge"), ("less", "olt"), ("less_equal", "ole"),
                   ("equal", "oeq"), ("not_equal", "une")):
    STRICT_OPS[_op] = (f'call {{bt}} @llvm.experimental.constrained.fcmp.{{s}}({{t}} {{a}}, {{t}} {{b}}, metadata !"{_pred}", {_EX}) #0', "b")

# Vector math: glibc libmvec's AVX-512 entry points, 8 lanes each.
MATH = {"sin": "_ZGVeN8v_sin"}
# An operand value on which the op raises no FP flag: what lanes a where does not select compute.
BENIGN = {"sin": "0.0"}  # every other op of VECTOR_OPS: 1.0

_jit = None  # (target machine, MCJIT engine): one per process, every kernel a module added to it


def use_math(op: str, symbol: str, address: int) -> None:
    """Calls a routine of the driver's choosing for op (e.g. ironkernel's own vector sin)."""
    llvm.add_symbol(symbol, address)
    MATH[op] = symbol


def _init() -> float:
    """One-off per process: native target, libmvec's symbols, the engine. Returns the seconds it took."""
    global _jit
    t0 = time.perf_counter()
    if _jit is None:
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        llvm.load_library_permanently(ctypes.util.find_library("mvec") or "libmvec.so.1")
        target = llvm.Target.from_default_triple()
        tm = target.create_target_machine(cpu=llvm.get_host_cpu_name(),
                                          features=llvm.get_host_cpu_features().flatten(), opt=3)
        engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), tm)  # owns tm
        _jit = (tm, engine)
    return time.perf_counter() - t0


def _types(w: int) -> tuple[str, str, str]:
    if w == 1:
        return "double", "i1", "f64"
    return f"<{w} x double>", f"<{w} x i1>", f"v{w}f64"


def _body_code(body: Body, w: int, prefix: str, lines: list[str], load, strict: bool = False) -> str:
    """Instructions computing the body for one W-wide step; returns the output's name.

    A node under a where's condition gets, in the lanes the where does not select, a benign
    operand instead of its own: LLVM's default FP model ignores FP flags, so its select is eager
    and InstCombine removes a plain guarding select (select(c, f(select(c, x, k)), y) becomes
    select(c, f(x), y)). llvm.arithmetic.fence keeps the guard opaque to it.
    """
    t, bt, s = _types(w)
    guards = where_guards(body)
    name = {}
    for i, n in enumerate(body.nodes):
        v = f"%{prefix}{i}"
        if i not in guards:
            continue
        if n.op == "input":
            lines.append(load(v, n.value))
            name[i] = v
            continue
        if n.op == "constant":
            c = f"0x{_hex(float(n.value))}"
            name[i] = c if w == 1 else f"<{', '.join(['double ' + c] * w)}>"
            continue
        args = [name[a] for a in n.args]
        guard = guards[i]
        if guard is not None and n.op != "where":
            cond, negated = name[guard[0]], guard[1]
            benign = BENIGN.get(n.op, "1.0")
            benign = benign if w == 1 else f"<{', '.join(['double ' + benign] * w)}>"
            for k, a in enumerate(args):
                on, off = (benign, a) if negated else (a, benign)
                lines.append(f"%{prefix}g{i}_{k} = select {bt} {cond}, {t} {on}, {t} {off}")
                lines.append(f"%{prefix}f{i}_{k} = call {t} @llvm.arithmetic.fence.{s}({t} %{prefix}g{i}_{k})")
                args[k] = f"%{prefix}f{i}_{k}"
        if n.op in MATH:
            lines.extend(_math_call(v, MATH[n.op], args[0], w, prefix, i, strict))
        else:
            template, _ = (STRICT_OPS if strict else VECTOR_OPS)[n.op]
            args += [None] * (3 - len(args))
            lines.append(f"{v} = " + template.format(t=t, bt=bt, s=s, a=args[0], b=args[1], c=args[2]))
        name[i] = v
    return name[body.output]


def _math_call(v: str, fn: str, arg: str, w: int, prefix: str, i: int, strict: bool = False) -> list[str]:
    t, _, _ = _types(w)
    out = []
    attr = " #0" if strict else ""
    if w == 1:
        out.append(f"%{prefix}m{i} = insertelement <8 x double> zeroinitializer, double {arg}, i64 0")
        out.append(f"%{prefix}r{i} = call <8 x double> @{fn}(<8 x double> %{prefix}m{i}){attr}")
        out.append(f"{v} = extractelement <8 x double> %{prefix}r{i}, i64 0")
        return out
    parts = []
    for p in range(w // 8):
        mask = ", ".join(f"i32 {8 * p + k}" for k in range(8))
        out.append(f"%{prefix}p{i}_{p} = shufflevector {t} {arg}, {t} poison, <8 x i32> <{mask}>")
        out.append(f"%{prefix}q{i}_{p} = call <8 x double> @{fn}(<8 x double> %{prefix}p{i}_{p}){attr}")
        parts.append(f"%{prefix}q{i}_{p}")
    while len(parts) > 1:  # concatenate pairwise back to W lanes
        merged = []
        for a, b in zip(parts[::2], parts[1::2]):
            width = 2 * _width_of(a, w, len(parts))
            mask = ", ".join(f"i32 {k}" for k in range(width))
            m = f"{a}c"
            out.append(f"{m} = shufflevector <{width // 2} x double> {a}, <{width // 2} x double> {b}, <{width} x i32> <{mask}>")
            merged.append(m)
        parts = merged
    if parts[0] != v:  # name the result v: a select that always picks it (no FP op)
        out.append(f"{v} = select i1 true, {t} {parts[0]}, {t} zeroinitializer")
    return out


def _width_of(part: str, w: int, n_parts: int) -> int:
    return w // n_parts


def _hex(x: float) -> str:
    import struct
    return f"{struct.unpack('<Q', struct.pack('<d', x))[0]:016X}"


def ir_text(body: Body, w: int = 32, symbol: str = "kernel", strict: bool = False) -> str:
    t, _, _ = _types(w)
    lines = [f"define void @{symbol}(ptr %ins, ptr %out, i64 %n){' #0' if strict else ''} {{", "entry:"]
    for k in range(body.n_inputs):
        lines.append(f"%gp{k} = getelementptr ptr, ptr %ins, i64 {k}")
        lines.append(f"%in{k} = load ptr, ptr %gp{k}")
    lines += [f"%nv = and i64 %n, {-w}", "br label %vcheck",
              "vcheck:", "%i = phi i64 [0, %entry], [%inext, %vbody]",
              "%vc = icmp slt i64 %i, %nv", "br i1 %vc, label %vbody, label %scheck",
              "vbody:"]

    def vload(v, k):
        return f"{v}p = getelementptr double, ptr %in{k}, i64 %i\n{v} = load {t}, ptr {v}p, align 8"
    r = _body_code(body, w, "v", lines, vload, strict)
    lines += ["%op = getelementptr double, ptr %out, i64 %i", f"store {t} {r}, ptr %op, align 8",
              f"%inext = add i64 %i, {w}", "br label %vcheck",
              "scheck:", "%j = phi i64 [%i, %vcheck], [%jnext, %sbody]",
              "%sc = icmp slt i64 %j, %n", "br i1 %sc, label %sbody, label %exit",
              "sbody:"]

    def sload(v, k):
        return f"{v}p = getelementptr double, ptr %in{k}, i64 %j\n{v} = load double, ptr {v}p, align 8"
    r = _body_code(body, 1, "s", lines, sload, strict)
    lines += ["%sop = getelementptr double, ptr %out, i64 %j", f"store double {r}, ptr %sop, align 8",
              "%jnext = add i64 %j, 1", "br label %scheck", "exit:", "ret void", "}"]
    decls = [f"declare <8 x double> @{fn}(<8 x double>)" for op, fn in MATH.items()
             if any(n.op == op for n in body.nodes)]
    if strict:
        lines.append("attributes #0 = { strictfp }")
    return "\n".join(decls + lines) + "\n"


class LlvmKernel:
    """Compiles a body into the process's engine (which owns the code for the process's life)."""

    count = 0

    def __init__(self, body: Body, w: int = 32, speed_level: int = 3, strict: bool = False):
        self.init_s = _init()
        tm, engine = _jit
        LlvmKernel.count += 1
        symbol = f"ik_kernel_{LlvmKernel.count}"
        t0 = time.perf_counter()
        text = ir_text(body, w, symbol, strict)
        t1 = time.perf_counter()
        mod = llvm.parse_assembly(text)
        mod.verify()
        pto = llvm.create_pipeline_tuning_options(speed_level=speed_level)
        pb = llvm.create_pass_builder(tm, pto)
        pb.getModulePassManager().run(mod, pb)
        engine.add_module(mod)
        engine.finalize_object()
        self.entry = engine.get_function_address(symbol)
        t2 = time.perf_counter()
        self.irgen_s = t1 - t0
        self.compile_s = t2 - t1
        self.text = text
        self.fn = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64)(self.entry)


def assembly(body: Body, w: int = 32, strict: bool = False) -> str:
    _init()
    mod = llvm.parse_assembly(ir_text(body, w, strict=strict))
    pb = llvm.create_pass_builder(_jit[0], llvm.create_pipeline_tuning_options(speed_level=3))
    pb.getModulePassManager().run(mod, pb)
    return _jit[0].emit_assembly(mod)
