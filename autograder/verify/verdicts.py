"""How a verdict reads: the outputs nbgrader scores, in words a student can act on.

:class:`~autograder.verify.preprocessors.VerifyProbes` collects a :class:`CellResult`
per graded test cell; :func:`verdict_outputs` turns it into the outputs nbgrader's
``determine_grade`` scores (a pass, a partial-credit number, or an error) and
:func:`neutralised` keeps the student's own outputs visible without letting them score.
Lines are wrapped for formgrader, which shows outputs without wrapping.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field

from nbformat.notebooknode import NotebookNode, from_dict

from autograder.i18n.messages import gettext as _
from autograder.i18n.messages import isolated, plain_text_lines
from autograder.verify.wire import MIME_TYPE

__all__ = ["CellResult", "Problem", "first_error", "neutralised", "verdict_outputs"]

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_MAX_LISTED_PROBLEMS = 6
#: Verdict lines are wrapped to this width: formgrader shows outputs without wrapping,
#: so a longer line hides its end off to the right.
_WIDTH = 88


@dataclass(frozen=True)
class Problem:
    """One distinct mistake in a cell: its sentence and the inputs it showed on."""

    task: str
    message: str
    labels: tuple[str, ...]  # the challenge inputs it showed on; none for a hand value


@dataclass
class CellResult:
    """What the verifier found in one graded test cell.

    Attributes
    ----------
    tasks : list of str
        The tasks its probe calls answer.
    cases, passed : int
        Challenge cases judged, and passed (hand values count one each).
    problems : list of Problem
        One per distinct message of a failed case.
    hints : list of Problem
        What the kernel reported about the answers (an input changed in place): shown,
        never scored.
    misconceptions : list of (task, key)
        Every catalogued misconception named in problems or hints, identified by task.
    problem : str or None
        Why the whole cell fails closed, if it does.
    """

    tasks: list[str]
    cases: int = 0
    passed: int = 0
    problems: list[Problem] = field(default_factory=list)
    hints: list[Problem] = field(default_factory=list)
    misconceptions: list[tuple[str, str]] = field(default_factory=list)
    problem: str | None = None


def neutralised(outputs: list[NotebookNode]) -> list[NotebookNode]:
    """The student's outputs as plain, score-neutral outputs: visible, but they cannot
    make determine_grade fail (errors, stderr) or award partial credit (results)."""
    kept = []
    for output in outputs:
        kind = output.output_type
        if MIME_TYPE in output.get("data", {}):
            continue
        if kind == "stream":
            kept.append(from_dict({"output_type": "stream", "name": "stdout", "text": output.text}))
        elif kind == "error":
            message = _ANSI.sub("", f"{output.ename}: {output.evalue}")
            text = "\n".join(
                wrapped for line in message.splitlines() for wrapped in _wrapped(line, "", "  ")
            )
            kept.append(from_dict({"output_type": "stream", "name": "stdout", "text": text + "\n"}))
        elif kind in ("execute_result", "display_data"):
            kept.append(
                from_dict(
                    {
                        "output_type": "display_data",
                        "data": dict(output.get("data", {})),
                        "metadata": dict(output.get("metadata", {})),
                    }
                )
            )
    return kept


def first_error(outputs: list[NotebookNode]) -> str | None:
    """The first error among the outputs, one line, without colour codes."""
    for output in outputs:
        if output.output_type == "error":
            return _ANSI.sub("", f"{output.ename}: {output.evalue}")[:200]
    return None


def _wrapped(text: str, indent: str = "", rest: str | None = None) -> list[str]:
    return textwrap.wrap(
        text,
        _WIDTH,
        initial_indent=indent,
        subsequent_indent=indent if rest is None else rest,
        break_long_words=False,
        break_on_hyphens=False,
    )


def _packed(labels: tuple[str, ...], lead: str, indent: str) -> list[str]:
    """The labels joined by "; ", each kept whole on one line, lines up to _WIDTH; in a
    right-to-left verdict each line's labels are isolated, so that ``X 4x7 int, F 2x3
    float;`` keeps its order and its semicolon."""
    rows = [[labels[0]]]
    width = len(lead) + len(labels[0])
    for label in labels[1:]:
        if width + 2 + len(label) <= _WIDTH:
            rows[-1].append(label)
            width += 2 + len(label)
        else:
            rows.append([label])
            width = len(indent) + len(label)
    texts = ["; ".join(row) + ";" for row in rows]
    texts[-1] = texts[-1].removesuffix(";")
    return [lead + isolated(texts[0])] + [indent + isolated(text) for text in texts[1:]]


def _problem_lines(problem: Problem, with_task: bool, hint: bool = False) -> list[str]:
    """The sentence first, then the challenge inputs it showed on, in short lines."""
    sentence = f"`{problem.task}`: {problem.message}" if with_task else problem.message
    if hint:
        sentence = _("Hint (it costs no points): {sentence}").format(sentence=sentence)
    lines = _wrapped(sentence, "- ", "  ")
    if problem.labels:
        lead = "  " + _("on") + " "
        lines += _packed(problem.labels, lead, " " * len(lead))
    return lines


def _headline(result: CellResult, points: float, unit: str) -> str:
    """The result in plain words, with the score: the verdict's first line."""
    tasks = ", ".join(f"`{task}`" for task in result.tasks) or _("this cell")
    if result.problem is not None:
        return _("Hidden tests failed for {tasks} (0 of {points:g} {unit}): {problem}.").format(
            tasks=tasks, points=points, unit=unit, problem=result.problem
        )
    n, passed = result.cases, result.passed
    if passed == n:
        text = (
            _("Hidden tests passed: {tasks} correct ({points:g} of {points:g} {unit}).")
            if n == 1
            else _(
                "Hidden tests passed: {tasks} correct on all {n} inputs ({points:g} of {points:g} "
                "{unit})."
            )
        )
    elif passed == 0:
        text = (
            _("Hidden tests failed: {tasks} wrong (0 of {points:g} {unit}).")
            if n == 1
            else _("Hidden tests failed: {tasks} wrong on all {n} inputs (0 of {points:g} {unit}).")
        )
    else:
        text = _(
            "Hidden tests: {tasks} correct on {passed} of {n} inputs ({score:.2f} of {points:g} "
            "{unit})."
        )
    return text.format(
        tasks=tasks, n=n, passed=passed, score=points * passed / n, points=points, unit=unit
    )


