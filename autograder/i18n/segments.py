"""Cut a notebook cell into the pieces a translator translates, and put a cell back together.

A markdown cell is cut into its blocks (the text between blank lines, outside fenced
code): a paragraph, a list, a table, a heading. A block that is display maths alone
(``$$ ... $$``) is left out: formulas are the same in every language.

A code cell keeps its code; only what a reader reads is cut out:

- comments, except nbgrader's markers (``### BEGIN SOLUTION`` ...) and tool pragmas;
- docstrings, dedented (they go back with the indentation they came with);
- in a cell without nbgrader metadata (one the student runs but nobody grades), string
  literals that hold words, such as a picture's labels or a printed sentence; an
  f-string's text keeps its ``{...}`` fields, which a translation must keep too.

Every piece is a :class:`Segment`; its ``text``, the English as it is in the source, is
what a catalogue records a translation against (the gettext ``msgid``).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Callable
from dataclasses import dataclass

from nbformat import NotebookNode

__all__ = [
    "Segment",
    "TranslationError",
    "cell_segments",
    "code_segments",
    "markdown_blocks",
    "same_program",
    "translate_code",
]

#: nbgrader's default region markers: code, never prose.
_NBGRADER_MARKERS = frozenset(
    {
        "### BEGIN SOLUTION",
        "### END SOLUTION",
        "### BEGIN HIDDEN TESTS",
        "### END HIDDEN TESTS",
    }
)
_PRAGMA = re.compile(r"#\s*(noqa|type:|pragma|fmt:|ruff:)", re.IGNORECASE)
#: Text with a word in it: three letters in a row. "X", "dO" or "F[0, 1]" are symbols.
_WORDS = re.compile(r"[A-Za-z]{3}")
_DISPLAY_MATHS = re.compile(r"\A\s*\$\$.*\$\$\s*\Z", re.DOTALL)
_FENCE = re.compile(r"^\s*(```|~~~)")
_STRING_PREFIX = re.compile(r"\A([rRbBuUfF]{0,2})('''|\"\"\"|'|\")")


class TranslationError(ValueError):
    """A translation that cannot go into the cell: it would change the program."""


@dataclass(frozen=True)
class Segment:
    """One translatable piece of a cell.

    Attributes
    ----------
    kind : str
        ``"markdown"`` (a block), ``"comment"``, ``"docstring"`` or ``"string"``.
    text : str
        The English, as the catalogue keys it: a markdown block as written, a comment
        without its ``#`` and the space after it, a docstring dedented, a string
        literal's body between its quotes as written (escapes included).
    """

    kind: str
    text: str


# ------------------------------------------------------------------- markdown


def markdown_blocks(source: str) -> list[str]:
    """The blocks of a markdown text: runs of lines between blank lines.

    Blank lines inside a fenced code block do not split it.

    Parameters
    ----------
    source : str
        A markdown cell's source.

    Returns
    -------
    list of str
        Every non-blank block, in order, without surrounding blank lines.
    """
    blocks: list[str] = []
    current: list[str] = []
    fenced = False
    for line in source.split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
        if not fenced and not line.strip():
            if current:
                blocks.append("\n".join(current))
            current = []
            continue
        current.append(line)
    if current:
        blocks.append("\n".join(current))
    return blocks


def is_display_maths(block: str) -> bool:
    """Whether a markdown block is a display formula and nothing else."""
    return bool(_DISPLAY_MATHS.match(block)) and block.strip().count("$$") == 2


# ----------------------------------------------------------------------- code


@dataclass(frozen=True)
class _Piece:
    """Where a segment sits in a code cell: character offsets of what gets replaced."""

    segment: Segment
    start: int
    end: int
    render: Callable[[str], str]


def _line_offsets(source: str) -> list[int]:
    offsets = [0]
    for line in source.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    return offsets


def _char_offset(source_lines: list[str], offsets: list[int], line: int, byte_col: int) -> int:
    """A character offset from ast's 1-based line and UTF-8 byte column."""
    text = source_lines[line - 1].encode("utf-8")[:byte_col].decode("utf-8")
    return offsets[line - 1] + len(text)


