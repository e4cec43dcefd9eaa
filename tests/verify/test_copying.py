"""Answers copied from code given elsewhere: flagged for a human with the evidence, never
rescored; honest answers in every style of the sample class are not flagged."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest

from autograder.course.grading import LEDGER_FILE, grade
from autograder.course.reports import GRADED, NEEDS_HUMAN, collect, write_report
from autograder.course.samples import SAMPLE_CLASS, _source_solutions
from autograder.i18n.catalogue import Translations
from autograder.i18n.messages import GRADER_DOMAIN
from autograder.i18n.notebooks import set_notebook_language
from autograder.verify.copying import (
    COPY_METADATA_KEY,
    SIMILARITY_THRESHOLD,
    GivenCode,
    code_units,
    copy_reasons,
    find_copies,
    similarity,
)
from tiny_course import ASSIGNMENT, make_course, submit

SOURCE = Path(__file__).resolve().parents[2] / "source" / "conv_backprop"


def _course_notebooks() -> dict[str, nbformat.NotebookNode]:
    return {path.stem: nbformat.read(path, 4) for path in sorted(SOURCE.glob("*.ipynb"))}


@pytest.fixture(scope="module")
def given() -> list[GivenCode]:
    """The course's given functions: locked code cells that are not test cells."""
    found = []
    for name, notebook in _course_notebooks().items():
        for cell in notebook.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("locked") and not meta.get("grade"):
                found += [GivenCode(name, meta["grade_id"], u) for u in code_units(cell.source)]
    return found


@pytest.fixture(scope="module")
def graded_in() -> dict[str, str]:
    """The notebook each answer cell (by grade_id) is in."""
    return {
        cell.metadata["nbgrader"]["grade_id"]: name
        for name, notebook in _course_notebooks().items()
        for cell in notebook.cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }


def _given_source(given: list[GivenCode], notebook: str, function: str) -> str:
    """The source of one given function, as the notebook holds it."""
    (cell,) = [
        cell
        for cell in _course_notebooks()[notebook].cells
        if cell.metadata.get("nbgrader", {}).get("grade_id")
        == next(g.cell for g in given if g.notebook == notebook and g.unit.name == function)
    ]
    blocks = re.split(r"\n\n\n(?=def )", cell.source)
    (source,) = [block for block in blocks if block.startswith(f"def {function}(")]
    return source


# A student's copy of notebook 5's given conv2d_backward_input into notebook 4: variables
# and the function renamed, comments added, docstring and blank lines changed.
COPIED_RENAMED = """\
def full_correlation(grad, kernel):
    # flip the kernel and pad the gradient
    kernel = np.asarray(kernel, dtype=float)
    h, w = kernel.shape
    p = np.pad(np.asarray(grad, dtype=float), ((h - 1, h - 1), (w - 1, w - 1)))

    return conv2d_forward(p, kernel[::-1, ::-1])   # rot180


conv2d_backward_input = full_correlation
"""


def test_a_copied_and_renamed_given_function_is_flagged_with_the_evidence(given):
    (match,) = find_copies(COPIED_RENAMED, given, "04_input_gradient")
    assert match.answer == "full_correlation"
    assert (match.notebook, match.cell, match.given) == (
        "05_gradient_check",
        "05_given_4",
        "conv2d_backward_input",
    )
    assert match.similarity == 1.0
    assert "05_gradient_check" in match.sentence() and "1.00" in match.sentence()


def test_a_given_function_copied_into_an_earlier_notebook_is_flagged(given):
    source = _given_source(given, "02_gap", "conv2d_forward")
    reformatted = "def conv2d_forward(X,F):\n" + "\n".join(
        line
        for line in source.splitlines()[6:]  # the docstring dropped
    )
    (match,) = find_copies(reformatted, given, "01_forward")
    assert match.given == "conv2d_forward" and match.notebook == "02_gap"


def test_a_lightly_edited_copy_is_still_flagged(given):
    source = _given_source(given, "05_gradient_check", "conv2d_backward_input")
    edited = source.replace("np.asarray", "np.array")
    assert edited != source
    (match,) = find_copies(edited, given, "04_input_gradient")
    assert SIMILARITY_THRESHOLD <= match.similarity < 1.0


def test_code_given_in_the_answers_own_notebook_is_not_a_copy(given):
    source = _given_source(given, "03_filter_gradient", "conv2d_forward")
    assert find_copies(source, given, "03_filter_gradient") == []
    assert find_copies(source, given, "01_forward") != []


def test_one_line_answers_anyone_would_write_are_exempt(given):
    for function in ("conv2d_backward_filter", "gap_forward", "gap_backward"):
        source = _given_source(given, "05_gradient_check", function)
        assert find_copies(source, given, "01_forward") == [], function


def test_no_style_of_the_sample_class_is_flagged(given, graded_in):
    solutions = _source_solutions(SOURCE)
    checked = 0
    for student in SAMPLE_CLASS:
        answers = {} if student.blank else dict(solutions)
        answers.update(student.answers)
        for grade_id, source in answers.items():
            assert find_copies(source, given, graded_in[grade_id]) == [], (student, grade_id)
            checked += 1
    assert checked > 100


def test_the_threshold_sits_between_the_source_solution_and_an_edited_copy(given):
    """The source's own loop-style conv2d_forward (the sample class's student ada) is the
    closest honest answer to the given one; it must stay below the threshold."""
    (solution,) = code_units(_source_solutions(SOURCE)["conv2d_forward"])
    (given_forward,) = [g.unit for g in given if g.notebook == "02_gap"]
    assert 0.85 < similarity(solution, given_forward) < SIMILARITY_THRESHOLD


