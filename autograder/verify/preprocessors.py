"""The trusted verifier: nbgrader preprocessors that arm the probes and judge their answers.

In ``Autograde.autograde_preprocessors`` the order is
``ArmProbes, Execute, VerifyProbes, ..., SaveAutoGrades``:

- :class:`ArmProbes` draws a fresh seed (``secrets``), generates challenge inputs for
  every ``conv_probe.probe``/``probe_value`` call it finds in the hidden block of each
  graded test cell (restored from the gradebook by ``OverwriteCells``), and rewrites the
  cell so the armed calls run first, then the visible checks. What it needs later (the
  inputs, a nonce per call, the trusted source) stays in ``resources``, in this process.
- :class:`VerifyProbes` reads the probe's payloads from the executed cell, computes the
  reference answers with :mod:`autograder.maths.reference`, and replaces the cell's outputs
  with a verdict nbgrader's ``determine_grade`` scores: nothing that fails (a pass), a
  number (partial credit, the fraction of cases passed) or an error (no credit), with a
  diagnostic from :mod:`autograder.maths.misconceptions`. The student's own outputs stay
  visible but can no longer score: errors and stderr become plain text. What the kernel
  reports about itself (an input changed in place) only adds a hint.

The verifier never stops a notebook: an answer that makes judging itself fail (a number
too large for any float, say) scores 0 for its probe call, with the reason, and every
other cell is still judged. The cell's verdict metadata names each misconception by
(task, key), so reports print the sentence the student read.

Whatever the kernel does, the only way to earn points is a payload carrying the right
answers for inputs drawn after the submission was made. Missing, duplicated, malformed
or unexpected payloads fail closed, and so does a verifier that finds no armed state.
Nothing here depends on the hidden source being secret: it holds no expected values.
"""

from __future__ import annotations

import ast
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Dict, Float, Unicode

from autograder.i18n.messages import gettext as _
from autograder.i18n.messages import speaking_for
from autograder.jail.execute import DEADLINES_KEY, CellDeadline
from autograder.verify.challenges import Case, generate
from autograder.verify.judging import CaseVerdict, judge_call, judge_hand_value
from autograder.verify.tasks import TASKS, function_task, hand_value_task
from autograder.verify.verdicts import (
    CellResult,
    Problem,
    first_error,
    neutralised,
    verdict_outputs,
)
from autograder.verify.wire import (
    MIME_TYPE,
    Payload,
    WireError,
    decode_payload,
    encode_challenge,
    nonce_of,
)

__all__ = [
    "RESOURCES_KEY",
    "VERDICTS_KEY",
    "VERDICT_METADATA_KEY",
    "ArmProbes",
    "BonusConfigError",
    "GraderNotConfiguredError",
    "HiddenTestsError",
    "ProbeCall",
    "RefuseToGrade",
    "VerifyProbes",
    "parse_probe_calls",
    "split_hidden_tests",
    "verdicts_written_in",
]

#: Where ArmProbes leaves its state for VerifyProbes (nbconvert's resources dict).
RESOURCES_KEY = "conv_backprop_verifier"
#: Cell metadata key holding the verdict's facts, for reports.
VERDICT_METADATA_KEY = "conv_backprop_verdict"
#: Where VerifyProbes leaves the same facts, by grade_id, for later trusted steps (the
#: bonus credit): resources stay in the grader's process, cell metadata does not.
VERDICTS_KEY = "conv_backprop_verdicts"

#: Seconds a cell's deadline adds to its calls' limits for the grader's own delays.
_DEADLINE_GRACE_SECONDS = 2.0
_BEGIN_HIDDEN = "BEGIN HIDDEN TESTS"
#: The kernel-side module every probed test cell imports: the mark of this course's notebooks.
_PROBE_MODULE = re.compile(r"\bconv_probe\b")
_END_HIDDEN = "END HIDDEN TESTS"


class BonusConfigError(ValueError):
    """The course declares a bonus that nbgrader would also count as ordinary points, or a
    test cell that mixes bonus and ordinary tasks (see :mod:`autograder.verify.bonus`)."""


class HiddenTestsError(ValueError):
    """A graded test cell whose hidden block is not a list of probe calls."""


@dataclass(frozen=True)
class ProbeCall:
    """One call in a hidden block: ``conv_probe.probe("task", expression)``.

    Attributes
    ----------
    kind : str
        ``"probe"`` (a function) or ``"probe_value"`` (a hand-computed value).
    task : str
        The graded task's name.
    argument : str
        The source of the second argument, usually the student's name for the answer.
    """

    kind: str
    task: str
    argument: str


