"""Tests for autograder/i18n/segments.py: what a translator gets from a cell, and back.

- every code cell of the course comes back unchanged when each piece is "translated"
  into itself, so the cutting and the putting back agree;
- comments, docstrings and (in ungraded cells) worded strings are pieces; nbgrader's
  markers, pragmas, code strings and symbols are not;
- a translation that would change the program (code in a comment's place, a closed
  quote, a lost f-string field, a translated probe name) is refused.
"""

from __future__ import annotations

import nbformat
import pytest

from autograder.i18n.segments import (
    Segment,
    TranslationError,
    cell_segments,
    code_segments,
    markdown_blocks,
    translate_code,
)
from notebook_runs import SOURCE_DIR, notebook_paths

CODE_CELLS = [
    (path.name, cell)
    for path in notebook_paths(SOURCE_DIR)
    for cell in nbformat.read(path, as_version=4).cells
    if cell.cell_type == "code"
]


@pytest.mark.parametrize(("name", "cell"), CODE_CELLS, ids=[f"{n}:{c.id}" for n, c in CODE_CELLS])
def test_every_course_cell_round_trips_through_its_own_pieces(name, cell) -> None:
    strings = not cell.metadata.get("nbgrader")
    assert translate_code(cell.source, lambda piece: piece.text, strings=strings) == cell.source


def test_markdown_is_cut_at_blank_lines_but_not_inside_a_fence() -> None:
    source = "# Title\n\nOne line\nand its second.\n\n```\ncode\n\nmore code\n```\n\n- a\n- b"
    assert markdown_blocks(source) == [
        "# Title",
        "One line\nand its second.",
        "```\ncode\n\nmore code\n```",
        "- a\n- b",
    ]


def test_display_maths_alone_is_not_for_translators() -> None:
    cell = nbformat.v4.new_markdown_cell("Some text.\n\n$$O = X F$$\n\nMore, with $x$ inline.")
    assert [segment.text for segment in cell_segments(cell)] == [
        "Some text.",
        "More, with $x$ inline.",
    ]


SOURCE = '''\
def f(X):
    """Sum of X.

    X : array of shape (H, W)
        The input.
    """
    ### BEGIN SOLUTION
    total = X.sum()  # add it up
    ### END SOLUTION
    return total  # noqa: RET504


plots.show(title="step h", key="X", name="F[0, 1]")
print(f"the sum is {f(X):.2f}")
'''


def test_pieces_are_comments_docstrings_and_worded_strings() -> None:
    assert code_segments(SOURCE, strings=True) == [
        Segment("docstring", "Sum of X.\n\nX : array of shape (H, W)\n    The input.\n"),
        Segment("comment", "add it up"),
        Segment("string", "step h"),
        Segment("string", "the sum is {f(X):.2f}"),
    ]


def test_in_a_graded_cell_strings_are_code() -> None:
    assert [segment.kind for segment in code_segments(SOURCE, strings=False)] == [
        "docstring",
        "comment",
    ]


def test_a_docstring_goes_back_with_its_indentation() -> None:
    persian = {
        "Sum of X.\n\nX : array of shape (H, W)\n    The input.\n": (
            "جمع X.\n\nX : آرایه با شکل (H, W)\n    ورودی.\n"
        )
    }
    out = translate_code(SOURCE, lambda piece: persian.get(piece.text, piece.text), strings=True)
    assert '    """جمع X.\n\n    X : آرایه با شکل (H, W)\n        ورودی.\n    """' in out


@pytest.mark.parametrize(
    ("original", "translated", "problem"),
    [
        ("add it up", "add it up\nimport os", "does not parse"),
        ("add it up", "add it up\n    import os", "not the same program"),
        ("step h", 'step h", evil="', "not the same program"),
        ("the sum is {f(X):.2f}", "the sum is {g(X):.2f}", "not the same program"),
        ("the sum is {f(X):.2f}", "the sum is", "not the same program"),
        ("the sum is {f(X):.2f}", "the sum is {f(X):.5f}", "fields"),
    ],
)
def test_a_translation_that_changes_the_program_is_refused(original, translated, problem) -> None:
    def translate(piece: Segment) -> str:
        return translated if piece.text == original else piece.text

    with pytest.raises(TranslationError, match=problem):
        translate_code(SOURCE, translate, strings=True)


def test_a_code_string_of_a_graded_cell_cannot_be_translated() -> None:
    graded = 'import conv_probe\nconv_probe.probe("conv2d_forward", conv2d_forward)\n'
    assert code_segments(graded, strings=False) == []
    # Even asked to, the cut never offers it: a probe's task name stays as it is.
    assert translate_code(graded, lambda piece: "ترجمه", strings=False) == graded
