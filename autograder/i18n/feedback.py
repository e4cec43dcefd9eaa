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

The page around the cells speaks the notebook's language too: the feedback template
(``autograder/verify/templates/feedback/safe_index.html.j2``) passes nbgrader's words
(:data:`PAGE_WORDS`) through the jinja filter :func:`say`, and asks
:func:`right_to_left` whether the notebook's outputs need right-to-left lines.
"""

from __future__ import annotations

from pathlib import Path

from nbconvert.exporters.exporter import ResourcesDict
from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from autograder.i18n.catalogue import LANGUAGES, LOCALE_DIR, Translations
from autograder.i18n.messages import N_, speaking_for, spoken_language
from autograder.i18n.messages import gettext as _
from autograder.i18n.notebooks import Lookup, notebook_language, translate_cell
from autograder.i18n.rtl import RTL_LANGUAGES
from autograder.i18n.segments import TranslationError

__all__ = ["PAGE_FILTERS", "PAGE_WORDS", "TranslateLockedCells", "right_to_left", "say"]

#: The words of nbgrader's feedback page, as the feedback template says them.
PAGE_WORDS = (
    N_("Score"),
    N_("Test cell"),
    N_("Coding free-response"),
    N_("Written response"),
    N_("Task"),
    N_("Comment"),
    N_("Comments"),
    N_("Late submission penalty"),
    N_("Top"),
    N_("Student's answer"),
    N_("Student's task"),
    N_("Grade cell"),
)


#: The jinja filters the feedback template uses, as ``HTMLExporter.filters`` names them.
PAGE_FILTERS = {
    "say": "autograder.i18n.feedback.say",
    "right_to_left": "autograder.i18n.feedback.right_to_left",
}


def say(text: str, nb: NotebookNode) -> str:
    """A jinja filter: one of :data:`PAGE_WORDS` in the notebook's language.

    Raises
    ------
    ValueError
        For a text not in :data:`PAGE_WORDS`, which no catalogue would translate.
    """
    if text not in PAGE_WORDS:
        raise ValueError(f"{text!r} is not one of the feedback page's words (PAGE_WORDS)")
    with speaking_for(nb):
        return _(text)


def right_to_left(nb: NotebookNode) -> bool:
    """A jinja filter: whether the notebook's language is written right to left."""
    return spoken_language(notebook_language(nb)) in RTL_LANGUAGES


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
