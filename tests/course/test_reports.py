"""The report: LMS CSV, per-exercise stats, plots and HTML, from known class results."""

from __future__ import annotations

import csv

import pytest

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
            _student("bob", 0.0, 1.5, misconceptions=["kernel_flipped"]),
            _student("carol", 2.0, None, reasons=["02_mul: corrupt notebook"]),
            _student("x<script>", 1.0, 0.0, misconceptions=["kernel_flipped", "rotated_90"]),
        ],
    )


def test_grades_csv_tells_a_real_zero_from_needs_a_human(results, tmp_path):
    paths = write_report(results, tmp_path)
    with paths["grades"].open(encoding="utf-8") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert list(rows["alice"].values()) == ["alice", "alice", "2", "3", "5", "5", GRADED, ""]
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
    assert misconception_counts(results) == {"kernel_flipped": 2, "rotated_90": 1}
    assert "flipped by 180 degrees" in misconception_message("kernel_flipped")
    assert misconception_message("not_in_the_catalogue") == "not_in_the_catalogue"


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
    assert misconception_message("kernel_flipped") in bob
    carol = render_summary(results.students[3], results)
    assert "| 02_mul | mul_test | not graded / 3 |" in carol
    assert "02_mul: corrupt notebook" in carol
    alice = render_summary(results.students[0], results)
    assert "No typical mistake was recognised" in alice
