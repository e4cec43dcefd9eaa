"""The self-study edition in a real browser: the dL/dX notebook and its revealed solution.

The edition (``notebooks/``, as committed) offers each notebook's solution as a link to
``solutions/<same name>``. A learner opens the exercise notebook, follows that link, runs
the solution from top to bottom and sees every check pass and every heatmap drawn.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import nbformat
import pytest

from .course import PASS_LINE, SELF_STUDY, expected_pictures, graded_tasks
from .lab_page import CellView, NotebookPage, Screenshots
from .lab_server import LabServer

NOTEBOOK = "04_input_gradient.ipynb"
SOLUTION = f"solutions/{NOTEBOOK}"


@dataclass
class SolutionRun:
    """The solution notebook as the page showed it after Run All."""

    screenshots: Screenshots
    exercise_title: str
    exercise_cells: list[CellView]
    title: str
    solution: nbformat.NotebookNode
    cells: list[CellView]
    alerts: list[str]


@pytest.fixture(scope="module")
def self_study_lab(tmp_path_factory, lab_factory) -> LabServer:
    copy = tmp_path_factory.mktemp("learner") / "notebooks"
    shutil.copytree(SELF_STUDY, copy)
    return lab_factory(copy)


@pytest.fixture(scope="module")
def revealed(request, self_study_lab, browser_context, new_screenshots) -> SolutionRun:
    screenshots = new_screenshots(request, "self-study")
    page = browser_context.new_page()
    try:
        exercise = NotebookPage.open(
            page, self_study_lab.url(f"/lab/tree/{NOTEBOOK}?reset"), NOTEBOOK, screenshots
        )
        exercise_title = exercise.title()
        exercise_cells = exercise.read_cells()
        lab = exercise.follow_link(SOLUTION, SOLUTION)
        title = lab.title()
        lab.run_all()
        screenshots.take(page, "ran-all")
        cells = lab.read_cells()
        alerts = lab.alerts()
        for index, cell in enumerate(cells):
            if cell.image_widths:
                screenshots.take(lab.cell(index), f"cell-{index:02d}-pictures")
    finally:
        page.close()
    solution = nbformat.read(self_study_lab.root / SOLUTION, as_version=4)
    return SolutionRun(screenshots, exercise_title, exercise_cells, title, solution, cells, alerts)


def test_the_exercise_notebook_opens_unrun(revealed: SolutionRun) -> None:
    assert len(revealed.exercise_cells) > 10
    assert not any(cell.ran for cell in revealed.exercise_cells)


def test_the_solution_says_it_is_one_the_exercise_does_not(revealed: SolutionRun) -> None:
    # Both tabs carry the file's name; the title on the page tells them apart.
    assert revealed.exercise_title == "4. The input gradient dL/dX"
    assert revealed.title == "Solution: 4. The input gradient dL/dX"


def test_the_solution_runs_and_every_check_passes(revealed: SolutionRun) -> None:
    code = [cell for cell in revealed.cells if cell.kind == "code"]
    assert code
    assert all(cell.ran for cell in code)
    assert [cell.errors for cell in revealed.cells if cell.errors] == []
    assert revealed.alerts == []
    tasks = graded_tasks(revealed.solution)
    assert "conv2d_backward_input" in tasks
    for task, index in tasks.items():
        shown = PASS_LINE.fullmatch(revealed.cells[index].text.strip())
        assert shown and shown["task"] == task, f"{task}: {revealed.cells[index].text!r}"


def test_the_solution_draws_its_heatmaps(revealed: SolutionRun) -> None:
    drawn = 0
    for index, cell in enumerate(revealed.solution.cells):
        if cell.cell_type == "code":
            widths = revealed.cells[index].image_widths
            assert len(widths) == expected_pictures(cell.source), f"cell {index}"
            assert all(width > 100 for width in widths), f"cell {index} has a blank image"
            drawn += len(widths)
    assert drawn >= 2
