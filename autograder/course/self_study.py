"""Generate the self-study editions, ``notebooks/`` and ``notebooks/<language>/``, from ``source/``.

The self-study edition is what a student gets without a course around it:

- ``notebooks/NN_*.ipynb``: the student version, made by nbgrader's own preprocessors
  exactly as ``nbgrader generate_assignment`` makes it (solutions replaced by
  ``raise NotImplementedError()``, hidden tests removed, outputs cleared), with the
  visible checks, and a first cell that says where the solutions are;
- ``notebooks/solutions/NN_*.ipynb``: the same notebooks with the solutions kept, the
  title saying "Solution: ";
- the student-side helper modules copied beside both.

Each translated language (``autograder.i18n.catalogue.LANGUAGES``) gets the same edition
in ``notebooks/<language>/``, made from the same source notebooks by translating them
cell by cell from ``locale/<language>/`` (:mod:`autograder.i18n`), with the glossary in
front of the first notebook. Text without a translation yet stays English there (the
catalogue check lists it).

Run it after changing anything in ``source/`` or ``locale/``::

    python -m autograder.course.self_study          # rewrite notebooks/
    python -m autograder.course.self_study --check  # exit 1 if notebooks/ is out of date

A test runs the check, so ``notebooks/`` never drifts from ``source/``.
"""

from __future__ import annotations

import argparse
import copy
import filecmp
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions

from autograder.course.course_config import REPO_ROOT, SOURCE_DIR
from autograder.i18n.catalogue import LANGUAGES, LOCALE_DIR, SOURCE_LANGUAGE, Translations, load
from autograder.i18n.notebooks import Lookup, render_markdown, translate_notebook

__all__ = [
    "EDITIONS_DOMAIN",
    "EDITION_TEXTS",
    "HELPER_FILES",
    "NOTEBOOKS_DIR",
    "SOURCE_DIR",
    "build",
    "differences",
    "main",
    "notebook_domain",
    "translated_notebook",
]

#: Where the self-study edition is written.
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
#: Student-side files the notebooks import (and the helpers' translated messages); the
#: probe is left out, as nothing here is graded.
HELPER_FILES = (
    "conv_checks.py",
    "conv_checks_expected.json",
    "conv_language.py",
    "conv_plots.py",
    *(f"conv_messages.{language}.mo" for language in LANGUAGES),
)
#: The catalogue of the editions' own words (EDITION_TEXTS), keyed by their names.
EDITIONS_DOMAIN = "editions"

_README = """\
# Self-study edition

Generated from `source/conv_backprop/` by `make notebooks`; edit the source, not these
files.

Work through the notebooks in order, `01_forward.ipynb` to `06_putting_it_together.ipynb`;
`07_conv_layer.ipynb`, a whole convolution layer with stride, padding, channels, batches
and max pooling, is an optional extra (worth bonus points in the graded course).
Each exercise cell says `raise NotImplementedError()` until you replace it with your
answer; the check after it runs your answer on the worked example and names the typical
mistake a wrong answer looks like. Every notebook runs on its own: a notebook restates
the functions it needs from earlier ones.

Stuck? A worked solution of every notebook is in `solutions/`, under the same name.
Try first: the checks tell you a lot.

You need Python 3.11 with numpy and matplotlib (`requirements-student.txt`) and Jupyter.
"""

_POINTER = (
    "**Self-study edition.** Replace each `raise NotImplementedError()` with your answer and "
    "run the check below it. Stuck? A worked solution is in [`solutions/{name}`](solutions/{name})."
)

#: The editions' own words, by name: English here, translated in ``editions.po``.
EDITION_TEXTS = {
    "readme": _README,
    "pointer": _POINTER,
    "solution-title": "Solution: {title}",
    # nbgrader's ClearSolutions stub, "# YOUR CODE HERE" above `raise NotImplementedError()`.
    "code-stub": "YOUR CODE HERE",
    "language-cell": "The checks' messages and the pictures speak this notebook's language.",
    "glossary": (
        "## Glossary\n\n"
        "The terms this course uses, beside the English ones you will meet in books and "
        "libraries. The first ones come from the homework report this course grew from."
    ),
    "glossary-columns": "| term | English |\n|---|---|",
}
_GLOSSARY_DOMAIN = "glossary"
_GLOSSARY_CELL_ID = "glossary"


