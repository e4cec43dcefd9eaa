"""The intake rules: nothing followed, nothing special opened, no content quoted, no
student-written time trusted; and nbgrader's collect with those rules."""

from __future__ import annotations

import datetime
import os
import socket
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest
from nbgrader.utils import parse_utc

from autograder.course.course_config import load_course_config
from autograder.course.intake import (
    TIMESTAMP_FILE,
    Limits,
    RefusedSubmissionError,
    copy_submission,
    read_submission,
    recorded_submission_time,
    scan_submission,
)

SECRET = b"SECRET-HOST-BYTES"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def host_file(tmp_path):
    path = tmp_path / "host" / "passwd"
    path.parent.mkdir()
    path.write_bytes(SECRET)
    return path


def _submission(root: Path) -> Path:
    folder = root / "submission"
    (folder / "data").mkdir(parents=True)
    (folder / "01_forward.ipynb").write_bytes(b"{}")
    (folder / "data" / "x.csv").write_bytes(b"1,2")
    return folder


def test_a_clean_submission_is_read_whole(tmp_path):
    folder = _submission(tmp_path)
    scan = scan_submission(folder)
    assert scan.ok
    assert scan.files == {PurePosixPath("01_forward.ipynb"): 2, PurePosixPath("data/x.csv"): 3}
    assert scan.folders == [PurePosixPath("data")]
    assert read_submission(folder) == {
        PurePosixPath("01_forward.ipynb"): b"{}",
        PurePosixPath("data/x.csv"): b"1,2",
    }


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda folder, host: (folder / "02_gap.ipynb").symlink_to(host), "symbolic link"),
        (lambda folder, host: (folder / "zero.ipynb").symlink_to("/dev/zero"), "symbolic link"),
        (lambda folder, host: (folder / "other").symlink_to(host.parent), "symbolic link"),
        (lambda folder, host: (folder / "dangling").symlink_to("/nowhere"), "symbolic link"),
        (lambda folder, host: os.mkfifo(folder / "data" / "pipe"), "named pipe"),
    ],
    ids=["host_file", "dev_zero", "folder", "dangling", "fifo"],
)
def test_links_and_special_files_are_refused_and_never_read(tmp_path, host_file, make, words):
    folder = _submission(tmp_path)
    make(folder, host_file)
    scan = scan_submission(folder)
    assert not scan.ok
    assert len(scan.problems) == 1 and words in scan.problems[0]
    assert SECRET.decode() not in scan.problems[0]
    assert set(scan.refused) and not set(scan.refused) & set(scan.files)
    with pytest.raises(RefusedSubmissionError) as refused:
        read_submission(folder)
    assert refused.value.problems == scan.problems


def test_a_socket_is_refused(tmp_path):
    folder = _submission(tmp_path)
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(folder / "sock"))
        assert "a socket, not a regular file" in scan_submission(folder).problems[0]


def test_the_submission_folder_itself_may_not_be_a_link(tmp_path):
    folder = _submission(tmp_path)
    (tmp_path / "alias").symlink_to(folder)
    (problem,) = scan_submission(tmp_path / "alias").problems
    assert problem.startswith("'alias' is a symbolic link")
    with pytest.raises(RefusedSubmissionError):
        read_submission(tmp_path / "alias")


def test_limits_are_checked_before_reading(tmp_path):
    folder = _submission(tmp_path)
    (folder / "big.bin").write_bytes(b"x" * 100)
    scan = scan_submission(folder, Limits(max_file_bytes=50))
    assert scan.problems == ["'big.bin' is larger than the limit of 50 bytes"]
    total = scan_submission(folder, Limits(max_total_bytes=104))
    assert "larger than the limit of 104 bytes" in total.problems[0]
    many = scan_submission(folder, Limits(max_members=3))
    assert many.problems == ["more than 3 files and folders: refused"]


def test_ignored_names_are_skipped_unseen(tmp_path, host_file):
    folder = _submission(tmp_path)
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "x.ipynb").symlink_to(host_file)
    assert not scan_submission(folder).ok
    scan = scan_submission(folder, ignore=[".ipynb_checkpoints"])
    assert scan.ok and PurePosixPath(".ipynb_checkpoints") not in scan.folders


