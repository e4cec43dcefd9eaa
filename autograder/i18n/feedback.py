"""Feedback in the student's language: an nbgrader preprocessor for ``GenerateFeedback``.

A translated submission loses its translation where nbgrader protects the assignment:
at autograde, ``OverwriteCells`` compares every locked cell (instructions, given code,
visible and hidden tests) with the gradebook, which holds the English source, and puts
the English back. That is what keeps grading the same for every language: the same test
code, grade ids and points. The autograded notebook therefore shows English instructions
around the student's own (translated) cells, which is what formgrader shows the
instructor.

The feedback is the student's: :class:`TranslateLockedCells` translates every locked
cell back into the notebook's language (its metadata, read with
:func:`~autograder.i18n.notebooks.notebook_language`) from the course's catalogues,
before the hidden tests are cut out. A language the course has no catalogue for, or a
text without a translation, stays English; a translation that would not be the same
program as its cell is refused with a warning and the cell stays English. The student's
own cells are never touched.
"""

from __future__ import annotations

from pathlib import Path

from nbconvert.exporters.exporter import ResourcesDict
from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from autograder.i18n.catalogue import LANGUAGES, LOCALE_DIR, Translations
from autograder.i18n.notebooks import Lookup, notebook_language, translate_cell
from autograder.i18n.segments import TranslationError

__all__ = ["TranslateLockedCells"]


class TranslateLockedCells(NbGraderPreprocessor):
    """Translate a graded notebook's locked cells into the language it says it is in."""

    locale_dir = Unicode(
        str(LOCALE_DIR),
        help="The course's catalogues, locale/<language>/LC_MESSAGES/<notebook>.po.",
    ).tag(config=True)

    def preprocess(
        self, nb: NotebookNode, resources: ResourcesDict
    ) -> tuple[NotebookNode, ResourcesDict]:
        language = notebook_language(nb)
        # Only a known language: the value comes from the student's file and names a
        # folder below.
        if language not in LANGUAGES:
            return nb, resources
        notebook = resources["nbgrader"]["notebook"]
        lookup = Lookup(language, Translations.load(language, notebook, Path(self.locale_dir)))
        for index, cell in enumerate(nb.cells):
            if not utils.is_locked(cell) or "id" not in cell:
                continue
            try:
                cell.source = translate_cell(cell, lookup)
            except TranslationError as error:
                self.log.warning("%s: cell %d stays English: %s", notebook, index, error)
        return nb, resources
