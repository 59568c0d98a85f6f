"""Measures the prototypes against ironkernel today and NumPy, interleaved in one process.

    /work/venv-threads/bin/python benchmarks/prototypes/run.py [--quick]

Single thread everywhere (ik.set_num_threads(1); the prototypes have no threads). Every body is
float64, contiguous, `out=` preallocated where the API allows (NumPy's composite bodies allocate
their temporaries and result, as a user's NumPy code does). Reported: median ns per element over
rounds; each round times every variant once, in a rotating order, so drift hits all of them alike.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

import body as bodies  # noqa: E402
import proto_jit  # noqa: E402
t_import = time.perf_counter()
import proto_llvm  # noqa: E402

T_IMPORT_LLVM = time.perf_counter() - t_import
T_LLVM_INIT = 0.0
UNROLL = 0  # vectors per iteration the JIT tries first (fewer if its registers do not fit); 0: auto
import proto_tiles  # noqa: E402

t_import = time.perf_counter()
import ironkernel as ik  # noqa: E402

T_IMPORT_IK = time.perf_counter() - t_import

LIBC = ctypes.CDLL(None)
FE_ALL = 0x3D  # invalid | divide | overflow | underflow (x86 fenv.h), not inexact


def flags() -> int:
    return LIBC.fetestexcept(FE_ALL)


def clear_flags() -> None:
    LIBC.feclearexcept(0x3F)


def ulp_distance(a: np.ndarray, b: np.ndarray) -> int:
    ia = a.view(np.int64).astype(object)
    ib = b.view(np.int64).astype(object)
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    d = [0 if s else abs((x if x >= 0 else -(x & (2**63 - 1))) - (y if y >= 0 else -(y & (2**63 - 1))))
         for x, y, s in zip(ia, ib, same)]
    return max(d, default=0)


def time_calls(fn, inner: int) -> float:
    t0 = time.perf_counter_ns()
    for _ in range(inner):
        fn()
    return (time.perf_counter_ns() - t0) / inner


def codegen_medians(name: str, lib, tiles_lib, repeats: int = 15) -> dict:
    func = bodies.BODIES[name]
    t = {k: [] for k in ("trace", "a", "a_total", "b_ir", "b3", "b1", "b0", "bs", "c", "ik")}
    for _ in range(repeats):
        t0 = time.perf_counter()
        body = bodies.typed_body(name, func)
        t["trace"].append(time.perf_counter() - t0)
        jit = proto_jit.JitKernel(lib, body, UNROLL)
        t["a"].append(jit.codegen_s)
        t["a_total"].append(jit.total_s)
        for level in (3, 1, 0):
            k = proto_llvm.LlvmKernel(body, 32, speed_level=level)
            t[f"b{level}"].append(k.compile_s)
            if level == 3:
                t["b_ir"].append(k.irgen_s)
        t["bs"].append(proto_llvm.LlvmKernel(body, 32, strict=True).compile_s)
        try:
            t["c"].append(proto_tiles.TileProgram(tiles_lib, body).compile_s)
        except NotImplementedError:
            pass
        args = [np.ones(8) for _ in range(body.n_inputs)]
        out = np.empty(8)
        t0 = time.perf_counter()
        u = ik.ufunc(func)
        u(*args, out=out)
        t["ik"].append(time.perf_counter() - t0)
    return {k: statistics.median(v) if v else None for k, v in t.items()}


def warm(lib, shim, names: list[str]) -> None:
    """The main comparison again with one output array shared by every variant, so that at 1e5
    an input and the output stay in L2 across the rotation (the main table gives each variant its
    own output, so at 1e5 they partly come from L3)."""
    print("\n## shared output (warm L2), ns per element, median of 61 rounds\n")
    print("| body | n | (a) kernel | (a) as np.ufunc | (b) kernel | ironkernel today |")
    print("|---|---:|---:|---:|---:|---:|")
    buf = (ctypes.c_double * 1)()
    for name in names:
        func = bodies.BODIES[name]
        body = bodies.typed_body(name, func)
        jit = proto_jit.JitKernel(lib, body, UNROLL)
        llvm_k = proto_llvm.LlvmKernel(body, 32)
        ufunc = ik.ufunc(func)
        jit_ufunc = shim.make(jit.entry, body.n_inputs, f"jit_warm_{name}")
        for n in (1000, 100_000):
            rng = np.random.default_rng(0)
            ins = [rng.standard_normal(n) for _ in range(body.n_inputs)]
            o = np.empty(n)
            call = proto_jit.Call(jit.fn, ins, o)
            inner = max(1, 200_000 // n)

            def kernel(entry):
                return lambda: (lib.ikp_bench(ctypes.c_void_p(entry), call.ptrs, o.ctypes.data, n, inner, 1, buf),
                                buf[0])[1]
            variants = {"a": kernel(jit.entry), "au": lambda: time_calls(lambda: jit_ufunc(*ins, out=o), inner),
                        "b": kernel(llvm_k.entry), "ik": lambda: time_calls(lambda: ufunc(*ins, out=o), inner)}
            times = {v: [] for v in variants}
            keys = list(variants)
            for r in range(61):
                for v in keys[r % 4:] + keys[:r % 4]:
                    times[v].append(variants[v]())
            print(f"| {name} | {n:.0e} | " + " | ".join(f"{statistics.median(times[v]) / n:.3f}" for v in keys) + " |")


def scaling(lib) -> None:
    """Bigger bodies: code generation time and 1e5 speed, or where the JIT prototype refuses."""
    print("\n## bigger bodies: code generation (median of 5) and ns per element at 1e5 (median of 31)\n")
    print("| body | nodes | (a) codegen | (b) O3 compile | (a) kernel | (b) kernel | ironkernel today |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    buf = (ctypes.c_double * 1)()
    cases = [(f"horner{d}", bodies.horner(d)) for d in (7, 15, 24, 31)] + [("wide (8 inputs, 31 ops)", bodies.wide)]
    for name, func in cases:
        body = bodies.typed_body(name, func)
        jit_times, llvm_times, jit = [], [], None
        for _ in range(5):
            try:
                jit = proto_jit.JitKernel(lib, body, UNROLL)
                jit_times.append(jit.codegen_s)
            except NotImplementedError:
                jit = None
            k = proto_llvm.LlvmKernel(body, 32)
            llvm_times.append(k.compile_s)
        ufunc = ik.ufunc(func)
        n = 100_000
        rng = np.random.default_rng(0)
        ins = [rng.standard_normal(n) for _ in range(body.n_inputs)]
        o = np.empty(n)
        ptrs = (ctypes.c_void_p * len(ins))(*[x.ctypes.data for x in ins])
        variants = {"b": lambda: (lib.ikp_bench(ctypes.c_void_p(k.entry), ptrs, o.ctypes.data, n, 2, 1, buf), buf[0])[1],
                    "ik": lambda: time_calls(lambda: ufunc(*ins, out=o), 2)}
        if jit is not None:
            variants["a"] = lambda: (lib.ikp_bench(ctypes.c_void_p(jit.entry), ptrs, o.ctypes.data, n, 2, 1, buf),
                                     buf[0])[1]
        times = {v: [] for v in variants}
        for r in range(31):
            for v in variants:
                times[v].append(variants[v]())
        med = {v: statistics.median(t) / n for v, t in times.items()}
        a_cg = f"{statistics.median(jit_times) * 1e6:.0f} µs (unroll {jit.unroll})" if jit else "refused"
        a_ns = f"{med['a']:.3f}" if jit else "—"
        print(f"| {name} | {len(body.nodes)} | {a_cg} | {statistics.median(llvm_times) * 1e3:.1f} ms | {a_ns} | "
              f"{med['b']:.3f} | {med['ik']:.3f} |")


def llvm_o0_speed(lib, names: list[str]) -> None:
    """(b) through LLVM's O0 pipeline (code generation still -O3): as fast as O3 for this IR?"""
    print("\n## (b) O3 vs O0 pipeline, 1e5, ns per element (median of 41)\n")
    print("| body | (b) O3 | (b) O0 pipeline | (a) |")
    print("|---|---:|---:|---:|")
    buf = (ctypes.c_double * 1)()
    for name in names:
        body = bodies.typed_body(name, bodies.BODIES[name])
        k3, k0 = proto_llvm.LlvmKernel(body, 32, 3), proto_llvm.LlvmKernel(body, 32, 0)
        jit = proto_jit.JitKernel(lib, body, UNROLL)
        n = 100_000
        rng = np.random.default_rng(0)
        ins = [rng.standard_normal(n) for _ in range(body.n_inputs)]
        o = np.empty(n)
        ptrs = (ctypes.c_void_p * len(ins))(*[x.ctypes.data for x in ins])
        times = {3: [], 0: [], "a": []}
        for _ in range(41):
            for key, entry in ((3, k3.entry), (0, k0.entry), ("a", jit.entry)):
                lib.ikp_bench(ctypes.c_void_p(entry), ptrs, o.ctypes.data, n, 2, 1, buf)
                times[key].append(buf[0] / n)
        print(f"| {name} | " + " | ".join(f"{statistics.median(times[k]):.3f}" for k in (3, 0, "a")) + " |")


