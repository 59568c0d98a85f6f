"""_core.make_plan checks the plan _gufunc.py describes: a bad number is a ValueError, never a crash."""

import numpy as np
import pytest

from ironkernel import _core
from ironkernel._ir import DTYPE_CODES, TypedNode, typed_bytes

F8 = np.dtype(np.float64)
VECTOR_INPUT, TABLE_INPUT = 0, 1
REDUCE_INTO_TABLE, TABLE_OUTPUT, VECTOR_OUTPUT = 0, 1, 2
SUM = 0


def sqrt_program():
    return _core.compile(typed_bytes(1, [TypedNode("input", F8, value=0), TypedNode("sqrt", F8, (0,))], [1]))


def spec(**changes):
    """np.sum(np.sqrt(x)) over the core dimension: (n)->(), the sum in row value 0."""
    fields = {
        "nin": 1,
        "nout": 1,
        "input_has_core": [True],
        "output_has_core": [False],
        "table": [DTYPE_CODES[F8]],
        "input_slot": [-1],
        "output_slot": [0],
        "length_slot": -1,
        "stages": [(True, sqrt_program(), [(VECTOR_INPUT, 0)], [(REDUCE_INTO_TABLE, 0, SUM)])],
    }
    fields.update(changes)
    return list(fields.values())


def stage(inputs=((VECTOR_INPUT, 0),), outputs=((REDUCE_INTO_TABLE, 0, SUM),), program="sqrt"):
    return [(True, sqrt_program() if program == "sqrt" else program, list(inputs), list(outputs))]


def test_a_good_plan_is_made_and_describes_its_stage():
    plan = _core.make_plan(*spec())
    [(is_pass, program, sources, targets)] = plan.stages
    assert is_pass and sources == ["gufunc input 0"] and targets == ["sum into row value t0"]
    assert "sqrt" in str(program)


@pytest.mark.parametrize(
    "changes, what",
    [
        ({"nout": 0, "output_has_core": [], "output_slot": []}, "bad operand count"),
        ({"nin": 70, "input_has_core": [True] * 70, "input_slot": [-1] * 70}, "bad operand count"),
        ({"input_has_core": [True, False]}, "not one entry per input"),
        ({"output_slot": []}, "not one entry per output"),
        ({"table": [99]}, "bad dtype in the table"),
        ({"table": [-1]}, "bad dtype in the table"),
        ({"output_slot": [1]}, "an output's slot is not in the table"),
        ({"input_slot": [-2]}, "an input's slot is not in the table"),
        ({"length_slot": 3}, "the length's slot is not in the table"),
        ({"stages": stage(program=None)}, "stage 0: no program"),
        ({"stages": stage(inputs=())}, "stage 0: not one source per program input"),
        (
            {"stages": stage(outputs=((REDUCE_INTO_TABLE, 0, SUM),) * 2)},
            "stage 0: not one target per program output",
        ),
        ({"stages": stage(inputs=((VECTOR_INPUT, 1),))}, "stage 0: no such gufunc input"),
        ({"stages": stage(inputs=((TABLE_INPUT, 5),))}, "stage 0: bad source"),
        ({"stages": stage(inputs=((7, 0),))}, "stage 0: bad source"),
        ({"stages": stage(outputs=((VECTOR_OUTPUT, 1, SUM),))}, "stage 0: no such gufunc output"),
        ({"stages": stage(outputs=((TABLE_OUTPUT, 1, SUM),))}, "stage 0: bad target"),
        ({"stages": stage(outputs=((9, 0, SUM),))}, "stage 0: bad target"),
        ({"stages": stage(outputs=((REDUCE_INTO_TABLE, 0, 9),))}, "stage 0: unknown reduction"),
    ],
)
def test_a_bad_plan_is_a_value_error(changes, what):
    with pytest.raises(ValueError, match=f"invalid gufunc plan: {what}"):
        _core.make_plan(*spec(**changes))
