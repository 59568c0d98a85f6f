"""The documentation: the Sphinx site builds without a warning, and every code example in it runs.

Examples are the ```python blocks of every page under docs/ and of README.md, and the
docstring examples of the public API. The blocks of one page run in order in one fresh
namespace; a block must not raise. A ```text block right after a python block is that block's
printed output, and must match it.
"""

import contextlib
import doctest
import io
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import ironkernel as ik

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
NOT_PAGES = ("_build", "_generated", "generated")  # build output and generated stubs

if np.lib.NumpyVersion(np.__version__) < "2.0.0":
    pytest.skip(
        "the documentation describes NumPy 2's behaviour (NEP 50 scalars, reprs)", allow_module_level=True
    )


def pages() -> list[Path]:
    found = [p for p in sorted(DOCS.rglob("*.md")) if not set(p.relative_to(DOCS).parts) & set(NOT_PAGES)]
    return found + [ROOT / "README.md"]


FENCE = re.compile(r"^(`{3,})\s*([^\s`]*)")  # an opening fence, its language, maybe arguments


def fenced_blocks(path: Path) -> list[tuple[str, int, str]]:
    """(language, first line number of the code, code) of every fenced block, in order."""
    blocks, lines = [], path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, language = match.groups()
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == fence), None)
        assert end is not None, f"{path}:{i + 1}: unclosed code block"
        blocks.append((language, i + 2, "\n".join(lines[i + 1 : end]) + "\n"))
        i = end + 1
    return blocks


@pytest.fixture(autouse=True)
def default_threads():
    ik.set_num_threads(0)
    yield
    ik.set_num_threads(0)


@pytest.mark.parametrize("path", pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_code_examples_run(path):
    blocks = fenced_blocks(path)
    namespace = {"__name__": f"docs_{path.stem.replace('-', '_')}"}
    for k, (language, line, code) in enumerate(blocks):
        if language != "python":
            continue
        # Line numbers of tracebacks (and of ironkernel's tracing errors) point into the page.
        compiled = compile("\n" * (line - 1) + code, str(path), "exec")
        printed = io.StringIO()
        with warnings.catch_warnings(), contextlib.redirect_stdout(printed):
            warnings.simplefilter("error", RuntimeWarning)  # no stray floating-point warnings
            exec(compiled, namespace)
        if k + 1 < len(blocks) and blocks[k + 1][0] == "text":
            shown = blocks[k + 1][2]
            # ik.explain's "jit: ..." line depends on the CPU and the build (and holds a time): the
            # pages show the listing without it.
            output = "\n".join(x for x in printed.getvalue().split("\n") if not x.strip().startswith("jit: "))
            assert output.rstrip() == shown.rstrip(), f"{path}:{blocks[k + 1][1]}: output differs"


# (switch_on: csrc/eval/environment.hpp's reader of the on/off switches.)
ENVIRONMENT_READ = re.compile(
    r'(?:getenv|switch_on)\("(IK_[A-Z0-9_]+)"\)|environ(?:\.get\(|\[)"(IK_[A-Z0-9_]+)"'
)


def test_every_environment_variable_read_is_documented():
    sources = [
        *(ROOT / "csrc").rglob("*.[ch]pp"),
        *(ROOT / "csrc").rglob("*.inc"),
        *(ROOT / "src").rglob("*.py"),
    ]
    read = {
        name
        for path in sources
        for pair in ENVIRONMENT_READ.findall(path.read_text())
        for name in pair
        if name
    }
    documented = set(re.findall(r"`(IK_[A-Z0-9_]+)`", (DOCS / "reference" / "environment.md").read_text()))
    assert len(read) >= 6, read  # a broken pattern would find none
    assert read <= documented, f"read but not in docs/reference/environment.md: {sorted(read - documented)}"


def test_no_page_holds_merge_conflict_markers():
    marked = [
        f"{p.relative_to(ROOT)}:{i}"
        for p in pages()
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if line.startswith(("<<<<<<< ", ">>>>>>> "))
    ]
    assert not marked, marked  # a merge left both sides of a conflict in the text (Sphinx shows them as is)


def test_pages_have_examples():
    counts = {p.name: sum(lang == "python" for lang, _, _ in fenced_blocks(p)) for p in pages()}
    assert sum(counts.values()) >= 30, counts  # a broken fence parser would find none


PUBLIC = [
    ik.ufunc,
    ik.gufunc,
    ik.explain,
    ik.set_num_threads,
    ik.get_num_threads,
    ik.threads,
    ik.supported_functions,
    ik.TracingError,
    ik.show_config,
]


@pytest.mark.parametrize("obj", PUBLIC, ids=lambda o: o.__name__)
def test_docstring_examples(obj):
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = doctest.DocTestFinder(recurse=False).find(obj, obj.__name__, globs={})
    assert tests and tests[0].examples, f"{obj.__name__} has no Examples section"
    for test in tests:
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


def test_performance_table_matches_readme():
    """docs/performance_results.md holds the README's Speed table, so the two cannot drift."""

    def table(text: str) -> list[str]:
        return [line.strip() for line in text.splitlines() if line.startswith("|")]

    readme = (ROOT / "README.md").read_text(encoding="utf-8").split("## Speed", 1)[1].split("\n## ", 1)[0]
    assert table((DOCS / "performance_results.md").read_text(encoding="utf-8")) == table(readme)


def test_site_builds_without_warnings(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            str(DOCS),
            str(tmp_path / "html"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0 and "WARNING" not in result.stderr, result.stderr[-5000:]
    for page in (
        "index",
        "getting-started",
        "guide/where",
        "reference/functions",
        "reference/api",
        "performance",
    ):
        assert (tmp_path / "html" / f"{page}.html").exists(), page
    assert (tmp_path / "html" / "_images" / "speedup_float64.png").exists()
