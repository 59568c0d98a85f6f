"""A pytest plugin that runs NumPy's own ufunc tests against ironkernel kernels.

Every NumPy ufunc that ironkernel supports is replaced, as NumPy's test modules see it, by a kernel
of the same body (``np.add`` -> ``ik.ufunc(lambda x0, x1, f=np.add: f(x0, x1))``). NumPy itself,
``numpy.testing`` and every other module keep the real ufuncs: only the names that code in
``numpy/_core/tests/`` imports (``import numpy as np``, ``import numpy._core.umath as ncu``,
``from numpy import float16``) are views of NumPy's modules whose ufunc attributes are the kernels.
Operators on arrays (``a + b``) still run NumPy's own ufuncs: NumPy calls them from C.

Tests listed in ``known_failures.txt`` are marked as strict expected failures, so a run passes
exactly when no unlisted test fails and no listed test passes. ``--ik-sample N`` keeps a fixed,
deterministic subset of N tests.
"""

from __future__ import annotations

import builtins
import hashlib
import os
import re
import sys
import types
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pytest

import ironkernel as ik

HERE = os.path.dirname(os.path.abspath(__file__))
NUMPY_DIR = os.path.dirname(os.path.abspath(np.__file__))
TESTS_DIR = os.path.join(NUMPY_DIR, "_core", "tests")
KNOWN_FAILURES = os.path.join(HERE, "known_failures.txt")
CATEGORIES = ("not-applicable", "documented", "defect")
# The NumPy whose tests known_failures.txt classifies: test ids and outcomes change between releases.
NUMPY_VERSION = "2.4"

# The NumPy test files this judge runs (issue 19), relative to numpy/_core/tests/.
TEST_FILES = (
    "test_umath.py",
    "test_ufunc.py",
    "test_umath_complex.py",
    "test_umath_accuracy.py",
    "test_half.py",
    "test_nep50_promotions.py",
    "test_errstate.py",
    "test_mem_overlap.py",
    "test_scalarmath.py",
)


# --- the kernels --------------------------------------------------------------------------------


def _identity_for(u: np.ufunc) -> object:
    """NumPy's identity of u when every numeric loop's output dtype holds it, else None.

    A kernel leaves out the loops whose output cannot hold its identity (np.bitwise_and's -1 would
    drop the bool loop, and bool inputs would then compute in int8), while NumPy casts the identity
    to each loop; such an identity is left out rather than change the kernel's dtypes.
    """
    identity = u.identity
    if identity is None:
        return None
    for loop in u.types:
        out = loop.split("->")[1][0]
        if out in "?bBhHiIlLqQefdFD" and np.array(identity).astype(out).item() != identity:
            return None
    return identity


_NUMERIC = "?bBhHiIlLqQefdFD"  # the type codes a kernel computes in (no long double, object, time)


def _make_kernel(u: np.ufunc) -> np.ufunc:
    """The kernel of u's body, called once with the inputs of each of u's numeric loops, so that its
    ``types`` lists a loop for each (the tests choose ufuncs and dtypes by ``types`` at import)."""
    params = ", ".join(f"x{i}" for i in range(u.nin))
    body = eval(f"lambda {params}, f=f: f({params})", {"f": u})
    body.__name__ = u.__name__
    kernel = ik.ufunc(body, name=u.__name__, doc=u.__doc__, identity=_identity_for(u))
    for loop in u.types:
        inputs = loop.split("->")[0]
        if all(c in _NUMERIC for c in loop.replace("->", "")):
            with np.errstate(all="ignore"):
                kernel(*[np.ones(1, dtype=c) for c in inputs])
    return kernel


def _kernels() -> dict[int, np.ufunc]:
    """A kernel per supported NumPy ufunc object, by id of the ufunc (aliases share one)."""
    ufuncs = {}
    for name in ik.supported_functions():
        u = getattr(np, name, None)
        if isinstance(u, np.ufunc):
            ufuncs[id(u)] = u
    return {key: _make_kernel(u) for key, u in ufuncs.items()}