# ----------------------------------------------------------- reading the trusted cell


def split_hidden_tests(source: str) -> tuple[str, str | None]:
    """Split a test cell's source into its visible part and its hidden block.

    Parameters
    ----------
    source : str
        The cell's source, as the instructor wrote it.

    Returns
    -------
    visible : str
        Every line outside ``### BEGIN/END HIDDEN TESTS``.
    hidden : str or None
        The lines between the delimiters, or None when there is no hidden block.

    Raises
    ------
    HiddenTestsError
        For an unterminated, nested or repeated hidden block.
    """
    visible: list[str] = []
    hidden: list[str] = []
    found = inside = False
    for line in source.split("\n"):
        if _BEGIN_HIDDEN in line:
            if found:
                raise HiddenTestsError("a test cell must have exactly one hidden block")
            found = inside = True
        elif _END_HIDDEN in line:
            if not inside:
                raise HiddenTestsError("END HIDDEN TESTS without BEGIN HIDDEN TESTS")
            inside = False
        elif inside:
            hidden.append(line)
        else:
            visible.append(line)
    if inside:
        raise HiddenTestsError("BEGIN HIDDEN TESTS without END HIDDEN TESTS")
    return "\n".join(visible), "\n".join(hidden) if found else None


def parse_probe_calls(source: str) -> list[ProbeCall]:
    """The probe calls a graded test cell's hidden block makes.

    The hidden block may only ``import conv_probe`` and call ``conv_probe.probe`` or
    ``conv_probe.probe_value`` with a task name (a string literal) and one expression.
    Course notebooks can use this to check their test cells.

    Parameters
    ----------
    source : str
        The test cell's trusted source.

    Returns
    -------
    list of ProbeCall
        In order; at least one.

    Raises
    ------
    HiddenTestsError
        If the cell has no hidden block, or it holds anything else.
    """
    _, hidden = split_hidden_tests(source)
    if hidden is None:
        raise HiddenTestsError("the test cell has no hidden block calling conv_probe")
    try:
        tree = ast.parse(hidden)
    except SyntaxError as error:
        raise HiddenTestsError(f"the hidden block does not parse: {error}") from error
    calls: list[ProbeCall] = []
    for statement in tree.body:
        if isinstance(statement, ast.Import) and [
            (alias.name, alias.asname) for alias in statement.names
        ] == [("conv_probe", None)]:
            continue
        calls.append(_probe_call(statement, hidden))
    if not calls:
        raise HiddenTestsError("the hidden block makes no probe call")
    return calls


def _probe_call(statement: ast.stmt, hidden: str) -> ProbeCall:
    shape_error = HiddenTestsError(
        "the hidden block may only hold `import conv_probe` and calls "
        '`conv_probe.probe("task", function)` / `conv_probe.probe_value("task", value)`'
    )
    if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)):
        raise shape_error
    call = statement.value
    target = call.func
    if not (
        isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Name)
        and target.value.id == "conv_probe"
        and target.attr in ("probe", "probe_value")
        and len(call.args) == 2
        and not call.keywords
        and isinstance(call.args[0], ast.Constant)
        and isinstance(call.args[0].value, str)
    ):
        raise shape_error
    task = call.args[0].value
    if task not in TASKS or TASKS[task].probe != target.attr:
        raise HiddenTestsError(f"{target.attr} has no graded task called {task!r}")
    argument = ast.get_source_segment(hidden, call.args[1]) or ast.unparse(call.args[1])
    return ProbeCall(kind=target.attr, task=task, argument=argument)


def _is_test_cell(cell: NotebookNode) -> bool:
    return (
        cell.cell_type == "code"
        and utils.is_grade(cell)
        and not utils.is_solution(cell)
        and "grade_id" in cell.metadata.get("nbgrader", {})
    )


def verdicts_written_in(nb: NotebookNode) -> dict[str, dict]:
    """The facts VerifyProbes wrote into a notebook it verified, by grade_id.

    For a trusted step that runs on that notebook in another process (the one writer of
    distributed grading, which credits bonus points): VerifyProbes overwrites this
    metadata on every test cell, so there it is the grader's, never the student's. Other
    cells are left out.
    """
    return {
        cell.metadata.nbgrader.grade_id: dict(cell.metadata[VERDICT_METADATA_KEY])
        for cell in nb.cells
        if _is_test_cell(cell) and VERDICT_METADATA_KEY in cell.metadata
    }


