"""The class's results, read from nbgrader's gradebook: CSV for an LMS, stats, plots, HTML.

Scores come only from the gradebook (what the formgrader shows, manual grades included);
why a submission needs a human comes from the grading ledger, the gradebook's own
``needs_manual_grade`` and the answers flagged as copied from given code
(:mod:`autograder.verify.copying`, with the evidence); the misconceptions come from the
verdicts the verifier stores in each autograded test cell's metadata, each identified by
(task, key), so a report shows the very sentence the student read. Nothing here reruns
or rescores anything.

Files written to ``<course>/reports/``:

- ``grades.csv``: one row per student: LMS id, per-notebook and total scores, the
  bonus part of the total, and a ``status`` column that is ``graded`` for a real score
  (0 included) and ``needs a human`` otherwise, with the reasons in ``reason``;
- ``exercises.csv``: per graded cell: points, mean, median, share of full and zero marks;

Bonus cells (0 nbgrader points, a bonus beside them in the source notebook, see
:mod:`autograder.verify.bonus`) earn nbgrader extra credit: their score counts in the
total, which may go above the maximum, and is measured against their bonus, never
against their 0 points.
- ``score_distribution.png`` and ``misconceptions.png``;
- ``report.html``: all of the above on one page.
"""

from __future__ import annotations

import csv
import html
import statistics
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from autograder.course.course_config import load_course_config
from autograder.course.grading import read_ledger
from autograder.course.lms import read_id_map
from autograder.i18n.catalogue import SOURCE_LANGUAGE
from autograder.i18n.messages import gettext as _
from autograder.i18n.notebooks import notebook_language
from autograder.verify.bonus import bonus_cells_in
from autograder.verify.copying import copy_reasons
from autograder.verify.preprocessors import VERDICT_METADATA_KEY
from autograder.verify.tasks import TASKS

__all__ = [
    "GRADED",
    "NEEDS_HUMAN",
    "ClassResults",
    "Diagnosis",
    "ExerciseScore",
    "StudentResult",
    "collect",
    "exercise_stats",
    "format_points",
    "misconception_counts",
    "misconception_message",
    "write_report",
]

GRADED = "graded"
NEEDS_HUMAN = "needs a human"

#: A misconception the verifier named: (task, key), as the verdict metadata stores it.
Diagnosis = tuple[str, str]


@dataclass
class ExerciseScore:
    """One graded cell of one submission.

    Attributes
    ----------
    notebook, name : str
        The notebook and the cell's ``grade_id``.
    score, max_score : float
        Points earned (None while ungraded) and available (0 for a bonus cell).
    misconceptions : list of (task, key)
        The misconceptions the verifier named for this cell.
    bonus : float
        The bonus points a bonus cell can earn on top of the maximum; 0 for the others.
    """

    notebook: str
    name: str
    score: float | None
    max_score: float
    misconceptions: list[Diagnosis] = field(default_factory=list)
    bonus: float = 0.0

    @property
    def out_of(self) -> float:
        """What the score is measured against: the cell's points, or its bonus."""
        return self.bonus or self.max_score

    def shown(self) -> str:
        """The score as a reader sees it: ``3 / 4``, ``2 / 3 bonus``, ``not graded / 4``."""
        score = format_points(self.score) or _("not graded")
        shown = f"{score} / {self.out_of:g}"
        return _("{score} bonus").format(score=shown) if self.bonus else shown


@dataclass
class StudentResult:
    """One student's row of the class results.

    Attributes
    ----------
    student_id, lms_id : str
        The nbgrader id and the id the LMS knows (the same when not unpacked from zips).
    notebook_scores : dict of str to float
        Score per notebook, in notebook order.
    exercises : list of ExerciseScore
        Every graded cell.
    reasons : list of str
        Why a human should look; empty when the score can go to the LMS as it is.
    language : str
        The language the student's notebooks say they are in (their metadata), which
        their feedback speaks; English unless a notebook says otherwise.
    """

    student_id: str
    lms_id: str
    notebook_scores: dict[str, float] = field(default_factory=dict)
    exercises: list[ExerciseScore] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    language: str = SOURCE_LANGUAGE

    @property
    def total(self) -> float:
        """Every point earned, bonus included (nbgrader's score)."""
        return sum(self.notebook_scores.values())

    @property
    def bonus(self) -> float:
        """The part of :attr:`total` earned in bonus cells."""
        return sum(e.score or 0.0 for e in self.exercises if e.bonus)

    @property
    def status(self) -> str:
        return NEEDS_HUMAN if self.reasons else GRADED

    @property
    def misconceptions(self) -> list[Diagnosis]:
        found: list[Diagnosis] = []
        for exercise in self.exercises:
            found += [key for key in exercise.misconceptions if key not in found]
        return found


