"""The report: LMS CSV, per-exercise stats, plots and HTML, from known class results.

And every diagnosis the verifier can make, followed from the verdict to everything a
person reads: formgrader's page and nbgrader's feedback (the verdict outputs), the
student's ``summary.md`` and ``report.html`` (the verdict metadata, read back).
"""

from __future__ import annotations

import csv
import html
import importlib.util
import re

import nbformat
import numpy as np
import pytest

from autograder.course import reports
from autograder.course.feedback_files import render_summary
from autograder.course.reports import (
    GRADED,
    NEEDS_HUMAN,
    ClassResults,
    ExerciseScore,
    StudentResult,
    exercise_stats,
    misconception_counts,
    misconception_message,
    write_report,
)
from autograder.i18n.catalogue import Translations
from autograder.i18n.messages import GRADER_DOMAIN
from autograder.maths.misconceptions import INPUT_MODIFIED, INTEGER_RESULT, RETURNED_NONE
from autograder.verify.preprocessors import RESOURCES_KEY, ArmProbes, VerifyProbes
from autograder.verify.tasks import TASKS
from autograder.verify.wire import MIME_TYPE
from notebook_runs import SOURCE_DIR
from probe_course import source_notebook

FLIPPED = ("conv2d_forward", "kernel_flipped")


def _student(student_id, add, mul, reasons=(), misconceptions=(), lms_id=None):
    return StudentResult(
        student_id,
        lms_id or student_id,
        {"01_add": add or 0.0, "02_mul": mul or 0.0},
        [
            ExerciseScore("01_add", "add_test", add, 2.0, list(misconceptions)),
            ExerciseScore("02_mul", "mul_test", mul, 3.0),
        ],
        list(reasons),
    )


@pytest.fixture
def results():
    return ClassResults(
        "tiny",
        ["01_add", "02_mul"],
        {"01_add": 2.0, "02_mul": 3.0},
        [
            _student("alice", 2.0, 3.0),
            _student("blank", 0.0, 0.0),
            _student("bob", 0.0, 1.5, misconceptions=[FLIPPED]),
            _student("carol", 2.0, None, reasons=["02_mul: corrupt notebook"]),
            _student("x<script>", 1.0, 0.0, misconceptions=[FLIPPED, ("rot180", "rotated_90")]),
        ],
    )


def test_grades_csv_tells_a_real_zero_from_needs_a_human(results, tmp_path):
    paths = write_report(results, tmp_path)
    with paths["grades"].open(encoding="utf-8") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert list(rows["alice"].values()) == ["alice", "alice", "2", "3", "5", "0", "5", GRADED, ""]
    assert (rows["blank"]["total"], rows["blank"]["status"]) == ("0", GRADED)
    assert rows["carol"]["status"] == NEEDS_HUMAN
    assert rows["carol"]["reason"] == "02_mul: corrupt notebook"
    assert rows["bob"]["02_mul"] == "1.5"


def test_exercise_stats_are_computed_over_graded_scores(results):
    stats = {row["exercise"]: row for row in exercise_stats(results)}
    add = stats["add_test"]
    assert (add["points"], add["graded"]) == (2.0, 5)
    assert add["mean"] == pytest.approx((2 + 0 + 0 + 2 + 1) / 5)
    assert add["median"] == 1.0
    assert (add["full_marks_pct"], add["zero_pct"]) == (40, 40)
    mul = stats["mul_test"]
    assert mul["graded"] == 4, "carol's ungraded cell is left out"
    assert mul["mean"] == pytest.approx((3 + 0 + 1.5 + 0) / 4)


def test_misconceptions_are_counted_once_per_student(results):
    assert misconception_counts(results) == {FLIPPED: 2, ("rot180", "rotated_90"): 1}
    assert "flipped by 180 degrees" in misconception_message(*FLIPPED)
    assert misconception_message("rot180", "not_in_the_catalogue") == "not_in_the_catalogue"
    assert misconception_message("no_such_task", "kernel_flipped") == "kernel_flipped"


