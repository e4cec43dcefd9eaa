"""End to end: `conv-grader demo` grades the sample class as the table below says.

The expected totals are worked out by hand from each sample's mistakes and the points
in the notebooks (16, 14, 20, 26, 12 and 12; 100 in all), plus notebook 7's 20 bonus
points on top (conv_layer_output_shape 2, conv_layer_forward 3, conv_layer_backward 4,
their vectorised versions 2 and 3, max_pool_forward 2, max_pool_backward 4), earned as
nbgrader extra credit: every sample that is not blank starts from the source's
solutions, so it earns all 20 unless the table says otherwise. The verifier gives
partial credit as the share of challenge cases passed, so a mistake that is right on
some cases keeps that share of the points (the classes are listed in
autograder/verify/challenges.py; tests/verify/test_challenges.py lists which cases each
mistake passes).
"""

from __future__ import annotations

import csv

import pytest

from autograder.course.demo import summary_table
from autograder.course.reports import GRADED, NEEDS_HUMAN
from autograder.course.samples import SAMPLE_CLASS

# lms id: (nbgrader id, total, status, words in the reason, a (task, misconception) or None)
EXPECTED = {
    "ada": ("ada", 100 + 20, GRADED, "", None),
    "ben.okafor": ("ben_okafor", 100 + 20, GRADED, "", None),
    # Submitted notebook 7 as released: no bonus, nothing lost.
    "Chloé Dubois": ("Chloe_Dubois", 100, GRADED, "", None),
    # O by hand (4) and the output shape (4); conv2d_forward (8) too, as the source's
    # solution sizes its output with the student's conv2d_output_shape.
    "dan": ("dan", 84 + 20, GRADED, "", ("O_by_hand", "kernel_flipped")),
    # 'valid' is right on no challenge (none has a 1x1 filter): all 10 points lost.
    # Bonus: db of shape (N, K) is never db's shape (K,): conv_layer_backward's 4 lost.
    "eve": ("eve", 90 + 20 - 4, GRADED, "", ("conv_layer_backward", "db_not_summed_over_batch")),
    # dO by hand (3) and gap_backward (4), right on no challenge map (none is 1x1).
    # Bonus: the last of tied maxima is right only where nothing ties, the two float
    # classes of seven: 4 * 2/7 of max_pool_backward's 4 kept.
    "fay": ("fay", 93 + 16 + 4 * 2 / 7, GRADED, "", ("max_pool_backward", "last_of_ties")),
    # dF and dX by hand, 4 each
    "gus": ("gus", 92 + 20, GRADED, "", ("dF_by_hand", "flipped_or_swapped")),
    # O (4) and Z (3) by hand. Bonus: the stride ignored is right only in the two
    # stride-1 classes of seven: 3 * 2/7 of conv_layer_forward's 3 kept.
    "hal": ("hal", 93 + 17 + 3 * 2 / 7, GRADED, "", ("conv_layer_forward", "stride_ignored")),
    # training_step (12)
    "ines": ("ines", 88 + 20, GRADED, "", ("training_step", "gradient_ascent")),
    "ivy": ("ivy", 0, GRADED, "", None),
    # numerical_gradient (5) and gradient_check (4), which calls it: 9 lost. Notebook 7
    # restates its own numerical_gradient: the bonus is whole.
    "jon": ("jon", 91 + 20, NEEDS_HUMAN, "timeout in numerical_gradient", None),
    "kim": ("kim", 80 + 20, NEEDS_HUMAN, "03_filter_gradient: corrupt notebook", None),
    "leo": ("leo", 88 + 20, NEEDS_HUMAN, "06_putting_it_together: missing notebook", None),
    "mia": ("mia", 86 + 20, NEEDS_HUMAN, "02_gap: dead kernel", None),
    "mallory-numpy": ("mallory-numpy", 0, GRADED, "", None),
    "mallory-transformer": ("mallory-transformer", 0, GRADED, "", None),
    "mallory-probe": ("mallory-probe", 0, GRADED, "", None),
}
#: The bonus part of each total: 20 unless the table above says otherwise.
BONUS = {"Chloé Dubois": 0, "eve": 16, "fay": 16 + 4 * 2 / 7, "hal": 17 + 3 * 2 / 7}
BONUS |= {lms: 0 for lms in ("ivy", "mallory-numpy", "mallory-transformer", "mallory-probe")}


