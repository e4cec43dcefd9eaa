"""Grading on a real Dask cluster: the same gradebook as local grading, faults, TLS.

The cluster is started from the command line as an instructor would (``dask scheduler``
and two ``dask worker --nthreads 1``, TLS with certificates from ``cluster-certs``) on
127.0.0.1, with free ports, and stopped whatever happens. Each worker loads
``tests/cluster_faults.py``, which SIGKILLs it in the middle of grading the students the
environment names: ``ada`` once (a machine lost mid-run) and ``poison`` every time.
The scheduler gives a task up after 2 worker deaths beyond the first try
(``allowed-failures`` 2).
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import dask.config
import distributed  # noqa: F401
import pytest

from autograder.course.cluster_security import (
    ClusterFiles,
    client_security,
    generate_certificates,
)
from autograder.course.course_config import GradingError, load_course_config
from autograder.course.grading import LEDGER_FILE, grade, read_ledger
from autograder.course.reports import collect, write_report
from autograder.verify.config import ASSIGNMENT_ID
from gradebook_dump import dump_autograded, dump_gradebook
from tiny_course import ANSWERS, ASSIGNMENT, make_course, submit

BIN = Path(sys.executable).parent
FAULTS = Path(__file__).resolve().parents[1] / "cluster_faults.py"
KILLED_ONCE = "ada"
POISON = "poison"
ALLOWED_FAILURES = 2
GOOD = {name: next(iter(answer.values())) for name, answer in ANSWERS.items()}
SLOW_MACHINE = {
    "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "120s",
    "DASK_DISTRIBUTED__COMM__TIMEOUTS__TCP": "300s",
}


@dataclass(frozen=True)
class Cluster:
    address: str
    certs: ClusterFiles
    env: dict[str, str]
    logs: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _tls(files: ClusterFiles, role: str) -> list[str]:
    return [
        f"--tls-ca-file={files.ca}",
        f"--tls-cert={files.cert(role)}",
        f"--tls-key={files.key(role)}",
    ]


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """The process and everything it started (a worker's nanny, worker and kernels)."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 20)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _worker(cluster_address: str, files: ClusterFiles, role: str, *extra: str) -> list[str]:
    return [
        str(BIN / "dask"),
        "worker",
        cluster_address,
        "--nthreads=1",
        "--no-dashboard",
        "--host=127.0.0.1",
        *_tls(files, role),
        *extra,
    ]


def _worker_names(address: str, files: ClusterFiles) -> set[str]:
    """The names of the workers the scheduler holds now."""
    from distributed import Client

    with Client(address, security=client_security(files.folder), timeout=60) as client:
        workers = client.scheduler_info()["workers"].values()
        return {str(worker.get("name")) for worker in workers}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("cluster")
    files = generate_certificates(root / "certs", "test course")
    address = f"tls://127.0.0.1:{_free_port()}"
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": str(ALLOWED_FAILURES),
        # A shared, overloaded test machine can stall a process for half a minute.
        **SLOW_MACHINE,
        "CONV_GRADER_TEST_KILL_ONCE": KILLED_ONCE,
        "CONV_GRADER_TEST_KILL_MARKER": str(root / "killed-once"),
        "CONV_GRADER_TEST_POISON": POISON,
    }
    processes: list[subprocess.Popen[bytes]] = []
    # distributed is imported (above) before this: a key set before its package registers
    # its defaults is removed whole on exit, the defaults with it, and later grading in
    # this process would find no `distributed.scheduler.allowed-failures`.
    patience = dask.config.set(
        {"distributed.comm.timeouts.connect": "120s", "distributed.comm.timeouts.tcp": "300s"}
    )
    try:
        scheduler = [
            str(BIN / "dask"),
            "scheduler",
            "--host=127.0.0.1",
            f"--port={address.rsplit(':', 1)[1]}",
            "--no-dashboard",
            *_tls(files, "scheduler"),
        ]
        processes.append(_start(scheduler, env, root / "scheduler.log"))
        for index in range(2):
            command = _worker(address, files, "worker", f"--preload={FAULTS}")
            processes.append(_start(command, env, root / f"worker-{index}.log"))
        from distributed import Client

        with Client(address, security=client_security(files.folder), timeout=120) as client:
            client.wait_for_workers(2, timeout=180)
        yield Cluster(address, files, env, root)
    finally:
        patience.__exit__(None, None, None)
        for process in reversed(processes):
            _stop(process)


