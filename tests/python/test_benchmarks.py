"""The benchmark scripts still run: their tables built on tiny sizes, with no claim on the times."""

import importlib.util
import sys
from pathlib import Path

import pytest

FUNCTIONS = Path(__file__).resolve().parents[2] / "benchmarks" / "functions.py"


@pytest.fixture(scope="module")
def functions():
    if not FUNCTIONS.exists():
        pytest.skip("benchmarks/ is not among a wheel's test sources")
    spec = importlib.util.spec_from_file_location("benchmark_functions", FUNCTIONS)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def table_rows(text):
    return [line for line in text.splitlines() if line.startswith("| `")]


def test_functions_benchmark_builds_every_section(functions, tmp_path):
    out = tmp_path / "functions.md"
    text = functions.main(
        [
            "--sizes",
            "1e2",
            "--functions",
            "np.sin(,np.add(,x + y,x // 7,np.argmax(",
            "--seconds",
            "0.001",
            "--out",
            str(out),
        ]
    )
    assert out.read_text() == text
    rows = table_rows(text)
    for row in [
        "| `np.sin(x)` | float64 | ",
        "| `np.add(x, y)` | int8, int8 | ",
        "| `x + y` | complex128, complex128 | ",
        "| `x // 7` | uint64 | ",
        "| `np.add(x, y), where= 1%` | float32 | ",
        "| `np.argmax(x)` | float64 | ",
    ]:
        assert any(r.startswith(row) for r in rows), row
    assert not any(
        r.startswith(("| `np.cos(", "| `x - y`", "| `x // -7`")) for r in rows
    )  # --functions filters
    assert "n/a: " in text and "loops on float128, complex256, object" in text  # NumPy's dtypes, not ours
    assert " cells below 1.0x (of " in text and "Run time " in text


def test_functions_benchmark_keeps_the_dtypes_asked_for(functions, tmp_path):
    text = functions.main(
        [
            "--sizes",
            "1e2,1e3",
            "--functions",
            "np.add(",
            "--dtypes",
            "int32",
            "--sections",
            "functions",
            "--seconds",
            "0.001",
            "--out",
            str(tmp_path / "functions.md"),
        ]
    )
    assert [r.split(" | ")[1] for r in table_rows(text)] == ["int32, int32"]
    assert "| body | dtypes | 1e2 | 1e3 |" in text


def test_integer_division_benchmark_times_both_sides():
    path = FUNCTIONS.parent / "integer_division.py"
    if not path.exists():
        pytest.skip("benchmarks/ is not among a wheel's test sources")
    spec = importlib.util.spec_from_file_location("benchmark_integer_division", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    lines = module.main(["--sizes", "1e2", "--seconds", "0.001", "--only", "uint8 x // 7,float64 divmod"])
    assert [line.split(" | ")[1:3] for line in lines[2:]] == [
        ["uint8", "`x // 7`"],
        ["float64", "`divmod(x, y)`"],
    ]
