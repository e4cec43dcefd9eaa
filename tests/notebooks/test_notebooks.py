"""Tests for the seven course notebooks in source/conv_backprop/.

- Form: nbgrader metadata on every cell that needs it, one task per graded cell with the
  interfaces' hidden block, the points tables right, 100 points in all, no outputs;
  notebook 7's cells carry 0 nbgrader points and their bonus points beside them.
- Solutions pass: nbgrader's Validator, running every source notebook top to bottom in
  the student kernel, passes every graded cell and finds no other cell that errs or writes
  to stderr (tests/course/test_self_study.py runs the solutions and checks every cell's stderr).
- Blanks fail: in the release nbgrader generates, Validator(invert=True) finds no graded
  cell with points that passes, and the plain Validator fails every 0-point bonus cell
  (an inverted Validator counts a 0-point cell as passed whatever it does).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.verify.bonus import BONUS_METADATA_KEY
from autograder.verify.preprocessors import parse_probe_calls
from autograder.verify.tasks import TASKS
from notebook_runs import (
    NOTEBOOKS_DIR,
    SOURCE_DIR,
    copy_folder,
    in_parallel,
    notebook_paths,
    validate,
)

SOURCE_NOTEBOOKS = notebook_paths(SOURCE_DIR)
NAMES = [path.name for path in SOURCE_NOTEBOOKS]
GRADER_BIN = Path(sys.executable).parent


def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _grade_cells(nb) -> list:
    return [cell for cell in nb.cells if _nbgrader(cell).get("grade")]


def _task_of(cell) -> str:
    return _nbgrader(cell)["grade_id"].removeprefix("test_")


def _bonus(cell) -> float:
    """The bonus points a test cell declares beside nbgrader's points (0 for most)."""
    return cell.metadata.get(BONUS_METADATA_KEY, {}).get("bonus_points", 0)


@pytest.fixture(scope="module")
def source_notebooks() -> dict[str, nbformat.NotebookNode]:
    return {path.name: nbformat.read(path, as_version=4) for path in SOURCE_NOTEBOOKS}


# ---------------------------------------------------------------------- form


def test_there_are_seven_numbered_notebooks() -> None:
    assert [name[:3] for name in NAMES] == ["01_", "02_", "03_", "04_", "05_", "06_", "07_"]


@pytest.mark.parametrize(
    "path",
    notebook_paths(SOURCE_DIR)
    + notebook_paths(NOTEBOOKS_DIR)
    + notebook_paths(NOTEBOOKS_DIR / "solutions"),
    ids=str,
)
def test_committed_notebooks_are_valid_and_have_no_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    assert nb.metadata.kernelspec.language == "python"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.mark.parametrize("name", NAMES)
def test_every_cell_carries_the_nbgrader_metadata_it_needs(name: str, source_notebooks) -> None:
    nb = source_notebooks[name]
    grade_ids = [_nbgrader(cell)["grade_id"] for cell in nb.cells if _nbgrader(cell)]
    assert len(grade_ids) == len(set(grade_ids))
    for cell in nb.cells:
        meta = _nbgrader(cell)
        if cell.cell_type == "markdown":
            assert meta["locked"] and not meta["solution"] and not meta["grade"]
            assert meta["schema_version"] == 3
        elif meta.get("solution"):
            assert not meta["grade"] and not meta["locked"]
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
        elif meta.get("grade"):
            # Points for nbgrader, or 0 points and a bonus beside them, never both.
            assert meta["locked"] and (meta["points"] > 0) != (_bonus(cell) > 0)
        if _bonus(cell):
            assert meta.get("grade") and meta["points"] == 0
        for marker in ("BEGIN SOLUTION", "HIDDEN TESTS"):
            if marker in cell.source:
                assert meta.get("solution" if marker == "BEGIN SOLUTION" else "grade")


@pytest.mark.parametrize("name", NAMES)
def test_each_graded_cell_checks_one_task_visibly_and_probes_it(
    name: str, source_notebooks
) -> None:
    nb = source_notebooks[name]
    answers = {_nbgrader(c)["grade_id"] for c in nb.cells if _nbgrader(c).get("solution")}
    for cell in _grade_cells(nb):
        task = _task_of(cell)
        assert task in answers, f"no answer cell for {task}"
        lines = cell.source.split("\n")
        assert re.fullmatch(r'"""[^"\n]+\."""', lines[0]), lines[0]
        assert lines[1] == f"checks.check_{task}({task})"
        (call,) = parse_probe_calls(cell.source)
        assert (call.task, call.argument) == (task, task)
        assert call.kind == TASKS[task].probe


