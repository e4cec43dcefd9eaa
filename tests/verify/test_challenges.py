"""The challenge inputs: every typical mistake fails the cases it should, in every run.

Each catalogued mistake is run on the drawn challenges of many grading runs and judged
as the verifier judges it. The table below lists every case a mistake passes, with the
reason no draw of that case's class can catch it; everywhere else it must fail, and be
named as itself or as the one earlier entry that gives the very same answer there.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.maths import reference
from autograder.verify.challenges import generate
from autograder.verify.judging import judge_record
from autograder.verify.tasks import FUNCTION_TASKS, function_task
from autograder.verify.wire import Raised, Returned

RUNS = range(25)

# (task, case label) -> the mistakes that pass it.
LEGIT_PASSES = {
    # The filter is as large as the input, so O is 1x1: transposing changes nothing.
    ("conv2d_forward", "X 4x5 float, F 4x5 float"): {"output_transposed"},
    # On a one-row (one-column) map, dividing by its length is dividing by H*W.
    ("gap_forward", "O 1x7 int"): {"divided_by_width_only"},
    ("gap_forward", "O 6x1 float"): {"divided_by_height_only"},
    ("gap_backward", "dZ int, shape 1x7"): {"divided_by_width_only"},
    ("gap_backward", "dZ float, shape 6x1"): {"divided_by_height_only"},
    # A 1x1 dO: the 'full' correlation with it is the 'valid' one.
    ("conv2d_backward_filter", "X 4x5 float, dO 1x1 float"): {"used_full_correlation"},
    # A one-row filter has no rows to flip (a one-column filter no columns).
    ("conv2d_backward_input", "dO 1x7 float, F 1x3 int"): {"flipped_columns_only"},
    ("conv2d_backward_input", "dO 6x1 quarters, F 3x1 int"): {"flipped_rows_only"},
    ("rot180", "F 1x4 int"): {"flipped_columns_only"},
    ("rot180", "F 5x1 float"): {"flipped_rows_only"},
    # One number pads rows and columns alike.
    ("pad2d", "A 3x3 int, pad 1"): {"pad_amounts_swapped"},
    # Both arrays zero: every error is 0, however it is averaged or scaled.
    ("relative_error", "A, B 2x2, both zero"): {"absolute_error", "mean_instead_of_max"},
    # The filter is as large as the input, so O is 1x1 and H*W = 1.
    ("training_step", "X 6x6 int, F 6x6 int, lr 0.001"): {"forgot_gap_backward"},
}

# (task, case label, mistake) -> the earlier entry it is named as, because the two give
# the same answer on every draw of that class.
NAMED_AS = {
    ("gap_forward", "O 2x2 int", "divided_by_width_only"): "divided_by_height_only",
    ("gap_forward", "O 12x12 int", "divided_by_width_only"): "divided_by_height_only",
    ("gap_forward", "O 1x7 int", "divided_by_height_only"): "sum_instead_of_mean",
    ("gap_forward", "O 6x1 float", "divided_by_width_only"): "sum_instead_of_mean",
    ("gap_backward", "dZ int, shape 2x2", "divided_by_width_only"): "divided_by_height_only",
    ("gap_backward", "dZ int, shape 12x12", "divided_by_width_only"): "divided_by_height_only",
    ("gap_backward", "dZ int, shape 1x7", "divided_by_height_only"): "forgot_one_over_hw",
    ("gap_backward", "dZ float, shape 6x1", "divided_by_width_only"): "forgot_one_over_hw",
    ("conv2d_backward_input", "dO 1x7 float, F 1x3 int", "flipped_rows_only"): (
        "filter_not_rotated"
    ),
    ("conv2d_backward_input", "dO 6x1 quarters, F 3x1 int", "flipped_columns_only"): (
        "filter_not_rotated"
    ),
    ("rot180", "F 5x1 float", "rotated_90"): "transposed",
}


def _record(mistake, args):
    """What the probe records for the mistaken function (some raise on some shapes)."""
    try:
        value = mistake(*args)
    except ValueError as error:
        return Raised(f"ValueError: {error}")
    return Returned(value, False)


@pytest.mark.parametrize("name", FUNCTION_TASKS)
def test_each_mistake_fails_every_case_but_the_listed_ones_in_every_run(name):
    task = function_task(name)
    labels = {case.label for case in generate(task, np.random.default_rng(0))}
    assert {label for t, label in LEGIT_PASSES if t == name} <= labels
    assert {label for t, label, _ in NAMED_AS if t == name} <= labels
    # Checked in every run, so the same mistaken submission gets the same score in each.
    for run in RUNS:
        for case in generate(task, np.random.default_rng(run)):
            for mistake in task.misconceptions:
                record = _record(mistake.wrong, case.args)
                verdict = judge_record(task, case, record)
                allowed = LEGIT_PASSES.get((name, case.label), set())
                assert verdict.passed is (mistake.key in allowed), (run, case.label, mistake.key)
                if isinstance(record, Returned) and not verdict.passed:
                    named = NAMED_AS.get((name, case.label, mistake.key), mistake.key)
                    assert verdict.misconception == named, (run, case.label, mistake.key)


def test_symmetric_filters_are_drawn_again():
    # A 2x2 integer filter is symmetric under a transpose or a half turn about one time
    # in six; such a draw could not tell those mistakes from the right answer.
    for run in range(300):
        _, F = generate(function_task("conv2d_forward"), np.random.default_rng(run))[0].args
        assert not np.array_equal(F, F.T) and not np.array_equal(F, reference.rot180(F))


def test_an_integer_map_whose_sum_divides_evenly_is_drawn_again():
    # Otherwise integer division (//) would give the mean exactly, in some runs only.
    for run in range(300):
        (O,) = generate(function_task("gap_forward"), np.random.default_rng(run))[0].args
        assert O.sum() % O.size != 0
