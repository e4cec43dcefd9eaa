"""The probe (source/conv_backprop/conv_probe.py) and its wire format with the grader.

The probe runs in the student's kernel: these tests load the shipped file itself and
play the kernel's display, so they need no nbgrader.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import json
import time
from fractions import Fraction

import numpy as np
import pytest

from autograder.verify import wire
from probe_course import ASSIGNMENT, REPO

PROBE_PATH = REPO / "source" / ASSIGNMENT / "conv_probe.py"


@pytest.fixture
def conv_probe():
    spec = importlib.util.spec_from_file_location("conv_probe_under_test", PROBE_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def displayed(monkeypatch):
    """What the probe sends to the notebook's display."""
    sent: list[dict] = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: sent.append(obj))
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    return sent


def _challenge(task: str, cases: list[tuple], seconds: float = 2.0) -> str:
    return wire.encode_challenge("ab" * 16, task, seconds, cases)


def _records(sent: list[dict]) -> list[dict]:
    """The probe's raw case records, after checking the grader decodes its payload."""
    (payload,) = sent
    raw = payload[wire.MIME_TYPE]
    decoded = wire.decode_payload(raw, raw["task"], len(raw["cases"]))
    assert decoded.nonce == "ab" * 16
    return raw["cases"]


# ---------------------------------------------------------------------- wire format


@pytest.mark.parametrize(
    "value",
    [
        np.arange(6, dtype=np.int64).reshape(2, 3),
        np.array([[0.25, -1e300], [np.nan, np.inf]]),
        np.zeros((1, 0)),
        np.array([True, False]),
        np.float32(0.1),
        np.int16(-7),
        3,
        2**70,
        0.1,
        Fraction(-9, 4),
        (np.ones((2, 2)), 1.5),
        [[1, Fraction(1, 4)], [2.5, 3]],
        np.array([[Fraction(9, 4), 1]], dtype=object),
        None,
    ],
)
def test_answers_reach_the_grader_bit_for_bit(conv_probe, value):
    decoded = wire.decode(json.loads(json.dumps(conv_probe._encode(value))))
    if isinstance(value, np.ndarray):
        assert decoded.dtype == value.dtype and decoded.shape == value.shape
        assert np.array_equal(decoded, value, equal_nan=value.dtype.kind == "f")
    elif isinstance(value, tuple):
        assert np.array_equal(decoded[0], value[0]) and decoded[1] == value[1]
    else:
        assert decoded == value
        assert type(decoded) is type(value) or isinstance(value, np.generic)


def test_values_the_probe_cannot_send_arrive_as_their_type_only(conv_probe):
    for value, type_name in [("text", "str"), ({"a": 1}, "dict"), (np.array(["x"]), "ndarray")]:
        decoded = wire.decode(conv_probe._encode(value))
        assert isinstance(decoded, wire.Unsupported) and decoded.type_name == type_name
    too_big = wire.decode(conv_probe._encode(np.zeros(200_001)))
    assert isinstance(too_big, wire.Unsupported) and too_big.shape == (200_001,)


def test_challenge_arguments_reach_the_probe_bit_for_bit(conv_probe):
    X = np.random.default_rng(0).normal(size=(3, 4))
    args = (X, np.arange(4).reshape(2, 2), (3, 4), 2, 1e-4)
    decoded = [conv_probe._decode(json.loads(json.dumps(wire.encode(a)))) for a in args]
    assert np.array_equal(decoded[0], X) and decoded[1].dtype == np.int64
    assert decoded[2:] == [(3, 4), 2, 1e-4]


def test_probe_and_grader_build_the_same_scalar_function(conv_probe):
    rng = np.random.default_rng(1)
    C, D, Y = rng.normal(size=(3, 2)), rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    grader_f = wire.ScalarFunction(C, D)
    probe_f = conv_probe._decode(wire.encode(grader_f))
    assert probe_f(Y) == grader_f(Y)
    assert grader_f(Y) == pytest.approx(np.sum(C * np.sin(Y)) + np.sum(D * Y**2))


def test_probe_and_grader_build_the_same_claimed_gradient(conv_probe):
    """gradient_check's stand-in backward functions: the claimed gradient, as a fresh
    float array, for the arguments they expect (any dtype, same values); an error that
    says how to call them for anything else."""
    X, dO = np.arange(12).reshape(3, 4), np.full((2, 2), 0.25)
    claimed = np.array([[1.5, -2.0, 0.25], [3.0, 0.0, 1.0]])
    grader_f = wire.ClaimedGradient(claimed, (X, dO), "backward_filter(X, dO)")
    probe_f = conv_probe._decode(json.loads(json.dumps(wire.encode(grader_f))))
    for backward in (grader_f, probe_f):
        first = backward(X.astype(float), dO.tolist())
        assert first.dtype == np.float64 and np.array_equal(first, claimed)
        first[...] = 7  # a caller that scribbles on the result changes nothing
        assert np.array_equal(backward(X, dO), claimed)
        for wrong_call in [(dO, X), (X, dO + 1), (X,), (X[:, :3], dO)]:
            with pytest.raises(
                ValueError, match=r"^call backward_filter\(X, dO\), with the X, F and dO"
            ):
                backward(*wrong_call)


