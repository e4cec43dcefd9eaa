"""Autograde every submission with nbgrader, in parallel, flagging what needs a human.

This wraps nbgrader, it does not replace it: each notebook is graded by nbgrader's own
``Autograde`` (through :class:`nbgrader.apps.NbGraderAPI`, in-process, so the ~3 s
start-up of the ``nbgrader`` command is paid once per worker, never per student or
notebook), configured by the course's ``nbgrader_config.py`` exactly as
``nbgrader autograde`` would be. Scores land in nbgrader's gradebook and
``autograded/``, where the formgrader shows them.

What this module adds:

- **Workers.** ``jobs`` processes, each with one long-lived API object, take one
  student at a time. (Each kernel gets its own socket directory from the sandbox's
  ``SandboxedExecute``, so concurrent kernels never share socket names.)
- **One notebook at a time when needed.** nbgrader drops a student's whole
  ``autograded/`` folder when any notebook fails; if that happens, each notebook is
  graded on its own, which keeps the ones that worked. A missing notebook is scored 0
  by nbgrader; a corrupt one (not JSON, not a valid notebook) is not handed to nbgrader
  at all and stays ungraded in the gradebook.
- **Flags.** Every student ends as graded or flagged with reasons: missing or corrupt
  notebook, timeout, dead kernel, a failure nbgrader reported, an odd folder name, a
  submission the intake rules refuse (a link, a special file, too large: such a one is
  not graded at all), an answer copied from code given elsewhere in the course.
- **A ledger.** ``grading_ledger.jsonl`` gets one line per finished student, holding a
  fingerprint of the submission and the course files. A killed run is resumed by running
  it again: students whose fingerprint (files, course, gradebook URL) is already in the
  ledger are skipped unless nbgrader failed on one of their notebooks; the rest are
  regraded from scratch (``force``), so the gradebook ends as one clean run leaves it.

Gradebook concurrency: every nbgrader operation opens its own SQLAlchemy session and
commits at once, and SQLite serialises writers with a file lock. The parent creates the
gradebook, the students and their submission rows before any worker starts (so no two
processes race to create a table or a row), and workers connect with a 60 s busy timeout
instead of pysqlite's 5 s, so a writer waits for the lock rather than failing. Two
writers that both read first can still deadlock, and SQLite then fails one at once; that
notebook is graded again (up to three times). ``benchmarks/bench_grading.py`` measures
the lock failures and waits. PostgreSQL needs none of this.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import stat
import sys
import time
import warnings
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from traitlets.config import Config

from autograder.course.course_config import GradingError, gradebook_url, load_course_config
from autograder.course.intake import RefusedSubmissionError, read_submission, scan_submission
from autograder.course.nbgrader_errors import failure
from autograder.jail.execute import (
    BUDGET_ERROR,
    Sandbox,
    SandboxedExecute,
    SandboxUnavailableError,
)
from autograder.verify.copying import copy_reasons

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
_SQLITE_BUSY_TIMEOUT_S = 60
_LOCK_RETRIES = 3
_JAILED_EXECUTE = f"{SandboxedExecute.__module__}.{SandboxedExecute.__name__}"


@dataclass
class NotebookOutcome:
    """How one notebook of one submission went.

    Attributes
    ----------
    notebook : str
        The notebook's name without ``.ipynb``.
    status : str
        ``"graded"``, ``"missing"``, ``"corrupt"`` or ``"failed"``.
    reason : str
        For anything but a clean grade, one line saying what happened.
    """

    notebook: str
    status: str
    reason: str = ""


@dataclass
class StudentOutcome:
    """One student's grading run.

    Attributes
    ----------
    student_id : str
        The nbgrader student id (the folder name in ``submitted/``).
    fingerprint : str
        :func:`submission_fingerprint` of what was graded.
    notebooks : list of NotebookOutcome
        One per notebook of the assignment, in order.
    seconds : float
        Wall time the worker spent on this student.
    problems : list of str
        Reasons a human should look, beyond the notebooks' own (e.g. an odd folder name).
    """

    student_id: str
    fingerprint: str
    notebooks: list[NotebookOutcome] = field(default_factory=list)
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        """Everything that makes this submission need a human, in order."""
        return self.problems + [
            f"{outcome.notebook}: {outcome.reason}" for outcome in self.notebooks if outcome.reason
        ]

    @property
    def needs_human(self) -> bool:
        return bool(self.reasons)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StudentOutcome:
        notebooks = [NotebookOutcome(**item) for item in data.pop("notebooks")]
        return cls(notebooks=notebooks, **data)


@dataclass(frozen=True)
class _StudentJob:
    """One student's grading job: what a worker is handed."""

    student_id: str
    fingerprint: str
    notebooks: tuple[str, ...]
    problems: tuple[str, ...]


