"""Judging one answer against the reference: tolerance, types, shapes, exact hand values."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from autograder.maths.misconceptions import INPUT_MODIFIED, INTEGER_RESULT, RETURNED_NONE
from autograder.verify.challenges import Case, generate
from autograder.verify.judging import judge_call, judge_hand_value, judge_record
from autograder.verify.tasks import function_task, hand_value_task, misconception
from autograder.verify.wire import Raised, Returned, Skipped, TimedOut

X = np.array([[1, 2, 0], [0, -1, 3], [2, 2, 1], [1, 0, 1]])  # 4x3, int
F = np.array([[1, -1], [2, 0]])
O = np.array([[-1.0, 0.0], [5.0, 0.0], [2.0, 1.0]])  # worked out by hand
CASE = Case("X 4x3 int, F 2x2 int", (X, F), "a fixed case")


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
    rotated = Case("F 2x2 int", (F,), "a fixed case")
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
    raised = judge_record(CONV2D_FORWARD, CASE, Raised("KeyError: 3"))
    assert raised.message == "raised KeyError: 3"
    slow = judge_record(CONV2D_FORWARD, CASE, TimedOut(2.0))
    assert "did not finish within 2 s" in slow.message


@pytest.mark.parametrize(
    ("answer", "passed"),
    [((3, 2), True), ([3, 2], True), (np.array([3, 2]), True), ((3.0, 2.0), True)],
)
def test_output_shape_accepts_any_pair_of_whole_numbers(answer, passed):
    case = Case("input 4x3, filter 2x2", ((4, 3), (2, 2)), "a fixed case")
    assert judge_record(OUTPUT_SHAPE, case, _returned(answer)).passed is passed


@pytest.mark.parametrize("answer", [(float("nan"), 2), (3, float("inf")), (3, 2, 1), "3x2"])
def test_output_shape_rejects_everything_else_without_crashing(answer):
    case = Case("input 4x3, filter 2x2", ((4, 3), (2, 2)), "a fixed case")
    assert not judge_record(OUTPUT_SHAPE, case, _returned(answer)).passed


def test_training_step_needs_the_new_filter_and_the_loss():
    case = Case("X 4x3 int, F 2x2 int", (X, F, 1.0, 0.1), "a fixed case")
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


# ----------------------------------------------------------- gradient_check: a pair


GRADIENT_CHECK = function_task("gradient_check")


def _gradient_check_case() -> Case:
    """The right dF claimed, and dX from an unrotated filter (worked out below)."""
    from autograder.verify.wire import ClaimedGradient

    X = np.array([[3, 5, 5, 2], [4, 4, 2, 2], [3, 4, 2, 4]])
    F = np.array([[2, 1, 2], [3, 3, 2]])
    dO = np.array([[1, 3], [1, 3]])
    right_dF = np.array([[34, 30, 19], [31, 20, 22]])
    unrotated_dX = np.array([[2, 9, 12, 9], [4, 16, 17, 15], [2, 7, 5, 6]])
    return Case(
        "X 3x4, F 2x3, dO 2x2",
        (
            ClaimedGradient(right_dF, (X, dO), "backward_filter(X, dO)"),
            ClaimedGradient(unrotated_dX, (dO, F), "backward_input(dO, F)"),
            X,
            F,
            dO,
        ),
        "a fixed case",
    )


# The right dX is [[2, 7, 5, 6], [5, 19, 16, 12], [3, 12, 11, 6]]; the worst entry of the
# unrotated one is [0, 2], 12 for 5: |12 - 5| / (12 + 5).
ERROR_DX = 7 / 17


@pytest.mark.parametrize(
    "form",
    [tuple, list, np.array],
    ids=["tuple", "list", "array"],
)
def test_a_gradient_check_may_return_its_pair_as_a_tuple_list_or_array(form):
    case = _gradient_check_case()
    assert GRADIENT_CHECK.reference(*case.args) == pytest.approx((0.0, ERROR_DX), abs=1e-15)
    # Central differences leave about 1e-10 in each error; 1e-6 is the task's tolerance.
    for answer in [(0.0, ERROR_DX), (3e-10, ERROR_DX - 5e-10), (9e-7, ERROR_DX + 9e-7)]:
        assert judge_record(GRADIENT_CHECK, case, _returned(form(answer))).passed, answer


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ((2e-6, ERROR_DX), "`error_dF`, the first value: the value is wrong"),
        ((0.0, 1.0), "`error_dX`, the second value: the value is wrong"),
        (
            (False, True),
            "`error_dF`, the first value: returned a bool; it should return one number",
        ),
        ((0.0,), "returned a tuple; return (error_dF, error_dX)"),
        (ERROR_DX, "returned a float; return (error_dF, error_dX)"),
        (np.array([[0.0, ERROR_DX]]), "returned an array of dtype float64; return"),
    ],
)
def test_a_gradient_check_that_returns_anything_else_fails_and_says_which_part(answer, message):
    verdict = judge_record(GRADIENT_CHECK, _gradient_check_case(), _returned(answer))
    assert not verdict.passed
    assert verdict.message.startswith(message), verdict.message


def test_a_gradient_check_with_its_errors_swapped_is_named():
    verdict = judge_record(GRADIENT_CHECK, _gradient_check_case(), _returned((ERROR_DX, 0.0)))
    assert (verdict.passed, verdict.misconception) == (False, "errors_swapped")


def test_a_backward_function_called_the_wrong_way_round_is_the_students_error():
    case = _gradient_check_case()
    backward_filter, _, X, _, dO = case.args
    with pytest.raises(ValueError, match=r"call backward_filter\(X, dO\)"):
        backward_filter(dO, X)


# -------------------------------------------------- conv_layer_backward: a triple


def test_the_layers_gradients_are_judged_part_by_part_and_the_part_named():
    backward = function_task("conv_layer_backward")
    (case, *_) = generate(backward, np.random.default_rng(3))
    dX, dF, db = backward.reference(*case.args)
    assert judge_record(backward, case, _returned((dX, dF, db))).passed
    assert judge_record(backward, case, _returned([dX, dF, db])).passed
    wrong_dF = dF.copy()
    wrong_dF[0, 0, 0, 0] += 1.0
    verdict = judge_record(backward, case, _returned((dX, wrong_dF, db)))
    assert verdict.message.startswith("`dF`, the second value: entry [0, 0, 0, 0] is wrong")
    short_db = judge_record(backward, case, _returned((dX, dF, db[:1])))
    assert short_db.message.startswith(
        f"`db`, the third value: returned shape (1,); for these inputs the result has shape "
        f"{db.shape}"
    )
    integer_dX = judge_record(backward, case, _returned((np.round(dX).astype(int), dF, db)))
    assert not integer_dX.passed
    assert judge_record(backward, case, _returned((dX, dF))).message.startswith(
        "returned a tuple; return (dX, dF, db)"
    )
    per_example = judge_record(backward, case, _returned((dX, dF, case.args[0].sum(axis=(2, 3)))))
    assert per_example.misconception == "db_not_summed_over_batch"


# ------------------------------------------------------- hints, general mistakes, parts


def test_an_input_changed_in_place_is_a_hint_that_costs_nothing():
    # The kernel reports the change itself and could have hidden it (design, section 5).
    verdict = judge_record(CONV2D_FORWARD, CASE, _returned(O, modified=True))
    assert (verdict.passed, verdict.hints) == (True, (INPUT_MODIFIED.key,))
    wrong = judge_record(CONV2D_FORWARD, CASE, _returned(O.T.copy(), modified=True))
    assert (wrong.passed, wrong.misconception, wrong.hints) == (
        False,
        "output_transposed",
        (INPUT_MODIFIED.key,),
    )
    assert judge_record(CONV2D_FORWARD, CASE, _returned(O)).hints == ()


def test_a_function_that_returns_none_is_asked_about_its_return():
    verdict = judge_record(CONV2D_FORWARD, CASE, _returned(None))
    assert (verdict.passed, verdict.misconception) == (False, RETURNED_NONE.key)
    assert "did you forget `return`?" in verdict.message


def test_an_integer_array_of_truncated_gradients_is_named():
    # dF computed right, then stored into np.zeros_like(X) with X integer.
    case = Case("X 4x3 int, dO 3x2 quarters", (X, O / 4), "a fixed case")
    task = function_task("conv2d_backward_filter")
    right = task.reference(*case.args)
    verdict = judge_record(task, case, _returned(np.trunc(right).astype(np.int64)))
    assert (verdict.passed, verdict.misconception) == (False, INTEGER_RESULT.key)


def test_the_wrong_part_of_a_tuple_or_shape_is_named_by_its_name_and_place():
    case = Case("X 4x3 int, F 2x2 int", (X, F, 1.0, 0.1), "a fixed case")
    task = function_task("training_step")
    new_F, loss = task.reference(*case.args)
    verdict = judge_record(task, case, _returned((new_F, loss + 1)))
    assert verdict.message.startswith("`loss`, the second value: the value is wrong (off by")
    shape_case = Case("input 4x3, filter 2x2", ((4, 3), (2, 2)), "a fixed case")
    verdict = judge_record(OUTPUT_SHAPE, shape_case, _returned((3, 7)))
    assert verdict.message == "`Wo`, the second value, is wrong"


@pytest.mark.parametrize(
    ("task", "case", "answer"),
    [
        ("gap_forward", Case("O 3x2 float", (O,), "c"), 10**399),
        ("conv2d_output_shape", Case("input 4x3, filter 2x2", ((4, 3), (2, 2)), "c"), (10**399, 2)),
        ("training_step", Case("X 4x3 int", (X, F, 1.0, 0.1), "c"), (F * 1.0, 10**399)),
    ],
    ids=["number", "shape", "tuple"],
)
def test_a_400_digit_integer_is_judged_wrong_without_crashing(task, case, answer):
    verdict = judge_record(function_task(task), case, _returned(answer))
    assert not verdict.passed and verdict.message


def test_a_rounded_hand_value_is_echoed_as_typed_and_called_rounded():
    typed_2_2 = [[2.2, 3.25], [1.75, 0.75]]
    verdict = judge_hand_value(hand_value_task("dF_by_hand"), _returned(typed_2_2))
    assert verdict.message == (
        "entry [0, 0] is not right: you wrote 2.2, which looks rounded; write the exact "
        "value, for example as a Fraction (1 of 4 entries are wrong)"
    )
    wild = judge_hand_value(hand_value_task("Z_by_hand"), _returned(Fraction(7, 3)))
    assert wild.message == "the value is not right: you wrote Fraction(7, 3)"


def _raises_or_returns(implementation, args):
    try:
        return Returned(implementation(*args), False)
    except Exception as error:
        return Raised(f"{type(error).__name__}: {error}")


def test_an_exception_is_named_only_by_the_mistake_that_explains_the_whole_call():
    # A square output, written as students write it: right on square outputs, an
    # IndexError where the output is wider than tall, a square array where it is taller.
    def square_output(X, F):
        (H, W), (kh, kw) = X.shape, F.shape
        O = np.zeros((H - kh + 1, H - kh + 1))
        for a in range(H - kh + 1):
            for b in range(W - kw + 1):
                O[a, b] = np.sum(X[a : a + kh, b : b + kw] * F)
        return O

    cases = generate(CONV2D_FORWARD, np.random.default_rng(3))
    records = [_raises_or_returns(square_output, case.args) for case in cases]
    verdicts = judge_call(CONV2D_FORWARD, cases, records)
    raised = [v for r, v in zip(records, verdicts, strict=True) if isinstance(r, Raised)]
    assert raised, "some challenge has an output wider than tall"
    assert {(v.misconception, v.note) for v in raised} == {("output_square", "raised IndexError")}
    assert raised[0].message == misconception("conv2d_forward", "output_square").message

    # The same exceptions from code that is wrong everywhere else are not explained.
    def broken(X, F):
        if X.shape[1] - F.shape[1] > X.shape[0] - F.shape[0]:
            raise IndexError("index 3 is out of bounds for axis 1 with size 3")
        return np.zeros((1, 1))

    records = [_raises_or_returns(broken, case.args) for case in cases]
    verdicts = judge_call(CONV2D_FORWARD, cases, records)
    for record, verdict in zip(records, verdicts, strict=True):
        if isinstance(record, Raised):
            assert (verdict.misconception, verdict.message) == (None, f"raised {record.error}")