KERNELS: dict[int, np.ufunc] = {}
OUTCOMES: Counter = Counter()  # of this run's tests, by outcome and category


# --- what the test modules see --------------------------------------------------------------------

_views: dict[int, types.ModuleType] = {}
_state = {"kernels": True}  # False while a module that fails with kernels is imported again (below)


def _substitute(value: object) -> object:
    if isinstance(value, np.ufunc) and _state["kernels"]:
        return KERNELS.get(id(value), value)
    return value


def _view(module: types.ModuleType) -> types.ModuleType:
    """A copy of a NumPy module whose ufuncs are the kernels; its submodules are views too."""
    name = getattr(module, "__name__", "")
    if not isinstance(module, types.ModuleType) or not (name == "numpy" or name.startswith("numpy.")):
        return module
    view = _views.get(id(module))
    if view is None:
        view = types.ModuleType(name, module.__doc__)
        view.__real__ = module
        _fill(view)

        def __getattr__(attribute: str, module: types.ModuleType = module) -> object:
            return _view(_substitute(getattr(module, attribute)))

        view.__dict__["__getattr__"] = __getattr__
        _views[id(module)] = view
    return view


def _fill(view: types.ModuleType) -> None:
    for key, value in vars(view.__real__).items():
        if key not in ("__getattr__", "__real__") and not isinstance(value, types.ModuleType):
            view.__dict__[key] = _substitute(value)  # submodules: through __getattr__, as views


def _use_kernels(use: bool) -> None:
    _state["kernels"] = use
    for view in _views.values():
        _fill(view)


class _Module(pytest.Module):
    """A NumPy test module imported with the kernels in place of the ufuncs.

    A module whose import-time code needs what only NumPy's own ufuncs have fails to import so
    (test_umath_accuracy.py removes np.invert from the ufuncs with an object loop): it is imported
    with NumPy's ufuncs, then the ufuncs in its module-level lists, which its parametrize marks
    share, are replaced by the kernels.
    """

    def _getobj(self):
        try:
            return super()._getobj()
        except Exception:
            for name, module in list(sys.modules.items()):
                if getattr(module, "__file__", None) == str(self.path):
                    del sys.modules[name]
        _use_kernels(False)
        try:
            module = super()._getobj()
        finally:
            _use_kernels(True)
        for value in vars(module).values():
            if isinstance(value, list):
                value[:] = [_substitute(v) for v in value]
        return module


def pytest_pycollect_makemodule(module_path, parent):
    if str(module_path.parent) == TESTS_DIR:
        return _Module.from_parent(parent, path=module_path)
    return None


_real_import = builtins.__import__


def _import(name, globals=None, locals=None, fromlist=(), level=0):
    """builtins.__import__ that gives code of NumPy's test modules views of NumPy's modules."""
    module = _real_import(name, globals, locals, fromlist, level)
    if globals and level == 0 and (name == "numpy" or name.startswith("numpy.")):
        file = globals.get("__file__")
        if file and os.path.dirname(os.path.abspath(file)) == TESTS_DIR:
            return _view(module)
    return module


# --- the list of known failures -------------------------------------------------------------------


@dataclass
class Entry:
    pattern: str  # a test id relative to numpy/_core/tests, '*' matching any characters
    category: str
    reason: str
    line: int
    regex: re.Pattern | None = None
    matched: int = 0


def read_known_failures(path: str = KNOWN_FAILURES) -> list[Entry]:
    """The entries of known_failures.txt: '## category: reason' heads a group of test ids."""
    entries, category, reason = [], None, None
    with open(path, encoding="utf-8") as file:
        for number, raw in enumerate(file, 1):
            line = raw.strip()
            if line.startswith("## "):
                category, _, reason = line[3:].partition(":")
                category, reason = category.strip(), reason.strip()
                if category not in CATEGORIES or not reason:
                    raise ValueError(f"{path}:{number}: expected '## <{'|'.join(CATEGORIES)}>: <reason>'")
                continue
            if not line or line.startswith("#"):
                continue
            if category is None:
                raise ValueError(f"{path}:{number}: a test id before the first '## category: reason' line")
            regex = re.compile(".*".join(map(re.escape, line.split("*")))) if "*" in line else None
            entries.append(Entry(line, category, reason, number, regex))
    return entries


