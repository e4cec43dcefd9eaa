"""The language of the helpers' messages and pictures: English unless a notebook says.

A translated notebook runs ``conv_language.use("fa")`` right after its imports; from
then on the kernel-side helpers (``conv_plots``) write their words in that language.
The translations are a compiled gettext catalogue beside this file,
``conv_messages.<language>.mo``, read with Python's own :mod:`gettext`; the course's
authors write it from ``locale/<language>/LC_MESSAGES/conv_messages.po`` with
``python -m autograder.course.translations compile`` (``make notebooks``).

A message without a translation comes out in English.

Pictures: matplotlib (3.11, with libraqm) joins Persian letters and lays a line out right
to left itself, but a symbol such as ``O[0, 1]`` or ``X:`` inside Persian text loses its
brackets and colons to the Persian around it (the Unicode bidirectional algorithm gives
a closing bracket between a digit and a Persian letter to the Persian). :func:`picture_text`
isolates every such left-to-right run, as HTML's ``dir="ltr"`` does in the notebooks'
markdown, so the helpers pass every text they draw through it.
"""

from __future__ import annotations

import gettext as _gettext
import re
from pathlib import Path

__all__ = ["SOURCE_LANGUAGE", "current", "gettext", "picture_text", "plain_text", "use"]

#: The language the messages are written in.
SOURCE_LANGUAGE = "en"
_HERE = Path(__file__).resolve().parent
# Letters of the scripts written right to left (Arabic, its supplements and
# presentation forms, Hebrew).
_RTL_LETTERS = "\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc"
_HAS_RTL = re.compile(f"[{_RTL_LETTERS}]")
# A run of anything but right-to-left letters and the zero-width non-joiner inside words.
_OTHER_RUN = re.compile(f"[^{_RTL_LETTERS}\u200c]+")
_LTR_CONTENT = re.compile(r"[A-Za-z0-9]")
# Punctuation that ends a phrase of the right-to-left sentence, not the symbol before it.
_SENTENCE_PUNCTUATION = ":;,.!?\u060c\u061b\u061f"
_LRI, _PDI = "\u2066", "\u2069"
_RLM, _RLI = "\u200f", "\u2067"
# Languages written right to left, by their BCP 47 primary tag.
_RTL_LANGUAGES = frozenset({"fa", "ar", "he", "ur"})
_state = {"language": SOURCE_LANGUAGE, "translations": _gettext.NullTranslations()}


def _catalogue_path(language: str) -> Path:
    return _HERE / f"conv_messages.{language}.mo"


def use(language: str) -> None:
    """Speak ``language`` from now on.

    Parameters
    ----------
    language : str
        A BCP 47 tag: ``"en"``, or a language whose catalogue is beside this file.

    Raises
    ------
    ValueError
        If there is no catalogue for ``language`` here.
    """
    if language == SOURCE_LANGUAGE:
        translations: _gettext.NullTranslations = _gettext.NullTranslations()
    else:
        path = _catalogue_path(language)
        if not path.is_file():
            raise ValueError(f"no messages in {language!r} here: {path.name} is missing")
        with path.open("rb") as handle:
            translations = _gettext.GNUTranslations(handle)
    _state["language"] = language
    _state["translations"] = translations


def current() -> str:
    """The language in use, a BCP 47 tag."""
    return _state["language"]


def gettext(message: str) -> str:
    """``message`` in the language in use (English when it has no translation)."""
    return _state["translations"].gettext(message)


def plain_text(text: str) -> str:
    """``text`` for a plain-text output (a check's message): in a right-to-left language,
    each line a right-to-left run.

    A line starts with a right-to-left mark and the rest is isolated (RLM, RLI ... PDI),
    so its words, code and numbers read in the right order in JupyterLab's left-to-right
    output area. Unchanged in a left-to-right language.
    """
    if _state["language"] not in _RTL_LANGUAGES:
        return text
    return "\n".join(
        f"{_RLM}{_RLI}{line}{_PDI}" if line.strip() else line for line in text.split("\n")
    )


def picture_text(text: str) -> str:
    """``text`` ready for matplotlib: in right-to-left text, each left-to-right run isolated.

    A run of symbols, digits and Latin letters (``O[0, 1]``, ``180°``, ``h``) between
    Persian words is wrapped in the Unicode isolates LRI ... PDI; spaces and the
    sentence's own punctuation around it stay outside. Text without a right-to-left
    letter comes back unchanged.

    Parameters
    ----------
    text : str
        A title, label or legend entry.

    Returns
    -------
    str
        The same text, with invisible isolate marks where needed.
    """
    if not _HAS_RTL.search(text):
        return text

    def isolate(match: re.Match[str]) -> str:
        run = match.group(0)
        core = run.strip().rstrip(_SENTENCE_PUNCTUATION)
        if not _LTR_CONTENT.search(core):
            return run
        start = run.index(core)
        return run[:start] + _LRI + core + _PDI + run[start + len(core) :]

    return _OTHER_RUN.sub(isolate, text)
