"""Everything nbgrader keeps about a graded class, in plain values two runs can compare.

The whole gradebook (every student's submission time, every notebook's late penalty and
flag, every grade's auto and manual score, extra credit and "needs manual grade" flag,
every comment) and the ``autograded/`` folder (each file's name and mode; each
notebook's cells, their sources, nbgrader metadata and output types; other files'
bytes). Execution outputs' text is left out: the trusted grader draws fresh challenges
on every run, and a kernel may split its printed text into chunks differently.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import nbformat

from autograder.course.course_config import load_course_config


def dump_gradebook(course: Path, assignment: str, db_url: str | None = None) -> dict[str, Any]:
    """Every value nbgrader stores for ``assignment``'s submissions, keyed by names."""
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.coursedir import CourseDirectory

    coursedir = CourseDirectory(config=load_course_config(course, db_url))
    dump: dict[str, Any] = {}
    with warnings.catch_warnings(), Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        warnings.simplefilter("ignore")
        for student in gb.students:
            try:
                submission = gb.find_submission(assignment, student.id)
            except MissingEntry:
                continue
            dump[f"{student.id}"] = (str(submission.timestamp), submission.extension)
            for notebook in submission.notebooks:
                where = f"{student.id}/{notebook.name}"
                dump[where] = (notebook.late_submission_penalty, notebook.flagged)
                for grade in notebook.grades:
                    dump[f"{where}/grade/{grade.name}"] = (
                        grade.auto_score,
                        grade.manual_score,
                        grade.extra_credit,
                        grade.needs_manual_grade,
                    )
                for comment in notebook.comments:
                    dump[f"{where}/comment/{comment.name}"] = (
                        comment.auto_comment,
                        comment.manual_comment,
                    )
    return dump


def _output_kinds(outputs: list[Any]) -> list[str]:
    """Each output's type; a stream once per run of chunks (the kernel may split them)."""
    kinds: list[str] = []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            kind = f"stream:{output.get('name')}"
        if not (kinds and kind.startswith("stream") and kinds[-1] == kind):
            kinds.append(kind)
    return kinds


def dump_autograded(course: Path) -> dict[str, Any]:
    """Every file under ``autograded/``: a notebook's cells, another file's bytes, modes."""
    root = course / "autograded"
    dump: dict[str, Any] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        name = str(path.relative_to(root))
        dump[f"{name} mode"] = oct(path.stat().st_mode & 0o777)
        if path.suffix != ".ipynb":
            dump[name] = path.read_bytes()
            continue
        notebook = nbformat.read(path, as_version=4)
        dump[name] = [
            (
                cell.cell_type,
                cell.source,
                cell.metadata.get("nbgrader"),
                _output_kinds(cell.get("outputs", [])),
            )
            for cell in notebook.cells
        ]
    return dump
