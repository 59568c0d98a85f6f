"""docs/functions.md is generated from the code; this fails when it is out of date."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_function_table_is_current():
    import numpy as np
    import pytest

    if np.lib.NumpyVersion(np.__version__) < "2.0.0":
        pytest.skip("the table is generated against NumPy 2 (1.x lacks aliases such as np.acos)")
    spec = importlib.util.spec_from_file_location("function_table", ROOT / "tools" / "function_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    current = (ROOT / "docs" / "functions.md").read_text()
    assert current == module.table(), "run: python tools/function_table.py"


def test_every_listed_function_traces():
    import numpy as np

    import ironkernel as ik

    for name in ik.supported_functions():
        assert hasattr(np, name), name
