"""The verifier: it arms probes, judges their answers in the grader, and fails closed.

Fast tests run ArmProbes/VerifyProbes in-process, with the kernel played by exec'ing the
armed cell next to the real conv_probe module. The rest grade one batch of students
with plain ``nbgrader autograde`` and this repository's nbgrader_config.py: five correct
styles, one student per catalogue column, a baseline and its attacked copies, noisy but
correct answers, and real errors.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import re
import shutil
import sys

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from nbgrader.utils import determine_grade

from autograder.i18n.catalogue import Translations
from autograder.i18n.messages import GRADER_DOMAIN
from autograder.i18n.notebooks import set_notebook_language
from autograder.maths import reference
from autograder.maths.misconceptions import INPUT_MODIFIED, INTEGER_RESULT
from autograder.verify import tasks
from autograder.verify.preprocessors import (
    RESOURCES_KEY,
    VERDICT_METADATA_KEY,
    ArmProbes,
    HiddenTestsError,
    VerifyProbes,
    parse_probe_calls,
)
from autograder.verify.tasks import misconception
from autograder.verify.wire import MIME_TYPE
from probe_course import (
    ASSIGNMENT,
    REPO,
    TASKS,
    graded_cells,
    make_course,
    nbgrader,
    scores,
    submit,
)
from probe_submissions import (
    ATTACKS,
    BASELINE,
    BASELINE_WRONG,
    CATALOGUE_STUDENTS,
    FLAWED,
    NOISY,
    STYLES,
    WRONG,
    attack_submission,
    catalogue_submission,
    edit_test_cells,
    style_submission,
)

POINTS = 2.0

# ------------------------------------------------------------ reading test cells


def _cell_source(hidden: str) -> str:
    return f'print("visible")\n### BEGIN HIDDEN TESTS\n{hidden}\n### END HIDDEN TESTS'


def test_parse_probe_calls_reads_the_interface_syntax():
    source = _cell_source(
        'import conv_probe\nconv_probe.probe("conv2d_forward", conv2d_forward)\n'
        'conv_probe.probe_value("dF_by_hand", dF_by_hand)'
    )
    calls = parse_probe_calls(source)
    assert [(c.kind, c.task, c.argument) for c in calls] == [
        ("probe", "conv2d_forward", "conv2d_forward"),
        ("probe_value", "dF_by_hand", "dF_by_hand"),
    ]


@pytest.mark.parametrize(
    "hidden",
    [
        'import conv_probe\nconv_probe.probe("conv2d_forward", conv2d_forward)\nassert True',
        'import conv_probe as p\np.probe("conv2d_forward", conv2d_forward)',
        'import conv_probe\nconv_probe.probe("conv3d_forward", conv2d_forward)',
        'import conv_probe\nconv_probe.probe("dF_by_hand", dF_by_hand)',
        'import conv_probe\nconv_probe.probe_value("conv2d_forward", conv2d_forward)',
        "import conv_probe\nconv_probe.probe(task, conv2d_forward)",
        'import conv_probe\nconv_probe.probe("rot180", rot180, challenge="{}")',
        "import conv_probe",
        "this is not python",
    ],
)
def test_parse_probe_calls_rejects_anything_else(hidden):
    with pytest.raises(HiddenTestsError):
        parse_probe_calls(_cell_source(hidden))


@pytest.mark.parametrize(
    "source",
    [
        'print("no hidden block")',
        "### BEGIN HIDDEN TESTS\nimport conv_probe",
        "### BEGIN HIDDEN TESTS\n### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS",
    ],
)
def test_parse_probe_calls_rejects_missing_or_broken_blocks(source):
    with pytest.raises(HiddenTestsError):
        parse_probe_calls(source)


# ---------------------------------------------------- in-process arm -> run -> verify


def _load_probe():
    path = REPO / "source" / ASSIGNMENT / "conv_probe.py"
    spec = importlib.util.spec_from_file_location("conv_probe", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _test_cell(task: str, grade_id: str = "t") -> nbformat.NotebookNode:
    call = "probe_value" if task.endswith("_by_hand") else "probe"
    meta = {"grade": True, "solution": False, "locked": True, "points": POINTS}
    meta |= {"grade_id": grade_id, "schema_version": 3}
    return new_code_cell(
        _cell_source(f'import conv_probe\nconv_probe.{call}("{task}", {task})'),
        metadata={"nbgrader": meta},
    )


def _run(nb, namespace, monkeypatch, extra_outputs=()):
    """Play the kernel: exec each armed test cell, collecting displays and stdout."""
    probe = _load_probe()
    monkeypatch.setitem(sys.modules, "conv_probe", probe)
    for cell in nb.cells:
        outputs = []
        monkeypatch.setattr(
            "IPython.display.display",
            lambda obj, raw=False, sink=outputs: sink.append(
                {"output_type": "display_data", "data": obj, "metadata": {}}
            ),
        )
        stdout = io.StringIO()
        with contextlib.redirect_stdout(stdout):
            exec(cell.source, namespace)
        outputs.insert(0, {"output_type": "stream", "name": "stdout", "text": stdout.getvalue()})
        cell.outputs = [nbformat.from_dict(o) for o in [*outputs, *extra_outputs]]


def _verify(nb, resources):
    return VerifyProbes().preprocess(nb, resources)[0]


def _grade(cell) -> float:
    return determine_grade(cell)[0]


def _armed(task="conv2d_forward"):
    nb = new_notebook(cells=[_test_cell(task)])
    resources = {}
    ArmProbes().preprocess(nb, resources)
    return nb, resources


def _stderr_and_error():
    return (
        {"output_type": "stream", "name": "stderr", "text": "UserWarning: noise\n"},
        {"output_type": "error", "ename": "AssertionError", "evalue": "visible", "traceback": []},
        {"output_type": "execute_result", "data": {"text/plain": "0.0"}, "metadata": {}},
    )


def test_arming_puts_fresh_challenges_in_the_cell_and_keeps_them_in_resources():
    first, first_resources = _armed()
    second, _ = _armed()
    assert "challenge=" in first.cells[0].source
    assert first.cells[0].source != second.cells[0].source  # a fresh seed every run
    (armed,) = first_resources[RESOURCES_KEY]["t"].calls
    assert len(armed.cases) == 10
    assert armed.nonce in first.cells[0].source
    # The probe runs before the visible checks, so a failing visible assert cannot stop it.
    assert first.cells[0].source.index("conv_probe.probe(") < first.cells[0].source.index(
        'print("visible")'
    )


def test_correct_answer_passes_and_the_trusted_source_is_restored(monkeypatch):
    nb, resources = _armed()
    trusted = resources[RESOURCES_KEY]["t"].trusted_source
    _run(nb, {"conv2d_forward": reference.conv2d_forward}, monkeypatch, _stderr_and_error())
    cell = _verify(nb, resources).cells[0]
    assert _grade(cell) == POINTS  # stderr, an error and a result in the cell cost nothing
    assert cell.source == trusted
    assert all(MIME_TYPE not in o.get("data", {}) for o in cell.outputs)
    assert "AssertionError: visible" in json.dumps(cell.outputs)  # still shown
    assert cell.metadata[VERDICT_METADATA_KEY]["passed"] == 10


def test_partial_credit_is_the_fraction_of_cases_passed(monkeypatch):
    def square_only(X, F):
        if X.shape[0] != X.shape[1]:
            return np.zeros((1, 1))
        return reference.conv2d_forward(X, F)

    nb, resources = _armed()
    _run(nb, {"conv2d_forward": square_only}, monkeypatch)
    cell = _verify(nb, resources).cells[0]
    square = sum(
        case.args[0].shape[0] == case.args[0].shape[1]
        for case in resources[RESOURCES_KEY]["t"].calls[0].cases
    )
    assert 0 < square < 10
    assert _grade(cell) == pytest.approx(POINTS * square / 10)
    assert "returned shape (1, 1)" in json.dumps(cell.outputs)


def _verdict_lines(cell) -> list[str]:
    """The verdict as the instructor reads it, line by line."""
    for output in cell.outputs:
        if output.output_type == "error" and output.ename == "HiddenTestsFailed":
            return list(output.traceback)
        text = output.get("data", {}).get("text/plain", "")
        if output.output_type == "display_data" and text.startswith("Hidden tests"):
            return text.split("\n")
    raise AssertionError(f"no verdict in {cell.outputs}")


def test_the_verdict_leads_with_the_result_then_the_mistake_then_short_input_lines(monkeypatch):
    flipped = misconception("conv2d_forward", "kernel_flipped")
    nb, resources = _armed()
    _run(nb, {"conv2d_forward": flipped.wrong}, monkeypatch)
    lines = _verdict_lines(_verify(nb, resources).cells[0])
    assert re.match(r"Hidden tests( failed)?: `conv2d_forward` .* of 2 points\)\.$", lines[0])
    # Formgrader does not wrap outputs: a long line hides its end off to the right.
    assert max(len(line) for line in lines) <= 88, lines
    # The sentence comes straight after the result, whole, before any challenge input.
    sentence = " ".join(lines[1:]).split("  on ")[0]
    assert lines[1].startswith("- Your output matches a true convolution")
    assert " ".join(sentence.removeprefix("- ").split()) == flipped.message
    assert lines[-1].startswith(("  on X ", "     X "))


def test_the_students_own_error_is_kept_whole_in_lines_formgrader_shows(monkeypatch):
    sentence = " ".join(["Your output has the wrong shape for this filter size."] * 4)
    evalue = f"conv2d_forward(X, F):\n{sentence}\nExpected (2, 2), got (3, 3)."
    error = {"output_type": "error", "ename": "AssertionError", "evalue": evalue, "traceback": []}
    nb, resources = _armed()
    _run(nb, {"conv2d_forward": reference.conv2d_forward}, monkeypatch, [error])
    cell = _verify(nb, resources).cells[0]
    (shown,) = [o.text for o in cell.outputs if o.get("text", "").startswith("AssertionError")]
    lines = shown.splitlines()
    assert max(len(line) for line in lines) <= 88, lines
    assert lines[0] == "AssertionError: conv2d_forward(X, F):"
    assert " ".join(line.strip() for line in lines[1:-1]) == sentence
    assert lines[-1] == "Expected (2, 2), got (3, 3)."


@pytest.mark.parametrize(
    "forgot_plus_one",
    [
        lambda i, f: (i[0] - f[0], i[1] - f[1]),
        lambda i, f: np.array(i) - np.array(f),  # numpy style: an array, not a tuple
    ],
    ids=["tuple", "array"],
)
def test_a_forgotten_plus_one_is_told_exactly_that(monkeypatch, forgot_plus_one):
    message = misconception("conv2d_output_shape", "forgot_plus_one").message
    nb, resources = _armed("conv2d_output_shape")
    _run(nb, {"conv2d_output_shape": forgot_plus_one}, monkeypatch)
    cell = _verify(nb, resources).cells[0]
    assert _grade(cell) == 0
    assert cell.metadata[VERDICT_METADATA_KEY]["misconceptions"] == [
        {"task": "conv2d_output_shape", "key": "forgot_plus_one"}
    ]
    lines = _verdict_lines(cell)
    assert " ".join(" ".join(lines[1:]).split()).startswith(f"- {message} on input ")


def _gradient_check_by_central_differences(backward_filter, backward_input, X, F, dO):
    """As notebook 5 asks: central differences of L = sum(O * dO)."""

    def loss(X_, F_):
        return float(np.sum(reference.conv2d_forward(X_, F_) * dO))

    return (
        reference.relative_error(
            backward_filter(X, dO), reference.numerical_gradient(lambda F_: loss(X, F_), F)
        ),
        reference.relative_error(
            backward_input(dO, F), reference.numerical_gradient(lambda X_: loss(X_, F), X)
        ),
    )


def test_a_gradient_check_is_judged_on_stand_in_backward_functions_it_never_saw(monkeypatch):
    """The probe hands the student's gradient_check two functions built from the
    challenge (claimed gradients, right or wrong); the grader builds the same two."""
    nb, resources = _armed("gradient_check")
    _run(nb, {"gradient_check": _gradient_check_by_central_differences}, monkeypatch)
    cell = _verify(nb, resources).cells[0]
    assert _grade(cell) == POINTS
    assert cell.metadata[VERDICT_METADATA_KEY]["passed"] == 7

    def swapped(*args):
        error_dF, error_dX = _gradient_check_by_central_differences(*args)
        return error_dX, error_dF

    nb, resources = _armed("gradient_check")
    _run(nb, {"gradient_check": swapped}, monkeypatch)
    cell = _verify(nb, resources).cells[0]
    assert _grade(cell) == pytest.approx(POINTS / 7)  # both errors 0 in one class only
    assert cell.metadata[VERDICT_METADATA_KEY]["misconceptions"] == [
        {"task": "gradient_check", "key": "errors_swapped"}
    ]

    def calls_backward_input_with_F_first(backward_filter, backward_input, X, F, dO):
        return _gradient_check_by_central_differences(
            backward_filter, lambda dO_, F_: backward_input(F_, dO_), X, F, dO
        )

    nb, resources = _armed("gradient_check")
    _run(nb, {"gradient_check": calls_backward_input_with_F_first}, monkeypatch)
    cell = _verify(nb, resources).cells[0]
    assert _grade(cell) == 0
    assert "raised ValueError: call backward_input(dO, F), with the X, F and dO you were" in (
        " ".join(_verdict_lines(cell))
    )


def _forge(cell, payload):
    cell.outputs.append(
        nbformat.from_dict(
            {"output_type": "display_data", "data": {MIME_TYPE: payload}, "metadata": {}}
        )
    )


def _real_payload(cell):
    (payload,) = [o.data[MIME_TYPE] for o in cell.outputs if MIME_TYPE in o.get("data", {})]
    return payload


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda cell, payload: cell.outputs.clear(), "no answers"),
        (lambda cell, payload: _forge(cell, payload), "more than once"),
        (lambda cell, payload: _forge(cell, payload | {"nonce": "0" * 32}), "did not ask"),
        (lambda cell, payload: _forge(cell, "a string"), "did not ask"),
        (
            lambda cell, payload: (cell.outputs.clear(), _forge(cell, payload | {"cases": []})),
            "malformed",
        ),
        (
            lambda cell, payload: (
                cell.outputs.clear(),
                _forge(cell, payload | {"task": "rot180"}),
            ),
            "malformed",
        ),
        (
            lambda cell, payload: (
                cell.outputs.clear(),
                _forge(
                    cell,
                    payload
                    | {
                        "cases": [
                            {"status": "returned", "value": {"array": "junk"}, "modified": False}
                        ]
                        * len(payload["cases"])
                    },
                ),
            ),
            "malformed",
        ),
    ],
    ids=["missing", "duplicated", "wrong_nonce", "not_an_object", "no_cases", "wrong_task", "junk"],
)
def test_missing_duplicated_malformed_or_forged_payloads_fail_closed(monkeypatch, tamper, reason):
    nb, resources = _armed()
    _run(nb, {"conv2d_forward": reference.conv2d_forward}, monkeypatch)
    cell = nb.cells[0]
    tamper(cell, _real_payload(cell))
    cell = _verify(nb, resources).cells[0]
    assert _grade(cell) == 0
    assert reason in cell.metadata[VERDICT_METADATA_KEY]["problem"]


def test_verifier_refuses_when_nothing_was_armed():
    nb = new_notebook(cells=[_test_cell("conv2d_forward")])
    with pytest.raises(RuntimeError, match="Refusing to grade"):
        _verify(nb, {})


def test_a_test_cell_without_probe_calls_scores_nothing():
    cell = _test_cell("conv2d_forward")
    cell.source = "assert True  # a stock hidden test the verifier cannot trust"
    nb = new_notebook(cells=[cell])
    resources = {}
    ArmProbes().preprocess(nb, resources)
    nb.cells[0].outputs = []
    assert _grade(_verify(nb, resources).cells[0]) == 0


@pytest.mark.parametrize(
    ("answer", "full"),
    [
        ("[[Fraction(9, 4), Fraction(13, 4)], [Fraction(7, 4), Fraction(3, 4)]]", True),
        ("np.array([[9, 13], [7, 3]]) / 4", True),
        ("[[2.25, 3.25], [1.75, 0.75]]", True),
        ("((9/4, 13/4), (7/4, 3/4))", True),
        ("[[2.25, 3.25], [1.75, 0.7500001]]", False),
        ("[[9, 13], [7, 3]]", False),
        ("[[2.25, 3.25, 1.75, 0.75]]", False),
        ("'9/4 13/4 7/4 3/4'", False),
    ],
)
def test_hand_values_are_compared_exactly(monkeypatch, answer, full):
    nb, resources = _armed("dF_by_hand")
    from fractions import Fraction

    namespace = {"np": np, "Fraction": Fraction}
    exec(f"dF_by_hand = {answer}", namespace)
    _run(nb, namespace, monkeypatch)
    assert (_grade(_verify(nb, resources).cells[0]) == POINTS) is full


def test_a_correct_answer_that_changes_its_input_keeps_its_points_with_a_hint(monkeypatch):
    def clobbers(X, F):
        O = reference.conv2d_forward(X, F)
        X[...] = 0  # the caller's array
        return O

    nb, resources = _armed()
    _run(nb, {"conv2d_forward": clobbers}, monkeypatch)
    cell = _verify(nb, resources).cells[0]
    assert _grade(cell) == POINTS
    lines = _verdict_lines(cell)
    assert lines[0].startswith("Hidden tests passed")
    assert " ".join(" ".join(lines).split()).count("Hint (it costs no points): Your function") == 1
    # The kernel can keep quiet about it, and nothing changes but the hint.
    nb, resources = _armed()
    _run(nb, {"conv2d_forward": clobbers}, monkeypatch)
    payload = _real_payload(nb.cells[0])
    nb.cells[0].outputs.clear()
    _forge(nb.cells[0], payload | {"cases": [c | {"modified": False} for c in payload["cases"]]})
    quiet = _verify(nb, resources).cells[0]
    assert _grade(quiet) == POINTS and "Hint" not in json.dumps(quiet.outputs)


def _two_cells():
    nb = new_notebook(cells=[_test_cell("gap_forward", "first"), _test_cell("rot180", "second")])
    resources = {}
    ArmProbes().preprocess(nb, resources)
    return nb, resources


@pytest.mark.parametrize(
    "value",
    [
        {"int": "9" * 400},
        {"unsupported": {"type": "ndarray", "dtype": "float64", "shape": [2**70, 2**70]}},
        {"array": {"dtype": "<f8", "shape": [2**64, 0], "data": ""}},
        {"tuple": [{"int": "9" * 400}, {"float": (1.5).hex()}]},
    ],
    ids=["400_digits", "overflowing_unsupported_shape", "overflowing_array_shape", "tuple"],
)
def test_an_answer_that_cannot_be_judged_scores_0_and_the_notebook_goes_on(monkeypatch, value):
    nb, resources = _two_cells()
    _run(nb, {"gap_forward": reference.gap_forward, "rot180": reference.rot180}, monkeypatch)
    first = nb.cells[0]
    payload = _real_payload(first)
    first.outputs.clear()
    cases = [{"status": "returned", "value": value, "modified": False}] * len(payload["cases"])
    _forge(first, payload | {"cases": cases})
    verified = _verify(nb, resources)
    assert _grade(verified.cells[0]) == 0
    assert VERDICT_METADATA_KEY in verified.cells[0].metadata
    assert _grade(verified.cells[1]) == POINTS  # the rest of the notebook is still graded


def test_a_judging_failure_scores_that_call_0_with_a_reason_and_grading_goes_on(monkeypatch):
    import autograder.verify.preprocessors as preprocessors

    real_judge_call = preprocessors.judge_call

    def fails_for_gap(task, cases, records):
        if task.name == "gap_forward":
            raise OverflowError("int too large to convert to float")
        return real_judge_call(task, cases, records)

    nb, resources = _two_cells()
    _run(nb, {"gap_forward": reference.gap_forward, "rot180": reference.rot180}, monkeypatch)
    monkeypatch.setattr(preprocessors, "judge_call", fails_for_gap)
    verified = _verify(nb, resources)
    assert _grade(verified.cells[0]) == 0
    facts = verified.cells[0].metadata[VERDICT_METADATA_KEY]
    assert (facts["cases"], facts["passed"], facts["problem"]) == (7, 0, None)
    assert "the grader could not judge these answers (OverflowError)" in " ".join(
        " ".join(_verdict_lines(verified.cells[0])).split()
    )
    assert _grade(verified.cells[1]) == POINTS


# ------------------------------------------------------- in the notebook's language

RLM, RLI, FSI, PDI = "\u200f", "\u2067", "\u2068", "\u2069"


def _persian(english: str) -> str:
    found = Translations.load("fa", GRADER_DOMAIN).get(None, english)
    assert found, f"no Persian for {english!r} in the catalogue"
    return found


def _armed_in_persian(task: str):
    nb = new_notebook(cells=[_test_cell(task)])
    set_notebook_language(nb, "fa")
    resources = {}
    ArmProbes().preprocess(nb, resources)
    return nb, resources


def _persian_lines(cell) -> list[str]:
    """The verdict's lines, each checked to be a right-to-left run and unwrapped."""
    for output in cell.outputs:
        if output.output_type == "error" and output.ename == "HiddenTestsFailed":
            lines = list(output.traceback)
            break
        if output.output_type == "display_data" and "text/plain" in output.data:
            lines = output.data["text/plain"].split("\n")
            break
    else:
        raise AssertionError(f"no verdict in {cell.outputs}")
    for line in lines:
        assert line.startswith(RLM + RLI) and line.endswith(PDI), line
    return [line[2:-1] for line in lines]


