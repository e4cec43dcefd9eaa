"""Visible checks for the conv-backprop notebooks.

Each ``check_<task>`` runs your answer on the worked example (or, where a task has no
example input, a small fixed one), prints one line when it is right, and raises an
``AssertionError`` when it is not. The message names the typical mistake your answer
looks like, or else the first wrong entry.

This file holds no reference implementation: the expected values are literal numbers in
``conv_checks_expected.json`` beside it, written by ``make notebooks`` (a command for the
course's authors) from the course's reference code and its catalogue
of typical mistakes. Passing these checks on one example does not prove a function right;
the hidden tests run it on inputs nobody has seen.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

__all__ = [
    "EXPECTED_FILE",
    "answers_match",
    "check_O_by_hand",
    "check_Z_by_hand",
    "check_conv2d_backward_filter",
    "check_conv2d_backward_input",
    "check_conv2d_forward",
    "check_conv2d_output_shape",
    "check_dF_by_hand",
    "check_dO_by_hand",
    "check_dX_by_hand",
    "check_gap_backward",
    "check_gap_forward",
    "check_jacobian_output_wrt_filter",
    "check_jacobian_output_wrt_input",
    "check_numerical_gradient",
    "check_pad2d",
    "check_relative_error",
    "check_rot180",
    "check_training_step",
    "cube_sum",
    "example_arguments",
]

EXPECTED_FILE = Path(__file__).with_name("conv_checks_expected.json")


# ------------------------------------------------------------- example inputs


def cube_sum(W: np.ndarray) -> float:
    """The fixed function whose gradient the numerical-gradient check estimates.

    Parameters
    ----------
    W : array of any shape
        The point.

    Returns
    -------
    float
        ``sum(W ** 3) / 3``, whose exact gradient is ``W ** 2``.
    """
    return float(np.sum(np.asarray(W, dtype=float) ** 3)) / 3


def example_arguments() -> dict[str, list[tuple]]:
    """Fresh arguments for every check of a function, built anew on each call.

    Fresh arrays let a check see whether the function changed its inputs in place.

    Returns
    -------
    dict from a task name to a list of argument tuples
        The worked example's X (3, 3), F (2, 2), O (2, 2) and dL/dO (2, 2), plus a
        small fixed example where a task takes something else.
    """
    X = np.array([[2, 3, 4], [3, 1, 5], [4, -1, -2]])
    F = np.array([[0, 3], [1, -2]])
    O = np.array([[10, 3], [9, 18]])
    dO = np.full((2, 2), 0.25)
    dF = np.array([[2.25, 3.25], [1.75, 0.75]])
    return {
        "conv2d_output_shape": [((3, 3), (2, 2)), ((5, 4), (2, 3))],
        "conv2d_forward": [(X, F)],
        "gap_forward": [(O,)],
        "gap_backward": [(1, (2, 2))],
        "jacobian_output_wrt_filter": [(X, (2, 2))],
        "conv2d_backward_filter": [(X, dO)],
        "jacobian_output_wrt_input": [((3, 3), F)],
        "pad2d": [(O, 1), (O, (1, 2))],
        "rot180": [(F,)],
        "conv2d_backward_input": [(dO, F)],
        "numerical_gradient": [(cube_sum, F, 1e-5)],
        "relative_error": [(dF, dF + np.array([[0.0, 0.01], [-0.02, 0.0]]))],
        "training_step": [(X, F, 12, 0.1)],
    }


# ------------------------------------------------------------- expected values


def _decode(encoded: Any) -> Any:
    """Turn the JSON form back into arrays, tuples, floats and Fractions."""
    if isinstance(encoded, dict):
        if "array" in encoded:
            return np.array(_decode(encoded["array"]), dtype=object if encoded["exact"] else float)
        return tuple(_decode(part) for part in encoded["tuple"])
    if isinstance(encoded, list):
        return [_decode(part) for part in encoded]
    if isinstance(encoded, str):
        return Fraction(encoded)
    return encoded


@functools.cache
def _expected() -> dict[str, Any]:
    data = json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))
    for cases in data["tasks"].values():
        for case in cases:
            case["expected"] = _decode(case["expected"])
            for mistake in case["mistakes"]:
                mistake["answer"] = _decode(mistake["answer"])
    return data


# ------------------------------------------------------------------ comparing


def _is_integer_array(value: Any) -> bool:
    return isinstance(value, np.ndarray) and (
        np.issubdtype(value.dtype, np.integer) or value.dtype == bool
    )


def _wrong_entries(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Where an answer misses: ``|a - e| > rtol * |e| + atol * max(1, max |E|)``.

    The course's one tolerance rule; the grader's hidden tests apply the same, and its
    numbers come with the expected values.
    """
    tolerance = _expected()["tolerance"]
    scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
    with np.errstate(all="ignore"):
        return ~np.isclose(got, want, rtol=tolerance["rtol"], atol=tolerance["atol"] * scale)