def _find(entries: list[Entry], exact: dict[str, Entry], test_id: str) -> Entry | None:
    entry = exact.get(test_id)
    if entry is None:
        entry = next((e for e in entries if e.regex is not None and e.regex.fullmatch(test_id)), None)
    return entry


# --- pytest hooks ---------------------------------------------------------------------------------


def pytest_addoption(parser):
    group = parser.getgroup("ironkernel", "NumPy's ufunc tests against ironkernel kernels")
    group.addoption(
        "--ik-sample",
        type=int,
        default=0,
        metavar="N",
        help="run a fixed subset of N tests (chosen by a hash of their ids)",
    )
    group.addoption(
        "--ik-known-failures",
        default=KNOWN_FAILURES,
        metavar="PATH",
        help="the list of known failures (default: known_failures.txt beside the plugin)",
    )
    group.addoption(
        "--ik-no-known-failures",
        action="store_true",
        help="do not mark the listed tests as expected failures (to re-classify them)",
    )


def pytest_configure(config):
    KERNELS.update(_kernels())
    builtins.__import__ = _import
    config._ik_entries = (
        []
        if config.getoption("ik_no_known_failures")
        else read_known_failures(config.getoption("ik_known_failures"))
    )


def pytest_unconfigure(config):
    builtins.__import__ = _real_import


def test_id(item) -> str:
    """The id of a test relative to numpy/_core/tests: 'test_umath.py::TestX::test_y[param]'."""
    path = os.path.relpath(str(item.path), TESTS_DIR)
    return "::".join([path.replace(os.sep, "/"), *item.nodeid.split("::")[1:]])


def pytest_collection_modifyitems(session, config, items):
    sample = config.getoption("ik_sample")
    if sample and sample < len(items):
        keep = set(sorted(items, key=lambda item: hashlib.sha1(test_id(item).encode()).digest())[:sample])
        config.hook.pytest_deselected(items=[item for item in items if item not in keep])
        items[:] = [item for item in items if item in keep]
    entries = config._ik_entries
    exact = {e.pattern: e for e in entries if e.regex is None}
    for item in items:
        entry = _find(entries, exact, test_id(item))
        if entry is not None:
            entry.matched += 1
            item.add_marker(pytest.mark.xfail(strict=True, reason=f"[{entry.category}] {entry.reason}"))
            item.user_properties.append(("ik_category", entry.category))


def pytest_runtest_logreport(report):
    if not (report.when == "call" or (report.when == "setup" and not report.passed)):
        return
    category = dict(report.user_properties).get("ik_category")
    if hasattr(report, "wasxfail") and report.skipped:
        OUTCOMES[f"xfailed {category}" if category else "xfailed by NumPy"] += 1
    elif report.skipped:
        OUTCOMES["skipped"] += 1
    elif report.passed:
        OUTCOMES["passed"] += 1
    else:
        OUTCOMES[f"passed but listed as {category}" if category else "failed (new)"] += 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    outcomes = OUTCOMES
    write = terminalreporter.write_line
    terminalreporter.section("ironkernel kernels under NumPy's tests")
    write(f"{sum(outcomes.values())} tests: " + ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items())))
    sample = config.getoption("ik_sample")
    files = {os.path.basename(str(path)) for path in config.args}
    stale = [e for e in config._ik_entries if not e.matched and e.pattern.split("::")[0] in files]
    if stale and not sample and not config.getoption("keyword") and not config.getoption("markexpr"):
        write(f"{len(stale)} entries of the known failures match no test (stale?):")
        for e in stale:
            write(f"  line {e.line}: {e.pattern}")
