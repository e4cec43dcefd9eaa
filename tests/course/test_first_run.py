"""A first run that cannot fail silently: the system's faults stop grading with the reason.

Without bubblewrap, without the grading kernelspec, or without the trusted grader in the
course config, grading must stop before the first student (or as soon as a worker meets
the fault) with the cause and a non-zero exit, never flag the whole class "needs a
human". A reason that is a student's is the real exception, never nbgrader's "see the
above traceback".
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.course.course_config import GradingError
from autograder.course.grading import LEDGER_FILE, grade
from autograder.course.nbgrader_errors import failure
from tiny_course import ANSWERS, ASSIGNMENT, make_course, submit

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A built tiny course with two honest submissions; each test copies its config."""
    course = make_course(tmp_path_factory.mktemp("first run") / "course", timeout=5)
    good = {name: next(iter(answer.values())) for name, answer in ANSWERS.items()}
    for student in ("ada", "bo"):
        submit(course, student, good)
    return course


@pytest.fixture
def course(built):
    """The built course, its config restored after the test changes it."""
    config = built / "nbgrader_config.py"
    original = config.read_text()
    yield built
    config.write_text(original)
    (built / LEDGER_FILE).unlink(missing_ok=True)


def _configure(course: Path, *lines: str) -> None:
    config = course / "nbgrader_config.py"
    config.write_text(config.read_text() + "\n" + "\n".join(lines) + "\n")


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        (["c.Sandbox.bwrap = '/nonexistent/bwrap'"], "sudo apt-get install -y bubblewrap"),
        (["c.Execute.kernel_name = 'no-such-kernel'"], "'no-such-kernel' is not installed"),
        (
            ["c.Autograde.autograde_preprocessors = ['autograder.verifier.RefuseToGrade']"],
            "does not configure the trusted grader",
        ),
    ],
    ids=["no bubblewrap", "no kernelspec", "no trusted grader"],
)
def test_grading_that_cannot_work_stops_before_the_first_student(course, lines, reason):
    _configure(course, *lines)
    with pytest.raises(GradingError, match=reason):
        grade(course, ASSIGNMENT, jobs=1, progress=False)
    assert not (course / LEDGER_FILE).exists(), "no student may be flagged for it"


def test_a_fault_a_worker_meets_stops_the_batch_with_its_cause(course, tmp_path):
    # The trusted helpers' folder is gone: no worker can start a kernel, for anyone. (The
    # preflight checks bubblewrap and the kernelspec; this the workers meet.)
    _configure(course, f"c.Sandbox.helper_dir = {str(tmp_path / 'gone')!r}")
    with pytest.raises(GradingError, match=r"Sandbox\.helper_dir .* is not a folder"):
        grade(course, ASSIGNMENT, jobs=1, progress=False)
    ledger = course / LEDGER_FILE
    assert not ledger.exists() or "needs" not in ledger.read_text()


def test_the_command_line_says_why_in_one_line_and_exits_non_zero(course):
    _configure(course, "c.Sandbox.bwrap = '/nonexistent/bwrap'")
    done = subprocess.run(
        [VENV_BIN / "conv-grader", "grade", "--course", course, "--no-progress"],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{VENV_BIN}:{os.environ['PATH']}"},
    )
    assert done.returncode == 2
    assert done.stdout == ""
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("conv-grader grade: Refusing to grade: the grading sandbox")


def test_the_demo_without_bubblewrap_stops_with_the_reason(tmp_path):
    """As a newcomer's `make demo` on a machine without bubblewrap: no class of 'needs a
    human', no exit 0."""
    done = subprocess.run(
        [VENV_BIN / "conv-grader", "demo", "--out", tmp_path / "demo", "--no-progress"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PATH": str(VENV_BIN)},  # no /usr/bin: no bwrap
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "bubblewrap" in done.stderr and "needs a human" not in done.stdout
    assert not (tmp_path / "demo" / "reports").exists()


# The shape of what NbGraderAPI.autograde returns when a preprocessor raises (recorded
# from nbgrader 0.9.6): the cause is in the log, indented; "error" only points at it.
_RESULT = {
    "success": False,
    "error": (
        "Traceback (most recent call last):\n"
        '  File "nbgrader/converters/base.py", line 468, in convert_notebooks\n'
        "    raise NbGraderException(msg)\n"
        "nbgrader.converters.base.NbGraderException: Please see the the above traceback "
        "for details on the specific errors on the above failures.\n"
    ),
    "log": (
        "[INFO] Converting notebook submitted/ada/tiny/01_add.ipynb\n"
        "[ERROR] There was an error processing assignment: submitted/ada/tiny\n"
        "[ERROR] Traceback (most recent call last):\n"
        '      File "nbgrader/preprocessors/overwritecells.py", line 34, in preprocess\n'
        "        grade_id = cell.metadata.nbgrader['grade_id']\n"
        "                   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
        "    KeyError: 'grade_id'\n"
        "    \n"
        "[ERROR] There was an error processing assignment 'tiny' for student 'ada'\n"
        "[ERROR] Please see the the above traceback for details on the specific errors on "
        "the above failures.\n"
    ),
}


def test_a_failure_reads_as_the_exception_nbgrader_logged():
    cause = failure(_RESULT)
    assert cause.line == "KeyError: 'grade_id'"
    assert not cause.is_system_fault
    sandbox = {
        "success": False,
        "log": "[ERROR] Traceback (most recent call last):\n"
        '      File "autograder/jail/execute.py", line 204, in plan\n'
        "    autograder.jail.execute.SandboxUnavailableError: Refusing to grade: no bwrap.\n"
        "    Install it.\n",
    }
    assert (
        failure(sandbox).line == "SandboxUnavailableError: Refusing to grade: no bwrap. Install it."
    )
    assert failure(sandbox).is_system_fault
    assert failure({"success": False, "error": "boom"}).line == "NbGraderError: boom"


def test_make_clean_removes_what_grading_writes_and_keeps_submissions(tmp_path):
    written = ["grading_ledger.jsonl", "student_ids.csv", "gradebook.db"]
    folders = ["grading_logs", "reports", "autograded", "feedback", "release", "demo"]
    for name in written:
        (tmp_path / name).write_text("x")
    for name in [*folders, "submitted/ada"]:
        (tmp_path / name).mkdir(parents=True)
    done = subprocess.run(
        ["make", "-f", REPO / "Makefile", "clean"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["submitted"]
