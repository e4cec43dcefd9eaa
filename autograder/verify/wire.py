"""The grader's side of the wire format shared with the probe (``conv_probe.py``).

This module owns the whole format, both ways: the challenge the grader arms a probe call
with (:func:`encode_challenge`), and the payload the probe sends back
(:func:`decode_payload`, which returns a typed :class:`Payload` of :data:`CaseRecord`).
The probe runs in the student's kernel, so everything it sends is untrusted: decoding is
strict, bounded, and raises :class:`WireError` on anything malformed. The probe cannot
import this package, so it carries its own copy of the format; ``tests/verify/test_probe.py``
keeps the two in step.

A challenge is ``{"protocol", "nonce", "task", "seconds", "cases"}``, ``cases`` a list of
argument lists. A payload is ``{"protocol", "nonce", "task", "cases"}``, ``cases`` one
record per challenge case: ``{"status": "returned", "value", "modified"}``,
``{"status": "raised", "error"}``, ``{"status": "timeout", "seconds"}`` or
``{"status": "skipped"}``.

Values are JSON objects with one tag key: ``{"array": {dtype, shape, data}}`` (numeric
dtypes, base64 bytes), ``{"object_array": {shape, items}}``, ``{"int": "12"}``,
``{"float": float.hex}``, ``{"fraction": [num, den]}``, ``{"bool": b}``,
``{"tuple": [...]}``, ``{"list": [...]}``, ``{"none": null}``,
``{"scalar_function": {"C": array, "D": array}}`` and
``{"claimed_gradient": {"gradient": array, "expects": [array, ...], "call": text}}``
(challenge arguments only: functions the probe builds and hands to the student's
function) and ``{"unsupported": {"type": name, ...}}`` (an answer the probe could not
send).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

__all__ = [
    "MIME_TYPE",
    "PROTOCOL",
    "CaseRecord",
    "ClaimedGradient",
    "Payload",
    "Raised",
    "Returned",
    "ScalarFunction",
    "Skipped",
    "TimedOut",
    "Unsupported",
    "WireError",
    "decode",
    "decode_case_record",
    "decode_payload",
    "encode",
    "encode_challenge",
    "nonce_of",
]

#: The MIME type of the probe's payload in a cell's outputs.
MIME_TYPE = "application/vnd.conv-backprop.probe+json"
PROTOCOL = 1
_MAX_ELEMENTS = 100_000
_MAX_DEPTH = 6
_MAX_ITEMS = 10_000
_MAX_DIGITS = 400
#: No side of an array, even one only described (unsupported), is longer than this.
_MAX_DIMENSION = 2**31
_MAX_ERROR = 300


class WireError(ValueError):
    """A payload that does not follow the wire format (malformed or forged)."""


@dataclass(frozen=True)
class Unsupported:
    """An answer the probe could not send as numbers: only its type (and shape) arrive."""

    type_name: str
    dtype: str | None = None
    shape: tuple[int, ...] | None = None


@dataclass(frozen=True, eq=False)
class ScalarFunction:
    """``f(Y) = sum(C * sin(Y)) + sum(D * Y**2)``: numerical_gradient's test function.

    The probe builds the same function from the same ``C`` and ``D``
    (``conv_probe.scalar_function``).

    Attributes
    ----------
    C, D : float64 arrays of shape (H, W)
        The coefficients.
    """

    C: np.ndarray
    D: np.ndarray

    def __call__(self, Y: np.ndarray) -> float:
        Y = np.asarray(Y, dtype=np.float64)
        return float(np.sum(self.C * np.sin(Y)) + np.sum(self.D * Y * Y))


@dataclass(frozen=True, eq=False)
class ClaimedGradient:
    """A stand-in backward function: gradient_check's challenges pass two of them.

    Called with arrays equal to ``expects`` (same shapes and values, any dtype), it
    returns a fresh float copy of ``gradient``, right or wrong as the challenge claims;
    called with anything else, it raises a ``ValueError`` that says how it must be
    called. The probe builds the same function from the same fields
    (``conv_probe.claimed_gradient``).

    Attributes
    ----------
    gradient : float64 array of shape (m, n)
        The gradient it claims.
    expects : tuple of arrays
        The arguments a gradient check must call it with, in order: (X, dO) for
        backward_filter, (dO, F) for backward_input.
    call : str
        How it must be called, e.g. ``"backward_filter(X, dO)"``, for the error message.
    """

    gradient: np.ndarray
    expects: tuple[np.ndarray, ...]
    call: str

    def __call__(self, *args: Any) -> np.ndarray:
        if len(args) != len(self.expects) or not all(
            np.shape(got) == want.shape and np.array_equal(got, want)
            for got, want in zip(args, self.expects, strict=True)
        ):
            raise ValueError(f"call {self.call}, with the X, F and dO you were given")
        return np.array(self.gradient, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class Returned:
    """The call returned: what it returned, and whether it changed an input array."""

    value: Any
    modified: bool


@dataclass(frozen=True)
class Raised:
    """The call raised: ``"TypeName: message"``, at most 300 characters."""

    error: str


@dataclass(frozen=True)
class TimedOut:
    """The call ran past its time limit of ``seconds``."""

    seconds: float


@dataclass(frozen=True)
class Skipped:
    """The case was not run, because an earlier case of the call timed out."""


#: What the probe recorded for one challenge case.
CaseRecord = Returned | Raised | TimedOut | Skipped


@dataclass(frozen=True)
class Payload:
    """One probe call's answers, checked against the call they claim to answer.

    Attributes
    ----------
    nonce : str
        The call's nonce.
    task : str
        The task's name.
    cases : tuple of CaseRecord
        One record per challenge case, in order (one for a hand-computed value).
    """

    nonce: str
    task: str
    cases: tuple[CaseRecord, ...]


# -------------------------------------------------------------------- encoding


def encode(value: Any) -> dict:
    """Encode a challenge argument for the probe.

    Parameters
    ----------
    value : numeric array, int, float, tuple, ScalarFunction or ClaimedGradient
        One argument of a challenge case.

    Returns
    -------
    dict
        Its JSON-ready tagged form.
    """
    if isinstance(value, ScalarFunction):
        return {"scalar_function": {"C": encode(value.C), "D": encode(value.D)}}
    if isinstance(value, ClaimedGradient):
        return {
            "claimed_gradient": {
                "gradient": encode(value.gradient),
                "expects": [encode(arg) for arg in value.expects],
                "call": value.call,
            }
        }
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise TypeError(f"cannot send an array of dtype {value.dtype}")
        data = np.ascontiguousarray(value)
        return {
            "array": {
                "dtype": data.dtype.str,
                "shape": list(data.shape),
                "data": base64.b64encode(data.tobytes()).decode("ascii"),
            }
        }
    if isinstance(value, (bool, np.bool_)):
        return {"bool": bool(value)}
    if isinstance(value, (int, np.integer)):
        return {"int": str(int(value))}
    if isinstance(value, (float, np.floating)):
        return {"float": float(value).hex()}
    if isinstance(value, tuple):
        return {"tuple": [encode(item) for item in value]}
    raise TypeError(f"cannot send a value of type {type(value).__name__}")


def encode_challenge(nonce: str, task: str, seconds: float, cases: list[tuple]) -> str:
    """The challenge document an armed probe call carries.

    Parameters
    ----------
    nonce : str
        The call's nonce: the payload must carry it back.
    task : str
        The task's name.
    seconds : float
        The wall-time limit of one call.
    cases : list of tuple
        Each case's arguments (none for a hand-computed value).

    Returns
    -------
    str
        Compact JSON, for a string literal in the armed cell.
    """
    challenge = {
        "protocol": PROTOCOL,
        "nonce": nonce,
        "task": task,
        "seconds": seconds,
        "cases": [[encode(arg) for arg in args] for args in cases],
    }
    return json.dumps(challenge, separators=(",", ":"))


# -------------------------------------------------------------------- decoding


def nonce_of(raw: Any) -> str:
    """The nonce a raw payload claims, to match it with its call ("" if it has none)."""
    nonce = raw.get("nonce") if isinstance(raw, dict) else None
    return nonce if isinstance(nonce, str) else ""


def decode_payload(raw: Any, task: str, cases: int) -> Payload:
    """Validate and decode the payload that answers one probe call.

    Parameters
    ----------
    raw : JSON value
        The payload, as found in the cell's outputs.
    task : str
        The task the call was armed for.
    cases : int
        How many case records the call must answer with.

    Returns
    -------
    Payload

    Raises
    ------
    WireError
        If it is malformed, or answers another task or another number of cases.
    """
    if (
        not isinstance(raw, dict)
        or set(raw) != {"protocol", "nonce", "task", "cases"}
        or raw["protocol"] != PROTOCOL
        or raw["task"] != task
        or not isinstance(raw["nonce"], str)
        or not isinstance(raw["cases"], list)
    ):
        raise WireError("the payload does not match the call")
    if len(raw["cases"]) != cases:
        raise WireError(f"{len(raw['cases'])} answers for {cases} cases")
    records = tuple(decode_case_record(record) for record in raw["cases"])
    return Payload(nonce=raw["nonce"], task=task, cases=records)


def decode_case_record(raw: Any) -> CaseRecord:
    """Validate and decode one case record of a probe payload.

    Parameters
    ----------
    raw : JSON value
        One element of the payload's ``cases``.

    Returns
    -------
    CaseRecord

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
        return Returned(decode(raw["value"]), raw["modified"])
    if status == "raised" and set(raw) == {"status", "error"} and isinstance(raw["error"], str):
        return Raised(raw["error"][:_MAX_ERROR])
    if status == "timeout" and set(raw) == {"status", "seconds"}:
        seconds = raw["seconds"]
        if isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
            return TimedOut(float(seconds))
    if status == "skipped" and set(raw) == {"status"}:
        return Skipped()
    raise WireError("malformed case record")


