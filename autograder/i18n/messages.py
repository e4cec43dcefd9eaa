"""The grader's own words in the student's language: verdicts, diagnoses, summaries.

Everything the grader writes for a student is English in the code, marked for
translation as gettext marks it: ``_("...")`` where it is said, ``N_("...")`` where a
text is defined to be said later (translated then, with ``_``). Texts with values in
them are brace templates, filled after translation: ``_("{n} of {m}").format(n=..,
m=..)``, so that a translation may put the values where its grammar wants them. The
catalogue of typical mistakes (:mod:`autograder.maths.misconceptions`) is data, not
marked: its sentences are translated where they are said, with ``_``.

The language is the notebook's (its metadata, :func:`autograder.i18n.notebooks.
notebook_language`), set for the time a notebook is processed with :func:`speaking_for`
(a context variable, as Django's ``translation.override``), so the code that words a
verdict need not carry it along. The translations are the ``conv_grader`` gettext
catalogue (``locale/<language>/LC_MESSAGES/conv_grader.po``), compiled into this package
(``conv_grader.<language>.mo`` beside this file, :data:`COMPILED_DIR`) by ``make
notebooks``, so an installed grader (the course hub's) has them without the checkout.
A text without a usable translation is said in English.

Right-to-left text in plain-text outputs: :func:`plain_text_lines` starts each line of a
right-to-left language with a right-to-left mark and isolates the rest (RLM, RLI ...
PDI), so a line reads in the right order in a left-to-right ``<pre>`` (JupyterLab,
formgrader) and is a right-to-left paragraph where each line takes its own direction
(the Persian feedback pages, ``unicode-bidi: plaintext``).
"""

from __future__ import annotations

import functools
import gettext as _gettext
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from pathlib import Path

from nbformat import NotebookNode

from autograder.i18n.catalogue import LANGUAGES, SOURCE_LANGUAGE
from autograder.i18n.notebooks import notebook_language
from autograder.i18n.rtl import RTL_LANGUAGES

__all__ = [
    "COMPILED_DIR",
    "GRADER_DOMAIN",
    "N_",
    "compiled_path",
    "current",
    "gettext",
    "isolated",
    "plain_text_lines",
    "speaking",
    "speaking_for",
    "spoken_language",
]

#: The gettext domain of the grader's words.
GRADER_DOMAIN = "conv_grader"
#: Where the compiled catalogues live: inside the package, installed with it.
COMPILED_DIR = Path(__file__).resolve().parent
_RLM, _RLI, _FSI, _PDI = "\u200f", "\u2067", "\u2068", "\u2069"
_language: ContextVar[str] = ContextVar("conv_grader_language", default=SOURCE_LANGUAGE)


def compiled_path(language: str) -> Path:
    """The compiled grader catalogue of a language."""
    return COMPILED_DIR / f"{GRADER_DOMAIN}.{language}.mo"


@functools.cache
def _translations(language: str) -> _gettext.NullTranslations:
    path = compiled_path(language)
    if language == SOURCE_LANGUAGE or not path.is_file():
        return _gettext.NullTranslations()
    with path.open("rb") as handle:
        return _gettext.GNUTranslations(handle)


def spoken_language(language: str) -> str:
    """The language the grader speaks for ``language``: itself, or English for a language
    the course has no catalogue for (the tag comes from the student's file)."""
    return language if language in LANGUAGES else SOURCE_LANGUAGE


@contextmanager
def speaking(language: str) -> Iterator[str]:
    """Say everything in :func:`spoken_language` of ``language`` inside the block.

    Yields
    ------
    str
        The language in use.
    """
    chosen = spoken_language(language)
    token = _language.set(chosen)
    try:
        yield chosen
    finally:
        _language.reset(token)


def speaking_for(nb: NotebookNode) -> AbstractContextManager[str]:
    """Say everything in the notebook's language (its metadata) inside the block."""
    return speaking(notebook_language(nb))


def current() -> str:
    """The language in use, a BCP 47 tag."""
    return _language.get()


def gettext(text: str) -> str:
    """``text`` in the language in use; English where it has no usable translation."""
    return _translations(_language.get()).gettext(text)


def N_(text: str) -> str:
    """Mark ``text`` for translation where it is defined; it is translated where said."""
    return text


def isolated(text: str) -> str:
    """``text`` as a run of its own direction inside a right-to-left line (FSI ... PDI:
    its first letter says which), so that a list of symbols such as ``X 4x7 int, F 2x3
    float;`` keeps its order and punctuation; unchanged in a left-to-right language."""
    return f"{_FSI}{text}{_PDI}" if _language.get() in RTL_LANGUAGES else text


def plain_text_lines(text: str) -> str:
    """``text`` for a plain-text output: in a right-to-left language, each line made a
    right-to-left run (see the module doc); unchanged otherwise."""
    if _language.get() not in RTL_LANGUAGES:
        return text
    return "\n".join(
        f"{_RLM}{_RLI}{line}{_PDI}" if line.strip() else line for line in text.split("\n")
    )
