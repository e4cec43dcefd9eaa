"""Tests for autograder/course/self_study.py and the self-study editions it writes to notebooks/.

- notebooks/ (English) and notebooks/fa/ (Persian) are exactly what the generator makes
  from source/ and locale/ today;
- in both editions the solutions run top to bottom in the student kernel with no error
  and nothing on stderr (the run times are printed: `pytest -s tests/course/test_self_study.py`);
- the blank student versions fail only where an answer is missing: every given cell
  runs, so no notebook breaks at import time because of another one;
- the Persian edition says its language (metadata and the kernel's language cell),
  titles its solutions in Persian, and shows the glossary in its first notebook.
"""

from __future__ import annotations

import nbformat
import pytest

from autograder.course import self_study
from autograder.i18n.catalogue import LANGUAGES
from autograder.i18n.notebooks import LANGUAGE_CELL_ID, notebook_language
from notebook_runs import (
    NOTEBOOKS_DIR,
    SOURCE_DIR,
    copy_folder,
    errors,
    execute,
    in_parallel,
    notebook_paths,
    stderr_text,
)

NAMES = [path.name for path in notebook_paths(SOURCE_DIR)]
EDITIONS = ("en", *LANGUAGES)
#: An executed notebook and the seconds it took.
Run = tuple[nbformat.NotebookNode, float]
RUNS = [(language, name) for language in EDITIONS for name in NAMES]


def _edition_dir(root, language: str):
    return root if language == "en" else root / language


def _run(path):
    return execute(path, allow_errors=True)


@pytest.fixture(scope="module")
def executed(
    tmp_path_factory,
) -> dict[tuple[str, str], dict[str, tuple[nbformat.NotebookNode, float]]]:
    """Every notebook of every edition, students' and solutions, executed from a copy."""
    root = copy_folder(NOTEBOOKS_DIR, tmp_path_factory.mktemp("edition") / "notebooks")
    folders = {
        (language, version): _edition_dir(root, language) / subfolder
        for language in EDITIONS
        for version, subfolder in (("student", "."), ("solutions", "solutions"))
    }
    paths = [path for folder in folders.values() for path in notebook_paths(folder)]
    runs = dict(zip(paths, in_parallel(_run, paths), strict=True))
    return {
        key: {path.name: runs[path] for path in notebook_paths(folder)}
        for key, folder in folders.items()
    }


def test_notebooks_folder_is_in_sync_with_source() -> None:
    assert self_study.differences() == []


def test_a_changed_source_shows_up_as_out_of_sync(tmp_path) -> None:
    source = copy_folder(SOURCE_DIR, tmp_path / "source")
    edition = tmp_path / "edition"
    self_study.build(source, edition)
    assert self_study.differences(source, edition) == []
    nb = nbformat.read(source / NAMES[0], as_version=4)
    nb.cells[0].source += "\n\nOne more sentence."
    nbformat.write(nb, source / NAMES[0])
    (edition / "solutions" / "conv_plots.py").unlink()
    (edition / "stray.txt").write_text("left over", encoding="utf-8")
    # The new sentence is in every edition: English in the Persian one until translated.
    assert self_study.differences(source, edition) == [
        NAMES[0],
        f"fa/{NAMES[0]}",
        f"fa/solutions/{NAMES[0]}",
        f"solutions/{NAMES[0]}",
        "solutions/conv_plots.py",
        "stray.txt",
    ]


@pytest.mark.parametrize("language", EDITIONS)
def test_the_edition_has_both_versions_and_its_helpers(language) -> None:
    edition = _edition_dir(NOTEBOOKS_DIR, language)
    for folder in (edition, edition / "solutions"):
        assert [path.name for path in notebook_paths(folder)] == NAMES
        for helper in self_study.HELPER_FILES:
            assert (folder / helper).read_bytes() == (SOURCE_DIR / helper).read_bytes()
    assert not (edition / "conv_probe.py").exists()


