"""A two-notebook nbgrader course, small enough to grade in a second, for pipeline tests.

Each notebook holds a locked instructions cell, an answer cell and a graded test cell
(and, if asked, a locked cell of given code at the end).

It runs in the student kernel with plain nbgrader settings, so the pipeline is tested on
its own; the real course and its verifier are covered by tests/course/test_demo.py.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.course.build import build

ASSIGNMENT = "tiny"

CONFIG = """\
from pathlib import Path

from autograder.verify.config import configure

c = get_config()
c.CourseDirectory.course_id = "tiny"
configure(c, Path(__file__).resolve().parent, "tiny", verify=False)
c.Execute.timeout = {timeout}
{extra}
"""

#: The correct answers, by notebook: each has one function worth 2 points and one worth 3.
ANSWERS = {
    "01_add": {"add": "def add(a, b):\n    return a + b"},
    "02_mul": {"mul": "def mul(a, b):\n    return a * b"},
}
TESTS = {
    "01_add": 'assert add(2, 3) == 5\nassert add(-1, 1) == 0\nprint("ok")',
    "02_mul": 'assert mul(2, 3) == 6\nassert mul(0, 7) == 0\nprint("ok")',
}
POINTS = {"01_add": 2, "02_mul": 3}


def _source_notebook(name: str, given: str | None = None) -> nbformat.NotebookNode:
    ((function, answer),) = ANSWERS[name].items()
    solution = f"### BEGIN SOLUTION\n{answer}\n### END SOLUTION"
    cells = [
        new_markdown_cell(
            f"Write `{function}`.",
            metadata={
                "nbgrader": {
                    "grade": False,
                    "solution": False,
                    "locked": True,
                    "grade_id": f"{function}_instructions",
                    "schema_version": 3,
                }
            },
        ),
        new_code_cell(
            solution,
            metadata={
                "nbgrader": {
                    "grade": False,
                    "solution": True,
                    "locked": False,
                    "grade_id": f"{function}_answer",
                    "schema_version": 3,
                }
            },
        ),
        new_code_cell(
            TESTS[name],
            metadata={
                "nbgrader": {
                    "grade": True,
                    "solution": False,
                    "locked": True,
                    "points": POINTS[name],
                    "grade_id": f"{function}_test",
                    "schema_version": 3,
                }
            },
        ),
    ]
    if given is not None:
        # Code the notebook gives, after its exercise (as later course notebooks give
        # correct versions of earlier exercises).
        cells.append(
            new_code_cell(
                given,
                metadata={
                    "nbgrader": {
                        "grade": False,
                        "solution": False,
                        "locked": True,
                        "grade_id": f"{function}_given",
                        "schema_version": 3,
                    }
                },
            )
        )
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {
        "name": "conv-backprop-student",
        "display_name": "student",
        "language": "python",
    }
    return notebook


def make_course(
    root: Path, *, timeout: int = 10, given: dict[str, str] | None = None, extra: str = ""
) -> Path:
    """Write the course's config and source notebooks, then generate the release (nbgrader's
    generate_assignment, through :func:`autograder.course.build.build`).

    ``given`` adds, per notebook, a locked code cell of given code at its end; ``extra``
    lines are appended to the config.
    """
    root.mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text(CONFIG.format(timeout=timeout, extra=extra))
    source = root / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    for name in ANSWERS:
        notebook = _source_notebook(name, (given or {}).get(name))
        nbformat.write(notebook, source / f"{name}.ipynb")
    build(root, ASSIGNMENT)
    return root


def submit(course: Path, student: str, answers: dict[str, str | list[str] | bytes | None]) -> Path:
    """Write a submission from the release: per notebook, answer code, raw bytes, or None.

    A notebook left out of ``answers`` is submitted blank (as released); None leaves it
    out of the submission; bytes are written as they are (a corrupt file); a list is the
    answer followed by code cells the student added after it.
    """
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    for name in ANSWERS:
        answer = answers.get(name, "")
        if answer is None:
            continue
        target = folder / f"{name}.ipynb"
        if isinstance(answer, bytes):
            target.write_bytes(answer)
            continue
        notebook = nbformat.read(course / "release" / ASSIGNMENT / f"{name}.ipynb", 4)
        answer, *added = [answer] if isinstance(answer, str) else answer
        if answer:
            notebook.cells[1].source = answer
        notebook.cells[2:2] = [new_code_cell(source) for source in added]
        nbformat.write(notebook, target)
    return folder
