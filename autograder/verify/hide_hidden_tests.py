"""Feedback that teaches and leaks nothing: a preprocessor for ``GenerateFeedback``.

Stock ``nbgrader generate_feedback`` renders the autograded notebook as it is, hidden
tests included. :class:`HideHiddenTests` removes each test cell's hidden block (leaving
one comment in its place) and any probe payload, and keeps everything else: the
student's code, the visible checks and their output, and the verifier's verdict. The
autograded notebook on disk keeps the hidden block; formgrader renders it through the
same preprocessor (``trusted_config.configure`` sets it on ``HTMLExporter``), so what an
instructor sees there leaks nothing either.
"""

from __future__ import annotations

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

from autograder.i18n.messages import N_, speaking_for
from autograder.i18n.messages import gettext as _
from autograder.verify.wire import MIME_TYPE

__all__ = ["HIDDEN_PLACEHOLDER", "HideHiddenTests", "strip_hidden_block"]

#: What replaces a hidden block in feedback (said in the notebook's language).
HIDDEN_PLACEHOLDER = N_("# (hidden tests: their verdict is in this cell's output)")
_BEGIN_HIDDEN = "BEGIN HIDDEN TESTS"
_END_HIDDEN = "END HIDDEN TESTS"


def strip_hidden_block(source: str) -> str:
    """Replace every hidden block in a test cell's source by one placeholder comment.

    Tolerant on purpose: an unterminated block hides everything after its start.

    Parameters
    ----------
    source : str
        A test cell's source.

    Returns
    -------
    str
        The source without hidden lines.
    """
    kept: list[str] = []
    inside = False
    for line in source.split("\n"):
        if _BEGIN_HIDDEN in line:
            if not inside:
                kept.append(line[: len(line) - len(line.lstrip())] + _(HIDDEN_PLACEHOLDER))
            inside = True
        elif _END_HIDDEN in line:
            inside = False
        elif not inside:
            kept.append(line)
    return "\n".join(kept)


class HideHiddenTests(NbGraderPreprocessor):
    """Remove hidden test source and probe payloads from the notebook a student gets."""

    def preprocess(
        self, nb: NotebookNode, resources: ResourcesDict
    ) -> tuple[NotebookNode, ResourcesDict]:
        with speaking_for(nb):
            return super().preprocess(nb, resources)

    def preprocess_cell(
        self, cell: NotebookNode, resources: ResourcesDict, cell_index: int
    ) -> tuple[NotebookNode, ResourcesDict]:
        if utils.is_grade(cell) and not utils.is_solution(cell):
            cell.source = strip_hidden_block(cell.source)
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if MIME_TYPE not in o.get("data", {})]
        return cell, resources
