"""Every input dtype mix NumPy accepts: each body, called with every ordered pair of the 14 numeric
dtypes and the Python scalar kinds, gives NumPy's result dtype, values and warnings, or raises the
exception type NumPy raises for the undecorated body.

The whole matrix runs by default (about 18 bodies x 17 x 17 calls); IK_DTYPE_MATRIX=sample runs
every third pair of each body, for quick local runs.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import ironkernel as ik

DTYPES = ["?", "b", "B", "h", "H", "i", "I", "l", "L", "e", "f", "d", "F", "D"]
PYTHON = [int, float, complex]
KINDS = DTYPES + PYTHON

BODIES = {
    "add": lambda a, b: a + b,
    "arithmetic": lambda a, b: a * b - a,
    "true divide": lambda a, b: a / b,
    "floor divide": lambda a, b: a // b,
    "remainder": lambda a, b: a % b,
    "comparisons": lambda a, b: (a > b) | (a == b),
    "bitwise": lambda a, b: (a & b) ^ b,
    "shifts": lambda a, b: a << b,
    "where mask": lambda a, b: np.where(a > 1, a, b),
    "where truthiness": lambda a, b: np.where(b, a, 0),
    "transcendental": lambda a, b: np.sin(a) * b,
    "power": lambda a, b: a**b,
    "ldexp": lambda a, b: np.ldexp(a, b),
    "clip": lambda a, b: np.clip(a, b, 5),
    "reciprocal": lambda a, b: np.reciprocal(a) + b,
    "astype": lambda a, b: a.astype(np.float32) + b,
    "maximum": lambda a, b: np.maximum(a, b),
    "negative": lambda a, b: -a + b,
}


# Pairs that differ from NumPy, each with its reason (docs/guide/dtypes.md lists them too).
UNSIGNED = ["B", "H", "I", "L"]
KNOWN_DIFFERENCES = {
    **{
        (
            "clip",
            first,
            second,
        ): "np.clip converts a Python scalar first argument to a NumPy array (not weak); "
        "the kernel keeps it weak"
        for first in PYTHON
        for second in DTYPES
    },
    **{
        ("negative", int, second): "-a of a Python int argument a is computed in the array's dtype: "
        "NumPy's Python arithmetic gives -3, which raises OverflowError for unsigned arrays"
        for second in UNSIGNED
    },
    (
        "power",
        "?",
        int,
    ): "NumPy's a ** b looks at the value of a Python scalar b (** 2 is np.square, int8 for bool "
    "arrays); a kernel is typed per dtype, not per value, and computes np.power (int64)",
}


def argument(kind, position: int):
    """Small values valid in every dtype (a zero divisor in b): arrays, or a Python scalar."""
    if kind in PYTHON:
        return {int: (3, 2), float: (2.5, 1.5), complex: (1 + 2j, 0.5 - 1j)}[kind][position]
    values = [0, 1, 2, 3, 5, 7] if position == 0 else [1, 0, 3, 1, 2, 3]
    return np.array(values).astype(kind)


def pairs(body_index: int):
    sample = os.environ.get("IK_DTYPE_MATRIX") == "sample"
    for k, second in enumerate(KINDS):
        if not sample or (k + body_index) % 3 == 0:
            yield second


NUMPY2 = np.lib.NumpyVersion(np.__version__) >= "2.0.0"


def runs_in_numpy(first, second) -> bool:
    """Two Python scalars: the undecorated body is Python arithmetic, not NumPy's. NumPy 1.26 types
    Python scalars by their value, which kernels do not follow (they type them by NEP 50's rules,
    as NumPy 2 does: a documented difference)."""
    if not NUMPY2:
        return first not in PYTHON and second not in PYTHON
    return first not in PYTHON or second not in PYTHON


def kind_name(kind) -> str:
    return kind.__name__ if kind in PYTHON else np.dtype(kind).name


# Every body with every first argument but `astype` of a Python scalar (which has no astype: that
# body is for arrays).
BODY_FIRST = [
    (name, first) for name in BODIES for first in KINDS if not (name == "astype" and first in PYTHON)
]


@pytest.mark.parametrize(("name", "first"), BODY_FIRST, ids=[f"{n}-{kind_name(f)}" for n, f in BODY_FIRST])
def test_every_dtype_pair_types_as_numpy(name, first):
    body = BODIES[name]
    kernel = ik.ufunc(body)
    failures = []
    for second in pairs(list(BODIES).index(name)):
        if not runs_in_numpy(first, second) or (name, first, second) in KNOWN_DIFFERENCES:
            continue
        a, b = argument(first, 0), argument(second, 1)
        try:
            ik.testing.assert_matches_numpy(kernel, a, b)
        except AssertionError as exc:
            failures.append(f"({kind_name(first)}, {kind_name(second)}): {exc}")
    assert not failures, f"{len(failures)} dtype pairs differ from NumPy:\n" + "\n".join(failures)


def test_a_new_signature_is_compiled_once_by_many_threads():
    """8 threads calling a kernel with a new combination of dtypes at once: one loop is made, and
    every thread gets NumPy's result."""
    from concurrent.futures import ThreadPoolExecutor

    kernel = ik.ufunc(lambda a, b, c: np.where(b & c, a * 2.0, a))
    a = np.linspace(-1, 1, 10_000, dtype=np.float32)
    b, c = a > 0, a < 0.5
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: kernel(a, b, c), range(32)))
    expected = np.where(b & c, a * 2.0, a)
    for r in results:
        ik.testing.assert_same(r, expected)
    assert kernel.types == ["f??->f"]
    assert len(ik._core.loop_maker_of(kernel)._loops) == 1  # typed and compiled once


def test_a_kernel_keeps_at_most_1024_loops():
    """Memory stays bounded: the 1025th new combination of dtypes is refused with a clear error, and
    the loops compiled before keep working."""
    import itertools

    kernel = ik.ufunc(lambda a, b, c: a + b + c)
    combos = itertools.product(DTYPES[1:], repeat=3)
    with pytest.raises(TypeError, match="compiled 1024 loops already"):
        for chars in combos:
            kernel(*[np.ones(1, c) for c in chars])
    assert len(kernel.types) == 1024
    ik.testing.assert_matches_numpy(kernel, np.ones(2, "b"), np.ones(2, "b"), np.ones(2, "b"))
