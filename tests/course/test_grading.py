"""Parallel grading on a tiny course: flags, nothing lost, reproducible, resumable, Postgres."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from autograder.course.course_config import GradingError, load_course_config
from autograder.course.grading import LEDGER_FILE, grade, read_ledger, submission_fingerprint
from autograder.course.reports import GRADED, NEEDS_HUMAN, collect
from tiny_course import ANSWERS, ASSIGNMENT, CONFIG, make_course, submit

GOOD = {name: next(iter(answer.values())) for name, answer in ANSWERS.items()}


def _tree_digest(root: Path) -> dict[str, str]:
    """Every entry under root, links and special files by what they are, never followed."""
    digest = {}
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            digest[str(path.relative_to(root))] = f"link to {os.readlink(path)}"
        elif stat.S_ISREG(path.lstat().st_mode):
            digest[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif not path.is_dir():
            digest[str(path.relative_to(root))] = f"special {stat.S_IFMT(path.lstat().st_mode)}"
    return digest


def _gradebook(course: Path, db_url: str | None = None) -> dict[tuple[str, str, str], tuple]:
    """Every grade in the gradebook: (student, notebook, cell) -> (score, needs manual)."""
    from nbgrader.api import Gradebook
    from nbgrader.coursedir import CourseDirectory

    coursedir = CourseDirectory(config=load_course_config(course, db_url))
    grades = {}
    with warnings.catch_warnings(), Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        warnings.simplefilter("ignore")
        for student in gb.students:
            for notebook in gb.find_submission(ASSIGNMENT, student.id).notebooks:
                for g in notebook.grades:
                    grades[(student.id, notebook.name, g.name)] = (g.score, g.needs_manual_grade)
    return grades


# Each student: the answers submitted, then the expected (01_add, 02_mul) scores, status
# and words the reason must contain. add is worth 2 points, mul 3.
CLASS = {
    "good": (GOOD, (2, 3), GRADED, ""),
    "blank": ({}, (0, 0), GRADED, ""),
    "wrong": (
        {"01_add": "def add(a, b):\n    return a - b", "02_mul": GOOD["02_mul"]},
        (0, 3),
        GRADED,
        "",
    ),
    "missing": (
        {"01_add": GOOD["01_add"], "02_mul": None},
        (2, 0),
        NEEDS_HUMAN,
        "02_mul: missing notebook",
    ),
    "corrupt": (
        {"01_add": GOOD["01_add"], "02_mul": b'{"cells": ['},
        (2, 0),
        NEEDS_HUMAN,
        "02_mul: corrupt notebook",
    ),
    "crash": (
        {"01_add": "import os\nos._exit(1)", "02_mul": GOOD["02_mul"]},
        (0, 3),
        NEEDS_HUMAN,
        "01_add: dead kernel",
    ),
    "loop": (
        {"01_add": "while True:\n    pass", "02_mul": GOOD["02_mul"]},
        (0, 3),
        NEEDS_HUMAN,
        "01_add: timeout in add_answer",
    ),
    "odd name é": (GOOD, (2, 3), NEEDS_HUMAN, "odd folder name"),
    # Within every cell's limits, past the notebook's budget of code cells (3).
    "many_cells": (
        {"01_add": [GOOD["01_add"], "x = 1", "y = 2"], "02_mul": GOOD["02_mul"]},
        (0, 3),
        NEEDS_HUMAN,
        "01_add: stopped at add_test: the notebook ran the 3 code cells it may run",
    ),
}

#: Host bytes no reason may ever show.
SECRET = b"SECRET-HOST-BYTES, never to be shown"


def _hostile_submissions(course: Path, host_file: Path) -> dict[str, str]:
    """Submissions the intake rules refuse (or read without quoting), and the words their
    reason must hold. None of them may score, read a device or quote a file."""
    submitted = course / "submitted"
    linked = submit(course, "links_to_another", {"01_add": None, "02_mul": GOOD["02_mul"]})
    (linked / "01_add.ipynb").symlink_to(submitted / "good" / ASSIGNMENT / "01_add.ipynb")
    host = submit(course, "links_to_host", {"01_add": None, "02_mul": GOOD["02_mul"]})
    (host / "01_add.ipynb").symlink_to(host_file)
    zero = submit(course, "links_to_dev_zero", {"01_add": None, "02_mul": GOOD["02_mul"]})
    (zero / "01_add.ipynb").symlink_to("/dev/zero")
    fifo = submit(course, "holds_a_fifo", {"01_add": None, "02_mul": GOOD["02_mul"]})
    os.mkfifo(fifo / "01_add.ipynb")
    (submitted / "folder_link").symlink_to(submitted / "good")
    assignment_link = submitted / "assignment_link"
    assignment_link.mkdir()
    (assignment_link / ASSIGNMENT).symlink_to(submitted / "good" / ASSIGNMENT)
    submit(course, "not_json", {"01_add": SECRET, "02_mul": GOOD["02_mul"]})
    return {
        "links_to_another": "'01_add.ipynb' is a symbolic link",
        "links_to_host": "'01_add.ipynb' is a symbolic link",
        "links_to_dev_zero": "'01_add.ipynb' is a symbolic link",
        "holds_a_fifo": "'01_add.ipynb' is a named pipe, not a regular file or folder",
        "folder_link": "'folder_link' is a symbolic link",
        "assignment_link": f"'{ASSIGNMENT}' is a symbolic link",
        "not_json": "01_add: corrupt notebook (not JSON: line 1, column 1)",
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The tiny class graded once with two workers; the submitted/ digest before it."""
    course = make_course(
        tmp_path_factory.mktemp("pipeline") / "course",
        timeout=3,
        extra="c.Sandbox.notebook_cells = 3",
    )
    for student, (answers, *_) in CLASS.items():
        submit(course, student, answers)
    glob_folder = course / "submitted" / "glob[1]" / ASSIGNMENT
    shutil.copytree(course / "submitted" / "good" / ASSIGNMENT, glob_folder)
    (course / "submitted" / "no_assignment").mkdir()
    host_file = course / "host_file"
    host_file.write_bytes(SECRET)
    hostile = _hostile_submissions(course, host_file)
    before = _tree_digest(course / "submitted")
    outcomes = grade(course, ASSIGNMENT, jobs=2, progress=False)
    return course, before, {outcome.student_id: outcome for outcome in outcomes}, hostile