def seed_selectivity(lib, shim) -> None:
    """The seed at 1e5 when its condition is false everywhere, true everywhere, or mixed: today's
    evaluator skips a dead branch per block, (a) per 32 elements (kortest), (b) never."""
    func = bodies.BODIES["seed"]
    body = bodies.typed_body("seed", func)
    jit = proto_jit.JitKernel(lib, body, UNROLL)
    llvm_k = proto_llvm.LlvmKernel(body, 32)
    ufunc = ik.ufunc(func)
    rng = np.random.default_rng(3)
    n = 100_000
    buf = (ctypes.c_double * 1)()
    print("\n## seed at 1e5 by condition, ns per element (median of 41 rounds)\n")
    print("| x | (a) kernel | (b) kernel | ironkernel today |")
    print("|---|---:|---:|---:|")
    for label, x in (("all x <= 0 (branch dead)", -np.abs(rng.standard_normal(n))),
                     ("all x > 0", np.abs(rng.standard_normal(n)) + 1e-3),
                     ("mixed (normal)", rng.standard_normal(n))):
        o = np.empty(n)
        ca, cb = proto_jit.Call(jit.fn, [x], o), proto_jit.Call(llvm_k.fn, [x], o)
        variants = {
            "a": lambda: (lib.ikp_bench(ctypes.c_void_p(jit.entry), ca.ptrs, o.ctypes.data, n, 2, 1, buf), buf[0])[1],
            "b": lambda: (lib.ikp_bench(ctypes.c_void_p(llvm_k.entry), cb.ptrs, o.ctypes.data, n, 2, 1, buf), buf[0])[1],
            "ik": lambda: time_calls(lambda: ufunc(x, out=o), 2),
        }
        times = {v: [] for v in variants}
        for r in range(41):
            for v in variants:
                times[v].append(variants[v]())
        print(f"| {label} | " + " | ".join(f"{statistics.median(times[v]) / n:.3f}" for v in variants) + " |")


