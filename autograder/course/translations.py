"""The course's translation catalogues: what there is to translate, and keeping them current.

Three kinds of English text are translated, each in its own catalogue (gettext domain)
per language under ``locale/<language>/LC_MESSAGES/``:

- ``<notebook>.po`` (``01_forward.po`` ...): every cell of that notebook in
  ``source/conv_backprop/``, keyed by the cell's nbformat id
  (:mod:`autograder.i18n.notebooks`);
- ``conv_messages.po``: what the kernel-side helpers write (``_("...")`` and
  ``N_("...")`` in ``conv_plots.py`` and ``conv_checks.py``);
- ``conv_grader.po``: what the grader writes for a student (``_("...")`` and
  ``N_("...")`` in the ``autograder`` package: verdicts, their partial-credit lines,
  the feedback summary) and every sentence of the catalogue of typical mistakes
  (:mod:`autograder.maths.misconceptions`, which the visible checks say too). It is
  compiled into the package (``autograder/i18n/conv_grader.<language>.mo``, for
  :mod:`autograder.i18n.messages`); the kernel-side messages are compiled together
  with it into ``source/conv_backprop/conv_messages.<language>.mo`` for
  ``conv_language``;
- ``editions.po``: the generated editions' own words (the self-study pointer, the
  README, a solution's title, the glossary's heading), keyed by name
  (:data:`autograder.course.self_study.EDITION_TEXTS`).

``glossary.po`` is the translator's own: English term -> term in the language, the
words every translation must use; the first notebook of a translated edition shows it.

A translator's round::

    python -m autograder.course.translations update   # new English in, changed English fuzzy
    # ... translate in Poedit, Lokalize or any editor: empty and fuzzy entries ...
    make notebooks                             # compile, regenerate notebooks/<language>/
    python -m autograder.course.translations check    # exit 1 while anything is untranslated

``check`` (and the tests) fail for a text with no translation and for one whose English
changed after it was translated; ``compile --check`` fails while a ``.mo`` is stale.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
import polib
from babel.messages.extract import extract_from_file

from autograder.course.self_study import EDITION_TEXTS, EDITIONS_DOMAIN, SOURCE_DIR, notebook_domain
from autograder.i18n.catalogue import (
    LANGUAGES,
    LOCALE_DIR,
    Problem,
    TemplateEntry,
    compile_mo,
    load,
    po_path,
    po_text,
    problems,
    template,
    translated_texts,
    updated,
)
from autograder.i18n.messages import COMPILED_DIR, GRADER_DOMAIN, compiled_path
from autograder.i18n.notebooks import notebook_entries

__all__ = [
    "GLOSSARY_DOMAIN",
    "GRADER_DOMAIN",
    "GRADER_PACKAGE",
    "KERNEL_DOMAIN",
    "KERNEL_SOURCES",
    "check",
    "compile_kernel_messages",
    "compiled_differences",
    "main",
    "mo_path",
    "templates",
    "update",
]

#: The kernel-side helpers' messages.
KERNEL_DOMAIN = "conv_messages"
#: Kernel-side modules whose ``_("...")`` and ``N_("...")`` texts make up
#: :data:`KERNEL_DOMAIN`.
KERNEL_SOURCES = ("conv_plots.py", "conv_checks.py")
#: The package whose ``_("...")`` and ``N_("...")`` texts are in :data:`GRADER_DOMAIN`.
GRADER_PACKAGE = Path(__file__).resolve().parent.parent
_KEYWORDS = {"_": None, "N_": None}
#: The translator's glossary (not made from any English source).
GLOSSARY_DOMAIN = "glossary"


def _marked_entries(path: Path, where: str) -> list[TemplateEntry]:
    """The texts ``_("...")`` and ``N_("...")`` mark in one Python file."""
    entries = []
    for lineno, message, _comments, _context in extract_from_file("python", path, _KEYWORDS):
        if not isinstance(message, str):  # a plural form: none in this project
            raise ValueError(f"{where}:{lineno}: plural messages are not supported")
        flags = ("python-brace-format",) if "{" in message else ()
        entries.append(TemplateEntry(None, message, f"{where}:{lineno}", flags))
    return entries


def _kernel_entries(source_dir: Path) -> list[TemplateEntry]:
    return [entry for name in KERNEL_SOURCES for entry in _marked_entries(source_dir / name, name)]


def _grader_entries() -> list[TemplateEntry]:
    """The grader's marked texts, then the catalogue of typical mistakes, task by task."""
    from autograder.maths.misconceptions import GENERAL
    from autograder.verify.tasks import TASKS

    entries = [
        entry
        for path in sorted(GRADER_PACKAGE.rglob("*.py"))
        for entry in _marked_entries(path, path.relative_to(GRADER_PACKAGE.parent).as_posix())
    ]
    for task in TASKS.values():
        for mistake in (*task.misconceptions, *GENERAL):
            entries.append(TemplateEntry(None, mistake.message, f"{task.name}: {mistake.key}"))
    return entries


