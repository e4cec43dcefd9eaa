"""Tests for the visible checks: conv_checks.py, its expected values, and their generator.

A right answer passes with one line on stdout; every typical mistake in the catalogue,
in every way of writing it the catalogue knows, fails on the first example it gets wrong
with the catalogue's sentence for it and the name of that example; other wrong answers
name the first wrong entry. Every function is checked on the worked example and on at
least one example of other, non-square shapes, which answers written for the worked
example's sizes fail. Right answers come from autograder.maths.reference and from the
seed's literal values; the expected sentences come from the task registry's diagnose,
not from the checks. The checks compare by the grader's one tolerance rule
(autograder.maths.tolerance).
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from autograder.course.visible_checks import load_checks_module, render_expected
from autograder.maths import reference
from autograder.maths.exact import looks_rounded
from autograder.maths.misconceptions import INPUT_MODIFIED, INTEGER_RESULT
from autograder.maths.tolerance import TOLERANCE
from autograder.verify.tasks import (
    FUNCTION_TASKS,
    HAND_VALUE_TASKS,
    TASKS,
    function_task,
    hand_value_task,
    misconception,
)
from notebook_runs import REPO, SOURCE_DIR

checks = load_checks_module()
#: Notebook 7's graded functions: their examples are batches, not the worked example.
LAYER_TASKS = [name for name in FUNCTION_TASKS if TASKS[name].notebook == "07_conv_layer"]

# The seed's hand-computed values (seed/README.md), exactly.
SEED_VALUES = {
    "O_by_hand": [[10, 3], [9, 18]],
    "Z_by_hand": 10,
    "dO_by_hand": [[Fraction(1, 4)] * 2] * 2,
    "dF_by_hand": [[Fraction(9, 4), Fraction(13, 4)], [Fraction(7, 4), Fraction(3, 4)]],
    "dX_by_hand": [
        [0, Fraction(3, 4), Fraction(3, 4)],
        [Fraction(1, 4), Fraction(1, 2), Fraction(1, 4)],
        [Fraction(1, 4), Fraction(-1, 4), Fraction(-1, 2)],
    ],
}

# Mistakes that give the right answer on every example the checks use, so only the
# hidden tests can catch them: nearly all of them.
INVISIBLE_ON_THE_EXAMPLES: set[tuple[str, str]] = set()


def _same(answer: Any, expected: Any) -> bool:
    if isinstance(expected, tuple):
        return (
            isinstance(answer, tuple)
            and len(answer) == len(expected)
            and all(_same(a, e) for a, e in zip(answer, expected, strict=True))
        )
    answer, expected = np.asarray(answer, dtype=float), np.asarray(expected, dtype=float)
    return answer.shape == expected.shape and bool(np.allclose(answer, expected, rtol=1e-9))


def _check(task: str) -> Callable[[Any], None]:
    return getattr(checks, f"check_{task}")


def _function_mistakes() -> list[tuple[str, str]]:
    return [(task, m.key) for task in FUNCTION_TASKS for m in TASKS[task].misconceptions]


def _hand_mistakes() -> list[tuple[str, str]]:
    return [(task, m.key) for task in HAND_VALUE_TASKS for m in TASKS[task].misconceptions]


def _misconception(task: str, key: str):
    return misconception(task, key)


# ------------------------------------------------------------- the data file


def test_expected_values_file_is_in_sync_with_reference_and_catalogue() -> None:
    assert checks.EXPECTED_FILE.parent == SOURCE_DIR
    assert checks.EXPECTED_FILE.read_text(encoding="utf-8") == render_expected(checks)


def test_there_is_one_check_per_graded_task_and_nothing_else() -> None:
    graded = set(TASKS)
    assert {name for name in checks.__all__ if name.startswith("check_")} == {
        f"check_{task}" for task in graded
    }


def test_the_expected_values_carry_the_graders_tolerance() -> None:
    data = json.loads(checks.EXPECTED_FILE.read_text(encoding="utf-8"))
    assert data["tolerance"] == TOLERANCE.as_json()


_BIG = np.array([1e6, 0.0])


@pytest.mark.parametrize(
    ("answer", "expected", "close"),
    [
        # Round-off next to large entries: the floor scales with the largest entry
        # (1e-9 * 1e6 = 1e-3), where a fixed 1e-9 would fail a right answer.
        (np.array([1e6, 5e-4]), _BIG, True),
        (np.array([1e6, 2e-3]), _BIG, False),
        (np.array([1e6 + 0.05, 0.0]), _BIG, True),
        (np.array([1e6 + 0.5, 0.0]), _BIG, False),
        # Small values: rtol 1e-7 per entry, floor 1e-9.
        (np.array([1.0, 5e-10]), np.array([1.0, 0.0]), True),
        (np.array([1.0, 2e-9]), np.array([1.0, 0.0]), False),
        (np.array([2.0 + 1.5e-7]), np.array([2.0]), True),
        (np.array([2.0 + 3e-7]), np.array([2.0]), False),
        (10.0 + 5e-7, 10.0, True),
        (10.0 + 5e-6, 10.0, False),
        ((np.array([1e6, 5e-4]), 1.0), (_BIG, 1.0), True),
        ((np.array([1e6, 5e-4]), 1.1), (_BIG, 1.0), False),
        (np.zeros(3), np.zeros(2), False),
        (np.array([np.nan]), np.array([0.0]), False),
    ],
)
def test_the_checks_apply_the_graders_tolerance_rule(answer, expected, close: bool) -> None:
    assert TOLERANCE.matches(answer, expected) is close
    assert checks.answers_match(answer, expected) is close


@pytest.mark.parametrize("module", ["conv_checks.py", "conv_language.py", "conv_plots.py"])
def test_student_side_modules_import_only_what_the_student_runtime_has(module: str) -> None:
    tree = ast.parse((SOURCE_DIR / module).read_text(encoding="utf-8"))
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    top_level = {name.split(".")[0] for name in imported}
    # The student runtime is the standard library, numpy, matplotlib and the
    # helper modules shipped beside the notebooks, nothing else.
    shipped_beside = {path.stem for path in SOURCE_DIR.glob("*.py")}
    allowed = set(sys.stdlib_module_names) | {"matplotlib", "numpy"} | shipped_beside
    assert top_level <= allowed, top_level - allowed


# ------------------------------------------------------------ function tasks


def _descriptions(task: str) -> list[str]:
    return [description for description, _ in checks.example_arguments()[task]]


@pytest.mark.parametrize("task", FUNCTION_TASKS)
def test_the_right_answer_passes_with_one_line_on_stdout(task: str, capsys) -> None:
    _check(task)(function_task(task).reference)
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out == f"{task}: correct on {' and on '.join(_descriptions(task))}.\n"


def _shapes(task: str, args: tuple) -> list[tuple[int, ...]]:
    """The shapes of an example's arrays, the shapes it passes, and its result's."""
    shapes = [np.shape(arg) for arg in args if isinstance(arg, np.ndarray)]
    shapes += [arg for arg in args if isinstance(arg, tuple)]
    result = function_task(task).reference(*args)
    results = result if isinstance(result, tuple) else (result,)
    return shapes + [np.shape(part) for part in results if isinstance(part, np.ndarray)]


@pytest.mark.parametrize("task", FUNCTION_TASKS)
def test_every_function_is_checked_beyond_the_worked_example(task: str) -> None:
    # An answer written for the worked example's sizes (a 2x2 output, a filter as tall as
    # it is wide, dL/dO the same everywhere) must fail a later example: one of other,
    # non-square shapes, whose float arrays are not the same number everywhere.
    (_, worked), *later = checks.example_arguments()[task]
    assert any(
        any(len(set(shape)) > 1 for shape in _shapes(task, args))
        and set(_shapes(task, args)) != set(_shapes(task, worked))
        for _, args in later
    )
    for description, args in later:
        for array in (arg for arg in args if isinstance(arg, np.ndarray)):
            if array.dtype.kind == "f":
                assert len(np.unique(array)) > 1, f"{description}: a constant array"


def _first_failure(task: str, implementation: Callable) -> tuple[list[str], str, Any]:
    """The examples an implementation passes, the first it does not, and what it did
    there: its exception's type, or the catalogue's diagnosis of its answer."""
    passed = []
    for description, args in checks.example_arguments()[task]:
        right = function_task(task).reference(*args)
        try:
            answer = implementation(*args)
        except Exception as error:
            return passed, description, type(error)
        if isinstance(right, tuple) and isinstance(answer, np.ndarray):
            answer = tuple(answer.tolist())
        if not _same(answer, right):
            return passed, description, function_task(task).diagnose(args, answer)
        passed.append(description)
    return passed, "", None


@pytest.mark.parametrize(("task", "key"), _function_mistakes())
def test_each_typical_mistake_fails_with_its_sentence(task: str, key: str, capsys) -> None:
    mistake = _misconception(task, key)
    for implementation in mistake.implementations:
        passed, description, found = _first_failure(task, implementation)
        if (task, key) in INVISIBLE_ON_THE_EXAMPLES:
            assert found is None
            _check(task)(implementation)
            continue
        assert found is not None, f"{key} passes every example"
        if isinstance(found, type):  # the student's own exception reaches the student
            with pytest.raises(found) as raised:
                _check(task)(implementation)
            notes = getattr(raised.value, "__notes__", [])
            assert not passed or description in notes[0]
            continue
        where = f"correct on {' and '.join(passed)}, wrong on {description}: " if passed else ""
        with pytest.raises(AssertionError) as failure:
            _check(task)(implementation)
        assert str(failure.value) == f"{task}: {where}{found.message}"
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("task", LAYER_TASKS)
def test_notebook_7s_last_example_tells_every_mistake_apart(task: str) -> None:
    """No two answers (the right one and the catalogued mistakes) agree on the last
    example, so a check names each mistake by its own sentence."""
    _, args = checks.example_arguments()[task][-1]
    assert function_task(task).look_alikes(args) == frozenset()


def _modifies_first_array(task: str) -> Callable:
    def wrong(*args):
        answer = function_task(task).reference(*args)
        next(arg for arg in args if isinstance(arg, np.ndarray))[...] = 7
        return answer

    return wrong


@pytest.mark.parametrize(
    "task",
    [
        t
        for t in FUNCTION_TASKS
        if t not in ("conv2d_output_shape", "gap_backward", "conv_layer_output_shape")
    ],
)
def test_changing_an_input_in_place_fails_even_with_the_right_answer(task: str) -> None:
    with pytest.raises(AssertionError, match="^" + task) as failure:
        _check(task)(_modifies_first_array(task))
    assert str(failure.value) == f"{task}: {INPUT_MODIFIED.message}"


@pytest.mark.parametrize(
    "task",
    [
        "conv2d_forward",
        "jacobian_output_wrt_filter",
        "jacobian_output_wrt_input",
        "pad2d",
        "rot180",
        "conv_layer_forward",
        "max_pool_forward",
        "max_pool_backward",
    ],
)
def test_right_values_in_an_integer_array_fail(task: str) -> None:
    def integer_answer(*args):
        return function_task(task).reference(*args).astype(np.int64)

    with pytest.raises(AssertionError) as failure:
        _check(task)(integer_answer)
    assert str(failure.value) == f"{task}: {INTEGER_RESULT.message}"


def test_an_unrecognised_wrong_answer_names_the_first_wrong_entry() -> None:
    def off_by_one_at_the_end(X, F):
        O = reference.conv2d_forward(X, F)
        O[1, 1] += 1
        return O

    with pytest.raises(AssertionError) as failure:
        checks.check_conv2d_forward(off_by_one_at_the_end)
    assert str(failure.value) == (
        "conv2d_forward: first wrong entry at [1, 1]: expected 18, got 19."
    )


def test_a_wrong_shape_is_reported_as_such() -> None:
    with pytest.raises(AssertionError, match=r"expected shape \(2, 2\), got shape \(3, 3\)"):
        checks.check_conv2d_forward(lambda X, F: np.zeros((3, 3)))


def test_a_wrong_second_example_is_caught_after_a_right_first_one() -> None:
    def square_only(input_shape, filter_shape):
        return (input_shape[0] - filter_shape[0] + 1,) * 2

    with pytest.raises(AssertionError) as failure:
        checks.check_conv2d_output_shape(square_only)
    assert str(failure.value) == (
        "conv2d_output_shape: correct on the worked example, wrong on a 4x7 input with a "
        "3x1 filter: `Wo`, the second value: expected 7, got 2."
    )


# Answers written for the worked example's sizes, as students wrote them (issue 12, 3):
# each passed the worked example alone.
def _hard_coded_forward(X, F):
    O = np.zeros((2, 2))
    for a in range(2):
        for b in range(2):
            O[a, b] = np.sum(X[a : a + 2, b : b + 2] * F)
    return O


def _kh_for_both_sides(X, F):
    k = F.shape[0]
    O = np.zeros((X.shape[0] - k + 1, X.shape[1] - k + 1))
    for a in range(O.shape[0]):
        for b in range(O.shape[1]):
            O[a, b] = np.sum(X[a : a + k, b : b + k] * F)
    return O


def _pads_by_one(dO, F):
    return reference.conv2d_forward(np.pad(dO, 1), np.rot90(F, 2))


@pytest.mark.parametrize(
    ("task", "answer", "message"),
    [
        (
            "conv2d_forward",
            _kh_for_both_sides,
            misconception("conv2d_forward", "square_filter_assumed").message,
        ),
        (
            "gap_backward",
            lambda dZ, shape: np.full((2, 2), dZ / 4),
            "expected shape (2, 3), got shape (2, 2).",
        ),
        (
            "conv2d_backward_input",
            _pads_by_one,
            misconception("conv2d_backward_input", "padded_by_one").message,
        ),
    ],
    ids=["kh_both_sides", "gap_dZ_over_4", "pads_by_1"],
)
def test_answers_written_for_the_worked_examples_sizes_fail_and_say_where(task, answer, message):
    answer(*checks.example_arguments()[task][0][1])  # right on the worked example
    with pytest.raises(AssertionError) as failure:
        _check(task)(answer)
    other = checks.example_arguments()[task][1][0]
    assert str(failure.value) == (
        f"{task}: correct on the worked example, wrong on {other}: {message}"
    )


def test_an_error_is_the_students_own_with_a_note_naming_the_example() -> None:
    with pytest.raises(ValueError, match="could not be broadcast") as raised:
        checks.check_conv2d_forward(_hard_coded_forward)
    # No mistake named: on two examples the output allocated (W-kw+1, H-kh+1) raises this
    # very error too, and that is not what this answer did.
    assert raised.value.__notes__ == [
        "conv2d_forward: correct on the worked example, but this error came on a 4x7 input "
        "with a 3x1 filter."
    ]


def test_the_training_step_check_catches_a_wrong_loss_alone() -> None:
    def loss_doubled(X, F, target, learning_rate):
        new_F, loss = reference.training_step(X, F, target, learning_rate)
        return new_F, 2 * loss

    with pytest.raises(
        AssertionError, match=r"^training_step: `loss`, the second value: expected 2, got 4\.$"
    ):
        checks.check_training_step(loss_doubled)


def test_an_exception_in_the_students_function_reaches_the_student() -> None:
    def unfinished(X, F):
        raise NotImplementedError

    with pytest.raises(NotImplementedError):
        checks.check_conv2d_forward(unfinished)


# --------------------------------------------------------------- hand values


def _forms(value: Any) -> list[Any]:
    """The same exact value as Fractions, ints where whole, numpy arrays and floats."""
    exact = np.array(value, dtype=object)
    as_floats = np.asarray(exact, dtype=float)
    forms = [value, exact, as_floats, as_floats.tolist()]
    if np.ndim(value) == 0:
        forms.append(Fraction(value))
    return forms


@pytest.mark.parametrize("task", HAND_VALUE_TASKS)
def test_the_seed_value_passes_in_every_exact_form(task: str, capsys) -> None:
    for form in _forms(SEED_VALUES[task]):
        _check(task)(form)
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out == f"{task}: exactly right.\n" * len(_forms(SEED_VALUES[task]))


@pytest.mark.parametrize(("task", "key"), _hand_mistakes())
def test_each_hand_mistake_fails_with_its_sentence(task: str, key: str) -> None:
    value = _misconception(task, key).wrong()
    with pytest.raises(AssertionError) as failure:
        _check(task)(value)
    assert str(failure.value) == f"{task}: {hand_value_task(task).diagnose(value).message}"


@pytest.mark.parametrize("task", ["dF_by_hand", "dX_by_hand"])
def test_a_nearly_right_value_is_not_exact_and_fails(task: str) -> None:
    nearly = np.asarray(SEED_VALUES[task], dtype=float) + 1e-9
    with pytest.raises(AssertionError, match=r"the value at \[0, 0\] is not right yet"):
        _check(task)(nearly.tolist())


def test_a_hand_value_is_echoed_as_typed_and_a_rounded_one_is_shown_exactly() -> None:
    rounded = [[2.2, 3.25], [1.75, 0.75]]
    with pytest.raises(AssertionError) as failure:
        checks.check_dF_by_hand(rounded)
    assert str(failure.value) == (
        "dF_by_hand: the value at [0, 0] is not exact: you wrote 2.2; 9/4 is "
        "`Fraction(9, 4)` or 2.25."
    )
    wrong = [[Fraction(9, 4), Fraction(13, 4)], [Fraction(7, 4), Fraction(5, 4)]]
    with pytest.raises(AssertionError) as failure:
        checks.check_dF_by_hand(wrong)
    assert str(failure.value) == (
        "dF_by_hand: the value at [1, 1] is not right yet: you wrote Fraction(5, 4)."
    )
    with pytest.raises(AssertionError) as failure:
        checks.check_Z_by_hand(np.float64(9.5))
    assert str(failure.value) == "Z_by_hand: the value is not right yet: you wrote 9.5."


@pytest.mark.parametrize(
    ("written", "exact"),
    [
        ("2.2", Fraction(9, 4)),
        ("2.3", Fraction(9, 4)),
        ("2.25", Fraction(9, 4)),
        ("2.0", Fraction(9, 4)),
        ("0.33", Fraction(1, 3)),
        ("0.3", Fraction(1, 3)),
        ("-0.2", Fraction(-1, 4)),
        ("0.7", Fraction(3, 4)),
        ("3", Fraction(13, 4)),
        ("1e-1", Fraction(1, 10)),
        ("Fraction(9, 4)", Fraction(9, 4)),
    ],
)
def test_the_checks_and_the_grader_agree_on_what_looks_rounded(written, exact) -> None:
    assert checks._looks_rounded(written, exact) is looks_rounded(written, exact)


def test_a_hand_value_of_the_wrong_shape_or_kind_fails_clearly() -> None:
    with pytest.raises(AssertionError, match=r"expected shape \(2, 2\), got shape \(4,\)"):
        checks.check_O_by_hand([10, 3, 9, 18])
    with pytest.raises(AssertionError, match="write numbers only"):
        checks.check_dF_by_hand([["9/4", "13/4"], ["7/4", "3/4"]])


def test_an_output_shape_returned_as_a_numpy_array_is_judged_as_a_pair(capsys) -> None:
    # The hidden tests accept (Ho, Wo) as a 1-D array; so must the visible check, and a
    # forgotten +1 in that form is still named.
    checks.check_conv2d_output_shape(lambda i, f: np.array(i) - np.array(f) + 1)
    assert capsys.readouterr().out == (
        "conv2d_output_shape: correct on the worked example and on a 4x7 input with a 3x1 filter.\n"
    )
    forgot = misconception("conv2d_output_shape", "forgot_plus_one")
    with pytest.raises(AssertionError) as failure:
        checks.check_conv2d_output_shape(lambda i, f: np.array(i) - np.array(f))
    assert str(failure.value) == f"conv2d_output_shape: {forgot.message}"


_IPYTHON_SESSION = """
import sys
from IPython.core.interactiveshell import InteractiveShell

