"""Feedback: verdicts, diagnostics, the student's code and the visible tests, nothing hidden.

One small class is graded and given feedback with plain ``nbgrader autograde`` and
``nbgrader generate_feedback`` under this repository's nbgrader_config.py.
"""

from __future__ import annotations

import html
import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from autograder.verify.hide_hidden_tests import (
    HIDDEN_PLACEHOLDER,
    HideHiddenTests,
    strip_hidden_block,
)
from autograder.verify.tasks import misconception
from autograder.verify.wire import MIME_TYPE
from probe_course import ASSIGNMENT, NOTEBOOK, make_course, nbgrader, submit
from probe_submissions import FLAWED, catalogue_submission, style_submission

_HIDDEN = "### BEGIN HIDDEN TESTS\nimport conv_probe\nconv_probe.probe('rot180', rot180)\n"


def test_strip_hidden_block_keeps_the_visible_part_only():
    source = f"check(rot180)\n    {_HIDDEN}### END HIDDEN TESTS\nprint('after')"
    assert strip_hidden_block(source) == f"check(rot180)\n    {HIDDEN_PLACEHOLDER}\nprint('after')"
    # Unterminated: everything after the start stays hidden.
    assert "conv_probe" not in strip_hidden_block("visible\n" + _HIDDEN)


def test_hide_hidden_tests_leaves_student_cells_alone_and_drops_payloads():
    test = new_code_cell(
        "visible\n" + _HIDDEN + "### END HIDDEN TESTS",
        metadata={"nbgrader": {"grade": True, "solution": False, "grade_id": "t", "points": 1}},
    )
    test.outputs = [
        nbformat.from_dict({"output_type": "display_data", "data": {MIME_TYPE: {}}, "metadata": {}})
    ]
    answer = new_code_cell(
        "# my notes: ### BEGIN HIDDEN TESTS is what the grader adds",
        metadata={"nbgrader": {"grade": False, "solution": True, "grade_id": "a"}},
    )
    hider = HideHiddenTests()
    test, _ = hider.preprocess_cell(test, {}, 0)
    answer_source = answer.source
    answer, _ = hider.preprocess_cell(answer, {}, 1)
    assert "conv_probe" not in test.source and test.outputs == []
    assert answer.source == answer_source


@pytest.fixture(scope="module")
def feedback(tmp_path_factory):
    course = tmp_path_factory.mktemp("feedback")
    make_course(course)
    students = {
        "right": style_submission("loops"),
        "flipped": catalogue_submission(0),
        "flawed": FLAWED,
    }
    for student, answers in students.items():
        submit(course, student, answers)
    for command in ("autograde", "generate_feedback"):
        done = nbgrader(course, command, ASSIGNMENT)
        assert done.returncode == 0, done.stdout + done.stderr
    # The notebook as the page shows it: the head is the page's own (its script policy,
    # whose nonce is no probe's, and MathJax), written by the template, not the notebook.
    pages = {
        student: (course / "feedback" / student / ASSIGNMENT / f"{NOTEBOOK}.html")
        .read_text()
        .split("</head>", 1)[1]
        for student in students
    }
    # The text a student reads (syntax highlighting splits code into spans, verdicts wrap
    # their lines: whitespace collapsed), and the page.
    return {
        student: " ".join(html.unescape(re.sub(r"<[^>]+>", "", page)).split())
        for student, page in pages.items()
    }, pages


@pytest.fixture(scope="module")
def pages(feedback):
    return feedback[1]


@pytest.fixture(scope="module")
def text(feedback):
    return feedback[0]


def test_feedback_names_the_misconception(text):
    flipped = misconception("conv2d_forward", "kernel_flipped")
    # The result and score first, then the sentence: a flipped kernel passes no case.
    verdict = "Hidden tests failed: `conv2d_forward` wrong on all 10 inputs (0 of 2 points)."
    # The first challenge is a square integer X, of a size drawn for the run.
    shown = re.escape(f"{verdict} - {flipped.message} on X ") + r"(\d+)x\1 int"
    assert re.search(shown, text["flipped"])


def test_feedback_gives_reasons_for_real_errors(text):
    assert "raised ValueError: only square inputs, sorry" in text["flawed"]
    assert "did not finish within" in text["flawed"]


def test_feedback_shows_passes_student_code_and_visible_tests(text):
    assert "Hidden tests passed: `conv2d_forward` correct on all 10" in text["right"]
    assert "total += X[a + p, b + q] * F[p, q]" in text["right"]  # the student's loops
    assert "ref.conv2d_forward(X, F[::-1, ::-1])" in text["flipped"]
    for page in text.values():
        assert "conv2d_forward: the visible part of this test cell." in page
        assert "visible check ran" in page
        assert HIDDEN_PLACEHOLDER in page


@pytest.mark.parametrize(
    "secret",
    [
        "BEGIN HIDDEN TESTS",
        "END HIDDEN TESTS",
        "import conv_probe",
        "conv_probe.probe",
        "challenge=",
        "nonce",
        MIME_TYPE,
        "VerifyProbes",
        "autograder.",
    ],
)
def test_feedback_leaks_no_hidden_source_payload_or_verifier(text, pages, secret):
    for student, page in pages.items():
        assert secret not in page
        assert secret not in text[student]