def decode(encoded: Any) -> Any:
    """Decode a value the probe sent, strictly.

    Parameters
    ----------
    encoded : JSON value
        A tagged value from a probe payload.

    Returns
    -------
    numpy array, int, float, Fraction, bool, tuple, list, None or Unsupported
        Arrays come back with the dtype the student's code produced.

    Raises
    ------
    WireError
        If anything about it is malformed or over the size limits.
    """
    budget = [_MAX_ELEMENTS]
    return _decode(encoded, 0, budget)


def _decode(encoded: Any, depth: int, budget: list[int]) -> Any:
    if depth > _MAX_DEPTH + 1:
        raise WireError("value nested too deeply")
    if not isinstance(encoded, dict) or len(encoded) != 1:
        raise WireError("a value must be an object with exactly one tag")
    ((tag, body),) = encoded.items()
    decoder = _DECODERS.get(tag)
    if decoder is None:
        raise WireError(f"unknown tag {tag!r}")
    return decoder(body, depth, budget)


def _spend(budget: list[int], count: int) -> None:
    budget[0] -= count
    if budget[0] < 0:
        raise WireError("value too large")


def _shape(raw: Any) -> tuple[int, ...]:
    if (
        not isinstance(raw, list)
        or len(raw) > 8
        or not all(
            isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= _MAX_DIMENSION for n in raw
        )
    ):
        raise WireError("malformed shape")
    return tuple(raw)


