"""Judging one answer: compare what the probe recorded with the right answer.

A graded function's answer must have the form its task's :class:`Result` asks for, the
reference's shape exactly, and values within the task's tolerance
(:mod:`autograder.maths.tolerance`); a float result, where the task asks for one, comes
last. Hand-computed values are compared exactly with the worked example's Fractions. A
wrong answer is named by its task's catalogue when it matches a typical mistake (by its
values, its shape, or, for a function that raised, by what the whole call did), or by a
general one (None returned, an integer array); else the verdict gives the first wrong
position and how far off it is, never the expected value.

What the kernel says about itself is only ever a hint: the probe reports an input changed
in place, and the student's code could have silenced that report, so the hint costs no
points (design, section 5).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import numpy as np

from autograder.i18n.messages import gettext as _
from autograder.maths.exact import looks_rounded, typed
from autograder.maths.misconceptions import INPUT_MODIFIED, INTEGER_RESULT, RETURNED_NONE, Raises
from autograder.maths.tolerance import Tolerance
from autograder.verify.challenges import Case
from autograder.verify.tasks import FunctionTask, HandValueTask, Result
from autograder.verify.wire import (
    CaseRecord,
    Raised,
    Returned,
    Skipped,
    TimedOut,
    Unsupported,
)

__all__ = ["CaseVerdict", "judge_call", "judge_hand_value", "judge_record"]


@dataclass(frozen=True)
class CaseVerdict:
    """The verdict on one case.

    Attributes
    ----------
    passed : bool
        Whether the case earns its share of the points.
    message : str or None
        Why it did not, in words for the student.
    misconception : str or None
        The key of the misconception the answer matches (in its task), if any.
    note : str or None
        What the case showed besides, e.g. ``"raised IndexError"`` when the message names
        the mistake behind an exception.
    hints : tuple of str
        Keys of general misconceptions the kernel reported (an input changed in place):
        advisory, they never change ``passed``.
    """

    passed: bool
    message: str | None = None
    misconception: str | None = None
    note: str | None = None
    hints: tuple[str, ...] = ()


def _is_real_scalar(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return value.shape == () and value.dtype.kind in "iuf"
    return isinstance(value, (int, float, Fraction)) and not isinstance(value, bool)


def _is_whole(value: Any) -> bool:
    """A real scalar without a fractional part (ints of any size included)."""
    if isinstance(value, np.ndarray):
        value = value.item()
    if isinstance(value, (int, np.integer)):
        return True
    try:
        return float(value).is_integer()
    except OverflowError:  # a Fraction too large for a float
        return Fraction(value).denominator == 1


def _first_wrong(answer: np.ndarray, expected: np.ndarray, tolerance: Tolerance) -> str:
    """Where the first wrong entry is and how far off, without the expected value."""
    expected = np.asarray(expected, dtype=np.float64)
    answer = np.asarray(answer, dtype=np.float64)
    wrong = tolerance.wrong_entries(answer, expected)
    index = tuple(int(i) for i in np.argwhere(wrong)[0])
    a, e = answer[index], expected[index]
    if not np.isfinite(a):
        how = _("it is {value}").format(value=a)
    else:
        how = _("off by {share:.0%} of its size").format(share=abs(a - e) / max(abs(a), abs(e)))
    if not index:
        return _("the value is wrong ({how})").format(how=how)
    return _("entry {index} is wrong ({how}); {wrong} of {size} entries are wrong").format(
        index=list(index), how=how, wrong=int(wrong.sum()), size=wrong.size
    )


def _type_name(value: Any) -> str:
    if isinstance(value, Unsupported):
        if value.dtype is not None:
            return _("an array of dtype {dtype} and shape {shape}").format(
                dtype=value.dtype, shape=value.shape
            )
        return _("a {type}").format(type=value.type_name)
    if isinstance(value, np.ndarray):
        return _("an array of dtype {dtype}").format(dtype=value.dtype)
    return _("a {type}").format(type=type(value).__name__)


def _as_answer(task: FunctionTask, value: Any) -> Any:
    """An answer as judging reads it: a shape given as a 1-D array is a tuple."""
    if _numbers_only(task.result) and isinstance(value, np.ndarray) and value.ndim == 1:
        # (Ho, Wo) or (error_dF, error_dX) as a numpy array is a fine answer, and the
        # catalogue's mistaken answers are tuples: compared as an array, a forgotten +1
        # would go unnamed.
        return tuple(value.tolist())
    return value


def _as_mistake(answer: Any) -> Any:
    """An answer in the form the catalogue's mistakes return theirs (tuples, not lists)."""
    return tuple(answer) if isinstance(answer, list) else answer