def test_a_persian_notebooks_verdict_names_the_mistake_in_persian(monkeypatch):
    flipped = misconception("conv2d_forward", "kernel_flipped")
    nb, resources = _armed_in_persian("conv2d_forward")
    _run(nb, {"conv2d_forward": flipped.wrong}, monkeypatch)
    cell = _verify(nb, resources).cells[0]
    lines = _persian_lines(cell)
    headline = _persian(
        "Hidden tests failed: {tasks} wrong on all {n} inputs (0 of {points:g} {unit})."
    )
    assert lines[0] == headline.format(
        tasks="`conv2d_forward`", n=10, points=POINTS, unit=_persian("points")
    )
    said = " ".join(" ".join(lines[1:]).split())
    # The inputs' labels are isolated runs: "X 4x7 int, F 2x3 float;" keeps its order.
    sentence = " ".join(_persian(flipped.message).split())
    assert said.startswith(f"- {sentence} {_persian('on')} {FSI}X ")
    assert all(line.endswith(PDI) for line in lines if FSI in line)
    assert flipped.message not in json.dumps(cell.outputs)
    # What the gradebook and the reports read is the same in any language.
    assert cell.metadata[VERDICT_METADATA_KEY]["misconceptions"] == [
        {"task": "conv2d_forward", "key": "kernel_flipped"}
    ]


