"""Judging one answer: compare what the probe recorded with the right answer.

A graded function's answer must have the form its task's :class:`Result` asks for, the
reference's shape exactly, and values within the task's tolerance
(:mod:`autograder.maths.tolerance`); a float result, where the task asks for one, comes
last. Hand-computed values are compared exactly with the worked example's Fractions. A
wrong answer is named by its task's catalogue when it matches a typical mistake; else
the verdict gives the first wrong position and how far off it is, never the expected
value.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from autograder.maths.misconceptions import INPUT_MODIFIED, INTEGER_RESULT
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

__all__ = ["CaseVerdict", "judge_hand_value", "judge_record"]


@dataclass(frozen=True)
class CaseVerdict:
    """The verdict on one case: passed, or why not (and the misconception's key, if any)."""

    passed: bool
    message: str | None = None
    misconception: str | None = None


def _is_real_scalar(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return value.shape == () and value.dtype.kind in "iuf"
    return isinstance(value, (int, float, Fraction)) and not isinstance(value, bool)


def _first_wrong(answer: np.ndarray, expected: np.ndarray, tolerance: Tolerance) -> str:
    """Where the first wrong entry is and how far off, without the expected value."""
    expected = np.asarray(expected, dtype=np.float64)
    answer = np.asarray(answer, dtype=np.float64)
    wrong = tolerance.wrong_entries(answer, expected)
    index = tuple(int(i) for i in np.argwhere(wrong)[0])
    a, e = answer[index], expected[index]
    if not np.isfinite(a):
        how = f"it is {a}"
    else:
        how = f"off by {abs(a - e) / max(abs(a), abs(e)):.0%} of its size"
    where = f"entry {list(index)}" if index else "the value"
    return f"{where} is wrong ({how}); {int(wrong.sum())} of {wrong.size} entries are wrong"


def _type_name(value: Any) -> str:
    if isinstance(value, Unsupported):
        if value.dtype is not None:
            return f"an array of dtype {value.dtype} and shape {value.shape}"
        return f"a {value.type_name}"
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype}"
    return f"a {type(value).__name__}"


def _judge_value(task: FunctionTask, args: tuple, answer: Any, expected: Any) -> CaseVerdict:
    """Compare one returned answer with the reference's and, when it is wrong, name the
    catalogued misconception it matches."""
    if _numbers_only(task.result) and isinstance(answer, np.ndarray) and answer.ndim == 1:
        # (Ho, Wo) or (error_dF, error_dX) as a numpy array is a fine answer, and the
        # catalogue's mistaken answers are tuples: compared as an array, a forgotten +1
        # would go unnamed.
        answer = tuple(answer.tolist())
    verdict = _compare(task.result, answer, expected, task.tolerance)
    if verdict.passed or verdict.misconception is not None:
        return verdict
    match = task.diagnose(args, tuple(answer) if isinstance(answer, list) else answer)
    return verdict if match is None else CaseVerdict(False, match.message, match.key)


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
            names = ", ".join(result.names)
            return CaseVerdict(False, f"returned {_type_name(answer)}; return ({names})")
        parts = zip(result.names, result.parts, answer, expected, strict=True)
        for name, part, part_answer, part_expected in parts:
            verdict = _compare(part, part_answer, part_expected, tolerance)
            if verdict.misconception is not None:  # the catalogue's sentence names the part
                return verdict
            if not verdict.passed:
                return CaseVerdict(False, f"{name}: {verdict.message}")
        return CaseVerdict(True)
    if result.kind == "number":
        return _judge_number(answer, expected, tolerance)
    return _judge_array(result, answer, expected, tolerance)


def _judge_array(
    result: Result, answer: Any, expected: np.ndarray, tolerance: Tolerance
) -> CaseVerdict:
    if not (isinstance(answer, np.ndarray) and answer.dtype.kind in "biuf"):
        return CaseVerdict(
            False, f"returned {_type_name(answer)}; it should return a numpy array of numbers"
        )
    if answer.shape != expected.shape:
        return CaseVerdict(
            False,
            f"returned shape {answer.shape}; for these inputs the result has shape "
            f"{expected.shape}",
        )
    if tolerance.wrong_entries(answer, expected).any():
        return CaseVerdict(False, _first_wrong(answer, expected, tolerance))
    if result.floats and answer.dtype.kind != "f":
        return CaseVerdict(False, INTEGER_RESULT.message, INTEGER_RESULT.key)
    return CaseVerdict(True)


def _judge_number(answer: Any, expected: float, tolerance: Tolerance) -> CaseVerdict:
    if not _is_real_scalar(answer):
        return CaseVerdict(False, f"returned {_type_name(answer)}; it should return one number")
    value = np.array(float(answer))
    if tolerance.wrong_entries(value, expected).any():
        return CaseVerdict(False, _first_wrong(value, np.array(expected), tolerance))
    return CaseVerdict(True)


def _judge_shape(result: Result, answer: Any, expected: tuple[int, ...]) -> CaseVerdict:
    if not (
        isinstance(answer, (tuple, list))
        and len(answer) == len(result.names)
        and all(_is_real_scalar(n) and float(n).is_integer() for n in answer)
    ):
        names = ", ".join(result.names)
        return CaseVerdict(False, f"returned {_type_name(answer)}; return a tuple ({names})")
    if tuple(int(n) for n in answer) != tuple(expected):
        return CaseVerdict(False, "the output shape is wrong")
    return CaseVerdict(True)


def judge_record(task: FunctionTask, case: Case, record: CaseRecord) -> CaseVerdict:
    """Judge what the probe recorded for one challenge case of a graded function.

    Parameters
    ----------
    task : FunctionTask
        The graded function, from :mod:`autograder.verify.tasks`.
    case : Case
        The challenge: its arguments go to the reference, its label to the feedback.
    record : CaseRecord
        What the probe recorded for it (:func:`autograder.verify.wire.decode_payload`).

    Returns
    -------
    CaseVerdict
    """
    if isinstance(record, TimedOut):
        return CaseVerdict(False, f"did not finish within {record.seconds:g} s (an endless loop?)")
    if isinstance(record, Skipped):
        return CaseVerdict(False, "not run, because an earlier case timed out")
    if isinstance(record, Raised):
        return CaseVerdict(False, f"raised {record.error}")
    if record.modified:
        return CaseVerdict(False, INPUT_MODIFIED.message, INPUT_MODIFIED.key)
    expected = task.reference(*case.args)
    return _judge_value(task, case.args, record.value, expected)


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
    """
    if not isinstance(record, Returned):
        return CaseVerdict(False, "no value arrived")
    expected = task.value
    answer = _exact(record.value)
    if isinstance(answer, np.ndarray) and answer.shape == ():
        answer = answer[()]
    if answer is None:
        return CaseVerdict(False, "give numbers: ints, Fractions, floats, lists or an array")
    if isinstance(expected, Fraction):
        if not isinstance(answer, Fraction):
            return CaseVerdict(False, "give one number")
        if not task.tolerance.wrong_entries(answer, expected).any():
            return CaseVerdict(True)
        match = task.diagnose(answer)
        if match is None:
            return CaseVerdict(False, "the value is not right")
        return CaseVerdict(False, match.message, match.key)
    if not isinstance(answer, np.ndarray) or answer.shape != expected.shape:
        got = np.shape(answer) if isinstance(answer, np.ndarray) else "one number"
        return CaseVerdict(False, f"give an array of shape {expected.shape}, not {got}")
    wrong = task.tolerance.wrong_entries(answer, expected)
    if not wrong.any():
        return CaseVerdict(True)
    match = task.diagnose(answer)
    if match is not None:
        return CaseVerdict(False, match.message, match.key)
    first = [int(i) for i in np.argwhere(wrong)[0]]
    return CaseVerdict(
        False, f"entry {first} is not right ({int(wrong.sum())} of {wrong.size} entries are wrong)"
    )