def _integer_truncated(result: Result, answer: Any, expected: Any, tolerance: Tolerance) -> bool:
    """An integer array holding the right values cut to whole numbers (by an integer
    result array, or //), where the contract asks for floats."""
    if not (
        result.floats
        and isinstance(answer, np.ndarray)
        and answer.dtype.kind in "iu"
        and isinstance(expected, np.ndarray)
        and answer.shape == expected.shape
    ):
        return False
    return tolerance.matches(answer, np.trunc(expected)) or tolerance.matches(
        answer, np.floor(expected)
    )


def _judge_value(task: FunctionTask, args: tuple, value: Any, expected: Any) -> CaseVerdict:
    """Compare one returned answer with the reference's and, when it is wrong, name the
    catalogued misconception it matches."""
    if value is None:
        return CaseVerdict(False, _(RETURNED_NONE.message), RETURNED_NONE.key)
    answer = _as_answer(task, value)
    verdict = _compare(task.result, answer, expected, task.tolerance)
    if verdict.passed or verdict.misconception is not None:
        return verdict
    match = task.diagnose(args, _as_mistake(answer), expected)
    if match is not None:
        return CaseVerdict(False, _(match.message), match.key)
    if _integer_truncated(task.result, answer, expected, task.tolerance):
        return CaseVerdict(False, _(INTEGER_RESULT.message), INTEGER_RESULT.key)
    return verdict


def _numbers_only(result: Result) -> bool:
    """Whether a result is a fixed number of numbers (a shape, or a tuple of numbers),
    which a 1-D array holds as well as a tuple does."""
    return result.kind == "shape" or (
        result.kind == "tuple" and all(part.kind == "number" for part in result.parts)
    )


def _compare(result: Result, answer: Any, expected: Any, tolerance: Tolerance) -> CaseVerdict:
    if result.kind == "shape":
        return _judge_shape(result, answer, expected)
    if result.kind == "tuple":
        if not (isinstance(answer, (tuple, list)) and len(answer) == len(result.parts)):
            return CaseVerdict(
                False,
                _("returned {what}; return ({names})").format(
                    what=_type_name(answer), names=", ".join(result.names)
                ),
            )
        parts = zip(result.parts, answer, expected, strict=True)
        for index, (part, part_answer, part_expected) in enumerate(parts):
            verdict = _compare(part, part_answer, part_expected, tolerance)
            if verdict.misconception is not None:  # the catalogue's sentence names the part
                return verdict
            if not verdict.passed:
                named = result.part_name(index)
                return replace(verdict, message=f"{named}: {verdict.message}")
        return CaseVerdict(True)
    if result.kind == "number":
        return _judge_number(answer, expected, tolerance)
    return _judge_array(result, answer, expected, tolerance)


def _judge_array(
    result: Result, answer: Any, expected: np.ndarray, tolerance: Tolerance
) -> CaseVerdict:
    if not (isinstance(answer, np.ndarray) and answer.dtype.kind in "biuf"):
        return CaseVerdict(
            False,
            _("returned {what}; it should return a numpy array of numbers").format(
                what=_type_name(answer)
            ),
        )
    if answer.shape != expected.shape:
        return CaseVerdict(
            False,
            _("returned shape {shape}; for these inputs the result has shape {expected}").format(
                shape=answer.shape, expected=expected.shape
            ),
        )
    if tolerance.wrong_entries(answer, expected).any():
        return CaseVerdict(False, _first_wrong(answer, expected, tolerance))
    if result.floats and answer.dtype.kind != "f":
        return CaseVerdict(False, _(INTEGER_RESULT.message), INTEGER_RESULT.key)
    return CaseVerdict(True)


