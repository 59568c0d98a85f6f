"""The layout of the source tree: data flows one way, so no module depends on itself through others.

C++: a module is a header and its source file (csrc/eval/gufunc/gufunc.hpp and .cpp are one); it depends on
every file it includes with ``#include "..."``. Python: a module of src/ironkernel depends on every
module of the package it imports, at the top or inside a function (a function-level import hides a
cycle from Python, not from a reader).
"""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CSRC = ROOT / "csrc"
PACKAGE = ROOT / "src" / "ironkernel"
COMPILED = ("_core", "_build_config")  # package modules made by the build, not .py files here


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def include_graph() -> dict[str, set[str]]:
    """Module (path under csrc/ without extension) -> the modules it includes."""
    graph: dict[str, set[str]] = {}
    for path in CSRC.rglob("*"):
        if path.suffix not in (".hpp", ".cpp", ".inc", ".def", ".h"):
            continue
        module = path.relative_to(CSRC).with_suffix("").as_posix()
        for name in re.findall(r'^\s*#\s*include\s+"([^"]+)"', path.read_text(), re.M):
            # As the compiler looks: next to the file, then in csrc/ (the include directory).
            target = next((base / name for base in (path.parent, CSRC) if (base / name).exists()), None)
            assert target is not None, f"{path.relative_to(ROOT)} includes {name!r}, which is not in csrc/"
            included = target.resolve().relative_to(CSRC).with_suffix("").as_posix()
            if included != module:
                graph.setdefault(module, set()).add(included)
    return graph


def _imported_modules(tree: ast.AST) -> list[str]:
    """The package modules a module's source imports ("__init__" for the package itself). Imports
    under `if TYPE_CHECKING:` are for annotations only and never run: not counted."""
    type_only = {
        id(n)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
        for stmt in block.body
        for n in ast.walk(stmt)
    }
    names = []
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            names.append(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level == 1:  # from . import x, y
            names += [
                a.name if (PACKAGE / f"{a.name}.py").exists() or a.name in COMPILED else "__init__"
                for a in node.names
            ]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            parts = node.module.split(".")
            if parts[0] == "ironkernel":
                names.append(parts[1] if len(parts) > 1 else "__init__")
        elif isinstance(node, ast.Import):
            for a in node.names:
                parts = a.name.split(".")
                if parts[0] == "ironkernel":
                    names.append(parts[1] if len(parts) > 1 else "__init__")
    return names


def import_graph() -> dict[str, set[str]]:
    """Module of src/ironkernel -> the package modules it imports (compiled ones are leaves)."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.glob("*.py"):
        for name in _imported_modules(ast.parse(path.read_text(), str(path))):
            if name != path.stem and name not in COMPILED:
                assert (PACKAGE / f"{name}.py").exists(), (
                    f"{path.name} imports {name!r}, not a module of the package"
                )
                graph.setdefault(path.stem, set()).add(name)
    return graph


def test_the_cycle_finder_finds_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e2"}, "e2": {"e"}}
    assert cycles(graph) == [["a", "b", "c"], ["e", "e2"]]
    assert cycles({"a": {"b"}, "b": {"c"}}) == []


def test_the_graphs_see_the_tree():
    includes, imports = include_graph(), import_graph()
    # A pattern that matched nothing would find no cycle either.
    assert (
        "eval/gufunc/gufunc_plan" in includes["eval/gufunc/gufunc"]
        and "eval/program" in includes["eval/gufunc/gufunc_plan"]
    )
    assert (
        "_registry" in imports["_gufunc"] and "_gufunc" in imports["_api"] and "_api" in imports["__init__"]
    )
    # Imports inside functions count too.
    tree = ast.parse("def f():\n    from ._api import rebuild\n    from . import _core, _ir\n")
    assert _imported_modules(tree) == ["_api", "_core", "_ir"]


def test_no_cpp_include_cycles():
    assert cycles(include_graph()) == [], (
        "modules of csrc/ that depend on each other; move what both need into a header of its own"
    )


def test_no_python_import_cycles():
    assert cycles(import_graph()) == [], (
        "modules of src/ironkernel that import each other; move what both need into a module of its own"
    )


# A file a reader can hold in mind: split by purpose past this (issue 22). Every source file of the
# repository: the library, its tests, the benchmarks (prototypes too), the tools and the docs' scripts.
MAX_LINES = 500
SOURCE_SUFFIXES = (".py", ".cpp", ".hpp", ".h", ".c", ".inc", ".def", ".sh")


def source_files() -> list[Path]:
    """The repository's source files: those git tracks, and new ones it does not ignore."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return [
        ROOT / name
        for name in listed
        if name.endswith(SOURCE_SUFFIXES) or Path(name).name == "meson.build" or name == ".ci/run"
    ]


def test_no_source_file_is_over_500_lines():
    files = [p for p in source_files() if p.exists()]  # (a tracked file deleted but not yet committed)
    # A listing that missed a folder would find no long file there either.
    listed = {p.relative_to(ROOT).as_posix() for p in files}
    for part in (
        "csrc/ir/ops.def",
        "src/ironkernel/_api.py",
        "tests/python/test_operations.py",
        "tests/cpp/test_evaluator.cpp",
        "benchmarks/functions.py",
        "benchmarks/prototypes/jit_xbyak.cpp",
        "benchmarks/prototypes/ufunc_shim.c",
        "tools/lint.sh",
        "docs/conf.py",
        "meson.build",
        ".ci/run",
    ):
        assert part in listed, f"{part} is not among the source files found"
    long = {str(p.relative_to(ROOT)): n for p in files if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"files over {MAX_LINES} lines (split them by purpose): {long}"
