"""The whole homework cycle on the bundled sample class, in a fresh course folder.

The demo copies the course (``nbgrader_config.py`` and ``source/<assignment>``) into its
own folder, so the repository's gradebook and ``submitted/`` are never touched, then
builds the release, writes the sample class as an LMS download of zips, unpacks it,
grades it, writes feedback and the report, and returns a summary table.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from autograder.course.build import build
from autograder.course.feedback_files import write_feedback
from autograder.course.grading import grade
from autograder.course.lms import unpack_lms_download
from autograder.course.reports import ClassResults, collect, write_report
from autograder.course.samples import SAMPLE_CLASS, write_lms_download
from autograder.verify.config import ASSIGNMENT_ID

__all__ = ["DEMO_MARKER", "DemoResult", "run_demo", "summary_table"]

#: Marks a folder the demo made, so a rerun may replace it and nothing else.
DEMO_MARKER = ".conv-grader-demo"


@dataclass(frozen=True)
class DemoResult:
    """Where the demo's course is and what it found.

    Attributes
    ----------
    course_root : Path
        The demo's nbgrader course folder.
    results : ClassResults
        The graded class, as the report read it.
    report : dict of str to Path
        The report's files.
    """

    course_root: Path
    results: ClassResults
    report: dict[str, Path]


def _fresh_course(repo_root: Path, out_dir: Path, assignment_id: str) -> Path:
    if out_dir.exists():
        if not (out_dir / DEMO_MARKER).exists():
            raise FileExistsError(f"{out_dir} exists and was not made by the demo; pick another")
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    (out_dir / DEMO_MARKER).touch()
    shutil.copy2(repo_root / "nbgrader_config.py", out_dir / "nbgrader_config.py")
    shutil.copytree(repo_root / "source" / assignment_id, out_dir / "source" / assignment_id)
    shutil.copytree(repo_root / "locale", out_dir / "locale")
    return out_dir.resolve()


def run_demo(
    repo_root: Path,
    out_dir: Path,
    *,
    assignment_id: str = ASSIGNMENT_ID,
    jobs: int | None = None,
    db_url: str | None = None,
    progress: bool = True,
) -> DemoResult:
    """Build, grade the sample class, write feedback and the report.

    Parameters
    ----------
    repo_root : Path
        The repository (its ``nbgrader_config.py`` and ``source/``).
    out_dir : Path
        The demo's course folder; replaced if an earlier demo made it.
    assignment_id : str
        The assignment.
    jobs : int, optional
        Grading workers (default: the number of cores).
    db_url : str, optional
        A gradebook URL instead of the demo folder's SQLite file.
    progress : bool
        Show the grading progress bar.
    """
    course = _fresh_course(Path(repo_root), Path(out_dir), assignment_id)
    built = build(course, assignment_id, db_url=db_url)
    download = course / "lms_download"
    write_lms_download(built.release_dir, course / "source" / assignment_id, download)
    unpack_lms_download(download, course, assignment_id)
    grade(course, assignment_id, jobs=jobs, db_url=db_url, progress=progress)
    write_feedback(course, assignment_id, db_url)
    results = collect(course, assignment_id, db_url)
    return DemoResult(course, results, write_report(results, course / "reports"))


def summary_table(results: ClassResults) -> str:
    """A plain-text table: LMS id, nbgrader id, total (bonus included), bonus, status and
    why."""
    stories = {student.lms_id: student.story for student in SAMPLE_CLASS}
    rows = [("LMS id", "student id", "total", "bonus", "status", "sample / reason")]
    for student in results.students:
        note = "; ".join(student.reasons) or stories.get(student.lms_id, "")
        rows.append(
            (
                student.lms_id,
                student.student_id,
                f"{student.total:.4g}/{results.max_total:g}",
                f"{student.bonus:.3g}/{results.max_bonus:g}",
                student.status,
                note[:90],
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:5], widths, strict=True))
        + "  "
        + row[5]
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)
