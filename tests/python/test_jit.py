"""The JIT (csrc/jit): machine code for float bodies gives NumPy's bits and flags, lazy where included.
Threads and streamed outputs, and math calls, have files of their own (test_jit_*.py)."""

import io
import os
import subprocess
import sys

import numpy as np
import pytest
from jit_cases import (
    BODIES,
    DTYPES,
    JIT_ON,
    SIZES,
    flags_of,
    needs_jit,
    operands,
    same_bits,
    special_values,
    streamed_size,
    with_threads,
)

import ironkernel as ik


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
