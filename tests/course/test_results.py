"""The one writer writes what nbgrader itself writes: a whole gradebook compared.

``grade`` grades each submission in a worker's private course and writes the course's
gradebook and ``autograded/`` from the returned notebooks. Plain ``nbgrader autograde``
writes both directly. On the same class (on time, late with a penalty, blank, a notebook
missing, a wrong answer) every grade, comment, flag, penalty, timestamp and autograded
file must be the same.
"""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from autograder.course.course_config import load_course_config
from autograder.course.grading import grade
from autograder.course.grading_task import GradedFile, GradedSubmission, StudentOutcome
from autograder.course.results import ResultWriter
from gradebook_dump import dump_autograded, dump_gradebook
from tiny_course import ANSWERS, ASSIGNMENT, make_course, submit

GOOD = {name: next(iter(answer.values())) for name, answer in ANSWERS.items()}
DUE = datetime.datetime(2026, 11, 1, 12, 0)
CLASS = {
    "ontime": (GOOD, "2026-11-01 11:00:00.000000 UTC"),
    "late": (GOOD, "2026-11-02 12:00:00.000000 UTC"),
    "blank": ({}, None),
    "missing": ({"01_add": GOOD["01_add"], "02_mul": None}, None),
    "wrong": ({"01_add": "def add(a, b):\n    return a - b"}, None),
}


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """The class graded by plain ``nbgrader autograde`` and by ``grade``, in two copies."""
    from nbgrader.api import Gradebook

    root = tmp_path_factory.mktemp("writer")
    course = make_course(root / "plain", timeout=5)
    config = course / "nbgrader_config.py"
    config.write_text(config.read_text() + 'c.LateSubmissionPlugin.penalty_method = "zero"\n')
    with warnings.catch_warnings(), Gradebook(f"sqlite:///{course / 'gradebook.db'}", "tiny") as gb:
        warnings.simplefilter("ignore")
        gb.update_or_create_assignment(ASSIGNMENT, duedate=DUE)
    for student, (answers, timestamp) in CLASS.items():
        folder = submit(course, student, answers)
        if timestamp:
            (folder / "timestamp.txt").write_text(timestamp)
    ours = root / "ours"
    shutil.copytree(course, ours)

    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [bin_dir / "nbgrader", "autograde", ASSIGNMENT],
        cwd=course,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},
        check=True,
        capture_output=True,
    )
    grade(ours, ASSIGNMENT, jobs=2, progress=False)
    return course, ours


def test_the_gradebook_is_the_one_nbgrader_writes(both):
    plain, ours = both
    expected = dump_gradebook(plain, ASSIGNMENT)
    assert expected["late/01_add"][0] == 2.0, "nbgrader's late penalty is in the comparison"
    assert expected["missing/02_mul/grade/mul_test"][0] == 0.0, "a missing notebook scores 0"
    assert expected["ontime"][0] == "2026-11-01 11:00:00", "the submission time is compared"
    assert expected["blank/01_add/comment/add_answer"][0] == "No response."
    assert dump_gradebook(ours, ASSIGNMENT) == expected


def test_autograded_is_the_folder_nbgrader_writes(both):
    plain, ours = both
    expected = dump_autograded(plain)
    assert "late/tiny/timestamp.txt" in expected
    assert dump_autograded(ours) == expected


def test_a_file_from_a_worker_cannot_be_written_outside_its_folder(tmp_path):
    course = make_course(tmp_path / "course")
    writer = ResultWriter(load_course_config(course), ASSIGNMENT)
    escape = GradedFile("../../escaped.txt", b"x", 0o444)
    graded = GradedSubmission(StudentOutcome("eve", ""), (escape,))
    with pytest.raises(ValueError, match="outside"):
        writer.write(graded)
    assert not list(tmp_path.rglob("escaped.txt"))
