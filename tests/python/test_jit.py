"""The JIT (csrc/jit): machine code for float bodies gives NumPy's bits and flags, lazy where included."""

import io
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

import ironkernel as ik

JIT_ON = ik.show_config(mode="dicts")["runtime"]["jit"].startswith("on")
needs_jit = pytest.mark.skipif(not JIT_ON, reason="no JIT here (not built, no AVX-512, or IK_JIT=0)")

DTYPES = [np.float64, np.float32]
SIZES = list(range(41)) + [1000, 100003]  # every tail length, and n in {1, 7, 8, 15, 16, 17} among them


def poly24(x):
    acc = x * 0.5 + 0.25
    for k in range(23):
        acc = acc * x + (0.125 * (k % 5) - 0.25)
    return acc


# name -> (body, number of inputs, lazy: a where whose branches NumPy computes eagerly)
BODIES = {
    "axpy": (lambda x, y: 2.5 * x + y, 2, False),
    "poly": (lambda x: ((((0.5 * x + 1.25) * x - 2.0) * x + 0.75) * x - 3.0) * x + 1.0, 1, False),
    "hypot_like": (lambda x, y: np.sqrt(x * x + y * y), 2, False),
    "multi": (lambda a, b, c, d: a * b + c * d - np.sqrt(np.abs(a - d)), 4, False),
    "negative_square": (lambda x, y: -np.square(x) / y, 2, False),
    "reciprocal": (lambda x, y: np.reciprocal(x) - y, 2, False),
    "constant_first": (lambda x, y: (1.0 - x) / (2.0 + y), 2, False),
    "poly24": (poly24, 1, False),
    "where_sqrt": (lambda x: np.where(x > 0, np.sqrt(x) + 1.0, -x), 1, True),
    "where_divide": (lambda x, y: np.where(y != 0, x / y, 0.0) * 2.0, 2, True),
    "where_both": (lambda x, y: np.where(x <= y, x * y - 1.0, (x - y) / 3.0), 2, True),
    "where_two": (lambda x, y: np.where(x == y, x, y + 1.0) + np.where(x >= 1.5, 1.0, x), 2, True),
    "clamp": (lambda x: np.where(x < -1, -1, np.where(x > 1, 1, x)), 1, False),
    "where_shared": (lambda x, y: np.where(x < y, np.sqrt(x * y) + 1.0, np.sqrt(x * y) - 1.0), 2, True),
    # (No ±0 constant beside an extremum: NumPy's loops with a scalar operand break -0.0/0.0 ties
    # by lane position; the evaluators' rule, which the JIT keeps, is tested against them below.)
    "extrema": (
        lambda x, y: np.maximum(x, y) - np.minimum(y, x) * np.fmax(x, 0.5) / np.fmin(-0.25, y),
        2,
        False,
    ),
    "clip": (lambda x: np.clip(x, -1.0, 1.0) * 3.0, 1, False),
    "clip_arguments": (lambda x, lo, hi: np.clip(x, lo, hi) + lo, 3, False),
    "where_maximum": (lambda x, y: np.where(x < 1.0, np.maximum(np.sqrt(x), y), x), 2, True),
}


def special_values(dtype):
    fi = np.finfo(dtype)
    return np.array(
        [
            0.0,
            -0.0,
            np.inf,
            -np.inf,
            np.nan,
            -np.nan,
            fi.tiny,
            -fi.tiny,
            fi.smallest_subnormal,
            -fi.smallest_subnormal,
            fi.max,
            -fi.max,
            1.0,
            -1.0,
            0.5,
            3.0,
        ],
        dtype,
    )


def operands(n, nin, dtype, seed):
    rng = np.random.default_rng(seed)
    special = special_values(dtype)
    out = []
    for _ in range(nin):
        a = rng.standard_normal(n).astype(dtype)
        pick = rng.random(n) < 0.3
        a[pick] = rng.choice(special, pick.sum())
        out.append(a)
    return out


def same_bits(got, expected):
    """Equal bit for bit (-0.0 is not 0.0), any NaN equal to any NaN."""
    assert got.dtype == expected.dtype and got.shape == expected.shape
    uint = np.uint64 if got.dtype == np.float64 else np.uint32
    same = (got.view(uint) == expected.view(uint)) | (np.isnan(got) & np.isnan(expected))
    bad = np.flatnonzero(~same)
    assert bad.size == 0, (
        f"{bad.size} elements differ, first at {bad[0]}: {got[bad[0]]!r} vs {expected[bad[0]]!r}"
    )


