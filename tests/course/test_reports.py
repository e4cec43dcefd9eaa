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
