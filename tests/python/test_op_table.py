"""The op table (csrc/ir/ops.def) against the core and the tests: every op has a kernel, a flag rule
that NumPy agrees with, and a row in test_operations (or a commented exclusion)."""

import ctypes
import ctypes.util
import itertools
import warnings

import numpy as np
import pytest
import test_operations as ops_tests

from ironkernel import _core

FACTS = {row["name"]: row for row in _core.op_facts()}
TABLE = {name: (arity, result, accuracy) for name, arity, result, accuracy in _core.op_table()}

# Ops find_kernel has no kernel for, and where they are computed instead.
WITHOUT_FIND_KERNEL = {
    "input": "structural: an argument of the ufunc",
    "constant": "structural: a value in the program",
    "where": "the evaluators' select and lazy branches (test_where_lazy)",
    "cast": "find_cast, by source and target dtype (test_dtype_matrix)",
    "ldexp": "find_ldexp, by the float and the exponent dtype (test_exponent_functions)",
}

# Ops with no row in test_operations' parametrised lists, and where they are tested.
NOT_IN_TEST_OPERATIONS = {
    "input": "structural: every test",
    "constant": "structural: every test with a constant (test_random_expressions)",
    "where": "test_where_lazy",
    "cast": "test_dtype_matrix and test_operations_casts",
    "conjugate": "complex: test_dtype_matrix",
    "real": "complex: test_dtype_matrix",
    "imag": "complex: test_dtype_matrix",
    "spacing": "test_exponent_functions",
    "frexp_mantissa": "np.frexp: test_exponent_functions",
    "frexp_exponent": "np.frexp: test_exponent_functions",
    "ldexp": "test_exponent_functions",
}

MATH_RULES = {"invalid", "divide", "overflow", "divide_or_overflow"}

# Ops marked math with no C library routine (libm column no), and how they are computed instead.
MATH_WITHOUT_ROUTINE = {
    "logaddexp": "its kernel, from the C library's exp and log1p (eval/kernels/scalar_ops.hpp)",
    "logaddexp2": "its kernel, from the C library's exp2 and log1p (eval/kernels/scalar_ops.hpp)",
}


def test_the_facts_and_the_table_list_the_same_ops_in_the_same_order():
    assert list(FACTS) == list(TABLE)


@pytest.mark.parametrize("name", [n for n in TABLE if n not in WITHOUT_FIND_KERNEL])
def test_every_computing_op_has_a_kernel(name):
    dtypes = FACTS[name]["kernel_dtypes"]
    assert dtypes, f"{name}: no kernel for any dtype"
    if TABLE[name][2] == "math":
        assert {"float32", "float64"} <= set(dtypes), f"{name}: math without float32/float64 kernels"


def test_the_exclusions_name_ops_of_the_table():
    assert set(WITHOUT_FIND_KERNEL) <= set(TABLE)
    assert set(NOT_IN_TEST_OPERATIONS) <= set(TABLE)
    for name in WITHOUT_FIND_KERNEL:
        if name not in ("input", "constant"):
            assert not FACTS[name]["kernel_dtypes"], f"{name} has a kernel now: take it off the exclusions"


def test_every_vector_math_function_has_a_flag_rule():
    # The math table's functions settle their flags by the rule of their row (simd/flag_rules.hpp).
    for name, row in FACTS.items():
        in_table = row["math_table"] != ""
        assert in_table == (row["flags"] in MATH_RULES), (
            f"{name}: math table {row['math_table']!r}, flags {row['flags']}"
        )
        if in_table:
            assert TABLE[name][0] == (1 if row["math_table"] == "unary" else 2)
            assert TABLE[name][2] == "math"


