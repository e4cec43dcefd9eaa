"""A student in a real browser: open each released notebook, type the answers, run, validate.

Two students work on their own copies of a fresh release, each in their own JupyterLab
(cwd = their copy, kernel = the student runtime as ``python3``):

- alice types the instructor's answer to every exercise of every notebook, runs all cells
  and presses Validate;
- bob makes a typical mistake (the kernel flipped in the forward pass; the filter not
  rotated in dL/dX) and must read its name next to the exercise, and from Validate.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import BrowserContext, Page

from autograder.verify.tasks import misconception

from .course import (
    ASSIGNMENT,
    FLIPPED_FORWARD,
    NOTEBOOKS,
    PASS_LINE,
    UNROTATED_BACKWARD_INPUT,
    expected_pictures,
    grade_id,
    graded_tasks,
    instructor_answers,
)
from .lab_page import CellView, NotebookPage, Screenshots, ValidationResult
from .lab_server import STUDENT_PYTHON, LabServer


@dataclass(frozen=True)
class Mistake:
    """A typical mistake typed in place of one exercise's answer, and the one it names."""

    notebook: str
    task: str
    code: str
    misconception: str

    @property
    def message(self) -> str:
        match = misconception(self.task, self.misconception)
        return match.message


MISTAKES = [
    Mistake("01_forward.ipynb", "conv2d_forward", FLIPPED_FORWARD, "kernel_flipped"),
    Mistake(
        "04_input_gradient.ipynb",
        "conv2d_backward_input",
        UNROTATED_BACKWARD_INPUT,
        "filter_not_rotated",
    ),
]


@dataclass
class StudentRun:
    """One notebook after a student typed answers, ran all cells and pressed Validate."""

    notebook: str
    screenshots: Screenshots
    release: nbformat.NotebookNode
    cells: list[CellView]
    alerts: list[str]
    validation: ValidationResult
    mistake: Mistake | None = None

    def check_cells(self) -> dict[str, CellView]:
        """The graded test cells as the page shows them, by the task they check."""
        return {task: self.cells[index] for task, index in graded_tasks(self.release).items()}


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def release(released_course: Path) -> Path:
    return released_course / "release" / ASSIGNMENT


@dataclass
class Student:
    """A student's own JupyterLab (serving their copy of the release) open in a browser tab."""

    lab: LabServer
    page: Page


def _student(
    name: str,
    release: Path,
    tmp_path_factory: pytest.TempPathFactory,
    lab_factory: Callable[..., LabServer],
    context: BrowserContext,
) -> Iterator[Student]:
    copy = tmp_path_factory.mktemp(name) / ASSIGNMENT
    shutil.copytree(release, copy)
    lab = lab_factory(copy)
    page = context.new_page()
    page.goto(lab.url("/lab?reset"))
    page.locator(".jp-DirListing-item").first.wait_for(timeout=60_000)
    yield Student(lab, page)
    page.close()


@pytest.fixture(scope="module")
def alice_desk(release, tmp_path_factory, lab_factory, browser_context) -> Iterator[Student]:
    yield from _student("alice", release, tmp_path_factory, lab_factory, browser_context)


@pytest.fixture(scope="module")
def bob_desk(release, tmp_path_factory, lab_factory, browser_context) -> Iterator[Student]:
    yield from _student("bob", release, tmp_path_factory, lab_factory, browser_context)


def _answer_run_validate(
    student: Student, screenshots: Screenshots, notebook: str, answers: dict[str, str]
) -> StudentRun:
    """Open a notebook, type each answer into its cell, Run All, look, and Validate."""
    page = student.page
    release = nbformat.read(student.lab.root / notebook, as_version=4)
    lab = NotebookPage.open_from_file_browser(page, notebook, screenshots)
    for index, cell in enumerate(release.cells):
        if grade_id(cell) in answers:
            lab.type_into_cell(index, answers[grade_id(cell)])
    screenshots.take(page, "answered")
    lab.run_all()
    screenshots.take(page, "ran-all")
    cells = lab.read_cells()
    alerts = lab.alerts()
    for index, cell in enumerate(release.cells):
        if cells[index].outputs:
            screenshots.take(lab.cell(index), f"cell-{index:02d}-{grade_id(cell) or 'output'}")
    validation = lab.validate()
    return StudentRun(notebook, screenshots, release, cells, alerts, validation)


