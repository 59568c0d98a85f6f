"""Products of 8-bit integers (multiply, square), computed two bytes to a 16-bit lane
(csrc/eval/kernels/byte_product_kernels.inc): NumPy's bits for every pair of values, at every
length and start, alone or inside a longer body, with every instruction set's kernels."""

import os
import subprocess
import sys

import numpy as np
import pytest

import ironkernel as ik

DTYPES = [np.int8, np.uint8]
BODIES = {
    "multiply": lambda a, b: a * b,
    "np.multiply": lambda a, b: np.multiply(a, b),
    "square": lambda a, b: np.square(a),
    "power_2": lambda a, b: a**2,
    "fused": lambda a, b: np.square(a) - a * b,  # the evaluators' chunk kernels
}


def every_pair(dtype):
    """All 65536 pairs of values of an 8-bit type, plus a tail that fills no vector."""
    values = np.arange(256, dtype=np.uint8).view(dtype)
    a, b = np.repeat(values, 256), np.tile(values, 256)
    return np.concatenate([a, a[:37]]), np.concatenate([b, b[-37:]])


def expected_of(name, a, b):
    with np.errstate(all="ignore"):
        return BODIES[name](a, b)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("name", list(BODIES))
def test_every_pair_of_values_gives_numpys_bits(name, dtype):
    a, b = every_pair(dtype)
    expected = expected_of(name, a, b)
    got = ik.ufunc(BODIES[name])(a, b)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got.view(np.uint8), expected.view(np.uint8))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("name", ["multiply", "square"])
def test_every_length_and_start(name, dtype):
    f = ik.ufunc(BODIES[name])
    a, b = every_pair(dtype)
    order = np.random.default_rng(3).permutation(a.size)  # pairs mixed, not in order
    a, b = a[order], b[order]
    for start in range(0, 67, 3):
        for n in [*range(0, 140), 1000, 4099]:
            x, y = a[start : start + n], b[start + 1 : start + 1 + n]
            out = np.zeros(n, a.dtype)
            f(x, y, out=out)
            np.testing.assert_array_equal(out, expected_of(name, x, y), err_msg=f"start {start}, n {n}")


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_out_is_an_input(dtype):
    a, b = every_pair(dtype)
    expected = expected_of("multiply", a, b)
    got = ik.ufunc(BODIES["multiply"])(a, b, out=a)
    assert got is a
    np.testing.assert_array_equal(a, expected)


CHECK_EVERY_PAIR = """
import numpy as np, ironkernel as ik
for dtype in (np.int8, np.uint8):
    v = np.arange(256, dtype=np.uint8).view(dtype)
    a, b = np.repeat(v, 257), np.tile(v, 257)[: 256 * 257]
    with np.errstate(all="ignore"):
        assert (ik.ufunc(lambda x, y: x * y)(a, b) == a * b).all()
        assert (ik.ufunc(lambda x: np.square(x))(a) == np.square(a)).all()
        assert (ik.ufunc(lambda x, y: np.square(x) - x * y)(a, b) == np.square(a) - a * b).all()
print(ik.show_config("dicts")["runtime"]["kernel_isa"])
"""


@pytest.mark.parametrize("isa", ["avx512", "avx2", "sse2"])
def test_every_pair_with_each_instruction_sets_kernels(isa):
    """Without the JIT, so that the longer body runs the evaluators' chunk kernels."""
    levels = ["baseline", "avx2", "avx512"]
    expected = "baseline" if isa == "sse2" else isa
    if levels.index(expected) > levels.index(ik.show_config("dicts")["runtime"]["kernel_isa"]):
        pytest.skip(f"no {isa} kernels here")
    environment = {**os.environ, "IK_SIMD": isa, "IK_JIT": "0"}
    result = subprocess.run(
        [sys.executable, "-c", CHECK_EVERY_PAIR], env=environment, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == expected
