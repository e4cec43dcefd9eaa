"""Translation catalogues: gettext ``.po`` files, read and written with polib.

The English text is the source. Each translated language has one ``.po`` file per
*domain* (one per notebook, one for the kernel-side helpers' messages, ...), in the
usual gettext layout ``locale/<language>/LC_MESSAGES/<domain>.po``, which Poedit,
Lokalize, Weblate and the gettext tools all read. An entry is keyed by

- ``msgctxt``: where the text is, stable across edits: a notebook cell's nbformat id
  (``01-header``), never its position;
- ``msgid``: the English text itself, exactly as it was when the translation was
  made. That is the record of what a translation was made from: when the English
  changes, the entry no longer matches, and :func:`problems` says so.

:func:`updated` merges today's English into a language's catalogue as ``msgmerge``
does: a text that is new gets an empty entry, or a fuzzy one when the same English is
translated elsewhere (a compendium); a text that changed keeps its old translation,
marked ``fuzzy``, with the English it was made from beside it (``#| msgid``, which
translators' tools show as a difference); a text that is gone becomes an obsolete entry
(``#~``) at the end of the file, so no translation is ever lost. A fuzzy or empty entry
is never used: the English shows instead, and the check fails.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import polib

__all__ = [
    "LANGUAGES",
    "LOCALE_DIR",
    "SOURCE_LANGUAGE",
    "Problem",
    "TemplateEntry",
    "Translations",
    "compile_mo",
    "course_locale_dir",
    "load",
    "po_path",
    "po_text",
    "problems",
    "template",
    "translated_texts",
    "updated",
]

_ROOT = Path(__file__).resolve().parent.parent.parent
#: The course's catalogues: ``locale/<language>/LC_MESSAGES/<domain>.po``.
LOCALE_DIR = _ROOT / "locale"
#: The language the course is written in.
SOURCE_LANGUAGE = "en"
#: The languages with a translated edition, as BCP 47 tags.
LANGUAGES = ("fa",)
_PROJECT = "conv-backprop"
_WIDTH = 88
_FUZZY = "fuzzy"


@dataclass(frozen=True)
class TemplateEntry:
    """One English text to translate.

    Attributes
    ----------
    context : str or None
        Where it is (a cell id, or the name of a text); None for a message looked up
        by its English alone (plain ``gettext``).
    text : str
        The English.
    note : str
        A hint for the translator (what kind of text, which graded cell).
    flags : tuple of str
        gettext flags, e.g. ``python-brace-format`` for a text with ``{fields}``.
    """

    context: str | None
    text: str
    note: str = ""
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Problem:
    """Why a text has no usable translation.

    Attributes
    ----------
    domain : str
        Which catalogue.
    context : str
        Where in it (a cell id; empty for a plain message).
    reason : str
        ``"missing"`` (never translated), ``"changed"`` (translated from English that
        has changed since; ``previous`` holds it) or ``"fuzzy"`` (marked for review,
        with the English it was made from in ``previous`` when known).
    text : str
        The English as it is now.
    previous : str
        The English the translation was made from, when it is known.
    """

    domain: str
    context: str
    reason: str
    text: str
    previous: str = ""

    def __str__(self) -> str:
        head = f"{self.domain} [{self.context}] {self.reason}: {_short(self.text)}"
        return head + (f" (translated from: {_short(self.previous)})" if self.previous else "")


def _short(text: str, width: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def course_locale_dir(course_root: Path) -> Path:
    """A course's catalogues: its own ``locale/`` if it has one, else this project's.

    The release is translated and the feedback translated back from the same folder.
    """
    own = Path(course_root) / "locale"
    return own if own.is_dir() else LOCALE_DIR


def po_path(language: str, domain: str, locale_dir: Path = LOCALE_DIR) -> Path:
    """Where a language's catalogue of a domain lives."""
    return Path(locale_dir) / language / "LC_MESSAGES" / f"{domain}.po"