def _judge_number(answer: Any, expected: float, tolerance: Tolerance) -> CaseVerdict:
    if not _is_real_scalar(answer):
        return CaseVerdict(
            False,
            _("returned {what}; it should return one number").format(what=_type_name(answer)),
        )
    try:
        value = np.array(float(answer))
    except OverflowError:
        return CaseVerdict(False, _("returned a number too large to be a float"))
    if tolerance.wrong_entries(value, expected).any():
        return CaseVerdict(False, _first_wrong(value, np.array(expected), tolerance))
    return CaseVerdict(True)


def _judge_shape(result: Result, answer: Any, expected: tuple[int, ...]) -> CaseVerdict:
    if not (
        isinstance(answer, (tuple, list))
        and len(answer) == len(result.names)
        and all(_is_real_scalar(n) and _is_whole(n) for n in answer)
    ):
        return CaseVerdict(
            False,
            _("returned {what}; return a tuple ({names})").format(
                what=_type_name(answer), names=", ".join(result.names)
            ),
        )
    for index, (n, right) in enumerate(zip(answer, expected, strict=True)):
        if int(n) != right:
            return CaseVerdict(False, _("{part}, is wrong").format(part=result.part_name(index)))
    return CaseVerdict(True)


def judge_record(
    task: FunctionTask, case: Case, record: CaseRecord, expected: Any = None
) -> CaseVerdict:
    """Judge what the probe recorded for one challenge case of a graded function.

    Parameters
    ----------
    task : FunctionTask
        The graded function, from :mod:`autograder.verify.tasks`.
    case : Case
        The challenge: its arguments go to the reference, its label to the feedback.
    record : CaseRecord
        What the probe recorded for it (:func:`autograder.verify.wire.decode_payload`).
    expected : optional
        The reference's answer to the case, computed when not given.

    Returns
    -------
    CaseVerdict
        On this case alone; :func:`judge_call` names the mistake behind an exception.
    """
    if isinstance(record, TimedOut):
        return CaseVerdict(
            False,
            _("did not finish within {seconds:g} s (an endless loop?)").format(
                seconds=record.seconds
            ),
        )
    if isinstance(record, Skipped):
        return CaseVerdict(False, _("not run, because an earlier case timed out"))
    if isinstance(record, Raised):
        return CaseVerdict(False, _("raised {error}").format(error=record.error))
    if expected is None:
        expected = task.reference(*case.args)
    verdict = _judge_value(task, case.args, record.value, expected)
    # Reported by the kernel about itself: a hint, never points.
    return replace(verdict, hints=(INPUT_MODIFIED.key,)) if record.modified else verdict


def _exception_type(error: str) -> str:
    """``"IndexError: index 3 is out of bounds"`` -> ``"IndexError"``."""
    return error.split(":", 1)[0].strip()


def judge_call(
    task: FunctionTask, cases: list[Case], records: list[CaseRecord]
) -> list[CaseVerdict]:
    """Judge every case of one probe call of a graded function.

    Each case is judged alone (:func:`judge_record`); then, if the function raised on
    some, the catalogue is asked for the one mistake that explains what the whole call
    did (:meth:`FunctionTask.explain_errors`), and the exceptions are named after it.

    Parameters
    ----------
    task : FunctionTask
        The graded function.
    cases : list of Case
        The call's challenges.
    records : list of CaseRecord
        What the probe recorded for each, in the same order.

    Returns
    -------
    list of CaseVerdict
        One per case.
    """
    expected = [task.reference(*case.args) for case in cases]
    verdicts = [
        judge_record(task, case, record, right)
        for case, record, right in zip(cases, records, expected, strict=True)
    ]
    raised = [i for i, record in enumerate(records) if isinstance(record, Raised)]
    if not raised:
        return verdicts
    calls: list[tuple[tuple, Any, Any]] = []
    for case, record, right in zip(cases, records, expected, strict=True):
        if isinstance(record, Raised):
            calls.append((case.args, Raises(_exception_type(record.error)), right))
        elif isinstance(record, Returned):
            calls.append((case.args, _as_mistake(_as_answer(task, record.value)), right))
    match = task.explain_errors(calls)
    if match is None:
        return verdicts
    for i in raised:
        error = _exception_type(records[i].error)  # type: ignore[union-attr]
        note = _("raised {error}").format(error=error)
        verdicts[i] = CaseVerdict(False, _(match.message), match.key, note=note)
    return verdicts