def verdict_outputs(
    result: CellResult, points: float, bonus: float | None = None
) -> list[NotebookNode]:
    """The outputs nbgrader scores: a pass, a partial-credit number, or an error.

    The first line says how the cell did and what it scored; each problem follows, its
    sentence before the challenge inputs it showed on, every line at most _WIDTH long.
    A bonus cell (``bonus`` points on top of the assignment's maximum, 0 nbgrader
    points) speaks of its bonus, and never emits a partial-credit number: nbgrader
    would score it against 0 points; the bonus step credits its share instead.
    """
    headline = (
        _headline(result, points, _("points"))
        if bonus is None
        else _headline(result, bonus, _("bonus points"))
    )
    lines = _wrapped(headline, "", "  ")
    if result.problem is not None:
        return [_error(headline, lines)]
    with_task = len(set(result.tasks)) > 1
    for problem in result.problems[:_MAX_LISTED_PROBLEMS]:
        lines += _problem_lines(problem, with_task)
    hidden = len(result.problems) - _MAX_LISTED_PROBLEMS
    if hidden > 0:
        lines.append(_("... and {hidden} more kinds of problem.").format(hidden=hidden))
    for hint in result.hints:
        lines += _problem_lines(hint, with_task, hint=True)
    if result.passed == 0:
        return [_error(headline, lines)]
    if result.passed == result.cases or bonus is not None:
        return [_text(lines)]
    score = points * result.passed / result.cases
    return [
        _text(lines),
        from_dict(
            {
                "output_type": "execute_result",
                "execution_count": None,
                "data": {"text/plain": repr(score)},
                "metadata": {},
            }
        ),
    ]


def _text(lines: list[str]) -> NotebookNode:
    text = plain_text_lines("\n".join(lines))
    return from_dict({"output_type": "display_data", "data": {"text/plain": text}, "metadata": {}})


def _error(headline: str, lines: list[str]) -> NotebookNode:
    return from_dict(
        {
            "output_type": "error",
            "ename": "HiddenTestsFailed",
            "evalue": plain_text_lines(headline),
            "traceback": [plain_text_lines(line) for line in lines],
        }
    )
