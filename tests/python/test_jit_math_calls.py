"""Math calls from the JIT's code: the evaluators' bits and flags (IK_JIT=0) for every math function,
under errstate, strided, in place, on two threads."""

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
from jit_cases import DTYPES, flags_of, needs_jit, operands, same_bits, special_values, with_threads

import ironkernel as ik

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
        # Any NaN equals any NaN: with NaNs in two operands, which one an op returns (its sign) is
        # the operand order of the instruction, which the JIT's main and tail loops may choose
        # differently from the evaluators (IEEE leaves it open; NumPy's loops differ likewise).
        same = (got.view(uint) == expected.view(uint)) | (np.isnan(got) & np.isnan(expected))
        bad = np.flatnonzero(~same)
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


# The functions the JIT computes inline while every selected lane of a step is within the bound of
# ironkernel's own routine (csrc/jit/inline_math.cpp), as calls of the routine for the whole step
# otherwise; float32 sin is libmvec's, called.
INLINE_BOUNDS = {("exp", np.float64): 708.0, ("exp", np.float32): 87.0, ("sin", np.float64): 2.0**20}


@pytest.mark.parametrize("function, dtype", list(INLINE_BOUNDS), ids=lambda v: getattr(v, "__name__", v))
def test_inline_math_gives_the_routines_bits_and_flags(function, dtype):
    # Values at and beside the bound, in each copy of a step and in the tail, selected by a where or not.
    bound = dtype(INLINE_BOUNDS[function, dtype])
    beyond, inside = np.nextafter(bound, dtype(np.inf)), np.nextafter(bound, dtype(0))
    tiny = np.finfo(dtype).smallest_subnormal
    edges = [
        bound,
        -bound,
        beyond,
        -beyond,
        inside,
        -inside,
        0.0,
        -0.0,
        tiny,
        -tiny,
        1e-30,
        2 * bound,
        -2 * bound,
    ]
    edges += [np.nan, np.inf, -np.inf, 1.5 * bound, -1.05 * bound]
    rng = np.random.default_rng(7)
    cases = []
    for source in [
        f"lambda x: np.{function}(x) * 0.5",
        f"lambda x: np.where(x < 0, np.{function}(x) + 1.0, -x)",
    ]:
        for n in range(1, 70, 3):
            cases.append((source, [rng.uniform(-bound, bound, n).astype(dtype)]))
        for value in edges:
            for at in [0, 9, 17, 25, 33, 47, 63, 64, 70]:  # each copy of a step of 4 vectors; the tail
                x = rng.uniform(-bound, bound, 71).astype(dtype)
                x[at] = value
                cases.append((source, [x]))
        cases.append((source, [rng.uniform(-1.2 * bound, 1.2 * bound, 20000).astype(dtype)]))
    # A stride-0 argument (a broadcast operand), in range and beyond.
    source = f"lambda x, y: np.{function}(y) * x"
    x = np.linspace(-1, 1, 100).astype(dtype)
    for value in [1.5, bound, beyond]:
        cases.append((source, [x, np.full(100, value, dtype)]))
        cases.append((source, [x, np.broadcast_to(np.array([value], dtype), (100,))]))
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
