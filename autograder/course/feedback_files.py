"""Feedback for students: nbgrader's ``generate_feedback`` plus a short summary each.

The HTML files are nbgrader's own, made with whatever ``GenerateFeedback`` preprocessors
the course configures (the trusted grader hides the hidden tests there). Beside them,
``feedback/<student>/<assignment>/summary.md`` gives the score per exercise, the
misconceptions the verifier named, and anything that needs a human, in plain words.
It is written from :func:`autograder.course.reports.collect`, so it holds only scores and the
catalogue's sentences, never test source, in the language the student's notebooks are in.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from autograder.course.course_config import load_course_config
from autograder.course.reports import (
    ClassResults,
    StudentResult,
    collect,
    misconception_message,
)
from autograder.i18n.messages import gettext as _
from autograder.i18n.messages import speaking

__all__ = ["SUMMARY_FILE", "render_summary", "write_feedback"]

SUMMARY_FILE = "summary.md"


def render_summary(student: StudentResult, results: ClassResults) -> str:
    """One student's summary, as Markdown.

    Parameters
    ----------
    student : StudentResult
        The student, with scores and verdicts.
    results : ClassResults
        The class (for the notebooks and their points).
    """
    with speaking(student.language):
        return _summary(student, results)


def _summary(student: StudentResult, results: ClassResults) -> str:
    lines = [
        _("# {assignment}: feedback for {student}").format(
            assignment=results.assignment_id, student=student.lms_id
        ),
        "",
        "**" + _("Total: {total}").format(total=results.shown_total(student)) + "**",
        "",
        "| " + " | ".join([_("notebook"), _("exercise"), _("score")]) + " |",
        "|---|---|---|",
    ]
    for exercise in student.exercises:
        lines.append(f"| {exercise.notebook} | {exercise.name} | {exercise.shown()} |")
    if results.max_bonus:
        lines += [
            "",
            _(
                "Bonus exercises add their points on top of the {maximum:g}; the total "
                "includes them."
            ).format(maximum=results.max_total),
        ]
    lines += ["", "## " + _("What your answers looked like"), ""]
    if student.misconceptions:
        lines += [
            f"- `{task}`: {_(misconception_message(task, key))}"
            for task, key in student.misconceptions
        ]
    else:
        lines.append("- " + _("No typical mistake was recognised in your answers."))
    if student.reasons:
        lines += ["", "## " + _("Waiting for your instructor"), ""]
        lines += [f"- {reason}" for reason in student.reasons]
    return "\n".join(lines) + "\n"


def write_feedback(
    course_root: Path, assignment_id: str, db_url: str | None = None
) -> dict[str, list[Path]]:
    """Run nbgrader's ``generate_feedback`` for every graded student and add summaries.

    Parameters
    ----------
    course_root : Path
        The nbgrader course folder.
    assignment_id : str
        The assignment.
    db_url : str, optional
        A gradebook URL overriding the configured one.

    Returns
    -------
    dict of str to list of Path
        Per student id, the files in its feedback folder (empty when nbgrader could make
        none, e.g. nothing was autograded).
    """
    from nbgrader.apps import NbGraderAPI

    course_root = Path(course_root).resolve()
    results = collect(course_root, assignment_id, db_url)
    api = NbGraderAPI(config=load_course_config(course_root, db_url))
    coursedir = api.coursedir
    written: dict[str, list[Path]] = {}
    for student in results.students:
        folder = Path(coursedir.format_path(coursedir.feedback_directory, student.student_id, "."))
        folder = folder / assignment_id
        autograded = Path(
            coursedir.format_path(coursedir.autograded_directory, student.student_id, ".")
        )
        if (autograded / assignment_id).is_dir():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", category=Warning)
                api.generate_feedback(assignment_id, student.student_id, force=True)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / SUMMARY_FILE).write_text(render_summary(student, results), encoding="utf-8")
        written[student.student_id] = sorted(p for p in folder.rglob("*") if p.is_file())
    return written
