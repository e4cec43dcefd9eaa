"""One grading task: a submission's files in, its autograded notebooks and outcome out.

A task is the unit that travels to a grading worker, on this machine or on another one
(:mod:`autograder.course.executors`). It is a pure function of picklable values:

- **In:** a :class:`GradingTask`, one student's submitted files as bytes (read on the
  coordinator with the intake rules, so no link is followed), and the
  :class:`CourseBundle` its ``course_key`` names, which every worker receives once: the
  course's ``nbgrader_config.py``, its ``source/<assignment>/`` files and a SQLite
  gradebook holding only the assignment's definition, copied from the course's
  gradebook (the cells, points and checksums nbgrader's ``OverwriteCells`` restores).
- **Where:** a private course folder on the worker, made once per course and process
  from the bundle: the submission is written into its ``submitted/``, its gradebook is
  reset to the definition, and nbgrader's own ``Autograde`` grades it with the course's
  preprocessors (the jail, the verifier) exactly as ``nbgrader autograde`` would, minus
  the steps that write the gradebook (:func:`split_autograde_steps`).
- **Out:** a :class:`GradedSubmission`: every file nbgrader wrote into the private
  ``autograded/`` folder (with its mode), the submission's timestamp as nbgrader read
  it, and the :class:`StudentOutcome` (graded or flagged, with reasons).

The worker writes nothing shared. The coordinator is the one writer
(:mod:`autograder.course.results`): it runs the gradebook steps (nbgrader's
``SaveAutoGrades`` and ``AssignLatePenalties``) on the returned notebooks against the
course's gradebook, and writes ``autograded/``.

Within a task:

- **One notebook at a time when needed.** nbgrader drops a student's whole
  ``autograded/`` folder when any notebook fails; if that happens, each notebook is
  graded on its own, which keeps the ones that worked. A missing notebook is scored 0
  by nbgrader; a corrupt one (not JSON, not a valid notebook) is not handed to nbgrader
  at all and stays ungraded in the gradebook.
- **Flags.** Missing or corrupt notebook, timeout, dead kernel, a failure nbgrader
  reported.
- **The system's faults stop the batch**: no sandbox, no grading kernelspec, the trusted
  grader not configured, or a worker whose ``autograder`` differs from the
  coordinator's raise :class:`GradingError` out of the task.
"""

from __future__ import annotations

import atexit
import datetime
import hashlib
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

import nbformat
from traitlets.config import Config
from traitlets.utils.importstring import import_item

from autograder.course.course_config import GradingError, load_course_config
from autograder.course.nbgrader_errors import failure
from autograder.jail.execute import (
    BUDGET_ERROR,
    Sandbox,
    SandboxedExecute,
    SandboxUnavailableError,
)
from autograder.verify.bonus import SaveBonusCredit
from autograder.verify.copying import copy_reasons

__all__ = [
    "CourseBundle",
    "GradedFile",
    "GradedSubmission",
    "GradingTask",
    "NotebookOutcome",
    "StudentOutcome",
    "check_grader",
    "grader_digest",
    "install_bundle",
    "relative_path",
    "run_task",
    "split_autograde_steps",
]

