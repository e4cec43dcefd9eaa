"""Wire the trusted grader into nbgrader's configuration.

A course's ``nbgrader_config.py`` calls :func:`configure`; plain ``nbgrader autograde``
and ``nbgrader generate_feedback`` then verify outside the kernel and hide the hidden
tests. If that file fails to load, nbgrader only logs the error and carries on with the
settings it did load, so the fail-closed guard (``etc/jupyter/nbgrader_config.py``,
installed into the environment by ``make setup``) sets :data:`GUARD_AUTOGRADE` and
:data:`SAFE_FEEDBACK` underneath every course config: grading then refuses to run.
"""

from __future__ import annotations

from typing import Any

from nbgrader.converters import Autograde
from nbgrader.preprocessors import Execute
from traitlets.utils.importstring import import_item

from autograder.verifier import ArmProbes, VerifyProbes

__all__ = ["GUARD_AUTOGRADE", "SAFE_FEEDBACK", "configure", "trusted_autograde_preprocessors"]

#: What the guard config grades with: a preprocessor that refuses (plain strings, so the
#: guard file imports nothing that could fail).
GUARD_AUTOGRADE = ["autograder.verifier.RefuseToGrade"]
#: Feedback without hidden tests, for the guard and for :func:`configure` alike.
SAFE_FEEDBACK = [
    "nbgrader.preprocessors.GetGrades",
    "autograder.feedback.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]


def trusted_autograde_preprocessors(steps: list | None = None) -> list:
    """An autograde list with the probes armed just before the execute step and verified
    just after it (before anything that trims outputs or saves grades).

    Parameters
    ----------
    steps : list or None
        The list to extend: classes or dotted names, e.g. one where the sandbox slice's
        ``SandboxedExecute`` replaced ``Execute``. None means nbgrader's default.

    Returns
    -------
    list
        ``steps`` with ArmProbes and VerifyProbes around its one execute step.
    """
    if steps is None:
        steps = list(Autograde.class_traits()["autograde_preprocessors"].default())
    steps = [s for s in steps if s not in (ArmProbes, VerifyProbes)]
    executes = [i for i, step in enumerate(steps) if _is_execute(step)]
    if len(executes) != 1:
        raise ValueError(f"expected one Execute step in {steps}, found {len(executes)}")
    at = executes[0]
    return [*steps[:at], ArmProbes, steps[at], VerifyProbes, *steps[at + 1 :]]


def _is_execute(step: Any) -> bool:
    if isinstance(step, str):
        step = import_item(step)
    return isinstance(step, type) and issubclass(step, Execute)


def configure(c: Any) -> None:
    """Set the trusted grader's options on a traitlets config object.

    Works before or after other changes to ``Autograde.autograde_preprocessors`` in the
    same file (the sandbox's ``SandboxedExecute``, for one).

    Parameters
    ----------
    c : traitlets.config.Config
        The ``c`` of a course's ``nbgrader_config.py``.
    """
    current = c.Autograde.get("autograde_preprocessors")
    c.Autograde.autograde_preprocessors = trusted_autograde_preprocessors(
        None if current is None else list(current)
    )
    # A test cell the student deleted comes back from the gradebook and is graded.
    c.OverwriteCells.add_missing_cells = True
    c.GenerateFeedback.preprocessors = list(SAFE_FEEDBACK)
    # formgrader renders graded notebooks with an HTMLExporter built from this config:
    # instructors see the verdicts, not the probe calls behind them.
    c.HTMLExporter.preprocessors = ["autograder.feedback.HideHiddenTests"]
