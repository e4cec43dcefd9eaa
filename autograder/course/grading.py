"""Autograde every submission with nbgrader, in parallel, flagging what needs a human.

This wraps nbgrader, it does not replace it: each submission is graded by nbgrader's own
``Autograde``, configured by the course's ``nbgrader_config.py`` exactly as ``nbgrader
autograde`` would be, and every score lands in nbgrader's gradebook and ``autograded/``,
where the formgrader shows them.

This module is the coordinator. The work is split three ways, the same on one machine
and on a cluster; only the executor differs:

- **What a task is** (:mod:`autograder.course.grading_task`): one student's submitted
  files, read here with the intake rules (:mod:`autograder.course.intake`: no link is
  followed, no special file opened, sizes bounded), graded by a worker in
  a private course folder, returning the autograded notebooks and the outcome.
- **Where it runs** (:mod:`autograder.course.executors`): ``jobs`` worker processes on
  this machine by default, or a Dask cluster with ``scheduler``
  (:mod:`autograder.course.cluster`, TLS with the course's certificates). A task whose
  worker dies is run again elsewhere, a bounded number of times; one that keeps killing
  its workers is flagged and the batch goes on.
- **Who writes** (:mod:`autograder.course.results`): only this process, as results
  arrive: the gradebook (SQLite or PostgreSQL) with nbgrader's own gradebook steps,
  ``autograded/``, then the ledger. Tasks are pulled a window at a time, so memory stays
  flat however large the class.

What it adds to nbgrader:

- **Flags.** Every student ends as graded or flagged with reasons: missing or corrupt
  notebook, timeout, dead kernel, a failure nbgrader reported, an odd folder name, a
  submission the intake rules refuse (a link, a special file, too large: not graded at
  all), an answer copied from code given elsewhere in the course, a submission that
  killed its workers.
- **A ledger.** ``grading_ledger.jsonl`` gets one line per finished student, holding a
  fingerprint of the submission and the course files, and every try (the worker, and
  whether it died). A killed run is resumed by running it again: students whose
  fingerprint (files, course, gradebook URL) is already in the ledger are skipped
  unless nbgrader failed on one of their notebooks; the rest are graded from scratch
  and rewritten whole, so the gradebook ends as one clean run leaves it.
- **The system's faults stop at once**, before the first student (no sandbox, no
  grading kernelspec, the trusted grader not configured, no build) or as soon as a
  worker meets one (``GradingError``), never flagging the whole class.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
import stat
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path, PurePosixPath
from typing import Any

from autograder.course.course_config import GradingError, load_course_config
from autograder.course.executors import Executor, Finished, GaveUp, LocalExecutor
from autograder.course.grading_task import (
    CourseBundle,
    GradingTask,
    NotebookOutcome,
    StudentOutcome,
    check_grader,
)
from autograder.course.intake import RefusedSubmissionError, read_submission, scan_submission
from autograder.course.results import ResultWriter, assignment_definition

__all__ = [
    "LEDGER_FILE",
    "NotebookOutcome",
    "StudentOutcome",
    "grade",
    "read_ledger",
    "submission_fingerprint",
]

#: One JSON line per graded student, in the course folder.
LEDGER_FILE = "grading_ledger.jsonl"
#: Student folder names nbgrader's globs and regexes take literally.
_SAFE_FOLDER = re.compile(r"^[A-Za-z0-9_-]+$")
_GLOB_CHARACTERS = re.compile(r"[*?\[\]]")
#: nbgrader's ``CourseDirectory.ignore`` default: never part of a submission or course.
_IGNORE = (".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback")


# ----------------------------------------------------------------------- fingerprints


def _hash_tree(digest: Any, root: Path) -> None:
    """Hash the course's own files (trusted: the instructor's source folder)."""
    if not root.exists():
        return
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode("utf-8", "surrogateescape") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())


def _course_digest(course_root: Path, assignment_id: str) -> bytes:
    digest = hashlib.sha256(b"source\0")
    _hash_tree(digest, course_root / "source" / assignment_id)
    digest.update((course_root / "nbgrader_config.py").read_bytes())
    return digest.digest()


def _fingerprint(db_url: str, files: dict[PurePosixPath, bytes], course: bytes) -> str:
    digest = hashlib.sha256(db_url.encode("utf-8") + b"\0")
    for relative, data in files.items():
        digest.update(str(relative).encode("utf-8", "surrogateescape") + b"\0")
        digest.update(hashlib.sha256(data).digest())
    digest.update(b"\0course\0" + course)
    return digest.hexdigest()


def _submission_files(folder: Path) -> dict[PurePosixPath, bytes]:
    try:
        return read_submission(folder) if folder.is_dir() else {}
    except RefusedSubmissionError as refused:  # hashed by its problems, so a fix is noticed
        return {PurePosixPath("\0refused"): "\n".join(refused.problems).encode()}


def submission_fingerprint(
    course_root: Path, assignment_id: str, student_id: str, db_url: str = ""
) -> str:
    """A hash of one submission together with everything that decides its grade.

    Parameters
    ----------
    course_root : Path
        The course folder.
    assignment_id, student_id : str
        Which submission.
    db_url : str
        The gradebook the grade goes to: grading into another one is not "done".

    Returns
    -------
    str
        Hex SHA-256 over the gradebook URL, the submitted files (read with the intake
        rules), the assignment's source folder and ``nbgrader_config.py``: it changes
        when any of them does.
    """
    course_root = Path(course_root)
    files = _submission_files(course_root / "submitted" / student_id / assignment_id)
    return _fingerprint(db_url, files, _course_digest(course_root, assignment_id))


# --------------------------------------------------------------------------- ledger


def read_ledger(course_root: Path) -> dict[str, StudentOutcome]:
    """The latest complete outcome per student from ``grading_ledger.jsonl``.

    A line cut short by a killed run is ignored.
    """
    path = Path(course_root) / LEDGER_FILE
    outcomes: dict[str, StudentOutcome] = {}
    if not path.exists():
        return outcomes
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            try:
                outcome = StudentOutcome.from_json(json.loads(line))
            except (ValueError, TypeError, KeyError):
                continue
            outcomes[outcome.student_id] = outcome
    return outcomes


def _append_ledger(course_root: Path, outcome: StudentOutcome) -> None:
    with (Path(course_root) / LEDGER_FILE).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(asdict(outcome), ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


# ----------------------------------------------------------------------- the course


def _assignment_notebooks(db_url: str, course_id: str, assignment_id: str) -> tuple[str, ...]:
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url, course_id) as gradebook:
        try:
            assignment = gradebook.find_assignment(assignment_id)
        except MissingEntry:
            raise GradingError(
                f"assignment {assignment_id!r} is not in the gradebook; run `build` first"
            ) from None
        return tuple(sorted(notebook.name for notebook in assignment.notebooks))


def _course_bundle(
    course_root: Path, assignment_id: str, db_url: str, course_id: str
) -> CourseBundle:
    """What every worker needs of this course (see :class:`CourseBundle`)."""
    source = course_root / "source" / assignment_id
    files = []
    for folder, subfolders, names in os.walk(source):
        subfolders[:] = sorted(
            d for d in subfolders if not any(fnmatch.fnmatch(d, p) for p in _IGNORE)
        )
        for name in sorted(names):
            path = Path(folder) / name
            if path.is_file() and not any(fnmatch.fnmatch(name, p) for p in _IGNORE):
                files.append((path.relative_to(source).as_posix(), path.read_bytes()))
    return CourseBundle.create(
        assignment_id,
        course_id,
        (course_root / "nbgrader_config.py").read_bytes(),
        tuple(files),
        assignment_definition(db_url, course_id, assignment_id),
    )


def _student_folders(
    course_root: Path, assignment_id: str
) -> list[tuple[str, tuple[str, ...], bool]]:
    """Every student folder in ``submitted/``: its id, reasons to flag it, gradable or not.

    A submission is read with the intake rules (:mod:`autograder.course.intake`): one
    holding a link or a special file, or over the size limits, is not handed to nbgrader,
    which would follow the link (another student's notebook, a host file) or read the
    device (``/dev/zero``) until memory runs out.

    nbgrader grades ids with spaces or accents (measured on 0.9.6) but finds no notebooks
    for ids holding glob characters (``*?[]``): it globs the submitted path unescaped.
    """
    submitted = course_root / "submitted"
    if not submitted.is_dir():
        raise GradingError(f"no submitted/ folder in {course_root}")
    folders: list[tuple[str, tuple[str, ...], bool]] = []
    for path in sorted(submitted.iterdir()):
        mode = path.lstat().st_mode
        if stat.S_ISREG(mode):
            continue  # a stray file beside the students' folders
        name = path.name
        submission = path / assignment_id
        if not stat.S_ISDIR(mode):  # a link or a special file: never followed or opened
            folders.append((name, tuple(scan_submission(path).problems), False))
        elif _GLOB_CHARACTERS.search(name) or not name.isprintable():
            problem = (
                f"folder name {name!r} cannot be graded by nbgrader (glob or control "
                "characters); rename it, or upload it through `grade --lms`"
            )
            folders.append((name, (problem,), False))
        elif not os.path.lexists(submission):
            folders.append((name, (f"no {assignment_id}/ folder in submitted/{name}",), False))
        elif problems := scan_submission(submission).problems:
            folders.append((name, tuple(problems), False))
        elif not _SAFE_FOLDER.match(name):
            problem = f"odd folder name {name!r}: graded, but check it is the student's LMS id"
            folders.append((name, (problem,), True))
        else:
            folders.append((name, (), True))
    return folders


# ------------------------------------------------------------------------ the batch


def _outcome(event: Finished | GaveUp, writer: ResultWriter) -> StudentOutcome:
    """Write a finished task's result; flag a task that killed its workers."""
    if isinstance(event, Finished):
        writer.write(event.result)
        outcome = event.result.outcome
        outcome.tries = event.tries
        return outcome
    task = event.task
    problem = (
        f"grading killed its worker on each of {len(event.tries)} tries, so it was given up "
        "(a poison submission?): grade it by hand, then run grade --force"
    )
    return StudentOutcome(
        task.student_id,
        task.fingerprint,
        problems=[*task.problems, problem],
        tries=event.tries,
        gave_up=True,
    )


class _Progress:
    """The progress bar: students graded, rate, ETA, workers; a line per flagged one."""

    def __init__(self, total: int, enabled: bool, executor: Executor) -> None:
        from tqdm import tqdm

        self._bar = tqdm(total=total, unit="student", disable=not enabled, dynamic_ncols=True)
        self._executor = executor
        self._enabled = enabled
        self._asked = 0.0
        self._workers = 0

    def update(self, outcome: StudentOutcome) -> None:
        now = time.monotonic()
        if now - self._asked > 1:  # a cluster's count is a question to the scheduler
            self._workers, self._asked = self._executor.workers(), now
        self._bar.set_postfix_str(f"{self._workers} workers, {outcome.student_id}", refresh=False)
        if outcome.needs_human and self._enabled:
            self._bar.write(f"needs a human: {outcome.student_id}: {'; '.join(outcome.reasons)}")
        self._bar.update()

    def close(self) -> None:
        self._bar.close()


def _executor(
    bundle: CourseBundle, jobs: int, log_dir: Path, scheduler: str | None, certs: Path | None
) -> Executor:
    if scheduler is None:
        return LocalExecutor(bundle, jobs, log_dir)
    from autograder.course.cluster import DaskExecutor

    if certs is None:
        raise GradingError("grading on a cluster needs the course's certificates (--certs)")
    return DaskExecutor(bundle, scheduler, certs)


def grade(
    course_root: Path,
    assignment_id: str,
    *,
    jobs: int | None = None,
    db_url: str | None = None,
    force: bool = False,
    progress: bool = True,
    scheduler: str | None = None,
    certs: Path | None = None,
) -> list[StudentOutcome]:
    """Autograde every submission in ``submitted/`` with nbgrader, in parallel.

    Parameters
    ----------
    course_root : Path
        The nbgrader course folder (``nbgrader_config.py``, ``source/``, ``submitted/``).
    assignment_id : str
        The assignment to grade; ``build`` must have run.
    jobs : int, optional
        Worker processes on this machine; defaults to the number of cores. Ignored with
        ``scheduler``.
    db_url : str, optional
        A gradebook URL overriding the configured one (e.g. PostgreSQL).
    force : bool
        Regrade students the ledger already holds with an unchanged fingerprint.
    progress : bool
        Show a progress bar (count, rate, ETA, workers) on stderr.
    scheduler : str, optional
        A Dask scheduler's ``tls://host:port``: grade on its workers instead of here.
    certs : Path, optional
        With ``scheduler``: the folder of the course's cluster certificates (the CA and
        the client's certificate and key, from ``conv-grader cluster-certs``).

    Returns
    -------
    list of StudentOutcome
        One per student folder, sorted by id, including those skipped as up to date.

    Raises
    ------
    GradingError
        When grading cannot work for a reason that is not a student's (no sandbox, no
        grading kernelspec, the trusted grader not configured, no build, a cluster that
        cannot be reached): before the first student, or as soon as a worker meets it.
        Outcomes already written to the ledger stay there.
    """
    from nbgrader.coursedir import CourseDirectory

    course_root = Path(course_root).resolve()
    config = load_course_config(course_root, db_url)
    # On a cluster the workers check their own jail; the configuration is checked here.
    check_grader(config, sandbox=scheduler is None)
    coursedir = CourseDirectory(config=config)
    url, course_id = coursedir.db_url, coursedir.course_id
    notebooks = _assignment_notebooks(url, course_id, assignment_id)
    ledger = {} if force else read_ledger(course_root)
    course = _course_digest(course_root, assignment_id)

    outcomes: dict[str, StudentOutcome] = {}
    to_grade: list[tuple[str, tuple[str, ...]]] = []
    for student_id, problems, gradable in _student_folders(course_root, assignment_id):
        folder = course_root / "submitted" / student_id / assignment_id
        try:
            files = read_submission(folder) if gradable else {}
        except RefusedSubmissionError as refused:
            problems, gradable = (*problems, *refused.problems), False
            files = _submission_files(folder)
        fingerprint = _fingerprint(url, files, course)
        del files
        previous = ledger.get(student_id)
        autograded = Path(
            coursedir.format_path(coursedir.autograded_directory, student_id, assignment_id)
        )
        done = (
            previous is not None
            and previous.fingerprint == fingerprint
            and all(notebook.status != "failed" for notebook in previous.notebooks)
        )
        if (
            previous is not None
            and done
            and (autograded.is_dir() or not gradable or previous.gave_up)
        ):
            outcomes[student_id] = previous
        elif not gradable:
            outcomes[student_id] = StudentOutcome(student_id, fingerprint, problems=list(problems))
            _append_ledger(course_root, outcomes[student_id])
        else:
            to_grade.append((student_id, problems))
    if not to_grade:
        return [outcomes[student_id] for student_id in sorted(outcomes)]

    bundle = _course_bundle(course_root, assignment_id, url, course_id)
    writer = ResultWriter(config, assignment_id)
    log_dir = course_root / "grading_logs"
    log_dir.mkdir(exist_ok=True)
    executor = _executor(bundle, max(1, jobs or os.cpu_count() or 1), log_dir, scheduler, certs)
    bar = _Progress(len(to_grade), progress, executor)

    def finish(outcome: StudentOutcome) -> None:
        _append_ledger(course_root, outcome)
        outcomes[outcome.student_id] = outcome
        bar.update(outcome)

    def tasks() -> Iterator[GradingTask]:
        """One task per student, its files read only when a worker is about to need them."""
        for student_id, problems in to_grade:
            folder = course_root / "submitted" / student_id / assignment_id
            try:
                files = read_submission(folder)
            except RefusedSubmissionError as refused:  # changed since it was first looked at
                fingerprint = _fingerprint(url, _submission_files(folder), course)
                finish(StudentOutcome(student_id, fingerprint, problems=refused.problems))
                continue
            yield GradingTask(
                bundle.key,
                student_id,
                _fingerprint(url, files, course),
                notebooks,
                problems,
                tuple((str(path), data) for path, data in files.items()),
            )

    try:
        for event in executor.run(tasks()):
            finish(_outcome(event, writer))
    finally:
        executor.close()
        writer.close()
        bar.close()
    return [outcomes[student_id] for student_id in sorted(outcomes)]