def test_unparseable_answers_and_ipython_syntax(given):
    assert find_copies("def broken(:\n    pass", given, "04_input_gradient") == []
    with_magic = "%load_ext autoreload\n!ls\n" + COPIED_RENAMED
    assert len(find_copies(with_magic, given, "04_input_gradient")) == 1


def test_copy_reasons_read_only_well_formed_evidence():
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.metadata[COPY_METADATA_KEY] = [
        {
            "where": "answer cell f",
            "answer": "f",
            "notebook": "02",
            "cell": "02_given",
            "given": "g",
            "similarity": 0.97,
        },
        {"answer": "broken"},
    ]
    notebook = nbformat.v4.new_notebook(cells=[cell])
    assert copy_reasons(notebook) == [
        "answer cell f: `f` matches the code given in 02 (cell 02_given, `g`): similarity 0.97"
    ]


# ------------------------------------------------------------------- through autograde

GIVEN_ADD = '''\
def add(a, b):
    """The sum of a and b, given for the next notebook."""
    total = a
    total = total + b
    return total
'''
MUL = "def mul(a, b):\n    return a * b"
COPIED_ADD = """\
def add(x, y):
    # my own work, honestly
    s = x
    s = s + y

    return s
"""


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """A tiny course whose notebook 02_mul gives `add` (graded in 01_add), graded with a
    copier, an honest student, and one who forges a copy flag on an honest answer."""
    course = make_course(
        tmp_path_factory.mktemp("copying") / "course", timeout=5, given={"02_mul": GIVEN_ADD}
    )
    submit(course, "copier", {"01_add": COPIED_ADD, "02_mul": MUL})
    submit(course, "honest", {"01_add": "def add(a, b):\n    return a + b", "02_mul": MUL})
    forger = submit(course, "forger", {"01_add": "def add(a, b):\n    return b + a", "02_mul": MUL})
    notebook = nbformat.read(forger / "01_add.ipynb", 4)
    notebook.cells[1].metadata[COPY_METADATA_KEY] = [
        {"answer": "add", "notebook": "x", "cell": "y", "given": "z", "similarity": 1.0}
    ]
    nbformat.write(notebook, forger / "01_add.ipynb")
    persian = submit(course, "kopi", {"01_add": COPIED_ADD, "02_mul": MUL})
    notebook = nbformat.read(persian / "01_add.ipynb", 4)
    set_notebook_language(notebook, "fa")
    nbformat.write(notebook, persian / "01_add.ipynb")
    outcomes = {o.student_id: o for o in grade(course, ASSIGNMENT, jobs=2, progress=False)}
    return course, outcomes


def test_a_copy_is_flagged_for_a_human_and_keeps_its_score(graded_class):
    course, outcomes = graded_class
    results = {student.student_id: student for student in collect(course, ASSIGNMENT).students}
    copier = results["copier"]
    assert copier.notebook_scores["01_add"] == 2, "flagged, not rescored"
    assert copier.status == NEEDS_HUMAN
    assert len(copier.reasons) == 1, copier.reasons
    evidence = "`add` matches the code given in 02_mul (cell mul_given, `add`): similarity 1.00"
    assert any(evidence in reason for reason in outcomes["copier"].reasons)
    assert any(evidence in reason and reason.startswith("01_add: ") for reason in copier.reasons)
    assert results["honest"].status == GRADED and results["honest"].notebook_scores["01_add"] == 2
    assert results["forger"].status == GRADED, results["forger"].reasons


def test_formgrader_and_the_report_show_the_evidence(graded_class):
    course, _ = graded_class
    notebook = nbformat.read(course / "autograded/copier" / ASSIGNMENT / "01_add.ipynb", 4)
    answer = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("solution"))
    (match,) = answer.metadata[COPY_METADATA_KEY]
    assert (match["notebook"], match["cell"], match["similarity"]) == ("02_mul", "mul_given", 1.0)
    (note,) = [o for o in answer.outputs if o.output_type == "display_data"]
    assert "Needs a human" in note.data["text/plain"] and "mul_given" in note.data["text/plain"]
    forged = nbformat.read(course / "autograded/forger" / ASSIGNMENT / "01_add.ipynb", 4)
    assert all(COPY_METADATA_KEY not in cell.metadata for cell in forged.cells)
    paths = write_report(collect(course, ASSIGNMENT), course / "reports")
    page = Path(paths["html"]).read_text()
    assert "copier" in page and "similarity 1.00" in page


def test_a_persian_student_reads_the_note_in_persian_and_the_instructor_in_english(
    graded_class,
):
    course, outcomes = graded_class
    notebook = nbformat.read(course / "autograded/kopi" / ASSIGNMENT / "01_add.ipynb", 4)
    answer = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("solution"))
    (note,) = [o.data["text/plain"] for o in answer.outputs if o.output_type == "display_data"]
    persian = Translations.load("fa", GRADER_DOMAIN)
    assert persian.get(None, "This note changes no score; an instructor will look.") in note
    assert "Needs a human" not in note and "mul_given" in note
    evidence = "`add` matches the code given in 02_mul (cell mul_given, `add`): similarity 1.00"
    assert any(evidence in reason for reason in outcomes["kopi"].reasons)


def test_the_report_finds_copies_without_a_ledger(graded_class, tmp_path):
    """After plain `nbgrader autograde` there is no ledger: the report reads the flags from
    the autograded notebooks."""
    course, _ = graded_class
    plain = tmp_path / "course"
    shutil.copytree(course, plain)
    (plain / LEDGER_FILE).unlink()
    results = {student.student_id: student for student in collect(plain, ASSIGNMENT).students}
    (reason,) = results["copier"].reasons
    assert reason.startswith("01_add: answer cell add_answer: `add` matches the code given in")
    assert results["honest"].reasons == [] and results["forger"].reasons == []