def _with_busy_timeout(db_url: str) -> str:
    if not db_url.startswith("sqlite") or "timeout=" in db_url:
        return db_url
    separator = "&" if "?" in db_url else "?"
    return f"{db_url}{separator}timeout={_SQLITE_BUSY_TIMEOUT_S}"


# ----------------------------------------------------------------------- fingerprints


def _hash_tree(digest: Any, root: Path) -> None:
    """Hash the course's own files (trusted: the instructor's source folder)."""
    if not root.exists():
        return
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode("utf-8", "surrogateescape") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())


def _hash_submission(digest: Any, folder: Path) -> None:
    """Hash a submission read with the intake rules; one that breaks them, by its problems."""
    if not os.path.lexists(folder):
        return
    try:
        files = read_submission(folder)
    except RefusedSubmissionError as refused:
        digest.update(b"refused\0" + "\n".join(refused.problems).encode("utf-8", "replace"))
        return
    for relative, data in files.items():
        digest.update(str(relative).encode("utf-8", "surrogateescape") + b"\0")
        digest.update(hashlib.sha256(data).digest())


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
        Hex SHA-256 over the gradebook URL, the submitted files, the assignment's source
        folder and ``nbgrader_config.py``: it changes when any of them does.
    """
    course_root = Path(course_root)
    digest = hashlib.sha256(db_url.encode("utf-8") + b"\0")
    _hash_submission(digest, course_root / "submitted" / student_id / assignment_id)
    digest.update(b"\0source\0")
    _hash_tree(digest, course_root / "source" / assignment_id)
    digest.update((course_root / "nbgrader_config.py").read_bytes())
    return digest.hexdigest()


# --------------------------------------------------------------------------- ledger


def read_ledger(course_root: Path) -> dict[str, StudentOutcome]:
    """The latest complete outcome per student from ``grading_ledger.jsonl``.

    A line cut short by a killed run is ignored.
    """
    path = Path(course_root) / LEDGER_FILE
    outcomes: dict[str, StudentOutcome] = {}
    if not path.exists():
        return outcomes
    for line in path.read_text(encoding="utf-8").splitlines():
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


# -------------------------------------------------------------------------- workers

_API: Any = None


def _worker_init(config: Config, log_dir: str) -> None:
    """Build this worker's long-lived nbgrader API; send its noise to a log file.

    Kernels inherit the worker's stdout and stderr; their start-up chatter would break
    the parent's progress bar, so both go to ``grading_logs/worker-<pid>.log``.
    """
    global _API
    from nbgrader.apps import NbGraderAPI

    log = os.open(
        os.path.join(log_dir, f"worker-{os.getpid()}.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND
    )
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    warnings.simplefilter("ignore", category=Warning)
    config = Config(config)
    config.CourseDirectory.db_url = _with_busy_timeout(gradebook_url(config))
    _API = NbGraderAPI(config=config)


def _notebook_problem(path: Path) -> str:
    """Why nbgrader cannot be given this notebook, or "" if it can.

    The reason reaches the student's own feedback, so it says what is wrong and where,
    never what the file holds (nbformat's own messages quote the content).
    """
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return "corrupt notebook (not UTF-8 text)"
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        return f"corrupt notebook (not JSON: line {error.lineno}, column {error.colno})"
    if not isinstance(raw, dict) or raw.get("nbformat") != 4:
        return "corrupt notebook (not an nbformat 4 notebook)"
    try:
        nbformat.validate(nbformat.from_dict(raw))
    except nbformat.ValidationError as error:
        place = list(error.absolute_path)[:2]
        where = f" in cell {place[1] + 1}" if place[:1] == ["cells"] and len(place) == 2 else ""
        return f"corrupt notebook (not a valid nbformat 4 notebook{where})"
    except Exception as error:  # a notebook nbformat cannot even check
        return f"corrupt notebook ({type(error).__name__})"
    return ""


def _failure_reason(result: dict[str, Any]) -> str:
    text = f"{result.get('error', '')}\n{result.get('log', '')}"
    if "DeadKernelError" in text or "Kernel died" in text:
        return "dead kernel (crashed or killed for using too much memory or time)"
    if "UnresponsiveKernelError" in text or "kernel became unresponsive" in text:
        return "timeout (the kernel stopped responding)"
    if "database is locked" in text:
        return "gradebook locked (rerun grade)"
    return f"nbgrader failed: {failure(result).line}"


def _kernel_trouble(autograded: Path) -> str:
    """Why a graded notebook needs a human, read from what autograde stored ('' if none).

    nbgrader interrupts a cell past ``Execute.timeout`` and records an error for it; the
    sandbox records ``DeadKernelError`` on the cell where the kernel died and every later
    one, and ``NotebookBudgetError`` where a notebook's budget ran out and on every later
    cell; :class:`~autograder.verify.copying.FlagCopiedAnswers` records answers copied
    from code given elsewhere.
    """
    try:
        notebook = nbformat.read(autograded, as_version=4)
    except Exception:
        return "the autograded notebook cannot be read back"
    timeouts: list[str] = []
    deaths: list[str] = []
    budget = ""
    for index, cell in enumerate(notebook.cells):
        label = cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index + 1}"
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        names = {o.get("ename") for o in errors}
        if names & {"CellTimeoutError", "KeyboardInterrupt"}:
            timeouts.append(label)
        if "DeadKernelError" in names and not deaths:
            deaths.append(label)
        if BUDGET_ERROR in names and not budget:
            stop = next(o for o in errors if o.get("ename") == BUDGET_ERROR)
            why = str(stop.get("evalue", "")).removeprefix("Not run: ").rstrip(".")
            budget = f"stopped at {label}: {why[:1].lower()}{why[1:]}"
    reasons = []
    if timeouts:
        reasons.append(f"timeout in {', '.join(timeouts)}")
    if deaths:
        reasons.append(f"dead kernel from {deaths[0]} on (crash, os._exit or a resource limit)")
    if budget:
        reasons.append(budget)
    reasons += copy_reasons(notebook)
    return "; ".join(reasons)


def _autograde_notebook(assignment_id: str, student_id: str, notebook: str) -> dict[str, Any]:
    """nbgrader's autograde of one notebook, retried when SQLite refused a write.

    Two SQLite writers that both read first can deadlock; SQLite then fails one at once
    rather than letting it wait out the busy timeout. Grading that notebook again is
    safe: nbgrader's ``force`` starts it from scratch.
    """
    coursedir = _API.coursedir
    for attempt in range(_LOCK_RETRIES + 1):
        coursedir.notebook_id = notebook
        try:
            result = _API.autograde(assignment_id, student_id, force=True, create=True)
        except Exception as error:  # the batch goes on whatever one notebook does
            result = {"success": False, "error": f"{type(error).__name__}: {error}"}
        finally:
            coursedir.notebook_id = "*"
        if result["success"]:
            break
        # The worker's log keeps the whole story; the ledger gets one line of it.
        print(
            f"[{student_id}/{notebook}] autograde failed:\n{result.get('log', '')}"
            f"{result.get('error', '')}",
            file=sys.stderr,
            flush=True,
        )
        cause = failure(result)
        if cause.is_system_fault:
            raise GradingError(f"grading cannot work here: {cause.line}")
        if "database is locked" not in f"{result.get('error', '')}{result.get('log', '')}":
            break
        time.sleep(0.5 * (attempt + 1))
    return result


def _grade_student(task: _StudentJob) -> StudentOutcome:
    """Autograde one student's notebooks in this worker.

    When every submitted notebook is readable, one nbgrader call grades them all (its
    set-up, copying files and opening the gradebook, is paid once). If that call fails,
    or a notebook is corrupt, each good notebook is graded on its own, so one failure
    does not cost the others their grades.
    """
    started = time.perf_counter()
    coursedir = _API.coursedir
    assignment_id = coursedir.assignment_id
    outcome = StudentOutcome(task.student_id, task.fingerprint, problems=list(task.problems))
    folder = Path(coursedir.format_path(coursedir.submitted_directory, task.student_id, "."))
    autograded = Path(
        coursedir.format_path(coursedir.autograded_directory, task.student_id, assignment_id)
    )
    unusable: dict[str, NotebookOutcome] = {}
    for name in task.notebooks:
        path = folder / assignment_id / f"{name}.ipynb"
        if not path.exists():
            unusable[name] = NotebookOutcome(name, "missing", "missing notebook")
        elif problem := _notebook_problem(path):
            unusable[name] = NotebookOutcome(name, "corrupt", problem)
    gradable = [name for name in task.notebooks if name not in unusable]

    results: dict[str, dict[str, Any]] = {}
    if gradable and not any(o.status == "corrupt" for o in unusable.values()):
        together = _autograde_notebook(assignment_id, task.student_id, "*")
        if together["success"]:
            results = dict.fromkeys(gradable, together)
    for name in gradable:
        if name not in results:
            results[name] = _autograde_notebook(assignment_id, task.student_id, name)

    for name in task.notebooks:
        if name in unusable:
            outcome.notebooks.append(unusable[name])
        elif not results[name]["success"]:
            reason = _failure_reason(results[name])
            outcome.notebooks.append(NotebookOutcome(name, "failed", reason))
        else:
            trouble = _kernel_trouble(autograded / f"{name}.ipynb")
            outcome.notebooks.append(NotebookOutcome(name, "graded", trouble))
    outcome.seconds = time.perf_counter() - started
    return outcome


# --------------------------------------------------------------------------- parent


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


def _register_submissions(
    db_url: str, course_id: str, assignment_id: str, student_ids: Iterable[str]
) -> None:
    """Create every student and submission row up front, so workers only update rows."""
    from nbgrader.api import Gradebook

    with warnings.catch_warnings(), Gradebook(db_url, course_id) as gradebook:
        # nbgrader's own row creation trips SQLAlchemy's autoflush warning; it is harmless.
        warnings.simplefilter("ignore", category=Warning)
        for student_id in student_ids:
            gradebook.update_or_create_student(student_id)
            gradebook.update_or_create_submission(assignment_id, student_id)


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


def _run_workers(
    config: Config, tasks: list[_StudentJob], jobs: int, log_dir: Path
) -> Iterable[StudentOutcome]:
    """Yield each task's outcome as it finishes; a crashed worker flags, never hangs."""
    if not tasks:
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        min(jobs, len(tasks)), context, _worker_init, (config, str(log_dir))
    ) as pool:
        futures = {pool.submit(_grade_student, task): task for task in tasks}
        for future in as_completed(futures):
            try:
                yield future.result()
            except GradingError:
                # The system's fault, not the student's: every other student would fail
                # the same way, so stop now rather than flag the whole class.
                pool.shutdown(wait=True, cancel_futures=True)
                raise
            except BrokenProcessPool:
                task = futures[future]
                yield StudentOutcome(
                    task.student_id,
                    fingerprint="",
                    problems=["the grading worker died; run grade again"],
                )