def answers_match(answer: Any, expected: Any) -> bool:
    """Whether an answer equals an expected one: same structure and shapes, close values.

    Parameters
    ----------
    answer : array, number, or tuple of them
        What a function returned.
    expected : array, number, or tuple of them
        The value to compare with; a tuple asks for a tuple (or list) of the same length.

    Returns
    -------
    bool
        True when every part has the expected shape and every entry ``a`` is within
        ``rtol * |e| + atol * max(1, max |E|)`` of the expected entry ``e`` (``E`` the
        whole expected part; ``rtol`` and ``atol`` from ``conv_checks_expected.json``).
    """
    if isinstance(expected, tuple):
        return (
            isinstance(answer, (tuple, list))
            and len(answer) == len(expected)
            and all(answers_match(a, e) for a, e in zip(answer, expected, strict=True))
        )
    try:
        got = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return False
    want = np.asarray(expected, dtype=float)
    return got.shape == want.shape and not _wrong_entries(got, want).any()


def _first_difference(answer: Any, expected: Any, part: str = "") -> str:
    """Describe where a wrong answer first departs from the expected one."""
    if isinstance(expected, tuple):
        if not isinstance(answer, (tuple, list)) or len(answer) != len(expected):
            return f"expected a tuple of {len(expected)} values, got {answer!r}"
        for index, (a, e) in enumerate(zip(answer, expected, strict=True)):
            if not answers_match(a, e):
                return _first_difference(a, e, f"part {index} of the result: ")
    try:
        got = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return f"{part}expected numbers, got {answer!r}"
    want = np.asarray(expected, dtype=float)
    if got.shape != want.shape:
        return f"{part}expected shape {want.shape}, got shape {got.shape}"
    if want.ndim == 0:
        return f"{part}expected {float(want):.10g}, got {float(got):.10g}"
    index = tuple(int(i) for i in np.argwhere(_wrong_entries(got, want))[0])
    return (
        f"{part}first wrong entry at {list(index)}: "
        f"expected {want[index]:.10g}, got {got[index]:.10g}"
    )


def _pair_from_array(answer: Any, expected: Any) -> Any:
    """A pair such as (Ho, Wo) returned as a 1-D numpy array counts as the pair it holds."""
    if (
        isinstance(expected, tuple)
        and isinstance(answer, np.ndarray)
        and answer.ndim == 1
        and answer.dtype.kind in "iuf"
    ):
        return tuple(answer.tolist())
    return answer


def _unchanged(args: tuple, before: tuple) -> bool:
    for arg, old in zip(args, before, strict=True):
        if isinstance(arg, np.ndarray) and not (
            arg.shape == old.shape and np.array_equal(arg, old)
        ):
            return False
    return True


# The checks' own frames carry __tracebackhide__, so IPython leaves them out of a
# traceback; it always shows the frame that raises, so that is this short one, and a
# student reads their call, then the message.
def _fail(message: str) -> NoReturn:
    """Stop the check with this message."""
    raise AssertionError(message) from None


def _check_function(task: str, func: Callable) -> None:
    __tracebackhide__ = True
    data = _expected()
    for case, args in zip(data["tasks"][task], example_arguments()[task], strict=True):
        before = copy.deepcopy(args)
        answer = _pair_from_array(func(*args), case["expected"])
        if not _unchanged(args, before):
            _fail(f"{task}: {data['input_modified']}")
        if not answers_match(answer, case["expected"]):
            for mistake in case["mistakes"]:
                if answers_match(answer, mistake["answer"]):
                    _fail(f"{task}: {mistake['message']}")
            _fail(f"{task}: {_first_difference(answer, case['expected'])}.")
        parts = answer if isinstance(answer, tuple) else (answer,)
        if any(_is_integer_array(part) for part in parts):
            _fail(f"{task}: {data['integer_result']}")
    print(f"{task}: correct on the worked example.")


# ----------------------------------------------------------- exact hand values


def _exact(value: Any) -> np.ndarray:
    """An object array of Fractions; raises ValueError for anything inexact or not numeric."""
    array = np.array(value, dtype=object)
    exact = np.empty(array.shape, dtype=object)
    for index in np.ndindex(array.shape):
        element = array[index]
        if isinstance(element, np.generic):
            element = element.item()
        if isinstance(element, bool) or not isinstance(element, (int, float, Fraction)):
            raise ValueError(f"{element!r} is not a number")
        exact[index] = Fraction(element)
    return exact


