import os

import ironkernel


def test_core_imports_from_the_installed_package():
    # The source tree has no compiled _core; the tests must run against the installed package.
    core = ironkernel._core.__file__
    assert os.path.basename(os.path.dirname(core)) == "ironkernel"
    assert "site-packages" in core or "dist-packages" in core, core


def test_public_names():
    for name in ("ufunc", "explain", "set_num_threads", "get_num_threads", "supported_functions", "TracingError"):
        assert hasattr(ironkernel, name)
