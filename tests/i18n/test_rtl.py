"""Tests for autograder/i18n/rtl.py: right-to-left markdown as HTML that stays right.

JupyterLab's stylesheet left-aligns paragraphs and indents lists on the left; the HTML
made here carries the direction and the alignment itself, keeps maths and code as
isolated left-to-right runs with their text untouched, and has no blank line, so both
JupyterLab (CommonMark) and nbconvert (mistune, the feedback) pass it through whole.
The real browser check is tests/browser/test_persian_notebook.py.
"""

from __future__ import annotations

import re

from nbconvert.filters.markdown_mistune import markdown2html_mistune

from autograder.i18n.rtl import render_block, render_cell

PARAGRAPH = "شکل خروجی $(H - k_h + 1, W - k_w + 1)$ است؛ `conv2d_forward(X, F)` را ببینید."


def test_the_cell_runs_right_to_left_and_every_block_is_aligned_right() -> None:
    html = render_cell(
        [
            ("## عنوان", "fa"),
            (PARAGRAPH, "fa"),
            ("- یک\n- دو", "fa"),
            ("| a | b |\n|---|---|\n| 1 | 2 |", "fa"),
        ],
        "fa",
    )
    assert html.startswith('<div dir="rtl" lang="fa">') and html.endswith("</div>")
    assert '<h2 style="text-align:right">عنوان</h2>' in html
    assert '<p style="text-align:right">' in html
    assert '<ul style="padding-right:2em;padding-left:0">' in html
    assert html.count('<li style="text-align:right">') == 2
    assert '<td style="text-align:right">1</td>' in html


def test_maths_and_code_are_isolated_left_to_right_runs_left_intact() -> None:
    html = render_block(PARAGRAPH)
    assert '<span dir="ltr">$(H - k_h + 1, W - k_w + 1)$</span>' in html
    assert '<code dir="ltr">conv2d_forward(X, F)</code>' in html


def test_maths_is_escaped_as_nbconvert_escapes_it() -> None:
    html = render_block("اگر $0 \\le i - a < k_h$ باشد")
    assert '<span dir="ltr">$0 \\le i - a &lt; k_h$</span>' in html


def test_display_maths_is_a_left_to_right_block() -> None:
    html = render_block("$$\\frac{\\partial O}{\\partial F} = X < Y$$")
    assert html == '<div dir="ltr">$$\\frac{\\partial O}{\\partial F} = X &lt; Y$$</div>\n'


def test_an_untranslated_block_is_set_left_to_right_inside() -> None:
    html = render_cell([("متن فارسی.", "fa"), ("Still **English**.", "en")], "fa")
    assert '<div dir="ltr" lang="en">\n<p>Still <strong>English</strong>.</p>\n</div>' in html


def test_there_is_no_blank_line_so_markdown_renderers_pass_it_through_whole() -> None:
    html = render_cell([(PARAGRAPH, "fa"), ("- یک\n\n- دو", "fa")], "fa")
    assert not re.search(r"\n\s*\n", html)
    # nbconvert's own markdown (the feedback's) keeps every tag and attribute.
    exported = markdown2html_mistune(html)
    for tag in ('<div dir="rtl" lang="fa">', '<p style="text-align:right">', '<code dir="ltr">'):
        assert tag in exported
    assert "&lt;p" not in exported
