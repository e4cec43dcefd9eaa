"""The catalogue's sentences: each speaks only of what the course has taught by then.

A student reads a diagnosis in the visible check right under the exercise, and in the
feedback of the notebook it belongs to. So a sentence may use a notion only once the
lesson introducing it is behind the student: the table below names, for each notion the
sentences use, the first graded task that comes after its lesson (in course order, the
registry's order). The padding shortcut for dL/dX, for instance, is taught after the
exercise dX_by_hand, which must explain a wrong dL/dX without it.
"""

from __future__ import annotations

import re

import pytest

from autograder.maths.misconceptions import GENERAL
from autograder.verify.tasks import TASKS

COURSE_ORDER = list(TASKS)

# A notion (as the sentences word it) -> the first task whose exercise follows its lesson.
NOTIONS = {
    r"\bpad(s|ded|ding)? dO\b|'full' correlation": "pad2d",  # the shortcut: pad, rotate
    r"\bpad2d\b": "pad2d",
    r"\brot180\b": "rot180",
    r"\bJacobian\b": "jacobian_output_wrt_filter",
    r"dL/dF": "jacobian_output_wrt_filter",
    r"dL/dX": "jacobian_output_wrt_input",
    r"\bdZ\b|dL/dZ|dL/dO": "dO_by_hand",
    r"global average pooling": "Z_by_hand",
    r"central difference|forward difference": "numerical_gradient",
    r"relative error": "relative_error",
    r"learning.rate|uphill|against the gradient": "training_step",
}


def test_every_notion_is_taught_by_a_graded_task():
    assert set(NOTIONS.values()) <= set(TASKS)


def _sentences() -> list[tuple[str, str, str]]:
    found = []
    for name, task in TASKS.items():
        for entry in (*task.misconceptions, *(GENERAL if task.kind == "function" else ())):
            found.append((name, entry.key, entry.message))
    return found


@pytest.mark.parametrize(
    ("task", "key", "sentence"), _sentences(), ids=[f"{t}-{k}" for t, k, _ in _sentences()]
)
def test_a_sentence_uses_only_what_its_exercise_comes_after(task, key, sentence):
    for pattern, taught_at in NOTIONS.items():
        if re.search(pattern, sentence):
            assert COURSE_ORDER.index(taught_at) <= COURSE_ORDER.index(task), (
                f"{task}/{key} speaks of {pattern!r}, taught only before {taught_at}"
            )
