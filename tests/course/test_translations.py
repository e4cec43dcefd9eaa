"""Tests for autograder/course/translations.py and the course's catalogues in locale/.

- Every translatable text of every notebook (and of the helpers and the editions) has a
  translation made from today's English: a cell that is new, or whose English changed
  after it was translated, fails here with its notebook and cell id (see the README's
  translators' section for the round that fixes it).
- The check can fail: a changed and a new cell in a copy of the source are named.
- Catalogues are keyed by cell ids that exist; the compiled helper messages are in
  step with their catalogue.
- Every translation uses the glossary's terms for the glossary's English terms.
"""

from __future__ import annotations

import re
import shutil

import nbformat
import pytest

from autograder.course import translations
from autograder.course.self_study import notebook_domain
from autograder.i18n.catalogue import LANGUAGES, LOCALE_DIR, load
from notebook_runs import SOURCE_DIR, notebook_paths

NOTEBOOKS = notebook_paths(SOURCE_DIR)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_has_a_translation_made_from_todays_english(language) -> None:
    found = translations.check()[language]
    assert not found, "untranslated or stale (run `make translations`):\n" + "\n".join(
        str(problem) for problem in found
    )


def test_a_changed_cell_and_a_new_cell_are_named(tmp_path) -> None:
    source = tmp_path / "source"
    shutil.copytree(SOURCE_DIR, source)
    name = NOTEBOOKS[0].name
    nb = nbformat.read(source / name, as_version=4)
    first = nb.cells[0]
    blocks = first.source.split("\n\n")
    blocks[1] = blocks[1] + " One more sentence."
    first.source = "\n\n".join(blocks)
    added = nbformat.v4.new_markdown_cell("A new paragraph nobody translated.")
    added.id = "brand-new-cell"
    nb.cells.append(added)
    nbformat.write(nb, source / name)
    found = translations.check(source)["fa"]
    assert [(p.domain, p.context, p.reason) for p in found] == [
        (notebook_domain(name), first.id, "changed"),
        (notebook_domain(name), "brand-new-cell", "missing"),
    ]
    assert found[0].previous == "\n\n".join(first.source.split("\n\n")[1:2]).removesuffix(
        " One more sentence."
    )


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_catalogues_are_keyed_by_ids_of_their_cells(language, path) -> None:
    ids = {cell.id for cell in nbformat.read(path, as_version=4).cells}
    contexts = {
        entry.msgctxt
        for entry in load(language, notebook_domain(path.name))
        if entry.msgid and not entry.obsolete
    }
    assert contexts and contexts <= ids


def test_compiled_helper_messages_are_in_step_with_their_catalogue() -> None:
    assert translations.compiled_differences() == []


# ------------------------------------------------------------------- glossary


def _normalised(persian: str) -> str:
    """Persian as the glossary compares it: without short vowels or the ezafe mark, a
    plural suffix joined by a zero-width non-joiner dropped, other joiners as spaces."""
    persian = re.sub("[\u064b-\u065f\u0670]", "", persian)
    persian = re.sub("\u200c(های|ها)(?![\u0600-\u06ff])", "", persian)
    persian = persian.replace("\u200c", " ").replace("ي", "ی").replace("ك", "ک")
    return re.sub(r"\s+", " ", persian)


def _english_prose(text: str) -> str:
    """English without code spans, maths and ``{fields}`` of a message, where a glossary
    word is only a name."""
    return re.sub(r"`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|\{\w*\}", " ", text, flags=re.DOTALL)


def _glossary(language: str) -> list[tuple[str, str]]:
    return [(e.msgid, e.msgstr) for e in load(language, translations.GLOSSARY_DOMAIN) if e.msgid]


def test_the_glossary_starts_from_the_seeds_own_terms() -> None:
    seed_terms = {
        e.msgstr for e in load("fa", translations.GLOSSARY_DOMAIN) if "seed" in e.tcomment
    }
    assert {"لایه همگشتی", "پس‌انتشار خطا", "گرادیان"} <= seed_terms


def _off_glossary(glossary: list[tuple[str, str]], catalogues: dict) -> list[str]:
    """Translations of English with a glossary term that lack the glossary's translation."""
    inconsistent = []
    for domain, catalogue in catalogues.items():
        for entry in catalogue:
            if not entry.msgstr or entry.obsolete:
                continue
            english = _english_prose(entry.msgid)
            for term, translated in glossary:
                used = re.search(rf"\b{re.escape(term)}(?:s|es)?\b", english, re.IGNORECASE)
                if used and _normalised(translated) not in _normalised(entry.msgstr):
                    inconsistent.append(f"{domain} [{entry.msgctxt}] {term!r} -> {translated}")
    return inconsistent


def _catalogues(language: str) -> dict:
    return {domain: load(language, domain, LOCALE_DIR) for domain in translations.templates()}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_translation_uses_the_glossary_terms(language) -> None:
    glossary = _glossary(language)
    assert len(glossary) >= 30
    assert _off_glossary(glossary, _catalogues(language)) == []


def test_a_translation_off_the_glossary_is_named() -> None:
    catalogues = _catalogues("fa")
    name = notebook_domain(NOTEBOOKS[0].name)
    entry = next(e for e in catalogues[name] if "convolution layer" in e.msgid)
    entry.msgstr = entry.msgstr.replace("لایه همگشتی", "لایه کانولوشنی")
    found = _off_glossary(_glossary("fa"), catalogues)
    assert f"{name} [{entry.msgctxt}] 'convolution layer' -> لایه همگشتی" in found
    # Plurals joined by a zero-width non-joiner and the ezafe mark still match.
    assert _normalised("آزمون پنهان") in _normalised("آزمون‌های پنهان")
    assert _normalised("لایه همگشتی") in _normalised("لایهٔ همگشتی")