def notebook_domain(name: str) -> str:
    """The catalogue (gettext domain) of a source notebook: its name without ``.ipynb``."""
    return name.removesuffix(".ipynb")


@dataclass(frozen=True)
class _Edition:
    """What differs between the English edition and a translated one."""

    language: str
    texts: dict[str, str]
    locale_dir: Path

    @property
    def translated(self) -> bool:
        return self.language != SOURCE_LANGUAGE

    def lookup(self, name: str) -> Lookup:
        return Lookup(
            self.language,
            Translations.load(self.language, notebook_domain(name), self.locale_dir),
            shared={EDITION_TEXTS["code-stub"]: self.texts["code-stub"]},
        )

    def markdown(self, text: str) -> str:
        return render_markdown([(text, self.language)], self.language)

    def code_stub(self) -> str:
        return f"# {self.texts['code-stub']}\nraise NotImplementedError()"


def _edition(language: str, locale_dir: Path) -> _Edition:
    if language == SOURCE_LANGUAGE:
        return _Edition(language, dict(EDITION_TEXTS), locale_dir)
    translations = Translations.load(language, EDITIONS_DOMAIN, locale_dir)
    texts = {name: translations.get(name, text) or text for name, text in EDITION_TEXTS.items()}
    return _Edition(language, texts, locale_dir)


def _glossary_cell(edition: _Edition) -> NotebookNode:
    """The glossary, term by term, from the translator's ``glossary.po``."""
    rows = [
        f"| {entry.msgstr} | {entry.msgid} |"
        for entry in load(edition.language, _GLOSSARY_DOMAIN, edition.locale_dir)
        if entry.msgid and entry.msgstr and not entry.obsolete
    ]
    table = "\n".join([edition.texts["glossary-columns"], *rows])
    cell = nbformat.v4.new_markdown_cell(
        render_markdown(
            [
                (block, edition.language)
                for block in (*edition.texts["glossary"].split("\n\n"), table)
            ],
            edition.language,
        )
    )
    cell.id = _GLOSSARY_CELL_ID
    return cell


def _clean(nb: NotebookNode, edition: _Edition, *, solutions: bool) -> NotebookNode:
    nb = copy.deepcopy(nb)
    steps = [ClearHiddenTests()]
    if not solutions:
        steps.append(ClearSolutions(code_stub={"python": edition.code_stub()}))
    for preprocessor in (*steps, ClearOutput()):
        nb, _ = preprocessor.preprocess(nb, {})
    return nb


def _check_title(nb: NotebookNode, name: str) -> None:
    first = nb.cells[0] if nb.cells else None
    if first is None or first.cell_type != "markdown" or not first.source.startswith("# "):
        raise ValueError(f"{name} must open with a markdown cell whose first line is a '# ' title")


def _translated(
    nb: NotebookNode, name: str, edition: _Edition, *, solution: bool, first: bool
) -> NotebookNode:
    """The notebook in the edition's language: a solution's title says so (JupyterLab
    names both tabs after the file, so the title tells them apart), and the first
    notebook of a translated edition has the glossary after its title."""

    def retitle(block: str) -> str:
        title = edition.texts["solution-title"].format(title=block.removeprefix("# "))
        return "# " + title

    if not edition.translated:
        nb = copy.deepcopy(nb)
        if solution:
            nb.cells[0].source = retitle(nb.cells[0].source)
        return nb
    translated = translate_notebook(
        nb,
        edition.lookup(name),
        language_comment=edition.texts["language-cell"],
        retitle=retitle if solution else None,
    )
    if first:
        translated.cells.insert(1, _glossary_cell(edition))
    return translated


def translated_notebook(
    nb: NotebookNode, name: str, language: str, locale_dir: Path = LOCALE_DIR, *, first: bool
) -> NotebookNode:
    """A notebook of the assignment (source or release) in a translated language, as
    the editions show it: translated cell by cell, its language in its metadata and in
    a code cell, the glossary after the first notebook's title.

    Parameters
    ----------
    nb : NotebookNode
        The English notebook (not modified).
    name : str
        Its file name, e.g. ``01_forward.ipynb``: it names its catalogue.
    language : str
        One of :data:`~autograder.i18n.catalogue.LANGUAGES`.
    locale_dir : Path
        The catalogues.
    first : bool
        Whether it is the assignment's first notebook (it gets the glossary).

    Returns
    -------
    NotebookNode
        Text without a usable translation stays English.
    """
    return _translated(nb, name, _edition(language, locale_dir), solution=False, first=first)


