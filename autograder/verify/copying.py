"""Answers copied from code the course gives elsewhere, flagged for a human.

Each notebook stays self-contained, so later notebooks give correct versions of functions
that earlier notebooks grade (notebook 5 gives ``conv2d_backward_input``, which notebook 4
grades). Copying that code into the earlier notebook passes every check. This module
finds such answers and flags them, with the evidence, for a human to judge; it never
changes a score.

- **Given code** is every locked code cell of the assignment that is not a test cell,
  as the gradebook recorded it from the source notebooks (``generate_assignment``).
- **Answers** are the functions the student wrote: every function definition, nested
  ones included, in a code cell of the submission that is not locked.
- **Normalised comparison.** Both sides are parsed with :mod:`ast` (IPython syntax first
  turned into Python by IPython's own transformer) and printed back with
  :func:`ast.unparse`, which drops comments and formatting; docstrings and annotations
  are dropped, and every name the function binds (its own name, parameters, locals, loop
  variables) is renamed by order of first use, so renaming variables changes nothing.
  Names it does not bind (``np``, ``range``, helpers) and attributes stay. The result is
  split into tokens with :mod:`tokenize` and compared with
  :class:`difflib.SequenceMatcher`: ``ratio()`` is 1.0 for a copy, renamed or
  reformatted.
- **Flagged** when the similarity is at least :data:`SIMILARITY_THRESHOLD` with a function
  given in *another* notebook (what this notebook gives is the student's to use), unless
  that same code is also given in this notebook.
- **Exempt:** short one-line functions (one statement, at most
  :data:`MAX_EXEMPT_TOKENS` tokens, e.g. ``return conv2d_forward(X, dO)``) that anyone
  would write the same way.

:class:`FlagCopiedAnswers` runs after ``Execute`` in ``Autograde.autograde_preprocessors``:
it records each match in the answer cell's metadata (:data:`COPY_METADATA_KEY`) and adds a
plain-text note to the cell's outputs, which formgrader shows; the cell is not a graded
cell, so no score changes. :func:`copy_reasons` reads the matches back for the grading
ledger and the reports' "needs a human" list.
"""

from __future__ import annotations

import ast
import difflib
import io
import tokenize
from dataclasses import asdict, dataclass
from typing import Any

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode, from_dict
from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor

from autograder.i18n.messages import N_, plain_text_lines, speaking_for
from autograder.i18n.messages import gettext as _

__all__ = [
    "COPY_METADATA_KEY",
    "MAX_EXEMPT_TOKENS",
    "SIMILARITY_THRESHOLD",
    "CodeUnit",
    "CopyMatch",
    "FlagCopiedAnswers",
    "GivenCode",
    "code_units",
    "copy_reasons",
    "find_copies",
    "given_code",
    "similarity",
]

#: Cell metadata key holding the matches found in an answer cell, for reports.
COPY_METADATA_KEY = "conv_backprop_copied_from"
#: At or above this similarity an answer counts as a copy. The closest independently
#: written answers measured (the source's own loop-style solution of ``conv2d_forward``
#: against the given one: 0.92) stay below it; a copy with a changed line or two stays
#: above it.
SIMILARITY_THRESHOLD = 0.95
#: A one-statement function of at most this many tokens (``def`` line included) is a
#: one-liner anyone would write: never flagged.
MAX_EXEMPT_TOKENS = 40

#: How a match reads (``CopyMatch.sentence``).
_MATCH_SENTENCE = N_(
    "`{answer}` matches the code given in {notebook} (cell {cell}, `{given}`): similarity "
    "{similarity:.2f}"
)
_LAYOUT = {tokenize.NEWLINE: "<newline>", tokenize.INDENT: "<indent>", tokenize.DEDENT: "<dedent>"}
_SKIPPED = {tokenize.NL, tokenize.COMMENT, tokenize.ENDMARKER}


@dataclass(frozen=True)
class CodeUnit:
    """One function definition, normalised.

    Attributes
    ----------
    name : str
        The function's name as written.
    tokens : tuple of str
        Its normalised tokens.
    statements : int
        Statements in its body, the docstring not counted.
    """

    name: str
    tokens: tuple[str, ...]
    statements: int

    @property
    def exempt(self) -> bool:
        """A short one-liner: never flagged."""
        return self.statements <= 1 and len(self.tokens) <= MAX_EXEMPT_TOKENS


