"""Tests for the visible checks: conv_checks.py, its expected values, and their generator.

A right answer passes with one line on stdout; every typical mistake in the catalogue
fails with the catalogue's sentence for it; other wrong answers name the first wrong
entry. Right answers come from autograder.maths.reference and from the seed's literal values;
the expected sentences come from the task registry's diagnose, not from the checks. The
checks compare by the grader's one tolerance rule (autograder.maths.tolerance).
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
# hidden tests can catch them: a 2x2 filter on a 3x3 input makes J[a, b, p, q] symmetric
# under swapping (a, b) with (p, q), and the example's sum 40 divides evenly by 4.
INVISIBLE_ON_THE_EXAMPLE = {
    ("jacobian_output_wrt_filter", "axes_reordered"),
    ("gap_forward", "integer_division"),
}


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


@pytest.mark.parametrize("task", FUNCTION_TASKS)
def test_the_right_answer_passes_with_one_line_on_stdout(task: str, capsys) -> None:
    _check(task)(getattr(reference, task))
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out == f"{task}: correct on the worked example.\n"


@pytest.mark.parametrize(("task", "key"), _function_mistakes())
def test_each_typical_mistake_fails_with_its_sentence(task: str, key: str, capsys) -> None:
    wrong = _misconception(task, key).wrong
    expected_message = None
    for args in checks.example_arguments()[task]:
        answer = wrong(*args)
        if not _same(answer, getattr(reference, task)(*args)):
            expected_message = function_task(task).diagnose(args, answer).message
            break
    if (task, key) in INVISIBLE_ON_THE_EXAMPLE:
        assert expected_message is None
        _check(task)(wrong)
        return
    assert expected_message is not None
    with pytest.raises(AssertionError) as failure:
        _check(task)(wrong)
    assert str(failure.value) == f"{task}: {expected_message}"
    assert capsys.readouterr().out == ""


def _modifies_first_array(task: str) -> Callable:
    def wrong(*args):
        answer = getattr(reference, task)(*args)
        next(arg for arg in args if isinstance(arg, np.ndarray))[...] = 7
        return answer

    return wrong


@pytest.mark.parametrize(
    "task",
    [t for t in FUNCTION_TASKS if t not in ("conv2d_output_shape", "gap_backward")],
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
    ],
)
def test_right_values_in_an_integer_array_fail(task: str) -> None:
    def integer_answer(*args):
        return getattr(reference, task)(*args).astype(np.int64)

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

    with pytest.raises(
        AssertionError, match=r"^conv2d_output_shape: part 1 of the result: expected 2, got 4\.$"
    ):
        checks.check_conv2d_output_shape(square_only)


def test_the_training_step_check_catches_a_wrong_loss_alone() -> None:
    def loss_doubled(X, F, target, learning_rate):
        new_F, loss = reference.training_step(X, F, target, learning_rate)
        return new_F, 2 * loss

    with pytest.raises(
        AssertionError, match=r"^training_step: part 1 of the result: expected 2, got 4\.$"
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


def test_a_hand_value_of_the_wrong_shape_or_kind_fails_clearly() -> None:
    with pytest.raises(AssertionError, match=r"expected shape \(2, 2\), got shape \(4,\)"):
        checks.check_O_by_hand([10, 3, 9, 18])
    with pytest.raises(AssertionError, match="write numbers only"):
        checks.check_dF_by_hand([["9/4", "13/4"], ["7/4", "3/4"]])


def test_an_output_shape_returned_as_a_numpy_array_is_judged_as_a_pair(capsys) -> None:
    # The hidden tests accept (Ho, Wo) as a 1-D array; so must the visible check, and a
    # forgotten +1 in that form is still named.
    checks.check_conv2d_output_shape(lambda i, f: np.array(i) - np.array(f) + 1)
    assert capsys.readouterr().out == "conv2d_output_shape: correct on the worked example.\n"
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