def test_plots_are_pngs_and_the_html_escapes_student_text(results, tmp_path):
    paths = write_report(results, tmp_path)
    for key in ("scores_plot", "misconceptions_plot"):
        assert paths[key].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = paths["html"].read_text(encoding="utf-8")
    assert "x&lt;script&gt;" in page and "x<script>" not in page
    assert "02_mul: corrupt notebook" in page
    assert '<img src="score_distribution.png"' in page


def test_an_empty_class_still_gets_a_report(tmp_path):
    empty = ClassResults("tiny", ["01_add"], {"01_add": 2.0}, [])
    paths = write_report(empty, tmp_path)
    assert paths["grades"].read_text(encoding="utf-8").startswith("student_id,lms_id,01_add")
    assert paths["misconceptions_plot"].exists()


def test_the_student_summary_lists_scores_misconceptions_and_what_waits(results):
    bob = render_summary(results.students[2], results)
    assert "**Total: 1.5 / 5**" in bob
    assert "| 02_mul | mul_test | 1.5 / 3 |" in bob
    assert f"- `conv2d_forward`: {misconception_message(*FLIPPED)}" in bob
    carol = render_summary(results.students[3], results)
    assert "| 02_mul | mul_test | not graded / 3 |" in carol
    assert "02_mul: corrupt notebook" in carol
    alice = render_summary(results.students[0], results)
    assert "No typical mistake was recognised" in alice


def test_a_persian_students_summary_is_persian_and_the_instructors_report_english(
    results, tmp_path
):
    persian = Translations.load("fa", GRADER_DOMAIN)
    bob = results.students[2]
    bob.language = "fa"
    summary = render_summary(bob, results)
    total = persian.get(None, "Total: {total}").format(total="1.5 / 5")
    assert f"**{total}**" in summary
    assert f"- `conv2d_forward`: {persian.get(None, misconception_message(*FLIPPED))}" in summary
    assert "## " + persian.get(None, "What your answers looked like") in summary
    assert misconception_message(*FLIPPED) not in summary and "Total" not in summary
    # The class's report is the instructor's: English, whatever the students read.
    page = write_report(results, tmp_path)["html"].read_text(encoding="utf-8")
    assert misconception_message(*FLIPPED) in page or "kernel_flipped" in page
    assert not re.search("[\u0600-\u06ff]", page)


# ------------------------------------------------------------------ bonus points


def _with_bonus(student_id: str, add: float, bonus: float | None) -> StudentResult:
    """A student of a class whose notebook 03_extra is a bonus of 4 points (0 nbgrader
    points; nbgrader's score for it is the extra credit earned)."""
    return StudentResult(
        student_id,
        student_id,
        {"01_add": add, "03_extra": bonus or 0.0},
        [
            ExerciseScore("01_add", "add_test", add, 2.0),
            ExerciseScore("03_extra", "extra_test", bonus, 0.0, bonus=4.0),
        ],
    )


@pytest.fixture
def bonus_class() -> ClassResults:
    return ClassResults(
        "tiny",
        ["01_add", "03_extra"],
        {"01_add": 2.0, "03_extra": 0.0},
        [
            _with_bonus("all", 2.0, 4.0),
            _with_bonus("half", 2.0, 2.0),
            _with_bonus("none", 1.0, 0.0),
            _with_bonus("ungraded", 2.0, None),
        ],
        max_bonus=4.0,
    )


def test_bonus_points_count_in_the_total_and_show_apart_in_the_csv(bonus_class, tmp_path):
    paths = write_report(bonus_class, tmp_path)
    with paths["grades"].open(encoding="utf-8") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert (rows["all"]["total"], rows["all"]["bonus"], rows["all"]["max_total"]) == ("6", "4", "2")
    assert (rows["half"]["total"], rows["half"]["bonus"]) == ("4", "2")
    assert (rows["none"]["total"], rows["none"]["bonus"]) == ("1", "0")


