"""Submitted nbgrader metadata: a pasted, edited or emptied block costs an honest student
nothing and earns a dishonest one nothing. Graded by plain ``nbgrader autograde``."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell
from nbformat.v4.nbbase import random_cell_id

from autograder.course.course_config import load_course_config
from autograder.verify.config import sanitize_preprocessors
from tiny_course import ANSWERS, ASSIGNMENT, make_course, submit

GOOD = {name: next(iter(answer.values())) for name, answer in ANSWERS.items()}
WRONG_ADD = "def add(a, b):\n    return a - b"
INSTRUCTIONS, ANSWER, TEST = 0, 1, 2  # the cells of a released tiny notebook


def _copy(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A pasted cell, as JupyterLab makes it: everything copied but the cell id."""
    pasted = copy.deepcopy(cell)
    pasted.id = random_cell_id()
    return pasted


def _block(**fields: object) -> dict:
    return {"grade": False, "solution": False, "locked": True, "schema_version": 3} | fields


def _paste_instructions(cells: list) -> None:
    cells.insert(INSTRUCTIONS + 1, _copy(cells[INSTRUCTIONS]))


def _paste_without_grade_id(cells: list) -> None:
    cells.insert(INSTRUCTIONS + 1, new_markdown_cell("My notes.", metadata={"nbgrader": _block()}))


def _empty_answer_block(cells: list) -> None:
    cells[ANSWER].metadata["nbgrader"] = {}


def _unknown_grade_id(cells: list) -> None:
    block = _block(grade=True, points=100, grade_id="extra_credit")
    cells.insert(TEST + 1, new_code_cell("print('free points')", metadata={"nbgrader": block}))


def _not_a_block(cells: list) -> None:
    cells[INSTRUCTIONS].metadata["nbgrader"] = "not a dict"


def _answer_twice(cells: list) -> None:
    first_try = _copy(cells[ANSWER])
    first_try.source = WRONG_ADD
    cells.insert(ANSWER, first_try)


def _test_made_a_solution_worth_more(cells: list) -> None:
    block = cells[TEST].metadata["nbgrader"]
    block.update(solution=True, locked=False, points=100)
    cells[TEST].source = "print('ok')"


def _test_block_removed(cells: list) -> None:
    del cells[TEST].metadata["nbgrader"]
    cells[TEST].source = "print('ok')"


def _test_id_on_a_later_cell(cells: list) -> None:
    stolen = _copy(cells[TEST])
    stolen.source = "print('ok')"
    cells.append(stolen)
    cells[TEST].source = "print('ok')"


# student -> (what is done to 01_add's cells, the answer, the score 01_add must get)
CASES: dict[str, tuple[Callable[[list], None], str, float]] = {
    "pastes_instructions": (_paste_instructions, GOOD["01_add"], 2),
    "pastes_without_grade_id": (_paste_without_grade_id, GOOD["01_add"], 2),
    "empties_answer_block": (_empty_answer_block, GOOD["01_add"], 2),
    "unknown_grade_id": (_unknown_grade_id, GOOD["01_add"], 2),
    "not_a_block": (_not_a_block, GOOD["01_add"], 2),
    "answers_twice": (_answer_twice, GOOD["01_add"], 2),
    "test_made_a_solution": (_test_made_a_solution_worth_more, WRONG_ADD, 0),
    "test_block_removed": (_test_block_removed, WRONG_ADD, 0),
    "test_id_on_a_later_cell": (_test_id_on_a_later_cell, WRONG_ADD, 0),
}


def _scores(course: Path) -> dict[tuple[str, str], tuple[float, float]]:
    """(student, notebook) -> (score, max score) from the gradebook."""
    from nbgrader.api import Gradebook
    from nbgrader.coursedir import CourseDirectory

    coursedir = CourseDirectory(config=load_course_config(course))
    scores = {}
    with warnings.catch_warnings(), Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        warnings.simplefilter("ignore")
        for student in gb.students:
            for notebook in gb.find_submission(ASSIGNMENT, student.id).notebooks:
                scores[(student.id, notebook.name)] = (notebook.score, notebook.max_score)
    return scores


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every case submitted to the tiny course (notebook 01_add only), graded by plain
    `nbgrader autograde`."""
    course = make_course(tmp_path_factory.mktemp("metadata") / "course", timeout=5)
    for student, (edit, answer, _) in CASES.items():
        folder = submit(course, student, {"01_add": answer, "02_mul": None})
        path = folder / "01_add.ipynb"
        notebook = nbformat.read(path, as_version=4)
        edit(notebook.cells)
        nbformat.write(notebook, path)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    run = subprocess.run(
        [sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
    )
    return course, run


@pytest.mark.parametrize("student", [s for s, (*_, score) in CASES.items() if score])
def test_an_honest_edit_of_nbgrader_metadata_costs_no_points(graded, student):
    course, run = graded
    scores = _scores(course)
    assert scores[(student, "01_add")] == (2, 2), run.stderr[-3000:]
    assert (course / "autograded" / student / ASSIGNMENT / "01_add.ipynb").exists()


@pytest.mark.parametrize("student", [s for s, (*_, score) in CASES.items() if not score])
def test_no_edit_of_nbgrader_metadata_earns_a_point(graded, student):
    course, run = graded
    assert _scores(course)[(student, "01_add")] == (0, 2), run.stderr[-3000:]


def test_the_autograded_notebook_holds_only_the_gradebooks_blocks(graded):
    course, _ = graded
    notebook = nbformat.read(
        course / "autograded" / "test_made_a_solution" / ASSIGNMENT / "01_add.ipynb", 4
    )
    blocks = [cell.metadata.get("nbgrader") for cell in notebook.cells]
    test_blocks = [block for block in blocks if block and block["grade_id"] == "add_test"]
    assert len(test_blocks) == 1
    (block,) = test_blocks
    assert (block["grade"], block["solution"], block["locked"], block["points"]) == (
        True,
        False,
        True,
        2.0,
    )


def test_the_cleaning_runs_before_nbgrader_reads_the_metadata():
    names = [step.__name__ for step in sanitize_preprocessors()]
    assert names.index("RestoreCellMetadata") < names.index("DeduplicateIds")
    assert names.index("DeduplicateIds") < names.index("OverwriteCells")
    assert "CheckCellMetadata" in names
