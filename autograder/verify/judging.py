"""Judging one answer: compare what the probe recorded with the reference's answer.

Shapes must match exactly and values within rtol 1e-7 (with an absolute floor scaled to
the largest expected entry, so round-off near zero is not an error). The five contract
functions and numerical_gradient must return floats. Hand-computed values are compared
exactly with the worked example's Fractions. A wrong answer is named by
:func:`autograder.maths.misconceptions.diagnose` when it matches a catalogued mistake; else the
verdict gives the first wrong position and how far off it is, never the expected value.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from autograder.maths import example, reference
from autograder.maths.misconceptions import INPUT_MODIFIED, INTEGER_RESULT, diagnose
from autograder.verify.challenges import Case
from autograder.verify.wire import Unsupported, WireError, decode

__all__ = ["CaseVerdict", "check_record", "judge_hand_value", "judge_record"]

_RTOL = 1e-7
#: Float results are part of the contract for these (integer input must not truncate).
_FLOAT_RESULT_TASKS = frozenset(
    {
        "conv2d_forward",
        "gap_backward",
        "conv2d_backward_filter",
        "conv2d_backward_input",
        "numerical_gradient",
    }
)
_SCALAR_TASKS = frozenset({"gap_forward", "relative_error"})


@dataclass(frozen=True)
class CaseVerdict:
    """The verdict on one case: passed, or why not (and the misconception's key, if any)."""

    passed: bool
    message: str | None = None
    misconception: str | None = None


def _close(answer: np.ndarray, expected: np.ndarray) -> bool:
    expected = np.asarray(expected, dtype=np.float64)
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    with np.errstate(all="ignore"):
        return bool(np.allclose(answer, expected, rtol=_RTOL, atol=1e-9 * scale))


def _is_real_scalar(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return value.shape == () and value.dtype.kind in "iuf"
    return isinstance(value, (int, float, Fraction)) and not isinstance(value, bool)


def _first_wrong(answer: np.ndarray, expected: np.ndarray) -> str:
    """Where the first wrong entry is and how far off, without the expected value."""
    expected = np.asarray(expected, dtype=np.float64)
    answer = np.asarray(answer, dtype=np.float64)
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    with np.errstate(all="ignore"):
        wrong = ~np.isclose(answer, expected, rtol=_RTOL, atol=1e-9 * scale)
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


def _judge_value(task: str, args: tuple, answer: Any, expected: Any) -> CaseVerdict:
    """Compare one returned answer with the reference's (shapes exact, rtol 1e-7) and,
    when it is wrong, name the catalogued misconception it matches."""
    if task == "conv2d_output_shape" and isinstance(answer, np.ndarray) and answer.ndim == 1:
        # (Ho, Wo) as a numpy array is a fine answer, and the catalogue's mistaken shapes
        # are tuples: compared as an array, a forgotten +1 would go unnamed.
        answer = tuple(answer.tolist())
    verdict = _compare(task, answer, expected)
    if verdict.passed or verdict.misconception is not None:
        return verdict
    match = diagnose(task, args, tuple(answer) if isinstance(answer, list) else answer)
    return verdict if match is None else CaseVerdict(False, match.message, match.key)


def _compare(task: str, answer: Any, expected: Any) -> CaseVerdict:
    if task == "conv2d_output_shape":
        return _judge_shape_tuple(answer, expected)
    if task == "training_step":
        if not (isinstance(answer, (tuple, list)) and len(answer) == 2):
            return CaseVerdict(False, f"returned {_type_name(answer)}; return (new_F, loss)")
        new_F = _judge_array(task, answer[0], expected[0])
        return new_F if not new_F.passed else _judge_scalar(answer[1], expected[1])
    if task in _SCALAR_TASKS:
        return _judge_scalar(answer, expected)
    return _judge_array(task, answer, expected)


def _judge_array(task: str, answer: Any, expected: np.ndarray) -> CaseVerdict:
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
    if not _close(answer, expected):
        return CaseVerdict(False, _first_wrong(answer, expected))
    if task in _FLOAT_RESULT_TASKS and answer.dtype.kind != "f":
        return CaseVerdict(False, INTEGER_RESULT.message, INTEGER_RESULT.key)
    return CaseVerdict(True)


def _judge_scalar(answer: Any, expected: float) -> CaseVerdict:
    if not _is_real_scalar(answer):
        return CaseVerdict(False, f"returned {_type_name(answer)}; it should return one number")
    value = np.array(float(answer))
    if not _close(value, np.array(expected)):
        return CaseVerdict(False, _first_wrong(value, np.array(expected)))
    return CaseVerdict(True)


def _judge_shape_tuple(answer: Any, expected: tuple[int, int]) -> CaseVerdict:
    if not (
        isinstance(answer, (tuple, list))
        and len(answer) == 2
        and all(_is_real_scalar(n) and float(n).is_integer() for n in answer)
    ):
        return CaseVerdict(False, f"returned {_type_name(answer)}; return a tuple (Ho, Wo)")
    if tuple(int(n) for n in answer) != tuple(expected):
        return CaseVerdict(False, "the output shape is wrong")
    return CaseVerdict(True)


def judge_record(task: str, case: Case, record: dict) -> CaseVerdict:
    """Judge what the probe recorded for one challenge case of a graded function.

    Parameters
    ----------
    task : str
        The graded function's name.
    case : Case
        The challenge: its arguments go to the reference, its label to the feedback.
    record : dict
        The probe's decoded record (see :func:`check_record`).

    Returns
    -------
    CaseVerdict
    """
    status = record["status"]
    if status == "timeout":
        return CaseVerdict(
            False, f"did not finish within {record['seconds']:g} s (an endless loop?)"
        )
    if status == "skipped":
        return CaseVerdict(False, "not run, because an earlier case timed out")
    if status == "raised":
        return CaseVerdict(False, f"raised {record['error']}")
    if record["modified"]:
        return CaseVerdict(False, INPUT_MODIFIED.message, INPUT_MODIFIED.key)
    expected = getattr(reference, task)(*case.args)
    return _judge_value(task, case.args, record["value"], expected)


def check_record(raw: Any) -> dict:
    """Validate and decode one case record of a probe payload.

    Parameters
    ----------
    raw : JSON value
        One element of the payload's ``cases``.

    Returns
    -------
    dict
        ``status`` and, by status, ``value`` and ``modified``, ``error`` or ``seconds``.

    Raises
    ------
    WireError
        If the record is malformed.
    """
    if not isinstance(raw, dict):
        raise WireError("a case record must be an object")
    status = raw.get("status")
    if status == "returned":
        if set(raw) != {"status", "value", "modified"} or not isinstance(raw["modified"], bool):
            raise WireError("malformed case record")
        return {"status": status, "value": decode(raw["value"]), "modified": raw["modified"]}
    if status == "raised" and set(raw) == {"status", "error"} and isinstance(raw["error"], str):
        return {"status": status, "error": raw["error"][:300]}
    if status == "timeout" and set(raw) == {"status", "seconds"}:
        seconds = raw["seconds"]
        if isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
            return {"status": status, "seconds": float(seconds)}
    if status == "skipped" and set(raw) == {"status"}:
        return {"status": status}
    raise WireError("malformed case record")


# ---------------------------------------------------------------- hand-computed values


_HAND_VALUES: dict[str, Any] = example.hand_values()


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


def judge_hand_value(task: str, record: dict) -> CaseVerdict:
    """Judge a hand-computed value exactly against the worked example's Fractions.

    Parameters
    ----------
    task : str
        One of ``challenges.HAND_VALUE_TASKS``.
    record : dict
        The probe's decoded record of the value.

    Returns
    -------
    CaseVerdict
    """
    expected = _HAND_VALUES[task]
    answer = _exact(record["value"])
    if isinstance(answer, np.ndarray) and answer.shape == ():
        answer = answer[()]
    if answer is None:
        return CaseVerdict(False, "give numbers: ints, Fractions, floats, lists or an array")
    if isinstance(expected, Fraction):
        if not isinstance(answer, Fraction):
            return CaseVerdict(False, "give one number")
        if answer == expected:
            return CaseVerdict(True)
        match = diagnose(task, (), answer)
        if match is None:
            return CaseVerdict(False, "the value is not right")
        return CaseVerdict(False, match.message, match.key)
    if not isinstance(answer, np.ndarray) or answer.shape != expected.shape:
        got = np.shape(answer) if isinstance(answer, np.ndarray) else "one number"
        return CaseVerdict(False, f"give an array of shape {expected.shape}, not {got}")
    wrong = answer != expected
    if not wrong.any():
        return CaseVerdict(True)
    match = diagnose(task, (), answer)
    if match is not None:
        return CaseVerdict(False, match.message, match.key)
    first = [int(i) for i in np.argwhere(wrong)[0]]
    return CaseVerdict(
        False, f"entry {first} is not right ({int(wrong.sum())} of {wrong.size} entries are wrong)"
    )
