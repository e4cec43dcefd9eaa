"""Tests for autograder/i18n/messages.py: the grader's words in the notebook's language.

The Persian expected here is read from the translators' catalogue
(``locale/fa/LC_MESSAGES/conv_grader.po``) with polib, so the tests check the whole path
the grader takes: catalogue, compiled ``.mo`` in the package, lookup in the language set
for the block.
"""

from __future__ import annotations

import re

import pytest

from autograder.i18n import messages
from autograder.i18n.catalogue import Translations
from autograder.i18n.messages import GRADER_DOMAIN, gettext, plain_text_lines, speaking
from autograder.maths.misconceptions import RETURNED_NONE

PERSIAN = re.compile("[\u0600-\u06ff]")
RLM, RLI, PDI = "\u200f", "\u2067", "\u2069"


def _persian(english: str) -> str:
    found = Translations.load("fa", GRADER_DOMAIN).get(None, english)
    assert found, f"no Persian for {english!r} in the catalogue"
    return found


def test_a_persian_notebook_hears_the_catalogues_persian() -> None:
    with speaking("fa") as language:
        assert language == "fa"
        assert messages.current() == "fa"
        assert gettext(RETURNED_NONE.message) == _persian(RETURNED_NONE.message)
        template = gettext("raised {error}")
        assert template == _persian("raised {error}")
        assert "{error}" in template
    assert messages.current() == "en"
    assert gettext(RETURNED_NONE.message) == RETURNED_NONE.message


@pytest.mark.parametrize("language", ["en", "de", "../../etc/passwd", ""])
def test_english_and_languages_without_a_catalogue_hear_english(language) -> None:
    # The tag comes from the student's file: anything unknown is English.
    with speaking(language) as chosen:
        assert chosen == "en"
        assert gettext(RETURNED_NONE.message) == RETURNED_NONE.message


def test_the_language_holds_for_the_block_only_even_when_it_raises() -> None:
    with pytest.raises(ValueError), speaking("fa"):
        raise ValueError
    assert messages.current() == "en"


def test_right_to_left_lines_start_with_a_mark_and_are_isolated() -> None:
    text = "خط اول `conv2d_forward`\n\n  on X 4x7 int"
    with speaking("fa"):
        lines = plain_text_lines(text).split("\n")
    assert lines[0] == f"{RLM}{RLI}خط اول `conv2d_forward`{PDI}"
    assert lines[1] == ""  # a blank line stays blank
    assert lines[2] == f"{RLM}{RLI}  on X 4x7 int{PDI}"
    assert plain_text_lines(text) == text  # English: untouched


def test_every_compiled_catalogue_is_in_the_package() -> None:
    # An installed grader (the course hub's) has no checkout: its messages travel with it.
    path = messages.compiled_path("fa")
    assert path.parent.name == "i18n" and path.parent.parent.name == "autograder"
    assert path.is_file()


def test_a_run_of_symbols_is_isolated_in_right_to_left_text_only() -> None:
    labels = "X 4x7 int, F 2x3 float;"
    with speaking("fa"):
        assert messages.isolated(labels) == f"\u2068{labels}{PDI}"
    assert messages.isolated(labels) == labels
