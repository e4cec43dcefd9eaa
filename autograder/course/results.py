"""The one writer: graded submissions into the course's gradebook and ``autograded/``.

Workers (:mod:`autograder.course.grading_task`) grade in private folders and write
nothing shared. The coordinator writes each :class:`GradedSubmission` as it arrives,
the way nbgrader's ``Autograde`` itself would have written it:

- the student and the submission, with the timestamp nbgrader read from it
  (``Autograde.init_assignment``), and, when nbgrader graded anything, a score of 0 for
  every notebook the student did not submit (as ``init_assignment`` does);
- for each returned notebook, nbgrader's own gradebook steps of the course's autograde
  list (``SaveAutoGrades``, the bonus credit, ``AssignLatePenalties``, as configured),
  run on the autograded notebook against the course's gradebook: scores, comments,
  "needs manual grade" flags and late penalties are nbgrader's;
- ``autograded/<student>/<assignment>/``, replaced as a whole (a new folder renamed into
  place), as nbgrader's ``--force`` replaces it, files with nbgrader's modes.

One process writes, so the SQLite gradebook needs no lock retries; its busy timeout
stays long in case formgrader writes a manual grade meanwhile. nbgrader opens a new
``Gradebook``, hence a new SQLAlchemy engine, for every step of every notebook, and
SQLAlchemy caches compiled statements per engine; the writer hands nbgrader one engine
per gradebook URL for the whole batch (:meth:`ResultWriter._one_engine`), which makes a
write several times cheaper, and the coordinator's writing is what bounds a cluster.

:func:`assignment_definition` copies the assignment's definition (notebooks, cells,
points, checksums; no students) out of the course's gradebook into a SQLite file, which
travels to the workers in the :class:`CourseBundle`.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
from traitlets.config import Config

from autograder.course.grading_task import (
    GradedSubmission,
    relative_path,
    split_autograde_steps,
)
from autograder.verify.preprocessors import VERDICTS_KEY, verdicts_written_in

__all__ = ["ResultWriter", "assignment_definition", "with_busy_timeout"]

_SQLITE_BUSY_TIMEOUT_S = 60


def with_busy_timeout(db_url: str) -> str:
    """A SQLite URL with a 60 s busy timeout (pysqlite waits 5 s); others unchanged."""
    if not db_url.startswith("sqlite") or "timeout=" in db_url:
        return db_url
    separator = "&" if "?" in db_url else "?"
    return f"{db_url}{separator}timeout={_SQLITE_BUSY_TIMEOUT_S}"


def assignment_definition(db_url: str, course_id: str, assignment_id: str) -> bytes:
    """The assignment's definition in the course's gradebook, as a SQLite gradebook file.

    Parameters
    ----------
    db_url, course_id : str
        The course's gradebook.
    assignment_id : str
        The assignment; ``build`` (nbgrader's ``generate_assignment``) must have run.

    Returns
    -------
    bytes
        A SQLite database made by nbgrader's ``Gradebook``, holding the assignment, its
        notebooks and their grade, solution, task and source cells; no student.
    """
    from nbgrader.api import Gradebook

    with tempfile.TemporaryDirectory(prefix="conv-grader-definition-") as folder:
        path = Path(folder) / "gradebook.db"
        with warnings.catch_warnings(), Gradebook(db_url, course_id) as central:
            warnings.simplefilter("ignore", category=Warning)
            _same_schema_version(central, path)
            copy = Gradebook(f"sqlite:///{path}", course_id)
        with warnings.catch_warnings(), Gradebook(db_url, course_id) as central, copy:
            warnings.simplefilter("ignore", category=Warning)
            assignment = central.find_assignment(assignment_id)
            copy.update_or_create_assignment(assignment_id, duedate=assignment.duedate)
            for notebook in assignment.notebooks:
                name = notebook.name
                copy.update_or_create_notebook(name, assignment_id, kernelspec=notebook.kernelspec)
                for cell in notebook.grade_cells:
                    copy.update_or_create_grade_cell(
                        cell.name,
                        name,
                        assignment_id,
                        max_score=cell.max_score,
                        cell_type=cell.cell_type,
                    )
                for cell in notebook.task_cells:
                    copy.update_or_create_task_cell(
                        cell.name,
                        name,
                        assignment_id,
                        max_score=cell.max_score,
                        cell_type=cell.cell_type,
                    )
                for cell in notebook.solution_cells:
                    copy.update_or_create_solution_cell(cell.name, name, assignment_id)
                for cell in notebook.source_cells:
                    copy.update_or_create_source_cell(
                        cell.name,
                        name,
                        assignment_id,
                        cell_type=cell.cell_type,
                        locked=cell.locked,
                        source=cell.source,
                        checksum=cell.checksum,
                    )
        return path.read_bytes()


def _same_schema_version(central: Any, path: Path) -> None:
    """Start the copy with the course gradebook's schema version (alembic's).

    nbgrader stamps a new gradebook by running ``alembic heads`` in a subprocess, seconds
    on a busy machine; the copy takes the version its source has instead.
    """
    from sqlalchemy import text

    version = central.db.execute(text("SELECT version_num FROM alembic_version")).scalar()
    with sqlite3.connect(path) as database:
        database.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        database.execute("INSERT INTO alembic_version (version_num) VALUES (?)", (version,))
    database.close()


class ResultWriter:
    """Writes graded submissions into one course's gradebook and ``autograded/``.

    Parameters
    ----------
    config : traitlets.config.Config
        The course's configuration (its gradebook URL, folders and autograde steps).
    assignment_id : str
        The assignment graded.
    """

    def __init__(self, config: Config, assignment_id: str) -> None:
        from nbgrader.coursedir import CourseDirectory

        self.coursedir = CourseDirectory(config=config)
        self.assignment_id = assignment_id
        self.db_url = with_busy_timeout(self.coursedir.db_url)
        self.course_id = self.coursedir.course_id
        _, steps = split_autograde_steps(config)
        self._steps = [_instance(step, config) for step in steps]
        self._engines: dict[str, Any] = {}

    @contextmanager
    def _one_engine(self) -> Iterator[None]:
        """While writing, every nbgrader ``Gradebook`` of a URL gets this writer's engine.

        ``Gradebook.close`` disposes of the engine's connections, not of the engine, so
        the engine and its compiled-statement cache live on for the next write.
        """
        import nbgrader.api

        create_engine = nbgrader.api.create_engine

        def shared(url: Any, **options: Any) -> Any:
            key = str(url)
            if key not in self._engines:
                self._engines[key] = create_engine(url, **options)
            return self._engines[key]

        nbgrader.api.create_engine = shared
        try:
            yield
        finally:
            nbgrader.api.create_engine = create_engine

    def close(self) -> None:
        """Release the gradebook connections."""
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()

    def write(self, graded: GradedSubmission) -> None:
        """Write one graded submission: gradebook first, then ``autograded/``."""
        from nbgrader.api import Gradebook

        student_id = graded.outcome.student_id
        with warnings.catch_warnings(), self._one_engine():
            # nbgrader's own row creation trips SQLAlchemy's autoflush warning; harmless.
            warnings.simplefilter("ignore", category=Warning)
            with Gradebook(self.db_url, self.course_id) as gradebook:
                gradebook.update_or_create_student(student_id)
                if graded.timestamp is not None:
                    gradebook.update_or_create_submission(
                        self.assignment_id, student_id, timestamp=graded.timestamp
                    )
                else:
                    gradebook.update_or_create_submission(self.assignment_id, student_id)
                if graded.graded_by_nbgrader:
                    self._score_missing_notebooks(gradebook, graded)
            files = {file.path: file for file in graded.files}
            for notebook in graded.outcome.notebooks:
                returned = files.get(f"{notebook.notebook}.ipynb")
                if notebook.status == "graded" and returned is not None:
                    self._save_grades(notebook.notebook, student_id, returned.data)
        if graded.files:
            self._write_files(student_id, graded)

    def _score_missing_notebooks(self, gradebook: Any, graded: GradedSubmission) -> None:
        """0 for each notebook not submitted, as nbgrader's ``Autograde`` scores it."""
        for notebook in graded.outcome.notebooks:
            if notebook.status != "missing":
                continue
            submitted = gradebook.find_submission_notebook(
                notebook.notebook, self.assignment_id, graded.outcome.student_id
            )
            for grade in submitted.grades:
                grade.auto_score = 0
                grade.needs_manual_grade = False
        gradebook.db.commit()

    def _save_grades(self, notebook_id: str, student_id: str, data: bytes) -> None:
        notebook = nbformat.reads(data.decode("utf-8"), as_version=4)
        resources = {
            "nbgrader": {
                "notebook": notebook_id,
                "assignment": self.assignment_id,
                "student": student_id,
                "db_url": self.db_url,
            },
            # The worker's VerifyProbes judged this notebook; its verdicts, which the bonus
            # credit reads, come back in the test cells' metadata.
            VERDICTS_KEY: verdicts_written_in(notebook),
        }
        for step in self._steps:
            notebook, resources = step(notebook, resources)

    def _write_files(self, student_id: str, graded: GradedSubmission) -> None:
        """Replace ``autograded/<student>/<assignment>/`` with the returned files."""
        destination = Path(
            self.coursedir.format_path(
                self.coursedir.autograded_directory, student_id, self.assignment_id
            )
        )
        destination.parent.mkdir(parents=True, exist_ok=True)
        fresh = Path(tempfile.mkdtemp(prefix=f".{self.assignment_id}-", dir=destination.parent))
        try:
            for file in graded.files:
                target = fresh / relative_path(file.path)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(file.data)
                os.chmod(target, file.mode)
            fresh.chmod(0o755)
            if destination.exists():
                shutil.rmtree(destination)
            os.replace(fresh, destination)
        except BaseException:
            shutil.rmtree(fresh, ignore_errors=True)
            raise


def _instance(step: Any, config: Config) -> Any:
    """One of the course's preprocessors (a class or its dotted name), configured."""
    from traitlets.utils.importstring import import_item

    cls = import_item(step) if isinstance(step, str) else step
    return cls(config=config)
