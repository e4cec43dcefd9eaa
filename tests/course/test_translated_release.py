"""A class that mixes the English and the Persian release, graded by plain nbgrader.

A tiny course in a temporary folder holds the real first notebook and the repository's
own ``nbgrader_config.py``. ``conv-grader build --lang fa`` writes both releases; two
students submit the same answers, one in English, one in Persian, with the flipped-filter
mistake in ``conv2d_forward`` and the other two tasks right; then plain
``nbgrader autograde`` and ``nbgrader generate_feedback`` run:

- the Persian release has the English one's cells, ids, grade ids, points and locks,
  and checksums that match its own (translated) locked cells;
- one gradebook holds both, with the same grade cells and points, and the same answers
  score the same in either language;
- at autograde nbgrader's OverwriteCells puts the gradebook's English back into every
  locked cell of the Persian submission (instructions and tests), while the student's
  cells keep their Persian;
- the Persian feedback is Persian again, right to left, names the mistake and shows
  no hidden test source; the English feedback has no Persian in it.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbgrader import utils as nbgrader_utils

from autograder.course.feedback_files import render_summary
from autograder.course.reports import collect
from autograder.i18n.catalogue import Translations
from autograder.i18n.messages import GRADER_DOMAIN
from autograder.i18n.notebooks import LANGUAGE_CELL_ID, notebook_language
from autograder.verify.hide_hidden_tests import HIDDEN_PLACEHOLDER
from autograder.verify.tasks import misconception
from notebook_runs import SOURCE_DIR
from probe_course import ASSIGNMENT, nbgrader, scores, write_config

NOTEBOOK = "01_forward.ipynb"
REPO = Path(__file__).resolve().parents[2]
CONV_GRADER = Path(sys.executable).parent / "conv-grader"
PERSIAN = re.compile("[\u0600-\u06ff]")
# RLM, LRI, RLI, FSI, PDI: the marks that order a plain-text line of either direction.
_DIRECTION_MARKS = dict.fromkeys(map(ord, "\u200f\u2066\u2067\u2068\u2069"))
_STUB = re.compile(r"^([ \t]*)# .*\n[ \t]*raise NotImplementedError\(\)", re.MULTILINE)

_ANSWERS = {
    "O_by_hand": "O_by_hand = [[10, 3], [9, 18]]",
    "conv2d_output_shape": (
        "H, W = input_shape\nkh, kw = filter_shape\nreturn H - kh + 1, W - kw + 1"
    ),
    "conv2d_forward": (
        "X = np.asarray(X, dtype=float)\nF = np.asarray(F, dtype=float){flip}\n"
        "kh, kw = F.shape\nO = np.zeros((X.shape[0] - kh + 1, X.shape[1] - kw + 1))\n"
        "for a in range(O.shape[0]):\n    for b in range(O.shape[1]):\n"
        "        O[a, b] = np.sum(X[a : a + kh, b : b + kw] * F)\nreturn O"
    ),
}


def _answer(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The released notebook with every answer written where its stub is, as a student
    would: the cell keeps its (translated) docstring and comments."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        task = cell.metadata.get("nbgrader", {}).get("grade_id")
        if (
            cell.cell_type != "code"
            or task not in _ANSWERS
            or not cell.metadata.nbgrader.get("solution")
        ):
            continue
        body = _ANSWERS[task].format(flip="[::-1, ::-1]")  # the flipped-filter mistake
        match = _STUB.search(cell.source)
        assert match, cell.source
        indented = "\n".join(match.group(1) + line for line in body.split("\n"))
        cell.source = cell.source[: match.start()] + indented + cell.source[match.end() :]
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """The tiny course, built, submitted by two students, autograded, with feedback."""
    root = tmp_path_factory.mktemp("mixed-class") / "course"
    source = root / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    write_config(root, timeout=60)
    shutil.copy(SOURCE_DIR / NOTEBOOK, source / NOTEBOOK)
    for helper in SOURCE_DIR.iterdir():
        if helper.is_file() and helper.suffix != ".ipynb":
            shutil.copy(helper, source / helper.name)
    shutil.copytree(REPO / "locale", root / "locale")
    built = subprocess.run(
        [str(CONV_GRADER), "build", "--course", str(root), "--no-notebooks", "--lang", "fa"],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        # nbgrader finds alembic through PATH, as for every nbgrader command.
        env={**os.environ, "PATH": f"{CONV_GRADER.parent}{os.pathsep}{os.environ['PATH']}"},
    )
    assert built.returncode == 0, built.stdout + built.stderr
    releases = {
        "en": nbformat.read(root / "release" / ASSIGNMENT / NOTEBOOK, as_version=4),
        "fa": nbformat.read(root / "release" / "fa" / ASSIGNMENT / NOTEBOOK, as_version=4),
    }
    for student, language in (("ana", "en"), ("bahar", "fa")):
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(_answer(releases[language]), folder / NOTEBOOK)
    for step in ("autograde", "generate_feedback"):
        done = nbgrader(root, step, ASSIGNMENT)
        assert done.returncode == 0, done.stdout + done.stderr
    return root


def _cells_by_id(nb: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    return {cell.id: cell for cell in nb.cells}


def test_the_persian_release_has_the_english_ones_grading(course) -> None:
    english = nbformat.read(course / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    persian = nbformat.read(course / "release" / "fa" / ASSIGNMENT / NOTEBOOK, as_version=4)
    assert notebook_language(persian) == "fa" and notebook_language(english) == "en"
    persian_cells = _cells_by_id(persian)
    for cell in english.cells:
        twin = persian_cells[cell.id]
        meta, twin_meta = cell.metadata.get("nbgrader", {}), twin.metadata.get("nbgrader", {})
        assert {k: v for k, v in twin_meta.items() if k != "checksum"} == {
            k: v for k, v in meta.items() if k != "checksum"
        }
        if nbgrader_utils.is_locked(twin) and "checksum" in twin_meta:
            assert twin_meta["checksum"] == nbgrader_utils.compute_checksum(twin)
    extra = set(persian_cells) - {cell.id for cell in english.cells}
    assert extra == {LANGUAGE_CELL_ID, "glossary"}
    assert (course / "release" / "fa" / f"{ASSIGNMENT}.zip").is_file()


def test_one_gradebook_grades_both_languages_alike(course) -> None:
    graded = scores(course)
    assert set(graded) == {"ana", "bahar"}
    assert (
        graded["ana"]
        == graded["bahar"]
        == {
            "test_O_by_hand": 4,
            "test_conv2d_output_shape": 4,
            "test_conv2d_forward": 0,
        }
    )


def test_autograde_puts_the_gradebooks_english_back_into_locked_cells(course) -> None:
    path = course / "autograded" / "bahar" / ASSIGNMENT / NOTEBOOK
    autograded = _cells_by_id(nbformat.read(path, as_version=4))
    source = _cells_by_id(nbformat.read(SOURCE_DIR / NOTEBOOK, as_version=4))
    header = autograded["01-header"]
    assert header.source == source["01-header"].source  # English again
    assert "### BEGIN HIDDEN TESTS" in autograded["test-conv2d-forward"].source
    # The student's own cells keep their Persian, and the language cell ran cleanly.
    assert PERSIAN.search(autograded["conv2d-forward"].source)
    language_cell = autograded[LANGUAGE_CELL_ID]
    assert language_cell.execution_count and not [
        o for o in language_cell.outputs if o.output_type == "error"
    ]


def html_text(html: str) -> str:
    """A page's text as a reader reads it: words apart, no invisible direction marks."""
    text = BeautifulSoup(html, "html.parser").get_text(" ")
    return " ".join(text.translate(_DIRECTION_MARKS).split())