# ------------------------------------------------------------------ the sample class


def _ungraded_copy(course: Path, copy: Path) -> Path:
    """A graded course as it was before grading: built, submitted, no grade anywhere."""
    from nbgrader.api import Gradebook
    from nbgrader.coursedir import CourseDirectory

    shutil.copytree(course, copy)
    for graded in ("autograded", "feedback", "reports", "grading_logs", LEDGER_FILE):
        path = copy / graded
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    coursedir = CourseDirectory(config=load_course_config(copy))
    with warnings.catch_warnings(), Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        warnings.simplefilter("ignore")
        for student in list(gb.students):
            gb.remove_student(student.id)
    return copy


@pytest.fixture(scope="module")
def sample_class(tmp_path_factory, cluster, demo):
    """The bundled sample class graded on the cluster, beside the demo's local grading.

    The demo (`conv-grader demo`, shared with tests/course/test_demo.py) graded the class
    here with one job per core; the cluster grades a copy of the same course, with the
    same submitted files, from an empty gradebook.
    """
    local = demo.course_root
    remote = _ungraded_copy(local, tmp_path_factory.mktemp("sample class") / "cluster")
    assert not dump_gradebook(remote, ASSIGNMENT_ID), "the copy starts ungraded"
    outcomes = grade(
        remote, ASSIGNMENT_ID, scheduler=cluster.address, certs=cluster.certs.folder, progress=False
    )
    write_report(collect(remote, ASSIGNMENT_ID), remote / "reports")
    return local, remote, {outcome.student_id: outcome for outcome in outcomes}


def test_the_cluster_grades_the_sample_class_as_local_grading_does(sample_class):
    local, remote, _ = sample_class
    expected = dump_gradebook(local, ASSIGNMENT_ID)
    assert len(expected) > 17 * 6, "every student's every notebook is compared"
    assert dump_gradebook(remote, ASSIGNMENT_ID) == expected
    assert dump_autograded(remote) == dump_autograded(local)
    grades = (local / "reports" / "grades.csv").read_text(encoding="utf-8")
    assert len(list(csv.reader(grades.splitlines()))) == 18
    assert (remote / "reports" / "grades.csv").read_text(encoding="utf-8") == grades


def test_a_worker_killed_mid_task_costs_nothing_and_the_ledger_shows_the_retry(sample_class):
    _, remote, outcomes = sample_class
    retried = outcomes[KILLED_ONCE]
    assert len(retried.tries) == 2, retried.tries
    assert retried.tries[0].endswith(": died") and retried.tries[1].endswith(": graded")
    assert not retried.needs_human
    others = [o for student, o in outcomes.items() if student != KILLED_ONCE and o.tries]
    assert others and all(len(outcome.tries) == 1 for outcome in others)
    lines = (remote / LEDGER_FILE).read_text(encoding="utf-8").splitlines()
    students = [json.loads(line)["student_id"] for line in lines]
    assert sorted(students) == sorted(set(students)), "each result is written once"
    assert read_ledger(remote)[KILLED_ONCE].tries == retried.tries


# --------------------------------------------------------------------------- poison


