"""The course's nbgrader configuration, loaded so that a broken one stops the instructor.

nbgrader logs an exception in its config file and carries on with stock settings (no
verifier, the wrong kernel). Every ``conv-grader`` verb loads the configuration here
instead, where such an exception is a :class:`GradingError`.
"""

from __future__ import annotations

from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from autograder.verify.config import ASSIGNMENT_ID

__all__ = ["REPO_ROOT", "SOURCE_DIR", "GradingError", "gradebook_url", "load_course_config"]

#: This repository, the course folder the package ships in.
REPO_ROOT = Path(__file__).resolve().parents[2]
#: The assignment in nbgrader form: the source of truth for every edition.
SOURCE_DIR = REPO_ROOT / "source" / ASSIGNMENT_ID


class GradingError(RuntimeError):
    """Grading cannot start: the course, its configuration or its gradebook is not ready."""


def load_course_config(course_root: Path, db_url: str | None = None) -> Config:
    """Load the course's ``nbgrader_config.py`` as ``nbgrader`` would, but fail loudly.

    nbgrader logs an exception in its config file and carries on with stock settings
    (no verifier, the wrong kernel); here the exception stops grading.

    Parameters
    ----------
    course_root : Path
        The course folder holding ``nbgrader_config.py``.
    db_url : str, optional
        A gradebook URL (e.g. ``postgresql://...``) overriding the configured one.

    Returns
    -------
    traitlets.config.Config
        The configuration, with ``CourseDirectory.root`` set to ``course_root``.
    """
    from jupyter_core.paths import jupyter_config_path

    course_root = Path(course_root).resolve()
    config_file = course_root / "nbgrader_config.py"
    if not config_file.exists():
        raise GradingError(f"no nbgrader_config.py in {course_root}")
    # Lowest priority first: system and environment files (the trusted grader's guard
    # lives there), then the user's, then the course's, as `nbgrader` layers them.
    files = [Path(d) / "nbgrader_config.py" for d in reversed(jupyter_config_path())]
    config = Config()
    for path in [*(f for f in files if f.exists()), config_file]:
        try:
            config.merge(PyFileConfigLoader(path.name, path=str(path.parent)).load_config())
        except Exception as error:
            raise GradingError(f"{path} failed to load, refusing to grade: {error}") from error
    config.CourseDirectory.root = str(course_root)
    if db_url:
        config.CourseDirectory.db_url = db_url
    return config


def gradebook_url(config: Config) -> str:
    """The gradebook URL this configuration grades into."""
    from nbgrader.coursedir import CourseDirectory

    return CourseDirectory(config=config).db_url