def _docstring_nodes(tree: ast.Module) -> set[int]:
    owners = [tree] + [
        node
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    ]
    found = set()
    for owner in owners:
        body = owner.body
        if (
            body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            found.add(id(body[0].value))
    return found


def _split_literal(literal: str) -> tuple[str, str, str]:
    """A string literal's prefix, quote and body: ``f"a{b}"`` -> ``("f", '"', "a{b}")``."""
    match = _STRING_PREFIX.match(literal)
    if match is None or not literal.endswith(match.group(2)):
        raise ValueError(f"not a single string literal: {literal!r}")
    prefix, quote = match.groups()
    return prefix, quote, literal[len(prefix) + len(quote) : len(literal) - len(quote)]


def _docstring_piece(literal: str, start: int, end: int) -> _Piece:
    prefix, quote, body = _split_literal(literal)
    lines = body.split("\n")
    rest = [line for line in lines[1:] if line.strip()]
    indent = ""
    if rest:
        indent = min((line[: len(line) - len(line.lstrip(" \t"))] for line in rest), key=len)
    dedented = [lines[0]] + [line[len(indent) :] if line.strip() else "" for line in lines[1:]]
    # The closing quotes' own line keeps its indentation as it was (often the only one).
    closing = lines[-1] if len(lines) > 1 and not lines[-1].strip() else None
    if closing is not None:
        dedented[-1] = ""

    def render(text: str) -> str:
        out = text.split("\n")
        body_lines = [out[0]] + [indent + line if line.strip() else "" for line in out[1:]]
        if closing is not None and len(out) > 1 and not out[-1].strip():
            body_lines[-1] = closing
        return prefix + quote + "\n".join(body_lines) + quote

    return _Piece(Segment("docstring", "\n".join(dedented)), start, end, render)


def _string_piece(literal: str, start: int, end: int) -> _Piece:
    prefix, quote, body = _split_literal(literal)
    return _Piece(Segment("string", body), start, end, lambda text: prefix + quote + text + quote)


def _code_pieces(source: str, strings: bool) -> list[_Piece]:
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise TranslationError(f"a code cell does not parse: {error}") from None
    lines = source.splitlines(keepends=True) or [""]
    offsets = _line_offsets(source)
    pieces: list[_Piece] = []

    docstrings = _docstring_nodes(tree)
    inside_fstring: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            inside_fstring.update(id(part) for part in ast.walk(node) if part is not node)
    for node in ast.walk(tree):
        if id(node) in inside_fstring or not isinstance(node, (ast.JoinedStr, ast.Constant)):
            continue
        if isinstance(node, ast.Constant) and not isinstance(node.value, str):
            continue
        assert node.end_lineno is not None and node.end_col_offset is not None
        start = _char_offset(lines, offsets, node.lineno, node.col_offset)
        end = _char_offset(lines, offsets, node.end_lineno, node.end_col_offset)
        literal = source[start:end]
        if id(node) in docstrings:
            pieces.append(_docstring_piece(literal, start, end))
        elif strings and _WORDS.search(literal) and _STRING_PREFIX.match(literal):
            try:
                pieces.append(_string_piece(literal, start, end))
            except ValueError:  # implicit concatenation "a" "b": left as it is
                continue

    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.COMMENT:
            continue
        comment = token.string
        if comment.strip() in _NBGRADER_MARKERS or _PRAGMA.match(comment):
            continue
        hashes = len(comment) - len(comment.lstrip("#"))
        marker = comment[: hashes + 1] if comment[hashes : hashes + 1] == " " else comment[:hashes]
        text = comment[len(marker) :]
        if not _WORDS.search(text):
            continue
        start = offsets[token.start[0] - 1] + token.start[1]
        pieces.append(
            _Piece(
                Segment("comment", text),
                start,
                start + len(comment),
                _prefixed(marker),
            )
        )
    return sorted(pieces, key=lambda piece: piece.start)


def _prefixed(marker: str) -> Callable[[str], str]:
    """A comment's renderer: its ``#`` marker, then the text."""
    return lambda text: marker + text


def code_segments(source: str, *, strings: bool) -> list[Segment]:
    """The translatable pieces of a code cell, in the order they appear.

    Parameters
    ----------
    source : str
        The cell's Python source.
    strings : bool
        Whether string literals with words count (cells nobody grades), or only
        comments and docstrings.

    Returns
    -------
    list of Segment
    """
    return [piece.segment for piece in _code_pieces(source, strings)]


def translate_code(source: str, translate: Callable[[Segment], str], *, strings: bool) -> str:
    """The cell's source with every piece replaced by ``translate(segment)``.

    Raises
    ------
    TranslationError
        If the result is not the same program as ``source`` (see :func:`same_program`).
    """
    pieces = _code_pieces(source, strings)
    out, position = [], 0
    for piece in pieces:
        out.append(source[position : piece.start])
        out.append(piece.render(translate(piece.segment)))
        position = piece.end
    out.append(source[position:])
    translated = "".join(out)
    problem = same_program(source, translated, {piece.segment.text for piece in pieces})
    if problem:
        raise TranslationError(problem)
    return translated


def _texts_and_skeleton(tree: ast.AST) -> tuple[list[ast.JoinedStr | ast.Constant], str]:
    """Every string node in walk order, and the tree dumped with all their text blanked."""
    inside = {
        id(part)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for part in ast.walk(node)
        if part is not node
    }
    texts: list[ast.JoinedStr | ast.Constant] = [
        node
        for node in ast.walk(tree)
        if id(node) not in inside
        and (
            isinstance(node, ast.JoinedStr)
            or (isinstance(node, ast.Constant) and isinstance(node.value, str))
        )
    ]

    class _Blank(ast.NodeTransformer):
        def visit_Constant(self, node: ast.Constant) -> ast.AST:
            if isinstance(node.value, str):
                return ast.Constant(value="")
            return node

    blanked = _Blank().visit(ast.parse(ast.unparse(tree)))
    return texts, ast.dump(blanked)


def same_program(english: str, translated: str, translatable: set[str]) -> str:
    """Why ``translated`` is not ``english`` with only its text translated; "" if it is.

    The two must parse to the same tree once every string is blanked; each string or
    f-string part that is not a translatable segment must be unchanged; an f-string's
    fields (the code inside ``{...}``) must be the same.

    Parameters
    ----------
    english, translated : str
        The two sources.
    translatable : set of str
        The segment texts that may differ (string bodies, docstrings).

    Returns
    -------
    str
        An explanation, or the empty string when the programs agree.
    """
    try:
        translated_tree = ast.parse(translated)
    except SyntaxError as error:
        return f"the translated cell does not parse: {error}"
    english_texts, english_skeleton = _texts_and_skeleton(ast.parse(english))
    translated_texts, translated_skeleton = _texts_and_skeleton(translated_tree)
    if english_skeleton != translated_skeleton or len(english_texts) != len(translated_texts):
        return "the translated cell is not the same program as the English one"
    english_lines = english.splitlines(keepends=True)
    for original, other in zip(english_texts, translated_texts, strict=True):
        if type(original) is not type(other):
            return "a string became an f-string, or the other way round"
        if isinstance(original, ast.JoinedStr) and isinstance(other, ast.JoinedStr):
            fields = [ast.dump(part) for part in original.values if not _is_constant(part)]
            other_fields = [ast.dump(part) for part in other.values if not _is_constant(part)]
            if fields != other_fields:
                return "a translated f-string does not keep the English one's {fields}"
            source = ast.get_source_segment("".join(english_lines), original) or ""
            if _body(source) not in translatable and ast.dump(original) != ast.dump(other):
                return f"an f-string that is code, not text, changed: {source}"
        elif (
            isinstance(original, ast.Constant)
            and isinstance(other, ast.Constant)
            and original.value != other.value
            and not _is_translatable(original, translatable)
        ):
            return f"a string that is code, not text, changed: {original.value!r}"
    return ""


def _is_constant(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant)


def _body(literal: str) -> str:
    try:
        return _split_literal(literal)[2]
    except ValueError:
        return literal


def _is_translatable(node: ast.Constant, translatable: set[str]) -> bool:
    value = str(node.value)
    if value in translatable:
        return True
    # Docstrings are keyed dedented, and string bodies as written (with escapes).
    dedented = "\n".join(line.strip() for line in value.split("\n"))
    return any(
        dedented == "\n".join(line.strip() for line in text.split("\n")) for text in translatable
    )


# ----------------------------------------------------------------------- cells


def cell_segments(cell: NotebookNode) -> list[Segment]:
    """The translatable pieces of any notebook cell, in order.

    Parameters
    ----------
    cell : NotebookNode
        A markdown or code cell (raw cells have none).

    Returns
    -------
    list of Segment
    """
    if cell.cell_type == "markdown":
        return [
            Segment("markdown", block)
            for block in markdown_blocks(cell.source)
            if not is_display_maths(block)
        ]
    if cell.cell_type == "code":
        return code_segments(cell.source, strings=not cell.metadata.get("nbgrader"))
    return []
