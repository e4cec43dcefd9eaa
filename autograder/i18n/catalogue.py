"""Translation catalogues: gettext ``.po`` files, read and written with babel.

The English text is the source. Each translated language has one ``.po`` file per
*domain* (one per notebook, one for the kernel-side helpers' messages, ...), in the
usual gettext layout ``locale/<language>/LC_MESSAGES/<domain>.po``, which Poedit,
Lokalize, Weblate and ``pybabel`` all read. An entry is keyed by

- ``msgctxt``: where the text is, stable across edits: a notebook cell's nbformat id
  (``01-header``), never its position;
- ``msgid``: the English text itself, exactly as it was when the translation was
  made. That is the record of what a translation was made from: when the English
  changes, the entry no longer matches, and :func:`problems` says so.

``update`` merges a fresh template into a language's catalogue the way ``msgmerge``
does (babel's ``Catalog.update``): new text gets an empty entry, changed text keeps its
old translation marked ``fuzzy`` with the old English beside it (``#| msgid``), and text
that is gone moves to the obsolete entries (``#~``) at the end of the file. A fuzzy or
empty entry is never used: the English shows instead, and the check fails.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

__all__ = [
    "LANGUAGES",
    "LOCALE_DIR",
    "SOURCE_LANGUAGE",
    "Problem",
    "TemplateEntry",
    "Translations",
    "compile_mo",
    "load",
    "po_path",
    "po_text",
    "problems",
    "template",
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
    """

    context: str | None
    text: str
    note: str = ""


@dataclass(frozen=True)
class Problem:
    """Why a text has no usable translation.

    Attributes
    ----------
    domain, context : str
        Which catalogue and where in it (a cell id).
    reason : str
        ``"missing"`` (never translated), ``"changed"`` (translated from English that
        has changed since; ``previous`` holds it) or ``"fuzzy"`` (marked for review).
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


def po_path(language: str, domain: str, locale_dir: Path = LOCALE_DIR) -> Path:
    """Where a language's catalogue of a domain lives."""
    return Path(locale_dir) / language / "LC_MESSAGES" / f"{domain}.po"


def template(domain: str, entries: Iterable[TemplateEntry]) -> Catalog:
    """A template catalogue (what ``.pot`` files hold): every English text, untranslated.

    Parameters
    ----------
    domain : str
        The catalogue's name.
    entries : iterable of TemplateEntry
        The texts; repeats of the same (context, text) count once.

    Returns
    -------
    babel.messages.catalog.Catalog
    """
    catalog = Catalog(domain=domain, project=_PROJECT, fuzzy=False)
    for entry in entries:
        existing = catalog.get(entry.text, context=entry.context)
        if existing is not None:
            continue
        catalog.add(
            entry.text,
            context=entry.context,
            auto_comments=[entry.note] if entry.note else [],
        )
    return catalog


def load(language: str, domain: str, locale_dir: Path = LOCALE_DIR) -> Catalog:
    """A language's catalogue of a domain; an empty one if it has no file yet."""
    path = po_path(language, domain, locale_dir)
    if not path.exists():
        return Catalog(
            locale=language,
            domain=domain,
            header_comment=(
                f"# {domain}: the {_PROJECT} course in the language {language}.\n"
                "# The English source is in msgid, exactly as translated; see\n"
                "# autograder/translations.py for how to update this file."
            ),
            project=_PROJECT,
            version="1",
            copyright_holder="the conv-backprop course authors",
            language_team=f"{language} <conv-backprop translators>",
            fuzzy=False,
        )
    with path.open("rb") as handle:
        return read_po(handle, locale=language, domain=domain)


def po_text(catalog: Catalog) -> bytes:
    """The catalogue as a ``.po`` file, previous English (``#| msgid``) included."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=_WIDTH, no_location=True, include_previous=True)
    return buffer.getvalue()


def updated(catalog: Catalog, fresh: Catalog) -> Catalog:
    """``catalog`` merged with a fresh template, as ``msgmerge`` would (see the module doc).

    Parameters
    ----------
    catalog : Catalog
        A language's catalogue as it is on disk (not modified).
    fresh : Catalog
        The template made from today's English.

    Returns
    -------
    Catalog
        The merged catalogue, to write back.
    """
    with io.BytesIO(po_text(catalog)) as copy:
        merged = read_po(copy, locale=catalog.locale, domain=catalog.domain)
    merged.update(fresh, update_creation_date=False)
    return merged


class Translations:
    """One language's usable translations of one domain, for lookups.

    Only entries with a translation that is not fuzzy are used; anything else falls
    back to the English.
    """

    def __init__(self, catalog: Catalog) -> None:
        self._strings: dict[tuple[str | None, str], str] = {}
        for message in catalog:
            if message.id and message.string and not message.fuzzy:
                self._strings[(message.context, message.id)] = message.string

    @classmethod
    def load(cls, language: str, domain: str, locale_dir: Path = LOCALE_DIR) -> Translations:
        """The translations on disk (none if the file does not exist)."""
        return cls(load(language, domain, locale_dir))

    def get(self, context: str | None, text: str) -> str | None:
        """The translation of ``text`` at ``context``, or None if there is none to use."""
        return self._strings.get((context, text))

    def __len__(self) -> int:
        return len(self._strings)


def problems(domain: str, fresh: Catalog, catalog: Catalog) -> list[Problem]:
    """Every English text of ``fresh`` that ``catalog`` cannot translate, and why.

    Parameters
    ----------
    domain : str
        The catalogue's name, for the report.
    fresh : Catalog
        The template made from today's English.
    catalog : Catalog
        A language's catalogue.

    Returns
    -------
    list of Problem
        In the template's order; empty when every text has a usable translation.
    """
    found = []
    stale_by_context: dict[str | None, list[str]] = {}
    for message in catalog:
        if message.id and fresh.get(message.id, context=message.context) is None:
            stale_by_context.setdefault(message.context, []).append(message.id)
    for wanted in fresh:
        if not wanted.id:
            continue
        context = wanted.context or ""
        have = catalog.get(wanted.id, context=wanted.context)
        if have is not None and have.string and not have.fuzzy:
            continue
        if have is not None and have.fuzzy and have.string:
            previous = "\n".join(have.previous_id) if have.previous_id else ""
            found.append(Problem(domain, context, "fuzzy", wanted.id, previous))
            continue
        stale = stale_by_context.get(wanted.context, [])
        if stale and (have is None or not have.string):
            found.append(Problem(domain, context, "changed", wanted.id, stale[0]))
        else:
            found.append(Problem(domain, context, "missing", wanted.id))
    return found


def compile_mo(catalog: Catalog) -> bytes:
    """The catalogue as a ``.mo`` file for Python's ``gettext``, fuzzy entries left out."""
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()