@pytest.fixture(scope="module", params=NOTEBOOKS)
def alice(request, alice_desk, new_screenshots) -> StudentRun:
    """alice's run of one notebook, every exercise answered as the instructor would."""
    notebook = request.param
    screenshots = new_screenshots(request, f"alice-{notebook}")
    return _answer_run_validate(alice_desk, screenshots, notebook, instructor_answers(notebook))


@pytest.fixture(scope="module", params=MISTAKES, ids=lambda m: m.misconception)
def bob(request, bob_desk, new_screenshots) -> StudentRun:
    """bob's run of one notebook: right answers, except one typical mistake."""
    mistake: Mistake = request.param
    screenshots = new_screenshots(request, f"bob-{mistake.misconception}")
    answers = instructor_answers(mistake.notebook) | {mistake.task: mistake.code}
    run = _answer_run_validate(bob_desk, screenshots, mistake.notebook, answers)
    run.mistake = mistake
    return run


# -------------------------------------------------------- the right answers


def test_students_kernel_is_the_student_runtime(alice_desk: Student) -> None:
    """Every released notebook asks for python3, which this JupyterLab runs in .student-venv."""
    kernelspecs = alice_desk.lab.api("kernelspecs")["kernelspecs"]
    assert kernelspecs["python3"]["spec"]["argv"][0] == str(STUDENT_PYTHON)
    for notebook in NOTEBOOKS:
        metadata = nbformat.read(alice_desk.lab.root / notebook, as_version=4).metadata
        assert metadata["kernelspec"]["name"] == "python3", notebook


def test_every_cell_runs_without_an_error(alice: StudentRun) -> None:
    code_cells = [cell for cell in alice.cells if cell.kind == "code"]
    assert code_cells
    not_run = [
        index for index, cell in enumerate(alice.cells) if cell.kind == "code" and not cell.ran
    ]
    assert not_run == [], f"cells {not_run} did not run"
    errors = [(index, cell.errors) for index, cell in enumerate(alice.cells) if cell.errors]
    assert errors == []
    assert alice.alerts == []


def test_every_visible_check_shows_its_pass_message(alice: StudentRun) -> None:
    checks = alice.check_cells()
    assert checks, f"{alice.notebook} has no graded check"
    for task, cell in checks.items():
        assert [mime for mime, _ in cell.outputs] == ["application/vnd.jupyter.stdout"], task
        shown = PASS_LINE.fullmatch(cell.text.strip())
        assert shown and shown["task"] == task, f"{task}: the page shows {cell.text!r}"


def test_every_picture_is_drawn(alice: StudentRun) -> None:
    for index, cell in enumerate(alice.release.cells):
        if cell.cell_type != "code":
            continue
        view = alice.cells[index]
        assert len(view.image_widths) == expected_pictures(cell.source), f"cell {index}"
        assert all(width > 100 for width in view.image_widths), f"cell {index} has a blank image"
        assert "<Figure size" not in view.text, (
            f"cell {index} printed a figure instead of drawing it"
        )


def test_validate_passes(alice: StudentRun) -> None:
    assert alice.validation.passed, alice.validation.text
    assert "Success! Your notebook passes all the tests." in alice.validation.text


# ------------------------------------------------------ a typical mistake


def test_mistake_is_named_next_to_its_exercise(bob: StudentRun) -> None:
    index = graded_tasks(bob.release)[bob.mistake.task]
    check = bob.cells[index]
    assert bob.mistake.message in check.text
    assert check.errors, "the message should be an error in the check's own output"
    # Nothing else complains, and Run All stopped at that check.
    assert [i for i, cell in enumerate(bob.cells) if cell.errors] == [index]
    assert not any(cell.ran for cell in bob.cells[index + 1 :])


def test_validate_reports_the_mistake(bob: StudentRun) -> None:
    assert not bob.validation.passed
    assert "The following cell failed" in bob.validation.text
    assert bob.mistake.message in bob.validation.text