@dataclass
class ClassResults:
    """Everything the report shows.

    Attributes
    ----------
    assignment_id : str
        The assignment.
    notebooks : list of str
        Its notebooks, in order.
    max_scores : dict of str to float
        Points available per notebook (bonus cells count 0).
    students : list of StudentResult
        One per student, sorted by id.
    max_bonus : float
        The bonus points available on top of :attr:`max_total`.
    """

    assignment_id: str
    notebooks: list[str]
    max_scores: dict[str, float]
    students: list[StudentResult]
    max_bonus: float = 0.0

    @property
    def max_total(self) -> float:
        return sum(self.max_scores.values())

    def shown_total(self, student: StudentResult) -> str:
        """A student's total as a reader sees it: ``84 / 100``, or with bonus points
        ``103.5 / 100 (17.5 of 20 bonus points included)``."""
        text = f"{student.total:g} / {self.max_total:g}"
        if self.max_bonus:
            text += " " + _("({bonus:g} of {maximum:g} bonus points included)").format(
                bonus=student.bonus, maximum=self.max_bonus
            )
        return text


def misconception_message(task: str, key: str) -> str:
    """The sentence the verdict gave for misconception ``key`` of ``task``.

    The same key may carry different sentences in two tasks, so both identify it. An
    unknown pair (a task or key since renamed) gives the key itself.
    """
    try:
        return TASKS[task].misconception(key).message
    except KeyError:
        return key


def _diagnoses(verdict: dict[str, Any]) -> list[Diagnosis]:
    """The (task, key) pairs one cell's verdict metadata names.

    Verdicts written before the task was stored with the key hold bare keys; those are
    given the first of the cell's tasks that has such a misconception.
    """
    tasks = [str(task) for task in verdict.get("tasks") or []]
    found: list[Diagnosis] = []
    for entry in verdict.get("misconceptions") or []:
        if isinstance(entry, dict):
            found.append((str(entry.get("task")), str(entry.get("key"))))
            continue
        owners = [task for task in tasks if task in TASKS and _has_key(task, str(entry))]
        found.append((owners[0] if owners else (tasks[0] if tasks else ""), str(entry)))
    return found


def _has_key(task: str, key: str) -> bool:
    try:
        TASKS[task].misconception(key)
    except KeyError:
        return False
    return True


def _verdicts(notebook_path: Path) -> tuple[dict[str, list[Diagnosis]], list[str], str]:
    """The misconceptions per graded cell, from the verifier's verdict metadata, the
    answers flagged as copied from given code (:func:`copy_reasons`), and the notebook's
    language."""
    try:
        notebook = nbformat.read(notebook_path, as_version=4)
    except Exception:
        return {}, [], SOURCE_LANGUAGE
    found = {}
    for cell in notebook.cells:
        verdict = cell.metadata.get(VERDICT_METADATA_KEY)
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if isinstance(verdict, dict) and grade_id:
            found[grade_id] = _diagnoses(verdict)
    return found, copy_reasons(notebook), notebook_language(notebook)


