"""The task registry: every graded task is declared once, and declared in full.

A task is whole when its notebook has an answer cell and a graded cell probing it (and
no other notebook probes it), it has typical mistakes, a visible check with expected
values, and, for a function, a reference the package exports, challenge cases its own
reference passes and example arguments for the visible check; for a hand value, an
exact value no typical mistake gives and a correct answer for the grading tests.
:func:`missing_parts` lists what a task lacks; it is shown to catch half-declared tasks.
"""

from __future__ import annotations

import json
from fractions import Fraction

import nbformat
import numpy as np
import pytest

import autograder
from autograder.course.visible_checks import load_checks_module
from autograder.maths import misconceptions as mistakes
from autograder.maths import reference
from autograder.maths.misconceptions import Misconception
from autograder.maths.tolerance import EXACT
from autograder.verify import challenges, tasks
from autograder.verify.judging import judge_record
from autograder.verify.preprocessors import parse_probe_calls
from autograder.verify.tasks import (
    FLOAT_ARRAY,
    TASKS,
    FunctionTask,
    HandValueTask,
    Task,
    function_task,
    hand_value_task,
    misconception,
)
from autograder.verify.wire import Returned
from notebook_runs import SOURCE_DIR, notebook_paths
from probe_course import HAND_VALUE_ANSWERS

CHECKS = load_checks_module()
EXPECTED = json.loads(CHECKS.EXPECTED_FILE.read_text(encoding="utf-8"))


def _notebook_parts() -> tuple[dict[str, dict[str, str]], dict[str, set[str]]]:
    """Per notebook (file stem): the tasks its graded cells probe (name -> probe call),
    and the grade_ids of its answer cells."""
    probed: dict[str, dict[str, str]] = {}
    answers: dict[str, set[str]] = {}
    for path in notebook_paths(SOURCE_DIR):
        nb = nbformat.read(path, as_version=4)
        probed[path.stem], answers[path.stem] = {}, set()
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution"):
                answers[path.stem].add(meta["grade_id"])
            elif meta.get("grade") and "BEGIN HIDDEN TESTS" in cell.source:
                for call in parse_probe_calls(cell.source):
                    assert call.task not in probed[path.stem], f"{path.name} probes it twice"
                    probed[path.stem][call.task] = call.kind
    return probed, answers


PROBED, ANSWERS = _notebook_parts()


def missing_parts(task: Task) -> list[str]:
    """What ``task`` lacks to be graded, checked and diagnosed everywhere; [] if nothing."""
    problems = []
    if task.notebook not in PROBED:
        problems.append(f"there is no notebook {task.notebook}.ipynb")
    elif PROBED[task.notebook].get(task.name) != task.probe:
        problems.append(f"{task.notebook} has no graded cell calling conv_probe.{task.probe}")
    if task.name not in ANSWERS.get(task.notebook, set()):
        problems.append(f"{task.notebook} has no answer cell with grade_id {task.name!r}")
    elsewhere = sorted(
        nb for nb, probed in PROBED.items() if nb != task.notebook and task.name in probed
    )
    if elsewhere:
        problems.append(f"it is probed in {elsewhere} too")
    if not task.misconceptions:
        problems.append("it has no typical mistakes")
    if f"check_{task.name}" not in CHECKS.__all__:
        problems.append("conv_checks.py has no visible check for it")
    if task.name not in EXPECTED["tasks"]:
        problems.append("conv_checks_expected.json has no values for it (make notebooks)")
    if isinstance(task, FunctionTask):
        problems += _missing_function_parts(task)
    else:
        problems += _missing_hand_value_parts(task)
    return problems


def _missing_function_parts(task: FunctionTask) -> list[str]:
    problems = []
    exported = task.reference.__name__
    if exported not in autograder.__all__ or getattr(autograder, exported) is not task.reference:
        problems.append("autograder does not export its reference")
    if task.name not in CHECKS.example_arguments():
        problems.append("conv_checks.example_arguments() has no arguments for it")
    cases = task.case_classes(np.random.default_rng(0))
    if not cases:
        problems.append("it has no challenge cases")
    for case in cases:
        right = Returned(task.reference(*case.args), False)
        if not judge_record(task, case, right).passed:
            problems.append(f"its reference fails its own judging on {case.label!r}")
    return problems


def _missing_hand_value_parts(task: HandValueTask) -> list[str]:
    problems = []
    values = np.asarray(task.value, dtype=object).ravel()
    if not all(isinstance(value, Fraction) for value in values):
        problems.append("its value is not exact (Fractions)")
    for entry in task.misconceptions:
        if EXACT.matches(entry.wrong(), task.value):
            problems.append(f"its mistake {entry.key!r} gives the right value")
    if task.name not in HAND_VALUE_ANSWERS:
        problems.append("tests/probe_course.py has no correct answer for it")
    return problems


# ------------------------------------------------------------------ the registry


@pytest.mark.parametrize("name", list(TASKS))
def test_every_registered_task_is_declared_in_full(name: str) -> None:
    assert missing_parts(TASKS[name]) == []


def test_every_probed_task_is_registered_to_the_notebook_that_probes_it() -> None:
    for notebook, probed in PROBED.items():
        for name, call in probed.items():
            assert (TASKS[name].notebook, TASKS[name].probe) == (notebook, call), name