def test_a_bonus_exercise_is_measured_against_its_bonus_not_its_0_points(bonus_class):
    extra = {row["exercise"]: row for row in exercise_stats(bonus_class)}["extra_test"]
    assert (extra["points"], extra["bonus"], extra["graded"]) == (4.0, "yes", 3)
    # Against 0 points every score, 0 included, would count as full marks.
    assert (extra["full_marks_pct"], extra["zero_pct"]) == (33, 33)
    add = {row["exercise"]: row for row in exercise_stats(bonus_class)}["add_test"]
    assert (add["points"], add["bonus"]) == (2.0, "")


def test_the_page_and_the_summary_never_show_a_score_out_of_0(bonus_class, tmp_path):
    page = write_report(bonus_class, tmp_path)["html"].read_text(encoding="utf-8")
    assert "6 / 2 (4 of 4 bonus points included)" in page
    assert "/ 0<" not in page and "/ 0 " not in page
    half = render_summary(bonus_class.students[1], bonus_class)
    assert "**Total: 4 / 2 (2 of 4 bonus points included)**" in half
    assert "| 03_extra | extra_test | 2 / 4 bonus |" in half
    assert "| 01_add | add_test | 2 / 2 |" in half
    ungraded = render_summary(bonus_class.students[3], bonus_class)
    assert "| 03_extra | extra_test | not graded / 4 bonus |" in ungraded
    assert "/ 0 " not in half + ungraded and "/ 0\n" not in half + ungraded


def test_without_bonus_cells_nothing_speaks_of_a_bonus(results, tmp_path):
    page = write_report(results, tmp_path)["html"].read_text(encoding="utf-8")
    assert "bonus points included" not in page
    assert "bonus" not in render_summary(results.students[0], results).lower()


# ------------------------------------------- every diagnosis, from verdict to report


