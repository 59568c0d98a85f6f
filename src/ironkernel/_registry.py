"""The kernels this process made: the names they take, and a cache of them by pickle payload.

Both decorators (``_api.ufunc``, ``_gufunc.gufunc``) name their kernels and remember them here, and
unpickling (``_api.rebuild``) looks them up here, so that unpickling in the same process returns the
same object and repeated unpickling compiles once.
"""

from __future__ import annotations

import collections
import threading

import numpy as np

# Names a kernel must not take: NumPy treats some ufunc names specially (reductions of "add"),
# and pandas dispatches ufuncs to operators by name.
_RESERVED_NAMES = frozenset(n for n, v in vars(np).items() if isinstance(v, np.ufunc)) | frozenset(
    [
        "add",
        "sub",
        "mul",
        "pow",
        "mod",
        "floordiv",
        "truediv",
        "divmod",
        "eq",
        "ne",
        "lt",
        "gt",
        "le",
        "ge",
        "remainder",
        "matmul",
        "or",
        "xor",
        "and",
    ]
)


def kernel_name(name: str) -> str:
    """The ``__name__`` of a kernel asked to be called `name`: an identifier that is no NumPy name."""
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "kernel"
    return f"{name}_ik" if name in _RESERVED_NAMES else name


# Strong references (ufuncs cannot be weakly referenced), bounded.
_CACHE_SIZE = 256
_cache: collections.OrderedDict[bytes, np.ufunc] = collections.OrderedDict()
_cache_lock = threading.Lock()


def remember(payload: bytes, u: np.ufunc) -> None:
    with _cache_lock:
        _cache[payload] = u
        _cache.move_to_end(payload)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)


def remembered(payload: bytes) -> np.ufunc | None:
    with _cache_lock:
        return _cache.get(payload)
