"""The challenge inputs: every typical mistake fails the cases it should, in every run.

Each catalogued mistake, in each of the ways of writing it the catalogue knows, is run
on the drawn challenges of many grading runs and judged as the verifier judges a probe
call. The table below lists, by case class, every case a mistake passes, with the
reason no draw of that class can catch it; everywhere else it must fail, and be named as
itself or as the one earlier entry that gives the very same answer there, whether it
returned or raised.

The classes themselves: every graded function has one of integer inputs, and every
class draws its shapes and values afresh, so two runs never send the same case.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from autograder.maths import reference
from autograder.verify.challenges import generate
from autograder.verify.judging import judge_call, judge_record
from autograder.verify.tasks import FUNCTION_TASKS, function_task
from autograder.verify.wire import Raised, Returned, encode

RUNS = range(12)

# (task, case class) -> the mistakes that pass it.
_SQUARE_OUTPUT = {"output_square", "output_swapped"}  # a square output is both
_SQUARE_EVERYTHING = _SQUARE_OUTPUT | {"square_filter_assumed", "square_input_assumed"}
LEGIT_PASSES = {
    # A square X with a square F: every "assumed square" slip is harmless.
    ("conv2d_output_shape", "square X, 2x2 F"): {
        "width_first",
        "square_filter_assumed",
        "square_input_assumed",
    },
    ("conv2d_output_shape", "square X, square F"): {
        "width_first",
        "square_filter_assumed",
        "square_input_assumed",
    },
    ("conv2d_output_shape", "square F as tall as X"): {"square_filter_assumed"},
    # The filter is as large as the input, so O is 1x1: transposing changes nothing.
    ("conv2d_output_shape", "F as large as X"): {"width_first"},
    ("conv2d_forward", "F as large as X"): {"output_transposed", *_SQUARE_OUTPUT},
    ("conv2d_forward", "square X, 2x2 F"): _SQUARE_EVERYTHING,
    ("conv2d_forward", "square X, square F"): _SQUARE_EVERYTHING,
    ("conv2d_forward", "square F as tall as X"): {"square_filter_assumed"},
    # On a one-row (one-column) map, dividing by its length is dividing by H*W.
    ("gap_forward", "one row, int"): {"divided_by_width_only"},
    ("gap_forward", "one column, float"): {"divided_by_height_only"},
    ("gap_backward", "one row, int"): {"divided_by_width_only"},
    ("gap_backward", "one column, float"): {"divided_by_height_only"},
    # A 1x1 dO: the 'full' correlation with it is the 'valid' one, and it is square.
    ("conv2d_backward_filter", "F as large as X"): {
        "used_full_correlation",
        "square_gradient_assumed",
    },
    ("conv2d_backward_filter", "square X, 2x2 F"): {
        *_SQUARE_OUTPUT,
        "square_input_assumed",
        "square_gradient_assumed",
    },
    ("conv2d_backward_filter", "square X, square F"): {
        *_SQUARE_OUTPUT,
        "square_input_assumed",
        "square_gradient_assumed",
    },
    ("conv2d_backward_filter", "square F as tall as X"): _SQUARE_OUTPUT,
    # A one-row filter has no rows to flip (a one-column filter no columns).
    ("conv2d_backward_input", "one-row X and F"): {"flipped_columns_only"},
    ("conv2d_backward_input", "one-column X and F"): {"flipped_rows_only"},
    # Padding by 1 is padding by kh-1 = kw-1 for a 2x2 filter.
    ("conv2d_backward_input", "square X, 2x2 F"): {
        *_SQUARE_OUTPUT,
        "square_filter_assumed",
        "padded_by_one",
    },
    ("conv2d_backward_input", "square X, square F"): {*_SQUARE_OUTPUT, "square_filter_assumed"},
    ("conv2d_backward_input", "square F as tall as X"): {"square_filter_assumed"},
    ("rot180", "one row, int"): {"flipped_columns_only"},
    ("rot180", "one column, float"): {"flipped_rows_only"},
    # One number pads rows and columns alike.
    ("pad2d", "square A, one pad"): {"pad_amounts_swapped"},
    # Nudging a float X in place is the right method; only an integer X truncates.
    **{
        ("numerical_gradient", name): {"integer_nudges"}
        for name in ("small square", "wide", "one row", "one column", "square, a given h")
    },
    # Both arrays zero: every error is 0, however it is averaged or scaled.
    ("relative_error", "both zero"): {"absolute_error", "mean_instead_of_max"},
    # The filter is as large as the input, so O is 1x1 and H*W = 1.
    ("training_step", "F as large as X, int"): {"forgot_gap_backward"},
    # Both claims right: both errors are 0, in either order.
    ("gradient_check", "positive int; claims: dF right, dX right"): {"errors_swapped"},
    # Notebook 7's classes (a vectorised function is judged on its loop version's):
    # Stride 2, padding 1, and the stride does not divide H + 2 - kh: (H + 1 - kh) // 2
    # is (H + 2 - kh) // 2, so padding once counts the same windows (class 0 has K == C).
    ("conv_layer_output_shape", "stride 2, pad 1, uneven, C = K"): {
        "padded_once",
        "channels_instead_of_filters",
    },
    ("conv_layer_output_shape", "one channel in, stride 2, pad 1"): {"padded_once"},
    # Stride 1, no padding, and K != C: only the channels and the +1 can go wrong.
    ("conv_layer_output_shape", "stride 1, no padding, one example"): {
        "padded_once",
        "padding_ignored",
        "rounded_up",
        "stride_ignored",
        "true_division",
    },
    # No padding, the stride divides, and K == C.
    ("conv_layer_output_shape", "stride 2, no padding, C = K"): {
        "channels_instead_of_filters",
        "padded_once",
        "padding_ignored",
        "rounded_up",
        "true_division",
    },
    # N = C = K = 1 and stride 1 (the stride divides everything).
    ("conv_layer_output_shape", "one channel, one filter, stride 1"): {
        "channels_instead_of_filters",
        "rounded_up",
        "stride_ignored",
        "true_division",
    },
    # Stride 2 divides H + 4 - kh: nothing to round.
    ("conv_layer_output_shape", "stride 2, pad 2, one filter"): {"rounded_up", "true_division"},
    # Stride 1, no padding.
    ("conv_layer_forward", "stride 1, no padding, one example"): {
        "padded_one_side",
        "padding_ignored",
        "stride_ignored",
    },
    # No padding.
    ("conv_layer_forward", "stride 2, no padding, C = K"): {"padded_one_side", "padding_ignored"},
    # N = C = K = 1, stride 1: one channel, nothing to mix or to add C times.
    ("conv_layer_forward", "one channel, one filter, stride 1"): {
        "bias_added_per_channel",
        "channels_mixed_up",
        "first_channel_only",
        "stride_ignored",
    },
    # One input channel.
    ("conv_layer_forward", "one channel in, stride 2, pad 1"): {
        "bias_added_per_channel",
        "first_channel_only",
    },
    # One example, stride 1, no padding.
    ("conv_layer_backward", "stride 1, no padding, one example"): {
        "db_first_example_only",
        "padding_not_removed",
        "padding_removed_from_one_side",
        "stride_ignored",
    },
    # No padding.
    ("conv_layer_backward", "stride 2, no padding, C = K"): {
        "padding_not_removed",
        "padding_removed_from_one_side",
    },
    # N = C = K = 1, stride 1.
    ("conv_layer_backward", "one channel, one filter, stride 1"): {
        "dF_channels_swapped",
        "dX_channels_mixed_up",
        "db_first_example_only",
        "stride_ignored",
    },
    # One example.
    ("conv_layer_backward", "stride 2, pad 2, one filter"): {"db_first_example_only"},
    # Stride 1 (overlapping 2x2 windows).
    ("max_pool_forward", "overlapping 2x2 windows, ties"): {"stride_ignored"},
    ("max_pool_forward", "1x3 windows, stride 1, floats"): {"stride_ignored"},
    # One channel.
    ("max_pool_forward", "3x2 windows, stride 2, floats"): {"channels_mixed_up"},
    ("max_pool_forward", "3x3 windows, stride 2, ties"): {"channels_mixed_up"},
    ("max_pool_forward", "2x1 windows, stride 2, int"): {"channels_mixed_up"},
    # 2x2 windows with stride 2: the window's size is the stride.
    ("max_pool_forward", "2x2 windows that tile, quarters"): {"window_size_as_stride"},
    # Stride 1.
    ("max_pool_backward", "overlapping 2x2 windows, ties"): {"stride_ignored"},
    # Floats: no ties.
    ("max_pool_backward", "3x2 windows, stride 2, floats"): {
        "gradient_to_all_ties",
        "last_of_ties",
        "ties_column_major",
    },
    # Floats and stride 1.
    ("max_pool_backward", "1x3 windows, stride 1, floats"): {
        "gradient_to_all_ties",
        "last_of_ties",
        "stride_ignored",
        "ties_column_major",
    },
    # Windows that do not overlap (stride 3 for 2x3, stride 2 for 2x2 and 2x1).
    ("max_pool_backward", "2x3 windows, stride 3, ties"): {"overlaps_overwritten"},
    ("max_pool_backward", "2x2 windows that tile, quarters"): {"overlaps_overwritten"},
    # 2x1 windows that do not overlap: a one-column window reads the same both ways.
    ("max_pool_backward", "2x1 windows, stride 2, int"): {
        "overlaps_overwritten",
        "ties_column_major",
    },
}

# (task, case class, mistake) -> the earlier entry it is named as, because the two give
# the same answer (or, for a mistake recognised by its shape, the same shape) on every
# draw of that class.
NAMED_AS = {
    # kw = 1: using kh for both sides gives (H-kh+1, W), which is X's own width.
    ("conv2d_output_shape", "one-row X and F", "square_filter_assumed"): "same_size",
    # A filter as tall as a wide X: H-kh+1 = 1 both ways, a square output.
    ("conv2d_forward", "square F as tall as X", "square_input_assumed"): "output_square",
    ("conv2d_backward_filter", "F as large as X", "square_input_assumed"): "output_square",
    ("gap_forward", "small square, int", "divided_by_width_only"): "divided_by_height_only",
    ("gap_forward", "large square, int", "divided_by_width_only"): "divided_by_height_only",
    ("gap_forward", "one row, int", "divided_by_height_only"): "sum_instead_of_mean",
    ("gap_forward", "one column, float", "divided_by_width_only"): "sum_instead_of_mean",
    ("gap_backward", "small square, int", "divided_by_width_only"): "divided_by_height_only",
    ("gap_backward", "large square, int", "divided_by_width_only"): "divided_by_height_only",
    ("gap_backward", "one row, int", "divided_by_height_only"): "forgot_one_over_hw",
    ("gap_backward", "one column, float", "divided_by_width_only"): "forgot_one_over_hw",
    ("conv2d_backward_input", "one-row X and F", "flipped_rows_only"): "filter_not_rotated",
    # kh = 1: padding by kh-1 both ways pads nothing, a 'valid' correlation.
    ("conv2d_backward_input", "one-row X and F", "square_filter_assumed"): "valid_instead_of_full",
    ("conv2d_backward_input", "one-column X and F", "flipped_columns_only"): ("filter_not_rotated"),
    ("rot180", "one column, float", "rotated_90"): "transposed",
}
# Notebook 7's classes. Stride 2 with padding 1, or stride 3 with padding 2 and a stride
# that does not divide: (H + 2*pad - kh) // stride is (H - kh) // stride + 1, so
# forgetting the +1 is ignoring the padding; stride 2 with padding 2: forgetting the +1
# is padding once.
NAMED_AS |= {
    (
        "conv_layer_output_shape",
        "stride 2, pad 1, uneven, C = K",
        "forgot_plus_one",
    ): "padding_ignored",
    ("conv_layer_output_shape", "stride 3, pad 2, uneven", "forgot_plus_one"): "padding_ignored",
    ("conv_layer_output_shape", "stride 2, pad 2, one filter", "forgot_plus_one"): "padded_once",
    (
        "conv_layer_output_shape",
        "one channel in, stride 2, pad 1",
        "forgot_plus_one",
    ): "padding_ignored",
}


def _record(implementation, args):
    """What the probe records for a mistaken implementation: its value, or its error."""
    try:
        with np.errstate(all="ignore"):
            return Returned(implementation(*args), False)
    except Exception as error:
        return Raised(f"{type(error).__name__}: {error}")


@pytest.mark.parametrize("name", FUNCTION_TASKS)
def test_each_mistake_fails_every_case_but_the_listed_ones_in_every_run(name):
    task = function_task(name)
    classes = {case.case_class for case in generate(task, np.random.default_rng(0))}
    assert {cls for t, cls in LEGIT_PASSES if t == (task.restates or name)} <= classes
    assert {cls for t, cls, _ in NAMED_AS if t == (task.restates or name)} <= classes
    # Checked in every run, so the same mistaken submission gets the same score in each.
    for run in RUNS:
        cases = generate(task, np.random.default_rng(run))
        for mistake in task.misconceptions:
            for variant, implementation in enumerate(mistake.implementations):
                records = [_record(implementation, case.args) for case in cases]
                verdicts = judge_call(task, cases, records)
                for case, record, verdict in zip(cases, records, verdicts, strict=True):
                    where = (run, case.case_class, case.label, mistake.key, variant, record)
                    allowed = LEGIT_PASSES.get((task.restates or name, case.case_class), set())
                    assert verdict.passed is (mistake.key in allowed), where
                    if not verdict.passed:
                        named = NAMED_AS.get(
                            (task.restates or name, case.case_class, mistake.key), mistake.key
                        )
                        # Another way of writing the mistake may give another answer, one
                        # that only the mistake itself explains.
                        names = {named} if variant == 0 else {named, mistake.key}
                        assert verdict.misconception in names, where


def _integer_input(args: tuple) -> bool:
    return any(isinstance(arg, np.ndarray) and arg.dtype.kind in "iu" for arg in args)


def _whole_numbers(args: tuple) -> bool:
    """Arguments that are whole numbers or tuples of them (shapes), with no array."""
    flat = [item for arg in args for item in (arg if isinstance(arg, tuple) else (arg,))]
    return all(isinstance(item, int) and not isinstance(item, bool) for item in flat)


@pytest.mark.parametrize("name", FUNCTION_TASKS)
def test_every_graded_function_has_a_class_of_integer_inputs(name):
    # A float-only answer (np.zeros_like(X), X nudged in place) truncates on integer
    # input: without such a class it would score full marks.
    cases = generate(function_task(name), np.random.default_rng(0))
    assert any(_integer_input(case.args) or _whole_numbers(case.args) for case in cases), [
        case.label for case in cases
    ]


def _sent(case) -> str:
    """A case's arguments as the probe receives them."""
    return json.dumps([encode(arg) for arg in case.args])


@pytest.mark.parametrize("name", FUNCTION_TASKS)
def test_every_class_draws_its_shapes_and_values_afresh(name):
    # A class that sent the same case in every run could be answered from a table. Over
    # twelve runs each class sends at least four different cases, of different shapes
    # (a class of shapes alone, like the output-shape rule's, has fewer to choose from).
    task = function_task(name)
    runs = [generate(task, np.random.default_rng(run)) for run in range(12)]
    for index, case in enumerate(runs[0]):
        sent = {_sent(cases[index]) for cases in runs}
        labels = {cases[index].label for cases in runs}
        assert len(sent) >= 4 and len(labels) > 1, (case.case_class, labels)


def test_symmetric_filters_are_drawn_again():
    # A 2x2 integer filter is symmetric under a transpose or a half turn about one time
    # in six; such a draw could not tell those mistakes from the right answer.
    for run in range(120):
        _, F = generate(function_task("conv2d_forward"), np.random.default_rng(run))[0].args
        assert not np.array_equal(F, F.T) and not np.array_equal(F, reference.rot180(F))


def test_an_integer_map_whose_sum_divides_evenly_is_drawn_again():
    # Otherwise integer division (//) would give the mean exactly, in some runs only.
    for run in range(120):
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
