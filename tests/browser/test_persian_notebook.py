"""A Persian student in a real browser: the graded Persian release of the first notebook.

The Persian release (``conv-grader build --lang fa``'s translation of the English one)
opens in the student's own JupyterLab. Before any answer, the page itself is read:

- every Persian markdown block runs right to left and is aligned right, list items
  included (their markers on the right), and a sentence's final punctuation stands at
  its left end, where a right-to-left sentence ends;
- the formulas are MathJax's, left to right and not reversed: in each formula the first
  symbol is drawn left of the last one.

Then the student answers with a typical mistake (the filter flipped in the forward
pass), runs every cell and reads the check's message naming it, in Persian; the language
cell set the helpers to Persian, so the pictures' titles are Persian too. Validate names the mistake
too, and does not complain that a locked cell changed: the translated cells carry their
own checksums. Screenshots of each step are kept (the folder is printed at the end).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from autograder.course.build import translate_release
from autograder.i18n.catalogue import Translations
from autograder.i18n.messages import GRADER_DOMAIN
from autograder.verify.tasks import misconception

from .course import ASSIGNMENT, FLIPPED_FORWARD, grade_id, graded_tasks, instructor_answers
from .lab_page import CellView, NotebookPage, Screenshots, ValidationResult

NOTEBOOK = "01_forward.ipynb"
MISTAKE = "kernel_flipped"
_RTL_ROOT = 'div[dir="rtl"]'


@dataclass
class PersianRun:
    """What the page showed: the markdown before answering, then the run and Validate."""

    screenshots: Screenshots
    release: nbformat.NotebookNode
    layout: list[dict]
    formulas: list[dict]
    punctuation: dict
    cells: list[CellView]
    alerts: list[str]
    validation: ValidationResult


# For every right-to-left block: its computed direction and alignment, and whether its
# text hugs the right edge. A list item's marker sits on its right when the list is
# indented on the right.
_LAYOUT = """selector => [...document.querySelectorAll(selector)].flatMap(root =>
    [...root.querySelectorAll('h1, h2, h3, p, li, th, td')]
        .filter(block => block.closest('div[dir]') === root)
        .map(block => {
            const style = getComputedStyle(block);
            const list = block.tagName === 'LI' ? getComputedStyle(block.parentElement) : null;
            const range = document.createRange();
            range.selectNodeContents(block);
            const text = range.getBoundingClientRect();
            const box = block.getBoundingClientRect();
            const right = box.right - parseFloat(style.paddingRight);
            return {
                tag: block.tagName, text: block.innerText.slice(0, 40),
                direction: style.direction, align: style.textAlign,
                gapRight: right - text.right,
                listIndentRight: list ? parseFloat(list.paddingRight) : null,
                listIndentLeft: list ? parseFloat(list.paddingLeft) : null,
            };
        }))"""

# Every rendered formula inside right-to-left text: its direction, and where its first
# and last drawn characters are.
_FORMULAS = """selector => [...document.querySelectorAll(selector + ' mjx-container')].map(m => {
    const chars = [...m.querySelectorAll('mjx-c')];
    const first = chars[0].getBoundingClientRect();
    const last = chars[chars.length - 1].getBoundingClientRect();
    return {display: m.getAttribute('display') === 'true', direction: getComputedStyle(m).direction,
            chars: chars.length, firstLeft: first.left, lastLeft: last.left};
})"""

# The first and the last character of a one-line paragraph that ends with a colon.
_PUNCTUATION = """([selector, start]) => {
    const p = [...document.querySelectorAll(selector + ' p')].find(
        p => p.innerText.startsWith(start));
    const text = p.firstChild;
    const at = index => {
        const range = document.createRange();
        range.setStart(text, index);
        range.setEnd(text, index + 1);
        return range.getBoundingClientRect();
    };
    const first = at(0), last = at(text.length - 1);
    return {lastChar: text.data[text.length - 1], firstLeft: first.left, firstRight: first.right,
            lastLeft: last.left, lastRight: last.right};
}"""


@pytest.fixture(scope="module")
def persian_release(released_course: Path, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fa-release") / ASSIGNMENT
    translate_release(released_course / "release" / ASSIGNMENT, folder, "fa")
    return folder


@pytest.fixture(scope="module")
def run(request, persian_release, tmp_path_factory, lab_factory, browser_context, new_screenshots):
    copy = tmp_path_factory.mktemp("bahar") / ASSIGNMENT
    shutil.copytree(persian_release, copy)
    lab = lab_factory(copy)
    screenshots = new_screenshots(request, "persian-student")
    release = nbformat.read(copy / NOTEBOOK, as_version=4)
    page = browser_context.new_page()
    try:
        notebook = NotebookPage.open(
            page, lab.url(f"/lab/tree/{NOTEBOOK}?reset"), NOTEBOOK, screenshots
        )
        cells = f".jp-NotebookPanel:not(.lm-mod-hidden) .jp-RenderedMarkdown {_RTL_ROOT}"
        page.locator(f"{cells} mjx-container").first.wait_for(timeout=60_000)
        page.wait_for_timeout(1000)  # MathJax typesets cell by cell
        layout = page.evaluate(_LAYOUT, cells)
        formulas = page.evaluate(_FORMULAS, cells)
        punctuation = page.evaluate(_PUNCTUATION, [cells, "و در حالت کلی"])
        for index, cell in enumerate(release.cells):
            if cell.cell_type == "markdown" and index < 8:
                screenshots.take(notebook.cell(index), f"markdown-{index:02d}")
        answers = instructor_answers(NOTEBOOK) | {"conv2d_forward": FLIPPED_FORWARD}
        for index, cell in enumerate(release.cells):
            if grade_id(cell) in answers:
                notebook.type_into_cell(index, answers[grade_id(cell)])
        notebook.run_all()
        screenshots.take(page, "ran-all")
        views = notebook.read_cells()
        alerts = notebook.alerts()
        for index, view in enumerate(views):
            if view.outputs:
                screenshots.take(notebook.cell(index), f"cell-{index:02d}-output")
        validation = notebook.validate()
    finally:
        page.close()
    return PersianRun(
        screenshots, release, layout, formulas, punctuation, views, alerts, validation
    )


def test_persian_text_runs_right_to_left_aligned_right(run: PersianRun) -> None:
    assert len(run.layout) > 20
    for block in run.layout:
        assert block["direction"] == "rtl", block
        assert block["align"] == "right", block
        assert abs(block["gapRight"]) < 2, block  # the text reaches the right edge
    items = [block for block in run.layout if block["tag"] == "LI"]
    assert items and all(b["listIndentRight"] > 0 == b["listIndentLeft"] for b in items)


def test_a_sentence_ends_at_its_left_end(run: PersianRun) -> None:
    mark = run.punctuation
    assert mark["lastChar"] == ":"
    assert mark["lastRight"] < mark["firstLeft"]  # the colon is left of the first letter


def test_formulas_are_drawn_left_to_right(run: PersianRun) -> None:
    assert sum(formula["display"] for formula in run.formulas) >= 2
    assert sum(not formula["display"] for formula in run.formulas) >= 5
    for formula in run.formulas:
        assert formula["direction"] == "ltr", formula
        if formula["chars"] > 1:
            assert formula["firstLeft"] < formula["lastLeft"], formula


def _persian_sentence() -> str:
    """The mistake's sentence as the translators' catalogue has it in Persian."""
    english = misconception("conv2d_forward", MISTAKE).message
    persian = Translations.load("fa", GRADER_DOMAIN).get(None, english)
    assert persian, english
    return persian


def test_the_check_names_the_mistake_in_persian(run: PersianRun) -> None:
    index = graded_tasks(run.release)["conv2d_forward"]
    assert _persian_sentence() in run.cells[index].text
    assert misconception("conv2d_forward", MISTAKE).message not in run.cells[index].text
    assert [i for i, cell in enumerate(run.cells) if cell.errors] == [index]
    assert run.alerts == []


def test_the_helpers_speak_persian_before_the_mistake(run: PersianRun) -> None:
    language = next(i for i, cell in enumerate(run.release.cells) if cell.id == "notebook-language")
    assert run.cells[language].ran and not run.cells[language].errors
    window = next(
        i for i, cell in enumerate(run.release.cells) if "plots.show_window" in cell.source
    )
    assert run.cells[window].image_widths and run.cells[window].image_widths[0] > 100


def test_validate_names_the_mistake_and_accepts_the_translated_cells(run: PersianRun) -> None:
    assert not run.validation.passed
    assert _persian_sentence() in run.validation.text
    assert "CHANGED" not in run.validation.text.upper(), run.validation.text
