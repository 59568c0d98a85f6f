"""ironkernel: fused NumPy ufuncs.

Decorate a function of NumPy element-wise operations with ``@ik.ufunc`` and get a real
``np.ufunc`` that evaluates the whole expression in one pass over cache-sized blocks, with SIMD
math and threads.
"""

from . import _core
from ._version import __version__, check_extension

check_extension(_core.version)  # before anything reads the extension's numbers

from . import testing
from ._api import explain, get_num_threads, set_num_threads, supported_functions, threads, ufunc
from ._config import show_config
from ._dask import dask_ufunc
from ._gufunc import gufunc
from ._numpy_probes import install as _install_numpy_probes
from ._pickle import install as _install_pickling
from ._trace import TracingError

__all__ = [
    "TracingError",
    "__version__",
    "dask_ufunc",
    "explain",
    "get_num_threads",
    "gufunc",
    "set_num_threads",
    "show_config",
    "supported_functions",
    "testing",
    "threads",
    "ufunc",
]

_install_pickling()
_install_numpy_probes()