def _load_probe():
    spec = importlib.util.spec_from_file_location("conv_probe", SOURCE_DIR / "conv_probe.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PROBE = _load_probe()


def _general(task, key):
    """An implementation making general mistake ``key`` on ``task``."""
    reference = TASKS[task].reference
    if key == RETURNED_NONE.key:
        return lambda *args: None
    if key == INTEGER_RESULT.key:
        return lambda *args: np.trunc(reference(*args)).astype(np.int64)
    return reference  # input_modified: right values, the change reported beside them


def _record(implementation, args, modified=False):
    try:
        with np.errstate(all="ignore"):
            value = implementation(*args)
    except Exception as error:
        return {"status": "raised", "error": f"{type(error).__name__}: {error}"}
    return {"status": "returned", "value": PROBE._encode(value), "modified": modified}


def _diagnoses() -> list[tuple[str, str, object]]:
    """Every (task, key) the verifier can name, with an answer that makes it."""
    found = []
    for name, task in TASKS.items():
        found += [(name, m.key, m.wrong) for m in task.misconceptions]
    for key in (RETURNED_NONE.key, INTEGER_RESULT.key, INPUT_MODIFIED.key):
        found.append(("conv2d_backward_filter", key, None))
    return found


def _columns() -> list[dict[str, tuple[str, object]]]:
    """The diagnoses spread over as few notebooks as possible: one task per cell."""
    columns: list[dict[str, tuple[str, object]]] = []
    for task, key, wrong in _diagnoses():
        column = next((c for c in columns if task not in c), None)
        if column is None:
            column = {}
            columns.append(column)
        column[task] = (key, wrong)
    return columns


def _verified(column) -> nbformat.NotebookNode:
    """The probed notebook with each task answered by its mistake, armed, its payloads
    forged as the probe would send them, and verified."""
    nb = source_notebook()
    resources = {}
    ArmProbes().preprocess(nb, resources)
    armed = resources[RESOURCES_KEY]
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        state = armed.get(grade_id)
        if state is None:
            continue
        (call,) = state.calls
        task = call.call.task
        key, wrong = column.get(task, (None, None))
        if call.call.kind == "probe_value":
            value = wrong() if wrong else TASKS[task].value
            cases = [{"status": "returned", "value": PROBE._encode(value), "modified": False}]
        else:
            implementation = wrong or _general(task, key) if key else TASKS[task].reference
            modified = key == INPUT_MODIFIED.key
            cases = [_record(implementation, case.args, modified) for case in call.cases]
        payload = {"protocol": 1, "nonce": call.nonce, "task": task, "cases": cases}
        cell.outputs = [
            nbformat.from_dict(
                {"output_type": "display_data", "data": {MIME_TYPE: payload}, "metadata": {}}
            )
        ]
    VerifyProbes().preprocess(nb, resources)
    return nb


def _text(page: str) -> str:
    """What a reader sees of an HTML page: tags gone, entities read, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _words(sentence: str) -> str:
    return " ".join(sentence.split())


def _nbgrader_pages(nb) -> dict[str, str]:
    """The notebook as formgrader shows it and as nbgrader's feedback shows it."""
    from nbconvert.exporters import HTMLExporter
    from nbgrader.converters import GenerateFeedback
    from nbgrader.server_extensions.formgrader import handlers
    from traitlets.config import Config

    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade"):
            cell.metadata.nbgrader["score"] = 0  # what nbgrader's GetGrades adds
    formgrade = Config()
    formgrade.HTMLExporter.template_name = "formgrade"  # as FormgradeExtension sets it
    formgrade.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    formgrader_page, _ = HTMLExporter(config=formgrade).from_notebook_node(
        nb,
        resources={
            "assignment_id": "conv_backprop",
            "notebook_id": "probed",
            "submission_id": "s",
            "index": 0,
            "total": 1,
            "base_url": "",
            "student": "student",
            "last_name": None,
            "first_name": None,
            "notebook_path": "probed.ipynb",
        },
    )
    feedback_page, _ = HTMLExporter(config=GenerateFeedback().config).from_notebook_node(
        nb,
        resources={
            "nbgrader": {"notebook": "probed", "score": 0, "max_score": 36, "late_penalty": 0}
        },
    )
    return {"formgrader": _text(formgrader_page), "feedback": _text(feedback_page)}


def _shown(cell) -> str:
    """The verdict as the cell's outputs hold it, for both pages to render."""
    texts = []
    for output in cell.outputs:
        texts += output.get("traceback", [])
        texts.append(output.get("text", ""))
        texts.append(output.get("data", {}).get("text/plain", ""))
    return " ".join(" ".join(texts).split())


@pytest.mark.parametrize("index", range(len(_columns())))
def test_every_diagnosis_reads_its_own_sentence_everywhere(index, tmp_path):
    # The same key names different sentences in different tasks (forgot_one_over_hw is
    # "every entry equals dZ" in gap_backward, "4 times too large" in dF_by_hand): each
    # must reach the student and the instructor as its own task's sentence.
    column = _columns()[index]
    nb = _verified(column)
    path = tmp_path / "probed.ipynb"
    nbformat.write(nb, path)
    read_back, _copied, _language = reports._verdicts(path)
    exercises = []
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        task = grade_id.removeprefix("test_")
        if task not in column:
            continue
        key = column[task][0]
        sentence = TASKS[task].misconception(key).message
        assert (task, key) in read_back[grade_id], (task, key, read_back[grade_id])
        assert _words(sentence) in _shown(cell), (task, key)
        exercises.append(ExerciseScore("probed", grade_id, 0.0, 2.0, read_back[grade_id]))
    pages = _nbgrader_pages(nb)
    student = StudentResult("student", "student", {"probed": 0.0}, exercises)
    results = ClassResults("conv_backprop", ["probed"], {"probed": 36.0}, [student])
    summary = render_summary(student, results)
    page = write_report(results, tmp_path / "reports")["html"].read_text(encoding="utf-8")
    for task, (key, _) in column.items():
        sentence = TASKS[task].misconception(key).message
        for where, shown in pages.items():
            assert _words(sentence) in shown, (where, task, key)
        assert f"- `{task}`: {sentence}\n" in summary, (task, key)
        row = f"<td>{task}</td><td>{key}</td><td>1</td><td>{html.escape(sentence)}</td>"
        assert row in page, (task, key)
