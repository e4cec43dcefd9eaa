"""Build the release: nbgrader's ``generate_assignment``, the self-study edition, an LMS zip.

``generate_assignment`` runs through nbgrader's API with the course's own configuration
(loaded as :func:`autograder.course.course_config.load_course_config` loads it), so the gradebook
learns the assignment's notebooks and points exactly as ``nbgrader generate_assignment``
would record them.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from autograder.course import self_study
from autograder.course.course_config import GradingError, load_course_config
from autograder.course.nbgrader_errors import failure

__all__ = ["BuildResult", "build"]


@dataclass(frozen=True)
class BuildResult:
    """What ``build`` wrote.

    Attributes
    ----------
    release_dir : Path
        ``release/<assignment>``: what students download.
    student_zip : Path
        The release zipped for an LMS upload.
    notebooks : list of Path
        The self-study edition's files (empty when not asked for).
    """

    release_dir: Path
    student_zip: Path
    notebooks: list[Path]


def build(
    course_root: Path,
    assignment_id: str,
    *,
    notebooks_dir: Path | None = None,
    db_url: str | None = None,
) -> BuildResult:
    """Generate the release, optionally the self-study edition, and the student zip.

    Parameters
    ----------
    course_root : Path
        The nbgrader course folder.
    assignment_id : str
        The assignment in ``source/``.
    notebooks_dir : Path, optional
        Where to regenerate the self-study edition (the repository's ``notebooks/``);
        None skips it.
    db_url : str, optional
        A gradebook URL overriding the configured one.

    Returns
    -------
    BuildResult
        The release folder, the zip and the self-study files.
    """
    from nbgrader.apps import NbGraderAPI

    course_root = Path(course_root).resolve()
    config = load_course_config(course_root, db_url)
    api = NbGraderAPI(config=config)
    result = api.generate_assignment(assignment_id, force=True, create=True)
    if not result["success"]:
        raise GradingError(f"generate_assignment failed: {failure(result).line}")
    release_dir = Path(
        api.coursedir.format_path(api.coursedir.release_directory, ".", assignment_id)
    )
    notebooks = []
    if notebooks_dir is not None:
        source_dir = course_root / "source" / assignment_id
        notebooks = self_study.build(source_dir, Path(notebooks_dir))
    student_zip = course_root / "release" / f"{assignment_id}.zip"
    with zipfile.ZipFile(student_zip, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in release_dir.rglob("*") if p.is_file()):
            archive.write(path, Path(assignment_id) / path.relative_to(release_dir))
    return BuildResult(release_dir.resolve(), student_zip, notebooks)
