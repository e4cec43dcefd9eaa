"""Submitted nbgrader metadata, rebuilt from the gradebook before nbgrader reads it.

A cell's ``metadata.nbgrader`` block travels with the student's notebook, so the student
(or their editor) can copy, edit or empty it. nbgrader 0.9.6 trusts its shape: a block
without a ``grade_id`` (a pasted copy of an instructions cell, an emptied block, a
``grade_id`` the gradebook does not know, which ``OverwriteCells`` deletes) makes
``DeduplicateIds`` or ``OverwriteCells.add_missing_task_cells`` raise ``KeyError``, and
a block ``DeduplicateIds`` empties fails ``CheckCellMetadata``: the whole notebook then
scores 0. And ``OverwriteCells`` restores source, points and ``locked`` but not the
``grade``/``solution`` flags.

:class:`RestoreCellMetadata` runs first among ``Autograde.sanitize_preprocessors``
(before ``DeduplicateIds`` and ``OverwriteCells``) and leaves only blocks the gradebook
vouches for:

- a block whose ``grade_id`` is one of this notebook's cells in the gradebook is
  replaced, whole, by the gradebook's record of that cell (flags, points, checksum);
- of several cells claiming one ``grade_id``, the last keeps it (nbgrader's own
  ``DeduplicateIds`` rule); the others become plain cells;
- any other block (not a dict, no ``grade_id``, an unknown one) is removed: the cell
  becomes a plain cell that runs but earns nothing.

A graded cell the student deleted or de-flagged is then missing, and ``OverwriteCells``
(``add_missing_cells``, which the course sets) puts it back from the gradebook. So an
honest student's pasted, edited or emptied block costs nothing, and no edit to a block
earns anything: points, flags and locked sources come from the gradebook only.
"""

from __future__ import annotations

from typing import Any

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode, from_dict
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor

__all__ = ["RestoreCellMetadata", "trusted_blocks"]

#: The nbgrader metadata schema these blocks follow (nbgrader 0.9's v3).
_SCHEMA_VERSION = 3


def trusted_blocks(db_url: str, notebook_id: str, assignment_id: str) -> dict[str, dict[str, Any]]:
    """The ``metadata.nbgrader`` block of every nbgrader cell of a notebook, from the
    gradebook (what ``generate_assignment`` recorded from the source notebook).

    Parameters
    ----------
    db_url : str
        The gradebook.
    notebook_id, assignment_id : str
        Which notebook.

    Returns
    -------
    dict of str to dict
        By ``grade_id``: ``grade``, ``solution``, ``locked``, ``points`` (graded and task
        cells), ``task`` (task cells), ``checksum``, ``cell_type``, ``schema_version``.
    """
    with Gradebook(db_url) as gradebook:
        notebook = gradebook.find_notebook(notebook_id, assignment_id)
        graded = {cell.name: float(cell.max_score) for cell in notebook.grade_cells}
        tasks = {cell.name: float(cell.max_score) for cell in notebook.task_cells}
        solutions = {cell.name for cell in notebook.solution_cells}
        blocks = {}
        for cell in notebook.source_cells:
            block: dict[str, Any] = {
                "grade": cell.name in graded,
                "solution": cell.name in solutions,
                "locked": bool(cell.locked),
                "grade_id": cell.name,
                "cell_type": cell.cell_type,
                "checksum": cell.checksum,
                "schema_version": _SCHEMA_VERSION,
            }
            if cell.name in graded:
                block["points"] = graded[cell.name]
            if cell.name in tasks:
                block["task"] = True
                block["points"] = tasks[cell.name]
            blocks[cell.name] = block
    return blocks


class RestoreCellMetadata(NbGraderPreprocessor):
    """Rebuild every submitted ``metadata.nbgrader`` block from the gradebook (runs first
    among ``Autograde.sanitize_preprocessors``)."""

    def preprocess(
        self, nb: NotebookNode, resources: ResourcesDict
    ) -> tuple[NotebookNode, ResourcesDict]:
        info = resources["nbgrader"]
        trusted = trusted_blocks(info["db_url"], info["notebook"], info["assignment"])
        kept: set[str] = set()
        for index in reversed(range(len(nb.cells))):
            cell = nb.cells[index]
            if "nbgrader" not in cell.metadata:
                continue
            block = cell.metadata["nbgrader"]
            grade_id = block.get("grade_id") if isinstance(block, dict) else None
            if isinstance(grade_id, str) and grade_id in trusted and grade_id not in kept:
                kept.add(grade_id)
                cell.metadata["nbgrader"] = from_dict(dict(trusted[grade_id]))
                continue
            why = (
                "a later cell holds the same grade_id"
                if isinstance(grade_id, str) and grade_id in kept
                else "the gradebook has no such cell in this notebook"
            )
            self.log.warning(
                "Cell %d: its nbgrader metadata (grade_id %r) was removed: %s; it runs as a "
                "plain cell",
                index + 1,
                grade_id if isinstance(grade_id, str) else None,
                why,
            )
            del cell.metadata["nbgrader"]
        return nb, resources