@pytest.mark.parametrize("name", NAMES)
def test_each_notebook_opens_with_goals_and_a_points_table_that_adds_up(
    name: str, source_notebooks
) -> None:
    nb = source_notebooks[name]
    header = nb.cells[0].source
    assert "**You will learn to**" in header
    rows = dict(re.findall(r"^\| \d\.\d `(\w+)`[^|]*\| (\d+) \|$", header, flags=re.M))
    points = {
        _task_of(cell): _nbgrader(cell)["points"] or _bonus(cell) for cell in _grade_cells(nb)
    }
    assert {task: int(p) for task, p in rows.items()} == points
    (total,) = re.findall(r"\| \*\*this notebook\*\* \| \*\*(\d+)\*\*(.*)\|$", header, re.M)
    assert int(total[0]) == sum(points.values())
    # A bonus notebook says so in its table: its points come on top of the 100.
    bonus = any(_bonus(cell) for cell in _grade_cells(nb))
    assert ("| bonus points |" in header) == bonus
    assert ("bonus points, on top of" in total[1]) == bonus
    setup = nb.cells[1].source
    assert "import conv_checks as checks" in setup


def test_the_assignment_grades_every_registered_task_once_for_100_points(
    source_notebooks,
) -> None:
    graded = [_task_of(c) for nb in source_notebooks.values() for c in _grade_cells(nb)]
    assert sorted(graded) == sorted(TASKS)
    points = [_nbgrader(c)["points"] for nb in source_notebooks.values() for c in _grade_cells(nb)]
    assert sum(points) == 100
    # The optional extension (design §1) is worth bonus points, on top of the 100: every
    # graded cell of notebook 7 and no other.
    bonus = {_task_of(c): _bonus(c) for nb in source_notebooks.values() for c in _grade_cells(nb)}
    assert {task for task, b in bonus.items() if b} == {
        task for task in TASKS if TASKS[task].notebook == "07_conv_layer"
    }
    assert sum(bonus.values()) == 20


# ------------------------------------------------------------ solutions pass


@pytest.fixture(scope="module")
def source_copy(tmp_path_factory) -> Path:
    return copy_folder(SOURCE_DIR, tmp_path_factory.mktemp("source") / "conv_backprop")


def _validate_all(path: Path) -> dict:
    return validate(path, validate_all=True)


def _validate_inverted(path: Path) -> dict:
    return validate(path, invert=True)


def test_nbgrader_validator_passes_every_source_notebook(source_copy) -> None:
    """Every graded cell passes and no other code cell errs or writes to stderr."""
    paths = notebook_paths(source_copy)
    assert dict(zip(NAMES, in_parallel(_validate_all, paths), strict=True)) == {
        name: {} for name in NAMES
    }


# -------------------------------------------------------------- blanks fail


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    course = tmp_path_factory.mktemp("course")
    copy_folder(SOURCE_DIR, course / "source" / "conv_backprop")
    (course / "nbgrader_config.py").write_text(
        'c = get_config()\nc.CourseDirectory.course_id = "conv_backprop"\n', encoding="utf-8"
    )
    environment = {**os.environ, "PATH": f"{GRADER_BIN}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [str(GRADER_BIN / "nbgrader"), "generate_assignment", "conv_backprop", "--force"],
        cwd=course,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return course / "release" / "conv_backprop"


def test_released_notebooks_hide_solutions_and_hidden_tests(release) -> None:
    assert [path.name for path in notebook_paths(release)] == NAMES
    for path in notebook_paths(release):
        text = path.read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
        assert "conv_probe" not in text
        assert text.count("raise NotImplementedError()") == sum(
            bool(_nbgrader(c).get("solution")) for c in nbformat.reads(text, 4).cells
        )


def _bonus_sources(path: Path) -> set[str]:
    return {c.source for c in nbformat.read(path, as_version=4).cells if _bonus(c)}


def test_every_graded_cell_of_a_blank_release_fails(release) -> None:
    paths = notebook_paths(release)
    bonus_paths = [path for path in paths if _bonus_sources(path)]
    assert [path.name for path in bonus_paths] == ["07_conv_layer.ipynb"]
    runs = in_parallel(_validate_inverted, paths) + in_parallel(validate, bonus_paths)
    for path, results in zip(paths, runs[: len(paths)], strict=True):
        assert "changed" not in results and "type_changed" not in results, path.name
        passed = {cell["source"] for cell in results.get("passed", [])}
        assert passed == _bonus_sources(path), path.name  # 0 points always "pass" inverted
    for path, results in zip(bonus_paths, runs[len(paths) :], strict=True):
        failed = {cell["source"] for cell in results.get("failed", [])}
        assert _bonus_sources(path) <= failed, path.name


def test_the_self_study_student_version_is_the_nbgrader_release(release) -> None:
    for path in notebook_paths(release):
        released = nbformat.read(path, as_version=4)
        self_study = nbformat.read(NOTEBOOKS_DIR / path.name, as_version=4)
        assert [c.source for c in self_study.cells[1:]] == [c.source for c in released.cells]
