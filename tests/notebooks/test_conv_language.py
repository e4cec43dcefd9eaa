"""Tests for source/conv_backprop/conv_language.py: the helpers' language, kernel side.

- ``use("fa")`` serves the compiled Persian catalogue beside the module; ``use("en")``
  goes back to English; a language without a catalogue is refused by name;
- ``picture_text`` isolates each left-to-right run of a right-to-left text, leaving the
  sentence's own spaces and punctuation outside, and leaves other text alone;
- the module imports nothing but the standard library (it runs in the student runtime).
"""

from __future__ import annotations

import ast
import importlib.util
import sys

import pytest

from notebook_runs import SOURCE_DIR

_spec = importlib.util.spec_from_file_location("conv_language", SOURCE_DIR / "conv_language.py")
conv_language = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(conv_language)

LRI, PDI = "\u2066", "\u2069"


@pytest.fixture(autouse=True)
def _english_afterwards():
    yield
    conv_language.use("en")


def test_persian_messages_come_from_the_compiled_catalogue() -> None:
    assert conv_language.gettext("epoch") == "epoch"
    conv_language.use("fa")
    assert conv_language.current() == "fa"
    assert conv_language.gettext("epoch") == "دوره"
    assert conv_language.gettext("a text nobody translated") == "a text nobody translated"
    conv_language.use("en")
    assert conv_language.gettext("epoch") == "epoch"


def test_a_language_without_a_catalogue_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"conv_messages\.de\.mo is missing"):
        conv_language.use("de")
    assert conv_language.current() == "en"


@pytest.mark.parametrize(
    ("text", "prepared"),
    [
        ("O[0, 1] مجموع 4 حاصل‌ضرب", f"{LRI}O[0, 1]{PDI} مجموع {LRI}4{PDI} حاصل‌ضرب"),
        ("X: ورودی‌های O[0, 1]", f"{LRI}X{PDI}: ورودی‌های {LRI}O[0, 1]{PDI}"),
        ("F چرخیده به اندازه 180°", f"{LRI}F{PDI} چرخیده به اندازه {LRI}180°{PDI}"),
        ("همگشت ریاضی", "همگشت ریاضی"),
        ("X: the inputs of O[0, 1]", "X: the inputs of O[0, 1]"),
    ],
)
def test_picture_text_isolates_left_to_right_runs_in_right_to_left_text(text, prepared) -> None:
    assert conv_language.picture_text(text) == prepared


def test_it_imports_only_the_standard_library() -> None:
    tree = ast.parse((SOURCE_DIR / "conv_language.py").read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}