def test_the_table_covers_the_whole_sample_class():
    assert {student.lms_id for student in SAMPLE_CLASS} == set(EXPECTED)
    assert len(EXPECTED) >= 12


def test_every_sample_student_gets_the_expected_total_and_status(demo):
    by_lms = {student.lms_id: student for student in demo.results.students}
    assert set(by_lms) == set(EXPECTED)
    for lms_id, (student_id, total, status, reason, misconception) in EXPECTED.items():
        student = by_lms[lms_id]
        assert student.student_id == student_id
        assert student.total == pytest.approx(total, abs=1e-6), (lms_id, student.exercises)
        assert student.bonus == pytest.approx(BONUS.get(lms_id, 20), abs=1e-6), lms_id
        assert student.status == status, (lms_id, student.reasons)
        assert reason in "; ".join(student.reasons), (lms_id, student.reasons)
        if misconception:
            assert misconception in student.misconceptions, (lms_id, student.misconceptions)


def test_the_lms_csv_has_one_row_per_student_and_tells_zero_from_needs_a_human(demo):
    with demo.report["grades"].open(encoding="utf-8") as handle:
        rows = {row["lms_id"]: row for row in csv.DictReader(handle)}
    assert set(rows) == set(EXPECTED)
    assert rows["ivy"]["total"] == "0" and rows["ivy"]["status"] == GRADED
    assert rows["kim"]["status"] == NEEDS_HUMAN and "corrupt" in rows["kim"]["reason"]
    assert rows["ada"]["01_forward"] == "16" and rows["ada"]["max_total"] == "100"
    # The bonus notebook's column holds its extra credit; the maximum stays 100.
    assert (rows["ada"]["07_conv_layer"], rows["ada"]["total"], rows["ada"]["bonus"]) == (
        "20",
        "120",
        "20",
    )
    assert rows["Chloé Dubois"]["bonus"] == "0"


def test_feedback_for_every_graded_student_without_hidden_tests(demo):
    feedback = demo.course_root / "feedback"
    for student_id, *_ in EXPECTED.values():
        folder = feedback / student_id / "conv_backprop"
        assert (folder / "summary.md").exists(), student_id
        for page in folder.glob("*.html"):
            text = page.read_text(encoding="utf-8")
            assert "BEGIN HIDDEN TESTS" not in text, page
            assert "conv_probe.probe" not in text, page
    assert len(list((feedback / "ada" / "conv_backprop").glob("*.html"))) == 7
    summary = (feedback / "dan" / "conv_backprop" / "summary.md").read_text(encoding="utf-8")
    assert "Total: 104 / 100 (20 of 20 bonus points included)" in summary
    assert "| 07_conv_layer | test_max_pool_backward | 4 / 4 bonus |" in summary
    assert "flipped by 180 degrees" in summary
    assert "You forgot the +1" in summary  # dan's second mistake, named too
    assert "/ 0 |" not in summary
    page = (feedback / "ada" / "conv_backprop" / "07_conv_layer.html").read_text(encoding="utf-8")
    assert "(Score: 20.0 / 20.0)" in page and "/ 0.0)" not in page


def test_the_report_files_and_the_summary_table(demo):
    for path in demo.report.values():
        assert path.stat().st_size > 0, path
    for plot in ("scores_plot", "misconceptions_plot"):
        assert demo.report[plot].read_bytes().startswith(b"\x89PNG")
    page = demo.report["html"].read_text(encoding="utf-8")
    assert "timeout in numerical_gradient" in page and "misconceptions.png" in page
    table = summary_table(demo.results)
    assert len(table.splitlines()) == len(EXPECTED) + 2
    assert "Chloé Dubois" in table


def test_submissions_came_through_the_lms_id_map(demo):
    ids = (demo.course_root / "student_ids.csv").read_text(encoding="utf-8")
    assert "Chloé Dubois,Chloe_Dubois" in ids