def test_a_persian_notebooks_partial_credit_is_the_same_number(monkeypatch):
    def square_only(X, F):
        if X.shape[0] != X.shape[1]:
            return np.zeros((1, 1))
        return reference.conv2d_forward(X, F)

    nb, resources = _armed_in_persian("conv2d_forward")
    _run(nb, {"conv2d_forward": square_only}, monkeypatch)
    cell = _verify(nb, resources).cells[0]
    cases = resources[RESOURCES_KEY]["t"].calls[0].cases
    square = sum(case.args[0].shape[0] == case.args[0].shape[1] for case in cases)
    assert _grade(cell) == pytest.approx(POINTS * square / 10)
    said = " ".join(_persian_lines(cell))
    wrong_shape = _persian(
        "returned shape {shape}; for these inputs the result has shape {expected}"
    )
    assert wrong_shape.split("{")[0].strip() in said
    assert "returned shape" not in said


def test_a_persian_notebooks_challenges_are_labelled_in_persian(monkeypatch):
    nb, resources = _armed_in_persian("conv2d_output_shape")
    _run(nb, {"conv2d_output_shape": lambda i, f: (i[0] - f[0], i[1] - f[1])}, monkeypatch)
    cell = _verify(nb, resources).cells[0]
    (case, *_) = resources[RESOURCES_KEY]["t"].calls[0].cases
    assert case.label.startswith(_persian("input {input}, filter {filter}").split("{")[0])
    assert case.case_class.isascii()  # the class's name is the code's, in any language
    assert case.label in " ".join(_persian_lines(cell))