@pytest.mark.parametrize(
    "encoded",
    [
        {"array": {"dtype": "<f8", "shape": [2, 2], "data": "AAAA"}},  # too few bytes
        {"array": {"dtype": "<U3", "shape": [1], "data": ""}},  # not numbers
        {"array": {"dtype": "<f8", "shape": [10**9], "data": ""}},  # over the size limit
        {"array": {"dtype": "<f8", "shape": [1], "data": "!!!!"}},  # not base64
        {"object_array": {"shape": [2], "items": [{"int": "1"}]}},
        {"int": "12.5"},
        {"float": "nonsense"},
        {"fraction": ["1", "0"]},
        {"pickle": "gASV"},
        {"claimed_gradient": {"gradient": {"int": "1"}, "expects": [], "call": "f()"}},
        {"int": "1", "float": "0x1p+0"},
        json.loads('{"list": [' * 20 + "]}" * 20),  # nested too deeply
        ["not", "a", "tag"],
    ],
)
def test_malformed_payload_values_are_rejected(encoded):
    with pytest.raises(wire.WireError):
        wire.decode(encoded)


# -------------------------------------------------------------------- armed probe


def test_armed_probe_records_answers_without_raising(conv_probe, displayed):
    calls = []

    def student(X, F):
        calls.append(X.shape)
        print("debug noise that must not reach the cell")
        if X.shape == (1, 1):
            raise ZeroDivisionError("oops")
        if X.shape == (2, 2):
            X[0, 0] = 99
        return X[: X.shape[0] - F.shape[0] + 1, : X.shape[1] - F.shape[1] + 1] * 1.0

    cases = [(np.ones((3, 3)), np.ones((2, 2))), (np.ones((1, 1)), np.ones((1, 1)))]
    cases += [(np.ones((2, 2)), np.ones((1, 1)))]
    conv_probe.probe("conv2d_forward", student, challenge=_challenge("conv2d_forward", cases))
    first, raised, modified = _records(displayed)
    assert calls == [(3, 3), (1, 1), (2, 2)]
    assert first["status"] == "returned" and not first["modified"]
    assert wire.decode(first["value"]).shape == (2, 2)
    assert raised == {"status": "raised", "error": "ZeroDivisionError: oops"}
    assert modified["modified"] is True


def test_a_call_past_its_time_limit_is_stopped_and_the_rest_skipped(conv_probe, displayed):
    def stuck(F):
        while True:  # `except Exception` must not be able to swallow the time limit
            with contextlib.suppress(Exception):
                time.sleep(0.01)

    cases = [(np.ones((2, 2)),)] * 3
    started = time.perf_counter()
    conv_probe.probe("rot180", stuck, challenge=_challenge("rot180", cases, seconds=0.2))
    assert time.perf_counter() - started < 2
    assert [r["status"] for r in _records(displayed)] == ["timeout", "skipped", "skipped"]


def test_sys_exit_in_an_answer_is_recorded_not_raised(conv_probe, displayed):
    def leaves(F):
        raise SystemExit(3)

    conv_probe.probe("rot180", leaves, challenge=_challenge("rot180", [(np.ones((2, 2)),)]))
    assert _records(displayed) == [{"status": "raised", "error": "SystemExit: 3"}]


def test_probe_value_sends_the_value_exactly(conv_probe, displayed):
    value = [[Fraction(9, 4), 3.25], [7 / 4, 0]]
    armed = json.dumps(
        {"protocol": 1, "nonce": "ab" * 16, "task": "dF_by_hand", "seconds": 1, "cases": []}
    )
    conv_probe.probe_value("dF_by_hand", value, challenge=armed)
    (record,) = _records(displayed)
    assert wire.decode(record["value"]) == [[Fraction(9, 4), 3.25], [1.75, 0]]


def test_a_challenge_for_another_task_is_refused(conv_probe, displayed):
    with pytest.raises(RuntimeError, match="another task"):
        conv_probe.probe("rot180", np.rot90, challenge=_challenge("pad2d", []))


# ------------------------------------------------------------------ unarmed probe


def test_unarmed_probe_says_it_checks_nothing(conv_probe, displayed, capsys):
    conv_probe.probe("conv2d_forward", lambda X, F: X)
    conv_probe.probe_value("dF_by_hand", "nine quarters")
    out = capsys.readouterr().out
    assert displayed == []
    assert "`conv2d_forward` is callable" in out and "checked only" in out
    assert "holds something other than numbers" in out


def test_unarmed_probe_under_stock_nbgrader_grading_fails_the_cell(conv_probe, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    with pytest.raises(RuntimeError, match="not armed"):
        conv_probe.probe("conv2d_forward", lambda X, F: X)


def test_probe_uses_only_the_standard_library_and_numpy():
    tree = ast.parse(PROBE_PATH.read_text())
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert imported <= {
        "__future__",
        "base64",
        "collections",
        "contextlib",
        "fractions",
        "json",
        "os",
        "signal",
        "threading",
        "typing",
        "warnings",
        "numpy",
        "IPython",  # only to display the answers, and only when armed
    }
