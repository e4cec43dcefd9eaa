"""Wire the trusted grader and its jail into a course's nbgrader configuration.

A course's ``nbgrader_config.py`` calls :func:`configure`; plain ``nbgrader autograde``
and ``nbgrader generate_feedback`` then run every submission in the jail
(:mod:`autograder.jail`), verify its answers outside the kernel and hide the hidden
tests. If that file fails to load, nbgrader only logs the error and carries on with the
settings it did load, so the fail-closed guard (``etc/jupyter/nbgrader_config.py``,
installed into the environment by ``make setup``) sets :data:`GUARD_AUTOGRADE` and
:data:`SAFE_FEEDBACK` underneath every course config: grading a notebook of this course
then refuses to run, while other courses' notebooks grade as stock nbgrader grades them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from nbgrader.converters import Autograde
from nbgrader.preprocessors import DeduplicateIds, Execute

from autograder.i18n.catalogue import course_locale_dir
from autograder.i18n.feedback import TranslateLockedCells
from autograder.jail.execute import SandboxedExecute
from autograder.jail.kernelspec import KERNEL_NAME
from autograder.verify.bonus import bonus_points_in, with_bonus_credit
from autograder.verify.cell_metadata import RestoreCellMetadata
from autograder.verify.copying import FlagCopiedAnswers
from autograder.verify.page_security import secure_pages
from autograder.verify.preprocessors import ArmProbes, VerifyProbes

__all__ = [
    "ASSIGNMENT_ID",
    "GUARD_AUTOGRADE",
    "SAFE_FEEDBACK",
    "autograde_preprocessors",
    "configure",
    "sanitize_preprocessors",
]

#: The course's one nbgrader assignment.
ASSIGNMENT_ID = "conv_backprop"
#: What the guard config grades with: nbgrader's own list, with a step before Execute that
#: refuses a notebook carrying this course's probes (plain strings, so the guard file
#: imports nothing that could fail).
GUARD_AUTOGRADE = [
    "autograder.verify.preprocessors.RefuseToGrade",
    "nbgrader.preprocessors.Execute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
#: Feedback without hidden tests, for the guard and for :func:`configure` alike.
SAFE_FEEDBACK = [
    "nbgrader.preprocessors.GetGrades",
    "autograder.verify.bonus.BonusInFeedback",
    "autograder.verify.hide_hidden_tests.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]


def autograde_preprocessors(*, verify: bool = True) -> list[Any]:
    """nbgrader's default autograde steps, with the kernel jailed and the answers verified.

    ``Execute`` becomes :class:`~autograder.jail.execute.SandboxedExecute`; with
    ``verify``, :class:`ArmProbes` runs just before it and :class:`VerifyProbes` just
    after it (before anything that trims outputs or saves grades). Then
    :class:`~autograder.verify.copying.FlagCopiedAnswers` notes answers copied from code
    given elsewhere in the assignment (score-neutral; with or without ``verify``), and
    with ``verify`` :class:`~autograder.verify.bonus.SaveBonusCredit` credits bonus cells
    just after ``SaveAutoGrades``.

    Parameters
    ----------
    verify : bool
        False grades with stock nbgrader's hidden tests in the jailed kernel: only for
        courses without probes (the tests' tiny courses, benchmarks of the jail alone).

    Returns
    -------
    list
        The steps for ``Autograde.autograde_preprocessors``.
    """
    steps = list(Autograde.class_traits()["autograde_preprocessors"].default())
    (at,) = [i for i, step in enumerate(steps) if step is Execute]
    if not verify:
        return [*steps[:at], SandboxedExecute, FlagCopiedAnswers, *steps[at + 1 :]]
    around = [ArmProbes, SandboxedExecute, VerifyProbes, FlagCopiedAnswers]
    return with_bonus_credit([*steps[:at], *around, *steps[at + 1 :]])


def sanitize_preprocessors() -> list[Any]:
    """nbgrader's default sanitising steps, with the submitted nbgrader metadata rebuilt
    from the gradebook first.

    :class:`~autograder.verify.cell_metadata.RestoreCellMetadata` goes just before
    ``DeduplicateIds``, the first step that reads that metadata (and raises on a block
    without a ``grade_id``), so ``OverwriteCells`` and ``CheckCellMetadata`` only ever
    see blocks the gradebook vouches for.

    Returns
    -------
    list
        The steps for ``Autograde.sanitize_preprocessors``.
    """
    steps = list(Autograde.class_traits()["sanitize_preprocessors"].default())
    at = steps.index(DeduplicateIds)
    return [*steps[:at], RestoreCellMetadata, *steps[at:]]


def configure(
    c: Any,
    course_root: str | os.PathLike[str],
    assignment: str = ASSIGNMENT_ID,
    *,
    verify: bool = True,
) -> None:
    """Set the trusted grader's and its jail's options on a course's config object.

    Parameters
    ----------
    c : traitlets.config.Config
        The ``c`` of a course's ``nbgrader_config.py``.
    course_root : path
        The course folder; the jail's trusted helpers, and the bonus points its test
        cells declare, come from its ``source/<assignment>/``, feedback's translations
        from its ``locale/``.
    assignment : str
        The assignment whose helper files the jail copies.
    verify : bool
        See :func:`autograde_preprocessors`.
    """
    c.Execute.kernel_name = KERNEL_NAME
    c.Sandbox.helper_dir = str(Path(course_root) / "source" / assignment)
    c.Autograde.autograde_preprocessors = autograde_preprocessors(verify=verify)
    # Bonus cells (0 nbgrader points, a bonus beside them) earn extra credit; the bonus
    # comes from the instructor's source notebooks, never from a submission.
    c.VerifyProbes.bonus_points = bonus_points_in(Path(course_root) / "source" / assignment)
    # A pasted, edited or emptied nbgrader metadata block neither fails the notebook nor
    # changes its points: the gradebook's record replaces it.
    c.Autograde.sanitize_preprocessors = sanitize_preprocessors()
    # A test cell the student deleted comes back from the gradebook and is graded.
    c.OverwriteCells.add_missing_cells = True
    # Feedback in the student's language: the locked cells autograde restored to the
    # gradebook's English are translated back first (the guard's list lacks this step
    # only: a translated notebook then gets English feedback).
    c.GenerateFeedback.preprocessors = [
        *SAFE_FEEDBACK[:1],
        TranslateLockedCells,
        *SAFE_FEEDBACK[1:],
    ]
    c.TranslateLockedCells.locale_dir = str(course_locale_dir(Path(course_root)))
    # formgrader renders graded notebooks with an HTMLExporter built from this config:
    # instructors see the verdicts, not the probe calls behind them.
    c.HTMLExporter.preprocessors = ["autograder.verify.hide_hidden_tests.HideHiddenTests"]
    # A submission's HTML, there and in feedback, is sanitised and runs no script.
    secure_pages(c)