def templates(source_dir: Path = SOURCE_DIR) -> dict[str, polib.POFile]:
    """Every domain's template, made from today's English.

    Parameters
    ----------
    source_dir : Path
        The assignment's source folder.

    Returns
    -------
    dict from a domain name to its template
    """
    found = {}
    for path in sorted(source_dir.glob("[0-9][0-9]_*.ipynb")):
        domain = notebook_domain(path.name)
        found[domain] = template(domain, notebook_entries(nbformat.read(path, as_version=4)))
    found[KERNEL_DOMAIN] = template(KERNEL_DOMAIN, _kernel_entries(source_dir))
    found[GRADER_DOMAIN] = template(GRADER_DOMAIN, _grader_entries())
    found[EDITIONS_DOMAIN] = template(
        EDITIONS_DOMAIN, [TemplateEntry(name, text) for name, text in EDITION_TEXTS.items()]
    )
    return found


def update(
    source_dir: Path = SOURCE_DIR,
    locale_dir: Path = LOCALE_DIR,
    languages: tuple[str, ...] = LANGUAGES,
) -> list[Path]:
    """Merge today's English into every language's catalogues (see the module doc).

    Returns
    -------
    list of Path
        The ``.po`` files written (those whose content changed).
    """
    written = []
    fresh_templates = templates(source_dir)
    for language in languages:
        compendium = translated_texts(
            load(language, domain, locale_dir) for domain in fresh_templates
        )
        for domain, fresh in fresh_templates.items():
            path = po_path(language, domain, locale_dir)
            text = po_text(updated(load(language, domain, locale_dir), fresh, compendium))
            if not path.exists() or path.read_bytes() != text:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(text)
                written.append(path)
    return written


def check(
    source_dir: Path = SOURCE_DIR,
    locale_dir: Path = LOCALE_DIR,
    languages: tuple[str, ...] = LANGUAGES,
) -> dict[str, list[Problem]]:
    """Every text without a usable translation, per language.

    Returns
    -------
    dict from a language to its list of Problem
        Empty lists when everything is translated from today's English.
    """
    fresh = templates(source_dir)
    return {
        language: [
            problem
            for domain, template_catalog in fresh.items()
            for problem in problems(domain, template_catalog, load(language, domain, locale_dir))
        ]
        for language in languages
    }


def mo_path(language: str, source_dir: Path = SOURCE_DIR) -> Path:
    """The compiled kernel-side messages for a language, beside ``conv_language.py``."""
    return source_dir / f"{KERNEL_DOMAIN}.{language}.mo"


def _compiled(
    language: str, source_dir: Path, locale_dir: Path, grader_dir: Path
) -> dict[Path, bytes]:
    """Each compiled catalogue of a language, by where it goes: the kernel's holds its
    own messages and the grader's (the visible checks say the mistakes' sentences)."""
    grader = load(language, GRADER_DOMAIN, locale_dir)
    kernel = load(language, KERNEL_DOMAIN, locale_dir)
    both = polib.POFile()
    both.metadata = dict(kernel.metadata)
    seen = set()
    for entry in [*kernel, *grader]:
        if (entry.msgctxt, entry.msgid) not in seen:
            seen.add((entry.msgctxt, entry.msgid))
            both.append(entry)
    return {
        mo_path(language, source_dir): compile_mo(both),
        grader_dir / compiled_path(language).name: compile_mo(grader),
    }


def compile_kernel_messages(
    source_dir: Path = SOURCE_DIR,
    locale_dir: Path = LOCALE_DIR,
    languages: tuple[str, ...] = LANGUAGES,
    grader_dir: Path = COMPILED_DIR,
) -> list[Path]:
    """Write ``conv_messages.<language>.mo`` beside the helpers and
    ``conv_grader.<language>.mo`` into the package; return the files written."""
    written = []
    for language in languages:
        for path, data in _compiled(language, source_dir, locale_dir, grader_dir).items():
            path.write_bytes(data)
            written.append(path)
    return written


def compiled_differences(
    source_dir: Path = SOURCE_DIR,
    locale_dir: Path = LOCALE_DIR,
    languages: tuple[str, ...] = LANGUAGES,
    grader_dir: Path = COMPILED_DIR,
) -> list[str]:
    """The ``.mo`` files that are missing or differ from a fresh compile."""
    return [
        path.name
        for language in languages
        for path, data in _compiled(language, source_dir, locale_dir, grader_dir).items()
        if not path.exists() or path.read_bytes() != data
    ]


def main(argv: list[str] | None = None) -> int:
    """``update``, ``check`` or ``compile [--check]`` the catalogues."""
    parser = argparse.ArgumentParser(
        prog="python -m autograder.course.translations",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("update", help="merge today's English into every catalogue")
    commands.add_parser("check", help="exit 1 if any text has no usable translation")
    compile_parser = commands.add_parser("compile", help="write the kernel-side .mo files")
    compile_parser.add_argument("--check", action="store_true", help="exit 1 if one is stale")
    options = parser.parse_args(argv)
    if options.command == "update":
        for path in update():
            print(f"updated {path.relative_to(LOCALE_DIR.parent)}")
        return 0
    if options.command == "check":
        failed = False
        for language, found in check().items():
            for problem in found:
                print(f"{language}: {problem}", file=sys.stderr)
            failed = failed or bool(found)
            print(f"{language}: {len(found)} texts without a usable translation")
        return 1 if failed else 0
    if options.check:
        stale = compiled_differences()
        if stale:
            print(
                "out of date (run `make notebooks`): " + ", ".join(stale),
                file=sys.stderr,
            )
            return 1
        return 0
    for path in compile_kernel_messages():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
