"""Tests for autograder/i18n/feedback.py: feedback in the language the notebook says.

At autograde nbgrader restores every locked cell of a translated submission to the
gradebook's English; ``TranslateLockedCells`` (in ``GenerateFeedback``) translates those
cells back, and only those: the student's own cells are theirs. English notebooks, a
language the course has no catalogue for (the value comes from the student's file) and a
translation that would change a cell's program leave the cells English.
"""

from __future__ import annotations

import copy

import nbformat
import pytest
from nbgrader import utils
from traitlets.config import Config

from autograder.i18n.catalogue import LOCALE_DIR, Translations, load, po_path, po_text
from autograder.i18n.feedback import TranslateLockedCells
from autograder.i18n.notebooks import Lookup, set_notebook_language, translate_cell
from autograder.verify.config import SAFE_FEEDBACK, configure
from notebook_runs import SOURCE_DIR

NAME = "01_forward"


@pytest.fixture
def graded() -> nbformat.NotebookNode:
    """The first notebook as autograde leaves a Persian submission: English locked cells
    (restored from the gradebook), the student's own cell in Persian."""
    nb = nbformat.read(SOURCE_DIR / f"{NAME}.ipynb", as_version=4)
    set_notebook_language(nb, "fa")
    answer = next(cell for cell in nb.cells if cell.id == "conv2d-forward")
    answer.source = '"""پاسخ خودم."""\nconv2d_forward = None'
    return nb


def _run(nb: nbformat.NotebookNode, **config) -> nbformat.NotebookNode:
    step = TranslateLockedCells(**config)
    out, _ = step.preprocess(copy.deepcopy(nb), {"nbgrader": {"notebook": NAME}})
    return out


def test_locked_cells_come_back_in_the_notebooks_language(graded) -> None:
    out = _run(graded)
    lookup = Lookup("fa", Translations.load("fa", NAME))
    for before, after in zip(graded.cells, out.cells, strict=True):
        if utils.is_locked(before):
            assert after.source == translate_cell(before, lookup)
            assert after.source != before.source or before.cell_type == "code"
    by_id = {cell.id: cell for cell in out.cells}
    assert by_id["01-header"].source.startswith('<div dir="rtl" lang="fa">')
    test_cell = by_id["test-conv2d-forward"].source
    assert test_cell.startswith('"""conv2d_forward خروجی O مثال حل‌شده را می‌دهد')
    assert "### BEGIN HIDDEN TESTS" in test_cell  # the code itself is the English cell's
    assert lookup.missing == []


def test_the_students_own_cells_are_left_alone(graded) -> None:
    out = _run(graded)
    for before, after in zip(graded.cells, out.cells, strict=True):
        if not utils.is_locked(before):
            assert after.source == before.source


@pytest.mark.parametrize("language", [None, "en", "de", "../../../etc/passwd"])
def test_english_and_unknown_languages_stay_english(graded, language) -> None:
    if language is None:
        del graded.metadata["conv_grader"]
    else:
        graded.metadata["conv_grader"]["language"] = language
    assert _run(graded) == graded


def test_a_translation_that_would_change_a_cell_leaves_it_english(graded, tmp_path) -> None:
    catalogue = load("fa", NAME)
    entry = catalogue.find(
        "O_by_hand is the worked example's output, exactly.", msgctxt="test-O-by-hand"
    )
    entry.msgstr = 'بسته شد"""; import os; """'
    path = po_path("fa", NAME, tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(po_text(catalogue))
    out = _run(graded, locale_dir=str(tmp_path))
    by_id = {cell.id: cell for cell in out.cells}
    original = {cell.id: cell for cell in graded.cells}
    assert by_id["test-O-by-hand"].source == original["test-O-by-hand"].source
    assert by_id["01-header"].source.startswith('<div dir="rtl"')  # the rest is translated


def test_configure_translates_feedback_from_the_course_catalogues(tmp_path) -> None:
    c = Config()
    configure(c, str(tmp_path))
    steps = c.GenerateFeedback.preprocessors
    assert steps[0] == SAFE_FEEDBACK[0] and steps[1] is TranslateLockedCells
    assert steps[2:] == SAFE_FEEDBACK[1:]  # before the hidden tests are cut out
    # A course without catalogues of its own uses the project's, as its release did.
    assert c.TranslateLockedCells.locale_dir == str(LOCALE_DIR)
    (tmp_path / "locale").mkdir()
    configure(c, str(tmp_path))
    assert c.TranslateLockedCells.locale_dir == str(tmp_path / "locale")