# ------------------------------------------------------------------------- arming


@dataclass
class _ArmedCall:
    call: ProbeCall
    nonce: str
    cases: list[Case]


@dataclass
class _ArmedCell:
    trusted_source: str
    calls: list[_ArmedCall] = field(default_factory=list)
    problem: str | None = None  # why the cell cannot be verified (fails closed)


class ArmProbes(NbGraderPreprocessor):
    """Arm every probe call with fresh challenge inputs (runs just before ``Execute``)."""

    seconds_per_call = Float(
        2.0,
        help="Wall-time limit of one call of a student's function. The grader enforces it "
        "from outside: a test cell's answers count only if they arrive within this times "
        "(its cases + 1 per probe call), plus 2 s, by the grader's clock. Inside the "
        "kernel the probe also stops a call at this limit and skips that function's other "
        "cases, so that an honest slow answer keeps the cases it finished. Keep 11 times "
        "this plus 2 s below Execute.timeout. 0: no limit.",
    ).tag(config=True)

    def preprocess(
        self, nb: NotebookNode, resources: ResourcesDict
    ) -> tuple[NotebookNode, ResourcesDict]:
        # The challenges' labels and the deadlines' reasons reach the student's feedback.
        with speaking_for(nb):
            return self._arm(nb, resources)

    def _arm(
        self, nb: NotebookNode, resources: ResourcesDict
    ) -> tuple[NotebookNode, ResourcesDict]:
        rng = np.random.default_rng(secrets.randbits(128))
        armed: dict[str, _ArmedCell] = {}
        deadlines: dict[str, CellDeadline] = {}
        for cell in nb.cells:
            if not _is_test_cell(cell):
                continue
            grade_id = cell.metadata.nbgrader.grade_id
            state = _ArmedCell(trusted_source=cell.source)
            armed[grade_id] = state
            try:
                calls = parse_probe_calls(cell.source)
                visible, _hidden = split_hidden_tests(cell.source)
            except HiddenTestsError as error:
                state.problem = _("this test cell cannot be verified: {error}").format(error=error)
                self.log.error("Test cell %s: %s", grade_id, error)
                continue
            lines = ["import conv_probe"]
            for call in calls:
                armed_call = _ArmedCall(
                    call=call,
                    nonce=secrets.token_hex(16),
                    cases=(generate(function_task(call.task), rng) if call.kind == "probe" else []),
                )
                state.calls.append(armed_call)
                lines.append(self._armed_line(armed_call))
            # The probe runs before the visible checks, so a failing visible assert
            # cannot keep it from collecting the answers.
            cell.source = "\n".join(lines) + "\n" + visible
            if self.seconds_per_call > 0:
                deadlines[grade_id] = self._deadline(state)
        resources[RESOURCES_KEY] = armed
        resources[DEADLINES_KEY] = deadlines
        return nb, resources

    def _deadline(self, state: _ArmedCell) -> CellDeadline:
        """The time the jail gives the cell's armed calls: each case its limit, each probe
        call one more for its own work (decoding, encoding, sending), and a grace for the
        grader's own delays on a busy machine."""
        limit = self.seconds_per_call
        cases = sum(len(armed.cases) for armed in state.calls)
        seconds = (cases + len(state.calls)) * limit + _DEADLINE_GRACE_SECONDS
        reason = _(
            "the graded calls did not finish within {seconds:g} s ({limit:g} s per call); "
            "answers sent later do not count"
        ).format(seconds=seconds, limit=limit)
        return CellDeadline(seconds, MIME_TYPE, len(state.calls), reason)

    def _armed_line(self, armed_call: _ArmedCall) -> str:
        call = armed_call.call
        text = encode_challenge(
            armed_call.nonce,
            call.task,
            self.seconds_per_call,
            [case.args for case in armed_call.cases],
        )
        return f"conv_probe.{call.kind}({call.task!r}, {call.argument}, challenge={text!r})"


# ----------------------------------------------------------------------- verifying


def _payloads(outputs: list[NotebookNode]) -> list[Any]:
    found = []
    for output in outputs:
        data = output.get("data", {})
        if MIME_TYPE in data:
            found.append(data[MIME_TYPE])
    return found


