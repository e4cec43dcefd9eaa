"""Formulas without a network: MathJax from the grader's environment, inlined into pages.

nbconvert's templates load MathJax from a CDN, so wherever the CDN cannot be reached
(an offline grader, some campus and national networks) every formula shows as raw
``$...$``. The pages nbgrader renders from a submission instead carry MathJax inside
them (:func:`mathjax_scripts`, placed by :func:`autograder.verify.page_security.secure_head`):

- formgrader's submission view, served by the instructor's Jupyter server, whose only
  configuration from this course is its ``nbgrader_config.py`` (no route to serve a file
  from the environment);
- feedback files, which students open from their own disk, an LMS download or nbgrader's
  exchange (which copies the HTML files alone): a file that holds its own MathJax renders
  its formulas wherever it lands.

MathJax 3.2.2 (the version JupyterLab 4 renders with) as the ``tex-svg-full`` component:
one file, every TeX extension built in, glyphs drawn as SVG paths, so it needs no font
files and loads nothing more. It comes from PyPI like every other package of the grader
environment: ``django-static-mathjax`` (pinned in ``pyproject.toml`` and
``environment.yml``) is MathJax's own release as package data, with no dependency (its
name is Django's, its content is plain files). Why not npm: no Node.js toolchain on the
grader's machine for one file, and ``make setup``'s ``pip install`` already installs it.
"""

from __future__ import annotations

import importlib.resources
import json
import re
from functools import cache
from pathlib import Path

__all__ = [
    "MATHJAX_COMPONENT",
    "MATHJAX_CONFIG",
    "MathJaxUnavailableError",
    "installed_dir",
    "installed_version",
    "mathjax_scripts",
]

#: The one MathJax file pages carry: TeX in, SVG out, every extension inside.
MATHJAX_COMPONENT = "tex-svg-full.js"
#: The Python package (of the ``django-static-mathjax`` distribution) that holds MathJax's
#: release, and the folder of that release inside it (its ``package.json`` and ``LICENSE``).
_PACKAGE = "mathjax"
_RELEASE = ("static", "mathjax")
#: MathJax's settings: nbconvert's delimiters and equation numbers, and nothing that
#: would fetch more code (``require``, ``autoload``; the context menu's accessibility
#: tools load theirs on demand) or let a formula make links, ids or classes (``html``:
#: \\href, \\cssId, \\class, \\style).
MATHJAX_CONFIG = """window.MathJax = {
  tex: {
    inlineMath: [["$", "$"], ["\\\\(", "\\\\)"]],
    displayMath: [["$$", "$$"], ["\\\\[", "\\\\]"]],
    processEscapes: true,
    processEnvironments: true,
    tags: "ams",
    packages: {"[-]": ["html", "require", "autoload"]}
  },
  svg: {fontCache: "global"},
  options: {enableMenu: false}
};"""
# Text that would end the <script> element MathJax is inlined into, or (after a "<!--",
# which the file holds inside a regular expression) stop "</script>" from ending it.
_SCRIPT_BREAKERS = re.compile(r"</?script", re.IGNORECASE)
_MISSING = (
    "{what} is missing, so pages cannot render formulas offline: run `make setup` "
    "(it installs django-static-mathjax, pinned in pyproject.toml)"
)


class MathJaxUnavailableError(RuntimeError):
    """The environment holds no MathJax a page can carry (the set-up step was skipped)."""


def _release_dir() -> Path:
    try:
        package = importlib.resources.files(_PACKAGE)
    except ModuleNotFoundError:
        raise MathJaxUnavailableError(_MISSING.format(what="django-static-mathjax")) from None
    return Path(str(package.joinpath(*_RELEASE)))


def installed_dir() -> Path:
    """The folder of the environment's MathJax that holds :data:`MATHJAX_COMPONENT`."""
    return _release_dir() / "es5"


def installed_version() -> str:
    """The version of the MathJax release in the environment (its ``package.json``)."""
    package = json.loads((_release_dir() / "package.json").read_text(encoding="utf-8"))
    return str(package["version"])


@cache
def _component_text(directory: Path) -> str:
    path = directory / MATHJAX_COMPONENT
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MathJaxUnavailableError(_MISSING.format(what=path)) from None
    breaker = _SCRIPT_BREAKERS.search(text)
    if breaker:
        raise MathJaxUnavailableError(f"{path} holds {breaker.group()!r}: it cannot be inlined")
    return text


def mathjax_scripts(nonce: str, directory: Path | None = None) -> str:
    """The ``<script>`` elements that configure and load MathJax, for a page's ``<head>``.

    Parameters
    ----------
    nonce : str
        The page's script nonce (see :mod:`autograder.verify.page_security`).
    directory : Path, optional
        Where MathJax is installed; the running environment's by default.

    Raises
    ------
    MathJaxUnavailableError
        If MathJax was not installed into the environment.
    """
    text = _component_text(directory or installed_dir())
    return (
        f'<script nonce="{nonce}">\n{MATHJAX_CONFIG}\n</script>\n'
        f'<script nonce="{nonce}">\n{text}\n</script>\n'
    )
