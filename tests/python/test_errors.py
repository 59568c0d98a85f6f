"""Bad bodies fail at decoration with a message naming the function, the line, and the fix."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ironkernel as ik
from ironkernel import TracingError


def expect_error(func, *fragments, error=TracingError):
    with pytest.raises(error) as info:
        ik.ufunc(func)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_if_on_traced_value():
    def f(x):
        if x > 0:
            return x
        return -x

    message = expect_error(f, "f()", "np.where", "if x > 0:")
    assert __file__ in message


def test_and_or_not_on_traced_values():
    def f_and(x, y):
        return x > 0 and y > 0

    def f_or(x, y):
        return x or y

    def f_not(x):
        return not x

    expect_error(f_and, "`&`", "return x > 0 and y > 0")
    expect_error(f_or, "`|`")
    expect_error(f_not, "~")


def test_chained_comparison():
    def f(x):
        return 0 < x < 1

    expect_error(f, "(a < x) & (x < b)")


def test_bool_call():
    def f(x):
        return bool(x)

    expect_error(f, "bool()")


def test_unsupported_numpy_function():
    def f(x):
        return np.cumsum(x)

    expect_error(f, "np.cumsum", "not an element-wise function", "return np.cumsum(x)")


def test_unsupported_ufunc():
    def f(x):
        return np.gcd(x, 6)

    expect_error(f, "np.gcd is not supported", "supported_functions")


def test_reduction_method():
    def f(x):
        return x.sum()

    expect_error(f, "reduction", "ik.gufunc")


def test_ufunc_method_inside_body():
    def f(x):
        return np.add.reduce(x)

    expect_error(f, "np.add.reduce", "gufunc")


def test_keyword_arguments_to_ufuncs_in_body():
    def f(x):
        return np.sin(x, dtype=np.float32)

    expect_error(f, "dtype=", "astype")


def test_captured_array_constant():
    table = np.arange(3.0)

    def f(x):
        return x * table

    expect_error(f, "array of shape (3,)", "arguments")


def test_shape_and_dtype_are_unknown():
    def f(x):
        return x * x.shape[0]

    def g(x):
        return x.astype(x.dtype)

    expect_error(f, ".shape")
    expect_error(g, ".dtype")


def test_float_conversion():
    def f(x):
        return np.float32(x)

    expect_error(f, "astype")


def test_varargs_and_no_arguments():
    def f(*xs):
        return xs[0]

    def g():
        return 1.0

    expect_error(f, "*xs")
    expect_error(g, "at least one argument")


def test_returning_none():
    def f(x):
        x + 1

    expect_error(f, "returns None")


def test_body_numpy_rejects_for_every_dtype_is_a_type_error():
    def f(x):
        return np.sqrt(x) & 1

    message = expect_error(f, "rejects its body", "bitwise_and", error=TypeError)
    assert "return np.sqrt(x) & 1" in message


def test_integer_only_body_has_no_float_loops():
    @ik.ufunc
    def f(x):
        return x & 3

    assert all(t[0] not in "efd" for t in f.types)
    with pytest.raises(TypeError):
        f(np.ones(3))


def test_wrong_argument_count_at_call():
    @ik.ufunc
    def f(x, y):
        return x + y

    with pytest.raises(TypeError):
        f(np.ones(3))


def test_object_and_string_inputs_are_refused():
    @ik.ufunc
    def f(x):
        return x * 2.0

    with pytest.raises(TypeError):
        f(np.array(["a", "b"]))
    with pytest.raises(TypeError):
        f(np.array([1, None], dtype=object))
    with pytest.raises(TypeError):
        f(np.array(["2020-01-01"], dtype="datetime64[D]"))


def test_mismatched_shapes_leave_out_untouched():
    @ik.ufunc
    def f(x, y):
        return x + y

    out = np.full(4, 7.0)
    with pytest.raises(ValueError):
        f(np.ones(4), np.ones(3), out=out)
    assert (out == 7.0).all()


def test_read_only_out_is_refused_and_untouched():
    @ik.ufunc
    def f(x):
        return x + 1

    out = np.zeros(4)
    out.flags.writeable = False
    with pytest.raises(ValueError):
        f(np.ones(4), out=out)
    assert (out == 0).all()


def test_refused_casting_leaves_out_untouched():
    @ik.ufunc
    def f(x):
        return x * 1.5

    out = np.zeros(4, dtype=np.int64)
    with pytest.raises(TypeError, match="Cannot cast ufunc"):
        f(np.ones(4), out=out)
    assert (out == 0).all()


def test_integer_constant_too_large_for_the_input_dtype_is_never_wrapped():
    """NumPy 2 raises OverflowError for int8 * 300: so does the kernel, naming itself and the line.
    Never 300 wrapped to 44 in int8, nor the product computed in another dtype."""
    times_300 = ik.ufunc(lambda v: v * 300)
    with pytest.raises(
        OverflowError, match=r"_lambda_\(\): Python integer 300 out of bounds for int8 \(at .*test_errors"
    ):
        times_300(np.array([1, -2, 3], dtype=np.int8))
    np.testing.assert_array_equal(times_300(np.array([1, -2, 3], dtype=np.int16)), [300, -600, 900])


@pytest.mark.parametrize(
    "values",
    [
        np.array(["2020-01-01", "2021-06-30"], dtype="datetime64[D]"),
        np.array([5, -3], dtype="timedelta64[s]"),
    ],
    ids=["datetime64", "timedelta64"],
)
def test_datetime_and_timedelta_inputs_are_a_type_error_and_leave_out_untouched(values):
    # NumPy's own refusal (no loop for these dtypes): the message names the kernel.
    @ik.ufunc
    def scaled(x):
        return x * 2.0

    @ik.ufunc
    def total(x, y):
        return x + y

    @ik.gufunc("(n)->()")
    def summed(x):
        return np.sum(x)

    calls = [
        ("scaled", lambda out: scaled(values, out=out), np.full(2, 7.0)),
        ("total", lambda out: total(values, values, out=out), values.copy()),  # np.add takes two timedelta64
        ("total", lambda out: total(values, np.ones(2), out=out), np.full(2, 7.0)),
        ("summed", lambda out: summed(values, out=out), np.full((), 7.0)),
    ]
    for name, call, out in calls:
        before = out.copy()
        with pytest.raises(TypeError, match=f"ufunc '{name}' not supported for the input types"):
            call(out)
        assert (out == before).all(), name


@pytest.mark.parametrize(
    "body, name",
    [
        (lambda x: x.reshape(2, 3), "x.reshape"),
        (lambda x: x.flatten(), "x.flatten"),
        (lambda x: x.cumsum(), "x.cumsum"),
        (lambda x: x.nonzero(), "x.nonzero"),
        (lambda x: x.flat, "x.flat"),
        (lambda x: x.tolist(), "x.tolist"),
    ],
)
def test_ndarray_methods_that_are_not_element_wise(body, name):
    # The tracer's own error (function, line, advice), not a bare AttributeError.
    expect_error(body, name, "<lambda>()", "test_errors.py")


def test_reduction_method_in_a_ufunc_body():
    expect_error(lambda x: x.sum() + x.max(), "np.sum is a reduction", "@ik.gufunc")


def test_too_many_operands_is_a_clear_type_error_at_decoration():
    limit = 64 if np.lib.NumpyVersion(np.__version__) >= "2.0.0" else 32
    names = ", ".join(f"a{i}" for i in range(limit))
    too_many = eval(f"lambda {names}: a0")  # limit inputs + 1 output
    expect_error(too_many, "<lambda>()", f"takes {limit} inputs", f"at most {limit}", "@ik.gufunc")
    assert issubclass(TracingError, TypeError)
    two_outputs = eval(f"lambda {', '.join(names.split(', ')[:-1])}: (a0, a1)")
    expect_error(two_outputs, f"{limit + 1} operands")
    with pytest.raises(TracingError, match="at most"):
        ik.gufunc(",".join(["(n)"] * limit) + "->()")(eval(f"lambda {names}: np.sum(a0)"))


def test_as_many_operands_as_numpy_allows():
    limit = 64 if np.lib.NumpyVersion(np.__version__) >= "2.0.0" else 32
    names = [f"a{i}" for i in range(limit - 1)]
    body = eval(f"lambda {', '.join(names)}: {' + '.join(names)}")
    args = [np.arange(5.0) * k for k in range(limit - 1)]
    np.testing.assert_array_equal(ik.ufunc(body)(*args), body(*args))
    rows = ik.gufunc(",".join(["(n)"] * (limit - 1)) + "->()")(
        eval(f"lambda {', '.join(names)}: np.sum({' + '.join(names)})")
    )
    assert rows(*args) == np.sum(body(*args))


def test_allocation_failure_in_the_loop_raises_memory_error():
    # In a fresh process whose scratch allocations fail (a testing hook of the evaluator): the call
    # must raise MemoryError, not return an out= array it never wrote.
    code = textwrap.dedent("""
        import numpy as np, ironkernel as ik
        f = ik.ufunc(lambda a: np.sqrt(a) * 2 + 1)
        one_op = ik.ufunc(lambda a: a * 2)  # run directly, with memory for the repeated 2
        g = ik.gufunc("(n)->()")(lambda a: np.sum(np.sqrt(a) * 2))
        for call in (lambda: f(np.arange(10.0), out=np.full(10, -7.0)),
                     lambda: one_op(np.arange(10.0), out=np.full(10, -7.0)),
                     lambda: g(np.ones((3, 4)), out=np.full(3, -7.0))):
            try:
                result = call()
            except MemoryError:
                continue
            raise SystemExit(f"no MemoryError; returned {result!r}")
    """)
    # IK_JIT=0: machine code (csrc/jit) needs no memory per call, so f would not reach the hook.
    env = {**os.environ, "IK_TESTING_FAIL_ALLOCATIONS": "1", "OMP_NUM_THREADS": "1", "IK_JIT": "0"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
