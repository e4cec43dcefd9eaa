"""A one-notebook nbgrader course whose submissions attack the grading sandbox.

Each student's submission is the released notebook, answered, with one cell (``attack``)
holding that student's code (the attacks are in tests/jail/test_execute.py). Around that
cell sit two graded tests worth one point each, so a score tells how far grading got:
2 when the attack cost nothing, 1 when the kernel stopped in the attack. Every
submission also ships a forged ``conv_probe.py``, which grading must ignore.

Used by tests/jail/test_execute.py and benchmarks/sandbox_overhead.py.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook
from nbgrader.api import Gradebook

from probe_course import STUDENT_KERNELSPEC, nbgrader

ASSIGNMENT = "conv_backprop"
NOTEBOOK = "sandbox_check"
VENV_BIN = Path(sys.executable).parent
#: The trusted helper's marker; a submission ships a forged copy without it.
TRUSTED_MARKER = "trusted helper from source/"

CONFIG = """\
from pathlib import Path

from autograder.verify.config import configure

c = get_config()
c.CourseDirectory.course_id = "conv_backprop"
configure(c, Path(__file__).resolve().parent, verify=False)
c.Execute.timeout = {timeout}
{extra}
"""


def _cell(source: str, grade_id: str, *, test: bool) -> nbformat.NotebookNode:
    meta = {"grade_id": grade_id, "schema_version": 3, "locked": test, "solution": not test}
    meta |= {"grade": True, "points": 1} if test else {"grade": False}
    return new_code_cell(source, metadata={"nbgrader": meta})


def _source_notebook() -> nbformat.NotebookNode:
    cells = [
        _cell("### BEGIN SOLUTION\nfirst = 1\n### END SOLUTION", "first", test=False),
        _cell("assert first == 1", "test_first", test=True),
        _cell("### BEGIN SOLUTION\nattack = None\n### END SOLUTION", "attack", test=False),
        _cell("assert first == 1", "test_after", test=True),
    ]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = dict(STUDENT_KERNELSPEC)
    return notebook


def write_config(course: Path, *, timeout: int = 5, extra: str = "") -> None:
    """(Re)write the course's nbgrader_config.py; ``extra`` lines are appended."""
    (course / "nbgrader_config.py").write_text(CONFIG.format(timeout=timeout, extra=extra))


def make_course(course: Path, attacks: dict[str, str], **config) -> None:
    """Build ``course``: source, release and one submission per ``attacks`` entry.

    Parameters
    ----------
    course : Path
        An empty folder.
    attacks : dict
        Student id -> source of that student's ``attack`` cell.
    **config
        Passed to :func:`write_config`.
    """
    write_config(course, **config)
    source = course / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    nbformat.write(_source_notebook(), source / f"{NOTEBOOK}.ipynb")
    (source / "conv_probe.py").write_text(f"MARKER = {TRUSTED_MARKER!r}\n")
    (source / "conv_checks_expected.json").write_text('{"data": "released"}\n')
    done = nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    if done.returncode != 0:
        raise RuntimeError(done.stdout + done.stderr)
    released = nbformat.read(course / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", 4)
    for student, attack in attacks.items():
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        notebook = nbformat.from_dict(json.loads(json.dumps(released)))
        answers = {"first": "first = 1", "attack": attack}
        for cell in notebook.cells:
            cell.source = answers.get(cell.metadata["nbgrader"]["grade_id"], cell.source)
        nbformat.write(notebook, folder / f"{NOTEBOOK}.ipynb")
        (folder / "conv_probe.py").write_text('MARKER = "forged by the student"\n')


def scores(course: Path) -> dict[str, float]:
    """Student id -> total score of the assignment, read from the course's gradebook."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {
            submission.student_id: submission.score
            for submission in gradebook.assignment_submissions(ASSIGNMENT)
        }


def graded_cells(course: Path, student: str) -> dict[str, nbformat.NotebookNode]:
    """Grade id -> cell of ``student``'s autograded notebook."""
    path = course / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    notebook = nbformat.read(path, 4)
    return {cell.metadata["nbgrader"]["grade_id"]: cell for cell in notebook.cells}
