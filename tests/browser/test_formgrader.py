"""The instructor in a real browser: formgrader after ``conv-grader grade``.

Two submissions to the released course are graded with the instructor's command line
(``python -m autograder.course.cli grade``): alice answers everything as the instructor would;
bob flips the kernel, by hand and in ``conv2d_forward``. The instructor
then opens JupyterLab with formgrader and reads the submissions list, bob's notebooks
and bob's graded forward-pass notebook.
"""

from __future__ import annotations

import csv
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page

from autograder.course.samples import SampleStudent, write_submission
from autograder.verify import tasks
from autograder.verify.hide_hidden_tests import HIDDEN_PLACEHOLDER

from .course import ASSIGNMENT, FLIPPED_FORWARD, NOTEBOOKS
from .lab_page import Screenshots
from .lab_server import GRADER_BIN, isolated_environment

FLIPPED_BY_HAND = [[8, 1], [7, 0]]
ALICE = SampleStudent("alice", "every answer as the instructor wrote it")
BOB = SampleStudent(
    "bob",
    "the kernel flipped, by hand and in code",
    {"O_by_hand": f"O_by_hand = {FLIPPED_BY_HAND}", "conv2d_forward": FLIPPED_FORWARD},
)
BOBS_NOTEBOOK = "01_forward"
_TIMEOUT_MS = 60_000
_SCORE = re.compile(r"^\s*([\d.]+) / ([\d.]+)\s*$")


@dataclass
class FormgraderView:
    """What formgrader showed, and the gradebook CSV to compare it with."""

    screenshots: Screenshots
    csv_scores: dict[str, tuple[float, float]]  # student -> (score, max score)
    submissions: dict[str, str]  # student -> the Score column's text
    bobs_notebooks: dict[str, str]  # notebook -> the Overall Score column's text
    bobs_cells: dict[str, str]  # test cell grade_id -> its header, source and outputs, as text
    bobs_cell_scores: dict[str, float]  # test cell grade_id -> the autograded score shown
    # test cell grade_id -> how many pixels the verdict's text reaches past the cell's
    # right edge (formgrader does not wrap outputs)
    bobs_verdict_overflow: dict[str, float]


def _score(text: str) -> tuple[float, float]:
    match = _SCORE.match(text)
    assert match, f"not a score: {text!r}"
    return float(match[1]), float(match[2])