_JAILED_EXECUTE = f"{SandboxedExecute.__module__}.{SandboxedExecute.__name__}"
_PACKAGE = Path(__file__).resolve().parents[1]


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
    """One student's grading run, as the ledger records it.

    Attributes
    ----------
    student_id : str
        The nbgrader student id (the folder name in ``submitted/``).
    fingerprint : str
        The fingerprint of what was graded (``grading.submission_fingerprint``).
    notebooks : list of NotebookOutcome
        One per notebook of the assignment, in order.
    seconds : float
        Wall time the worker spent on this student (its last try).
    problems : list of str
        Reasons a human should look, beyond the notebooks' own (e.g. an odd folder name).
    tries : list of str
        Every run of the task: the worker it ran on and how it ended (``"... died"`` for
        a worker killed under it, ``"... graded"`` for the run that counted).
    gave_up : bool
        The task killed its worker on every try: graded by nobody, kept as flagged on a
        rerun until ``--force``.
    """

    student_id: str
    fingerprint: str
    notebooks: list[NotebookOutcome] = field(default_factory=list)
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    tries: list[str] = field(default_factory=list)
    gave_up: bool = False

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
class CourseBundle:
    """What every worker needs of the course: sent once per worker, never per task.

    Attributes
    ----------
    key : str
        Hex SHA-256 of everything below: tasks name their course by it.
    assignment_id, course_id : str
        The assignment graded and the gradebook's course.
    config_file : bytes
        The course's ``nbgrader_config.py``.
    source_files : tuple of (str, bytes)
        ``source/<assignment>/``'s files (nbgrader's ignore patterns left out), by path
        relative to that folder.
    definition : bytes
        A SQLite gradebook holding the assignment's definition and no student.
    grader_digest : str
        :func:`grader_digest` on the coordinator: a worker running other code refuses.
    """

    key: str
    assignment_id: str
    course_id: str
    config_file: bytes
    source_files: tuple[tuple[str, bytes], ...]
    definition: bytes
    grader_digest: str

    @classmethod
    def create(
        cls,
        assignment_id: str,
        course_id: str,
        config_file: bytes,
        source_files: tuple[tuple[str, bytes], ...],
        definition: bytes,
    ) -> CourseBundle:
        digest = hashlib.sha256()
        for part in (assignment_id, course_id, config_file, definition, grader_digest()):
            data = part.encode() if isinstance(part, str) else part
            digest.update(hashlib.sha256(data).digest())
        for path, data in source_files:
            digest.update(path.encode("utf-8", "surrogateescape") + b"\0")
            digest.update(hashlib.sha256(data).digest())
        return cls(
            digest.hexdigest(),
            assignment_id,
            course_id,
            config_file,
            source_files,
            definition,
            grader_digest(),
        )


@dataclass(frozen=True)
class GradingTask:
    """One student's submission, as it travels to a worker.

    Attributes
    ----------
    course_key : str
        :attr:`CourseBundle.key` of the course it belongs to.
    student_id : str
        The nbgrader student id.
    fingerprint : str
        The submission's fingerprint, returned in the outcome.
    notebooks : tuple of str
        The assignment's notebooks, by name without ``.ipynb``.
    problems : tuple of str
        Reasons to flag it found before grading (an odd folder name).
    files : tuple of (str, bytes)
        The submission folder's regular files, by POSIX path relative to it.
    """

    course_key: str
    student_id: str
    fingerprint: str
    notebooks: tuple[str, ...]
    problems: tuple[str, ...]
    files: tuple[tuple[str, bytes], ...]


@dataclass(frozen=True)
class GradedFile:
    """One file nbgrader wrote into ``autograded/<student>/<assignment>/``."""

    path: str
    data: bytes
    mode: int


@dataclass
class GradedSubmission:
    """What a task returns to the coordinator.

    Attributes
    ----------
    outcome : StudentOutcome
        Graded or flagged, per notebook.
    files : tuple of GradedFile
        The autograded folder as nbgrader wrote it; empty when nothing was graded.
    timestamp : datetime.datetime or None
        The submission time nbgrader read from the submission (``timestamp.txt``).
    graded_by_nbgrader : bool
        Whether nbgrader's autograde ran for this student (then, as nbgrader does, the
        writer scores missing notebooks 0).
    worker : str
        Where it ran (set by the executor).
    """

    outcome: StudentOutcome
    files: tuple[GradedFile, ...] = ()
    timestamp: datetime.datetime | None = None
    graded_by_nbgrader: bool = False
    worker: str = ""


# ------------------------------------------------------------------ the course's steps


def _step_class(step: Any) -> type:
    return import_item(step) if isinstance(step, str) else step


def split_autograde_steps(config: Config) -> tuple[list[Any], list[Any]]:
    """The course's autograde preprocessors, split into the worker's and the writer's.

    Returns
    -------
    (list, list)
        The steps a worker runs (all but those writing the gradebook), and the steps the
        coordinator runs against the course's gradebook on the returned notebooks
        (nbgrader's ``SaveAutoGrades`` and ``AssignLatePenalties``, the bonus credit, or
        their subclasses), each list in the configured order.
    """
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades

    steps = config.Autograde.get(
        "autograde_preprocessors", Autograde.class_traits()["autograde_preprocessors"].default()
    )
    gradebook_steps = (SaveAutoGrades, SaveBonusCredit, AssignLatePenalties)
    writes = [issubclass(_step_class(s), gradebook_steps) for s in steps]
    return (
        [step for step, w in zip(steps, writes, strict=True) if not w],
        [step for step, w in zip(steps, writes, strict=True) if w],
    )


