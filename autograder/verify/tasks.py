"""The registry of graded tasks: every task the course grades is declared here, once.

A task is either a function the student writes (:class:`FunctionTask`, probed with
``conv_probe.probe`` on fresh challenges) or a value the student computes by hand on the
worked example (:class:`HandValueTask`, sent with ``conv_probe.probe_value`` and judged
exactly). Each declaration says which notebook grades it, what is right (the reference
function or the exact value), what a right answer must look like (:class:`Result`), how
close is close enough (:mod:`autograder.maths.tolerance`), its challenge classes
(:mod:`autograder.verify.challenges`) and its typical mistakes
(:mod:`autograder.maths.misconceptions`). A misconception is identified by (task, key):
the same key may carry a different sentence in another task, and every task also has
the general mistakes (:data:`autograder.maths.misconceptions.GENERAL`: returned None,
an integer array, an input changed in place) under their own keys.

Everything else reads this table: arming and judging the probes, the preprocessors'
list of known tasks, the catalogue lookup, the visible checks' expected values, the
sample class. Points are not here: each graded cell's nbgrader metadata holds them.

To add a graded task:

1. ``maths/reference.py``: the reference function (export it in ``autograder.__all__``),
   or for a hand value, its exact value in ``maths/example.py``;
2. ``maths/misconceptions.py``: its tuple of typical mistakes (at least one);
3. ``verify/challenges.py``: for a function, its case classes, ``<task>_cases(rng)``;
4. here: one ``FunctionTask``/``HandValueTask`` in :data:`_DECLARED`;
5. the notebook: an answer cell with ``grade_id`` = the task's name and a graded test cell
   ``test_<task>`` whose hidden block calls ``conv_probe.probe("<task>", <task>)`` (or
   ``probe_value``); and in ``conv_checks.py`` its ``check_<task>`` (and, for a
   function, its ``example_arguments()``); then ``make notebooks``.

``tests/verify/test_tasks.py`` fails until every part is there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType
from typing import Any, ClassVar, Literal

import numpy as np

from autograder.i18n.messages import N_
from autograder.i18n.messages import gettext as _
from autograder.maths import example, layer
from autograder.maths import misconceptions as mistakes
from autograder.maths import reference as ref
from autograder.maths.misconceptions import (
    GENERAL,
    Misconception,
    Outcome,
    diagnose,
    explain_errors,
    look_alikes,
)
from autograder.maths.tolerance import EXACT, ROUNDED_ESTIMATE, TOLERANCE, Tolerance
from autograder.verify import challenges
from autograder.verify.challenges import CaseGenerator

__all__ = [
    "ARRAY",
    "FLOAT_ARRAY",
    "FUNCTION_TASKS",
    "HAND_VALUE_TASKS",
    "NUMBER",
    "TASKS",
    "FunctionTask",
    "HandValueTask",
    "Result",
    "Task",
    "function_task",
    "hand_value_task",
    "misconception",
    "shape",
    "tuple_of",
]

#: How feedback names the parts of a tuple or shape result, by place.
_ORDINALS = (
    N_("`{name}`, the first value"),
    N_("`{name}`, the second value"),
    N_("`{name}`, the third value"),
    N_("`{name}`, the fourth value"),
    N_("`{name}`, the fifth value"),
    N_("`{name}`, the sixth value"),
    N_("`{name}`, the seventh value"),
    N_("`{name}`, the eighth value"),
)


# ------------------------------------------------------------------- the result


@dataclass(frozen=True)
class Result:
    """What a graded function must return, besides the right values.

    Attributes
    ----------
    kind : str
        ``"array"``: a numpy array of numbers, of the reference's shape;
        ``"number"``: one real number;
        ``"shape"``: whole numbers, one per name, as a tuple, list or 1-D array;
        ``"tuple"``: a tuple (or list) of parts, each judged by its own Result.
    floats : bool
        Arrays only: it must be a float array (the exercise contract: integer input must
        not truncate a gradient of 1/4 to 0).
    names : tuple of str
        ``"shape"`` and ``"tuple"``: the name of each entry or part, for feedback.
    parts : tuple of Result
        ``"tuple"``: each part's Result, in order.
    """

    kind: Literal["array", "number", "shape", "tuple"]
    floats: bool = False
    names: tuple[str, ...] = ()
    parts: tuple[Result, ...] = ()

    def part_name(self, index: int) -> str:
        """How feedback names one part of a tuple or shape result, by its name and place:
        ``"`loss`, the second value"``."""
        return _(self.part_wording(index)).format(name=self.names[index])

    @staticmethod
    def part_wording(index: int) -> str:
        """The English template of :meth:`part_name`, with ``{name}`` for the part's name."""
        return _ORDINALS[index]

    def __post_init__(self) -> None:
        if len(self.names) > len(_ORDINALS):
            raise ValueError(f"a result of more than {len(_ORDINALS)} parts cannot be named")


