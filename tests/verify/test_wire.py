"""The payload envelope and case records: decoded strictly into typed records.

The values inside them, and the probe's side of the format, are in test_probe.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from autograder.verify import wire

NONCE = "cd" * 16


def _payload(**changes):
    payload = {
        "protocol": wire.PROTOCOL,
        "nonce": NONCE,
        "task": "rot180",
        "cases": [
            {"status": "returned", "value": wire.encode(np.eye(2)), "modified": False},
            {"status": "raised", "error": "ValueError: " + "x" * 400},
            {"status": "timeout", "seconds": 2},
            {"status": "skipped"},
        ],
    }
    return payload | changes


def test_a_payload_decodes_into_one_typed_record_per_case():
    payload = wire.decode_payload(_payload(), "rot180", 4)
    assert (payload.nonce, payload.task) == (NONCE, "rot180")
    returned, raised, timed_out, skipped = payload.cases
    assert isinstance(returned, wire.Returned) and returned.modified is False
    assert np.array_equal(returned.value, np.eye(2))
    assert isinstance(raised, wire.Raised) and len(raised.error) == 300
    assert timed_out == wire.TimedOut(2.0) and isinstance(timed_out.seconds, float)
    assert skipped == wire.Skipped()


@pytest.mark.parametrize(
    ("changes", "task", "count"),
    [
        ({"protocol": 2}, "rot180", 4),
        ({"task": "pad2d"}, "rot180", 4),
        ({}, "pad2d", 4),
        ({}, "rot180", 3),
        ({"nonce": 7}, "rot180", 4),
        ({"cases": {}}, "rot180", 4),
        ({"extra": 1}, "rot180", 4),
    ],
    ids=["protocol", "task_claimed", "task_armed", "count", "nonce", "cases", "extra_key"],
)
def test_a_payload_that_does_not_answer_its_call_is_refused(changes, task, count):
    with pytest.raises(wire.WireError):
        wire.decode_payload(_payload(**changes), task, count)


def test_a_payload_that_is_not_an_object_is_refused():
    with pytest.raises(wire.WireError):
        wire.decode_payload(["protocol", 1], "rot180", 4)


@pytest.mark.parametrize(
    "raw",
    [
        "returned",
        {"status": "returned", "value": {"int": "1"}},
        {"status": "returned", "value": {"int": "1"}, "modified": "no"},
        {"status": "returned", "value": {"array": "junk"}, "modified": False},
        {"status": "raised", "error": 7},
        {"status": "timeout", "seconds": True},
        {"status": "skipped", "extra": 1},
        {"status": "passed"},
    ],
)
def test_malformed_records_are_rejected(raw):
    with pytest.raises(wire.WireError):
        wire.decode_case_record(raw)


def test_the_nonce_of_anything_is_a_string():
    assert wire.nonce_of(_payload()) == NONCE
    assert wire.nonce_of("a string") == wire.nonce_of({"nonce": 7}) == ""


def test_a_challenge_is_compact_json_with_every_case_encoded():
    text = wire.encode_challenge(NONCE, "pad2d", 1.5, [(np.ones((1, 2)), (1, 2))])
    assert " " not in text
    challenge = json.loads(text)
    assert challenge == {
        "protocol": wire.PROTOCOL,
        "nonce": NONCE,
        "task": "pad2d",
        "seconds": 1.5,
        "cases": [[wire.encode(np.ones((1, 2))), wire.encode((1, 2))]],
    }