class VerifyProbes(NbGraderPreprocessor):
    """Judge the probes' answers and write each test cell's verdict (after ``Execute``).

    A cell whose tasks are bonus tasks (:attr:`bonus_points`) carries 0 nbgrader points:
    its verdict speaks of its bonus, and the facts it leaves for later steps carry that
    bonus, which :class:`autograder.verify.bonus.SaveBonusCredit` credits.
    """

    bonus_points = Dict(
        key_trait=Unicode(),
        value_trait=Float(),
        default_value={},
        help="Bonus points per graded task, e.g. {'max_pool_backward': 4}, as the course's "
        "source notebooks declare them (autograder.verify.bonus.bonus_points_in). A test "
        "cell whose tasks are all bonus tasks earns the sum of their bonus times the "
        "fraction of challenge cases it passed, as nbgrader extra credit.",
    ).tag(config=True)

    def preprocess(
        self, nb: NotebookNode, resources: ResourcesDict
    ) -> tuple[NotebookNode, ResourcesDict]:
        armed = resources.get(RESOURCES_KEY)
        if not isinstance(armed, dict):
            raise RuntimeError(
                "VerifyProbes found no armed probes: ArmProbes must run before Execute in "
                "the same Autograde.autograde_preprocessors list. Refusing to grade."
            )
        with speaking_for(nb):
            self._verify(nb, resources, armed)
        return nb, resources

    def _verify(self, nb: NotebookNode, resources: ResourcesDict, armed: dict) -> None:
        verdicts: dict[str, dict] = {}
        resources[VERDICTS_KEY] = verdicts
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            if not _is_test_cell(cell):
                cell.outputs = [o for o in cell.outputs if MIME_TYPE not in o.get("data", {})]
                continue
            state = armed.get(cell.metadata.nbgrader.grade_id)
            if state is None:
                state = _ArmedCell(cell.source, problem=_("this test cell was never armed"))
            result = self._verify_cell(cell.outputs, state)
            grade_id = cell.metadata.nbgrader.grade_id
            points = float(cell.metadata.nbgrader.get("points", 0))
            bonus = self._bonus_of(grade_id, result.tasks)
            cell.outputs = neutralised(cell.outputs) + verdict_outputs(result, points, bonus)
            cell.source = state.trusted_source
            facts = {
                "tasks": result.tasks,
                "cases": result.cases,
                "passed": result.passed,
                "misconceptions": [
                    {"task": task, "key": key} for task, key in result.misconceptions
                ],
                "problem": result.problem,
                "bonus": bonus,
            }
            verdicts[grade_id] = facts
            cell.metadata[VERDICT_METADATA_KEY] = dict(facts)

    def _bonus_of(self, grade_id: str, tasks: list[str]) -> float | None:
        """The bonus points a test cell can earn, or None for an ordinary cell.

        Raises
        ------
        BonusConfigError
            If the cell mixes bonus tasks with ordinary ones.
        """
        bonus_tasks = [task for task in tasks if task in self.bonus_points]
        if not bonus_tasks:
            return None
        if len(bonus_tasks) != len(tasks):
            raise BonusConfigError(
                f"test cell {grade_id} mixes bonus tasks {bonus_tasks} with ordinary ones; "
                "give each bonus task a test cell of its own"
            )
        return sum(self.bonus_points[task] for task in bonus_tasks)

    def _verify_cell(self, outputs: list[NotebookNode], state: _ArmedCell) -> CellResult:
        result = CellResult(tasks=[armed.call.task for armed in state.calls])
        if state.problem is not None:
            result.problem = state.problem
            return result
        by_nonce: dict[str, list[Any]] = {}
        for payload in _payloads(outputs):
            by_nonce.setdefault(nonce_of(payload), []).append(payload)
        expected_nonces = {armed.nonce for armed in state.calls}
        if set(by_nonce) - expected_nonces:
            result.problem = _("the cell's output holds probe answers the grader did not ask for")
            return result
        for armed in state.calls:
            received = by_nonce.get(armed.nonce, [])
            if len(received) != 1:
                error = first_error(outputs)
                if received:
                    problem = _("the answers for `{task}` arrived more than once")
                elif error:
                    problem = _("no answers for `{task}` were collected ({error})")
                else:
                    problem = _("no answers for `{task}` were collected")
                result.problem = problem.format(task=armed.call.task, error=error)
                return result
            try:
                self._judge_call(armed, received[0], result)
            except WireError as error:
                result.problem = _("the answers for `{task}` are malformed ({error})").format(
                    task=armed.call.task, error=error
                )
                return result
        return result

    def _judge_call(self, armed: _ArmedCall, raw: Any, result: CellResult) -> None:
        task = armed.call.task
        count = len(armed.cases) if armed.call.kind == "probe" else 1
        try:
            verdicts = self._verdicts(armed, decode_payload(raw, task, count))
        except WireError:
            raise  # malformed or forged: the whole cell fails closed
        except Exception as error:  # judging itself failed: this call only scores 0
            self.log.error("Judging the answers for %s failed: %r", task, error)
            reason = _(
                "the grader could not judge these answers ({error}), so this function scores 0 "
                "here; a human should look"
            ).format(error=type(error).__name__)
            verdicts = [(None, CaseVerdict(False, reason))] * count
        grouped: dict[str, tuple[bool, list[str]]] = {}  # message -> (named?, case labels)
        hinted: dict[str, list[str]] = {}  # hint key -> case labels
        for case, verdict in verdicts:
            result.cases += 1
            label = case.label if case is not None else None
            if label is not None and verdict.note:
                label = f"{label} ({verdict.note})"
            for key in verdict.hints:
                hinted.setdefault(key, [])
                if label is not None:
                    hinted[key].append(label)
                if (task, key) not in result.misconceptions:
                    result.misconceptions.append((task, key))
            if verdict.passed:
                result.passed += 1
                continue
            named, labels = grouped.setdefault(
                verdict.message or "", (verdict.misconception is not None, [])
            )
            if label is not None:
                labels.append(label)
            pair = (task, verdict.misconception)
            if named and verdict.misconception and pair not in result.misconceptions:
                result.misconceptions.append(pair)  # type: ignore[arg-type]
        # Named misconceptions first: they teach more than a wrong position does.
        for message, (_named, labels) in sorted(grouped.items(), key=lambda item: not item[1][0]):
            result.problems.append(Problem(task, message, tuple(labels)))
        for key, labels in hinted.items():
            hint = TASKS[task].misconception(key)
            result.hints.append(Problem(task, _(hint.message), tuple(labels)))

    @staticmethod
    def _verdicts(armed: _ArmedCall, payload: Payload) -> list[tuple[Case | None, CaseVerdict]]:
        """Each case of one probe call with its verdict (no case for a hand value)."""
        task = armed.call.task
        if armed.call.kind == "probe_value":
            return [(None, judge_hand_value(hand_value_task(task), payload.cases[0]))]
        verdicts = judge_call(function_task(task), armed.cases, list(payload.cases))
        return list(zip(armed.cases, verdicts, strict=True))


