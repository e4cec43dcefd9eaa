"""A one-notebook nbgrader course with a probed test cell for every graded task.

Graded with this repository's own ``nbgrader_config.py`` (exec'd by the fixture's config,
then pointed at the fixture folder), so tests and the benchmark exercise exactly what
``nbgrader autograde`` runs in the course root: the sandboxed student runtime, the
probes, the verifier and the fail-closed guard.

A submission is a dict: ``"prelude"`` (code run first: helpers, or an attack) and, per
task, the source that defines it (e.g. ``"conv2d_forward = lambda X, F: ..."``). Tasks
left out get the reference implementation, shipped as student code (numpy only), so
each submission differs from a correct one exactly where a test wants it to.

Used by tests/verify/test_preprocessors.py, tests/verify/test_hide_hidden_tests.py and
benchmarks/bench_verification.py.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.verify import tasks
from autograder.verify.tasks import FUNCTION_TASKS, HAND_VALUE_TASKS

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENT = "conv_backprop"
NOTEBOOK = "probed"
VENV_BIN = Path(sys.executable).parent
TASKS = FUNCTION_TASKS + HAND_VALUE_TASKS
#: The notebook metadata of every fixture notebook: graded in the student runtime.
STUDENT_KERNELSPEC = {
    "name": "conv-backprop-student",
    "display_name": "Python 3 (conv-backprop student runtime)",
    "language": "python",
}

#: The fixture's config: the repo's course config, re-rooted at the fixture folder.
CONFIG = """\
from pathlib import Path

c = get_config()
_repo_config = Path({repo_config!r})
exec(
    compile(_repo_config.read_text(), str(_repo_config), "exec"),
    {{"get_config": get_config, "__file__": str(_repo_config), "__name__": "nbgrader_config"}},
)
_root = Path(__file__).resolve().parent
c.CourseDirectory.root = str(_root)
c.Sandbox.helper_dir = str(_root / "source" / "conv_backprop")
from autograder.verify.bonus import bonus_points_in
c.VerifyProbes.bonus_points = bonus_points_in(_root / "source" / "conv_backprop")
c.Execute.timeout = {timeout}
{extra}
"""

#: A stock nbgrader config for the same course: hidden blocks run as plain code.
STOCK_CONFIG = """\
from nbgrader.converters import Autograde

c = get_config()
c.CourseDirectory.course_id = "conv_backprop"
c.Execute.kernel_name = "conv-backprop-student"
c.Autograde.autograde_preprocessors = list(
    Autograde.class_traits()["autograde_preprocessors"].default()
)
"""

#: The reference, as a student could write it: numpy only, exec'd into a module ``ref``
#: (notebooks 1 to 6's maths, and notebook 7's layer functions beside it: the layer runs
#: in a module of its own, whose private helpers differ from reference.py's).
REFERENCE_PRELUDE = f"""\
import types as _types
import numpy as np
ref = _types.ModuleType("ref")
exec({(REPO / "autograder" / "maths" / "reference.py").read_text()!r}, ref.__dict__)
_layer = _types.ModuleType("layer")
exec({(REPO / "autograder" / "maths" / "layer.py").read_text()!r}, _layer.__dict__)
for _name in _layer.__all__:
    setattr(ref, _name, getattr(_layer, _name))