#: A numpy array of numbers.
ARRAY = Result("array")
#: A numpy array of floats.
FLOAT_ARRAY = Result("array", floats=True)
#: One real number.
NUMBER = Result("number")


def shape(*names: str) -> Result:
    """A shape: whole numbers, one per name, e.g. ``shape("Ho", "Wo")``."""
    return Result("shape", names=names)


def tuple_of(**parts: Result) -> Result:
    """A tuple of named parts, e.g. ``tuple_of(new_F=ARRAY, loss=NUMBER)``."""
    return Result("tuple", names=tuple(parts), parts=tuple(parts.values()))


# -------------------------------------------------------------------- the tasks


@dataclass(frozen=True, eq=False)
class _Task:
    name: str
    notebook: str
    misconceptions: tuple[Misconception, ...]

    def misconception(self, key: str) -> Misconception:
        """This task's misconception with this key, its own or a general one.

        Raises
        ------
        KeyError
            If the task has none with that key.
        """
        for entry in (*self.misconceptions, *GENERAL):
            if entry.key == key:
                return entry
        raise KeyError(f"{self.name} has no misconception {key!r}")


@dataclass(frozen=True, eq=False)
class FunctionTask(_Task):
    """A graded function: probed on fresh challenges, compared with the reference.

    Attributes
    ----------
    name : str
        The function's name, in the notebook, the probe call and the feedback.
    notebook : str
        The notebook that grades it (its file name without ``.ipynb``).
    misconceptions : tuple of Misconception
        Its typical mistakes, most specific first.
    reference : callable
        The right implementation (:mod:`autograder.maths.reference`).
    case_classes : callable taking a numpy Generator, returning a list of Case
        One fresh draw of each of its challenge classes.
    result : Result
        What it must return.
    tolerance : Tolerance
        How close its values must be: the course's one rule, unless its right answer is
        itself a numerical estimate.
    restates : str or None
        The task whose contract this one restates in another style (notebook 7's
        vectorised exercises restate its loop ones): the same reference, challenge
        classes, result and mistakes, declared again under this task's name.
    """

    reference: Callable[..., Any]
    case_classes: CaseGenerator
    result: Result
    tolerance: Tolerance = field(default=TOLERANCE)
    restates: str | None = None

    kind: ClassVar[str] = "function"
    #: The ``conv_probe`` call that sends its answers.
    probe: ClassVar[str] = "probe"

    def look_alikes(self, args: tuple) -> frozenset[frozenset[str]]:
        """The pairs of answers (right and mistaken) these arguments cannot tell apart."""
        return look_alikes(self.reference, self.misconceptions, args, self.tolerance)

    def diagnose(self, args: tuple, answer: Any, expected: Any = None) -> Misconception | None:
        """The typical mistake a wrong answer on these arguments matches, if any.

        ``expected`` is the reference's answer on ``args``, computed when not given.
        """
        if expected is None:
            expected = self.reference(*args)
        right_shape = expected.shape if isinstance(expected, np.ndarray) else None
        return diagnose(self.misconceptions, args, answer, self.tolerance, right_shape)

    def explain_errors(self, calls: list[tuple[tuple, Outcome, Any]]) -> Misconception | None:
        """The typical mistake that explains every call of a function that raised on some
        (see :func:`autograder.maths.misconceptions.explain_errors`)."""
        return explain_errors(self.misconceptions, calls, self.tolerance)