# ---------------------------------------------------- one graded batch of students


def _students() -> dict[str, dict]:
    students = {f"style_{name}": style_submission(name) for name in STYLES}
    students |= {f"catalogue_{i}": catalogue_submission(i) for i in range(CATALOGUE_STUDENTS)}
    students |= {"baseline": BASELINE, "noisy": NOISY, "flawed": FLAWED}
    students |= {f"attack_{name}": attack_submission(name) for name in ATTACKS}
    return students


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    course = tmp_path_factory.mktemp("probed")
    make_course(course, extra="c.ArmProbes.seconds_per_call = 1.0")
    for student, answers in _students().items():
        submit(course, student, answers)
    submit(course, "attack_edit_tests", BASELINE, edit=edit_test_cells)
    done = nbgrader(course, "autograde", ASSIGNMENT)
    assert done.returncode == 0, done.stdout + done.stderr
    return course, scores(course)


def _shown(outputs) -> str:
    """Every text in the outputs, whitespace collapsed: verdicts wrap their sentences."""
    texts = []
    for output in outputs:
        texts += output.get("traceback", [])
        texts.append(output.get("text", ""))
        texts.append(output.get("data", {}).get("text/plain", ""))
    return " ".join(" ".join(texts).split())


def _verdict(course, student, task):
    cell = graded_cells(course, student)[f"test_{task}"]
    return cell.metadata[VERDICT_METADATA_KEY], _shown(cell.outputs)


