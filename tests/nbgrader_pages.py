"""nbgrader's two pages of a submission, rendered in-process as formgrader and feedback do.

formgrader builds ``HTMLExporter(config=...)`` with the template ``formgrade``;
``nbgrader generate_feedback`` builds one with the template ``feedback`` and bootstrap's
CSS on the template path. Both start from nbgrader's templates folder and let the
course config override it. The tests here render with the same settings, so a page can
be checked without a server or a gradebook (tests/browser does it for real).
"""

from __future__ import annotations

from typing import Any

from nbconvert.exporters import HTMLExporter
from nbformat.notebooknode import NotebookNode
from traitlets.config import Config

from autograder.verify.page_security import NBGRADER_TEMPLATES

__all__ = ["PAGES", "render_page"]

PAGES = ("formgrade", "feedback")
_BOOTSTRAP_CSS = (
    NBGRADER_TEMPLATES.parent / "static" / "node_modules" / "bootstrap" / "dist" / "css"
)
# What formgrader's SubmissionHandler and GetGrades put in resources for the templates.
_RESOURCES: dict[str, Any] = {
    "assignment_id": "conv_backprop",
    "notebook_id": "01_forward",
    "submission_id": "0123abcd",
    "index": 0,
    "total": 1,
    "base_url": "",
    "student": "mallory",
    "last_name": None,
    "first_name": None,
    "notebook_path": "autograded/mallory/conv_backprop/01_forward.ipynb",
    "nbgrader": {"notebook": "01_forward", "score": 1.0, "max_score": 2.0, "late_penalty": 0},
}


def render_page(page: str, notebook: NotebookNode, config: Config) -> str:
    """``notebook`` as formgrader (``page="formgrade"``) or feedback shows it.

    Parameters
    ----------
    page : str
        One of :data:`PAGES`.
    notebook : NotebookNode
        The autograded notebook.
    config : Config
        The course config (its ``HTMLExporter`` section applies over nbgrader's own).
    """
    nbgrader = Config()
    nbgrader.HTMLExporter.template_name = page
    nbgrader.HTMLExporter.extra_template_basedirs = [str(NBGRADER_TEMPLATES)]
    if page == "feedback":
        nbgrader.HTMLExporter.extra_template_paths = [str(_BOOTSTRAP_CSS)]
    nbgrader.merge(Config(HTMLExporter=config.HTMLExporter))
    # Not the course's hidden-test step (tested on its own): pages of any notebook.
    nbgrader.HTMLExporter.preprocessors = []
    html, _ = HTMLExporter(config=nbgrader).from_notebook_node(notebook, resources=dict(_RESOURCES))
    return html
