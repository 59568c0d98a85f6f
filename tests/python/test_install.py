import os

import numpy as np
import pytest

import ironkernel


def test_core_imports_from_the_installed_package():
    # The source tree has no compiled _core; the tests must run against the installed package.
    core = ironkernel._core.__file__
    assert os.path.basename(os.path.dirname(core)) == "ironkernel"
    assert "site-packages" in core or "dist-packages" in core, core


def test_public_names():
    for name in (
        "ufunc",
        "explain",
        "set_num_threads",
        "get_num_threads",
        "supported_functions",
        "TracingError",
        "show_config",
    ):
        assert hasattr(ironkernel, name)


def test_show_config_prints_every_section(capsys):
    assert ironkernel.show_config() is None
    printed = capsys.readouterr().out
    for section in ("ironkernel:", "numpy:", "python:", "machine:", "runtime:", "build:", "environment:"):
        assert section in printed
    assert f"kernel_isa: {ironkernel._core.kernel_isa()}" in printed
    assert f"math_table: {ironkernel._core.simd_isa()}" in printed


def test_show_config_dicts_say_what_runs_and_what_was_built():
    config = ironkernel.show_config(mode="dicts")
    assert config["ironkernel"]["version"] == ironkernel.__version__
    assert config["numpy"]["version"] == np.__version__
    runtime, build = config["runtime"], config["build"]
    assert runtime["threads"] == ironkernel.get_num_threads()
    # What runs was compiled: the CPU chooses among the sets the build has.
    assert runtime["kernel_isa"] in build["kernel_isas"]
    assert runtime["math_table"] in build["math_tables"]
    assert build["kernel_isas"][0] == "baseline" and build["math_tables"][0] == "scalar"
    if build["portable"]:
        assert build["kernel_isas"] == ["baseline"] and build["math_tables"] == ["scalar"]


def test_show_config_lists_the_ik_environment(monkeypatch):
    monkeypatch.setenv("IK_SHOW_CONFIG_TEST", "1")
    monkeypatch.delenv("IK_SIMD", raising=False)
    environment = ironkernel.show_config(mode="dicts")["environment"]
    assert environment["IK_SHOW_CONFIG_TEST"] == "1"
    assert "IK_SIMD" not in environment


def test_show_config_rejects_an_unknown_mode():
    with pytest.raises(ValueError, match="stdout"):
        ironkernel.show_config(mode="json")
