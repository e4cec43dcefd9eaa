"""Judging one answer against the reference: tolerance, types, shapes, exact hand values."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from autograder.maths.misconceptions import INPUT_MODIFIED, INTEGER_RESULT
from autograder.verify.challenges import Case, generate
from autograder.verify.judging import judge_hand_value, judge_record
from autograder.verify.tasks import function_task, hand_value_task
from autograder.verify.wire import Raised, Returned, Skipped, TimedOut

X = np.array([[1, 2, 0], [0, -1, 3], [2, 2, 1], [1, 0, 1]])  # 4x3, int
F = np.array([[1, -1], [2, 0]])
O = np.array([[-1.0, 0.0], [5.0, 0.0], [2.0, 1.0]])  # worked out by hand
CASE = Case("X 4x3 int, F 2x2 int", (X, F))


CONV2D_FORWARD = function_task("conv2d_forward")
OUTPUT_SHAPE = function_task("conv2d_output_shape")


def _returned(value, modified=False):
    return Returned(value, modified)


def test_right_values_pass_within_round_off():
    assert judge_record(CONV2D_FORWARD, CASE, _returned(O)).passed
    assert judge_record(CONV2D_FORWARD, CASE, _returned(O * (1 + 1e-9))).passed
    assert not judge_record(CONV2D_FORWARD, CASE, _returned(O + 1e-5)).passed


def test_contract_functions_must_return_floats_helpers_need_not():
    verdict = judge_record(CONV2D_FORWARD, CASE, _returned(O.astype(np.int64)))
    assert (verdict.passed, verdict.misconception) == (False, INTEGER_RESULT.key)
    rotated = Case("F 2x2 int", (F,))
    assert judge_record(function_task("rot180"), rotated, _returned(F[::-1, ::-1])).passed


def test_a_wrong_answer_is_named_or_located_never_given_away():
    answer = O.copy()
    answer[0, 0] = 0.0
    wrong = judge_record(CONV2D_FORWARD, CASE, _returned(answer))
    assert (
        wrong.message == "entry [0, 0] is wrong (off by 100% of its size); 1 of 6 entries are wrong"
    )
    assert "-1" not in wrong.message
    named = judge_record(CONV2D_FORWARD, CASE, _returned(O.T.copy()))
    assert named.misconception == "output_transposed"


def test_shape_type_and_contract_breaches_have_reasons():
    wrong_shape = judge_record(CONV2D_FORWARD, CASE, _returned(np.zeros((1, 1))))
    assert "returned shape (1, 1)" in wrong_shape.message and "(3, 2)" in wrong_shape.message
    listed = judge_record(CONV2D_FORWARD, CASE, _returned(O.tolist()))
    assert "returned a list" in listed.message
    modified = judge_record(CONV2D_FORWARD, CASE, _returned(O, modified=True))
    assert modified.misconception == INPUT_MODIFIED.key
    raised = judge_record(CONV2D_FORWARD, CASE, Raised("KeyError: 3"))
    assert raised.message == "raised KeyError: 3"
    slow = judge_record(CONV2D_FORWARD, CASE, TimedOut(2.0))
    assert "did not finish within 2 s" in slow.message


@pytest.mark.parametrize(
    ("answer", "passed"),
    [((3, 2), True), ([3, 2], True), (np.array([3, 2]), True), ((3.0, 2.0), True)],
)
def test_output_shape_accepts_any_pair_of_whole_numbers(answer, passed):
    case = Case("input 4x3, filter 2x2", ((4, 3), (2, 2)))
    assert judge_record(OUTPUT_SHAPE, case, _returned(answer)).passed is passed


@pytest.mark.parametrize("answer", [(float("nan"), 2), (3, float("inf")), (3, 2, 1), "3x2"])
def test_output_shape_rejects_everything_else_without_crashing(answer):
    case = Case("input 4x3, filter 2x2", ((4, 3), (2, 2)))
    assert not judge_record(OUTPUT_SHAPE, case, _returned(answer)).passed


def test_training_step_needs_the_new_filter_and_the_loss():
    case = Case("X 4x3 int, F 2x2 int", (X, F, 1.0, 0.1))
    Z = 7 / 6  # the mean of O
    dF = np.array([[6.0, 7.0], [4.0, 6.0]]) * (Z - 1.0) / 6  # X's 3x2 window sums * dO
    new_F, loss = F - 0.1 * dF, (Z - 1.0) ** 2 / 2
    assert judge_record(function_task("training_step"), case, _returned([new_F, loss])).passed
    assert not judge_record(
        function_task("training_step"), case, _returned((new_F, loss + 1))
    ).passed
    assert not judge_record(function_task("training_step"), case, _returned(new_F)).passed


@pytest.mark.parametrize(
    ("value", "passed"),
    [
        (10, True),
        (10.0, True),
        (Fraction(10), True),
        (np.array(10), True),
        ("10", False),
        (10.5, False),
        ([10], False),
    ],
)
def test_hand_values_are_exact(value, passed):
    assert judge_hand_value(hand_value_task("Z_by_hand"), _returned(value)).passed is passed


def test_hand_value_mistakes_are_named():
    assert (
        judge_hand_value(hand_value_task("Z_by_hand"), _returned(40)).misconception
        == "sum_instead_of_mean"
    )
    verdict = judge_hand_value(
        hand_value_task("dO_by_hand"), _returned([[0.25, 0.25], [0.25, 0.5]])
    )
    assert verdict.message.startswith("entry [1, 1] is not right")


def test_a_skipped_case_fails_and_says_why():
    verdict = judge_record(CONV2D_FORWARD, CASE, Skipped())
    assert (verdict.passed, verdict.message) == (
        False,
        "not run, because an earlier case timed out",
    )


def test_a_hand_value_record_that_is_not_a_value_fails_without_crashing():
    # probe_value only sends "returned"; a forged "raised" record is no value at all.
    verdict = judge_hand_value(hand_value_task("Z_by_hand"), Raised("ValueError: no"))
    assert (verdict.passed, verdict.message) == (False, "no value arrived")


@pytest.mark.parametrize(
    "form",
    [tuple, list, np.array, lambda pair: np.array(pair, dtype=float)],
    ids=["tuple", "list", "int_array", "float_array"],
)
def test_a_forgotten_plus_one_is_named_in_every_form_the_judge_accepts(form):
    # np.array(input_shape) - np.array(filter_shape) is natural numpy code, and the
    # judge accepts (Ho, Wo) as such an array: the diagnosis must see it as a pair too.
    for case in generate(OUTPUT_SHAPE, np.random.default_rng(7)):
        (H, W), (kh, kw) = case.args
        verdict = judge_record(OUTPUT_SHAPE, case, _returned(form((H - kh, W - kw))))
        assert (verdict.passed, verdict.misconception) == (False, "forgot_plus_one"), case.label
        assert verdict.message.startswith("You forgot the +1")
        right = judge_record(OUTPUT_SHAPE, case, _returned(form((H - kh + 1, W - kw + 1))))
        assert right.passed, case.label