def _check_by_hand(task: str, value: Any) -> None:
    __tracebackhide__ = True
    case = _expected()["tasks"][task][0]
    expected = np.array(case["expected"], dtype=object)
    try:
        exact = _exact(value)
    except (TypeError, ValueError) as error:
        _fail(
            f"{task}: write numbers only (ints or Fractions, nested lists for a matrix): {error}."
        )
    if exact.shape != expected.shape:
        _fail(f"{task}: expected shape {expected.shape}, got shape {exact.shape}.")
    if np.array_equal(exact, expected):
        print(f"{task}: exactly right.")
        return
    for mistake in case["mistakes"]:
        wrong = np.array(mistake["answer"], dtype=object)
        if wrong.shape == exact.shape and np.array_equal(exact, wrong):
            _fail(f"{task}: {mistake['message']}")
    index = next(i for i in np.ndindex(exact.shape) if exact[i] != expected[i])
    position = f" at {list(index)}" if index else ""
    _fail(f"{task}: the value{position} is not right yet (you wrote {exact[index]}).")


# ------------------------------------------------------------------ the checks


def check_conv2d_output_shape(conv2d_output_shape: Callable) -> None:
    """Check the output-shape rule on (3, 3) with (2, 2) and on (5, 4) with (2, 3)."""
    __tracebackhide__ = True
    _check_function("conv2d_output_shape", conv2d_output_shape)


def check_conv2d_forward(conv2d_forward: Callable) -> None:
    """Check the forward pass on the worked example's X and F."""
    __tracebackhide__ = True
    _check_function("conv2d_forward", conv2d_forward)


def check_gap_forward(gap_forward: Callable) -> None:
    """Check global average pooling on the worked example's O."""
    __tracebackhide__ = True
    _check_function("gap_forward", gap_forward)


def check_gap_backward(gap_backward: Callable) -> None:
    """Check the GAP gradient for dL/dZ = 1 and a 2x2 map."""
    __tracebackhide__ = True
    _check_function("gap_backward", gap_backward)


def check_jacobian_output_wrt_filter(jacobian_output_wrt_filter: Callable) -> None:
    """Check dO/dF on the worked example's X with a 2x2 filter."""
    __tracebackhide__ = True
    _check_function("jacobian_output_wrt_filter", jacobian_output_wrt_filter)


def check_conv2d_backward_filter(conv2d_backward_filter: Callable) -> None:
    """Check dL/dF on the worked example's X and dL/dO."""
    __tracebackhide__ = True
    _check_function("conv2d_backward_filter", conv2d_backward_filter)


def check_jacobian_output_wrt_input(jacobian_output_wrt_input: Callable) -> None:
    """Check dO/dX for a 3x3 input and the worked example's F."""
    __tracebackhide__ = True
    _check_function("jacobian_output_wrt_input", jacobian_output_wrt_input)


def check_pad2d(pad2d: Callable) -> None:
    """Check padding the worked example's O by 1, and by (1, 2)."""
    __tracebackhide__ = True
    _check_function("pad2d", pad2d)


def check_rot180(rot180: Callable) -> None:
    """Check rotating the worked example's F."""
    __tracebackhide__ = True
    _check_function("rot180", rot180)


def check_conv2d_backward_input(conv2d_backward_input: Callable) -> None:
    """Check dL/dX on the worked example's dL/dO and F."""
    __tracebackhide__ = True
    _check_function("conv2d_backward_input", conv2d_backward_input)


def check_numerical_gradient(numerical_gradient: Callable) -> None:
    """Check central differences of sum(W**3)/3 at the worked example's F, h = 1e-5."""
    __tracebackhide__ = True
    _check_function("numerical_gradient", numerical_gradient)


def check_relative_error(relative_error: Callable) -> None:
    """Check the relative error between dL/dF and a slightly wrong copy of it."""
    __tracebackhide__ = True
    _check_function("relative_error", relative_error)


def check_training_step(training_step: Callable) -> None:
    """Check one step on the worked example with target 12 and learning rate 0.1."""
    __tracebackhide__ = True
    _check_function("training_step", training_step)


def check_O_by_hand(O_by_hand: Any) -> None:
    """Check the worked example's O, exactly."""
    __tracebackhide__ = True
    _check_by_hand("O_by_hand", O_by_hand)


def check_Z_by_hand(Z_by_hand: Any) -> None:
    """Check the worked example's Z, exactly."""
    __tracebackhide__ = True
    _check_by_hand("Z_by_hand", Z_by_hand)


def check_dO_by_hand(dO_by_hand: Any) -> None:
    """Check the worked example's dL/dO, exactly."""
    __tracebackhide__ = True
    _check_by_hand("dO_by_hand", dO_by_hand)


def check_dF_by_hand(dF_by_hand: Any) -> None:
    """Check the worked example's dL/dF, exactly."""
    __tracebackhide__ = True
    _check_by_hand("dF_by_hand", dF_by_hand)


def check_dX_by_hand(dX_by_hand: Any) -> None:
    """Check the worked example's dL/dX, exactly."""
    __tracebackhide__ = True
    _check_by_hand("dX_by_hand", dX_by_hand)
