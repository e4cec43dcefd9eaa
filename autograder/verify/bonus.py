"""Bonus points on top of an assignment's maximum, through nbgrader's own extra credit.

nbgrader adds every grade cell's ``points`` into the assignment's maximum, so a bonus
exercise cannot be an ordinary grade cell. Its test cell carries **0 points** instead,
and :class:`SaveBonusCredit`, a trusted preprocessor that runs just after
``SaveAutoGrades``, writes its bonus into the cell's ``Grade.extra_credit``:

    extra_credit = bonus points x (cases passed / cases), as VerifyProbes judged them

nbgrader's gradebook already adds ``extra_credit`` to a grade's ``score`` (``Grade.score =
auto_score + extra_credit``), and every total (notebook, assignment, student) sums those
scores, while every maximum sums ``max_score``, which the 0-point cells leave alone. So
the assignment's maximum stays 100, a student's score can go above it by the bonus
earned, and formgrader (the "extra credit" box beside each cell) and ``nbgrader export``
(``score`` against ``max_score``) show it with no change to nbgrader.

Where a bonus is declared: in the instructor's source notebook, beside nbgrader's own
``points`` (``{"conv_backprop": {"bonus_points": 4}}`` on a 0-point test cell), read by
:func:`bonus_points_in` when the course's configuration loads.

What is trusted: the bonus per task comes from this process's configuration
(``c.VerifyProbes.bonus_points``, read from the source notebooks by :func:`configure`
through :func:`bonus_points_in`), never from a submitted notebook, whose metadata a
student can edit; VerifyProbes judges each bonus cell and leaves its facts, bonus
included, in nbconvert's ``resources`` (this process's memory), where this step reads
them, never from cell metadata; and the 0-point rule is checked against the gradebook,
which ``OverwriteCells`` also trusts. Without those facts this step refuses to run, so
nothing is credited unverified.

Shown: formgrader and ``nbgrader export`` show extra credit as they are;
:class:`BonusInFeedback` makes nbgrader's feedback page show a bonus cell's score out of
its bonus (not out of 0), and the course's reports and summaries read the bonus per cell
with :func:`bonus_cells_in`.

An instructor who types extra credit into a bonus cell in formgrader is overruled by
the next autograde of that submission: on bonus cells the extra credit is the grader's.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor, SaveAutoGrades
from traitlets.utils.importstring import import_item

from autograder.verify.preprocessors import (
    VERDICT_METADATA_KEY,
    VERDICTS_KEY,
    BonusConfigError,
    parse_probe_calls,
)

__all__ = [
    "BONUS_METADATA_KEY",
    "BonusConfigError",
    "BonusInFeedback",
    "SaveBonusCredit",
    "bonus_cells_in",
    "bonus_credit",
    "bonus_points_in",
    "with_bonus_credit",
]

#: The source notebooks' cell metadata key under which a test cell states its bonus:
#: ``{"conv_backprop": {"bonus_points": 4}}`` beside nbgrader's ``"points": 0``.
BONUS_METADATA_KEY = "conv_backprop"


def bonus_credit(bonus: float, verdict: dict) -> float:
    """The extra credit a bonus cell earns from its verdict.

    Parameters
    ----------
    bonus : float
        The cell's bonus points.
    verdict : dict
        VerifyProbes' facts for the cell: ``cases``, ``passed`` and ``problem``.

    Returns
    -------
    float
        ``bonus * passed / cases``; 0 when the cell could not be verified (a problem, or
        no cases judged).
    """
    cases, passed = verdict.get("cases"), verdict.get("passed")
    if verdict.get("problem") is not None or not isinstance(cases, int) or cases <= 0:
        return 0.0
    if not isinstance(passed, int) or not 0 <= passed <= cases:
        return 0.0
    return float(bonus) * passed / cases


class SaveBonusCredit(NbGraderPreprocessor):
    """Write each bonus cell's judged share of its bonus into nbgrader's extra credit.

    Runs after ``SaveAutoGrades`` (the grade rows exist) and before
    ``AssignLatePenalties`` (a late penalty sees the whole score). Each cell's bonus and
    judged fraction come from VerifyProbes' facts in ``resources``.
    """

    def preprocess(
        self, nb: NotebookNode, resources: ResourcesDict
    ) -> tuple[NotebookNode, ResourcesDict]:
        verdicts = resources.get(VERDICTS_KEY)
        if not isinstance(verdicts, dict):
            raise RuntimeError(
                "SaveBonusCredit found no verdicts from VerifyProbes: it must run after "
                "VerifyProbes in the same Autograde.autograde_preprocessors list. "
                "Refusing to credit bonus points that were not verified."
            )
        ids = resources["nbgrader"]
        with Gradebook(ids["db_url"]) as gradebook:
            for cell in nb.cells:
                if cell.cell_type != "code" or not utils.is_grade(cell):
                    continue
                grade_id = cell.metadata.nbgrader.get("grade_id")
                verdict = verdicts.get(grade_id)
                if verdict is None:  # not a test cell VerifyProbes judged
                    continue
                bonus = verdict.get("bonus")
                if bonus is None and verdict.get("tasks"):
                    continue  # an ordinary cell
                grade = gradebook.find_grade(
                    grade_id, ids["notebook"], ids["assignment"], ids["student"]
                )
                if bonus is None:
                    # VerifyProbes could not even tell the cell's tasks: if it is a
                    # 0-point cell it may be a bonus one, and unverified it earns nothing
                    # (not a stale credit from an earlier run).
                    if float(grade.max_score) == 0.0:
                        grade.extra_credit = 0.0
                    continue
                if float(grade.max_score) != 0.0:
                    raise BonusConfigError(
                        f"test cell {grade_id} earns bonus points, so it must carry 0 nbgrader "
                        f"points (it has {grade.max_score:g}): otherwise nbgrader adds them to "
                        "the assignment's maximum"
                    )
                grade.extra_credit = bonus_credit(bonus, verdict)
                self.log.info("Bonus for %s: %g of %g", grade_id, grade.extra_credit, bonus)
            gradebook.db.commit()
        return nb, resources


def with_bonus_credit(steps: list) -> list:
    """An autograde list with :class:`SaveBonusCredit` just after ``SaveAutoGrades``.

    Parameters
    ----------
    steps : list
        ``Autograde.autograde_preprocessors``: classes or dotted names, with one
        ``SaveAutoGrades`` and, before it, VerifyProbes.

    Returns
    -------
    list
        A new list; ``steps`` is not modified.
    """
    steps = [step for step in steps if _as_class(step) is not SaveBonusCredit]
    saves = [i for i, step in enumerate(steps) if _as_class(step) is SaveAutoGrades]
    if len(saves) != 1:
        raise ValueError(f"expected one SaveAutoGrades step in {steps}, found {len(saves)}")
    return [*steps[: saves[0] + 1], SaveBonusCredit, *steps[saves[0] + 1 :]]


def _as_class(step: object) -> object:
    return import_item(step) if isinstance(step, str) else step


def bonus_cells_in(source_dir: Path) -> dict[str, tuple[str, float]]:
    """The bonus cells the source notebooks of an assignment declare.

    Parameters
    ----------
    source_dir : Path
        The assignment's folder in ``source/``, holding the instructor's notebooks (none
        there: no bonus).

    Returns
    -------
    dict of str to (str, float)
        A test cell's ``grade_id`` -> (the one task it probes, its bonus points), for
        every test cell whose metadata carries ``{"conv_backprop": {"bonus_points": ...}}``.

    Raises
    ------
    BonusConfigError
        For a bonus on a cell that also carries points, probes more than one task, or
        states a bonus that is not a positive number.
    """
    cells: dict[str, tuple[str, float]] = {}
    for path in sorted(Path(source_dir).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            declared = cell.metadata.get(BONUS_METADATA_KEY, {}).get("bonus_points")
            if declared is None:
                continue
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            where = f"{path.name}, cell {grade_id}"
            if (
                isinstance(declared, bool)
                or not isinstance(declared, (int, float))
                or declared <= 0
            ):
                raise BonusConfigError(f"{where}: bonus_points must be a positive number")
            if not utils.is_grade(cell) or float(cell.metadata.nbgrader["points"]) != 0.0:
                raise BonusConfigError(f"{where}: a bonus goes on a graded test cell of 0 points")
            tasks = {call.task for call in parse_probe_calls(cell.source)}
            if len(tasks) != 1:
                raise BonusConfigError(
                    f"{where}: a bonus cell probes one task, not {sorted(tasks)}"
                )
            cells[grade_id] = (tasks.pop(), float(declared))
    return cells


def bonus_points_in(source_dir: Path) -> dict[str, float]:
    """The bonus points the source notebooks of an assignment declare, by task.

    Parameters
    ----------
    source_dir : Path
        The assignment's folder in ``source/``.

    Returns
    -------
    dict of str to float
        Task name -> bonus points (:func:`bonus_cells_in`, keyed by task), for
        ``c.VerifyProbes.bonus_points``.
    """
    return dict(bonus_cells_in(source_dir).values())


class BonusInFeedback(NbGraderPreprocessor):
    """Show a bonus cell's score out of its bonus in nbgrader's feedback (runs after
    ``GetGrades``, which reads the cell's maximum from the gradebook: 0).

    A notebook whose graded cells are all bonus cells shows its score out of its bonus
    too; each cell's verdict says its points are bonus points. Display only: scores stay
    in the gradebook. The bonus comes from the verdict VerifyProbes wrote into the
    autograded notebook.
    """

    def preprocess(
        self, nb: NotebookNode, resources: ResourcesDict
    ) -> tuple[NotebookNode, ResourcesDict]:
        graded = [cell for cell in nb.cells if utils.is_grade(cell)]
        bonus_total = 0.0
        for cell in graded:
            verdict = cell.metadata.get(VERDICT_METADATA_KEY)
            bonus = verdict.get("bonus") if isinstance(verdict, dict) else None
            if not isinstance(bonus, (int, float)) or bonus <= 0:
                continue
            if float(cell.metadata.nbgrader.get("points", 0)) == 0.0:
                cell.metadata.nbgrader["points"] = float(bonus)
                bonus_total += float(bonus)
        info = resources.get("nbgrader", {})
        all_bonus = graded and all(
            isinstance(cell.metadata.get(VERDICT_METADATA_KEY), dict)
            and cell.metadata[VERDICT_METADATA_KEY].get("bonus")
            for cell in graded
        )
        if all_bonus and float(info.get("max_score") or 0) == 0.0:
            info["max_score"] = bonus_total
        return nb, resources
