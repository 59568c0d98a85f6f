"""Checks both prototypes against NumPy (bits) and against a lazy where (FP flags).

    /work/venv-threads/bin/python benchmarks/prototypes/check.py
"""

from __future__ import annotations

import ctypes
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

import body as bodies  # noqa: E402
import proto_jit  # noqa: E402
import proto_llvm  # noqa: E402
import proto_tiles  # noqa: E402

LIBC = ctypes.CDLL(None)
FLAGS = {"invalid": 0x01, "divide": 0x04, "overflow": 0x08, "underflow": 0x10}
SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e-310, -1e-310, 1e300, -1e300, 0.5, 3.0])


def run_kernel(fn, ins, out) -> None:
    if isinstance(fn, proto_tiles.TileProgram):
        fn.call(ins, out)()
    else:
        proto_jit.Call(fn, ins, out)()


def run_flags(fn, ins, out) -> set[str]:
    LIBC.feclearexcept(0x3F)
    run_kernel(fn, ins, out)
    raised = LIBC.fetestexcept(0x3D)
    return {k for k, bit in FLAGS.items() if raised & bit}


def numpy_lazy_flags(func, ins) -> set[str]:
    """The flags a per-element evaluation raises: what ironkernel promises (lazy where)."""
    seen = set()
    for i in range(ins[0].size):
        with np.errstate(all="call"):
            hits = []
            np.seterrcall(lambda kind, flag: hits.append(kind))
            func(*[a[i] if func.__name__.endswith("_scalar") else a[i:i + 1] for a in ins])
            seen.update({"divide by zero": "divide"}.get(h, h) for h in hits)
    return seen


def recip(x):
    return 1.0 / x


def safe_recip_scalar(x):
    return 1.0 / x if x != 0 else 0.0


def seed_scalar(x):
    return np.sqrt(np.abs(x)) + np.sin(x) if x > 0 else 0.0


def main() -> int:
    lib = proto_jit.load()
    if "--libmvec" not in sys.argv:  # (a) and (b) call ironkernel's own vector sin
        proto_llvm._init()
        proto_llvm.use_math("sin", "ik_vector_sin", proto_jit.use_ironkernel_sin(lib))
    tiles_lib = proto_tiles.load()
    rng = np.random.default_rng(1)
    failures = 0
    cases = dict(bodies.BODIES, recip=recip, safe_recip=bodies.safe_recip)
    for name, func in cases.items():
        body = bodies.typed_body(name, func)
        owners = {"a": proto_jit.JitKernel(lib, body, 4), "b": proto_llvm.LlvmKernel(body, 32),
                  "b_strict": proto_llvm.LlvmKernel(body, 32, strict=True)}
        kernels = {v: k.fn for v, k in owners.items()}  # owners keep the code alive
        try:
            tiles = proto_tiles.TileProgram(tiles_lib, body)
            kernels["c"] = tiles
        except NotImplementedError:
            pass
        for n in (1, 3, 8, 13, 31, 32, 33, 100, 1001):
            pool = np.concatenate([SPECIAL, rng.standard_normal(64) * 10])
            ins = [rng.choice(pool, n) for _ in range(body.n_inputs)]
            with np.errstate(all="ignore"):
                ref = np.asarray(func(*ins), dtype=np.float64)
            for v, fn in kernels.items():
                out = np.empty(n)
                run_kernel(fn, ins, out)
                same = (out.view(np.int64) == ref.view(np.int64)) | (np.isnan(out) & np.isnan(ref))
                if name == "seed":  # libmvec sin vs NumPy's: a few ulp (the math accuracy bound)
                    same |= np.abs(out - ref) <= 4 * np.spacing(np.abs(ref))
                if not same.all():
                    failures += 1
                    i = int(np.argmin(same))
                    print(f"FAIL bits {name} {v} n={n}: at {i} inputs {[a[i] for a in ins]} got {out[i]!r} want {ref[i]!r}")
        # Flags: a tail whose unused lanes would divide by zero, and a where whose dead branch
        # would raise invalid (sin(-inf)).
        for n in (3, 13, 35):
            x = rng.choice(np.array([-np.inf, -2.0, 0.5, 4.0, 1e-3, 0.0, np.nan]), n)
            ins = [x] + [rng.standard_normal(n) + 3 for _ in range(body.n_inputs - 1)]
            want = None
            if name in ("seed", "recip", "safe_recip"):
                lazy = {"seed": seed_scalar, "recip": recip, "safe_recip": safe_recip_scalar}[name]
                want = numpy_lazy_flags(lazy, ins)
            for v, fn in kernels.items():
                got = run_flags(fn, ins, np.empty(n))
                if want is not None and got != want:
                    # (b) without strict FP: LLVM may lower `x > 0` to a signalling compare (invalid
                    # on NaN). Known and reported, not counted: strict mode is the fix.
                    known = v == "b"
                    failures += not known
                    print(f"{'KNOWN' if known else 'FAIL'} flags {name} {v} n={n}: raised {sorted(got)}, "
                          f"a lazy where raises {sorted(want)}")
        if name == "seed" and "--libmvec" not in sys.argv:
            # With ironkernel's own sin, (a) and (b) must give ironkernel's bits exactly.
            import ironkernel as ik

            x = np.concatenate([SPECIAL, rng.standard_normal(1000) * 10])
            with np.errstate(all="ignore"):
                want = ik.ufunc(func)(x)
            for v, fn in kernels.items():
                out = np.empty_like(x)
                run_kernel(fn, [x], out)
                if not np.array_equal(out.view(np.int64), want.view(np.int64)):
                    failures += 1
                    print(f"FAIL seed {v}: not ironkernel's bits")
        print(f"{name}: checked")
    print("failures:", failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