@pytest.mark.parametrize("style", list(STYLES))
def test_correct_answers_in_every_style_score_full_marks(batch, style):
    _, graded = batch
    assert graded[f"style_{style}"] == {f"test_{task}": POINTS for task in TASKS}


_CATALOGUE_CASES = [
    (task, index, key) for task, entries in WRONG.items() for index, (key, _) in enumerate(entries)
]


def test_every_catalogue_entry_has_a_wrong_submission():
    covered = {(task, key) for task, _, key in _CATALOGUE_CASES}
    assert covered == {
        (name, m.key) for name, task in tasks.TASKS.items() for m in task.misconceptions
    }


@pytest.mark.parametrize(
    ("task", "index", "key"), _CATALOGUE_CASES, ids=[f"{t}-{k}" for t, _, k in _CATALOGUE_CASES]
)
def test_each_catalogued_mistake_loses_points_and_is_named(batch, task, index, key):
    course, graded = batch
    assert graded[f"catalogue_{index}"][f"test_{task}"] < POINTS
    facts, outputs = _verdict(course, f"catalogue_{index}", task)
    assert {"task": task, "key": key} in facts["misconceptions"]
    message = misconception(task, key).message
    assert " ".join(message.split()) in outputs


def test_baseline_scores_exactly_its_right_half(batch):
    _, graded = batch
    expected = {f"test_{t}": (0.0 if t in BASELINE_WRONG else POINTS) for t in TASKS}
    assert graded["baseline"] == expected


