"""The public API: ``ik.ufunc``, ``ik.explain`` and thread control."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, overload

import numpy as np

from . import _core
from ._gufunc import build as build_gufunc
from ._ir import Graph, PayloadError, from_payload, to_payload, typed_bytes
from ._loops import NOT_FIXED, LoopMaker, check_body, dtype_of_num
from ._ops import supported_ufuncs
from ._registry import kernel_name, remember, remembered
from ._trace import TracingError, trace


def _identity_value(identity: Any) -> bool | int | float | None:
    """identity= as the Python scalar the payload stores (NumPy scalars by value)."""
    if isinstance(identity, np.generic) and identity.dtype.kind in "biuf":
        identity = identity.item()
    if identity is not None and type(identity) not in (bool, int, float):
        raise TypeError(
            f"identity={identity!r}: a kernel's identity must be a real number (bool, int or float)"
        )
    return identity


def _build(graph: Graph, options: dict, func_name: str) -> np.ufunc:
    """The kernel of a traced body: a ufunc without loops, whose loops are typed and compiled per
    combination of argument dtypes on first use (_loops.py). Raises here if NumPy rejects the body
    for every input dtype."""
    if options.get("signature"):
        return build_gufunc(graph, options, func_name)
    graph.func_name = func_name
    check_body(graph)
    programs: dict[bytes, Any] = {}  # loops with the same typed IR (int64 as 'l' and 'q') share a program

    def make_program(nodes: list, outputs: list) -> Any:
        ir = typed_bytes(graph.n_inputs, nodes, outputs)
        if ir not in programs:
            programs[ir] = _core.compile(ir)
        return programs[ir]

    identity = options.get("identity")
    maker = LoopMaker(graph, options["name"], make_program, identity)
    return _core.make_ufunc(
        options["name"],
        options["doc"],
        graph.n_inputs,
        len(graph.outputs),
        identity,
        maker,
        to_payload(graph, options),
    )


def rebuild(payload: bytes) -> np.ufunc:
    """The ufunc a payload describes (used by unpickling)."""
    u = remembered(payload)
    if u is not None:
        return u
    graph, options = from_payload(payload)
    try:
        u = _build(graph, options, options["name"])
    except MemoryError:
        raise
    except Exception as exc:  # a payload that parses but is not a body NumPy and ironkernel accept
        raise PayloadError(
            f"cannot unpickle the ironkernel kernel {options['name']!r}: rebuilding it from its "
            f"pickled graph failed ({type(exc).__name__}: {exc}). The pickle is damaged, or was "
            "written with another version of ironkernel or NumPy: pickle the kernel again with "
            "this one."
        ) from exc
    remember(payload, u)
    return u


@overload
def ufunc(func: Callable, /) -> np.ufunc: ...
@overload
def ufunc(
    *, name: str | None = None, doc: str | None = None, identity: Any = None
) -> Callable[[Callable], np.ufunc]: ...


def ufunc(
    func: Callable | None = None, /, *, name: str | None = None, doc: str | None = None, identity: Any = None
) -> Any:
    """Turn a function of NumPy element-wise operations into one fused ``np.ufunc``.

    The function is traced once, here, on symbolic arguments: its operators and NumPy calls
    become an expression graph that the C++ core optimises and evaluates in one pass over
    cache-sized blocks, on several threads for large arrays. The result is a real ``np.ufunc``
    with one loop per input dtype NumPy accepts for the body, so ``out=``, ``where=``,
    ``dtype=``, ``casting=``, broadcasting and the ufunc methods work as for NumPy's own.

    Parameters
    ----------
    func : callable
        A function of ``nin`` positional arguments returning an array expression, or a tuple of
        them for several outputs.
    name : str, optional
        The ufunc's ``__name__`` (default: the function's name; names of NumPy ufuncs get an
        ``_ik`` suffix so that libraries dispatching on names are not misled).
    doc : str, optional
        The docstring (default: the function's).
    identity : scalar, optional
        The identity of a two-input kernel, as for NumPy's ufuncs: ``reduce`` starts from it,
        may then reduce over several axes at once, and returns it for an empty array. A bool,
        int or float, Python's or NumPy's. Loops whose output dtype cannot hold it are left out
        (``identity=-np.inf`` gives a kernel without integer loops: NumPy then computes integer
        inputs in a float loop).

    Returns
    -------
    numpy.ufunc
        The kernel, with ``nin`` inputs (the positional parameters without defaults; parameters
        with defaults are traced as constants) and ``nout`` outputs (the number of returned
        values). Called as ``ik.ufunc(name=...)`` without ``func``, a decorator returning it.

    Raises
    ------
    TracingError
        The body uses Python control flow on array values or a function that cannot be fused.
    TypeError
        NumPy rejects the body for every input dtype.

    See Also
    --------
    gufunc : Kernels that reduce over a core dimension.
    explain : The program a kernel runs.
    supported_functions : The NumPy functions a body may call.

    Examples
    --------
    >>> import numpy as np, ironkernel as ik
    >>> @ik.ufunc
    ... def f(x):
    ...     return np.where(x > 0, np.sqrt(x) + 1, 0.0)
    >>> isinstance(f, np.ufunc)
    True
    >>> f(np.array([-4.0, 0.0, 4.0]))
    array([0., 0., 3.])
    >>> f(np.array([4.0], dtype=np.float32)).dtype
    dtype('float32')

    With keywords:

    >>> @ik.ufunc(name="sum_of_squares", identity=0.0)
    ... def step(acc, v):
    ...     return acc + v * v
    >>> step.reduce(np.array([3.0, 4.0]))
    np.float64(25.0)
    """
    identity_value = _identity_value(identity)

    def decorate(f: Callable) -> np.ufunc:
        graph = trace(f)
        func_name = getattr(f, "__name__", "kernel")
        options = {
            "name": kernel_name(name or func_name),
            "doc": doc if doc is not None else (f.__doc__ or ""),
            "identity": identity_value,
        }
        u = _build(graph, options, func_name)
        _core.loop_maker_of(u).body = f
        remember(_core.payload_of(u), u)
        return u

    if func is None:
        return decorate
    return decorate(func)


def _is_kernel(u: Any) -> bool:
    return isinstance(u, np.ufunc) and _core.payload_of(u) is not None


def explain(u: np.ufunc, *args: Any) -> str:
    """The optimised program of each loop of an ironkernel kernel, as text.

    A kernel has one loop per combination of argument dtypes it has been called with, typed and
    compiled on the first such call. Shows, per loop, the typed graph after optimisation and the
    instructions the evaluator runs, including which ``where`` branches are evaluated lazily. For
    a gufunc, shows the stages of each loop: the passes over the core dimension and the row-scalar
    programs.

    Parameters
    ----------
    u : numpy.ufunc
        A kernel made by ``ik.ufunc`` or ``ik.gufunc``.
    *args : array, dtype or Python scalar, optional
        The arguments of a call, or their dtypes (``np.float32``, ``"int8"``; ``int``, ``float``
        or ``complex`` for a Python scalar): shows the loop that call runs, compiling it if it is
        new. Without them, shows the loops compiled so far, or the float64 loop if there are none.

    Returns
    -------
    str
        One section per loop, headed ``loop (input dtypes) -> (output dtypes)``.

    Raises
    ------
    TypeError
        ``u`` is not an ironkernel kernel (for example a NumPy ufunc), or NumPy rejects the body
        for the given dtypes.

    See Also
    --------
    ufunc : Makes an element-wise kernel.
    gufunc : Makes a kernel over a core dimension.

    Examples
    --------
    >>> import numpy as np, ironkernel as ik
    >>> f = ik.ufunc(lambda x: np.where(x > 0, np.log(x), 0.0))
    >>> text = ik.explain(f, np.float32)
    >>> text.splitlines()[0]
    'loop (float32) -> (float32)'
    >>> "lazy region" in text
    True
    """
    if not _is_kernel(u):
        raise TypeError(f"{u!r} is not an ironkernel ufunc")
    if args or not _core.loop_types_of(u):
        if args and len(args) != u.nin:
            raise TypeError(f"explain: {u.__name__} takes {u.nin} argument(s), got {len(args)}")
        key = [_argument_code(a, u.nin) for a in args or [np.float64] * u.nin] + [NOT_FIXED] * u.nargs
        wanted = [_core.loop_types_for(u, key)]
    else:
        wanted = _core.loop_types_of(u)
    parts = []
    if u.signature is not None:  # a gufunc: its stages per loop
        plans = {tuple(t): p for t, p in zip(_core.loop_types_of(u), _core.plans_of(u))}
        for types in wanted:
            text = [f"loop {_loop_text(u, types)}"]
            for k, (is_pass, program, sources, targets) in enumerate(plans[tuple(types)].stages):
                what = "pass over the core dimension" if is_pass else "row scalars"
                inputs = "".join(f"    input {i} = {source}\n" for i, source in enumerate(sources))
                outputs = "".join(f"    output {i} -> {target}\n" for i, target in enumerate(targets))
                text.append(f"  stage {k}: {what}\n{inputs}{outputs}{_indent(str(program), 4)}")
            parts.append("\n".join(text))
        return "\n".join(parts)
    programs = {tuple(t): p for t, p in zip(_core.loop_types_of(u), _core.programs_of(u))}
    for types in wanted:
        program = programs[tuple(types)]
        parts.append(
            f"loop {_loop_text(u, types)}\n  graph:\n{_indent(program.graph, 4)}  program:\n"
            f"{_indent(str(program), 4)}"
        )
    return "\n".join(parts)


def _argument_code(arg: Any, nin: int) -> int:
    """An argument of ik.explain as the type resolver sees it: a dtype's type number, or the code of
    a Python scalar (weak only with two or more inputs, as NumPy marks them)."""
    kinds = {
        int: _core.call_key_codes["weak_int"],
        float: _core.call_key_codes["weak_float"],
        complex: _core.call_key_codes["weak_complex"],
    }
    # (Identity, not `in`: an array is unhashable, and a NumPy scalar type compares unlike int.)
    kind = next((k for k in kinds if arg is k), None) or (type(arg) if type(arg) in kinds else None)
    if kind is not None:
        return kinds[kind] if nin > 1 else np.asarray(kind(0)).dtype.num
    return (arg.dtype if isinstance(arg, (np.ndarray, np.generic)) else np.dtype(arg)).num


def _loop_text(u: np.ufunc, types: list[int]) -> str:
    names = [dtype_of_num(t).name for t in types]
    return f"({', '.join(names[: u.nin])}) -> ({', '.join(names[u.nin :])})"


def _indent(text: str, n: int) -> str:
    return "".join(" " * n + line + "\n" for line in text.splitlines())


def set_num_threads(n: int) -> None:
    """Use at most n threads per call of any ironkernel kernel, in the whole process.

    The limit holds until it is changed again, for every Python thread. A limit above zero takes
    precedence over ``OMP_NUM_THREADS`` and threadpoolctl.

    Parameters
    ----------
    n : int
        The largest number of threads a call may use; 0 returns to OpenMP's default
        (``OMP_NUM_THREADS``, or else one thread per core, as threadpoolctl may limit it).

    Raises
    ------
    ValueError
        ``n`` is not a non-negative integer.

    See Also
    --------
    get_num_threads : The current number.
    threads : The same limit for a ``with`` block only.

    Examples
    --------
    >>> import ironkernel as ik
    >>> ik.set_num_threads(1)
    >>> ik.get_num_threads()
    1
    >>> ik.set_num_threads(0)
    """
    if not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"set_num_threads needs a non-negative integer, got {n!r}")
    _core.set_num_threads(int(n))


def get_num_threads() -> int:
    """The number of threads a large call uses.

    Calls whose estimated work is too small to pay for threads run on one thread whatever this
    says.

    Returns
    -------
    int
        The limit set by ``set_num_threads`` or ``threads``, or else OpenMP's thread count.

    See Also
    --------
    set_num_threads : Changes the limit.
    threads : Changes the limit for a ``with`` block.

    Examples
    --------
    >>> import ironkernel as ik
    >>> with ik.threads(1):
    ...     ik.get_num_threads()
    1
    """
    return _core.get_num_threads()


class threads:
    """Context manager limiting ironkernel's threads: ``with ik.threads(1): ...``.

    Restores the previous setting on exit (not thread-local: it changes the process-wide limit).

    Parameters
    ----------
    n : int
        The largest number of threads a call may use inside the block, as for
        ``set_num_threads``.

    See Also
    --------
    set_num_threads : Changes the limit until changed again.
    get_num_threads : The current limit.

    Examples
    --------
    >>> import numpy as np, ironkernel as ik
    >>> f = ik.ufunc(lambda x: np.sin(x) * 2)
    >>> x = np.linspace(0, 1, 1_000_000)
    >>> with ik.threads(1):
    ...     serial = f(x)
    >>> bool(np.array_equal(serial, f(x)))
    True
    """

    def __init__(self, n: int):
        self.n = n
        self.previous = 0

    def __enter__(self) -> threads:
        self.previous = _core.get_requested_threads()
        set_num_threads(self.n)
        return self

    def __exit__(self, *exc: object) -> None:
        _core.set_num_threads(self.previous)


def supported_functions() -> list[str]:
    """The NumPy functions that trace inside a kernel.

    These are the names ``name`` for which ``np.name`` may be called in the body of
    ``ik.ufunc``; the documentation's table of supported functions gives their dtypes and
    accuracy. Operators and ``x.astype`` work too, and ``ik.gufunc`` adds reductions.

    Returns
    -------
    list of str
        Sorted names of NumPy functions, aliases included (``abs`` and ``absolute``).

    See Also
    --------
    ufunc : Makes a kernel of these functions.

    Examples
    --------
    >>> import ironkernel as ik
    >>> "sqrt" in ik.supported_functions()
    True
    """
    return sorted(
        supported_ufuncs() + ["where", "clip", "fix", "real", "imag", "angle", "sinc", "nan_to_num"]
    )


__all__ = [
    "TracingError",
    "explain",
    "get_num_threads",
    "rebuild",
    "set_num_threads",
    "supported_functions",
    "threads",
    "ufunc",
]
