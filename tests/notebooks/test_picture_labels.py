"""Every Persian label in the pictures, drawn by matplotlib, against a known-good drawing.

The labels are the helpers' own (``conv_messages.po``, with sample values in their
``{fields}``) and every string the Persian notebooks pass to ``plots.*``. Each is drawn
the way ``conv_plots`` draws it (through ``conv_language.picture_text``, by matplotlib
with libraqm, in the DejaVu Sans that matplotlib ships) and compared pixel for pixel with
a known-good drawing made by independent code: ``arabic_reshaper`` picks each letter's
joined form, ``python-bidi`` (the Unicode bidirectional algorithm) puts the line in
visual order, and matplotlib only draws those glyphs left to right, reordering nothing.

The comparison can tell a wrong drawing: the same letters each on its own, or joined
but left in the order they were typed, differ. Labels that mix Persian with symbols
(``O[0, 1]``, ``X:``, ``180°``) are also compared with a visual order written out by hand
here, word by word, so a bracket or colon claimed by the Persian around it would show.
Every character has a glyph in the font: no boxes.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import warnings

import arabic_reshaper
import matplotlib
import nbformat
import numpy as np
import pytest
from bidi import get_display
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font

from autograder.i18n.catalogue import load
from notebook_runs import NOTEBOOKS_DIR, SOURCE_DIR, notebook_paths

matplotlib.use("Agg")

_spec = importlib.util.spec_from_file_location("conv_language", SOURCE_DIR / "conv_language.py")
conv_language = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(conv_language)

PERSIAN = re.compile("[\u0600-\u06ff]")
# Bidirectional controls: marks, embeddings, overrides, isolates. The known-good drawing
# is already in visual order, so none may reorder it again.
_BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LEFT_TO_RIGHT_OVERRIDE, _POP = "\u202d", "\u202c"
_SAMPLE_FIELDS = {
    "a": 0,
    "b": 1,
    "count": 4,
    "name": "dO",
    "shape": (2, 2, 2),
    "expected": (2, 2),
    "X": "X",
    "O": "O",
    "i": 0,
    "j": 1,
    "kh": 3,
    "kw": 2,
    "pad": 1,
    "stride": 2,
    "rows": 3,
    "columns": 4,
    "height": 7,
    "width": 8,
    "pooling": "ادغام بیشینه",
    "gradient": "dO",
}


def _helper_labels() -> list[str]:
    return [
        entry.msgstr.format(**_SAMPLE_FIELDS)
        for entry in load("fa", "conv_messages")
        # The pictures' words are conv_plots.py's (conv_checks.py's are messages). A label
        # with no Persian in it (the symbol "GAP") has nothing to join or reorder.
        if entry.comment.startswith("conv_plots.py:")
        and entry.msgstr
        and not entry.obsolete
        and PERSIAN.search(entry.msgstr)
    ]


def _notebook_labels() -> list[str]:
    """Every Persian string literal in a ``plots.*(...)`` call of the Persian notebooks."""
    found = []
    for path in notebook_paths(NOTEBOOKS_DIR / "fa" / "solutions"):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            for node in ast.walk(ast.parse(cell.source)):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "plots"
                ):
                    found += [
                        inner.value
                        for inner in ast.walk(node)
                        if isinstance(inner, ast.Constant)
                        and isinstance(inner.value, str)
                        and PERSIAN.search(inner.value)
                    ]
    return found


LABELS = sorted(set(_helper_labels() + _notebook_labels()))


def _draw(text: str) -> np.ndarray:
    """The text drawn as conv_plots draws a title: matplotlib's default font, Agg."""
    figure = Figure(figsize=(6, 0.7), dpi=100)
    canvas = FigureCanvasAgg(figure)
    figure.text(0.5, 0.5, text, ha="center", va="center", fontsize=14)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def _known_good(label: str) -> np.ndarray:
    visual = get_display(arabic_reshaper.reshape(conv_language.picture_text(label)))
    return _draw(_LEFT_TO_RIGHT_OVERRIDE + _BIDI_CONTROLS.sub("", visual) + _POP)


def test_there_are_labels_of_both_kinds() -> None:
    assert len(_helper_labels()) >= 8
    assert {"F چرخیده به اندازه 180°", "تفاضل مرکزی", "همگشت ریاضی"} <= set(LABELS)


@pytest.mark.parametrize("label", LABELS)
def test_the_label_is_drawn_joined_and_in_order(label: str) -> None:
    drawn = _draw(conv_language.picture_text(label))
    assert np.array_equal(drawn, _known_good(label))


@pytest.mark.parametrize("label", LABELS)
def test_the_comparison_tells_a_wrong_drawing(label: str) -> None:
    good = _known_good(label)
    # Joined letters, but left to right in the order they were typed.
    typing_order = _draw(_LEFT_TO_RIGHT_OVERRIDE + arabic_reshaper.reshape(label) + _POP)
    # In order, but every letter on its own (a zero-width non-joiner between any two).
    apart = "\u200c".join(label)
    unjoined = _draw(conv_language.picture_text(apart))
    assert not np.array_equal(typing_order, good)
    joins = arabic_reshaper.reshape(apart).replace("\u200c", "") != arabic_reshaper.reshape(label)
    if joins:  # "دوره": none of its letters joins the next one
        assert not np.array_equal(unjoined, good)


def _by_hand(*pieces: str) -> np.ndarray:
    """A known-good drawing from pieces in visual order, left to right: a Persian piece
    is joined and its letters laid right to left, anything else is drawn as written."""
    visual = "".join(
        arabic_reshaper.reshape(piece)[::-1] if PERSIAN.search(piece) else piece for piece in pieces
    )
    return _draw(_LEFT_TO_RIGHT_OVERRIDE + visual + _POP)


@pytest.mark.parametrize(
    ("label", "pieces"),
    [
        # Read right to left: "O[0, 1]", then the sentence.
        (
            "O[0, 1] مجموع 4 حاصل‌ضرب درون پنجره است",
            ("است", " ", "پنجره", " ", "درون", " ", "حاصل‌ضرب", " 4 ", "مجموع", " O[0, 1]"),
        ),
        # "X", its colon, then "inputs of O[0, 1]".
        ("X: ورودی‌های O[0, 1]", ("O[0, 1] ", "ورودی‌های", " :X")),
        ("F چرخیده به اندازه 180°", ("180° ", "اندازه", " ", "به", " ", "چرخیده", " F")),
        ("dO با حاشیه صفر", ("صفر", " ", "حاشیه", " ", "با", " dO")),
    ],
)
def test_labels_mixing_persian_and_symbols_read_in_order(label: str, pieces) -> None:
    assert label in LABELS
    assert np.array_equal(_draw(conv_language.picture_text(label)), _by_hand(*pieces))


def test_the_font_has_a_glyph_for_every_character() -> None:
    font = FT2Font(font_manager.findfont(matplotlib.rcParams["font.sans-serif"][0]))
    characters = {c for label in LABELS for c in label if not _BIDI_CONTROLS.match(c)}
    missing = sorted(c for c in characters - {"\u200c"} if font.get_char_index(ord(c)) == 0)
    assert missing == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)"
        for label in LABELS:
            _draw(conv_language.picture_text(label))