def test_every_math_op_has_its_c_library_routine():
    # The libm column makes an op a vector math function: its routines in every math table.
    assert set(MATH_WITHOUT_ROUTINE) <= set(TABLE)
    for name, (arity, _, accuracy) in TABLE.items():
        libm = FACTS[name]["libm"]
        if accuracy == "math" and name not in MATH_WITHOUT_ROUTINE:
            assert libm, f"{name} is math but names no C library function (libm column)"
        if name in MATH_WITHOUT_ROUTINE:
            assert not libm, f"{name} has a routine now: take it off MATH_WITHOUT_ROUTINE"
        expected_table = ("unary" if arity == 1 else "binary") if libm else ""
        assert FACTS[name]["math_table"] == expected_table, (
            f"{name}: libm {libm!r} but math table {expected_table!r}"
        )
        if libm:
            assert accuracy == "math", f"{name} has a C library routine but is marked exact"


def _c_library_function(name):
    library = ctypes.CDLL(ctypes.util.find_library("m"))
    function = getattr(library, name)
    function.restype = ctypes.c_double
    return function


@pytest.mark.parametrize("name", [n for n, row in FACTS.items() if row["libm"]])
def test_the_libm_column_names_the_function_numpy_computes(name):
    # A wrong name would give every table the wrong function: NumPy's op must agree with the named
    # C function (float64, a few points of each sign and size; NaN where both leave the domain).
    function = _c_library_function(FACTS[name]["libm"])
    points = [0.3, -0.7, 1.5, 2.5, -4.0, 0.0]
    operands = [g.ravel() for g in np.meshgrid(*[points] * TABLE[name][0], indexing="ij")]
    function.argtypes = [ctypes.c_double] * len(operands)
    with np.errstate(all="ignore"):
        expected = np.array([function(*map(float, args)) for args in zip(*operands)])
        got = getattr(np, name)(*operands)
    np.testing.assert_allclose(got, expected, rtol=1e-14, equal_nan=True, err_msg=name)


def test_every_op_has_a_row_in_test_operations():
    tested = set(
        itertools.chain(
            ops_tests.EXACT_UNARY,
            ops_tests.MATH_UNARY,
            ops_tests.EXACT_BINARY,
            ops_tests.MATH_BINARY,
            ops_tests.INT_BINARY,
            ops_tests.INT_UNARY,
            ops_tests.BOOL_BINARY,
        )
    )
    missing = [name for name in TABLE if name not in tested and name not in NOT_IN_TEST_OPERATIONS]
    assert not missing, (
        f"ops with no test row (add one, or an exclusion saying where they are tested): {missing}"
    )
    stale = [name for name in NOT_IN_TEST_OPERATIONS if name in tested]
    assert not stale, f"tested in test_operations now: take them off NOT_IN_TEST_OPERATIONS: {stale}"


SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, 3.0, np.inf, -np.inf, np.nan, 1e308, -1e308, 5e-324, -5e-324, 2.2e-308]


def _operands(arity, dtype):
    values = np.array(SPECIAL, dtype=dtype)
    grids = np.meshgrid(*[values] * arity, indexing="ij")
    return [g.ravel() for g in grids]


@pytest.mark.parametrize(
    "name",
    [n for n, row in FACTS.items() if row["flags"] == "none" and n not in ("input", "constant", "where")],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.bool_])
def test_ops_marked_flag_free_raise_no_flag_in_numpy(name, dtype):
    # The passes compute these on every lane of a where (flag_free): NumPy must never warn for them.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # float32 conversion of the specials
        operands = _operands(TABLE[name][0], dtype)
    with np.errstate(all="raise"):
        try:
            getattr(np, name)(*operands)
        except TypeError:  # not defined on this dtype (e.g. copysign of bool)
            pass


@pytest.mark.parametrize(
    "name",
    [
        n
        for n, row in FACTS.items()
        if row["flags"] == "some"
        and TABLE[n][2] == "exact"
        and n in ("add", "divide", "sqrt", "floor_divide")
    ],
)
def test_ops_marked_some_do_raise_flags_in_numpy(name):
    # A check that the check above can fail: these raise for some special operand.
    operands = _operands(TABLE[name][0], np.float64)
    with np.errstate(all="raise"), pytest.raises(FloatingPointError):
        getattr(np, name)(*operands)
