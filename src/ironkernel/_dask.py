"""``ik.dask_ufunc``: kernels with several outputs on Dask arrays.

Dask dispatches a NumPy ufunc applied to its arrays by itself, but refuses ufuncs with several
outputs that it does not know by name (it has its own versions of np.frexp, np.modf, np.divmod).
A kernel with several outputs is element-wise all the same, so ``dask.array.apply_gufunc`` with
the signature ``(),()->(),()`` runs it chunk by chunk; this wraps that call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def _scalar_signature(nin: int, nout: int) -> str:
    return ",".join(["()"] * nin) + "->" + ",".join(["()"] * nout)


def _sample(arg: Any) -> Any:
    """A one-element stand-in of an argument, of its dtype (Python scalars stay as they are)."""
    dtype = getattr(arg, "dtype", None)
    return arg if dtype is None else np.ones(1, dtype)


def dask_ufunc(kernel: np.ufunc) -> Callable[..., Any]:
    """Make a kernel with several outputs callable on Dask arrays.

    Returns a function that calls ``kernel`` on its arguments; when one of them is a Dask array, it
    runs the kernel chunk by chunk through ``dask.array.apply_gufunc`` (broadcasting as the ufunc
    does) and returns a tuple of lazy Dask arrays, one per output. Kernels with one output, and
    gufuncs, work on Dask arrays without it (Dask dispatches them itself); with it they work too.

    Parameters
    ----------
    kernel : numpy.ufunc
        A kernel made by ``ik.ufunc`` or ``ik.gufunc``.

    Returns
    -------
    callable
        ``f(*args, **kwargs)``: the kernel's results, lazy when an argument is a Dask array.
        Keyword arguments go to ``dask.array.apply_gufunc`` for Dask arrays (``output_dtypes``
        defaults to the kernel's result dtypes for the arguments' dtypes), to the kernel otherwise.

    See Also
    --------
    ufunc : Makes a kernel.

    Examples
    --------
    >>> import numpy as np, ironkernel as ik
    >>> import dask.array as da
    >>> sincos = ik.ufunc(lambda x: (np.sin(x), np.cos(x)))
    >>> s, c = ik.dask_ufunc(sincos)(da.linspace(0, 1, 1000, chunks=250))
    >>> bool(np.allclose((s * s + c * c).compute(), 1.0))
    True
    """

    def call(*args: Any, **kwargs: Any) -> Any:
        import dask.array as da

        if not any(isinstance(arg, da.Array) for arg in args):
            return kernel(*args, **kwargs)
        signature = kernel.signature or _scalar_signature(kernel.nin, kernel.nout)
        if "output_dtypes" not in kwargs:
            with np.errstate(all="ignore"):
                results = kernel(*[_sample(arg) for arg in args])
            results = results if isinstance(results, tuple) else (results,)
            kwargs["output_dtypes"] = [r.dtype for r in results]
            if kernel.nout == 1:
                kwargs["output_dtypes"] = kwargs["output_dtypes"][0]
        return da.apply_gufunc(kernel, signature, *args, **kwargs)

    call.__name__ = call.__qualname__ = getattr(kernel, "__name__", "kernel")
    call.__doc__ = kernel.__doc__
    return call
