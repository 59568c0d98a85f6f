"""Pickling of ironkernel ufuncs by content.

NumPy pickles a ufunc by name, which fails for ufuncs made at run time. This installs a reducer
for ``np.ufunc`` that stores an ironkernel ufunc as its untyped IR (rebuilt on load, through a
process-wide cache) and hands every other ufunc to the reducer that was there before.
"""

from __future__ import annotations

import copyreg

import numpy as np

from . import _core
from ._api import rebuild


# Pickles name this function (ironkernel._pickle._rebuild): it stays, so that older pickles load.
def _rebuild(payload: bytes) -> np.ufunc:
    return rebuild(payload)


def install() -> None:
    previous = copyreg.dispatch_table.get(np.ufunc)
    if getattr(previous, "_ironkernel", False):
        return

    def reduce_ufunc(u: np.ufunc):
        payload = _core.payload_of(u)
        if payload is not None:
            return _rebuild, (payload,)
        if previous is not None:
            return previous(u)
        return u.__name__

    reduce_ufunc._ironkernel = True  # type: ignore[attr-defined]
    copyreg.pickle(np.ufunc, reduce_ufunc)