sys.path.insert(0, sys.argv[1])
shell = InteractiveShell.instance()
for cell in [
    "%colors nocolor",
    "import numpy as np, conv_checks as checks",
    "def conv2d_forward(X, F):\\n    return np.zeros((2, 2))",
    "checks.check_conv2d_forward(conv2d_forward)",
    "print('=== next cell ===')",
    "def conv2d_forward(X, F):\\n    raise NotImplementedError('my own error')",
    "checks.check_conv2d_forward(conv2d_forward)",
]:
    shell.run_cell(cell)
"""


def test_a_failing_check_shows_the_students_call_and_the_message_not_the_checks_code(tmp_path):
    """IPython leaves out frames holding __tracebackhide__, but always shows the frame
    that raises: of conv_checks.py only `_fail`, three lines long, may show."""
    done = subprocess.run(
        [str(REPO / ".student-venv" / "bin" / "python"), "-c", _IPYTHON_SESSION, str(SOURCE_DIR)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "IPYTHONDIR": str(tmp_path)},
        check=True,
    )
    wrong, raised = done.stdout.split("=== next cell ===")
    assert "----> 1 checks.check_conv2d_forward(conv2d_forward)" in wrong
    assert re.findall(r"conv_checks\.py:\d+, in (\w+)", wrong) == ["_fail"]
    assert wrong.rstrip().endswith(
        "AssertionError: conv2d_forward: first wrong entry at [0, 0]: expected 10, got 0."
    )
    # An error in the student's own function: their call, then their code, nothing between.
    assert "conv_checks.py" not in raised
    assert "----> 2     raise NotImplementedError('my own error')" in raised


# ------------------------------------------------------------ gradient_check


def _numerical_gradient_check(backward_filter, backward_input, X, F, dO):
    """A right gradient_check as a student writes it: central differences, with their
    rounding error in the relative errors."""

    def loss(X_, F_):
        return float(np.sum(reference.conv2d_forward(X_, F_) * dO))

    numeric_dF = reference.numerical_gradient(lambda F_: loss(X, F_), F)
    numeric_dX = reference.numerical_gradient(lambda X_: loss(X_, F), X)
    return (
        reference.relative_error(backward_filter(X, dO), numeric_dF),
        reference.relative_error(backward_input(dO, F), numeric_dX),
    )


def test_the_gradient_check_examples_claim_what_they_say() -> None:
    """The stand-in backward functions claim literal gradients: the right ones, then dF
    rotated by 180 degrees and dX from an unrotated F (checked here against the maths)."""
    ((_, right), (_, wrong)) = checks.example_arguments()["gradient_check"]
    _, _, X, F, dO = right
    assert np.array_equal(right[0](X, dO), reference.conv2d_backward_filter(X, dO))
    assert np.array_equal(right[1](dO, F), reference.conv2d_backward_input(dO, F))
    assert X.shape[0] != X.shape[1] and F.shape[0] != F.shape[1]
    _, _, X, F, dO = wrong
    assert np.array_equal(
        wrong[0](X, dO), reference.rot180(reference.conv2d_backward_filter(X, dO))
    )
    unrotated = reference.conv2d_forward(reference.pad2d(dO, (1, 1)), F)
    assert np.array_equal(wrong[1](dO, F), unrotated)
    assert X.shape[0] != X.shape[1] and len(np.unique(dO)) > 1


def test_a_gradient_check_by_central_differences_passes(capsys) -> None:
    examples = checks.example_arguments()["gradient_check"]
    errors = [_numerical_gradient_check(*args) for _, args in examples]
    assert 0 < max(errors[0]) < 1e-8  # rounding, which the check must tolerate
    checks.check_gradient_check(_numerical_gradient_check)
    assert capsys.readouterr().out == (
        "gradient_check: correct on a 3x4 input with the right gradients and on a 3x5 input "
        "with dF rotated and dX from an unrotated F.\n"
    )


def _calls_backward_filter_with_dO_first(backward_filter, backward_input, X, F, dO):
    swapped = lambda X_, dO_: backward_filter(dO_, X_)  # noqa: E731
    return _numerical_gradient_check(swapped, backward_input, X, F, dO)


def _calls_backward_input_with_F_first(backward_filter, backward_input, X, F, dO):
    swapped = lambda dO_, F_: backward_input(F_, dO_)  # noqa: E731
    return _numerical_gradient_check(backward_filter, swapped, X, F, dO)


@pytest.mark.parametrize(
    ("gradient_check", "call"),
    [
        (_calls_backward_filter_with_dO_first, "backward_filter(X, dO)"),
        (_calls_backward_input_with_F_first, "backward_input(dO, F)"),
    ],
)
def test_a_gradient_check_calling_a_backward_function_wrongly_is_told_how(
    gradient_check, call
) -> None:
    with pytest.raises(AssertionError) as failure:
        checks.check_gradient_check(gradient_check)
    assert str(failure.value) == (
        f"gradient_check: call {call}, with the X, F and dO you were given."
    )


def test_a_gradient_check_returning_one_error_is_told_it_owes_two() -> None:
    with pytest.raises(AssertionError, match=r"^gradient_check: expected a tuple of 2 values"):
        checks.check_gradient_check(lambda *args: max(_numerical_gradient_check(*args)))
