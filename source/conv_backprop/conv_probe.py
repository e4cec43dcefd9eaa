"""Collect answers for the course's trusted grader.

The hidden part of each graded test cell calls :func:`probe` (a function you wrote) or
:func:`probe_value` (a value you computed by hand). This module holds no reference code
and no expected values: it checks nothing by itself.

- **While the trusted grader runs the notebook**, it "arms" every call with challenge
  inputs nobody has seen before. The probe runs your function on each of them, with a
  time limit per call, and records what came back (or the exception, or that an input
  array was changed in place). It sends that record out as cell output; the grader,
  outside this kernel, compares it with the right answers and writes the verdict.
- **When you run it yourself**, it is not armed. It says so in one line and checks only
  that it was given something it could send.

Standard library and numpy only: it runs in the student runtime.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import threading
import warnings
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

__all__ = ["MIME_TYPE", "claimed_gradient", "probe", "probe_value", "scalar_function"]

#: The MIME type of the answers the probe sends to the grader.
MIME_TYPE = "application/vnd.conv-backprop.probe+json"
_PROTOCOL = 1
#: Arrays larger than this are not sent; the grader sees only their shape.
_MAX_ELEMENTS = 100_000
_MAX_DEPTH = 6
_MAX_ITEMS = 10_000


# ------------------------------------------------------------------ the wire format
# Values travel as JSON objects with one tag key. Floats go as float.hex strings and
# arrays as base64 bytes, so every value arrives bit for bit (NaN and inf included).


def _encode(value: Any, depth: int = 0) -> dict:
    """Encode one value (an answer or a challenge argument) for the grader."""
    if depth > _MAX_DEPTH:
        return _unsupported(value)
    if isinstance(value, np.ndarray):
        return _encode_array(value, depth)
    if isinstance(value, (bool, np.bool_)):
        return {"bool": bool(value)}
    if isinstance(value, (int, np.integer)):
        return {"int": str(int(value))}
    if isinstance(value, (float, np.floating)):
        return {"float": float(value).hex()}
    if isinstance(value, Fraction):
        return {"fraction": [str(value.numerator), str(value.denominator)]}
    if isinstance(value, (tuple, list)) and len(value) <= _MAX_ITEMS:
        tag = "tuple" if isinstance(value, tuple) else "list"
        return {tag: [_encode(item, depth + 1) for item in value]}
    if value is None:
        return {"none": None}
    return _unsupported(value)


def _encode_array(A: np.ndarray, depth: int) -> dict:
    if A.size > _MAX_ELEMENTS:
        return _unsupported(A)
    if A.dtype.kind in "biuf":
        data = np.ascontiguousarray(A)
        return {
            "array": {
                "dtype": data.dtype.str,
                "shape": list(data.shape),
                "data": base64.b64encode(data.tobytes()).decode("ascii"),
            }
        }
    if A.dtype == object:
        return {
            "object_array": {
                "shape": list(A.shape),
                "items": [_encode(item, depth + 1) for item in A.ravel().tolist()],
            }
        }
    return _unsupported(A)


def _unsupported(value: Any) -> dict:
    description = {"type": type(value).__name__}
    if isinstance(value, np.ndarray):
        description["dtype"] = str(value.dtype)
        description["shape"] = list(value.shape)
    return {"unsupported": description}


def _decode(encoded: dict) -> Any:
    """Decode a challenge argument the grader sent (the inverse of :func:`_encode`)."""
    ((tag, body),) = encoded.items()
    if tag == "array":
        flat = np.frombuffer(base64.b64decode(body["data"]), dtype=np.dtype(body["dtype"]))
        return flat.reshape(body["shape"]).copy()
    if tag == "int":
        return int(body)
    if tag == "float":
        return float.fromhex(body)
    if tag == "bool":
        return bool(body)
    if tag == "tuple":
        return tuple(_decode(item) for item in body)
    if tag == "list":
        return [_decode(item) for item in body]
    if tag == "scalar_function":
        return scalar_function(_decode(body["C"]), _decode(body["D"]))
    if tag == "claimed_gradient":
        expects = tuple(_decode(arg) for arg in body["expects"])
        return claimed_gradient(_decode(body["gradient"]), expects, str(body["call"]))
    raise ValueError(f"unknown challenge value {tag!r}")


def scalar_function(C: np.ndarray, D: np.ndarray) -> Callable[[np.ndarray], float]:
    """The scalar test function numerical_gradient is probed with.

    ``f(Y) = sum(C * sin(Y)) + sum(D * Y**2)``, whose gradient is
    ``C * cos(Y) + 2 * D * Y``. The grader evaluates the same formula on its side.

    Parameters
    ----------
    C, D : arrays of shape (H, W)
        The coefficients, drawn by the grader.

    Returns
    -------
    callable taking an array of shape (H, W) and returning a float
    """

    def f(Y: np.ndarray) -> float:
        Y = np.asarray(Y, dtype=np.float64)
        return float(np.sum(C * np.sin(Y)) + np.sum(D * Y * Y))

    return f


def claimed_gradient(
    gradient: np.ndarray, expects: tuple[np.ndarray, ...], call: str
) -> Callable[..., np.ndarray]:
    """A stand-in backward function for probing gradient_check.

    It claims a gradient, right or wrong, as the grader chose. The grader builds the same
    stand-in on its side.

    Parameters
    ----------
    gradient : array of shape (m, n)
        The gradient it claims.
    expects : tuple of arrays
        The arguments a gradient check must call it with: (X, dO) for backward_filter,
        (dO, F) for backward_input.
    call : str
        How it must be called, e.g. ``"backward_filter(X, dO)"``.

    Returns
    -------
    callable
        Called with arrays equal to ``expects`` (same shapes and values), it returns a
        fresh float copy of ``gradient``; otherwise it raises a ValueError saying how it
        must be called.
    """
    gradient = np.array(gradient, dtype=np.float64)

    def backward(*args: Any) -> np.ndarray:
        if len(args) != len(expects) or not all(
            np.shape(got) == want.shape and np.array_equal(got, want)
            for got, want in zip(args, expects, strict=True)
        ):
            raise ValueError(f"call {call}, with the X, F and dO you were given")
        return gradient.copy()

    return backward


# ---------------------------------------------------------------- running a call


class _CallTimedOut(BaseException):
    """Raised inside a call that ran past its limit (a BaseException: `except Exception`
    in the student's code must not swallow it)."""


class _Discard:
    """A text stream that drops what is written: output during probe calls is noise."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


@contextlib.contextmanager
def _time_limit(seconds: float):
    """Interrupt the block after ``seconds`` of wall time (main thread only)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def _on_alarm(signum, frame):
        raise _CallTimedOut

    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _snapshot(args: tuple) -> list:
    return [arg.copy() if isinstance(arg, np.ndarray) else None for arg in args]


def _was_modified(args: tuple, before: list) -> bool:
    for arg, copy in zip(args, before, strict=True):
        if copy is None:
            continue
        if (
            not isinstance(arg, np.ndarray)
            or arg.shape != copy.shape
            or arg.dtype != copy.dtype
            or not np.array_equal(arg, copy, equal_nan=True)
        ):
            return True
    return False


def _describe_exception(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= 300 else text[:297] + "..."


def _run_case(func: Callable, args: tuple, seconds: float) -> dict:
    before = _snapshot(args)
    try:
        with (
            _time_limit(seconds),
            contextlib.redirect_stdout(_Discard()),
            contextlib.redirect_stderr(_Discard()),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore")
            answer = func(*args)
    except _CallTimedOut:
        return {"status": "timeout", "seconds": seconds}
    except (Exception, SystemExit) as error:  # sys.exit() in an answer is an answer too
        return {"status": "raised", "error": _describe_exception(error)}
    return {"status": "returned", "value": _encode(answer), "modified": _was_modified(args, before)}


# ------------------------------------------------------------------- public API


def _armed(task: str, challenge: str | None) -> dict | None:
    """The grader's challenge for this call, or None when the call is not armed."""
    if challenge is None:
        if os.environ.get("NBGRADER_EXECUTION") == "autograde":
            # nbgrader is grading, yet nobody armed the call: the trusted grader is not
            # active. Failing here makes stock grading score this cell 0, not a pass.
            raise RuntimeError(
                "conv_probe was not armed by the trusted grader: this cell cannot be "
                "verified, so it earns no points. (Instructors: check that the course's "
                "nbgrader_config.py loads without errors.)"
            )
        return None
    armed = json.loads(challenge)
    if armed.get("protocol") != _PROTOCOL or armed.get("task") != task:
        raise RuntimeError(f"conv_probe was armed for another task than {task!r}")
    return armed


def _emit(payload: dict, summary: str) -> None:
    try:
        from IPython.display import display
    except ImportError:  # plain Python: nobody to send it to, say what happened
        print(summary)
        return
    display({MIME_TYPE: payload, "text/plain": summary}, raw=True)


def probe(task: str, func: Callable, challenge: str | None = None) -> None:
    """Run a function you wrote on the grader's challenge inputs and send the answers.

    Parameters
    ----------
    task : str
        The graded task's name, e.g. ``"conv2d_forward"``.
    func : callable
        Your implementation of it.
    challenge : str or None
        Set by the trusted grader only (a JSON document of inputs). Without it the call
        only says that answers are collected at grading time.
    """
    armed = _armed(task, challenge)
    if armed is None:
        state = "is callable" if callable(func) else "is NOT callable: define it as a function"
        print(
            f"conv_probe: `{task}` {state}. Its answers are collected and checked only "
            "when the course's grader runs this notebook; the visible checks are your "
            "feedback now."
        )
        return
    seconds = float(armed["seconds"])
    results: list[dict] = []
    timed_out = False
    for encoded_args in armed["cases"]:
        if timed_out:
            # One slow case is enough evidence; the rest would only burn the cell's time.
            results.append({"status": "skipped"})
            continue
        args = tuple(_decode(arg) for arg in encoded_args)
        results.append(_run_case(func, args, seconds))
        timed_out = results[-1]["status"] == "timeout"
    payload = {"protocol": _PROTOCOL, "nonce": armed["nonce"], "task": task, "cases": results}
    _emit(payload, f"conv_probe: answers for `{task}` collected for the grader.")


def probe_value(task: str, value: Any, challenge: str | None = None) -> None:
    """Send a value you computed by hand (an int, Fraction, float, list or array).

    Parameters
    ----------
    task : str
        The value's name, e.g. ``"dF_by_hand"``.
    value : number, nested list or array
        Your value. Fractions, integers and exact floats such as 2.25 are all fine.
    challenge : str or None
        Set by the trusted grader only.
    """
    armed = _armed(task, challenge)
    encoded = _encode(value)
    if armed is None:
        sendable = "unsupported" not in json.dumps(encoded)
        state = "holds numbers" if sendable else "holds something other than numbers"
        print(
            f"conv_probe: `{task}` {state}. It is checked only when the course's grader "
            "runs this notebook; the visible checks are your feedback now."
        )
        return
    case = {"status": "returned", "value": encoded, "modified": False}
    payload = {"protocol": _PROTOCOL, "nonce": armed["nonce"], "task": task, "cases": [case]}
    _emit(payload, f"conv_probe: `{task}` collected for the grader.")