@dataclass(frozen=True, eq=False)
class HandValueTask(_Task):
    """A value computed by hand on the worked example, judged exactly.

    Attributes
    ----------
    name : str
        The variable's name in the notebook.
    notebook : str
        The notebook that grades it.
    misconceptions : tuple of Misconception
        Its typical mistakes: each ``wrong()`` gives the mistaken value.
    value : Fraction, or object array of Fraction
        The right value (:mod:`autograder.maths.example`).
    tolerance : Tolerance
        :data:`autograder.maths.tolerance.EXACT`.
    """

    value: Fraction | np.ndarray
    tolerance: Tolerance = field(default=EXACT)

    kind: ClassVar[str] = "hand_value"
    #: The ``conv_probe`` call that sends the value.
    probe: ClassVar[str] = "probe_value"

    def diagnose(self, answer: Any) -> Misconception | None:
        """The typical mistake a wrong value matches, if any."""
        return diagnose(self.misconceptions, (), answer, self.tolerance)


#: A graded task of either kind.
Task = FunctionTask | HandValueTask


# In course order: notebook by notebook, task by task.
_DECLARED: tuple[Task, ...] = (
    HandValueTask(
        name="O_by_hand",
        notebook="01_forward",
        value=example.O_EXACT,
        misconceptions=mistakes.O_BY_HAND,
    ),
    FunctionTask(
        name="conv2d_output_shape",
        notebook="01_forward",
        reference=ref.conv2d_output_shape,
        case_classes=challenges.conv2d_output_shape_cases,
        result=shape("Ho", "Wo"),
        misconceptions=mistakes.CONV2D_OUTPUT_SHAPE,
    ),
    FunctionTask(
        name="conv2d_forward",
        notebook="01_forward",
        reference=ref.conv2d_forward,
        case_classes=challenges.conv2d_forward_cases,
        result=FLOAT_ARRAY,
        misconceptions=mistakes.CONV2D_FORWARD,
    ),
    HandValueTask(
        name="Z_by_hand",
        notebook="02_gap",
        value=example.Z_EXACT,
        misconceptions=mistakes.Z_BY_HAND,
    ),
    FunctionTask(
        name="gap_forward",
        notebook="02_gap",
        reference=ref.gap_forward,
        case_classes=challenges.gap_forward_cases,
        result=NUMBER,
        misconceptions=mistakes.GAP_FORWARD,
    ),
    HandValueTask(
        name="dO_by_hand",
        notebook="02_gap",
        value=example.dO_EXACT,
        misconceptions=mistakes.DO_BY_HAND,
    ),
    FunctionTask(
        name="gap_backward",
        notebook="02_gap",
        reference=ref.gap_backward,
        case_classes=challenges.gap_backward_cases,
        result=FLOAT_ARRAY,
        misconceptions=mistakes.GAP_BACKWARD,
    ),
    FunctionTask(
        name="jacobian_output_wrt_filter",
        notebook="03_filter_gradient",
        reference=ref.jacobian_output_wrt_filter,
        case_classes=challenges.jacobian_output_wrt_filter_cases,
        result=ARRAY,
        misconceptions=mistakes.JACOBIAN_OUTPUT_WRT_FILTER,
    ),
    HandValueTask(
        name="dF_by_hand",
        notebook="03_filter_gradient",
        value=example.dF_EXACT,
        misconceptions=mistakes.DF_BY_HAND,
    ),
    FunctionTask(
        name="conv2d_backward_filter",
        notebook="03_filter_gradient",
        reference=ref.conv2d_backward_filter,
        case_classes=challenges.conv2d_backward_filter_cases,
        result=FLOAT_ARRAY,
        misconceptions=mistakes.CONV2D_BACKWARD_FILTER,
    ),
    FunctionTask(
        name="jacobian_output_wrt_input",
        notebook="04_input_gradient",
        reference=ref.jacobian_output_wrt_input,
        case_classes=challenges.jacobian_output_wrt_input_cases,
        result=ARRAY,
        misconceptions=mistakes.JACOBIAN_OUTPUT_WRT_INPUT,
    ),
    HandValueTask(
        name="dX_by_hand",
        notebook="04_input_gradient",
        value=example.dX_EXACT,
        misconceptions=mistakes.DX_BY_HAND,
    ),
    FunctionTask(
        name="pad2d",
        notebook="04_input_gradient",
        reference=ref.pad2d,
        case_classes=challenges.pad2d_cases,
        result=ARRAY,
        misconceptions=mistakes.PAD2D,
    ),
    FunctionTask(
        name="rot180",
        notebook="04_input_gradient",
        reference=ref.rot180,
        case_classes=challenges.rot180_cases,
        result=ARRAY,
        misconceptions=mistakes.ROT180,
    ),
    FunctionTask(
        name="conv2d_backward_input",
        notebook="04_input_gradient",
        reference=ref.conv2d_backward_input,
        case_classes=challenges.conv2d_backward_input_cases,
        result=FLOAT_ARRAY,
        misconceptions=mistakes.CONV2D_BACKWARD_INPUT,
    ),
    FunctionTask(
        name="numerical_gradient",
        notebook="05_gradient_check",
        reference=ref.numerical_gradient,
        case_classes=challenges.numerical_gradient_cases,
        result=FLOAT_ARRAY,
        misconceptions=mistakes.NUMERICAL_GRADIENT,
    ),
    FunctionTask(
        name="relative_error",
        notebook="05_gradient_check",
        reference=ref.relative_error,
        case_classes=challenges.relative_error_cases,
        result=NUMBER,
        misconceptions=mistakes.RELATIVE_ERROR,
    ),
    FunctionTask(
        name="gradient_check",
        notebook="05_gradient_check",
        reference=ref.gradient_check,
        case_classes=challenges.gradient_check_cases,
        result=tuple_of(error_dF=NUMBER, error_dX=NUMBER),
        # The student's errors come from central differences, the reference's from exact
        # gradients: they agree to about 1e-8, not to the course's rtol of 1e-7.
        tolerance=ROUNDED_ESTIMATE,
        misconceptions=mistakes.GRADIENT_CHECK,
    ),
    FunctionTask(
        name="training_step",
        notebook="06_putting_it_together",
        reference=ref.training_step,
        case_classes=challenges.training_step_cases,
        result=tuple_of(new_F=ARRAY, loss=NUMBER),
        misconceptions=mistakes.TRAINING_STEP,
    ),
    # Notebook 7, a bonus: its test cells carry 0 nbgrader points and their bonus beside
    # them (autograder.verify.bonus).
    FunctionTask(
        name="conv_layer_output_shape",
        notebook="07_conv_layer",
        reference=layer.conv_layer_output_shape,
        case_classes=challenges.conv_layer_output_shape_cases,
        result=shape("N", "K", "Ho", "Wo"),
        misconceptions=mistakes.CONV_LAYER_OUTPUT_SHAPE,
    ),
    FunctionTask(
        name="conv_layer_forward",
        notebook="07_conv_layer",
        reference=layer.conv_layer_forward,
        case_classes=challenges.conv_layer_forward_cases,
        result=FLOAT_ARRAY,
        misconceptions=mistakes.CONV_LAYER_FORWARD,
    ),
    FunctionTask(
        name="conv_layer_backward",
        notebook="07_conv_layer",
        reference=layer.conv_layer_backward,
        case_classes=challenges.conv_layer_backward_cases,
        result=tuple_of(dX=FLOAT_ARRAY, dF=FLOAT_ARRAY, db=FLOAT_ARRAY),
        misconceptions=mistakes.CONV_LAYER_BACKWARD,
    ),
    FunctionTask(
        name="conv_layer_forward_vectorised",
        notebook="07_conv_layer",
        reference=layer.conv_layer_forward,
        case_classes=challenges.conv_layer_forward_cases,
        result=FLOAT_ARRAY,
        misconceptions=mistakes.CONV_LAYER_FORWARD,
        restates="conv_layer_forward",
    ),
    FunctionTask(
        name="conv_layer_backward_vectorised",
        notebook="07_conv_layer",
        reference=layer.conv_layer_backward,
        case_classes=challenges.conv_layer_backward_cases,
        result=tuple_of(dX=FLOAT_ARRAY, dF=FLOAT_ARRAY, db=FLOAT_ARRAY),
        misconceptions=mistakes.CONV_LAYER_BACKWARD,
        restates="conv_layer_backward",
    ),
    FunctionTask(
        name="max_pool_forward",
        notebook="07_conv_layer",
        reference=layer.max_pool_forward,
        case_classes=challenges.max_pool_forward_cases,
        result=FLOAT_ARRAY,
        misconceptions=mistakes.MAX_POOL_FORWARD,
    ),
    FunctionTask(
        name="max_pool_backward",
        notebook="07_conv_layer",
        reference=layer.max_pool_backward,
        case_classes=challenges.max_pool_backward_cases,
        result=FLOAT_ARRAY,
        misconceptions=mistakes.MAX_POOL_BACKWARD,
    ),
)