@dataclass(frozen=True)
class GivenCode:
    """A function the course gives: where, and its normalised form."""

    notebook: str
    cell: str
    unit: CodeUnit


@dataclass(frozen=True)
class CopyMatch:
    """An answer that matches given code.

    Attributes
    ----------
    answer : str
        The answer function's name.
    notebook, cell, given : str
        Where the code is given: notebook, cell ``grade_id`` and function name.
    similarity : float
        :func:`similarity` of the two, at least :data:`SIMILARITY_THRESHOLD`.
    """

    answer: str
    notebook: str
    cell: str
    given: str
    similarity: float

    def sentence(self, translated: bool = False) -> str:
        """The match in words: English for the instructor's flags and log, or (when
        ``translated``) in the language in use, for the note in the student's cell."""
        template = _(_MATCH_SENTENCE) if translated else _MATCH_SENTENCE
        return template.format(
            answer=self.answer,
            notebook=self.notebook,
            cell=self.cell,
            given=self.given,
            similarity=self.similarity,
        )


# ------------------------------------------------------------------------ normalising


def _bound_names(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Every name the function binds: its own, parameters, and anything assigned in it."""
    names = {function.name}
    for node in ast.walk(function):
        if isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            names.add(node.id)
        elif isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.ExceptHandler
        ):
            if node.name:  # an `except` without `as` binds nothing
                names.add(node.name)
        elif isinstance(node, ast.alias) and node.asname:
            names.add(node.asname)
    return names


def _without_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    first = body[0] if body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return body[1:] or [ast.Pass()]
    return body


class _Normalise(ast.NodeTransformer):
    """Rename bound names by first use; drop docstrings and annotations."""

    def __init__(self, bound: set[str]) -> None:
        self.bound = bound
        self.renamed: dict[str, str] = {}

    def _name(self, name: str) -> str:
        if name not in self.bound:
            return name
        return self.renamed.setdefault(name, f"_{len(self.renamed)}")

    def visit_Name(self, node: ast.Name) -> ast.Name:
        node.id = self._name(node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.arg = self._name(node.arg)
        node.annotation = None
        return node

    def _function(self, node: Any) -> Any:
        node.name = self._name(node.name)
        node.returns = None
        node.body = _without_docstring(node.body)
        self.generic_visit(node)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        return self._function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AsyncFunctionDef:
        return self._function(node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> ast.ExceptHandler:
        if node.name:
            node.name = self._name(node.name)
        self.generic_visit(node)
        return node

    def visit_alias(self, node: ast.alias) -> ast.alias:
        if node.asname:
            node.asname = self._name(node.asname)
        return node


def _tokens(code: str) -> tuple[str, ...]:
    tokens = []
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        if token.type in _SKIPPED:
            continue
        tokens.append(_LAYOUT.get(token.type, token.string))
    return tuple(tokens)


def _python(source: str) -> str:
    """A cell's source as plain Python: IPython's magics and shell escapes turned into
    calls by IPython's own transformer."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def code_units(source: str) -> list[CodeUnit]:
    """Every function definition in a cell's source (nested ones too), normalised.

    Parameters
    ----------
    source : str
        A code cell's source; IPython syntax is allowed.

    Returns
    -------
    list of CodeUnit
        In source order; empty when the source does not parse.
    """
    try:
        tree = ast.parse(_python(source))
    except (SyntaxError, ValueError):
        return []
    units = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        copy = ast.parse(ast.unparse(node)).body[0]
        assert isinstance(copy, ast.FunctionDef | ast.AsyncFunctionDef)
        statements = len(_without_docstring(copy.body))
        normalised = _Normalise(_bound_names(copy)).visit(copy)
        units.append(CodeUnit(node.name, _tokens(ast.unparse(normalised)), statements))
    return units


def similarity(left: CodeUnit, right: CodeUnit) -> float:
    """How alike two normalised functions are: 1.0 for the same tokens, 0.0 for none
    in common (``difflib.SequenceMatcher.ratio`` over the token sequences)."""
    return difflib.SequenceMatcher(None, left.tokens, right.tokens, autojunk=False).ratio()


# --------------------------------------------------------------------------- matching


def given_code(db_url: str, assignment_id: str) -> list[GivenCode]:
    """Every function the assignment gives, from the gradebook's source cells.

    Parameters
    ----------
    db_url : str
        The gradebook.
    assignment_id : str
        The assignment.

    Returns
    -------
    list of GivenCode
        By notebook, then cell, in the gradebook's order.
    """
    given = []
    with Gradebook(db_url) as gradebook:
        for notebook in sorted(gradebook.find_assignment(assignment_id).notebooks, key=_name):
            tests = {cell.name for cell in notebook.grade_cells}
            for cell in sorted(notebook.source_cells, key=_name):
                if cell.cell_type != "code" or not cell.locked or cell.name in tests:
                    continue
                given += [GivenCode(notebook.name, cell.name, u) for u in code_units(cell.source)]
    return given


def _name(row: Any) -> str:
    return str(row.name)


def find_copies(answer: str, given: list[GivenCode], notebook: str) -> list[CopyMatch]:
    """The functions in an answer cell that match code given in another notebook.

    Parameters
    ----------
    answer : str
        The answer cell's source.
    given : list of GivenCode
        What the assignment gives (:func:`given_code`).
    notebook : str
        The notebook the answer is in: what it gives itself is not a copy.

    Returns
    -------
    list of CopyMatch
        At most one per answer function (its closest match), in source order.
    """
    here = {item.unit.tokens for item in given if item.notebook == notebook}
    elsewhere = [
        item for item in given if item.notebook != notebook and item.unit.tokens not in here
    ]
    matches = []
    for unit in code_units(answer):
        if unit.exempt:
            continue
        best: tuple[float, GivenCode] | None = None
        for item in elsewhere:
            matcher = difflib.SequenceMatcher(None, unit.tokens, item.unit.tokens, autojunk=False)
            if matcher.real_quick_ratio() < SIMILARITY_THRESHOLD:
                continue
            score = matcher.ratio()
            if score >= SIMILARITY_THRESHOLD and (best is None or score > best[0]):
                best = (score, item)
        if best is not None:
            score, item = best
            matches.append(CopyMatch(unit.name, item.notebook, item.cell, item.unit.name, score))
    return matches


# ----------------------------------------------------------------------- preprocessor


def _label(cell: NotebookNode, index: int) -> str:
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    return f"answer cell {grade_id}" if grade_id else f"cell {index + 1}"


class FlagCopiedAnswers(NbGraderPreprocessor):
    """Flag answers copied from code given elsewhere in the assignment (after ``Execute``):
    evidence in the cell's metadata and a note in its outputs, no score changed."""

    def preprocess(
        self, nb: NotebookNode, resources: ResourcesDict
    ) -> tuple[NotebookNode, ResourcesDict]:
        info = resources["nbgrader"]
        given = given_code(info["db_url"], info["assignment"])
        for index, cell in enumerate(nb.cells):
            cell.metadata.pop(COPY_METADATA_KEY, None)  # only this step writes it
            if cell.cell_type != "code" or utils.is_locked(cell) or utils.is_grade(cell):
                continue
            matches = find_copies(cell.source, given, info["notebook"])
            if not matches:
                continue
            label = _label(cell, index)
            cell.metadata[COPY_METADATA_KEY] = [
                {"where": label, **asdict(match)} for match in matches
            ]
            with speaking_for(nb):
                said = [
                    _("Needs a human: {match}.").format(match=match.sentence(translated=True))
                    for match in matches
                ]
                said.append(_("This note changes no score; an instructor will look."))
            note = plain_text_lines("\n".join(said)) + "\n"
            cell.outputs.append(
                from_dict(
                    {"output_type": "display_data", "data": {"text/plain": note}, "metadata": {}}
                )
            )
            lines = [f"Needs a human: {match.sentence()}." for match in matches]
            self.log.warning("%s: %s", label, "; ".join(lines))
        return nb, resources


def copy_reasons(notebook: NotebookNode) -> list[str]:
    """Why an autograded notebook needs a human because of copied answers, one line each.

    Parameters
    ----------
    notebook : NotebookNode
        An autograded notebook.

    Returns
    -------
    list of str
        ``"answer cell <id>: `<f>` matches the code given in ..."`` per match.
    """
    reasons = []
    for cell in notebook.cells:
        matches = cell.metadata.get(COPY_METADATA_KEY)
        if not isinstance(matches, list):
            continue
        for raw in matches:
            try:
                match = CopyMatch(
                    str(raw["answer"]),
                    str(raw["notebook"]),
                    str(raw["cell"]),
                    str(raw["given"]),
                    float(raw["similarity"]),
                )
            except (KeyError, TypeError, ValueError):
                continue
            reasons.append(f"{raw.get('where', 'a cell')}: {match.sentence()}")
    return reasons