def collect(course_root: Path, assignment_id: str, db_url: str | None = None) -> ClassResults:
    """Read the class's results from the gradebook, the ledger and the autograded notebooks.

    Parameters
    ----------
    course_root : Path
        The nbgrader course folder.
    assignment_id : str
        The assignment to report on.
    db_url : str, optional
        A gradebook URL overriding the configured one.

    Returns
    -------
    ClassResults
        Every student in the gradebook or the ledger.
    """
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.coursedir import CourseDirectory

    course_root = Path(course_root).resolve()
    config = load_course_config(course_root, db_url)
    coursedir = CourseDirectory(config=config)
    ledger = read_ledger(course_root)
    lms_ids = {student: lms for lms, student in read_id_map(course_root).items()}
    students: dict[str, StudentResult] = {}
    bonus_cells = bonus_cells_in(
        Path(coursedir.format_path(coursedir.source_directory, ".", assignment_id))
    )
    copies: dict[str, list[str]] = {}  # answers copied from given code, by student
    with warnings.catch_warnings(), Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        warnings.simplefilter("ignore", category=Warning)
        assignment = gb.find_assignment(assignment_id)
        notebooks = sorted(notebook.name for notebook in assignment.notebooks)
        max_scores = {nb.name: float(nb.max_score) for nb in assignment.notebooks}
        for student in sorted(gb.students, key=lambda s: s.id):
            try:
                submission = gb.find_submission(assignment_id, student.id)
            except MissingEntry:
                continue
            result = StudentResult(student.id, lms_ids.get(student.id, student.id))
            autograded = Path(
                coursedir.format_path(coursedir.autograded_directory, student.id, assignment_id)
            )
            for notebook in sorted(submission.notebooks, key=lambda n: n.name):
                verdicts, copied, language = _verdicts(autograded / f"{notebook.name}.ipynb")
                if language != SOURCE_LANGUAGE:
                    result.language = language
                copies.setdefault(student.id, []).extend(
                    f"{notebook.name}: {reason}" for reason in copied
                )
                result.notebook_scores[notebook.name] = float(notebook.score)
                for grade in sorted(notebook.grades, key=lambda g: g.name):
                    # nbgrader reports an ungraded cell as 0; keep it apart from a real 0.
                    ungraded = grade.auto_score is None and grade.manual_score is None
                    score = None if ungraded else float(grade.score)
                    result.exercises.append(
                        ExerciseScore(
                            notebook.name,
                            grade.name,
                            score,
                            float(grade.max_score),
                            verdicts.get(grade.name, []),
                            bonus_cells.get(grade.name, ("", 0.0))[1],
                        )
                    )
                if notebook.needs_manual_grade:
                    result.reasons.append(f"{notebook.name}: not fully graded in the gradebook")
            students[student.id] = result

    for student_id, outcome in ledger.items():
        result = students.setdefault(
            student_id,
            StudentResult(student_id, lms_ids.get(student_id, student_id)),
        )
        reasons = [reason for reason in outcome.reasons if reason not in result.reasons]
        # The ledger names the cause; the gradebook's generic note adds nothing to it.
        noted = {reason.split(":")[0] for reason in reasons}
        result.reasons = reasons + [r for r in result.reasons if r.split(":")[0] not in noted]
    for student_id, reasons in copies.items():
        # A graded run's ledger already holds these; plain `nbgrader autograde` leaves none.
        result = students[student_id]
        listed = "; ".join(result.reasons)
        result.reasons += [reason for reason in reasons if reason not in listed]
    return ClassResults(
        assignment_id,
        notebooks,
        max_scores,
        [students[s] for s in sorted(students)],
        sum(points for _, points in bonus_cells.values()),
    )


# ----------------------------------------------------------------------------- files


def format_points(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"


def _write_grades_csv(results: ClassResults, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "student_id",
                "lms_id",
                *results.notebooks,
                "total",
                "bonus",
                "max_total",
                "status",
                "reason",
            ]
        )
        for student in results.students:
            scores = [format_points(student.notebook_scores.get(nb)) for nb in results.notebooks]
            writer.writerow(
                [
                    student.student_id,
                    student.lms_id,
                    *scores,
                    format_points(student.total),
                    format_points(student.bonus),
                    format_points(results.max_total),
                    student.status,
                    "; ".join(student.reasons),
                ]
            )


def exercise_stats(results: ClassResults) -> list[dict[str, object]]:
    """Per graded cell: how the class did, over the students with a score for it.

    A bonus cell's points are its bonus (its nbgrader points are 0), and ``bonus`` says
    which cells those are.
    """
    by_cell: dict[tuple[str, str], list[ExerciseScore]] = {}
    for student in results.students:
        for exercise in student.exercises:
            by_cell.setdefault((exercise.notebook, exercise.name), []).append(exercise)
    rows = []
    for (notebook, name), exercises in sorted(by_cell.items()):
        scores = [e.score for e in exercises if e.score is not None]
        points = exercises[0].out_of
        rows.append(
            {
                "notebook": notebook,
                "exercise": name,
                "points": points,
                "bonus": "yes" if exercises[0].bonus else "",
                "graded": len(scores),
                "mean": round(statistics.fmean(scores), 3) if scores else "",
                "median": statistics.median(scores) if scores else "",
                "full_marks_pct": round(100 * sum(s >= points for s in scores) / len(scores))
                if scores
                else "",
                "zero_pct": round(100 * sum(s == 0 for s in scores) / len(scores))
                if scores
                else "",
            }
        )
    return rows


def _write_exercises_csv(rows: list[dict[str, object]], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["exercise"])
        writer.writeheader()
        writer.writerows(rows)


def misconception_counts(results: ClassResults) -> Counter[Diagnosis]:
    """How many students showed each misconception, by (task, key), once per student."""
    return Counter(key for student in results.students for key in student.misconceptions)