# ------------------------------------------------------------------- failing closed


class GraderNotConfiguredError(RuntimeError):
    """Autograding refused: the course's trusted grader configuration did not load."""


class RefuseToGrade(NbGraderPreprocessor):
    """Stops autograding a notebook of this course when the trusted grader is not active.

    The fail-closed guard (``etc/jupyter/nbgrader_config.py``) puts this step before
    ``Execute`` in nbgrader's own list, for every course graded in the environment; a
    course config that loads replaces the whole list. A notebook carries this course's
    probes if a code cell, in the submission (after ``OverwriteCells`` restored the
    instructor's test cells) or in the gradebook's copy of the source, mentions
    ``conv_probe``: grading it stock would run the unarmed probe in the student's kernel,
    where the student can make it pass. Any other notebook (another course's) passes
    through untouched and is graded as stock nbgrader grades it.
    """

    def preprocess(
        self, nb: NotebookNode, resources: ResourcesDict
    ) -> tuple[NotebookNode, ResourcesDict]:
        if _calls_probes(cell.source for cell in nb.cells if cell.cell_type == "code") or (
            _calls_probes(_gradebook_sources(resources))
        ):
            raise GraderNotConfiguredError(
                "Refusing to grade: this notebook holds conv_backprop's probes and the "
                "trusted grader is not configured. The course's nbgrader_config.py did not "
                "load (see the error logged above), or nbgrader was not run from the course "
                "folder. Nothing was scored."
            )
        return nb, resources


def _calls_probes(sources: Iterable[str]) -> bool:
    return any(_PROBE_MODULE.search(source) for source in sources)


def _gradebook_sources(resources: ResourcesDict) -> list[str]:
    """The sources of the notebook's grade and solution cells as the gradebook holds them
    (the instructor's version); none if the gradebook has no such notebook."""
    facts = resources.get("nbgrader", {})
    if not {"db_url", "notebook", "assignment"} <= facts.keys():
        return []
    with Gradebook(facts["db_url"]) as gradebook:
        try:
            notebook = gradebook.find_notebook(facts["notebook"], facts["assignment"])
        except MissingEntry:
            return []
        return [cell.source for cell in notebook.source_cells if cell.cell_type == "code"]