def _run(home: Path, course: Path, *command: str) -> None:
    result = subprocess.run(
        command,
        cwd=course,
        env=isolated_environment(home),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")


@pytest.fixture(scope="module")
def graded_course(released_course: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The course with two submissions graded by conv-grader, its gradebook exported as CSV."""
    course = released_course
    home = tmp_path_factory.mktemp("grader-home")
    for student in (ALICE, BOB):
        write_submission(
            student,
            course / "release" / ASSIGNMENT,
            course / "source" / ASSIGNMENT,
            course / "submitted" / student.lms_id / ASSIGNMENT,
        )
    cli = [str(GRADER_BIN / "python"), "-m", "autograder.course.cli"]
    _run(home, course, *cli, "grade", "--course", str(course), "--no-progress", "--jobs", "2")
    _run(home, course, str(GRADER_BIN / "nbgrader"), "export", "--to", "gradebook.csv")
    return course


# How far the text of the cell's verdict (the <pre> that says "Hidden tests") reaches
# past the cell's right edge; null for a cell without a verdict.
_VERDICT_OVERFLOW_JS = """cell => {
    const pre = [...cell.querySelectorAll("pre")].find(p => p.innerText.includes("Hidden tests"));
    if (!pre) return null;
    const range = document.createRange();
    range.selectNodeContents(pre);
    const right = Math.max(...[...range.getClientRects()].map(rect => rect.right));
    return right - cell.getBoundingClientRect().right;
}"""


def _table(page: Page) -> list[list[str]]:
    return page.locator("table tbody tr").evaluate_all(
        "rows => rows.map(row => [...row.cells].map(cell => cell.innerText.trim()))"
    )


@pytest.fixture(scope="module")
def formgrader(
    request, graded_course, lab_factory, browser_context, new_screenshots
) -> FormgraderView:
    screenshots = new_screenshots(request, "formgrader")
    with (graded_course / "gradebook.csv").open(newline="") as file:
        csv_scores = {
            row["student_id"]: (float(row["score"]), float(row["max_score"]))
            for row in csv.DictReader(file)
        }
    server = lab_factory(graded_course, formgrader=True)
    page = browser_context.new_page()
    # formgrader's pages fetch their tables with requests that carry no token of their own.
    page.set_extra_http_headers({"Authorization": f"token {server.token}"})
    try:
        page.goto(f"{server.base_url}/formgrader/manage_submissions/{ASSIGNMENT}")
        page.locator("td.student-id", has_text=BOB.lms_id).wait_for(timeout=_TIMEOUT_MS)
        screenshots.take(page, "submissions", full_page=True)
        columns = page.locator("table thead th").all_inner_texts()
        student, score = columns.index("Student ID"), columns.index("Score")
        submissions = {row[student]: row[score] for row in _table(page)}

        page.goto(f"{server.base_url}/formgrader/manage_students/{BOB.lms_id}/{ASSIGNMENT}")
        page.locator("td", has_text=BOBS_NOTEBOOK).first.wait_for(timeout=_TIMEOUT_MS)
        screenshots.take(page, "bobs-notebooks", full_page=True)
        columns = page.locator("table thead th").all_inner_texts()
        notebook, overall = columns.index("Notebook ID"), columns.index("Overall Score")
        bobs_notebooks = {row[notebook]: row[overall] for row in _table(page)}

        page.locator("a", has_text=BOBS_NOTEBOOK).click()
        page.locator(".nbgrader_cell").first.wait_for(timeout=_TIMEOUT_MS)
        page.wait_for_load_state("networkidle")
        screenshots.take(page, "bobs-graded-notebook", full_page=True)
        bobs_cells, bobs_verdict_overflow = {}, {}
        for cell in page.locator(".cell:has(.nbgrader-label code)").all():
            grade_id = cell.locator(".nbgrader-label code").inner_text().strip()
            bobs_cells[grade_id] = cell.inner_text()
            overflow = cell.evaluate(_VERDICT_OVERFLOW_JS)
            if overflow is not None:
                bobs_verdict_overflow[grade_id] = overflow
        # Each score box shows the autograded score as its placeholder until a human
        # types a manual one.
        bobs_cell_scores = {
            box.get_attribute("id"): float(box.get_attribute("placeholder"))
            for box in page.locator("input.score").all()
        }
    finally:
        page.close()
    return FormgraderView(
        screenshots,
        csv_scores,
        submissions,
        bobs_notebooks,
        bobs_cells,
        bobs_cell_scores,
        bobs_verdict_overflow,
    )


def test_submissions_list_shows_the_gradebook_csv_scores(formgrader: FormgraderView) -> None:
    assert set(formgrader.csv_scores) == {ALICE.lms_id, BOB.lms_id}
    assert set(formgrader.submissions) == set(formgrader.csv_scores)
    for student, shown in formgrader.submissions.items():
        assert _score(shown) == pytest.approx(formgrader.csv_scores[student], abs=0.01), student
    # The two differ, so the comparison tells the rows apart.
    # Alice answers notebook 7 too: its 20 bonus points are nbgrader extra credit, on top
    # of an assignment maximum that stays 100, and formgrader's Score column says so.
    assert formgrader.csv_scores[ALICE.lms_id] == (120.0, 100.0)
    assert formgrader.csv_scores[BOB.lms_id][0] < formgrader.csv_scores[ALICE.lms_id][0]


def test_a_students_notebook_scores_add_up_to_the_csv_total(formgrader: FormgraderView) -> None:
    assert sorted(formgrader.bobs_notebooks) == [Path(name).stem for name in NOTEBOOKS]
    scores = [_score(text) for text in formgrader.bobs_notebooks.values()]
    total = (sum(score for score, _ in scores), sum(most for _, most in scores))
    assert total == pytest.approx(formgrader.csv_scores[BOB.lms_id], abs=0.01)
    score, most = _score(formgrader.bobs_notebooks[BOBS_NOTEBOOK])
    assert score < most


def test_graded_notebooks_cell_scores_add_up_to_its_listed_score(
    formgrader: FormgraderView,
) -> None:
    assert set(formgrader.bobs_cell_scores) == set(formgrader.bobs_cells)
    listed, _ = _score(formgrader.bobs_notebooks[BOBS_NOTEBOOK])
    assert sum(formgrader.bobs_cell_scores.values()) == pytest.approx(listed, abs=0.01)
    assert formgrader.bobs_cell_scores["test_O_by_hand"] == 0


def test_graded_cells_show_the_verifiers_diagnostics(formgrader: FormgraderView) -> None:
    by_hand = tasks.hand_value_task("O_by_hand").diagnose(FLIPPED_BY_HAND)
    in_code = tasks.misconception("conv2d_forward", "kernel_flipped")
    assert by_hand is not None
    for task, misconception in (("O_by_hand", by_hand), ("conv2d_forward", in_code)):
        shown = formgrader.bobs_cells[f"test_{task}"]
        # The verdict's result first, then the misconception it matches (wrapped).
        assert re.search(rf"Hidden tests( failed)?: `{task}`", shown), shown
        shown_words = " ".join(shown.split())
        assert misconception.message in shown_words[shown_words.index("Hidden tests") :]
    assert "Hidden tests passed" in formgrader.bobs_cells["test_conv2d_output_shape"]


def test_every_verdict_fits_the_width_of_its_cell(formgrader: FormgraderView) -> None:
    """Formgrader shows outputs without wrapping: a verdict line longer than the cell
    puts its end, often the sentence that names the mistake, out of sight."""
    assert len(formgrader.bobs_verdict_overflow) == len(formgrader.bobs_cells)
    too_wide = {cell: px for cell, px in formgrader.bobs_verdict_overflow.items() if px > 0}
    assert not too_wide, too_wide


def test_formgrader_shows_no_hidden_test_source(formgrader: FormgraderView) -> None:
    """Each graded cell shows its visible check and the verdict; its hidden block is
    replaced by one placeholder line (autograder.verify.hide_hidden_tests.HideHiddenTests)."""
    for grade_id, text in formgrader.bobs_cells.items():
        assert "HIDDEN TESTS" not in text, grade_id
        assert "conv_probe" not in text, grade_id
        assert HIDDEN_PLACEHOLDER in text, grade_id