def check_grader(config: Config, *, sandbox: bool = True) -> None:
    """Stop before the first student when grading cannot work here, saying how to fix it.

    Without this, every student's notebooks would fail the same way and the whole
    class would be flagged "needs a human" for the system's fault.

    Parameters
    ----------
    config : traitlets.config.Config
        The course's configuration.
    sandbox : bool
        Also check that this machine can jail a kernel (off on a coordinator whose
        workers are elsewhere: each worker checks its own).
    """
    steps = config.Autograde.get("autograde_preprocessors", [])
    if not any(step in (SandboxedExecute, _JAILED_EXECUTE) for step in steps):
        raise GradingError(
            "the course's nbgrader_config.py does not configure the trusted grader: call "
            "autograder.verify.config.configure(c, COURSE_ROOT) in it"
        )
    if not sandbox:
        return
    try:
        Sandbox(config=config).check_ready(config.Execute.get("kernel_name", ""))
    except SandboxUnavailableError as error:
        raise GradingError(str(error)) from None


@cache
def grader_digest() -> str:
    """Hex SHA-256 of this ``autograder`` package's Python files.

    A worker whose checkout differs from the coordinator's would grade with another
    verifier or jail; it refuses instead.
    """
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        digest.update(str(path.relative_to(_PACKAGE)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


# ------------------------------------------------------------------ checks on notebooks


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


# ------------------------------------------------------------- the worker's private course


def relative_path(path: str) -> PurePosixPath:
    """A relative path that came over the wire, checked to stay inside its folder."""
    relative = PurePosixPath(path)
    if relative.is_absolute() or not relative.parts or ".." in relative.parts:
        raise ValueError(f"refusing to write {path!r} outside the submission folder")
    return relative


def _write_tree(root: Path, files: tuple[tuple[str, bytes], ...]) -> None:
    for path, data in files:
        target = root / relative_path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


class _PrivateCourse:
    """A course folder of this worker process's own, made from a :class:`CourseBundle`.

    Its ``source/`` and config never change while it lives, so the jail's kernel
    started ahead for the next notebook (``Sandbox.prestart_kernels``) carries over
    from one task to the next.
    """

    def __init__(self, bundle: CourseBundle) -> None:
        from nbgrader.apps import NbGraderAPI

        if bundle.grader_digest != grader_digest():
            raise GradingError(
                f"this worker ({_here()}) runs another version of conv-grader than the "
                "coordinator: check out the same commit there and run `make setup`"
            )
        self.bundle = bundle
        self.root = Path(tempfile.mkdtemp(prefix=f"conv-grader-{bundle.key[:12]}-"))
        atexit.register(shutil.rmtree, self.root, True)
        (self.root / "nbgrader_config.py").write_bytes(bundle.config_file)
        _write_tree(self.root / "source" / bundle.assignment_id, bundle.source_files)
        self.gradebook = self.root / "gradebook.db"
        config = load_course_config(self.root, f"sqlite:///{self.gradebook}")
        check_grader(config)
        worker_steps, _ = split_autograde_steps(config)
        config.Autograde.autograde_preprocessors = worker_steps
        config.CourseDirectory.assignment_id = bundle.assignment_id
        if "prestart_kernels" not in config.Sandbox:
            # A worker always has a next notebook in view, so its kernel can start early.
            config.Sandbox.prestart_kernels = True
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=Warning)
            self.api = NbGraderAPI(config=config)

    def _reset(self, task: GradingTask) -> Path:
        """An empty ``submitted/`` and ``autograded/``, a gradebook with no student."""
        for folder in ("submitted", "autograded"):
            shutil.rmtree(self.root / folder, ignore_errors=True)
        fresh = self.gradebook.with_suffix(".new")
        fresh.write_bytes(self.bundle.definition)
        os.replace(fresh, self.gradebook)
        submission = self.root / "submitted" / task.student_id / self.bundle.assignment_id
        submission.mkdir(parents=True)
        _write_tree(submission, task.files)
        return submission

    def _autograde(self, student_id: str, notebook: str) -> dict[str, Any]:
        """nbgrader's autograde of one notebook (``"*"``: all of them) of this student."""
        coursedir = self.api.coursedir
        coursedir.notebook_id = notebook
        try:
            result = self.api.autograde(
                self.bundle.assignment_id, student_id, force=True, create=True
            )
        except Exception as error:  # the batch goes on whatever one notebook does
            result = {"success": False, "error": f"{type(error).__name__}: {error}"}
        finally:
            coursedir.notebook_id = "*"
        if not result["success"]:
            # The worker's log keeps the whole story; the ledger gets one line of it.
            print(
                f"[{student_id}/{notebook}] autograde failed:\n{result.get('log', '')}"
                f"{result.get('error', '')}",
                file=sys.stderr,
                flush=True,
            )
            cause = failure(result)
            if cause.is_system_fault:
                raise GradingError(f"grading cannot work on {_here()}: {cause.line}")
        return result

    def grade(self, task: GradingTask) -> GradedSubmission:
        """Autograde one submission here; see the module docstring.

        When every submitted notebook is readable, one nbgrader call grades them all
        (its set-up is paid once). If that call fails, or a notebook is corrupt, each
        good notebook is graded on its own, so one failure does not cost the others
        their grades.
        """
        started = time.perf_counter()
        assignment_id = self.bundle.assignment_id
        submission = self._reset(task)
        autograded = self.root / "autograded" / task.student_id / assignment_id
        outcome = StudentOutcome(task.student_id, task.fingerprint, problems=list(task.problems))
        unusable: dict[str, NotebookOutcome] = {}
        for name in task.notebooks:
            path = submission / f"{name}.ipynb"
            if not path.exists():
                unusable[name] = NotebookOutcome(name, "missing", "missing notebook")
            elif problem := _notebook_problem(path):
                unusable[name] = NotebookOutcome(name, "corrupt", problem)
        gradable = [name for name in task.notebooks if name not in unusable]

        results: dict[str, dict[str, Any]] = {}
        if gradable and not any(o.status == "corrupt" for o in unusable.values()):
            together = self._autograde(task.student_id, "*")
            if together["success"]:
                results = dict.fromkeys(gradable, together)
        for name in gradable:
            if name not in results:
                results[name] = self._autograde(task.student_id, name)

        for name in task.notebooks:
            if name in unusable:
                outcome.notebooks.append(unusable[name])
            elif not results[name]["success"]:
                outcome.notebooks.append(
                    NotebookOutcome(name, "failed", _failure_reason(results[name]))
                )
            else:
                trouble = _kernel_trouble(autograded / f"{name}.ipynb")
                outcome.notebooks.append(NotebookOutcome(name, "graded", trouble))
        files = tuple(
            GradedFile(
                str(PurePosixPath(*path.relative_to(autograded).parts)),
                path.read_bytes(),
                path.stat().st_mode & 0o7777,
            )
            for path in sorted(autograded.rglob("*"))
            if path.is_file()
        )
        outcome.seconds = time.perf_counter() - started
        return GradedSubmission(
            outcome,
            files,
            self._timestamp(submission),
            graded_by_nbgrader=bool(gradable),
        )

    def _timestamp(self, submission: Path) -> datetime.datetime | None:
        """The submission time, read as nbgrader's ``Autograde`` reads it."""
        try:
            return self.api.coursedir.get_existing_timestamp(str(submission))
        except (Exception, SystemExit):  # nbgrader already reported it in the autograde log
            return None


def _here() -> str:
    import socket

    return f"{socket.gethostname()} (pid {os.getpid()})"


# Every bundle this process was given, and the private course made from each.
_BUNDLES: dict[str, CourseBundle] = {}
_COURSES: dict[str, _PrivateCourse] = {}
# nbgrader changes the process's working directory while it grades: one task at a time.
_ONE_AT_A_TIME = threading.Lock()


def install_bundle(bundle: CourseBundle) -> None:
    """Make a course known to this process, for the tasks that name it."""
    _BUNDLES[bundle.key] = bundle


def run_task(task: GradingTask) -> GradedSubmission:
    """Grade one submission in this process (a worker), in its course's private folder.

    Raises
    ------
    GradingError
        When grading cannot work on this worker (see the module docstring).
    """
    with _ONE_AT_A_TIME:
        course = _COURSES.get(task.course_key)
        if course is None:
            bundle = _BUNDLES.get(task.course_key)
            if bundle is None:
                raise GradingError(f"this worker ({_here()}) was not given the task's course")
            course = _COURSES[task.course_key] = _PrivateCourse(bundle)
        return course.grade(task)