def test_a_poison_submission_is_given_up_after_its_tries_and_the_class_is_graded(cluster, tmp_path):
    course = make_course(tmp_path / "course", timeout=5)
    submit(course, POISON, GOOD)
    submit(course, "good", GOOD)
    submit(
        course, "wrong", {"01_add": "def add(a, b):\n    return a - b", "02_mul": GOOD["02_mul"]}
    )
    done = subprocess.run(
        [
            BIN / "conv-grader",
            "grade",
            "--course",
            course,
            "--assignment",
            ASSIGNMENT,
            "--scheduler",
            cluster.address,
            "--certs",
            cluster.certs.folder,
        ],
        env=cluster.env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, done.stderr
    assert "3 submissions, 1 need a human" in done.stdout
    assert f"{POISON}: grading killed its worker on each of 3 tries" in done.stdout
    # The progress bar: the count, the cluster's workers, a line for the flagged one.
    assert "3/3" in done.stderr and re.search(r"\b\d+ workers", done.stderr), done.stderr
    assert f"needs a human: {POISON}: grading killed its worker" in done.stdout
    ledger = read_ledger(course)
    assert ledger[POISON].gave_up
    assert len(ledger[POISON].tries) == ALLOWED_FAILURES + 1
    assert all(attempt.endswith(": died") for attempt in ledger[POISON].tries)
    results = {s.student_id: s for s in collect(course, ASSIGNMENT).students}
    assert (results["good"].total, results["wrong"].total) == (5, 3)
    assert not results["good"].reasons and not results["wrong"].reasons

    again = grade(
        course, ASSIGNMENT, scheduler=cluster.address, certs=cluster.certs.folder, progress=False
    )
    assert {o.student_id: o.gave_up for o in again}[POISON], "kept as flagged, not retried"
    assert len(read_ledger(course)[POISON].tries) == ALLOWED_FAILURES + 1


# ------------------------------------------------------------------------------ TLS


def test_a_client_without_the_course_certificate_is_refused(cluster, tmp_path):
    from distributed import Client

    intruder = generate_certificates(tmp_path / "intruder", "another course")
    with pytest.raises((OSError, TimeoutError)):
        Client(cluster.address, security=client_security(intruder.folder), timeout=10)
    plain = cluster.address.replace("tls://", "tcp://")
    with pytest.raises((OSError, TimeoutError)):
        Client(plain, timeout=10)
    course = make_course(tmp_path / "course")
    submit(course, "good", GOOD)
    with pytest.raises(GradingError, match="cannot reach the Dask scheduler"):
        grade(course, ASSIGNMENT, scheduler=cluster.address, certs=intruder.folder, progress=False)
    assert not (course / LEDGER_FILE).exists()
    assert _worker_names(cluster.address, cluster.certs), "the course's own certificate works"


def test_a_worker_without_the_course_certificate_is_refused(cluster, tmp_path):
    intruder = generate_certificates(tmp_path / "intruder", "another course")
    command = _worker(
        cluster.address, intruder, "worker", "--death-timeout=15", "--no-nanny", "--name=intruder"
    )
    worker = _start(command, cluster.env, tmp_path / "intruder.log")
    try:
        worker.wait(300)
    finally:
        _stop(worker)
    assert worker.returncode != 0
    # By name: the cluster's own workers may come and go meanwhile (one was killed on
    # purpose by an earlier test and is restarted by its nanny).
    assert "intruder" not in _worker_names(cluster.address, cluster.certs)


def test_grading_refuses_a_cluster_without_tls(tmp_path):
    course = make_course(tmp_path / "course")
    submit(course, "good", GOOD)
    with pytest.raises(GradingError, match="must use TLS"):
        grade(course, ASSIGNMENT, scheduler="tcp://127.0.0.1:8786", certs=tmp_path, progress=False)
    assert not (course / LEDGER_FILE).exists()


def test_cluster_certs_writes_private_keys_and_refuses_to_overwrite(tmp_path):
    files = generate_certificates(tmp_path / "certs", "course")
    assert oct(files.key("client").stat().st_mode & 0o777) == "0o600"
    assert oct(files.folder.stat().st_mode & 0o777) == "0o700"
    done = subprocess.run(
        [BIN / "conv-grader", "cluster-certs", "--course", tmp_path, "--out", files.folder],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "already holds cluster certificates" in done.stderr