def _check_restatement(task: FunctionTask, original: Task | None) -> None:
    """A restated task must keep its original's contract: everything but its name."""
    if not isinstance(original, FunctionTask):
        raise ValueError(f"{task.name} restates {task.restates!r}, no graded function before it")
    same = (
        task.reference is original.reference
        and task.case_classes is original.case_classes
        and task.result == original.result
        and task.tolerance == original.tolerance
        and task.misconceptions is original.misconceptions
    )
    if not same:
        raise ValueError(f"{task.name} restates {original.name} but differs from it")


def _table(declared: tuple[Task, ...]) -> Mapping[str, Task]:
    table: dict[str, Task] = {}
    for task in declared:
        if task.name in table:
            raise ValueError(f"the graded task {task.name!r} is declared twice")
        keys = [entry.key for entry in task.misconceptions]
        if len(keys) != len(set(keys)):
            raise ValueError(f"{task.name}: two misconceptions share a key")
        if isinstance(task, FunctionTask) and task.restates is not None:
            _check_restatement(task, table.get(task.restates))
        general = set(keys) & {entry.key for entry in GENERAL}
        if general:
            raise ValueError(f"{task.name}: {sorted(general)} is a general mistake's key")
        table[task.name] = task
    return MappingProxyType(table)


#: Every graded task by name, in course order.
TASKS: Mapping[str, Task] = _table(_DECLARED)
#: The graded functions' names, probed with ``conv_probe.probe``.
FUNCTION_TASKS: tuple[str, ...] = tuple(
    name for name, task in TASKS.items() if isinstance(task, FunctionTask)
)
#: The graded hand-computed values' names, sent with ``conv_probe.probe_value``.
HAND_VALUE_TASKS: tuple[str, ...] = tuple(
    name for name, task in TASKS.items() if isinstance(task, HandValueTask)
)


def function_task(name: str) -> FunctionTask:
    """The graded function called ``name``.

    Raises
    ------
    ValueError
        If no graded function has that name.
    """
    task = TASKS.get(name)
    if not isinstance(task, FunctionTask):
        raise ValueError(f"{name!r} is not a graded function")
    return task


def hand_value_task(name: str) -> HandValueTask:
    """The graded hand-computed value called ``name``.

    Raises
    ------
    ValueError
        If no graded hand-computed value has that name.
    """
    task = TASKS.get(name)
    if not isinstance(task, HandValueTask):
        raise ValueError(f"{name!r} is not a graded hand-computed value")
    return task


def misconception(task: str, key: str) -> Misconception:
    """The misconception identified by (task, key).

    Raises
    ------
    KeyError
        If there is no such task or the task has no such key.
    """
    return TASKS[task].misconception(key)