def test_names_are_shown_escaped_never_raw(tmp_path):
    folder = _submission(tmp_path)
    (folder / "evil\nname").symlink_to("/etc/passwd")
    (problem,) = scan_submission(folder).problems
    assert "\n" not in problem and "evil\\nname" in problem


def test_copy_is_all_or_nothing(tmp_path, host_file):
    folder = _submission(tmp_path)
    copy_submission(folder, tmp_path / "copy")
    assert read_submission(tmp_path / "copy") == read_submission(folder)
    (folder / "01_forward.ipynb").unlink()
    (folder / "01_forward.ipynb").symlink_to(host_file)
    with pytest.raises(RefusedSubmissionError):
        copy_submission(folder, tmp_path / "refused")
    assert not (tmp_path / "refused").exists()


def test_the_recorded_time_is_the_change_time_which_a_student_cannot_set_back(tmp_path):
    before = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=5)
    folder = _submission(tmp_path)
    long_ago = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC).timestamp()
    for path in [folder, *folder.rglob("*")]:
        os.utime(path, (long_ago, long_ago), follow_symlinks=False)
    assert before <= recorded_submission_time(folder) <= datetime.datetime.now(datetime.UTC)


# ----------------------------------------------------------------------- nbgrader collect

COLLECT_CONFIG = """\
c = get_config()
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = "course101"
c.Exchange.root = {exchange!r}
c.CollectApp.check_owner = False
{collect}
"""


def _record(exchange: Path, student: str, claimed: str, files: dict[str, bytes]) -> Path:
    record = exchange / "course101" / "inbound" / f"{student}+ps1+{claimed}+abcd"
    record.mkdir(parents=True)
    for name, data in files.items():
        (record / name).write_bytes(data)
    return record


def _collect(course: Path, exchange: Path, *, intake: bool = True) -> str:
    collect = 'c.ExchangeFactory.collect = "autograder.course.intake.IntakeCollect"'
    (course / "nbgrader_config.py").write_text(
        COLLECT_CONFIG.format(root=str(course), exchange=str(exchange), collect=collect * intake)
    )
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    run = subprocess.run(
        [sys.executable, "-m", "nbgrader", "collect", "ps1", "--update"],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    return run.stderr


def test_collect_refuses_links_and_replaces_the_students_timestamp(tmp_path, host_file):
    course, exchange = tmp_path / "course", tmp_path / "exchange"
    course.mkdir()
    student_claims = "2000-01-01 00:00:00.000000 UTC"
    honest = _record(
        exchange,
        "alice",
        "2026-01-01 10:00:00.000000 UTC",
        {"01.ipynb": b"alice's work", TIMESTAMP_FILE: student_claims.encode()},
    )
    bob = _record(exchange, "bob", "2026-01-01 10:00:00.000000 UTC", {"01.ipynb": b"bob's"})
    mallory = _record(exchange, "mallory", "2026-01-01 10:00:00.000000 UTC", {})
    (mallory / "01.ipynb").symlink_to(bob / "01.ipynb")
    (mallory / "host.txt").symlink_to(host_file)
    started = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=5)

    log = _collect(course, exchange)
    submitted = course / "submitted"
    collected = parse_utc((submitted / "alice/ps1" / TIMESTAMP_FILE).read_text())
    assert (submitted / "alice/ps1/01.ipynb").read_bytes() == b"alice's work"
    assert collected == parse_utc(recorded_submission_time(honest)), "the exchange's time"
    assert collected >= parse_utc(started)
    assert not (submitted / "mallory" / "ps1").exists(), "another student's work, not collected"
    assert "mallory" in log and "symbolic link" in log and SECRET.decode() not in log

    # A later submission that breaks the rules leaves the collected one as it was.
    _record(exchange, "alice", "2026-01-02 10:00:00.000000 UTC", {}).joinpath(
        "01.ipynb"
    ).symlink_to(host_file)
    _collect(course, exchange)
    assert (submitted / "alice/ps1/01.ipynb").read_bytes() == b"alice's work"


def test_the_course_config_collects_with_the_intake_rules():
    config = load_course_config(REPO)
    assert config.ExchangeFactory.collect == "autograder.course.intake.IntakeCollect"