def test_every_student_ends_graded_or_flagged_with_the_reason(graded):
    course, _, outcomes, hostile = graded
    results = {student.student_id: student for student in collect(course, ASSIGNMENT).students}
    assert set(results) == set(CLASS) | {"glob[1]", "no_assignment"} | set(hostile)
    assert results["no_assignment"].reasons == [
        f"no {ASSIGNMENT}/ folder in submitted/no_assignment"
    ]
    for student, (_, scores, status, reason) in CLASS.items():
        result = results[student]
        assert tuple(result.notebook_scores.values()) == scores, student
        assert result.status == status, (student, result.reasons)
        assert reason in "; ".join(result.reasons), (student, result.reasons)
    corrupt_cells = [e for e in results["corrupt"].exercises if e.notebook == "02_mul"]
    assert [e.score for e in corrupt_cells] == [None], "ungraded, not a real 0"
    assert results["glob[1]"].status == NEEDS_HUMAN
    assert "cannot be graded by nbgrader" in results["glob[1]"].reasons[0]
    assert outcomes["glob[1]"].notebooks == []


def test_links_and_special_files_are_refused_never_followed_nor_quoted(graded):
    course, _, outcomes, hostile = graded
    results = {student.student_id: student for student in collect(course, ASSIGNMENT).students}
    for student, reason in hostile.items():
        result = results[student]
        assert result.status == NEEDS_HUMAN, student
        assert reason in "; ".join(result.reasons), (student, result.reasons)
        assert "SECRET" not in repr(outcomes[student]) + repr(result), student
        if student != "not_json":
            assert result.notebook_scores == {}, f"{student} was graded: {result}"
            assert outcomes[student].notebooks == [], "never handed to nbgrader"
    autograded = course / "autograded"
    assert not any((autograded / student).exists() for student in hostile if student != "not_json")
    for path in autograded.rglob("*"):
        assert not path.is_file() or SECRET not in path.read_bytes(), path


def test_submitted_is_never_modified(graded):
    course, before, *_ = graded
    assert _tree_digest(course / "submitted") == before


def test_ledger_has_one_complete_line_per_student(graded):
    course, _, _, hostile = graded
    lines = (course / LEDGER_FILE).read_text().splitlines()
    assert sorted(json.loads(line)["student_id"] for line in lines) == sorted(
        [*CLASS, "glob[1]", "no_assignment", *hostile]
    )