"""

#: A correct answer to every graded hand-computed value, written as a student could.
HAND_VALUE_ANSWERS = {
    "O_by_hand": "[[10, 3], [9, 18]]",
    "Z_by_hand": "10",
    "dO_by_hand": "[[0.25, 0.25], [0.25, 0.25]]",
    "dF_by_hand": "[[Fraction(9, 4), Fraction(13, 4)], [Fraction(7, 4), Fraction(3, 4)]]",
    "dX_by_hand": "np.array([[0, 3, 3], [1, 2, 1], [1, -1, -2]]) / 4",
}


def correct_answer(task: str) -> str:
    """The source of a correct answer to ``task`` (after :data:`REFERENCE_PRELUDE`)."""
    if task in HAND_VALUE_TASKS:
        return f"from fractions import Fraction\n{task} = {HAND_VALUE_ANSWERS[task]}"
    return f"{task} = ref.{tasks.function_task(task).reference.__name__}"


def _cell(source: str, grade_id: str, *, test: bool) -> nbformat.NotebookNode:
    nbgrader = {"grade_id": grade_id, "schema_version": 3, "locked": test, "solution": not test}
    nbgrader |= {"grade": True, "points": 2} if test else {"grade": False}
    return new_code_cell(source, metadata={"nbgrader": nbgrader})


def graded_cell_source(task: str) -> str:
    """A graded test cell as the interfaces fix it: a visible part, then the probe."""
    call = tasks.TASKS[task].probe
    visible = f'"""{task}: the visible part of this test cell."""\nprint("visible check ran")'
    if task == "conv2d_forward":  # a real visible check, fooled by np.allclose patching
        visible += (
            "\nassert np.allclose(conv2d_forward(np.array([[2, 3, 4], [3, 1, 5], [4, -1, -2]]),"
            " np.array([[0, 3], [1, -2]])), [[10, 3], [9, 18]]), 'visible check failed'"
        )
    hidden = f'import conv_probe\nconv_probe.{call}("{task}", {task})'
    return f"{visible}\n### BEGIN HIDDEN TESTS\n{hidden}\n### END HIDDEN TESTS"


def source_notebook() -> nbformat.NotebookNode:
    """The instructor's notebook: a prelude cell, then an answer and a test per task."""
    cells = [
        new_markdown_cell("Probed tasks."),
        _cell(
            "### BEGIN SOLUTION\n" + REFERENCE_PRELUDE + "### END SOLUTION", "prelude", test=False
        ),
    ]
    for task in TASKS:
        answer = "### BEGIN SOLUTION\n" + correct_answer(task) + "\n### END SOLUTION"
        cells += [_cell(answer, f"{task}_answer", test=False)]
        cells += [_cell(graded_cell_source(task), f"test_{task}", test=True)]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = dict(STUDENT_KERNELSPEC)
    return notebook


def nbgrader(course: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """Run ``nbgrader *args`` in ``course`` with the grader venv first on PATH."""
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        [str(VENV_BIN / "nbgrader"), *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def write_config(course: Path, *, timeout: int = 30, extra: str = "", stock: bool = False) -> None:
    """(Re)write the fixture's nbgrader_config.py: the repo's trusted one, or stock."""
    text = (
        STOCK_CONFIG
        if stock
        else CONFIG.format(
            repo_config=str(REPO / "nbgrader_config.py"), timeout=timeout, extra=extra
        )
    )
    (course / "nbgrader_config.py").write_text(text)


def make_course(course: Path, **config) -> None:
    """Create the source and release of the fixture course in the empty folder ``course``."""
    write_config(course, **config)
    source = course / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    nbformat.write(source_notebook(), source / f"{NOTEBOOK}.ipynb")
    shutil.copy(REPO / "source" / ASSIGNMENT / "conv_probe.py", source / "conv_probe.py")
    done = nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    if done.returncode != 0:
        raise RuntimeError(done.stdout + done.stderr)


def submit(course: Path, student: str, answers: dict[str, str], *, edit=None) -> None:
    """Write a submission: the released notebook with ``answers`` filled in.

    Parameters
    ----------
    course : Path
        A folder prepared by :func:`make_course`.
    student : str
        The student id.
    answers : dict
        ``"prelude"`` and task names -> source; missing ones get correct answers.
    edit : callable or None
        Called with the submission notebook before it is written (to edit test cells).
    """
    released = nbformat.read(course / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", 4)
    notebook = nbformat.from_dict(json.loads(json.dumps(released)))
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if grade_id == "prelude":
            cell.source = REFERENCE_PRELUDE + answers.get("prelude", "")
        elif grade_id.endswith("_answer"):
            task = grade_id.removesuffix("_answer")
            cell.source = answers.get(task, correct_answer(task))
    if edit is not None:
        edit(notebook)
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(notebook, folder / f"{NOTEBOOK}.ipynb")


def scores(course: Path) -> dict[str, dict[str, float]]:
    """Student -> grade cell id -> score (auto score, or manual when set), from the gradebook."""
    with sqlite3.connect(course / "gradebook.db") as db:
        rows = db.execute(
            """
            SELECT submitted_assignment.student_id, base_cell.name,
                   COALESCE(grade.manual_score, grade.auto_score)
            FROM grade
            JOIN base_cell ON grade.cell_id = base_cell.id
            JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id
            JOIN submitted_assignment ON submitted_notebook.assignment_id = submitted_assignment.id
            """
        ).fetchall()
    out: dict[str, dict[str, float]] = {}
    for student, cell, score in rows:
        out.setdefault(student, {})[cell] = score
    return out


def graded_cells(course: Path, student: str) -> dict[str, nbformat.NotebookNode]:
    """Grade id -> cell of the student's autograded notebook."""
    path = course / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    notebook = nbformat.read(path, 4)
    return {
        cell.metadata["nbgrader"]["grade_id"]: cell
        for cell in notebook.cells
        if "grade_id" in cell.metadata.get("nbgrader", {})
    }
