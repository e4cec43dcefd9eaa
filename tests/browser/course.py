"""The course as the browser tests need it: a fresh release, and the instructor's answers."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from pathlib import Path

import nbformat

from .lab_server import GRADER_BIN, REPO, isolated_environment

__all__ = [
    "ASSIGNMENT",
    "FLIPPED_FORWARD",
    "NOTEBOOKS",
    "PASS_LINE",
    "SELF_STUDY",
    "SOURCE",
    "UNROTATED_BACKWARD_INPUT",
    "build_release",
    "expected_pictures",
    "grade_id",
    "graded_tasks",
    "instructor_answers",
]

ASSIGNMENT = "conv_backprop"
SOURCE = REPO / "source" / ASSIGNMENT
NOTEBOOKS = sorted(path.name for path in SOURCE.glob("*.ipynb"))
SELF_STUDY = REPO / "notebooks"

#: What a visible check prints when it passes (conv_checks' contract: one short line,
#: naming the examples it was right on; a failing one says where it went wrong).
PASS_LINE = re.compile(r"(?P<task>\w+): (correct on (?:(?!, wrong on)[^\n])+|exactly right)\.")

_SOLUTION_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
# Every picture the notebooks draw goes through a plotting helper or plt.show().
_PICTURE_CALL = re.compile(r"\b(?:plots\.show_\w+|plt\.show)\(")


# Two typical mistakes, as a student would type them.
FLIPPED_FORWARD = '''\
def conv2d_forward(X, F):
    """Slide F over X, but flip it first, as a textbook convolution does."""
    X = np.asarray(X, dtype=float)
    F = np.asarray(F, dtype=float)[::-1, ::-1]
    kh, kw = F.shape
    O = np.zeros((X.shape[0] - kh + 1, X.shape[1] - kw + 1))
    for a in range(O.shape[0]):
        for b in range(O.shape[1]):
            O[a, b] = np.sum(X[a : a + kh, b : b + kw] * F)
    return O'''

UNROTATED_BACKWARD_INPUT = '''\
def conv2d_backward_input(dO, F):
    """Pad dO and correlate it with F, forgetting to rotate F."""
    F = np.asarray(F, dtype=float)
    kh, kw = F.shape
    return conv2d_forward(pad2d(dO, (kh - 1, kw - 1)), F)'''


def build_release(course: Path, home: Path) -> Path:
    """Copy the course into ``course`` and release it with ``nbgrader generate_assignment``.

    Parameters
    ----------
    course : Path
        An empty folder that becomes the course root (source, config, gradebook, release).
    home : Path
        An empty folder for HOME and the Jupyter directories of the nbgrader run.

    Returns
    -------
    Path
        The released assignment folder, ``course/release/conv_backprop``.
    """
    shutil.copytree(SOURCE, course / "source" / ASSIGNMENT)
    shutil.copy(REPO / "nbgrader_config.py", course / "nbgrader_config.py")
    result = subprocess.run(
        [str(GRADER_BIN / "nbgrader"), "generate_assignment", ASSIGNMENT, "--force"],
        cwd=course,
        env=isolated_environment(home),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader generate_assignment failed:\n{result.stderr}")
    return course / "release" / ASSIGNMENT


def grade_id(cell: nbformat.NotebookNode) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def graded_tasks(notebook: nbformat.NotebookNode) -> dict[str, int]:
    """The task each graded test cell checks (its grade_id without ``test_``), by cell index."""
    return {
        grade_id(cell).removeprefix("test_"): index
        for index, cell in enumerate(notebook.cells)
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade")
    }


def instructor_answers(notebook: str) -> dict[str, str]:
    """The instructor's answer to every exercise of a source notebook, by grade_id.

    An answer is the solution cell as the instructor wrote it, without the
    ``### BEGIN/END SOLUTION`` marker lines: what a student who got it right types.
    """
    source = nbformat.read(SOURCE / notebook, as_version=4)
    return {
        grade_id(cell): "\n".join(
            line for line in cell.source.splitlines() if not _SOLUTION_MARKER.match(line)
        )
        for cell in source.cells
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution")
    }


def expected_pictures(source: str) -> int:
    """How many pictures a code cell draws: one per plotting call in its source, times
    the length of each literal list or tuple a ``for`` around the call runs over."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython syntax (magics): no loops to count
        return len(_PICTURE_CALL.findall(source))
    return _pictures_in(tree.body)


def _pictures_in(statements: list[ast.stmt]) -> int:
    count = 0
    for statement in statements:
        if isinstance(statement, ast.For):
            runs = (
                len(statement.iter.elts) if isinstance(statement.iter, (ast.List, ast.Tuple)) else 1
            )
            count += runs * _pictures_in(statement.body) + _pictures_in(statement.orelse)
        else:
            count += len(_PICTURE_CALL.findall(ast.unparse(statement)))
    return count