def _new_file(domain: str, language: str | None) -> polib.POFile:
    po = polib.POFile(wrapwidth=_WIDTH, check_for_duplicates=True)
    where = f"in the language {language}" if language else "template"
    po.header = (
        f"{domain}: the {_PROJECT} course, {where}.\n"
        "The English source is each msgid, exactly as translated; see\n"
        "autograder/course/translations.py for how to update this file."
    )
    po.metadata = {
        "Project-Id-Version": f"{_PROJECT} 1",
        "Language": language or "",
        "Language-Team": f"{language} <{_PROJECT} translators>" if language else "",
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=utf-8",
        "Content-Transfer-Encoding": "8bit",
    }
    return po


def _key(entry: polib.POEntry) -> tuple[str | None, str]:
    return (entry.msgctxt, entry.msgid)


def template(domain: str, entries: Iterable[TemplateEntry]) -> polib.POFile:
    """A template (what ``.pot`` files hold): every English text, untranslated.

    Parameters
    ----------
    domain : str
        The catalogue's name.
    entries : iterable of TemplateEntry
        The texts; repeats of the same (context, text) count once.

    Returns
    -------
    polib.POFile
    """
    po = _new_file(domain, None)
    seen: set[tuple[str | None, str]] = set()
    for entry in entries:
        if (entry.context, entry.text) in seen:
            continue
        seen.add((entry.context, entry.text))
        po.append(
            polib.POEntry(
                msgctxt=entry.context,
                msgid=entry.text,
                msgstr="",
                comment=entry.note,
                flags=list(entry.flags),
            )
        )
    return po


def load(language: str, domain: str, locale_dir: Path = LOCALE_DIR) -> polib.POFile:
    """A language's catalogue of a domain; an empty one if it has no file yet."""
    path = po_path(language, domain, locale_dir)
    if not path.exists():
        return _new_file(domain, language)
    return polib.pofile(str(path), wrapwidth=_WIDTH)


def po_text(po: polib.POFile) -> bytes:
    """The catalogue as the bytes of a ``.po`` file."""
    po.wrapwidth = _WIDTH
    return (str(po) + "\n").encode("utf-8")


def translated_texts(catalogues: Iterable[polib.POFile]) -> dict[str, str]:
    """English -> translation over several catalogues, for :func:`updated`'s compendium."""
    memory: dict[str, str] = {}
    for po in catalogues:
        for entry in po:
            if entry.msgid and entry.msgstr and not entry.fuzzy and not entry.obsolete:
                memory.setdefault(entry.msgid, entry.msgstr)
    return memory


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def updated(
    catalog: polib.POFile,
    fresh: polib.POFile,
    compendium: Mapping[str, str] | None = None,
) -> polib.POFile:
    """``catalog`` merged with today's English, as ``msgmerge`` would (see the module doc).

    A changed text is paired with the old translation of the same cell (same
    ``msgctxt``) whose English is the most alike; a cell whose old English all paired
    up leaves the rest of its new text untranslated.

    Parameters
    ----------
    catalog : polib.POFile
        A language's catalogue as it is on disk (not modified).
    fresh : polib.POFile
        The template made from today's English.
    compendium : mapping from English to translation, optional
        Translations from other catalogues, offered (fuzzy) for new text.

    Returns
    -------
    polib.POFile
        The merged catalogue, to write back.
    """
    merged = polib.POFile(wrapwidth=_WIDTH, check_for_duplicates=True)
    merged.header = catalog.header
    merged.metadata = dict(catalog.metadata)
    current = {_key(entry): entry for entry in catalog if not entry.obsolete}
    leftovers = [entry for entry in catalog if not entry.obsolete and entry.msgid]
    wanted = {_key(entry) for entry in fresh}
    leftovers = [entry for entry in leftovers if _key(entry) not in wanted and entry.msgstr]

    for new in fresh:
        entry = polib.POEntry(
            msgctxt=new.msgctxt, msgid=new.msgid, msgstr="", comment=new.comment, flags=[]
        )
        old = current.get(_key(new))
        if old is not None:
            entry.msgstr = old.msgstr
            entry.tcomment = old.tcomment
            entry.flags = list(old.flags)
            entry.previous_msgid = old.previous_msgid
        else:
            same_cell = [old for old in leftovers if old.msgctxt == new.msgctxt]
            if same_cell:
                source = max(same_cell, key=lambda old: _similarity(old.msgid, new.msgid))
                leftovers.remove(source)
                entry.msgstr = source.msgstr
                entry.tcomment = source.tcomment
                entry.previous_msgid = source.msgid
                entry.flags = [_FUZZY]
            elif compendium and new.msgid in compendium:
                entry.msgstr = compendium[new.msgid]
                entry.flags = [_FUZZY]
        for flag in new.flags:
            if flag not in entry.flags:
                entry.flags.append(flag)
        merged.append(entry)

    for gone in [*leftovers, *(entry for entry in catalog if entry.obsolete)]:
        gone.obsolete = True
        if _key(gone) not in {_key(entry) for entry in merged}:
            merged.append(gone)
    return merged