# ---------------------------------------------------------------- hand-computed values


def _exact(value: Any) -> Fraction | np.ndarray | None:
    """An exact version of a hand-computed answer, or None if it is not numbers."""
    if isinstance(value, (tuple, list)):
        value = np.array(value, dtype=object)  # ragged lists become arrays of lists
    if isinstance(value, np.ndarray):
        out = np.empty(value.shape, dtype=object)
        for index in np.ndindex(value.shape):
            element = _exact(value[index])
            if not isinstance(element, Fraction):
                return None
            out[index] = element
        return out
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction, np.number)):
        return None
    if isinstance(value, (float, np.floating)) and not np.isfinite(value):
        return None
    return Fraction(value.item() if isinstance(value, np.generic) else value)


def _you_wrote(typed_value: str, expected: Fraction) -> str:
    """The student's own number, and whether it looks like the right one rounded."""
    if looks_rounded(typed_value, expected):
        return _(
            "you wrote {value}, which looks rounded; write the exact value, for example as a "
            "Fraction"
        ).format(value=typed_value)
    return _("you wrote {value}").format(value=typed_value)


def judge_hand_value(task: HandValueTask, record: CaseRecord) -> CaseVerdict:
    """Judge a hand-computed value exactly against the worked example's Fractions.

    Parameters
    ----------
    task : HandValueTask
        The graded value, from :mod:`autograder.verify.tasks`.
    record : CaseRecord
        The probe's record of the value (``probe_value`` always sends one
        :class:`~autograder.verify.wire.Returned`; anything else is not a value).

    Returns
    -------
    CaseVerdict
        A wrong value is named by the catalogue, or located and echoed as it was
        written (``2.2``, not its binary fraction).
    """
    if not isinstance(record, Returned):
        return CaseVerdict(False, _("no value arrived"))
    expected = task.value
    answer = _exact(record.value)
    if isinstance(answer, np.ndarray) and answer.shape == ():
        answer = answer[()]
    if answer is None:
        return CaseVerdict(False, _("give numbers: ints, Fractions, floats, lists or an array"))
    if isinstance(expected, Fraction):
        if not isinstance(answer, Fraction):
            return CaseVerdict(False, _("give one number"))
        if not task.tolerance.wrong_entries(answer, expected).any():
            return CaseVerdict(True)
        match = task.diagnose(answer)
        if match is not None:
            return CaseVerdict(False, _(match.message), match.key)
        written = _you_wrote(_typed_entry(record.value, ()), expected)
        return CaseVerdict(False, _("the value is not right: {written}").format(written=written))
    if not isinstance(answer, np.ndarray) or answer.shape != expected.shape:
        got = np.shape(answer) if isinstance(answer, np.ndarray) else _("one number")
        return CaseVerdict(
            False,
            _("give an array of shape {shape}, not {got}").format(shape=expected.shape, got=got),
        )
    wrong = task.tolerance.wrong_entries(answer, expected)
    if not wrong.any():
        return CaseVerdict(True)
    match = task.diagnose(answer)
    if match is not None:
        return CaseVerdict(False, _(match.message), match.key)
    first = tuple(int(i) for i in np.argwhere(wrong)[0])
    written = _you_wrote(_typed_entry(record.value, first), expected[first])
    return CaseVerdict(
        False,
        _("entry {index} is not right: {written} ({wrong} of {size} entries are wrong)").format(
            index=list(first), written=written, wrong=int(wrong.sum()), size=wrong.size
        ),
    )


def _typed_entry(value: Any, index: tuple[int, ...]) -> str:
    """One entry of a hand-computed answer, written as the student wrote it."""
    entry = np.array(value, dtype=object)[index] if index else value
    if isinstance(entry, np.ndarray):
        entry = entry[()]
    return typed(entry)
