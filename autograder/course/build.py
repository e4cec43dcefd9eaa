"""Build the release: nbgrader's ``generate_assignment``, the self-study edition, an LMS zip.

``generate_assignment`` runs through nbgrader's API with the course's own configuration
(loaded as :func:`autograder.course.course_config.load_course_config` loads it), so the gradebook
learns the assignment's notebooks and points exactly as ``nbgrader generate_assignment``
would record them.

A translated release (``release/<language>/<assignment>/``, e.g. ``release/fa/``) is
made from that English release, never from a second ``generate_assignment``: the same
notebooks, cells, cell ids, grade ids, points and locks, each cell's text translated
(:func:`autograder.course.self_study.translated_notebook`) and the checksums of its
locked cells recomputed for the text it now holds, so ``nbgrader validate`` accepts it.
The gradebook keeps the English source alone; at autograde nbgrader's ``OverwriteCells``
puts the English back into every locked cell of a translated submission (it compares
each locked cell's checksum with the gradebook's), so the same hidden tests, probes and
points grade both languages and one gradebook holds a class that mixes them; feedback
translates the locked cells back (:class:`autograder.i18n.feedback.TranslateLockedCells`).
"""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader import utils as nbgrader_utils

from autograder.course import self_study
from autograder.course.course_config import GradingError, load_course_config
from autograder.course.nbgrader_errors import failure
from autograder.i18n.catalogue import LANGUAGES, LOCALE_DIR, course_locale_dir

__all__ = ["BuildResult", "build", "translate_release"]


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
    translated : dict from a language to (release folder, zip)
        The translated releases asked for.
    """

    release_dir: Path
    student_zip: Path
    notebooks: list[Path]
    translated: dict[str, tuple[Path, Path]] = field(default_factory=dict)


def _zip(folder: Path, archive_path: Path, assignment_id: str) -> Path:
    with zipfile.ZipFile(archive_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            archive.write(path, Path(assignment_id) / path.relative_to(folder))
    return archive_path


def translate_release(
    release_dir: Path, out_dir: Path, language: str, locale_dir: Path = LOCALE_DIR
) -> list[Path]:
    """Write the release in ``language``: its notebooks translated, the rest copied.

    Parameters
    ----------
    release_dir : Path
        The English release, as ``generate_assignment`` wrote it.
    out_dir : Path
        Where the translated release goes (replaced if it exists).
    language : str
        One of :data:`~autograder.i18n.catalogue.LANGUAGES`.
    locale_dir : Path
        The catalogues.

    Returns
    -------
    list of Path
        Every file written.
    """
    if language not in LANGUAGES:
        raise GradingError(f"no translation into {language!r}; there are: {', '.join(LANGUAGES)}")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    written = []
    notebooks = sorted(release_dir.glob("*.ipynb"))
    for number, path in enumerate(notebooks):
        nb = nbformat.read(path, as_version=4)
        translated = self_study.translated_notebook(
            nb, path.name, language, locale_dir, first=number == 0
        )
        for cell in translated.cells:
            if nbgrader_utils.is_locked(cell) and "checksum" in cell.metadata.get("nbgrader", {}):
                cell.metadata.nbgrader["checksum"] = nbgrader_utils.compute_checksum(cell)
        nbformat.write(translated, out_dir / path.name)
        written.append(out_dir / path.name)
    for path in sorted(release_dir.rglob("*")):
        if path.is_file() and path.suffix != ".ipynb":
            target = out_dir / path.relative_to(release_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            written.append(target)
    return written


def build(
    course_root: Path,
    assignment_id: str,
    *,
    notebooks_dir: Path | None = None,
    db_url: str | None = None,
    languages: tuple[str, ...] = (),
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
    languages : tuple of str
        Translated releases to write as well, each to ``release/<language>/`` with its
        own zip (see the module doc).

    Returns
    -------
    BuildResult
        The release folder, the zip, the self-study files and the translated releases.
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
    locale_dir = course_locale_dir(course_root)
    notebooks = []
    if notebooks_dir is not None:
        source_dir = course_root / "source" / assignment_id
        notebooks = self_study.build(source_dir, Path(notebooks_dir), locale_dir)
    student_zip = _zip(release_dir, course_root / "release" / f"{assignment_id}.zip", assignment_id)
    translated = {}
    for language in languages:
        folder = course_root / "release" / language / assignment_id
        translate_release(release_dir, folder, language, locale_dir)
        archive = _zip(folder, folder.parent / f"{assignment_id}.zip", assignment_id)
        translated[language] = (folder.resolve(), archive)
    return BuildResult(release_dir.resolve(), student_zip, notebooks, translated)
