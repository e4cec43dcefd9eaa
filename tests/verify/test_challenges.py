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
    # Both claims right: both errors are 0, in either order.
    (
        "gradient_check",
        "X 3x4, F 2x3, dO 2x2, all positive int; claims: dF right, dX right",
    ): {"errors_swapped"},
}

# Notebook 7's classes draw their shapes fresh, so their labels change from run to run:
# (task, class index) -> the mistakes that pass it. The classes are listed in
# autograder/verify/challenges.py.
LEGIT_PASSES_BY_CLASS = {
    # Stride 2, padding 1, and the stride does not divide H + 2 - kh: (H + 1 - kh) // 2
    # is (H + 2 - kh) // 2, so padding once counts the same windows (class 0 has K == C).
    ("conv_layer_output_shape", 0): {"padded_once", "channels_instead_of_filters"},
    ("conv_layer_output_shape", 6): {"padded_once"},
    # Stride 1, no padding, and K != C: only the channels and the +1 can go wrong.
    ("conv_layer_output_shape", 1): {
        "padded_once",
        "padding_ignored",
        "rounded_up",
        "stride_ignored",
        "true_division",
    },
    # No padding, the stride divides, and K == C.
    ("conv_layer_output_shape", 3): {
        "channels_instead_of_filters",
        "padded_once",
        "padding_ignored",
        "rounded_up",
        "true_division",
    },
    # N = C = K = 1 and stride 1 (the stride divides everything).
    ("conv_layer_output_shape", 4): {
        "channels_instead_of_filters",
        "rounded_up",
        "stride_ignored",
        "true_division",
    },
    # Stride 2 divides H + 4 - kh: nothing to round.
    ("conv_layer_output_shape", 5): {"rounded_up", "true_division"},
    # Stride 1, no padding.
    ("conv_layer_forward", 1): {"padded_one_side", "padding_ignored", "stride_ignored"},
    # No padding.
    ("conv_layer_forward", 3): {"padded_one_side", "padding_ignored"},
    # N = C = K = 1, stride 1: one channel, nothing to mix or to add C times.
    ("conv_layer_forward", 4): {
        "bias_added_per_channel",
        "channels_mixed_up",
        "first_channel_only",
        "stride_ignored",
    },
    # One input channel.
    ("conv_layer_forward", 6): {"bias_added_per_channel", "first_channel_only"},
    # One example, stride 1, no padding.
    ("conv_layer_backward", 1): {
        "db_first_example_only",
        "padding_not_removed",
        "padding_removed_from_one_side",
        "stride_ignored",
    },
    # No padding.
    ("conv_layer_backward", 3): {"padding_not_removed", "padding_removed_from_one_side"},
    # N = C = K = 1, stride 1.
    ("conv_layer_backward", 4): {
        "dF_channels_swapped",
        "dX_channels_mixed_up",
        "db_first_example_only",
        "stride_ignored",
    },
    # One example.
    ("conv_layer_backward", 5): {"db_first_example_only"},
    # Stride 1 (overlapping 2x2 windows).
    ("max_pool_forward", 0): {"stride_ignored"},
    ("max_pool_forward", 5): {"stride_ignored"},
    # One channel.
    ("max_pool_forward", 1): {"channels_mixed_up"},
    ("max_pool_forward", 4): {"channels_mixed_up"},
    ("max_pool_forward", 6): {"channels_mixed_up"},
    # 2x2 windows with stride 2: the window's size is the stride.
    ("max_pool_forward", 3): {"window_size_as_stride"},
    # Stride 1.
    ("max_pool_backward", 0): {"stride_ignored"},
    # Floats: no ties.
    ("max_pool_backward", 1): {"gradient_to_all_ties", "last_of_ties", "ties_column_major"},
    # Floats and stride 1.
    ("max_pool_backward", 5): {
        "gradient_to_all_ties",
        "last_of_ties",
        "stride_ignored",
        "ties_column_major",
    },
    # Windows that do not overlap (stride 3 for 2x3, stride 2 for 2x2 and 2x1).
    ("max_pool_backward", 2): {"overlaps_overwritten"},
    ("max_pool_backward", 3): {"overlaps_overwritten"},
    # 2x1 windows that do not overlap: a one-column window reads the same both ways.
    ("max_pool_backward", 6): {"overlaps_overwritten", "ties_column_major"},
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
# (task, class index, mistake) -> the earlier entry it is named as, for notebook 7's
# classes. Stride 2 with padding 1, or stride 3 with padding 2 and a stride that does not
# divide: (H + 2*pad - kh) // stride is (H - kh) // stride + 1, so forgetting the +1 is
# ignoring the padding; stride 2 with padding 2: forgetting the +1 is padding once.
NAMED_AS_BY_CLASS = {
    ("conv_layer_output_shape", 0, "forgot_plus_one"): "padding_ignored",
    ("conv_layer_output_shape", 2, "forgot_plus_one"): "padding_ignored",
    ("conv_layer_output_shape", 5, "forgot_plus_one"): "padded_once",
    ("conv_layer_output_shape", 6, "forgot_plus_one"): "padding_ignored",
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
        for index, case in enumerate(generate(task, np.random.default_rng(run))):
            for mistake in task.misconceptions:
                record = _record(mistake.wrong, case.args)
                verdict = judge_record(task, case, record)
                allowed = LEGIT_PASSES.get((name, case.label), set())
                allowed = allowed | LEGIT_PASSES_BY_CLASS.get((task.restates or name, index), set())
                assert verdict.passed is (mistake.key in allowed), (run, case.label, mistake.key)
                if isinstance(record, Returned) and not verdict.passed:
                    named = NAMED_AS.get((name, case.label, mistake.key)) or NAMED_AS_BY_CLASS.get(
                        (task.restates or name, index, mistake.key), mistake.key
                    )
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


# ------------------------------------------------------------------ gradient_check


def _gradient_check_by_central_differences(backward_filter, backward_input, X, F, dO):
    """A right gradient_check as notebook 5 asks for it: its errors carry the rounding
    of central differences, where the reference's come from exact gradients."""

    def loss(X_, F_):
        return float(np.sum(reference.conv2d_forward(X_, F_) * dO))

    numeric_dF = reference.numerical_gradient(lambda F_: loss(X, F_), F)
    numeric_dX = reference.numerical_gradient(lambda X_: loss(X_, F), X)
    return (
        reference.relative_error(backward_filter(X, dO), numeric_dF),
        reference.relative_error(backward_input(dO, F), numeric_dX),
    )


def _thresholded(backward_filter, backward_input, X, F, dO):
    """A gradient check that answers 'right or wrong' instead of how far off."""
    errors = _gradient_check_by_central_differences(backward_filter, backward_input, X, F, dO)
    return tuple(float(error > 1e-6) for error in errors)


def test_a_gradient_check_by_central_differences_passes_every_case_of_every_run():
    task = function_task("gradient_check")
    for run in RUNS:
        for case in generate(task, np.random.default_rng(run)):
            answer = _gradient_check_by_central_differences(*case.args)
            assert judge_record(task, case, Returned(answer, False)).passed, (run, case.label)


def test_a_gradient_check_that_returns_verdicts_instead_of_errors_fails_in_every_run():
    task = function_task("gradient_check")
    for run in RUNS:
        graded = 0
        for case in generate(task, np.random.default_rng(run)):
            verdict = judge_record(task, case, Returned(_thresholded(*case.args), False))
            # Right only where every error is 0 or 1 (a claim of the wrong sign somewhere).
            if set(task.reference(*case.args)) <= {0.0, 1.0}:
                continue
            assert not verdict.passed, (run, case.label)
            graded += 1
        assert graded >= 4, run  # the scaled, nearly right and positive-number claims


# ------------------------------------------------------ integer inputs (issue 12)

#: The tasks this rule covers here: the ones added with notebook 5's gradient check and
#: notebook 7. conv_layer_output_shape takes shapes and numbers, integers by nature.
NEW_TASKS = [
    "gradient_check",
    "conv_layer_forward",
    "conv_layer_backward",
    "conv_layer_forward_vectorised",
    "conv_layer_backward_vectorised",
    "max_pool_forward",
    "max_pool_backward",
]


def _arrays(args: tuple) -> list[np.ndarray]:
    """The array arguments of a case, the arrays a stand-in backward function expects
    included (a gradient check passes them on)."""
    found = []
    for arg in args:
        if isinstance(arg, np.ndarray):
            found.append(arg)
        elif hasattr(arg, "expects"):
            found += list(arg.expects)
    return found


@pytest.mark.parametrize("name", NEW_TASKS)
def test_every_new_task_has_a_class_of_integer_arrays_only(name):
    """An integer-only class catches what floats hide: an answer built in an integer
    array (np.zeros_like(X)), or a nudge of h = 1e-5 added to an integer X."""
    cases = generate(function_task(name), np.random.default_rng(0))
    integer_only = [
        case.label
        for case in cases
        if all(array.dtype.kind in "iu" for array in _arrays(case.args))
    ]
    assert integer_only, name


def _nudging_the_input_as_it_comes(backward_filter, backward_input, X, F, dO):
    """Central differences on copies of X and F in their own dtype: right for floats;
    integer arrays cannot take a step of 1e-5."""

    def numerical(f, A, h=1e-5):
        grad = np.zeros(np.shape(A))
        for index in np.ndindex(grad.shape):
            plus, minus = A.copy(), A.copy()
            plus[index] += h
            minus[index] -= h
            grad[index] = (f(plus) - f(minus)) / (2 * h)
        return grad

    numeric_dF = numerical(lambda F_: np.sum(reference.conv2d_forward(X, F_) * dO), F)
    numeric_dX = numerical(lambda X_: np.sum(reference.conv2d_forward(X_, F) * dO), X)
    return (
        reference.relative_error(backward_filter(X, dO), numeric_dF),
        reference.relative_error(backward_input(dO, F), numeric_dX),
    )


def test_the_integer_classes_catch_a_gradient_check_that_nudges_integer_inputs():
    task = function_task("gradient_check")
    for case in generate(task, np.random.default_rng(0)):
        integer = all(array.dtype.kind in "iu" for array in _arrays(case.args))
        try:
            record = Returned(_nudging_the_input_as_it_comes(*case.args), False)
        except TypeError as error:  # numpy refuses to add 1e-5 into an integer array
            record = Raised(f"UFuncTypeError: {error}")
        assert judge_record(task, case, record).passed is not integer, case.label
