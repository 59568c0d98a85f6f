"""ik.show_config(): what this installation is and does, for a bug report."""

from __future__ import annotations

import os
import platform
import sys
from typing import Any, Literal, overload

import numpy as np

from . import _build_config, _core
from ._api import get_num_threads
from ._version import __version__


def _cpu() -> str:
    """The CPU's model name where the system says it (Linux), else what platform knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith(("model name", "Model", "Hardware")) and ":" in line:
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _config() -> dict[str, Any]:
    return {
        "ironkernel": {"version": __version__, "path": os.path.dirname(os.path.abspath(__file__))},
        "numpy": {"version": np.__version__},
        "python": {"version": sys.version.split()[0], "implementation": platform.python_implementation()},
        "machine": {"platform": platform.platform(), "cpu_family": platform.machine(), "cpu": _cpu()},
        "runtime": {
            "kernel_isa": _core.kernel_isa(),
            "math_table": _core.simd_isa(),
            "jit": _core.jit_status(),
            "threads": get_num_threads(),
            "thread_runtime": _build_config.THREADS,
        },
        "build": {
            "portable": _build_config.PORTABLE,
            "libmvec": _build_config.LIBMVEC,
            "kernel_isas": list(_build_config.KERNEL_ISAS),
            "math_tables": list(_build_config.MATH_TABLES),
            "avx512_compiled": "avx512" in _build_config.KERNEL_ISAS,
            "jit": _build_config.JIT,
            "host": _build_config.HOST,
            "compiler": _build_config.COMPILER,
            "buildtype": _build_config.BUILDTYPE,
        },
        "environment": {k: v for k, v in sorted(os.environ.items()) if k.startswith(("IK_", "OMP_"))},
    }


@overload
def show_config(mode: Literal["stdout"] = ...) -> None: ...
@overload
def show_config(mode: Literal["dicts"]) -> dict[str, Any]: ...
def show_config(mode: str = "stdout") -> dict[str, Any] | None:
    """Print what this ironkernel is and does here, to paste into a bug report.

    The versions of ironkernel, NumPy and Python; the platform and CPU; the kernel instruction
    set and math table chosen for this CPU (``IK_SIMD`` can cap them); whether the JIT makes machine
    code (``IK_JIT=0`` turns it off); the thread count; what the build compiled (portable or not,
    libmvec, the AVX2 and AVX-512 kernels, the JIT); and the ``IK_*`` and
    ``OMP_*`` environment variables set. Paste ``numpy.show_config()``'s beside it.

    Parameters
    ----------
    mode : {"stdout", "dicts"}, optional
        ``"stdout"`` (default) prints the configuration; ``"dicts"`` returns it instead, as a dict
        of dicts (the sections printed), as ``numpy.show_config`` does.

    Returns
    -------
    dict or None
        The configuration with ``mode="dicts"``, else None.

    See Also
    --------
    get_num_threads : The thread count shown under ``runtime``.

    Examples
    --------
    >>> import ironkernel as ik
    >>> ik.show_config()  # doctest: +SKIP
    ironkernel:
      version: 0.1.0
    ...
    runtime:
      kernel_isa: avx2
      math_table: avx2
      threads: 2
    ...
    >>> ik.show_config(mode="dicts")["runtime"]["kernel_isa"] in ("baseline", "avx2", "avx512")
    True
    """
    if mode not in ("stdout", "dicts"):
        raise ValueError(f'show_config mode must be "stdout" or "dicts", got {mode!r}')
    config = _config()
    if mode == "dicts":
        return config
    for section, entries in config.items():
        print(f"{section}:")
        if not entries:
            print("  (none set)")
        for key, value in entries.items():
            print(f"  {key}: {value}")
    return None