def test_every_visible_check_is_for_a_registered_task() -> None:
    checked = {name.removeprefix("check_") for name in CHECKS.__all__ if name.startswith("check_")}
    assert checked == set(TASKS) == set(EXPECTED["tasks"])
    assert set(CHECKS.example_arguments()) == set(tasks.FUNCTION_TASKS)


def test_declarations_use_the_parts_named_after_them() -> None:
    # A copy-pasted declaration would judge one task by another's reference. A task that
    # restates another (notebook 7's vectorised exercises) uses that one's parts.
    for task in TASKS.values():
        if isinstance(task, FunctionTask):
            named_after = task.restates or task.name
            assert task.reference.__name__ == named_after
            assert task.case_classes.__name__ == f"{named_after}_cases"


def test_restated_tasks_are_the_vectorised_exercises_and_keep_their_originals_contract() -> None:
    restated = {
        name: task.restates
        for name, task in TASKS.items()
        if isinstance(task, FunctionTask) and task.restates
    }
    assert restated == {
        "conv_layer_forward_vectorised": "conv_layer_forward",
        "conv_layer_backward_vectorised": "conv_layer_backward",
    }
    original = function_task("conv_layer_forward")
    drifted = FunctionTask(
        name="conv_layer_forward_vectorised",
        notebook=original.notebook,
        reference=original.reference,
        case_classes=original.case_classes,
        result=tasks.ARRAY,  # an integer array would pass here and fail in the loop version
        misconceptions=original.misconceptions,
        restates="conv_layer_forward",
    )
    with pytest.raises(ValueError, match="restates conv_layer_forward but differs from it"):
        tasks._table((original, drifted))
    with pytest.raises(ValueError, match="no graded function before it"):
        tasks._table((drifted, original))


def test_misconceptions_are_identified_by_task_and_key() -> None:
    # The same key, two tasks, two sentences.
    in_gap_forward = misconception("gap_forward", "divided_by_height_only")
    in_gap_backward = misconception("gap_backward", "divided_by_height_only")
    assert in_gap_forward.message != in_gap_backward.message
    with pytest.raises(KeyError):
        misconception("gap_forward", "kernel_flipped")
    with pytest.raises(KeyError):
        misconception("no_such_task", "kernel_flipped")


def test_lookups_by_kind_refuse_the_other_kind() -> None:
    assert function_task("rot180").probe == "probe"
    assert hand_value_task("dF_by_hand").probe == "probe_value"
    with pytest.raises(ValueError, match="not a graded function"):
        function_task("dF_by_hand")
    with pytest.raises(ValueError, match="not a graded hand-computed value"):
        hand_value_task("rot180")


def test_a_task_or_a_misconception_key_declared_twice_is_refused() -> None:
    rot = function_task("rot180")
    with pytest.raises(ValueError, match="declared twice"):
        tasks._table((rot, rot))
    twice = FunctionTask(
        name="rot180",
        notebook=rot.notebook,
        reference=rot.reference,
        case_classes=rot.case_classes,
        result=rot.result,
        misconceptions=(rot.misconceptions[0], rot.misconceptions[0]),
    )
    with pytest.raises(ValueError, match="share a key"):
        tasks._table((twice,))


# ---------------------------------------------------- half-declared tasks are caught


def test_a_function_registered_but_nowhere_else_is_caught() -> None:
    # An eighth notebook's task, declared before anything else exists for it.
    def conv3d_forward(X, F):
        return reference.conv2d_forward(X, F)

    half = FunctionTask(
        name="conv3d_forward",
        notebook="08_conv3d",
        reference=conv3d_forward,
        case_classes=challenges.conv2d_forward_cases,
        result=FLOAT_ARRAY,
        misconceptions=(),
    )
    assert missing_parts(half) == [
        "there is no notebook 08_conv3d.ipynb",
        "08_conv3d has no answer cell with grade_id 'conv3d_forward'",
        "it has no typical mistakes",
        "conv_checks.py has no visible check for it",
        "conv_checks_expected.json has no values for it (make notebooks)",
        "autograder does not export its reference",
        "conv_checks.example_arguments() has no arguments for it",
    ]


def test_a_function_whose_declared_result_is_wrong_is_caught() -> None:
    rot = function_task("rot180")
    wrong_result = FunctionTask(
        name="rot180",
        notebook=rot.notebook,
        reference=rot.reference,
        case_classes=rot.case_classes,
        result=tasks.NUMBER,
        misconceptions=rot.misconceptions,
    )
    problems = missing_parts(wrong_result)
    assert problems and all("its reference fails its own judging" in p for p in problems)


def test_a_hand_value_in_the_wrong_notebook_with_a_useless_mistake_is_caught() -> None:
    right = hand_value_task("O_by_hand")
    useless = Misconception("no_slip", "Not a mistake at all.", lambda: right.value.copy())
    misplaced = HandValueTask(
        name="O_by_hand",
        notebook="02_gap",
        value=right.value,
        misconceptions=(*mistakes.O_BY_HAND, useless),
    )
    assert missing_parts(misplaced) == [
        "02_gap has no graded cell calling conv_probe.probe_value",
        "02_gap has no answer cell with grade_id 'O_by_hand'",
        "it is probed in ['01_forward'] too",
        "its mistake 'no_slip' gives the right value",
    ]
    inexact = HandValueTask("Z_by_hand", "02_gap", mistakes.Z_BY_HAND, value=10.0)  # type: ignore[arg-type]
    assert missing_parts(inexact) == ["its value is not exact (Fractions)"]