def flags_of(fn, *args, **kwargs):
    """The floating-point flags a call raises, as NumPy reports them ("invalid value", ...)."""
    seen = set()
    with np.errstate(all="call", call=lambda kind, flag: seen.add(kind)):
        result = fn(*args, **kwargs)
    return seen, result


@needs_jit
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("name", list(BODIES))
def test_body_gets_jit_code(name, dtype):
    body, nin, _ = BODIES[name]
    assert "jit: " in ik.explain(ik.ufunc(body), *[dtype] * nin)


@pytest.mark.parametrize(
    "body, dtype",
    [
        (lambda x: np.floor(x) * 2.0 + x, np.float64),  # vrndscale: not written yet
        (lambda x, y: np.copysign(x, y) * 2.0, np.float64),  # bit operations: not written yet
        (lambda x, y: x * y + 1, np.int64),
        (lambda x, y: x * y + 1, np.float16),
        (lambda x: np.where(x > 0, np.where(x > 1, x * 2.0, x), -x), np.float64),  # nested where
    ],
)
def test_uncovered_body_falls_back(body, dtype):
    f = ik.ufunc(body)
    nin = body.__code__.co_argcount
    assert "jit: " not in ik.explain(f, *[dtype] * nin)
    args = operands(100, nin, np.float64, 3)
    args = [np.abs(a * 10).astype(dtype) if np.dtype(dtype).kind == "i" else a.astype(dtype) for a in args]
    with np.errstate(all="ignore"):
        same_bits(np.asarray(f(*args), dtype=np.float64), np.asarray(body(*args), dtype=np.float64))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("name", list(BODIES))