@pytest.mark.parametrize(
    "attack",
    [
        "allclose",
        "np_testing",
        "read_hidden",
        "forge_outside_test",
        "forge_in_test",
        "patch_probe",
        "edit_tests",
        "no_alarm",
    ],
)
def test_attacks_leave_the_score_where_it_was(batch, attack):
    _, graded = batch
    assert graded[f"attack_{attack}"] == graded["baseline"]


def test_the_time_per_call_is_enforced_by_the_grader_not_the_kernels_alarm(batch):
    # relative_error: 6 cases and one probe call at 1 s each, plus the grace.
    course, _ = batch
    facts, _ = _verdict(course, "attack_no_alarm", "relative_error")
    assert "TimeLimitError: the graded calls did not finish within 9 s" in facts["problem"]


@pytest.mark.parametrize(
    ("attack", "reason"),
    [
        ("transformer", "no answers"),
        ("exit", "DeadKernelError"),
        ("forge_duplicate", "more than once"),
    ],
)
def test_attacks_that_hide_or_repeat_the_probe_score_nothing(batch, attack, reason):
    course, graded = batch
    assert set(graded[f"attack_{attack}"].values()) == {0.0}
    facts, _ = _verdict(course, f"attack_{attack}", "conv2d_output_shape")
    assert reason in facts["problem"]