def _plot_scores(results: ClassResults, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    graded = [s.total for s in results.students if s.status == GRADED]
    flagged = [s.total for s in results.students if s.status == NEEDS_HUMAN]
    # Bonus points can take a total above the maximum: the bins reach the highest total
    # possible, so no student falls off the right edge.
    top = max(results.max_total + results.max_bonus, 1.0)
    bins = [top * i / 10 for i in range(11)]
    figure, axes = plt.subplots(figsize=(7, 4))
    axes.hist(
        [graded, flagged],
        bins=bins,
        stacked=True,
        label=[f"graded ({len(graded)})", f"needs a human ({len(flagged)})"],
        color=["#4c72b0", "#dd8452"],
        edgecolor="white",
    )
    bonus = f", plus up to {results.max_bonus:g} bonus points" if results.max_bonus else ""
    axes.set_xlabel(f"total score (out of {results.max_total:g}{bonus})")
    axes.set_ylabel("students")
    axes.set_title(f"{results.assignment_id}: score distribution")
    _integer_ticks(axes.yaxis)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _plot_misconceptions(counts: Counter[Diagnosis], path: Path, top: int = 12) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    common = counts.most_common(top)[::-1]
    figure, axes = plt.subplots(figsize=(7, 0.5 * max(len(common), 2) + 1.2))
    if common:
        labels = [f"{task}: {key}" for (task, key), _ in common]
        axes.barh(labels, [count for _, count in common], color="#c44e52")
        _integer_ticks(axes.xaxis)
    else:
        axes.text(0.5, 0.5, "no misconceptions found", ha="center", va="center")
        axes.set_yticks([])
    axes.set_xlabel("students")
    axes.set_title("most frequent misconceptions")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _html_table(header: list[str], rows: list[list[object]]) -> str:
    head = "".join(f"<th>{html.escape(str(cell))}</th>" for cell in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _write_html(
    results: ClassResults,
    stats: list[dict[str, object]],
    counts: Counter[Diagnosis],
    path: Path,
) -> None:
    flagged = [s for s in results.students if s.status == NEEDS_HUMAN]
    grades = _html_table(
        ["student", "LMS id", *results.notebooks, "total", "status"],
        [
            [
                s.student_id,
                s.lms_id,
                *[format_points(s.notebook_scores.get(nb)) for nb in results.notebooks],
                results.shown_total(s),
                s.status,
            ]
            for s in results.students
        ],
    )
    humans = _html_table(
        ["student", "reasons"], [[s.student_id, "; ".join(s.reasons)] for s in flagged]
    )
    exercises = _html_table(list(stats[0]) if stats else [], [list(r.values()) for r in stats])
    common = _html_table(
        ["task", "misconception", "students", "what the student is told"],
        [
            [task, key, n, misconception_message(task, key)]
            for (task, key), n in counts.most_common()
        ],
    )
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{html.escape(results.assignment_id)} report</title>
<style>
body {{ font-family: sans-serif; max-width: 70em; margin: 2em auto; }}
table {{ border-collapse: collapse; margin-bottom: 1.5em; }}
td, th {{ border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; }}
</style></head><body>
<h1>{html.escape(results.assignment_id)}: {len(results.students)} submissions</h1>
<p>{len(results.students) - len(flagged)} graded, {len(flagged)} need a human.
Scores come from nbgrader's gradebook; <code>grades.csv</code> is the file for the LMS.</p>
<h2>Needs a human</h2>{humans}
<h2>Scores</h2><img src="score_distribution.png" alt="score distribution">{grades}
<h2>Exercises</h2>{exercises}
<h2>Misconceptions</h2><img src="misconceptions.png" alt="misconceptions">{common}
</body></html>
"""
    path.write_text(page, encoding="utf-8")


def write_report(results: ClassResults, out_dir: Path) -> dict[str, Path]:
    """Write the CSVs, the plots and the HTML page into ``out_dir``.

    Returns
    -------
    dict of str to Path
        Each file written, by short name (``grades``, ``exercises``, ``scores_plot``,
        ``misconceptions_plot``, ``html``).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "grades": out_dir / "grades.csv",
        "exercises": out_dir / "exercises.csv",
        "scores_plot": out_dir / "score_distribution.png",
        "misconceptions_plot": out_dir / "misconceptions.png",
        "html": out_dir / "report.html",
    }
    stats = exercise_stats(results)
    counts = misconception_counts(results)
    _write_grades_csv(results, paths["grades"])
    _write_exercises_csv(stats, paths["exercises"])
    _plot_scores(results, paths["scores_plot"])
    _plot_misconceptions(counts, paths["misconceptions_plot"])
    _write_html(results, stats, counts, paths["html"])
    return paths


def _integer_ticks(axis: Any) -> None:
    """Ticks at whole numbers only: the axis counts students."""
    from matplotlib.ticker import MaxNLocator

    locator = axis.get_major_locator()
    if isinstance(locator, MaxNLocator):
        locator.set_params(integer=True)