@pytest.mark.parametrize(("language", "name"), RUNS)
def test_student_version_has_no_solution_and_points_to_one(language: str, name: str) -> None:
    edition = _edition_dir(NOTEBOOKS_DIR, language)
    text = (edition / name).read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    assert "conv_probe" not in text
    first = nbformat.reads(text, as_version=4).cells[0]
    assert f"solutions/{name}" in first.source
    solution = (edition / "solutions" / name).read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" in solution and "HIDDEN TESTS" not in solution


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", NAMES)
def test_a_translated_edition_says_its_language_to_jupyter_and_to_the_kernel(language, name):
    edition = _edition_dir(NOTEBOOKS_DIR, language)
    for version in (edition / name, edition / "solutions" / name):
        nb = nbformat.read(version, as_version=4)
        assert notebook_language(nb) == language
        (cell,) = [cell for cell in nb.cells if cell.id == LANGUAGE_CELL_ID]
        assert f'conv_language.use("{language}")' in cell.source
        setup = next(cell for cell in nb.cells if cell.cell_type == "code")
        assert nb.cells.index(cell) == nb.cells.index(setup) + 1  # right after the imports


def test_the_persian_solution_is_titled_as_one_and_the_first_notebook_has_the_glossary():
    student = nbformat.read(NOTEBOOKS_DIR / "fa" / NAMES[0], as_version=4)
    solution = nbformat.read(NOTEBOOKS_DIR / "fa" / "solutions" / NAMES[0], as_version=4)
    assert "<h1" in student.cells[1].source and "حل:" not in student.cells[1].source
    assert "حل: 1. گذر رو به جلو" in solution.cells[0].source
    for nb in (student, solution):
        glossary = next(cell for cell in nb.cells if cell.id == "glossary")
        assert "واژه‌نامه" in glossary.source and "لایه همگشتی" in glossary.source
    later = nbformat.read(NOTEBOOKS_DIR / "fa" / NAMES[1], as_version=4)
    assert "glossary" not in {cell.id for cell in later.cells}


@pytest.mark.parametrize("name", NAMES)
def test_the_solution_is_titled_as_one_and_the_exercise_is_not(name: str) -> None:
    # JupyterLab names both tabs after the file: the title tells them apart.
    source_title = nbformat.read(SOURCE_DIR / name, as_version=4).cells[0].source.split("\n")[0]
    student = nbformat.read(NOTEBOOKS_DIR / name, as_version=4)
    solution = nbformat.read(NOTEBOOKS_DIR / "solutions" / name, as_version=4)
    assert source_title.startswith("# ") and "Solution" not in source_title
    assert student.cells[1].source.split("\n")[0] == source_title  # after the pointer
    assert solution.cells[0].source.split("\n")[0] == "# Solution: " + source_title[2:]
    assert "title" not in solution.metadata


def test_a_notebook_without_a_title_is_refused(tmp_path) -> None:
    source = copy_folder(SOURCE_DIR, tmp_path / "source")
    nb = nbformat.read(source / NAMES[0], as_version=4)
    nb.cells[0].source = "No title here."
    nbformat.write(nb, source / NAMES[0])
    with pytest.raises(ValueError, match=f"{NAMES[0]} must open with .* title"):
        self_study.build(source, tmp_path / "edition")


@pytest.mark.parametrize(("language", "name"), RUNS)
def test_solution_runs_top_to_bottom_cleanly(language: str, name: str, executed) -> None:
    nb, seconds = executed[(language, "solutions")][name]
    print(f"{language}/{name}: {seconds:.1f} s")
    assert errors(nb) == []
    assert stderr_text(nb) == []


@pytest.mark.parametrize(("language", "name"), RUNS)
def test_blank_student_version_fails_only_where_an_answer_is_missing(
    language: str, name: str, executed
) -> None:
    nb, _ = executed[(language, "student")][name]
    assert stderr_text(nb) == []
    failed = errors(nb)
    assert failed, "a blank notebook should fail its checks"
    assert failed[0][1] == "NotImplementedError"
    for index, _ in failed:
        meta = nb.cells[index].metadata.get("nbgrader", {})
        given = meta.get("locked") and not meta.get("grade")
        assert not given, f"given cell {index} failed: {nb.cells[index].source[:80]}"
    graded = [i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade")]
    assert set(graded) <= {index for index, _ in failed}
