"""Markdown in a right-to-left language, as HTML that JupyterLab and nbconvert show right.

JupyterLab's stylesheet left-aligns every markdown paragraph (``p {text-align: left}``)
and indents lists on the left, whatever the text's direction; CommonMark does not read
markdown inside an HTML block, so a ``<div dir="rtl">`` around markdown still leaves
its paragraphs flush left. So a right-to-left block is turned into HTML here, with the
direction and the alignment on the elements themselves:

- the whole cell sits in ``<div dir="rtl" lang="..">``: headings, paragraphs, lists and
  tables run right to left, a sentence's final punctuation lands at its left end (where
  a right-to-left sentence ends), and list markers stand on the right;
- paragraphs, list items and table cells carry ``text-align:right``; lists are indented
  on the right;
- inline code and inline maths are isolated left-to-right runs (``dir="ltr"`` on their
  element, which HTML isolates from the text around it), so ``conv2d_forward(X, F)`` or
  ``$(H - k_h + 1)$`` is never reordered by the Persian around it; display maths is a
  left-to-right block of its own.

Maths goes through nbconvert's own math-aware markdown parser, so ``$...$`` reaches
MathJax untouched, escaped the way nbconvert escapes it. The result has no blank line:
CommonMark (JupyterLab) and mistune (nbconvert's HTML export) both pass one HTML block
through as it is.
"""

from __future__ import annotations

import html
import re
from typing import Any

from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

from autograder.i18n.segments import is_display_maths

__all__ = ["RTL_LANGUAGES", "render_block", "render_cell", "render_ltr_block"]

#: Languages written right to left, by their BCP 47 primary tag.
RTL_LANGUAGES = frozenset({"fa", "ar", "he", "ur"})

_RIGHT = "text-align:right"


class _RightToLeftRenderer(IPythonRenderer):
    """nbconvert's HTML renderer with the direction and alignment on every block."""

    def __init__(self) -> None:
        super().__init__(escape=False, exclude_anchor_links=True)

    def paragraph(self, text: str) -> str:
        return f'<p style="{_RIGHT}">{text}</p>\n'

    def heading(self, text: str, level: int, **attrs: Any) -> str:
        return f'<h{level} style="{_RIGHT}">{text}</h{level}>\n'

    def list(self, text: str, ordered: bool, **attrs: Any) -> str:
        tag = "ol" if ordered else "ul"
        start = attrs.get("start")
        start_attribute = f' start="{start}"' if ordered and start not in (None, 1) else ""
        style = "padding-right:2em;padding-left:0"
        return f'<{tag}{start_attribute} style="{style}">\n{text}</{tag}>\n'

    def list_item(self, text: str) -> str:
        return f'<li style="{_RIGHT}">{text}</li>\n'

    def block_text(self, text: str) -> str:
        return text

    def codespan(self, text: str) -> str:
        return f'<code dir="ltr">{html.escape(text, quote=False)}</code>'

    def inline_math(self, body: str) -> str:
        return f'<span dir="ltr">{super().inline_math(body)}</span>'

    def block_math(self, body: str) -> str:
        # Display maths inside a paragraph: MathJax sets it on its own line anyway.
        return f'<span dir="ltr">{super().block_math(body)}</span>'


def _table_cell(renderer: Any, text: str, align: str | None = None, head: bool = False) -> str:
    tag = "th" if head else "td"
    return f'<{tag} style="text-align:{align or "right"}">{text}</{tag}>\n'


def _markdown() -> MarkdownWithMath:
    renderer = _RightToLeftRenderer()
    markdown = MarkdownWithMath(renderer=renderer)
    renderer.register("table_cell", _table_cell)
    return markdown


def render_block(block: str) -> str:
    """One markdown block (a paragraph, list, table, heading or formula) as RTL HTML.

    Parameters
    ----------
    block : str
        Markdown, maths in ``$...$`` or ``$$...$$``.

    Returns
    -------
    str
        HTML with no blank line, ending in a newline.
    """
    if is_display_maths(block):
        body = block.strip()[2:-2]
        return f'<div dir="ltr">$${html.escape(body, quote=False)}$$</div>\n'
    rendered = _markdown().render(block)
    return re.sub(r"\n\s*\n", "\n", rendered).strip("\n") + "\n"


def render_ltr_block(block: str, language: str) -> str:
    """A block left in a left-to-right language (English without a translation yet),
    set left to right inside a right-to-left cell.

    Parameters
    ----------
    block : str
        Markdown.
    language : str
        Its language, a BCP 47 tag.

    Returns
    -------
    str
        ``<div dir="ltr" lang="..">`` around nbconvert's own rendering, no blank line.
    """
    rendered = MarkdownWithMath(renderer=IPythonRenderer(escape=False)).render(block)
    inner = re.sub(r"\n\s*\n", "\n", rendered).strip("\n")
    return f'<div dir="ltr" lang="{language}">\n{inner}\n</div>\n'


def render_cell(blocks: list[tuple[str, str]], language: str) -> str:
    """A markdown cell's blocks as one right-to-left HTML block.

    Parameters
    ----------
    blocks : list of (markdown, language)
        The cell's blocks in order, each with the language it is written in: the
        cell's own (rendered right to left) or another (set left to right inside).
    language : str
        The cell's language, a BCP 47 tag such as ``"fa"``.

    Returns
    -------
    str
        ``<div dir="rtl" lang="..">`` ... ``</div>``, without a blank line.
    """
    inner = "".join(
        render_block(block) if in_language == language else render_ltr_block(block, in_language)
        for block, in_language in blocks
    )
    return f'<div dir="rtl" lang="{language}">\n{inner}</div>'