class Translations:
    """One language's usable translations of one domain, for lookups.

    Only entries with a translation that is not fuzzy are used; anything else falls
    back to the English.
    """

    def __init__(self, catalog: polib.POFile) -> None:
        self._strings: dict[tuple[str | None, str], str] = {
            _key(entry): entry.msgstr
            for entry in catalog
            if entry.msgid and entry.msgstr and not entry.fuzzy and not entry.obsolete
        }

    @classmethod
    def load(cls, language: str, domain: str, locale_dir: Path = LOCALE_DIR) -> Translations:
        """The translations on disk (none if the file does not exist)."""
        return cls(load(language, domain, locale_dir))

    def get(self, context: str | None, text: str) -> str | None:
        """The translation of ``text`` at ``context``, or None if there is none to use."""
        return self._strings.get((context, text))

    def __len__(self) -> int:
        return len(self._strings)


def problems(domain: str, fresh: polib.POFile, catalog: polib.POFile) -> list[Problem]:
    """Every English text of ``fresh`` that ``catalog`` cannot translate, and why.

    Parameters
    ----------
    domain : str
        The catalogue's name, for the report.
    fresh : polib.POFile
        The template made from today's English.
    catalog : polib.POFile
        A language's catalogue.

    Returns
    -------
    list of Problem
        In the template's order; empty when every text has a usable translation.
    """
    entries = {_key(entry): entry for entry in catalog if not entry.obsolete and entry.msgid}
    wanted = {_key(entry) for entry in fresh}
    stale: dict[str | None, list[str]] = {}
    for key, entry in entries.items():
        if key not in wanted and entry.msgstr:
            stale.setdefault(entry.msgctxt, []).append(entry.msgid)
    found = []
    for new in fresh:
        context = new.msgctxt or ""
        have = entries.get(_key(new))
        if have is not None and have.msgstr and not have.fuzzy:
            continue
        if have is not None and have.msgstr:
            found.append(Problem(domain, context, "fuzzy", new.msgid, have.previous_msgid or ""))
        elif stale.get(new.msgctxt):
            found.append(Problem(domain, context, "changed", new.msgid, stale[new.msgctxt][0]))
        else:
            found.append(Problem(domain, context, "missing", new.msgid))
    return found


def compile_mo(po: polib.POFile) -> bytes:
    """The catalogue as a ``.mo`` file for Python's ``gettext``; fuzzy entries left out."""
    usable = polib.POFile()
    usable.metadata = dict(po.metadata)
    for entry in po:
        if entry.msgid and entry.msgstr and not entry.fuzzy and not entry.obsolete:
            usable.append(entry)
    return usable.to_binary()
