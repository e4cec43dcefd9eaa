"""README.md cannot drift: its examples run, and its two tables are the package's own.

The module table between ``<!-- modules: begin -->`` and ``<!-- modules: end -->`` lists
every module of the five sub-packages with the first line of its docstring; the table of
diagnoses between ``<!-- diagnoses: begin -->`` and ``<!-- diagnoses: end -->`` lists every
mistake the grader names, task by task, with the sentence the student reads (the task
registry's and its catalogue's own). On a mismatch the assertion prints the table to
paste.
"""

from __future__ import annotations

import ast
import doctest
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
SUBPACKAGES = ("maths", "verify", "jail", "i18n", "course")
_TABLE = re.compile(r"<!-- modules: begin -->\n(.*?)<!-- modules: end -->", re.S)
_DIAGNOSES = re.compile(r"<!-- diagnoses: begin -->\n(.*?)<!-- diagnoses: end -->", re.S)


def module_table() -> str:
    """The README's module table, rendered from the package's docstrings."""
    rows = ["| module | job |", "|---|---|"]
    for package in SUBPACKAGES:
        for path in sorted((REPO / "autograder" / package).glob("*.py")):
            docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
            first_line = docstring.strip().splitlines()[0] if docstring.strip() else ""
            rows.append(f"| `{path.relative_to(REPO)}` | {first_line} |")
    return "\n".join(rows) + "\n"


def test_every_module_has_a_one_line_summary():
    table = module_table()
    assert "|  |" not in table, "a module without a docstring:\n" + table


def test_the_module_table_is_the_packages_own():
    found = _TABLE.search(README.read_text(encoding="utf-8"))
    assert found, "README.md lost its module-table markers"
    assert found.group(1) == module_table(), "paste this table into README.md:\n" + module_table()


def _cell(text: str) -> str:
    """Text for a Markdown table cell: a | would end the cell, a * start emphasis."""
    return text.replace("|", "\\|").replace("*", "\\*")


def diagnosis_table() -> str:
    """The README's table of diagnoses, rendered from the task registry and its catalogue."""
    from autograder.maths.misconceptions import GENERAL
    from autograder.verify.tasks import TASKS

    rows = ["| task | mistake | what the student reads |", "|---|---|---|"]
    for entry in GENERAL:
        rows.append(f"| any graded function | `{entry.key}` | {_cell(entry.message)} |")
    for name, task in TASKS.items():
        for entry in task.misconceptions:
            rows.append(f"| `{name}` | `{entry.key}` | {_cell(entry.message)} |")
    return "\n".join(rows) + "\n"


def test_the_diagnosis_table_is_the_catalogues_own():
    found = _DIAGNOSES.search(README.read_text(encoding="utf-8"))
    assert found, "README.md lost its diagnosis-table markers"
    assert found.group(1) == diagnosis_table(), (
        "paste this table into README.md:\n" + diagnosis_table()
    )


def test_the_readme_examples_run_as_written():
    failures, tried = doctest.testfile(
        str(README), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert tried > 0, "README.md has no >>> examples left to check"
    assert failures == 0
