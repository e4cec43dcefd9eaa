"""What is right: the reference maths, exact fractions, the worked example, typical mistakes.

Notebooks 1 to 6's maths is :mod:`autograder.maths.reference`; notebook 7's layer and
max pooling are :mod:`autograder.maths.layer`. :func:`reference_function` finds the
reference of any graded function in either.

Imports nothing of the rest of the package (an import-linter contract says so).
"""

from __future__ import annotations

from collections.abc import Callable

from autograder.maths import layer, reference

__all__ = ["reference_function"]


def reference_function(task: str) -> Callable:
    """The reference implementation of a graded function.

    Parameters
    ----------
    task : str
        A graded function's name, e.g. ``"conv2d_forward"`` or ``"max_pool_backward"``.

    Returns
    -------
    callable
        The function the task's answers are judged against.
    """
    if task in layer.TASKS:
        return layer.TASKS[task]
    if task in reference.__all__:
        return getattr(reference, task)
    raise ValueError(f"{task!r} is not a graded function")
