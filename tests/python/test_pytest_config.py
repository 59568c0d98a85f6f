"""The suite runs strictly (pyproject.toml): ironkernel's own warnings are errors, NumPy's are not."""

import warnings

import numpy as np
import pytest


@pytest.mark.parametrize("category", [UserWarning, DeprecationWarning, FutureWarning])
def test_a_warning_of_ironkernel_fails_the_test(category):
    with pytest.raises(category):
        warnings.warn_explicit("from ironkernel", category, "_api.py", 1, module="ironkernel._api")


def test_numpys_floating_point_warnings_stay_warnings():
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        np.divide(np.ones(2), 0.0)
    with warnings.catch_warnings(record=True) as caught:  # the filters in force, those of pyproject.toml
        warnings.warn_explicit("overflow", RuntimeWarning, "testing.py", 1, module="ironkernel.testing")
    assert [w.category for w in caught] == [RuntimeWarning]
