"""Tests for autograder/i18n/catalogue.py: gettext catalogues that remember their English.

A catalogue's round, as a translator lives it: new English arrives untranslated; a
translation is used; when the English it was made from changes, the check says so (and
which English it was), ``updated`` keeps the old translation fuzzy beside the English it
came from, and a fuzzy translation is never shown; English that is gone is kept as
obsolete; the same English translated elsewhere is offered, fuzzy.
"""

from __future__ import annotations

import gettext
import io

import polib
import pytest

from autograder.i18n.catalogue import (
    TemplateEntry,
    Translations,
    compile_mo,
    load,
    po_path,
    po_text,
    problems,
    template,
    translated_texts,
    updated,
)


def _fresh(*texts: tuple[str | None, str]) -> polib.POFile:
    return template("nb", [TemplateEntry(context, text) for context, text in texts])


def _save(catalog: polib.POFile, locale_dir) -> polib.POFile:
    path = po_path("fa", "nb", locale_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(po_text(catalog))
    return load("fa", "nb", locale_dir)


def _translate(catalog: polib.POFile, context: str, text: str, translation: str) -> None:
    entry = catalog.find(text, msgctxt=context)
    entry.msgstr = translation
    if entry.fuzzy:
        entry.flags.remove("fuzzy")


@pytest.fixture
def translated(tmp_path) -> polib.POFile:
    """A catalogue with two cells' texts translated, as read back from disk."""
    fresh = _fresh(("cell-a", "The input."), ("cell-b", "The output."))
    catalog = updated(load("fa", "nb", tmp_path), fresh)
    _translate(catalog, "cell-a", "The input.", "ورودی.")
    _translate(catalog, "cell-b", "The output.", "خروجی.")
    return _save(catalog, tmp_path)


def test_new_english_is_missing_until_translated(tmp_path) -> None:
    fresh = _fresh(("cell-a", "The input."))
    catalog = updated(load("fa", "nb", tmp_path), fresh)
    assert [(p.context, p.reason) for p in problems("nb", fresh, catalog)] == [
        ("cell-a", "missing")
    ]
    _translate(catalog, "cell-a", "The input.", "ورودی.")
    assert problems("nb", fresh, catalog) == []
    assert Translations(catalog).get("cell-a", "The input.") == "ورودی."


def test_a_translation_is_keyed_by_its_cell(translated) -> None:
    found = Translations(translated)
    assert found.get("cell-a", "The input.") == "ورودی."
    assert found.get("cell-b", "The input.") is None  # same English, other cell


def test_changed_english_is_reported_with_what_the_translation_was_made_from(
    translated,
) -> None:
    fresh = _fresh(("cell-a", "The input image."), ("cell-b", "The output."))
    # Before the translator runs update: the catalogue still holds the old English.
    (problem,) = problems("nb", fresh, translated)
    assert (problem.context, problem.reason) == ("cell-a", "changed")
    assert (problem.text, problem.previous) == ("The input image.", "The input.")
    # After update: the old translation is kept, fuzzy, beside the English it came from.
    merged = updated(translated, fresh)
    entry = merged.find("The input image.", msgctxt="cell-a")
    assert entry.fuzzy and entry.msgstr == "ورودی." and entry.previous_msgid == "The input."
    (problem,) = problems("nb", fresh, merged)
    assert (problem.reason, problem.previous) == ("fuzzy", "The input.")
    # A fuzzy translation is never used: the English shows instead.
    assert Translations(merged).get("cell-a", "The input image.") is None
    assert Translations(merged).get("cell-b", "The output.") == "خروجی."


def test_the_previous_english_survives_a_round_trip_through_the_file(translated, tmp_path):
    fresh = _fresh(("cell-a", "The input\nimage."), ("cell-b", "The output."))
    back = _save(updated(translated, fresh), tmp_path)
    entry = back.find("The input\nimage.", msgctxt="cell-a")
    assert entry.previous_msgid == "The input." and entry.fuzzy
    assert "#| msgid" in po_path("fa", "nb", tmp_path).read_text()


def test_english_that_is_gone_stays_as_obsolete(translated) -> None:
    merged = updated(translated, _fresh(("cell-b", "The output.")))
    assert [(e.msgctxt, e.msgid, e.msgstr) for e in merged.obsolete_entries()] == [
        ("cell-a", "The input.", "ورودی.")
    ]
    assert problems("nb", _fresh(("cell-b", "The output.")), merged) == []


def test_the_same_english_translated_elsewhere_is_offered_fuzzy(translated, tmp_path) -> None:
    memory = translated_texts([translated])
    fresh = template("other", [TemplateEntry("cell-z", "The output.")])
    merged = updated(load("fa", "other", tmp_path), fresh, memory)
    entry = merged.find("The output.", msgctxt="cell-z")
    assert entry.msgstr == "خروجی." and entry.fuzzy


def test_updating_twice_changes_nothing(translated) -> None:
    fresh = _fresh(("cell-a", "The input."), ("cell-b", "The output."))
    once = po_text(updated(translated, fresh))
    assert po_text(updated(polib.pofile(once.decode()), fresh)) == once


def test_the_compiled_catalogue_serves_python_gettext_and_leaves_fuzzy_out(translated):
    plain = template("kernel", [TemplateEntry(None, "epoch"), TemplateEntry(None, "mean loss")])
    catalog = updated(translated, plain)
    _translate(catalog, None, "epoch", "دوره")
    catalog.find("mean loss").msgstr = "میانگین زیان"
    catalog.find("mean loss").flags.append("fuzzy")
    messages = gettext.GNUTranslations(io.BytesIO(compile_mo(catalog)))
    assert messages.gettext("epoch") == "دوره"
    assert messages.gettext("mean loss") == "mean loss"
