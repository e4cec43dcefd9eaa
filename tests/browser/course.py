"""The course as the browser tests need it: a fresh release, and the instructor's answers."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import nbformat
from lab_server import GRADER_BIN, REPO, isolated_environment

__all__ = [
    "ASSIGNMENT",
    "NOTEBOOKS",
    "SOURCE",
    "build_release",
    "expected_pictures",
    "grade_id",
    "instructor_answers",
]

ASSIGNMENT = "conv_backprop"
SOURCE = REPO / "source" / ASSIGNMENT
NOTEBOOKS = sorted(path.name for path in SOURCE.glob("*.ipynb"))

_SOLUTION_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
# Every picture the notebooks draw goes through a plotting helper or plt.show().
_PICTURE_CALL = re.compile(r"\b(?:plots\.show_\w+|plt\.show)\(")


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
    """How many pictures a code cell draws: one per plotting call in its source."""
    return len(_PICTURE_CALL.findall(source))