def _solution_version(nb: NotebookNode, name: str, edition: _Edition, first: bool) -> NotebookNode:
    translated = _translated(nb, name, edition, solution=True, first=first)
    return _clean(translated, edition, solutions=True)


def _student_version(nb: NotebookNode, name: str, edition: _Edition, first: bool) -> NotebookNode:
    translated = _translated(nb, name, edition, solution=False, first=first)
    student = _clean(translated, edition, solutions=False)
    pointer = nbformat.v4.new_markdown_cell(
        edition.markdown(edition.texts["pointer"].format(name=name))
    )
    pointer.id = "self-study-pointer"
    student.cells.insert(0, pointer)
    return student


def _build_edition(source_dir: Path, out_dir: Path, edition: _Edition) -> list[Path]:
    solutions_dir = out_dir / "solutions"
    solutions_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for number, path in enumerate(sorted(source_dir.glob("[0-9][0-9]_*.ipynb"))):
        nb = nbformat.read(path, as_version=4)
        _check_title(nb, path.name)
        first = number == 0
        for target, version in (
            (out_dir / path.name, _student_version(nb, path.name, edition, first)),
            (solutions_dir / path.name, _solution_version(nb, path.name, edition, first)),
        ):
            nbformat.write(version, target)
            written.append(target)
    for folder in (out_dir, solutions_dir):
        for helper in HELPER_FILES:
            shutil.copyfile(source_dir / helper, folder / helper)
            written.append(folder / helper)
    (out_dir / "README.md").write_text(edition.texts["readme"], encoding="utf-8")
    written.append(out_dir / "README.md")
    return written


def build(
    source_dir: Path = SOURCE_DIR,
    out_dir: Path = NOTEBOOKS_DIR,
    locale_dir: Path = LOCALE_DIR,
    languages: tuple[str, ...] = LANGUAGES,
) -> list[Path]:
    """Write the self-study editions of every notebook in ``source_dir`` to ``out_dir``.

    Parameters
    ----------
    source_dir : Path
        The assignment's folder, with the nbgrader source notebooks and helper files.
    out_dir : Path
        The English edition's folder; ``solutions/`` is created inside it, and each
        translated edition goes to ``out_dir/<language>/``. Files already there are
        overwritten, others left alone.
    locale_dir : Path
        The translation catalogues.
    languages : tuple of str
        The translated editions to write.

    Returns
    -------
    list of Path
        Every file written.
    """
    written = _build_edition(source_dir, out_dir, _edition(SOURCE_LANGUAGE, locale_dir))
    for language in languages:
        written += _build_edition(source_dir, out_dir / language, _edition(language, locale_dir))
    return written


def differences(
    source_dir: Path = SOURCE_DIR,
    out_dir: Path = NOTEBOOKS_DIR,
    locale_dir: Path = LOCALE_DIR,
    languages: tuple[str, ...] = LANGUAGES,
) -> list[str]:
    """Files of ``out_dir`` that differ from a fresh build, or are missing or extra.

    Parameters
    ----------
    source_dir, out_dir, locale_dir, languages
        As for :func:`build`.

    Returns
    -------
    list of str
        Paths relative to ``out_dir``; empty when the edition is in sync.
    """
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch)
        written = build(source_dir, fresh, locale_dir, languages)
        expected = {path.relative_to(fresh) for path in written}
        present = {
            path.relative_to(out_dir)
            for path in out_dir.rglob("*")
            if path.is_file()
            and "__pycache__" not in path.parts
            and ".ipynb_checkpoints" not in path.parts
        }
        stale = [
            str(relative)
            for relative in sorted(expected & present)
            if not filecmp.cmp(fresh / relative, out_dir / relative, shallow=False)
        ]
        return stale + [str(relative) for relative in sorted(expected ^ present)]


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check``, verify) the self-study edition."""
    parser = argparse.ArgumentParser(
        prog="python -m autograder.course.self_study", description=__doc__
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if notebooks/ is out of date")
    options = parser.parse_args(argv)
    if options.check:
        stale = differences()
        if stale:
            print(
                "notebooks/ is out of date (run `make notebooks`): " + ", ".join(stale),
                file=sys.stderr,
            )
            return 1
        print("notebooks/ is up to date")
        return 0
    written = build()
    print(f"wrote {len(written)} files to {NOTEBOOKS_DIR}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
