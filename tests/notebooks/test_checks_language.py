"""The visible checks speak the notebook's language (source/conv_backprop/conv_checks.py).

A Persian notebook runs ``conv_language.use("fa")``; from then on every check says its
verdicts, the typical mistakes' sentences and the names of its examples in Persian, each
line a right-to-left run. The Persian expected here is read from the translators'
catalogues (``locale/fa/LC_MESSAGES/``), so the tests follow the whole path: catalogue,
compiled ``conv_messages.fa.mo`` beside the helpers, lookup in the kernel.
"""

from __future__ import annotations

import json
import re

import pytest

from autograder.course.visible_checks import load_checks_module
from autograder.i18n.catalogue import Translations
from autograder.i18n.messages import GRADER_DOMAIN
from autograder.maths import reference
from autograder.verify.tasks import misconception
from notebook_runs import SOURCE_DIR

checks = load_checks_module()
EXPECTED = json.loads((SOURCE_DIR / "conv_checks_expected.json").read_text(encoding="utf-8"))
RLM, RLI, PDI = "\u200f", "\u2067", "\u2069"
PERSIAN = re.compile("[\u0600-\u06ff]")


def _persian(english: str) -> str:
    for domain in ("conv_messages", GRADER_DOMAIN):
        found = Translations.load("fa", domain).get(None, english)
        if found:
            return found
    raise AssertionError(f"no Persian for {english!r}")


@pytest.fixture
def persian():
    checks.conv_language.use("fa")
    yield
    checks.conv_language.use("en")


def test_a_right_answer_is_praised_in_persian_naming_each_example(persian, capsys) -> None:
    checks.check_conv2d_forward(reference.conv2d_forward)
    line = capsys.readouterr().out.strip("\n")
    examples = [_persian("the worked example"), _persian("a 4x7 input with a 3x1 filter")]
    said = _persian("{items} and on {last}").format(items=examples[0], last=examples[1])
    sentence = _persian("{task}: correct on {passed}.").format(task="conv2d_forward", passed=said)
    assert line == f"{RLM}{RLI}{sentence}{PDI}"


def test_a_typical_mistake_is_named_in_persian(persian) -> None:
    flipped = misconception("conv2d_forward", "kernel_flipped")
    with pytest.raises(AssertionError) as raised:
        checks.check_conv2d_forward(flipped.wrong)
    message = str(raised.value)
    assert message.startswith(RLM + RLI) and message.endswith(PDI)
    assert f"conv2d_forward: {_persian(flipped.message)}" in message
    assert flipped.message not in message


def test_a_wrong_entry_is_located_in_persian(persian) -> None:
    def off_in_one_entry(X, F):
        O = reference.conv2d_forward(X, F)
        O[0, 1] += 1
        return O

    with pytest.raises(AssertionError) as raised:
        checks.check_conv2d_forward(off_in_one_entry)
    template = _persian("first wrong entry at {index}: expected {expected:.10g}, got {value:.10g}")
    assert template.format(index=[0, 1], expected=3, value=4) in str(raised.value)


def test_english_stays_english(capsys) -> None:
    checks.check_conv2d_forward(reference.conv2d_forward)
    assert not PERSIAN.search(capsys.readouterr().out)


def _sentences() -> list[str]:
    """Every sentence and example name conv_checks_expected.json gives the checks."""
    found = [EXPECTED[key] for key in ("input_modified", "integer_result", "returned_none")]
    for task in EXPECTED["tasks"].values():
        found += [part["wording"] for part in task["parts"]]
        for case in task["cases"]:
            found.append(case["description"])
            found += [mistake["message"] for mistake in case["mistakes"]]
    return sorted(set(found))


@pytest.mark.parametrize("sentence", _sentences())
def test_every_sentence_the_checks_can_say_has_its_persian(persian, sentence) -> None:
    assert PERSIAN.search(checks._(sentence)), sentence
