"""Translate a notebook cell by cell, by nbformat cell id, from a catalogue.

The English notebook is the source; a translated notebook is made from it by
:func:`translate_notebook`, which replaces every segment (see
:mod:`autograder.i18n.segments`) with its translation and leaves everything else as it
is: cell ids, nbgrader metadata (grade ids, points, locks), code. A segment without a
usable translation stays English, and is reported, so an edition can always be built
while the catalogue check says what is left to translate.

A translated notebook says its language in its metadata (:data:`LANGUAGE_KEY`), which
the grader reads to choose the language of what it writes into the notebook. Its
kernel learns the language from a code cell placed after the first code cell (the
imports): ``conv_language.use("fa")`` (see ``source/conv_backprop/conv_language.py``), so
the helpers' messages and pictures speak it too.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import nbformat
from nbformat import NotebookNode

from autograder.i18n.catalogue import SOURCE_LANGUAGE, TemplateEntry, Translations
from autograder.i18n.rtl import RTL_LANGUAGES, render_cell
from autograder.i18n.segments import (
    Segment,
    cell_segments,
    is_display_maths,
    markdown_blocks,
    translate_code,
)

__all__ = [
    "LANGUAGE_CELL_ID",
    "LANGUAGE_KEY",
    "Lookup",
    "Untranslated",
    "language_cell",
    "notebook_entries",
    "notebook_language",
    "render_markdown",
    "set_notebook_language",
    "translate_cell",
    "translate_notebook",
]

#: Notebook metadata: ``metadata["conv_grader"]["language"]``, a BCP 47 tag; absent
#: means the source language, English.
LANGUAGE_KEY = "conv_grader"
#: The id of the cell that tells the kernel the notebook's language.
LANGUAGE_CELL_ID = "notebook-language"
#: The kernel-side module that holds the language (source/conv_backprop/conv_language.py).
KERNEL_LANGUAGE_MODULE = "conv_language"


@dataclass(frozen=True)
class Untranslated:
    """A segment that stayed English: no usable translation in the catalogue."""

    cell_id: str
    segment: Segment


@dataclass
class Lookup:
    """Where a notebook's translations come from.

    Attributes
    ----------
    language : str
        The target language.
    notebook : Translations
        The notebook's own catalogue, keyed by cell id.
    shared : dict from str to str
        Texts that are not the notebook's but can appear in it (nbgrader's code stub),
        English to translation.
    missing : list of Untranslated
        Filled in as segments fall back to English.
    """

    language: str
    notebook: Translations
    shared: dict[str, str] = field(default_factory=dict)
    missing: list[Untranslated] = field(default_factory=list)

    def __call__(self, cell_id: str, segment: Segment) -> str | None:
        found = self.notebook.get(cell_id, segment.text)
        if found is None:
            found = self.shared.get(segment.text)
        if found is None:
            self.missing.append(Untranslated(cell_id, segment))
        return found


# ------------------------------------------------------------------- metadata


def notebook_language(nb: NotebookNode) -> str:
    """The language a notebook is written in, from its metadata; English if unsaid.

    The value is whatever the file says: a student can edit it. It only ever chooses
    the language of what the grader writes back, never points.
    """
    value = nb.get("metadata", {}).get(LANGUAGE_KEY, {}).get("language", SOURCE_LANGUAGE)
    return value if isinstance(value, str) and value else SOURCE_LANGUAGE


def set_notebook_language(nb: NotebookNode, language: str) -> None:
    """Record ``language`` in the notebook's metadata."""
    nb.metadata.setdefault(LANGUAGE_KEY, {})["language"] = language


# ---------------------------------------------------------------- extraction


def notebook_entries(nb: NotebookNode) -> list[TemplateEntry]:
    """Every translatable text of a notebook, keyed by the id of its cell.

    Parameters
    ----------
    nb : NotebookNode
        An English notebook (nbformat 4.5 or later: every cell has an id).

    Returns
    -------
    list of TemplateEntry
        In notebook order; the note says what kind of text it is and, for a graded
        cell, its grade id.
    """
    entries = []
    for cell in nb.cells:
        if "id" not in cell:
            raise ValueError("every cell needs an nbformat id (nbformat 4.5): catalogues key on it")
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        for segment in cell_segments(cell):
            note = f"{cell.cell_type} cell, {segment.kind}"
            if grade_id:
                note += f", nbgrader {grade_id}"
            entries.append(TemplateEntry(cell.id, segment.text, note))
    return entries