def test_edited_and_deleted_test_cells_are_restored_and_run(batch):
    course, _ = batch
    cells = graded_cells(course, "attack_edit_tests")
    for task in ("conv2d_forward", "gap_forward", "rot180"):
        assert "BEGIN HIDDEN TESTS" in cells[f"test_{task}"].source
        assert cells[f"test_{task}"].metadata[VERDICT_METADATA_KEY]["cases"] > 0


def test_harmless_stderr_costs_a_correct_answer_nothing(batch):
    course, graded = batch
    assert graded["noisy"] == {f"test_{task}": POINTS for task in TASKS}
    _, outputs = _verdict(course, "noisy", "conv2d_forward")
    assert "debug output" in outputs  # still shown, as stdout


def test_real_errors_cost_points_with_a_reason(batch):
    course, graded = batch
    flawed = graded["flawed"]
    expected_reasons = {
        "conv2d_forward": INTEGER_RESULT.message,
        "conv2d_backward_filter": "raised ValueError: only square inputs, sorry",
        "gap_forward": "NameError",
        "relative_error": "did not finish within 1 s",
    }
    for task, reason in expected_reasons.items():
        assert flawed[f"test_{task}"] < POINTS, task
        assert reason in _verdict(course, "flawed", task)[1], task
    assert 0 < flawed["test_conv2d_forward"] < POINTS  # float inputs still pass
    # Right values with an input changed in place: the kernel said so, and it could have
    # kept quiet, so it is a hint and costs nothing.
    assert flawed["test_conv2d_backward_input"] == POINTS
    facts, shown = _verdict(course, "flawed", "conv2d_backward_input")
    assert f"Hint (it costs no points): {INPUT_MODIFIED.message}" in shown
    assert {"task": "conv2d_backward_input", "key": INPUT_MODIFIED.key} in facts["misconceptions"]
    assert flawed["test_relative_error"] == pytest.approx(POINTS * 3 / 6)  # rest skipped
    assert (
        "not run, because an earlier case timed out"
        in _verdict(course, "flawed", "relative_error")[1]
    )