def overhead(lib, shim) -> None:
    """Per-call cost at n=1 and n=1000 (axpy): what a call costs besides its elements."""
    func = bodies.BODIES["axpy"]
    body = bodies.typed_body("axpy", func)
    jit = proto_jit.JitKernel(lib, body, UNROLL)
    ufunc = ik.ufunc(func)
    jit_ufunc = shim.make(jit.entry, 2, "jit_axpy_overhead")
    rows = []
    for n in (1, 1000):
        x, y, o = np.ones(n), np.ones(n), np.empty(n)
        call = proto_jit.Call(jit.fn, [x, y], o)
        samples_buf = (ctypes.c_double * 1)()
        variants = {
            "(a) kernel, called from C": lambda: (lib.ikp_bench(ctypes.c_void_p(jit.entry), call.ptrs, o.ctypes.data,
                                                               n, 2000, 1, samples_buf), samples_buf[0])[1],
            "(a) kernel via ctypes": lambda: time_calls(call, 2000),
            "(a) kernel as np.ufunc(x, y, out=o)": lambda: time_calls(lambda: jit_ufunc(x, y, out=o), 2000),
            "ironkernel ufunc(x, y, out=o)": lambda: time_calls(lambda: ufunc(x, y, out=o), 2000),
            "np.add(x, y, out=o)": lambda: time_calls(lambda: np.add(x, y, out=o), 2000),
            "np.multiply + np.add, out=o": lambda: time_calls(lambda: np.add(np.multiply(2.5, x, out=o), y, out=o), 2000),
        }
        times = {v: [] for v in variants}
        for r in range(31):
            for v in variants:
                times[v].append(variants[v]())
        rows.append((n, {v: statistics.median(t) for v, t in times.items()}))
    print("\n## per call (axpy), ns, median of 31 rounds of 2000 calls\n")
    print("| call | n=1 | n=1000 |")
    print("|---|---:|---:|")
    for v in rows[0][1]:
        print(f"| {v} | {rows[0][1][v]:.0f} | {rows[1][1][v]:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--bodies", default="axpy,multi,poly,poly7,hypot_like,seed")
    parser.add_argument("--libmvec", action="store_true", help="seed: glibc's sin, not ironkernel's own")
    parser.add_argument("--unroll", type=int, default=0, help="(a): vectors per iteration, 1-8 (0: by chain depth)")
    args = parser.parse_args()
    ik.set_num_threads(1)
    lib = proto_jit.load()
    global T_LLVM_INIT, UNROLL
    UNROLL = args.unroll
    T_LLVM_INIT = proto_llvm._init()
    if not args.libmvec:  # (a) and (b) call ironkernel's own vector sin, as ironkernel does
        proto_llvm.use_math("sin", "ik_vector_sin", proto_jit.use_ironkernel_sin(lib))
    print("# seed's sin:", "glibc libmvec" if args.libmvec else "ironkernel's own (simd::math_table().vector_f64)")
    tiles_lib = proto_tiles.load()
    shim = proto_jit.ufunc_shim()
    rng = np.random.default_rng(0)
    sizes = (1000, 100_000, 1_000_000)
    print(f"# {platform.processor() or platform.machine()}, NumPy {np.__version__}, ironkernel {ik.__version__}, "
          f"llvmlite {proto_llvm.llvm.llvm_version_info}")
    print("# load:", os.getloadavg())

    codegen_rows = []
    table_rows = []
    for name in args.bodies.split(","):
        func = bodies.BODIES[name]
        t0 = time.perf_counter()
        body = bodies.typed_body(name, func)
        trace_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        ufunc = ik.ufunc(func)
        ik_decorate_s = time.perf_counter() - t0
        jit = proto_jit.JitKernel(lib, body, unroll=UNROLL)
        jit_ufunc = shim.make(jit.entry, body.n_inputs, f"jit_{name}")  # a real np.ufunc around (a)
        llvm_k = proto_llvm.LlvmKernel(body, w=32)
        llvm_strict = proto_llvm.LlvmKernel(body, w=32, strict=True)
        # The same kernel again through LLVM's O1 and O0 pipelines (code generation stays at -O3).
        llvm_o1 = proto_llvm.LlvmKernel(body, w=32, speed_level=1)
        llvm_o0 = proto_llvm.LlvmKernel(body, w=32, speed_level=0)
        try:
            tiles = proto_tiles.TileProgram(tiles_lib, body)
        except NotImplementedError:
            tiles = None
        codegen_rows.append((name, (name, trace_s, jit.codegen_s, jit.total_s, jit.unroll, jit.code_bytes,
                             llvm_k.init_s, llvm_k.irgen_s, llvm_k.compile_s, ik_decorate_s,
                             llvm_o1.compile_s, llvm_o0.compile_s, tiles.compile_s if tiles else None)))

        for n in sizes:
            ins = [rng.standard_normal(n) for _ in range(body.n_inputs)]
            outs = {v: np.empty(n) for v in ("a", "au", "b", "bs", "c", "ik")}
            call_c = tiles.call(ins, outs["c"]) if tiles else None
            call_a = proto_jit.Call(jit.fn, ins, outs["a"])
            call_b = proto_jit.Call(llvm_k.fn, ins, outs["b"])
            ptrs = call_a.ptrs
            samples_buf = (ctypes.c_double * 1)()
            inner = max(1, 200_000 // n)

            def kernel_only(entry, out):
                def run():
                    lib.ikp_bench(ctypes.c_void_p(entry), ptrs, out.ctypes.data, n, inner, 1, samples_buf)
                    return samples_buf[0]
                return run

            variants = {
                "a_py": lambda: time_calls(call_a, inner),
                "a_ufunc": lambda: time_calls(lambda: jit_ufunc(*ins, out=outs["au"]), inner),
                "b_py": lambda: time_calls(call_b, inner),
                "a_kernel": kernel_only(jit.entry, outs["a"]),
                "b_kernel": kernel_only(llvm_k.entry, outs["b"]),
                "bs_kernel": kernel_only(llvm_strict.entry, outs["bs"]),
                "c_kernel": (lambda: (call_c.bench(inner, samples_buf), samples_buf[0])[1]) if tiles else None,
                "ik": lambda: time_calls(lambda: ufunc(*ins, out=outs["ik"]), inner),
                "numpy": lambda: time_calls(lambda: func(*ins), inner),
            }
            # Results first (exactness and flags), then timing.
            with np.errstate(all="ignore"):
                ref = np.asarray(func(*ins), dtype=np.float64)
            variants = {v: f for v, f in variants.items() if f is not None}
            if call_c is None:
                del outs["c"]
            else:
                call_c()
            call_a(), call_b(), ufunc(*ins, out=outs["ik"]), jit_ufunc(*ins, out=outs["au"])
            proto_jit.Call(llvm_strict.fn, ins, outs["bs"])()
            exact = {v: ulp_distance(outs[v][:20000], ref[:20000]) for v in outs}
            rounds = 9 if args.quick else (61 if n < 1_000_000 else 41)
            times = {v: [] for v in variants}
            keys = list(variants)
            for r in range(rounds):
                order = keys[r % len(keys):] + keys[:r % len(keys)]
                for v in order:
                    times[v].append(variants[v]())
            med = {v: statistics.median(times[v]) / n for v in variants}
            q = {v: (np.percentile(times[v], 25) / n, np.percentile(times[v], 75) / n) for v in variants}
            table_rows.append((name, n, med, q, exact))
            print(name, n, " ".join(f"{v}={med[v]:.3f}" for v in keys), "ulp:", exact, flush=True)

    print("\n## ns per element, median (interquartile range)\n")
    print("| body | n | (a) xbyak JIT, kernel | (a) as np.ufunc, out= | (b) llvmlite, kernel | (b) via ctypes | (b) strict FP, kernel | (c) tile interpreter, kernel | ironkernel today | NumPy |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, n, med, q, _ in table_rows:
        cells = [f"{med[v]:.3f} ({q[v][0]:.3f}–{q[v][1]:.3f})" if v in med else "—"
                 for v in ("a_kernel", "a_ufunc", "b_kernel", "b_py", "bs_kernel", "c_kernel", "ik", "numpy")]
        print(f"| {name} | {n:.0e} | " + " | ".join(cells) + " |")
    print("\n## exactness: max ulp distance from NumPy's result (first 20000 elements)\n")
    for name, n, _, _, exact in table_rows:
        if n == 1000:
            print(f"- {name}: " + ", ".join(f"{v} {d}" for v, d in exact.items()))
    print("\n## code generation, per kernel: median of 15 (first-in-process values in brackets)\n")
    print("| body | trace+type (Python) | (a) codegen in C++ | (a) incl. Python side | (a) code bytes | (b) IR text | (b) O3 pipeline + MC | (b) O1 | (b) O0 | (b) strict, O3 | (c) lowering (Python) | ironkernel: decorate + first float64 call |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in codegen_rows:
        name, first = row[0], row[1]
        m = codegen_medians(name, lib, tiles_lib)
        ms = lambda v: "—" if v is None else f"{v * 1e3:.2f} ms"  # noqa: E731
        us = lambda v: "—" if v is None else f"{v * 1e6:.0f} µs"  # noqa: E731
        print(f"| {name} | {ms(m['trace'])} | {us(m['a'])} [{us(first[2])}] | {us(m['a_total'])} | {first[5]} | "
              f"{ms(m['b_ir'])} | {ms(m['b3'])} [{ms(first[8])}] | {ms(m['b1'])} | {ms(m['b0'])} | {ms(m['bs'])} | "
              f"{us(m['c'])} | "
              f"{ms(m['ik'])} |")
    print(f"\n(b) one-off per process: `import llvmlite.binding` {T_IMPORT_LLVM * 1e3:.0f} ms, native target + "
          f"libmvec + engine {T_LLVM_INIT * 1e3:.1f} ms")
    overhead(lib, shim)
    warm(lib, shim, args.bodies.split(","))
    seed_selectivity(lib, shim)
    scaling(lib)
    llvm_o0_speed(lib, args.bodies.split(","))
    print(f"\nimport ironkernel: {T_IMPORT_IK * 1e3:.0f} ms")
    print("# load after:", os.getloadavg())
    print(subprocess.run(["sh", "-c", "top -bn1 | head -12"], capture_output=True, text=True).stdout)


if __name__ == "__main__":
    main()