def test_bits_and_flags_are_numpys(name, dtype):
    body, nin, lazy = BODIES[name]
    f = ik.ufunc(body)
    for n in SIZES:
        args = operands(n, nin, dtype, seed=n)
        with np.errstate(all="ignore"):
            expected = np.asarray(body(*args), dtype=dtype)
        flags, got = flags_of(f, *args)
        same_bits(got, expected)
        if not lazy:  # NumPy computes a where's branches on every lane; ironkernel does not
            expected_flags, _ = flags_of(body, *args)
            assert flags == expected_flags, (n, flags, expected_flags)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize(
    "x, y, flag",
    [
        (0.0, 0.0, "invalid value"),
        (1.0, 0.0, "divide by zero"),
        (-1.0, 1.0, "invalid value"),
        ("max", 2.0, "overflow"),
    ],
    ids=["0/0", "1/0", "sqrt(-1)", "overflow"],
)
def test_taken_branch_raises_and_untaken_raises_nothing(x, y, flag, dtype):
    x = np.finfo(dtype).max if x == "max" else x

    def raising(a, b):  # the flag's op on the one lane (a, b) = (x, y)
        return (
            np.sqrt(a) if flag == "invalid value" and x < 0 else (a * b * b if flag == "overflow" else a / b)
        )

    taken = ik.ufunc(lambda a, b, c: np.where(c > 0, raising(a, b) + 1.0, c))
    untaken = ik.ufunc(lambda a, b, c: np.where(c < 0, raising(a, b) + 1.0, c))
    for n in [1, 7, 8, 15, 16, 17, 40, 1000]:
        for at in sorted({0, n // 2, n - 1}):
            a = np.ones(n, dtype)
            b = np.ones(n, dtype)
            c = np.ones(n, dtype)
            a[at], b[at] = x, y
            assert flag in flags_of(taken, a, b, c)[0], (n, at)
            assert flags_of(untaken, a, b, c)[0] == set(), (n, at)
            with np.errstate(all="raise"):
                untaken(a, b, c)
                with pytest.raises(FloatingPointError):
                    taken(a, b, c)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_tail_lanes_raise_nothing(dtype):
    # Past the last element the tail's vector holds no element: 1/x there would divide by zero.
    f = ik.ufunc(lambda x, y: 1.0 / x + np.sqrt(y) - y / x)
    for n in range(1, 41):
        with np.errstate(all="raise"):
            same_bits(f(np.full(n, 2.0, dtype), np.full(n, 4.0, dtype)), np.full(n, 0.5 + 2.0 - 2.0, dtype))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_quiet_comparisons_on_nan(dtype):
    f = ik.ufunc(lambda x, y: np.where(x > y, x, y * 2.0) + np.where(x != y, 1.0, 0.0))
    x = np.array([np.nan, 1.0, np.nan, -np.inf] * 5, dtype)
    y = np.array([1.0, np.nan, np.nan, np.inf] * 5, dtype)
    with np.errstate(all="raise"):
        got = f(x, y)
    with np.errstate(all="ignore"):
        same_bits(got, np.where(x > y, x, y * 2.0) + np.where(x != y, 1.0, 0.0))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_out_aliasing_an_input(dtype):
    body = BODIES["multi"][0]
    f = ik.ufunc(body)
    for n in [1, 17, 1000, 100003]:
        a, b, c, d = operands(n, 4, dtype, seed=n)
        with np.errstate(all="ignore"):
            expected = body(a, b, c, d)
            for k in range(4):
                args = [arr.copy() for arr in (a, b, c, d)]
                got = f(*args, out=args[k])
                assert got is args[k]
                same_bits(got, expected)
            # Shifted against the output by one element: the JIT must not run it (the evaluators do).
            buffer = np.concatenate([a, a[-1:]])
            expected_shifted = body(buffer[1:], b, c, d)
            f(buffer[1:], b, c, d, out=buffer[:-1])
            same_bits(buffer[:-1], expected_shifted)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_strided_unaligned_and_broadcast_calls(dtype):
    body = BODIES["where_both"][0]
    f = ik.ufunc(body)
    x, y = operands(3001, 2, dtype, seed=5)
    raw = np.zeros(3001 * np.dtype(dtype).itemsize + 1, np.uint8)
    unaligned = raw[1:].view(dtype)
    unaligned[:] = x
    with np.errstate(all="ignore"):
        same_bits(f(x[::2], y[::2]), body(x[::2], y[::2]))
        same_bits(f(unaligned, y), body(x, y))
        same_bits(f(x, y[:1]), body(x, y[:1]))
        same_bits(f(x, dtype(0.5)), body(x, dtype(0.5)))


EXTREMA = {"maximum": np.maximum, "minimum": np.minimum, "fmax": np.fmax, "fmin": np.fmin}


def extremum_pairs(dtype):
    """Every pair of special values, NaNs of several payloads and signs among them, as (x, y)."""
    uint = np.uint64 if np.dtype(dtype) == np.float64 else np.uint32
    if uint is np.uint64:
        nans = [0x7FF8000000000001, 0xFFF8000000000002, 0x7FF80000000000AB, 0xFFFFFFFFFFFFFFFF]
    else:
        nans = [0x7FC00001, 0xFFC00002, 0x7FC000AB, 0xFFFFFFFF]
    values = np.concatenate([special_values(dtype), np.array(nans, uint).view(dtype)])
    x, y = np.meshgrid(values, values)
    return x.ravel().copy(), y.ravel().copy()


def evaluator_bits(source, dtype, arrays):
    """The bytes the evaluators (IK_JIT=0) give for body source on arrays, in a fresh process."""
    code = (
        "import io, sys, numpy as np, ironkernel as ik\n"
        f"f = ik.ufunc(eval({source!r}))\n"
        "args = np.load(io.BytesIO(sys.stdin.buffer.read()))\n"
        "with np.errstate(all='ignore'):\n"
        "    sys.stdout.buffer.write(f(*args).tobytes())\n"
    )
    buffer = io.BytesIO()
    np.save(buffer, np.stack(arrays))
    env = dict(os.environ, IK_JIT="0")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, input=buffer.getvalue(), capture_output=True, check=True
    ).stdout
    return np.frombuffer(out, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_extrema_keep_the_evaluators_bits_for_signed_zeros_and_nan_payloads(dtype):
    # -f(...) keeps every bit (a sign flip) and makes the body two ops, so that the JIT runs it;
    # each extremum with arrays, with a constant first and second, and under a where's mask.
    x, y = extremum_pairs(dtype)
    x, y = np.tile(x, 3), np.tile(y, 3)[::-1].copy()  # every pair at every lane and tail position
    uint = np.uint64 if np.dtype(dtype) == np.float64 else np.uint32
    for name in EXTREMA:
        sources = [
            f"lambda x, y: -np.{name}(x, y)",
            f"lambda x, y: -np.{name}(-0.0, y)",
            f"lambda x, y: -np.{name}(x, 0.0)",
            f"lambda x, y: np.where(x != 1.0, -np.{name}(x, y), 7.0)",
        ]
        for source in sources:
            f = ik.ufunc(eval(source))
            if JIT_ON:
                assert "jit: " in ik.explain(f, dtype, dtype), source
            with np.errstate(all="raise"):  # quiet NaNs: no flag
                got = f(x, y)
            expected = evaluator_bits(source, dtype, [x, y])
            bad = np.flatnonzero(got.view(uint) != expected.view(uint))
            assert bad.size == 0, (source, x[bad[0]], y[bad[0]], got[bad[0]], expected[bad[0]])
            with np.errstate(all="ignore"):
                same_bits(got, np.asarray(eval(source)(x, y), dtype))  # NumPy's values, any NaN for NaN


def stride0_patterns(nin):
    """Which inputs are passed with stride 0: each alone, and all of them when there are up to 3."""
    singles = [{k} for k in range(nin)]
    return singles + ([set(range(nin))] if 1 < nin <= 3 else [])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("name", list(BODIES))
def test_stride0_inputs_give_numpys_bits_and_flags(name, dtype):
    # A broadcast input (a Python scalar, a row of one) reaches the loop with stride 0: the JIT
    # reads its one element broadcast. Its value is each special value in turn.
    body, nin, lazy = BODIES[name]
    f = ik.ufunc(body)
    if JIT_ON:
        assert "stride-0 inputs" in ik.explain(f, *[dtype] * nin)
    special = special_values(dtype)
    for pattern in stride0_patterns(nin):
        for n in list(range(0, 41, 3)) + [1000]:
            args = operands(n, nin, dtype, seed=n)
            for value in special[:: 3 if n > 40 else 1]:
                called = [
                    np.broadcast_to(np.array([value], dtype), n) if k in pattern else a
                    for k, a in enumerate(args)
                ]
                with np.errstate(all="ignore"):
                    expected = np.asarray(body(*called), dtype=dtype)
                flags, got = flags_of(f, *called)
                same_bits(got, expected)
                if not lazy:
                    assert flags == flags_of(body, *called)[0], (pattern, n, value)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_python_scalar_arguments_and_streamed_broadcasts(dtype):
    f = ik.ufunc(BODIES["where_divide"][0])
    x, y = operands(2003, 2, dtype, seed=3)
    with np.errstate(all="raise"):  # y = 0 selects the branch with no division: no flag
        same_bits(f(x, 0.0), np.zeros(2003, dtype))
    with np.errstate(all="ignore"):
        same_bits(f(x, -2.0), BODIES["where_divide"][0](x, dtype(-2.0)))
        same_bits(f(np.float64(3.0).astype(dtype), y), BODIES["where_divide"][0](dtype(3.0), y))
    # A streamed output with a stride-0 input, on 2 threads.
    axpy = BODIES["axpy"][0]
    n = streamed_size(dtype)
    big = operands(n, 1, dtype, seed=4)[0]
    with np.errstate(all="ignore"):
        got = with_threads(2, lambda: ik.ufunc(axpy)(big, dtype(0.5)))
        same_bits(got, axpy(big, dtype(0.5)))


def many_values(a, b, c, d, e, f, g, h, i):
    xs = [a, b, c, d, e, f, g, h, i]
    roots = [np.sqrt(np.abs(x)) for x in xs]
    acc = 0.0
    for p in range(9):
        for q in range(p + 1, 9):
            acc = acc + roots[p] * xs[q] - xs[p] / (roots[q] + 1.0)
    return acc


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_nine_inputs_and_many_live_values(dtype):
    # Every input register in use, and too many live values for 4 vectors per step.
    f = ik.ufunc(many_values)
    if JIT_ON:
        assert "jit: " in ik.explain(f, *[dtype] * 9)
    for n in [1, 17, 1001]:
        args = operands(n, 9, dtype, seed=n)
        with np.errstate(all="ignore"):
            same_bits(f(*args), many_values(*args))


def test_two_threads_give_one_threads_bits():
    body = BODIES["where_both"][0]
    f = ik.ufunc(body)
    x, y = operands(3_000_003, 2, np.float64, seed=7)
    before = ik.get_num_threads()
    try:
        with np.errstate(all="ignore"):
            ik.set_num_threads(1)
            one = f(x, y)
            ik.set_num_threads(2)
            two = f(x, y)
    finally:
        ik.set_num_threads(before)
    same_bits(two, one)
    with np.errstate(all="ignore"):
        same_bits(one, body(x, y))


def streamed_size(dtype):
    """Elements of an output past the streaming threshold (the last-level cache, 32 MiB at most)."""
    return (32 << 20) // np.dtype(dtype).itemsize + 1003


def with_threads(n, fn):
    before = ik.get_num_threads()
    ik.set_num_threads(n)
    try:
        return fn()
    finally:
        ik.set_num_threads(before)


def test_memory_bound_bodies_stream_through_the_jit():
    streams = ik.explain(ik.ufunc(BODIES["axpy"][0]), np.float64, np.float64)
    if JIT_ON:
        assert "jit: " in streams and "streaming outputs over" in streams
    assert "streaming" not in ik.explain(ik.ufunc(poly24), np.float64)  # compute bounds it


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_streamed_outputs_are_numpys_at_every_alignment(dtype, threads):
    # Outputs past the cache size are written with non-temporal stores, aligned after a head of
    # up to a vector's lanes; each thread's piece has its own head and tail.
    def body(x, y):
        return np.where(x > y, x - y, y) + 1.0

    f = ik.ufunc(body)
    if JIT_ON:
        assert "streaming outputs over" in ik.explain(f, dtype, dtype)
    n = streamed_size(dtype)
    x, y = operands(n, 2, dtype, seed=11)
    with np.errstate(all="ignore"):
        expected = body(x, y)
    lanes = 64 // np.dtype(dtype).itemsize
    memory = np.full(n + 2 * lanes, 7.0, dtype)
    for head in [0, 1, lanes // 2, lanes - 1]:
        memory[:] = 7.0
        out = memory[head : head + n]
        with np.errstate(all="ignore"):
            got = with_threads(threads, lambda: f(x, y, out=out))
        assert got is out
        same_bits(out, expected)
        assert (memory[:head] == 7.0).all() and (memory[head + n :] == 7.0).all(), "wrote outside the output"


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_streamed_outputs_raise_numpys_flags(dtype, threads):
    # 0/0 in the untaken branch at the head, inside and at the end of a streamed call: no flag;
    # the same lanes taken: the flag, raised as FloatingPointError under errstate(raise).
    f = ik.ufunc(lambda x, y, c: np.where(c > 0, x / y, c) + 1.0)
    if JIT_ON:
        assert "streaming outputs over" in ik.explain(f, dtype, dtype, dtype)
    n = streamed_size(dtype)
    x = np.ones(n, dtype)
    y = np.ones(n, dtype)
    for at in [0, 3, n // 2 + 5, n - 1]:
        x[at] = y[at] = 0.0
    out = np.empty(n + 1, dtype)[1:]
    for c in [np.full(n, -1.0, dtype), np.full(n, 1.0, dtype)]:
        with np.errstate(all="raise"):
            if c[0] > 0:
                with pytest.raises(FloatingPointError):
                    with_threads(threads, lambda: f(x, y, c, out=out))
            else:
                with_threads(threads, lambda: f(x, y, c, out=out))
                assert (out == 0.0).all()


def test_ik_jit_0_turns_it_off():
    code = (
        "import numpy as np, ironkernel as ik\n"
        "f = ik.ufunc(lambda x, y: 2.5 * x + y)\n"
        "print(ik.show_config(mode='dicts')['runtime']['jit'])\n"
        "print('jit: ' in ik.explain(f, np.float64, np.float64))\n"
    )
    env = dict(os.environ, IK_JIT="0")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[0].startswith(("off", "not built")) and out[1] == "False"


# Math calls: the math table's vector routines called from the JIT's code, unchecked, each piece of
# a call run again in the evaluators when it raised a flag. Their bits are the evaluators' (the same
# routines), not NumPy's (the routines' stated ULP bounds): compared against IK_JIT=0.

MATH_FUNCTIONS = [name for name, row in ik._ops.OPS.items() if row.accuracy == "math" and row.arity == 1]

MATH_BODIES = {
    "logistic": ("lambda x: 1 / (1 + np.exp(-x))", 1),
    "seed": ("lambda x: np.where(x > 0, np.sqrt(np.abs(x)) + np.sin(x), 0)", 1),
    "sin_cos": ("lambda x, y: np.sin(x) * np.cos(y) + x", 2),
    "tanh_log": ("lambda x, y: np.tanh(x) - np.log(np.abs(y) + 0.5)", 2),
    "where_log": ("lambda x: np.where(x > 0, np.log(x), -x)", 1),
    "calls_of_calls": ("lambda x: np.exp(np.sin(x) * 2.0) + np.log(np.cos(x) + 2.0) * x", 1),
    "many_live": (
        "lambda a, b, c: a * b + np.tanh(c) * (a - b) + np.where(c < a, np.exp(b), a * c) - b / c",
        3,
    ),
}


def evaluator_results(cases):
    """For each (source, arrays) case: the bytes and the flags the evaluators (IK_JIT=0) give, all
    computed in one fresh process."""
    code = (
        "import pickle, sys, numpy as np, ironkernel as ik\n"
        "made = {}\n"
        "results = []\n"
        "for source, args in pickle.load(sys.stdin.buffer):\n"
        "    if source not in made:\n"
        "        made[source] = ik.ufunc(eval(source))\n"
        "    f = made[source]\n"
        "    seen = set()\n"
        "    with np.errstate(all='call', call=lambda kind, flag: seen.add(kind)):\n"
        "        results.append((f(*args).tobytes(), seen))\n"
        "pickle.dump(results, sys.stdout.buffer)\n"
    )
    env = dict(os.environ, IK_JIT="0")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, input=pickle.dumps(cases), capture_output=True, check=True
    ).stdout
    return pickle.loads(out)


def expect_the_evaluators(cases, dtype):
    """Runs every case here (with the JIT) and asserts the evaluators' bits and flags."""
    made = {}
    for (source, args), (expected_bytes, expected_flags) in zip(cases, evaluator_results(cases), strict=True):
        if source not in made:
            made[source] = ik.ufunc(eval(source))
        flags, got = flags_of(made[source], *args)
        expected = np.frombuffer(expected_bytes, dtype)
        uint = np.uint64 if np.dtype(dtype) == np.float64 else np.uint32
        bad = np.flatnonzero(got.view(uint) != expected.view(uint))
        assert bad.size == 0, (source, got.size, bad[0], args[0][bad[0]], got[bad[0]], expected[bad[0]])
        assert flags == expected_flags, (source, got.size, flags, expected_flags)


def vanishing_values(dtype):
    """Arguments whose results vanish (subnormal) for exp and for the functions near x at 0."""
    tiny = float(np.finfo(dtype).smallest_subnormal)
    return np.array([3 * tiny, -3 * tiny, np.log(tiny) + np.log(3.5), -745.0, -104.0], dtype)


@needs_jit
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_math_bodies_get_jit_code(dtype):
    for source, nin in MATH_BODIES.values():
        assert "jit: " in ik.explain(ik.ufunc(eval(source)), *[dtype] * nin), source
    for name in MATH_FUNCTIONS:
        assert "jit: " in ik.explain(ik.ufunc(eval(f"lambda x: np.{name}(x) * 0.5")), dtype), name


@needs_jit
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_explain_says_which_op_keeps_a_body_from_the_jit(dtype):
    text = ik.explain(ik.ufunc(lambda x, y: np.power(x, y) + np.sin(x)), dtype, dtype)
    assert "jit: " not in text
    assert "no machine code (the evaluators run it): power: two-argument math" in text
    assert "no machine code" not in ik.explain(ik.ufunc(lambda x, y: x * y + 1), np.int64, np.int64)
    assert "no machine code" not in ik.explain(ik.ufunc(eval(MATH_BODIES["seed"][0])), dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_math_bodies_give_the_evaluators_bits_and_flags(dtype):
    # Special values in 30% of the elements: most pieces raise a flag and run again.
    cases = []
    for source, nin in MATH_BODIES.values():
        for n in [*range(0, 41, 3), 1000, 9000]:
            cases.append((source, operands(n, nin, dtype, seed=n)))
        # One flag in one piece of several: only that piece runs again.
        args = [np.linspace(0.5, 3.0, 20000).astype(dtype) for _ in range(nin)]
        args[0][12345] = -np.inf if "where_log" not in source else np.inf
        args[0][5] = np.nan
        cases.append((source, args))
    expect_the_evaluators(cases, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_every_math_function_gives_the_evaluators_bits_and_flags(dtype):
    # Each function of the math table, alone in a two-op body (one op runs as its kernel), on
    # ordinary, special and vanishing arguments, at every tail length and unroll position.
    special = np.concatenate(
        [special_values(dtype), vanishing_values(dtype), [0.99, -0.99, 1.5, 100.0, 1e10]]
    )
    rng = np.random.default_rng(1)
    cases = []
    for name in MATH_FUNCTIONS:
        source = f"lambda x: np.{name}(x) * 0.5"
        for n in [1, 7, 17, 33, 100]:
            cases.append((source, [rng.uniform(-3, 3, n).astype(dtype)]))
        for value in special:
            cases.append((source, [np.r_[np.full(20, 0.25), value, np.full(20, 0.25)].astype(dtype)]))
        cases.append((source, [np.tile(special, 3).astype(dtype)]))
        # Under a where: the special value on an unselected lane raises nothing.
        masked = f"lambda x: np.where(x < 2.0, 1.0, np.{name}(x) * 0.5)"
        cases.append((masked, [np.tile(special, 3).astype(dtype)]))
    expect_the_evaluators(cases, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_math_warnings_under_errstate(dtype):
    logistic = ik.ufunc(eval(MATH_BODIES["logistic"][0]))
    seed = ik.ufunc(eval(MATH_BODIES["seed"][0]))
    for n in [1, 17, 5000]:
        for at in sorted({0, n // 2, n - 1}):
            x = np.linspace(-3, 3, n).astype(dtype)
            x[at] = -1000.0  # exp(1000) overflows, in NumPy as here
            with np.errstate(over="raise"), pytest.raises(FloatingPointError):
                logistic(x)
            with np.errstate(over="raise"), pytest.raises(FloatingPointError):
                1 / (1 + np.exp(-x))
            with np.errstate(all="ignore", over="warn"), pytest.warns(RuntimeWarning, match="overflow"):
                logistic(x)
            # sin(-inf) is invalid, on a lane the where does not select: nothing, lazily.
            x[at] = -np.inf
            with np.errstate(all="raise"):
                seed(x)
            x[at] = np.inf
            with np.errstate(all="raise"), pytest.raises(FloatingPointError, match="invalid"):
                seed(x)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_math_on_strided_stride0_and_in_place_calls(dtype):
    source = MATH_BODIES["sin_cos"][0]
    x, y = operands(9001, 2, dtype, seed=9)
    raw = np.zeros(9001 * np.dtype(dtype).itemsize + 1, np.uint8)
    unaligned = raw[1:].view(dtype)
    unaligned[:] = x
    one = np.array([0.75], dtype)
    cases = [
        (source, [x[::2], y[::2]]),
        (source, [unaligned, y]),
        (source, [x, np.broadcast_to(one, x.shape)]),
        (source, [np.broadcast_to(one, x.shape), y]),
        (source, [x, np.broadcast_to(np.array([np.inf], dtype), x.shape)]),  # cos(inf) in every piece
    ]
    expect_the_evaluators(cases, dtype)
    # In place: a piece that raised a flag runs again from its inputs as they were.
    f = ik.ufunc(eval(source))
    (expected, expected_flags), *_ = evaluator_results([(source, [x, y])])
    for k in range(2):
        args = [x.copy(), y.copy()]
        flags, got = flags_of(f, *args, out=args[k])
        assert got is args[k] and flags == expected_flags
        assert got.tobytes() == expected


def test_math_on_two_threads_gives_one_threads_bits_and_flags():
    f = ik.ufunc(eval(MATH_BODIES["seed"][0]))
    x = np.random.default_rng(3).standard_normal(3_000_003) * 5
    x[2_000_000] = np.inf  # invalid in one piece of the second thread
    one = with_threads(1, lambda: flags_of(f, x))
    two = with_threads(2, lambda: flags_of(f, x))
    assert one[0] == two[0] == {"invalid value"}
    same_bits(two[1], one[1])
