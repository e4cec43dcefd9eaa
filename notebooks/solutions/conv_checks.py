"""Visible checks for the conv-backprop notebooks.

Each ``check_<task>`` runs your function on the worked example (or, where a task has no
example input, a small fixed one), then on at least one more example of other shapes,
not square, with upstream gradients that differ from entry to entry. It prints one line
when every example is right, and raises an ``AssertionError`` at the first that is not,
saying which: "correct on the worked example, wrong on a 4x7 input with a 3x1 filter:
...". The message names the typical mistake your answer looks like, or else the first
wrong entry. When your function raises an error, the error is yours to read; a note
under it says on which example it came. Everything is said in the notebook's language
(``conv_language.use``): the messages, the mistakes' sentences and the examples' names.

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
import re
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any, NoReturn

import conv_language
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
    "check_conv_layer_backward",
    "check_conv_layer_backward_vectorised",
    "check_conv_layer_forward",
    "check_conv_layer_forward_vectorised",
    "check_conv_layer_output_shape",
    "check_dF_by_hand",
    "check_dO_by_hand",
    "check_dX_by_hand",
    "check_gap_backward",
    "check_gap_forward",
    "check_gradient_check",
    "check_jacobian_output_wrt_filter",
    "check_jacobian_output_wrt_input",
    "check_max_pool_backward",
    "check_max_pool_forward",
    "check_numerical_gradient",
    "check_pad2d",
    "check_relative_error",
    "check_rot180",
    "check_training_step",
    "example_arguments",
    "third_of_cube_sum",
]

EXPECTED_FILE = Path(__file__).with_name("conv_checks_expected.json")
# What the checks say, in the notebook's language (``conv_language.use``).
_ = conv_language.gettext
plain_text = conv_language.plain_text


def N_(text: str) -> str:
    """Mark ``text`` for translation where it is defined; it is translated where said
    (with ``_``, in the notebook's language: ``conv_language``)."""
    return text


def _and(items: list[str], on: bool = False) -> str:
    """``a``, ``a and b``, ``a and b and c`` (``and on`` between them when ``on``)."""
    template = _("{items} and on {last}") if on else _("{items} and {last}")
    said = items[0]
    for item in items[1:]:
        said = template.format(items=said, last=item)
    return said


# ------------------------------------------------------------- example inputs


def third_of_cube_sum(W: np.ndarray) -> float:
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


def _claimed_gradient(gradient: list, call: str, *expected_args: np.ndarray) -> Callable:
    """A stand-in backward function for checking a gradient check.

    Parameters
    ----------
    gradient : nested list of shape (m, n)
        The gradient it claims, right or wrong; returned as a fresh float array.
    call : str
        How a gradient check must call it, e.g. ``"backward_filter(X, dO)"``.
    *expected_args : arrays
        The arguments that call passes; any others fail the check with ``call``.

    Returns
    -------
    callable
        The stand-in.
    """

    def backward(*args: Any) -> np.ndarray:
        __tracebackhide__ = True
        if len(args) != len(expected_args) or not all(
            np.shape(got) == want.shape and np.array_equal(got, want)
            for got, want in zip(args, expected_args, strict=True)
        ):
            _fail(
                _("gradient_check: call {call}, with the X, F and dO you were given.").format(
                    call=call
                )
            )
        return np.array(gradient, dtype=float)

    return backward


def _gradient_check_arguments() -> list[tuple[str, tuple]]:
    """Two claims to check: the right gradients on a 3x4 input, then, on a 3x5 input,
    dF rotated by 180 degrees with dX from an unrotated F (two typical mistakes)."""
    X = np.array([[3, 5, 5, 2], [4, 4, 2, 2], [3, 4, 2, 4]])
    F = np.array([[2, 1, 2], [3, 3, 2]])
    dO = np.array([[1, 3], [1, 3]])
    right_dF = [[34, 30, 19], [31, 20, 22]]
    right_dX = [[2, 7, 5, 6], [5, 19, 16, 12], [3, 12, 11, 6]]
    X35 = np.array([[1, 4, 2, 5, 3], [2, 1, 3, 1, 4], [5, 2, 1, 2, 1]])
    F22 = np.array([[2, 1], [1, 3]])
    dO24 = np.array([[1, 2, 1, 3], [2, 1, 3, 1]])
    rotated_dF = [[32, 27], [34, 41]]  # the right dF is [[41, 34], [27, 32]]
    unrotated_dX = [[3, 7, 5, 10, 3], [7, 9, 15, 11, 7], [2, 5, 5, 7, 2]]
    claims = (
        (N_("a 3x4 input with the right gradients"), right_dF, right_dX, (X, F, dO)),
        (
            N_("a 3x5 input with dF rotated and dX from an unrotated F"),
            rotated_dF,
            unrotated_dX,
            (X35, F22, dO24),
        ),
    )
    cases = []
    for description, dF, dX, (X_, F_, dO_) in claims:
        backward_filter = _claimed_gradient(dF, "backward_filter(X, dO)", X_, dO_)
        backward_input = _claimed_gradient(dX, "backward_input(dO, F)", dO_, F_)
        cases.append((description, (backward_filter, backward_input, X_, F_, dO_)))
    return cases


def example_arguments() -> dict[str, list[tuple[str, tuple]]]:
    """Fresh arguments for every check of a function, built anew on each call.

    Fresh arrays let a check see whether the function changed its inputs in place.

    Returns
    -------
    dict from a task name to a list of (description, arguments)
        First the worked example's X (3, 3), F (2, 2), O (2, 2) and dL/dO (2, 2), or a
        small fixed example where a task takes something else (for ``gradient_check``,
        stand-in backward functions that claim literal gradients on a 3x4 input); then
        examples of other shapes, none square, whose upstream gradients differ from entry
        to entry, so that an answer written for the worked example's sizes alone cannot
        pass; notebook 7's batches of several channels.
    """
    X = np.array([[2, 3, 4], [3, 1, 5], [4, -1, -2]])
    F = np.array([[0, 3], [1, -2]])
    O = np.array([[10, 3], [9, 18]])
    dO = np.full((2, 2), 0.25)
    dF = np.array([[2.25, 3.25], [1.75, 0.75]])
    # A 4x7 input and a 3x1 filter: the output is 2x7, its gradients differ entry by entry.
    X47 = np.array(
        [
            [1, -2, 0, 3, 1, 2, -1],
            [2, 1, -1, 0, 2, -3, 0],
            [0, 3, 2, -2, 1, 1, 2],
            [-1, 0, 1, 2, 3, 0, 1],
        ]
    )
    F31 = np.array([[1], [-2], [3]])
    dO27 = np.array(
        [[0.25, -0.5, 1.0, 0.75, 0.0, 0.5, -0.75], [-0.25, 0.5, 0.0, 1.5, -1.0, 0.25, 1.0]]
    )
    F23 = np.array([[1, 0, -2], [3, 1, 0]])
    worked = N_("the worked example")
    other = N_("a 4x7 input with a 3x1 filter")
    return {
        "conv2d_output_shape": [(worked, ((3, 3), (2, 2))), (other, ((4, 7), (3, 1)))],
        "conv2d_forward": [(worked, (X, F)), (other, (X47, F31))],
        "gap_forward": [(worked, (O,)), (N_("a 2x3 map"), (np.array([[1, 2, 4], [3, 5, 7]]),))],
        "gap_backward": [(worked, (1, (2, 2))), (N_("a 2x3 map with dL/dZ = 3"), (3, (2, 3)))],
        "jacobian_output_wrt_filter": [(worked, (X, (2, 2))), (other, (X47, (3, 1)))],
        "conv2d_backward_filter": [(worked, (X, dO)), (other, (X47, dO27))],
        "jacobian_output_wrt_input": [(worked, ((3, 3), F)), (other, ((4, 7), F31))],
        "pad2d": [
            (N_("the worked example's O padded by 1"), (O, 1)),
            (N_("the worked example's O padded by (1, 2)"), (O, (1, 2))),
            (N_("a 2x3 array padded by (2, 1)"), (F23, (2, 1))),
        ],
        "rot180": [(worked, (F,)), (N_("a 2x3 filter"), (F23,))],
        "conv2d_backward_input": [(worked, (dO, F)), (other, (dO27, F31))],
        "numerical_gradient": [
            (N_("sum(W**3)/3 at the worked example's F"), (third_of_cube_sum, F, 1e-5)),
            (N_("sum(W**3)/3 at a 2x3 float W"), (third_of_cube_sum, F23 / 4, 1e-5)),
        ],
        "relative_error": [
            (
                N_("dL/dF and a slightly wrong copy of it"),
                (dF, dF + np.array([[0.0, 0.01], [-0.02, 0.0]])),
            ),
            (N_("two 2x7 arrays"), (dO27, dO27 + np.linspace(-0.2, 0.3, 14).reshape(2, 7))),
        ],
        "gradient_check": _gradient_check_arguments(),
        "training_step": [(worked, (X, F, 12, 0.1)), (other, (X47, F31, -2, 0.05))],
        **_layer_arguments(),
    }


def _layer_arguments() -> dict[str, list[tuple[str, tuple]]]:
    """Notebook 7's examples: first the worked example as a layer (N = C = K = 1,
    stride 1, no padding; max pooling of its X), then a case where every mistake shows.

    That case is a batch of 2 inputs with 2 channels (5x6) and 2 filters of 3x2, stride
    2, padding 1, so filters and channels mixed up show (its output is (2, 2, 3, 4)), and
    two 5x6 maps with ties inside max pooling's windows.
    """
    X = np.arange(120).reshape(2, 2, 5, 6) * 7 % 11 - 5
    F = np.arange(24).reshape(2, 2, 3, 2) * 3 % 7 - 3
    b = np.array([1, -2])
    dO = (np.arange(48).reshape(2, 2, 3, 4) * 3 % 5 - 2) / 4
    X_1 = np.array([[2, 3, 4], [3, 1, 5], [4, -1, -2]]).reshape(1, 1, 3, 3)
    F_1 = np.array([[0, 3], [1, -2]]).reshape(1, 1, 2, 2)
    batch = N_("a small batch (2 inputs, 2 channels, 2 filters, stride 2, padding 1)")
    as_layer = N_("the worked example as a layer")
    forward = [(as_layer, (X_1, F_1, np.zeros(1), 1, 0)), (batch, (X, F, b, 2, 1))]
    backward = [
        (as_layer, (np.full((1, 1, 2, 2), 0.25), X_1, F_1, 1, 0)),
        (batch, (dO, X, F, 2, 1)),
    ]
    # A 5x6 map per channel with ties inside windows; 3x2 windows, stride 2, so
    # windows overlap by a row.
    P = np.array(
        [
            [
                [2, 1, 0, -2, -1, -3],
                [-3, -3, -2, 2, 1, 3],
                [0, 1, 3, 2, 1, 0],
                [0, 3, -2, 2, 1, -3],
                [-1, 3, 0, -3, 2, 2],
            ],
            [
                [2, -2, -3, 3, -3, 0],
                [-3, -1, 0, -1, -1, -3],
                [-3, -3, -3, 1, 0, 1],
                [-2, 1, 2, -1, 0, 3],
                [2, 3, -1, 1, 3, 1],
            ],
        ]
    ).reshape(1, 2, 5, 6)
    dP = np.array([[[[-5, -4, 4], [2, -5, 1]], [[3, -4, 5], [3, -2, -2]]]])
    pooled = N_("two 5x6 maps with ties inside 3x2 windows, stride 2")
    worked_pooled = N_("the worked example's X (2x2 windows, stride 1)")
    return {
        "conv_layer_output_shape": [
            (
                N_("CIFAR-sized 32x32 inputs, 3x3 filters, padding 1"),
                ((8, 3, 32, 32), (16, 3, 3, 3), 1, 1),
            ),
            (
                N_("a 4x7 input, 3x2 filters, stride 3, padding 2"),
                ((2, 3, 4, 7), (4, 3, 3, 2), 3, 2),
            ),
        ],
        "conv_layer_forward": forward,
        "conv_layer_backward": backward,
        "conv_layer_forward_vectorised": forward,
        "conv_layer_backward_vectorised": backward,
        "max_pool_forward": [(worked_pooled, (X_1, (2, 2), 1)), (pooled, (P, (3, 2), 2))],
        "max_pool_backward": [
            (worked_pooled, (np.array([[[[1, -2], [3, 0.5]]]]), X_1, (2, 2), 1)),
            (pooled, (dP, P, (3, 2), 2)),
        ],
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
    for task in data["tasks"].values():
        for case in task["cases"]:
            case["expected"] = _decode(case["expected"])
            for mistake in case["mistakes"]:
                mistake["answers"] = [_decode(answer) for answer in mistake["answers"]]
    return data


# ------------------------------------------------------------------ comparing


def _is_integer_array(value: Any) -> bool:
    return isinstance(value, np.ndarray) and (
        np.issubdtype(value.dtype, np.integer) or value.dtype == bool
    )


def _wrong_entries(got: np.ndarray, want: np.ndarray, tolerance: dict) -> np.ndarray:
    """Where an answer misses: ``|a - e| > rtol * |e| + atol * max(1, max |E|)``.

    The course's one tolerance rule; the grader's hidden tests apply the same, and its
    numbers come with the expected values.
    """
    scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
    with np.errstate(all="ignore"):
        return ~np.isclose(got, want, rtol=tolerance["rtol"], atol=tolerance["atol"] * scale)


def _tolerance(task: str | None) -> dict:
    """A task's ``rtol`` and ``atol``: the course's rule, or the task's own where it has
    one (a gradient check's central differences leave about 1e-10 in its errors)."""
    data = _expected()
    return data["task_tolerances"].get(task, data["tolerance"])


def answers_match(answer: Any, expected: Any, task: str | None = None) -> bool:
    """Whether an answer equals an expected one: same structure and shapes, close values.

    Parameters
    ----------
    answer : array, number, or tuple of them
        What a function returned.
    expected : array, number, or tuple of them
        The value to compare with; a tuple asks for a tuple (or list) of the same length.
    task : str, optional
        The task whose tolerance applies (the course's rule by default).

    Returns
    -------
    bool
        True when every part has the expected shape and every entry ``a`` is within
        ``rtol * |e| + atol * max(1, max |E|)`` of the expected entry ``e`` (``E`` the
        whole expected part; ``rtol`` and ``atol`` from ``conv_checks_expected.json``,
        the task's own where it has one).
    """
    if isinstance(expected, tuple):
        return (
            isinstance(answer, (tuple, list))
            and len(answer) == len(expected)
            and all(answers_match(a, e, task) for a, e in zip(answer, expected, strict=True))
        )
    try:
        got = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return False
    want = np.asarray(expected, dtype=float)
    return got.shape == want.shape and not _wrong_entries(got, want, _tolerance(task)).any()


def _first_difference(
    answer: Any, expected: Any, task: str | None, parts: list[dict[str, str]], part: str = ""
) -> str:
    """Describe where a wrong answer first departs from the expected one."""
    if isinstance(expected, tuple):
        if not isinstance(answer, (tuple, list)) or len(answer) != len(expected):
            return _("expected a tuple of {count} values, got {answer}").format(
                count=len(expected), answer=repr(answer)
            )
        for index, (a, e) in enumerate(zip(answer, expected, strict=True)):
            if not answers_match(a, e, task):
                name = (
                    _(parts[index]["wording"]).format(name=parts[index]["name"])
                    if index < len(parts)
                    else _("value {number}").format(number=index + 1)
                )
                return _first_difference(a, e, task, [], f"{name}: ")
    try:
        got = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return part + _("expected numbers, got {answer}").format(answer=repr(answer))
    want = np.asarray(expected, dtype=float)
    if got.shape != want.shape:
        return part + _("expected shape {expected}, got shape {shape}").format(
            expected=want.shape, shape=got.shape
        )
    if want.ndim == 0:
        return part + _("expected {expected:.10g}, got {value:.10g}").format(
            expected=float(want), value=float(got)
        )
    index = tuple(int(i) for i in np.argwhere(_wrong_entries(got, want, _tolerance(task)))[0])
    return part + _(
        "first wrong entry at {index}: expected {expected:.10g}, got {value:.10g}"
    ).format(index=list(index), expected=want[index], value=got[index])


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


def _recognised(answer: Any, mistake: dict[str, Any], task: str) -> bool:
    """Whether a wrong answer is what a typical mistake gives here: its values, or one of
    the wrong shapes it is recognised by."""
    if isinstance(answer, np.ndarray) and list(answer.shape) in mistake["shapes"]:
        return True
    return any(answers_match(answer, wrong, task) for wrong in mistake["answers"])


def _truncated(answer: Any, expected: Any, task: str) -> bool:
    """An integer array of the right values cut to whole numbers."""
    if not (_is_integer_array(answer) and isinstance(expected, np.ndarray)):
        return False
    want = np.asarray(expected, dtype=float)
    return answers_match(answer, np.trunc(want), task) or answers_match(
        answer, np.floor(want), task
    )


def _named(answer: Any, case: dict[str, Any], task: str) -> str | None:
    """The sentence for the typical mistake a wrong answer matches, if any."""
    data = _expected()
    if answer is None:
        return _(data["returned_none"])
    for mistake in case["mistakes"]:
        if _recognised(answer, mistake, task):
            return _(mistake["message"])
    if _truncated(answer, case["expected"], task):
        return _(data["integer_result"])
    return None


def _where(passed: list[str], failed: str) -> str:
    """Which example failed, after those that passed."""
    if not passed:
        return ""
    return _("correct on {passed}, wrong on {failed}: ").format(passed=_and(passed), failed=failed)


# The checks' own frames carry __tracebackhide__, so IPython leaves them out of a
# traceback; it always shows the frame that raises, so that is this short one, and a
# student reads their call, then the message.
def _fail(message: str) -> NoReturn:
    """Stop the check with this message."""
    raise AssertionError(plain_text(message)) from None


def _check_function(task: str, func: Callable) -> None:
    __tracebackhide__ = True
    data = _expected()
    cases = data["tasks"][task]["cases"]
    parts = data["tasks"][task]["parts"]
    passed: list[str] = []
    examples = example_arguments()[task]
    for case, (english, args) in zip(cases, examples, strict=True):
        description = _(english)
        before = copy.deepcopy(args)
        try:
            answer = _pair_from_array(func(*args), case["expected"])
        except Exception as error:
            # The student's own error, untouched, with a note on where it came from. It
            # names no mistake: on two examples, many a slip raises the same error.
            if passed:
                note = _("{task}: correct on {passed}, but this error came on {failed}.")
                error.add_note(
                    plain_text(note.format(task=task, passed=_and(passed), failed=description))
                )
            raise
        where = _where(passed, description)
        if not _unchanged(args, before):
            _fail(f"{task}: {where}{_(data['input_modified'])}")
        if not answers_match(answer, case["expected"], task):
            named = _named(answer, case, task)
            if named is not None:
                _fail(f"{task}: {where}{named}")
            _fail(f"{task}: {where}{_first_difference(answer, case['expected'], task, parts)}.")
        answer_parts = answer if isinstance(answer, tuple) else (answer,)
        if any(_is_integer_array(part) for part in answer_parts):
            _fail(f"{task}: {where}{_(data['integer_result'])}")
        passed.append(description)
    print(
        plain_text(
            _("{task}: correct on {passed}.").format(task=task, passed=_and(passed, on=True))
        )
    )


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
            raise ValueError(_("{element} is not a number").format(element=repr(element)))
        exact[index] = Fraction(element)
    return exact


def _typed(value: Any) -> str:
    """A number as you wrote it: ``2.2``, ``3``, ``Fraction(9, 4)``."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, Fraction):
        return f"Fraction({value.numerator}, {value.denominator})"
    return repr(value)


_DECIMAL = re.compile(r"-?\d+\.(\d+)")


def _looks_rounded(written: str, exact: Fraction) -> bool:
    """Whether a decimal, as written, is the exact value rounded to its digits (2.2 for
    9/4); the grader's hidden tests apply the same rule."""
    found = _DECIMAL.fullmatch(written)
    if found is None:
        return False
    value = Fraction(written)
    return value != exact and abs(value - exact) <= Fraction(1, 2 * 10 ** len(found.group(1)))


def _decimal(value: Fraction) -> str | None:
    """The value as a decimal, when it has one that ends (9/4 -> 2.25, 1/3 -> None)."""
    for digits in range(12):
        scaled = value * 10**digits
        if scaled.denominator == 1:
            sign = "-" if scaled < 0 else ""
            text = str(abs(scaled.numerator)).rjust(digits + 1, "0")
            return sign + (f"{text[:-digits]}.{text[-digits:]}" if digits else text)
    return None


def _exactly(value: Fraction) -> str:
    """How to write a value exactly: ``9/4 is `Fraction(9, 4)` or 2.25``."""
    written = f"`Fraction({value.numerator}, {value.denominator})`"
    decimal = _decimal(value)
    if decimal:
        return _("{value} is {written} or {decimal}").format(
            value=value, written=written, decimal=decimal
        )
    return _("{value} is {written}").format(value=value, written=written)


def _check_by_hand(task: str, value: Any) -> None:
    __tracebackhide__ = True
    case = _expected()["tasks"][task]["cases"][0]
    expected = np.array(case["expected"], dtype=object)
    try:
        exact = _exact(value)
    except (TypeError, ValueError) as error:
        _fail(
            _(
                "{task}: write numbers only (ints or Fractions, nested lists for a matrix): "
                "{error}."
            ).format(task=task, error=error)
        )
    if exact.shape != expected.shape:
        _fail(
            _("{task}: expected shape {expected}, got shape {shape}.").format(
                task=task, expected=expected.shape, shape=exact.shape
            )
        )
    if np.array_equal(exact, expected):
        print(plain_text(_("{task}: exactly right.").format(task=task)))
        return
    for mistake in case["mistakes"]:
        for answer in mistake["answers"]:
            wrong = np.array(answer, dtype=object)
            if wrong.shape == exact.shape and np.array_equal(exact, wrong):
                _fail(f"{task}: {_(mistake['message'])}")
    index = next(i for i in np.ndindex(exact.shape) if exact[i] != expected[i])
    written = _typed(np.array(value, dtype=object)[index])
    if _looks_rounded(written, expected[index]):
        template = (
            _("{task}: the value at {index} is not exact: you wrote {written}; {exactly}.")
            if index
            else _("{task}: the value is not exact: you wrote {written}; {exactly}.")
        )
    else:
        template = (
            _("{task}: the value at {index} is not right yet: you wrote {written}.")
            if index
            else _("{task}: the value is not right yet: you wrote {written}.")
        )
    _fail(
        template.format(
            task=task, index=list(index), written=written, exactly=_exactly(expected[index])
        )
    )


# ------------------------------------------------------------------ the checks


def check_conv2d_output_shape(conv2d_output_shape: Callable) -> None:
    """Check the output-shape rule on (3, 3) with (2, 2) and on (4, 7) with (3, 1)."""
    __tracebackhide__ = True
    _check_function("conv2d_output_shape", conv2d_output_shape)


def check_conv2d_forward(conv2d_forward: Callable) -> None:
    """Check the forward pass on the worked example, then on a 4x7 X with a 3x1 F."""
    __tracebackhide__ = True
    _check_function("conv2d_forward", conv2d_forward)


def check_gap_forward(gap_forward: Callable) -> None:
    """Check global average pooling on the worked example's O, then on a 2x3 map."""
    __tracebackhide__ = True
    _check_function("gap_forward", gap_forward)


def check_gap_backward(gap_backward: Callable) -> None:
    """Check the GAP gradient for dL/dZ = 1 and a 2x2 map, then dL/dZ = 3 and a 2x3 one."""
    __tracebackhide__ = True
    _check_function("gap_backward", gap_backward)


def check_jacobian_output_wrt_filter(jacobian_output_wrt_filter: Callable) -> None:
    """Check ∂O/∂F on the worked example's X with a 2x2 filter, then a 4x7 X with 3x1."""
    __tracebackhide__ = True
    _check_function("jacobian_output_wrt_filter", jacobian_output_wrt_filter)


def check_conv2d_backward_filter(conv2d_backward_filter: Callable) -> None:
    """Check dL/dF on the worked example, then on a 4x7 X with a 2x7 dL/dO."""
    __tracebackhide__ = True
    _check_function("conv2d_backward_filter", conv2d_backward_filter)


def check_jacobian_output_wrt_input(jacobian_output_wrt_input: Callable) -> None:
    """Check ∂O/∂X for a 3x3 input and the worked example's F, then a 4x7 input, 3x1 F."""
    __tracebackhide__ = True
    _check_function("jacobian_output_wrt_input", jacobian_output_wrt_input)


def check_pad2d(pad2d: Callable) -> None:
    """Check padding the worked example's O by 1 and by (1, 2), and a 2x3 array by (2, 1)."""
    __tracebackhide__ = True
    _check_function("pad2d", pad2d)


def check_rot180(rot180: Callable) -> None:
    """Check rotating the worked example's F, then a 2x3 filter."""
    __tracebackhide__ = True
    _check_function("rot180", rot180)


def check_conv2d_backward_input(conv2d_backward_input: Callable) -> None:
    """Check dL/dX on the worked example, then on a 2x7 dL/dO with a 3x1 F."""
    __tracebackhide__ = True
    _check_function("conv2d_backward_input", conv2d_backward_input)


def check_numerical_gradient(numerical_gradient: Callable) -> None:
    """Check central differences of sum(W**3)/3 at the worked example's F, then a 2x3 W."""
    __tracebackhide__ = True
    _check_function("numerical_gradient", numerical_gradient)


def check_relative_error(relative_error: Callable) -> None:
    """Check the relative error of dL/dF and a slightly wrong copy, then of two 2x7 arrays."""
    __tracebackhide__ = True
    _check_function("relative_error", relative_error)


def check_gradient_check(gradient_check: Callable) -> None:
    """Check both errors on a 3x4 input, for right gradients and for wrong ones."""
    __tracebackhide__ = True
    _check_function("gradient_check", gradient_check)


def check_training_step(training_step: Callable) -> None:
    """Check one step on the worked example (target 12, rate 0.1), then on a 4x7 X, 3x1 F."""
    __tracebackhide__ = True
    _check_function("training_step", training_step)


def check_conv_layer_output_shape(conv_layer_output_shape: Callable) -> None:
    """Check the layer's output shape with stride 3 and padding 2, then stride 1, padding 1."""
    __tracebackhide__ = True
    _check_function("conv_layer_output_shape", conv_layer_output_shape)


def check_conv_layer_forward(conv_layer_forward: Callable) -> None:
    """Check the layer's forward pass on a batch of 2, 2 channels, 2 filters, stride 2,
    padding 1, then on the worked example as a layer."""
    __tracebackhide__ = True
    _check_function("conv_layer_forward", conv_layer_forward)


def check_conv_layer_backward(conv_layer_backward: Callable) -> None:
    """Check (dX, dF, db) on the forward check's batch, then on the worked example."""
    __tracebackhide__ = True
    _check_function("conv_layer_backward", conv_layer_backward)


def check_conv_layer_forward_vectorised(conv_layer_forward_vectorised: Callable) -> None:
    """Check the vectorised forward pass on the loop version's examples."""
    __tracebackhide__ = True
    _check_function("conv_layer_forward_vectorised", conv_layer_forward_vectorised)


def check_conv_layer_backward_vectorised(conv_layer_backward_vectorised: Callable) -> None:
    """Check the vectorised backward pass on the loop version's examples."""
    __tracebackhide__ = True
    _check_function("conv_layer_backward_vectorised", conv_layer_backward_vectorised)


def check_max_pool_forward(max_pool_forward: Callable) -> None:
    """Check max pooling of two 5x6 maps with 3x2 windows and stride 2, then of the worked
    example's X with 2x2 windows and stride 1."""
    __tracebackhide__ = True
    _check_function("max_pool_forward", max_pool_forward)


def check_max_pool_backward(max_pool_backward: Callable) -> None:
    """Check max pooling's gradient on the same maps, which have ties in some windows."""
    __tracebackhide__ = True
    _check_function("max_pool_backward", max_pool_backward)


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
