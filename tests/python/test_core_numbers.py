"""The numbers Python and the C++ core must agree on come from the core (_core), and the package
refuses an extension built as another version."""

import re
from pathlib import Path

import numpy as np
import pytest

import ironkernel as ik
from ironkernel import _api, _core, _gufunc, _ir, _loops, _version

ROOT = Path(__file__).resolve().parents[2]


def test_dtype_codes_are_the_cores():
    assert {dtype.name: code for dtype, code in _ir.DTYPE_CODES.items()} == {
        np.dtype(getattr(np, name)).name: code for name, code in _core.dtype_codes.items()
    }
    # every dtype the core knows, each code once
    assert len(set(_ir.DTYPE_CODES.values())) == len(_ir.DTYPE_CODES) == 14


def test_ir_magic_and_version_are_the_cores():
    assert _ir.IR_MAGIC == _core.ir_magic == b"IKIR"
    assert _ir.IR_VERSION == _core.ir_version == _core.ir_format_version()


def test_gufunc_plan_numbers_are_the_cores():
    assert {f"reduce_{k}": v for k, v in _core.reductions.items()} == _gufunc._REDUCE_KINDS
    assert (_core.stage_input_kinds["vector_input"], _core.stage_input_kinds["table"]) == (
        _gufunc._VECTOR_INPUT,
        _gufunc._TABLE_INPUT,
    )
    assert tuple(_core.stage_output_kinds[k] for k in ("reduce_into_table", "table", "vector_output")) == (
        _gufunc._REDUCE_INTO_TABLE,
        _gufunc._TABLE_OUTPUT,
        _gufunc._VECTOR_OUTPUT,
    )


def test_call_key_codes_are_the_cores():
    codes = _core.call_key_codes
    assert {
        codes["weak_int"]: int,
        codes["weak_float"]: float,
        codes["weak_complex"]: complex,
    } == _loops._WEAK_KINDS
    assert (codes["no_operand"], codes["not_fixed"]) == (_loops._NO_OPERAND, _loops.NOT_FIXED)
    # ik.explain builds keys as NumPy's resolver does: a Python float beside an array is weak
    assert _api._argument_code(float, 2) == codes["weak_float"]
    assert _api._argument_code(np.float32, 2) == np.dtype(np.float32).num


def test_no_python_module_spells_the_cores_numbers_by_hand():
    # The tables above must stay derived: no literal table of dtype codes or reduction numbers.
    for path in (ROOT / "src" / "ironkernel").glob("*.py"):
        text = path.read_text()
        assert not re.search(r"np\.dtype\(np\.\w+\):\s*\d", text), path.name
        assert not re.search(r'"reduce_\w+":\s*\d', text), path.name


def test_the_extension_is_the_packages_version():
    assert _core.version == ik.__version__


def test_an_extension_of_another_version_is_refused_with_what_to_do():
    _version.check_extension(ik.__version__)  # the same: accepted
    with pytest.raises(ImportError, match=r"extension is version 0\.0\.1.*Reinstall"):
        _version.check_extension("0.0.1")


def test_build_files_give_one_version():
    meson = re.search(r"version:\s*'([^']+)'", (ROOT / "meson.build").read_text()).group(1)
    pyproject = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M).group(1)
    assert meson == pyproject == ik.__version__