def _feedback(course: Path, student: str) -> str:
    path = course / "feedback" / student / ASSIGNMENT / NOTEBOOK.replace(".ipynb", ".html")
    return path.read_text(encoding="utf-8")


def test_persian_feedback_is_persian_names_the_mistake_and_hides_the_tests(course) -> None:
    html = _feedback(course, "bahar")
    assert "گذر رو به جلو: فیلتری که روی تصویر می‌لغزد" in html  # the notebook's title
    assert 'dir="rtl"' in html
    # The test cell's docstring, translated back after autograde restored the English.
    assert "conv2d_forward خروجی O مثال حل‌شده را می‌دهد" in html
    assert "conv_probe" not in html and "BEGIN HIDDEN TESTS" not in html
    # The verdict names the mistake in Persian; the page's own words are Persian too.
    flipped = misconception("conv2d_forward", "kernel_flipped").message
    persian = Translations.load("fa", GRADER_DOMAIN)
    said = html_text(html)
    assert " ".join(persian.get(None, flipped).split()) in said
    assert flipped not in said
    assert f"{persian.get(None, 'Score')}: " in said and "Score:" not in said
    assert f"{persian.get(None, 'Test cell')}" in said and "Test cell" not in said
    assert persian.get(None, HIDDEN_PLACEHOLDER) in said and HIDDEN_PLACEHOLDER not in said
    # Each line of an output takes its own direction: the verdict's lines read right to left.
    assert "unicode-bidi: plaintext" in html


def test_english_feedback_has_no_persian(course) -> None:
    html = _feedback(course, "ana")
    assert not PERSIAN.search(html)
    assert "The forward pass: a filter sliding over an image" in html
    said = html_text(html)
    assert "Score: " in said and "Test cell" in said
    assert " ".join(misconception("conv2d_forward", "kernel_flipped").message.split()) in said
    assert "unicode-bidi: plaintext" not in html


def test_each_students_summary_speaks_the_language_of_their_notebooks(course) -> None:
    results = collect(course, ASSIGNMENT)
    by_id = {student.student_id: student for student in results.students}
    assert (by_id["ana"].language, by_id["bahar"].language) == ("en", "fa")
    flipped = misconception("conv2d_forward", "kernel_flipped").message
    persian = Translations.load("fa", GRADER_DOMAIN).get(None, flipped)
    assert persian in render_summary(by_id["bahar"], results)
    assert flipped in render_summary(by_id["ana"], results)
