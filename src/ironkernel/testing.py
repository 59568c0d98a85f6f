"""``ik.testing``: check a kernel against its own body run by plain NumPy.

The oracle ironkernel's own tests use. ``assert_matches_numpy(kernel, *args)`` calls the kernel and
the Python function it was made from on the same arguments and compares what a user sees: the
dtype, shape and values of every output (bit-exact, signed zeros and NaN positions included, where
ironkernel promises NumPy's bits; within the documented ULP bound where the body calls vector math
functions such as ``np.sin``), the floating-point warnings, or the exception type when NumPy raises.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _core
from ._ops import ALIASES, OPS
from ._typing_rules import builtin_exception_type

# The stated accuracy of transcendental functions against NumPy's own results (both sides' errors
# add up: NumPy's SIMD sin/exp are not correctly rounded either). See docs/functions.md.
MATH_ULP = 8


def fp_warnings(record: list) -> set[str]:
    """The kinds of floating-point RuntimeWarnings in a warnings record ('divide', 'invalid', ...)."""
    kinds = set()
    for w in record:
        if issubclass(w.category, RuntimeWarning):
            m = re.search(r"(divide by zero|overflow|underflow|invalid value)", str(w.message))
            if m:
                kinds.add(m.group(1).split()[0])
    return kinds


def ulp_distance(got: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Distance in units in the last place of `expected` (NaN equals NaN; infinities must match)."""
    a, b = np.asarray(got), np.asarray(expected)
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    with np.errstate(all="ignore"):
        d = np.abs(a.astype(np.float64) - b.astype(np.float64)) / np.spacing(np.abs(b)).astype(np.float64)
    d = np.where(same, 0.0, d)
    return np.where(np.isnan(d), np.inf, d)


def assert_same(got: Any, expected: Any, ulp: float = 0, what: str = "result") -> None:
    """Assert that an array equals NumPy's result: dtype, shape and values.

    Values must be identical bit for bit (the sign of zero and NaN positions included) when
    `ulp` is 0 or the dtype is not a float or complex dtype, and within `ulp` units in the last
    place of NumPy's value otherwise; complex values are compared part by part.

    Parameters
    ----------
    got : array_like
        The kernel's result.
    expected : array_like
        NumPy's result.
    ulp : float, optional
        The tolerance for float and complex values (default 0: bit-exact).
    what : str, optional
        What is compared, for the message (default ``"result"``).

    Raises
    ------
    AssertionError
        A difference; the message names the first differing element.

    See Also
    --------
    assert_matches_numpy : Runs a kernel and its body and compares them with this.

    Examples
    --------
    >>> import numpy as np, ironkernel as ik
    >>> ik.testing.assert_same(np.array([0.0, 1.0]), np.array([0.0, 1.0]))
    >>> ik.testing.assert_same(np.array([1.0]), np.array([1.0 + 2**-52]), ulp=1)
    """
    got_arr, exp_arr = np.asarray(got), np.asarray(expected)
    assert got_arr.dtype == exp_arr.dtype, f"{what}: dtype {got_arr.dtype}, NumPy gives {exp_arr.dtype}"
    assert got_arr.shape == exp_arr.shape, f"{what}: shape {got_arr.shape}, NumPy gives {exp_arr.shape}"
    if exp_arr.dtype.kind == "c":
        assert_same(got_arr.real, exp_arr.real, ulp, f"{what} (real part)")
        assert_same(got_arr.imag, exp_arr.imag, ulp, f"{what} (imaginary part)")
        return
    if exp_arr.dtype.kind == "f":
        if ulp == 0:
            differs = ~(
                (got_arr == exp_arr) & (np.signbit(got_arr) == np.signbit(exp_arr))
                | np.isnan(got_arr) & np.isnan(exp_arr)
            )
        else:
            differs = ulp_distance(got_arr, exp_arr) > ulp
    else:
        differs = got_arr != exp_arr
    if differs.any():
        first = np.unravel_index(np.argmax(differs), differs.shape) if differs.ndim else ()
        bound = "bit-exact" if ulp == 0 or exp_arr.dtype.kind not in "fc" else f"within {ulp} ulp"
        raise AssertionError(
            f"{what}: {int(differs.sum())} of {differs.size} elements differ from NumPy's ({bound}); "
            f"the first at index {tuple(int(i) for i in first)}: got {got_arr[first]!r}, "
            f"NumPy gives {exp_arr[first]!r}"
        )


def _run(fn: Callable, args: tuple) -> tuple[Any, set[str], BaseException | None]:
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        try:
            result = fn(*args)
        except Exception as exc:  # compared with the other side's
            return None, set(), exc
    return result, fp_warnings(record), None


def _body_of(kernel: np.ufunc) -> Callable:
    maker = _core.loop_maker_of(kernel) if isinstance(kernel, np.ufunc) else None
    if maker is None:
        raise TypeError(f"{kernel!r} is not an ironkernel kernel")
    if maker.body is None:
        raise TypeError(f"{kernel.__name__} was rebuilt from a pickle and has no Python body: pass body=")
    return maker.body