def _check_grader(config: Config) -> None:
    """Stop before the first student when grading cannot work here, saying how to fix it.

    Without this, every student's notebooks would fail the same way and the whole
    class would be flagged "needs a human" for the system's fault.
    """
    steps = config.Autograde.get("autograde_preprocessors", [])
    if not any(step in (SandboxedExecute, _JAILED_EXECUTE) for step in steps):
        raise GradingError(
            "the course's nbgrader_config.py does not configure the trusted grader: call "
            "autograder.verify.config.configure(c, COURSE_ROOT) in it"
        )
    try:
        Sandbox(config=config).check_ready(config.Execute.get("kernel_name", ""))
    except SandboxUnavailableError as error:
        raise GradingError(str(error)) from None


def _progress(total: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit="student", disable=not enabled, dynamic_ncols=True)


def grade(
    course_root: Path,
    assignment_id: str,
    *,
    jobs: int | None = None,
    db_url: str | None = None,
    force: bool = False,
    progress: bool = True,
) -> list[StudentOutcome]:
    """Autograde every submission in ``submitted/`` with nbgrader, in parallel.

    Parameters
    ----------
    course_root : Path
        The nbgrader course folder (``nbgrader_config.py``, ``source/``, ``submitted/``).
    assignment_id : str
        The assignment to grade; ``build`` must have run.
    jobs : int, optional
        Worker processes; defaults to the number of cores.
    db_url : str, optional
        A gradebook URL overriding the configured one (e.g. PostgreSQL).
    force : bool
        Regrade students the ledger already holds with an unchanged fingerprint.
    progress : bool
        Show a progress bar (count, rate, ETA) on stderr.

    Returns
    -------
    list of StudentOutcome
        One per student folder, sorted by id, including those skipped as up to date.

    Raises
    ------
    GradingError
        When grading cannot work for a reason that is not a student's (no sandbox, no
        grading kernelspec, the trusted grader not configured, no build): before the
        first student, or as soon as a worker meets it. Outcomes already written to the
        ledger stay there.
    """
    from nbgrader.coursedir import CourseDirectory

    course_root = Path(course_root).resolve()
    config = load_course_config(course_root, db_url)
    _check_grader(config)
    if "prestart_kernels" not in config.Sandbox:
        # A worker always has a next notebook in view, so its kernel can start early.
        config.Sandbox.prestart_kernels = True
    jobs = max(1, jobs or os.cpu_count() or 1)
    coursedir = CourseDirectory(config=config)
    url, autograded_dir, course_id = (
        coursedir.db_url,
        coursedir.autograded_directory,
        coursedir.course_id,
    )
    notebooks = _assignment_notebooks(url, course_id, assignment_id)
    ledger = {} if force else read_ledger(course_root)

    outcomes: dict[str, StudentOutcome] = {}
    tasks: list[_StudentJob] = []
    for student_id, problems, gradable in _student_folders(course_root, assignment_id):
        fingerprint = submission_fingerprint(course_root, assignment_id, student_id, url)
        previous = ledger.get(student_id)
        autograded = Path(coursedir.format_path(autograded_dir, student_id, assignment_id))
        done = (
            previous is not None
            and previous.fingerprint == fingerprint
            and all(notebook.status != "failed" for notebook in previous.notebooks)
        )
        if previous is not None and done and (autograded.is_dir() or not gradable):
            outcomes[student_id] = previous
        elif not gradable:
            outcomes[student_id] = StudentOutcome(student_id, fingerprint, problems=list(problems))
            _append_ledger(course_root, outcomes[student_id])
        else:
            tasks.append(_StudentJob(student_id, fingerprint, notebooks, problems))

    _register_submissions(url, course_id, assignment_id, [task.student_id for task in tasks])
    config.CourseDirectory.assignment_id = assignment_id
    log_dir = course_root / "grading_logs"
    log_dir.mkdir(exist_ok=True)
    with _progress(len(tasks), progress) as bar:
        for outcome in _run_workers(config, tasks, jobs, log_dir):
            _append_ledger(course_root, outcome)
            outcomes[outcome.student_id] = outcome
            bar.set_postfix_str(outcome.student_id, refresh=False)
            bar.update()
    return [outcomes[student_id] for student_id in sorted(outcomes)]