def test_regrading_gives_the_same_gradebook_and_a_rerun_skips_graded_work(graded):
    course, _, _, hostile = graded
    first = _gradebook(course)
    autograded = {path: path.stat().st_mtime_ns for path in course.glob("autograded/*/*/*")}
    again = grade(course, ASSIGNMENT, jobs=2, progress=False)
    after = {path: path.stat().st_mtime_ns for path in course.glob("autograded/*/*/*")}
    assert autograded and after == autograded, "nothing changed, so nothing is regraded"
    assert len(again) == len(CLASS) + 2 + len(hostile)
    assert _gradebook(course) == first
    grade(course, ASSIGNMENT, jobs=2, progress=False, force=True)
    assert _gradebook(course) == first


def test_the_fingerprint_changes_with_the_files_and_the_gradebook(graded):
    course, *_ = graded
    sqlite = submission_fingerprint(course, ASSIGNMENT, "good", "sqlite:///a.db")
    assert sqlite == submission_fingerprint(course, ASSIGNMENT, "good", "sqlite:///a.db")
    assert sqlite != submission_fingerprint(course, ASSIGNMENT, "good", "postgresql://b")
    assert sqlite != submission_fingerprint(course, ASSIGNMENT, "wrong", "sqlite:///a.db")


def test_a_broken_course_config_refuses_to_grade(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nraise RuntimeError('typo')\n")
    (tmp_path / "submitted").mkdir()
    with pytest.raises(GradingError, match="refusing to grade"):
        grade(tmp_path, ASSIGNMENT, progress=False)


def test_grading_before_build_says_so(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text(CONFIG.format(timeout=5, extra=""))
    (tmp_path / "source" / ASSIGNMENT).mkdir(parents=True)
    (tmp_path / "submitted").mkdir()
    with pytest.raises(GradingError, match="run `build` first"):
        grade(tmp_path, ASSIGNMENT, progress=False)


def _cli(course: Path, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "autograder.course.cli",
        "grade",
        "--course",
        str(course),
        "--assignment",
        ASSIGNMENT,
        "--no-progress",
        *args,
    ]


def test_killing_a_run_halfway_and_rerunning_equals_one_clean_run(tmp_path):
    course = make_course(tmp_path / "killed", timeout=5)
    for index in range(6):
        submit(course, f"s{index}", GOOD if index % 2 else {"01_add": GOOD["01_add"]})
    clean = tmp_path / "clean"
    shutil.copytree(course, clean)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}

    run = subprocess.Popen(
        _cli(course, "--jobs", "2"),
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    ledger = course / LEDGER_FILE
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and run.poll() is None:
        if ledger.exists() and len(ledger.read_text().splitlines()) >= 2:
            break
        time.sleep(0.1)
    assert run.poll() is None, "the run finished before it could be killed"
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    assert 2 <= len(read_ledger(course)) < 6, "killed halfway"

    subprocess.run(_cli(course, "--jobs", "2"), env=env, check=True, capture_output=True)
    subprocess.run(_cli(clean, "--jobs", "2"), env=env, check=True, capture_output=True)
    resumed, reference = _gradebook(course), _gradebook(clean)
    assert len(reference) == 12
    assert resumed == reference
    assert sorted(read_ledger(course)) == sorted(read_ledger(clean))


POSTGRES_URL = os.environ.get("CONV_GRADER_TEST_POSTGRES_URL")


@pytest.fixture
def postgres_url():
    if POSTGRES_URL:
        return POSTGRES_URL
    if os.environ.get("CI"):
        pytest.fail("CI must provide a PostgreSQL server: CONV_GRADER_TEST_POSTGRES_URL is unset")
    pytest.skip("no PostgreSQL server (set CONV_GRADER_TEST_POSTGRES_URL); CI runs this")


def test_grading_into_postgresql(tmp_path, postgres_url):
    import sqlalchemy

    engine = sqlalchemy.create_engine(postgres_url)
    with engine.begin() as connection:  # a clean schema each run
        connection.execute(sqlalchemy.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    course = make_course(tmp_path / "course")
    from autograder.course.build import build

    build(course, ASSIGNMENT, db_url=postgres_url)
    submit(course, "good", GOOD)
    submit(course, "wrong", {"01_add": "def add(a, b):\n    return 0"})
    grade(course, ASSIGNMENT, jobs=2, db_url=postgres_url, progress=False)
    results = {s.student_id: s for s in collect(course, ASSIGNMENT, postgres_url).students}
    assert results["good"].total == 5
    assert results["wrong"].total == 0
    assert _gradebook(course, postgres_url)[("good", "02_mul", "mul_test")] == (3.0, False)