# ---------------------------------------------------------------- translation


def render_markdown(blocks: list[tuple[str, str]], language: str) -> str:
    """A markdown cell from its blocks, each with the language it is in.

    Parameters
    ----------
    blocks : list of (markdown, language)
        The blocks in order; English ones are those without a translation.
    language : str
        The cell's language.

    Returns
    -------
    str
        Plain markdown for a left-to-right language; for a right-to-left one, HTML
        (see :mod:`autograder.i18n.rtl`).
    """
    if language in RTL_LANGUAGES:
        return render_cell(blocks, language)
    return "\n\n".join(block for block, _ in blocks)


def translate_cell(
    cell: NotebookNode,
    lookup: Lookup,
    retitle: Callable[[str], str] | None = None,
) -> str:
    """The cell's source in ``lookup.language``.

    Parameters
    ----------
    cell : NotebookNode
        An English cell.
    lookup : Lookup
        The translations; segments without one stay English and are recorded in it.
    retitle : callable, optional
        Applied to the cell's first markdown block once translated (a solution's
        title, say).

    Returns
    -------
    str
        The new source.
    """
    if cell.cell_type == "markdown":
        blocks: list[tuple[str, str]] = []
        for index, block in enumerate(markdown_blocks(cell.source)):
            if is_display_maths(block):
                blocks.append((block, lookup.language))
                continue
            found = lookup(cell.id, Segment("markdown", block))
            text, language = (found, lookup.language) if found else (block, SOURCE_LANGUAGE)
            if index == 0 and retitle is not None:
                text = retitle(text)
            blocks.append((text, language))
        return render_markdown(blocks, lookup.language)
    if cell.cell_type == "code":

        def translated(segment: Segment) -> str:
            return lookup(cell.id, segment) or segment.text

        return translate_code(cell.source, translated, strings=not cell.metadata.get("nbgrader"))
    return cell.source


def language_cell(language: str, comment: str) -> NotebookNode:
    """The code cell that tells the kernel-side helpers the notebook's language.

    Parameters
    ----------
    language : str
        The language's BCP 47 tag.
    comment : str
        One line saying what the cell does, in that language.
    """
    module = KERNEL_LANGUAGE_MODULE
    cell = nbformat.v4.new_code_cell(f'# {comment}\nimport {module}\n\n{module}.use("{language}")')
    cell.id = LANGUAGE_CELL_ID
    # Not an nbgrader cell: it is not in the gradebook, so autograde leaves it as it is
    # and runs it; JupyterLab keeps it from being edited or deleted by accident.
    cell.metadata = {"editable": False, "deletable": False}
    return cell


def translate_notebook(
    nb: NotebookNode,
    lookup: Lookup,
    *,
    language_comment: str,
    retitle: Callable[[str], str] | None = None,
) -> NotebookNode:
    """A translated copy of an English notebook.

    Parameters
    ----------
    nb : NotebookNode
        The English notebook (not modified).
    lookup : Lookup
        The translations; what stays English is recorded in ``lookup.missing``.
    language_comment : str
        The language cell's comment, in the target language.
    retitle : callable, optional
        Applied to the first cell's first block (see :func:`translate_cell`).

    Returns
    -------
    NotebookNode
        Same cells, ids and metadata, translated; the language in its metadata; the
        language cell after the first code cell.
    """
    translated = copy.deepcopy(nb)
    for index, cell in enumerate(translated.cells):
        cell.source = translate_cell(cell, lookup, retitle if index == 0 else None)
    set_notebook_language(translated, lookup.language)
    first_code = next(
        (i for i, cell in enumerate(translated.cells) if cell.cell_type == "code"), None
    )
    if first_code is not None:
        translated.cells.insert(first_code + 1, language_cell(lookup.language, language_comment))
    return translated