def test_graded_notebooks_keep_trusted_sources_and_no_payloads(batch):
    course, _ = batch
    for student in ("style_loops", "attack_forge_outside_test", "catalogue_0"):
        for grade_id, cell in graded_cells(course, student).items():
            assert "challenge=" not in cell.source
            assert MIME_TYPE not in json.dumps(cell.get("outputs", []))
            if grade_id.startswith("test_"):
                assert "### BEGIN HIDDEN TESTS" in cell.source


# ------------------------------------------------------------------ failing closed


def test_a_broken_course_config_refuses_to_grade(tmp_path):
    make_course(tmp_path, extra='raise RuntimeError("broken on purpose")')
    submit(tmp_path, "cheater", BASELINE | {"prelude": ATTACKS["allclose"]})
    done = nbgrader(tmp_path, "autograde", ASSIGNMENT)
    log = done.stdout + done.stderr
    assert "broken on purpose" in log
    assert done.returncode != 0
    assert "Refusing to grade" in log
    assert not any(scores(tmp_path).get("cheater", {}).values())
    assert not (tmp_path / "autograded" / "cheater" / ASSIGNMENT / "probed.ipynb").exists()


def test_a_broken_course_config_refuses_even_with_every_test_cell_deleted(tmp_path):
    """Stock grading restores no deleted cell, so the submission holds no probe: the
    gradebook's copy of the source still marks the notebook as this course's."""
    make_course(tmp_path, extra='raise RuntimeError("broken on purpose")')

    def delete_test_cells(notebook):
        notebook.cells = [
            cell
            for cell in notebook.cells
            if not cell.metadata.get("nbgrader", {}).get("grade_id", "").startswith("test_")
        ]

    submit(tmp_path, "deleter", BASELINE, edit=delete_test_cells)
    done = nbgrader(tmp_path, "autograde", ASSIGNMENT)
    assert done.returncode != 0
    assert "Refusing to grade" in done.stdout + done.stderr
    assert not (tmp_path / "autograded" / "deleter" / ASSIGNMENT / "probed.ipynb").exists()


def test_another_course_grades_as_stock_nbgrader_in_this_environment(tmp_path):
    """nbgrader's own quickstart course, graded from this environment (guard installed):
    the guard lets it through, and a right and a wrong answer score as nbgrader scores them."""
    assert nbgrader(tmp_path, "quickstart", "course101").returncode == 0
    course = tmp_path / "course101"
    done = nbgrader(course, "generate_assignment", "ps1", "--force")
    assert done.returncode == 0, done.stdout + done.stderr
    for student in ("right", "wrong"):
        folder = course / "submitted" / student / "ps1"
        shutil.copytree(course / "source" / "ps1", folder)
        if student == "wrong":
            notebook = nbformat.read(folder / "problem1.ipynb", 4)
            for cell in notebook.cells:
                cell.source = cell.source.replace("return [i ** 2 for i", "return [i ** 3 for i")
            nbformat.write(notebook, folder / "problem1.ipynb")
    done = nbgrader(course, "autograde", "ps1")
    log = done.stdout + done.stderr
    assert done.returncode == 0, log
    assert "Refusing" not in log
    graded = scores(course)
    source = nbformat.read(course / "source" / "ps1" / "problem1.ipynb", 4)
    points = {
        cell.metadata.nbgrader["grade_id"]: cell.metadata.nbgrader["points"]
        for cell in source.cells
        if cell.metadata.get("nbgrader", {}).get("grade")
        and not cell.metadata.nbgrader.get("solution")  # autograded tests only
    }
    assert {cell: graded["right"][cell] for cell in points} == points
    assert graded["wrong"]["correct_squares"] == 0
    assert graded["wrong"]["squares_invalid_input"] == points["squares_invalid_input"]