def _uses_vector_math(kernel: np.ufunc) -> bool:
    """Whether the kernel's body calls a function whose results are within a ULP bound of NumPy's,
    rather than bit-exact."""
    graph = _core.loop_maker_of(kernel).graph
    for node in graph.nodes:
        if node.kind in ("sinc", "angle"):  # computed with sin and arctan2
            return True
        if node.kind == "call":
            op = OPS.get(ALIASES.get(node.name, node.name))
            if op is not None and op.accuracy == "math":
                return True
    return False


def assert_matches_numpy(
    kernel: np.ufunc,
    *args: Any,
    body: Callable | None = None,
    ulp: float | None = None,
    check_warnings: bool = True,
) -> None:
    """Assert that a kernel gives what its Python body gives when NumPy runs it.

    Calls ``kernel(*args)`` and the function the kernel was made from on the same arguments, and
    compares what a user sees: the dtype, shape and values of every output, the floating-point
    warnings, or the exception type when NumPy raises (a kernel raises the built-in type of
    NumPy's exception: ``TypeError`` for ``UFuncTypeError``).

    Parameters
    ----------
    kernel : numpy.ufunc
        A kernel made by ``ik.ufunc`` or ``ik.gufunc`` (whose body NumPy runs row by row, with
        ``np.vectorize`` and the gufunc's signature).
    *args
        The call's arguments: arrays, NumPy scalars, Python scalars.
    body : callable, optional
        The function to run through NumPy (default: the one the kernel was made from; needed for
        a kernel rebuilt from a pickle).
    ulp : float, optional
        The tolerance for floating-point values, in units in the last place of NumPy's result
        (default: 0, bit-exact, unless the body calls a vector math function such as ``np.sin``
        or ``np.exp``: then ``MATH_ULP``, the documented bound).
    check_warnings : bool
        Also compare the floating-point RuntimeWarnings (divide, overflow, underflow, invalid).
        NumPy computes both branches of ``np.where`` for every element, a kernel only the one
        selected: where the body has a ``np.where``, the kernel's warnings must be among NumPy's.

    Raises
    ------
    AssertionError
        The dtype, shape, a value or the warnings differ (the message names the first differing
        element), or one side raised and the other did not, or they raised different types.

    See Also
    --------
    assert_same : The comparison of one output.

    Examples
    --------
    >>> import numpy as np, ironkernel as ik
    >>> @ik.ufunc
    ... def f(x, mask):
    ...     return np.where(mask, np.sqrt(x), 0.0)
    >>> x = np.linspace(-1.0, 4.0, 6)
    >>> ik.testing.assert_matches_numpy(f, x, x > 0)
    >>> ik.testing.assert_matches_numpy(f, x.astype(np.float32), x > 0)
    """
    body_is_own = _core.loop_maker_of(kernel) is not None
    body = body if body is not None else _body_of(kernel)
    if ulp is None:
        ulp = MATH_ULP if _uses_vector_math(kernel) else 0
    if kernel.signature is not None and body is not None:
        # A gufunc's body sees one row of each argument: NumPy runs it row by row.
        body = np.vectorize(body, signature=kernel.signature)
    expected, expected_warnings, expected_error = _run(body, args)
    got, got_warnings, got_error = _run(kernel, args)
    if expected_error is not None or got_error is not None:
        if expected_error is None:
            raise AssertionError(
                f"the kernel raised {type(got_error).__name__}: {got_error}; NumPy gives a result"
            )
        if got_error is None:
            raise AssertionError(
                f"NumPy raises {type(expected_error).__name__}: {expected_error}; the kernel gives {got!r}"
            )
        if not isinstance(got_error, (type(expected_error), builtin_exception_type(expected_error))):
            raise AssertionError(
                f"the kernel raised {type(got_error).__name__}: {got_error}; NumPy raises "
                f"{type(expected_error).__name__}: {expected_error}"
            )
        return
    outputs = expected if isinstance(expected, tuple) else (expected,)
    results = got if isinstance(got, tuple) else (got,)
    assert len(results) == len(outputs), f"{len(results)} outputs, NumPy's body returns {len(outputs)}"
    for k, (g, e) in enumerate(zip(results, outputs)):
        assert_same(g, e, ulp, f"output {k}" if len(outputs) > 1 else "result")
    if check_warnings:
        # NumPy computes both branches of np.where for every element; a kernel computes only the
        # selected one, so it may warn less (never more) where the body has a np.where.
        lazy = (
            any(node.kind == "where" for node in _core.loop_maker_of(kernel).graph.nodes)
            if body_is_own
            else False
        )
        if lazy:
            assert got_warnings <= expected_warnings, (
                f"floating-point warnings {sorted(got_warnings)}, NumPy gives {sorted(expected_warnings)}"
            )
        else:
            assert got_warnings == expected_warnings, (
                f"floating-point warnings {sorted(got_warnings)}, NumPy gives {sorted(expected_warnings)}"
            )


__all__ = ["MATH_ULP", "assert_matches_numpy", "assert_same", "fp_warnings", "ulp_distance"]
