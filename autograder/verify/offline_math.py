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
files and loads nothing more. The npm registry provides it (``package.json`` and
``package-lock.json`` pin it); ``make setup`` runs ``npm ci`` and then
``python -m autograder.verify.offline_math install node_modules/mathjax``, which copies
it into ``<environment>/share/conv-backprop/mathjax/``.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from collections.abc import Sequence
from functools import cache
from pathlib import Path

__all__ = [
    "MATHJAX_COMPONENT",
    "MATHJAX_CONFIG",
    "MathJaxUnavailableError",
    "install",
    "installed_dir",
    "installed_version",
    "main",
    "mathjax_scripts",
]

#: The one MathJax file pages carry: TeX in, SVG out, every extension inside.
MATHJAX_COMPONENT = "tex-svg-full.js"
#: Files of the npm package copied beside it: its licence (Apache-2.0 asks for it) and its
#: package.json (its version, which a test compares with the pin).
_KEPT_WITH_IT = ("LICENSE", "package.json")
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


class MathJaxUnavailableError(RuntimeError):
    """The environment holds no MathJax a page can carry (the set-up step was skipped)."""


def installed_dir(prefix: str | Path = sys.prefix) -> Path:
    """Where ``install`` puts MathJax in the environment at ``prefix``."""
    return Path(prefix) / "share" / "conv-backprop" / "mathjax"


@cache
def _component_text(directory: Path) -> str:
    path = directory / MATHJAX_COMPONENT
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MathJaxUnavailableError(
            f"{path} is missing, so pages cannot render formulas offline: run `make setup` "
            "(npm ci, then python -m autograder.verify.offline_math install "
            "node_modules/mathjax)"
        ) from None
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


def install(package: Path, prefix: str | Path = sys.prefix) -> Path:
    """Copy MathJax from an npm ``node_modules/mathjax`` folder into the environment.

    Parameters
    ----------
    package : Path
        The npm package folder (``node_modules/mathjax`` after ``npm ci``).
    prefix : path
        The environment to install into.

    Returns
    -------
    Path
        The folder it went into.
    """
    target = installed_dir(prefix)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copy2(package / "es5" / MATHJAX_COMPONENT, target / MATHJAX_COMPONENT)
    for name in _KEPT_WITH_IT:
        shutil.copy2(package / name, target / name)
    _component_text.cache_clear()
    return target


def installed_version(prefix: str | Path = sys.prefix) -> str:
    """The version of the MathJax installed in the environment at ``prefix``."""
    package = json.loads((installed_dir(prefix) / "package.json").read_text(encoding="utf-8"))
    return str(package["version"])


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m autograder.verify.offline_math install node_modules/mathjax``."""
    parser = argparse.ArgumentParser(
        prog="python -m autograder.verify.offline_math", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("install", help="copy MathJax into this environment")
    command.add_argument("package", type=Path, help="the npm package: node_modules/mathjax")
    command.add_argument("--prefix", default=sys.prefix, help="environment to install into")
    args = parser.parse_args(argv)
    target = install(args.package, args.prefix)
    print(f"MathJax {installed_version(args.prefix)} in {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