def _count(shape: tuple[int, ...]) -> int:
    """Elements in an array of this shape, in Python integers (numpy's would overflow)."""
    return math.prod(shape)


def _decode_array(body: Any, depth: int, budget: list[int]) -> np.ndarray:
    if not isinstance(body, dict) or set(body) != {"dtype", "shape", "data"}:
        raise WireError("malformed array")
    shape = _shape(body["shape"])
    _spend(budget, _count(shape))
    try:
        dtype = np.dtype(body["dtype"])
    except TypeError as error:
        raise WireError("malformed dtype") from error
    if dtype.kind not in "biuf" or not isinstance(body["data"], str):
        raise WireError("arrays must hold numbers")
    try:
        raw = base64.b64decode(body["data"], validate=True)
    except (binascii.Error, ValueError) as error:
        raise WireError("malformed array data") from error
    if len(raw) != dtype.itemsize * _count(shape):
        raise WireError("array data does not match its shape")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def _decode_object_array(body: Any, depth: int, budget: list[int]) -> np.ndarray:
    if not isinstance(body, dict) or set(body) != {"shape", "items"}:
        raise WireError("malformed object array")
    shape = _shape(body["shape"])
    items = body["items"]
    if not isinstance(items, list) or len(items) != _count(shape):
        raise WireError("object array items do not match its shape")
    _spend(budget, len(items))
    out = np.empty(len(items), dtype=object)
    for index, item in enumerate(items):
        out[index] = _decode(item, depth + 1, budget)
    return out.reshape(shape)


def _decode_int(body: Any, depth: int, budget: list[int]) -> int:
    if not isinstance(body, str) or len(body) > _MAX_DIGITS:
        raise WireError("malformed int")
    try:
        return int(body)
    except ValueError as error:
        raise WireError("malformed int") from error


def _decode_float(body: Any, depth: int, budget: list[int]) -> float:
    if not isinstance(body, str) or len(body) > 40:
        raise WireError("malformed float")
    try:
        return float.fromhex(body)
    except (ValueError, OverflowError) as error:
        raise WireError("malformed float") from error


def _decode_fraction(body: Any, depth: int, budget: list[int]) -> Fraction:
    if not isinstance(body, list) or len(body) != 2:
        raise WireError("malformed fraction")
    numerator, denominator = (_decode_int(part, depth, budget) for part in body)
    if denominator <= 0:
        raise WireError("malformed fraction")
    return Fraction(numerator, denominator)


def _decode_bool(body: Any, depth: int, budget: list[int]) -> bool:
    if not isinstance(body, bool):
        raise WireError("malformed bool")
    return body


def _decode_sequence(body: Any, depth: int, budget: list[int]) -> list:
    if not isinstance(body, list) or len(body) > _MAX_ITEMS:
        raise WireError("malformed sequence")
    _spend(budget, len(body))
    return [_decode(item, depth + 1, budget) for item in body]


def _decode_none(body: Any, depth: int, budget: list[int]) -> None:
    if body is not None:
        raise WireError("malformed none")


def _decode_unsupported(body: Any, depth: int, budget: list[int]) -> Unsupported:
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        raise WireError("malformed unsupported value")
    dtype = body.get("dtype")
    shape = body.get("shape")
    return Unsupported(
        type_name=body["type"][:60],
        dtype=dtype[:30] if isinstance(dtype, str) else None,
        shape=_shape(shape) if shape is not None else None,
    )


_DECODERS = {
    "array": _decode_array,
    "object_array": _decode_object_array,
    "int": _decode_int,
    "float": _decode_float,
    "fraction": _decode_fraction,
    "bool": _decode_bool,
    "tuple": lambda body, depth, budget: tuple(_decode_sequence(body, depth, budget)),
    "list": _decode_sequence,
    "none": _decode_none,
    "unsupported": _decode_unsupported,
}
