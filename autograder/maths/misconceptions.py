"""The catalogue of typical wrong answers, and how to recognise one.

Each graded task has a tuple of :class:`Misconception` here, named after the task (e.g.
:data:`CONV2D_FORWARD`): a key, one plain sentence for the student, and the mistaken
implementation itself, with the task's signature, written as a student's code would make
the mistake (so it also raises where such code raises). The task registry
(:mod:`autograder.verify.tasks`) gives each tuple to its task, so a misconception is
identified by (task, key): the same key may name different sentences in two tasks.

An answer is recognised as a mistake in one of three ways:

- by its values (:func:`diagnose`): the mistaken implementation, run on the same inputs,
  returns the same values under the task's tolerance (:mod:`autograder.maths.tolerance`);
- by its shape alone, for a mistake that declares the shapes it gives (an output
  allocated with the wrong shape is filled in many ways, but its shape gives the slip
  away);
- by the errors it raises (:func:`explain_errors`): when a function raised on some
  challenges, a mistake is named only if it explains every challenge of the call: it
  raises the same exception type where the student's code raised, and gives the
  student's answer everywhere else.

The verifier uses these on hidden challenges; the visible checks use literal outcomes
they produced on the checks' examples.

:data:`GENERAL` holds the mistakes of any graded function, checked by whoever sees the
evidence: :data:`RETURNED_NONE`, :data:`INTEGER_RESULT` (an integer array where the
contract asks for floats) and :data:`INPUT_MODIFIED` (the probe saw an input change; the
kernel reports it, so it is only ever a hint).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder.maths import example, layer
from autograder.maths import layer_mistakes as slip
from autograder.maths import reference as ref
from autograder.maths.tolerance import Tolerance

__all__ = [
    "CONV2D_BACKWARD_FILTER",
    "CONV2D_BACKWARD_INPUT",
    "CONV2D_FORWARD",
    "CONV2D_OUTPUT_SHAPE",
    "CONV_LAYER_BACKWARD",
    "CONV_LAYER_FORWARD",
    "CONV_LAYER_OUTPUT_SHAPE",
    "DF_BY_HAND",
    "DO_BY_HAND",
    "DX_BY_HAND",
    "GAP_BACKWARD",
    "GAP_FORWARD",
    "GENERAL",
    "GRADIENT_CHECK",
    "INPUT_MODIFIED",
    "INTEGER_RESULT",
    "JACOBIAN_OUTPUT_WRT_FILTER",
    "JACOBIAN_OUTPUT_WRT_INPUT",
    "MAX_POOL_BACKWARD",
    "MAX_POOL_FORWARD",
    "NUMERICAL_GRADIENT",
    "O_BY_HAND",
    "PAD2D",
    "RELATIVE_ERROR",
    "RETURNED_NONE",
    "RIGHT",
    "ROT180",
    "TRAINING_STEP",
    "Z_BY_HAND",
    "Misconception",
    "Outcome",
    "Raises",
    "diagnose",
    "explain_errors",
    "look_alikes",
    "outcomes",
    "recognises",
]


@dataclass(frozen=True)
class Misconception:
    """One typical wrong answer to a task.

    Attributes
    ----------
    key : str
        A stable identifier, e.g. ``"kernel_flipped"``; unique within its task.
    message : str
        One plain sentence that tells the student what the answer looks like and what to
        change. It relies only on what the course has taught by the task's exercise.
    wrong : callable
        The mistaken implementation, taking the task's arguments. For a hand-computed
        value it takes no arguments and returns the mistaken value.
    wrong_shapes : callable or None
        For a mistake recognised by the shape of the answer alone (an output allocated
        with the wrong shape), not by its values: takes the task's arguments and returns
        the shapes the mistake gives there.
    variants : tuple of callable
        Other common ways of writing the same mistake, which return or raise elsewhere
        (a loop over the allocated array instead of the right ranges, say).
    """

    key: str
    message: str
    wrong: Callable[..., Any]
    wrong_shapes: Callable[..., tuple[tuple[int, ...], ...]] | None = None
    variants: tuple[Callable[..., Any], ...] = ()

    @property
    def implementations(self) -> tuple[Callable[..., Any], ...]:
        """The mistaken implementation and its variants."""
        return (self.wrong, *self.variants)

    @property
    def by_shape(self) -> bool:
        """Whether it is recognised by the answer's shape alone."""
        return self.wrong_shapes is not None


RETURNED_NONE = Misconception(
    "returned_none",
    "Your function returned None: did you forget `return`? A function whose last line "
    "computes a value without returning it gives None.",
    lambda *args: None,
)

INTEGER_RESULT = Misconception(
    "integer_result",
    "Your function returned an integer array, which cuts fractions such as 1/4 off "
    "(to 0); return floats, e.g. build the result with np.zeros(shape), which is float, "
    "not np.zeros_like(X), which copies an integer X's dtype.",
    lambda *args: None,
)

INPUT_MODIFIED = Misconception(
    "input_modified",
    "Your function changed one of its input arrays in place; work on a copy "
    "(e.g. X.astype(float) or np.array(X, dtype=float)) and leave the inputs untouched.",
    lambda *args: None,
)

#: The mistakes any graded function can make, whatever its task.
GENERAL = (RETURNED_NONE, INTEGER_RESULT, INPUT_MODIFIED)


# ------------------------------------------------------------- building blocks


def _float(A: Any) -> np.ndarray:
    return np.asarray(A, dtype=np.float64)


def _full_correlation(A: np.ndarray, K: np.ndarray) -> np.ndarray:
    """'Full' cross-correlation: every overlap of K with A, shape (Ha+Hk-1, Wa+Wk-1)."""
    kh, kw = np.shape(K)
    return ref.conv2d_forward(ref.pad2d(A, (kh - 1, kw - 1)), K)


def _same_correlation(X: np.ndarray, F: np.ndarray) -> np.ndarray:
    """'Same' cross-correlation, centred as numpy and scipy centre it: shape (H, W)."""
    height, width = np.shape(X)
    kh, kw = np.shape(F)
    top, left = (kh - 1) // 2, (kw - 1) // 2
    return _full_correlation(X, F)[top : top + height, left : left + width]


def _int_truncated(values: np.ndarray) -> np.ndarray:
    """What assigning float values into an integer array does: truncate towards zero."""
    return np.trunc(_float(values)).astype(np.int64)


# A student's correlation loop, and the slips in sizing it. Every conv function is one:
# out[a, b] = sum(A[a:a+wh, b:b+ww] * K) over the output's positions, with
#   conv2d_forward(X, F):         A = X, K = F, window F.shape
#   conv2d_backward_filter(X, dO): A = X, K = dO, window dO.shape
#   conv2d_backward_input(dO, F):  A = dO padded by (kh-1, kw-1), K = rot180(F), window F.shape
# The loops run as numpy runs them: a window hanging over the edge comes out smaller
# and broadcasts or raises, an index past the allocated array raises.


def _student_loops(
    A: Any,
    K: Any,
    window: tuple[int, int],
    allocated: tuple[int, int],
    ranges: tuple[int, int],
) -> np.ndarray:
    """``out = np.zeros(allocated)``, then ``out[a, b] = sum(A[a:a+wh, b:b+ww] * K)`` for
    ``a, b`` in ``range(ranges[0]), range(ranges[1])``."""
    A, K = _float(A), _float(K)
    out = np.zeros(allocated)
    wh, ww = window
    for a in range(ranges[0]):
        for b in range(ranges[1]):
            out[a, b] = np.sum(A[a : a + wh, b : b + ww] * K)
    return out


def _forward_shape(X: Any, F: Any) -> tuple[int, int]:
    (H, W), (kh, kw) = np.shape(X), np.shape(F)
    return H - kh + 1, W - kw + 1


def _filter_shape(X: Any, dO: Any) -> tuple[int, int]:
    (H, W), (Ho, Wo) = np.shape(X), np.shape(dO)
    return H - Ho + 1, W - Wo + 1


def _input_shape(dO: Any, F: Any) -> tuple[int, int]:
    (Ho, Wo), (kh, kw) = np.shape(dO), np.shape(F)
    return Ho + kh - 1, Wo + kw - 1


#: (A, K, window) a conv function's loop slides over, for its arguments.
_Operands = tuple[np.ndarray, np.ndarray, tuple[int, int]]


def _forward_operands(X: Any, F: Any) -> _Operands:
    return _float(X), _float(F), np.shape(F)


def _filter_operands(X: Any, dO: Any) -> _Operands:
    return _float(X), _float(dO), np.shape(dO)


def _input_operands(dO: Any, F: Any) -> _Operands:
    kh, kw = np.shape(F)
    return ref.pad2d(dO, (kh - 1, kw - 1)), ref.rot180(F), (kh, kw)


def _allocation_slips(
    operands: Callable[..., _Operands],
    right_shape: Callable[..., tuple[int, int]],
    square_message: str,
    swapped_message: str,
) -> tuple[Misconception, Misconception]:
    """The two ways of sizing a conv function's output wrong, as its misconceptions: the
    output allocated (rows, rows) or (cols, rows), then filled by loops over the right
    ranges, or over the array allocated."""

    def square(*args: Any) -> np.ndarray:
        rows, cols = right_shape(*args)
        return _student_loops(*operands(*args), (rows, rows), (rows, cols))

    def square_throughout(*args: Any) -> np.ndarray:
        rows, _ = right_shape(*args)
        return _student_loops(*operands(*args), (rows, rows), (rows, rows))

    def swapped(*args: Any) -> np.ndarray:
        rows, cols = right_shape(*args)
        return _student_loops(*operands(*args), (cols, rows), (rows, cols))

    def swapped_throughout(*args: Any) -> np.ndarray:
        rows, cols = right_shape(*args)
        return _student_loops(*operands(*args), (cols, rows), (cols, rows))

    return (
        Misconception(
            "output_square",
            square_message,
            square,
            wrong_shapes=lambda *args: ((right_shape(*args)[0],) * 2,),
            variants=(square_throughout,),
        ),
        Misconception(
            "output_swapped",
            swapped_message,
            swapped,
            wrong_shapes=lambda *args: (right_shape(*args)[::-1],),
            variants=(swapped_throughout,),
        ),
    )


# The slips of "assuming square", each a shape (the one it sizes the output with) and
# the loops that fill an output of that shape.


def _forward_square_filter_shape(X: Any, F: Any) -> tuple[int, int]:
    """kh = F.shape[0] used for both sides of the filter."""
    (H, W), (kh, _) = np.shape(X), np.shape(F)
    return H - kh + 1, W - kh + 1


def _forward_square_filter(X: Any, F: Any) -> np.ndarray:
    shape = _forward_square_filter_shape(X, F)
    kh = np.shape(F)[0]
    return _student_loops(X, F, (kh, kh), shape, shape)


def _forward_square_input_shape(X: Any, F: Any) -> tuple[int, int]:
    """H = X.shape[0] used for both sides of the input."""
    (H, _), (kh, kw) = np.shape(X), np.shape(F)
    return H - kh + 1, H - kw + 1


def _forward_square_input(X: Any, F: Any) -> np.ndarray:
    shape = _forward_square_input_shape(X, F)
    return _student_loops(X, F, np.shape(F), shape, shape)


def _filter_square_input_shape(X: Any, dO: Any) -> tuple[int, int]:
    """H = X.shape[0] used for both sides of the input."""
    (H, _), (Ho, Wo) = np.shape(X), np.shape(dO)
    return H - Ho + 1, H - Wo + 1


def _filter_square_input(X: Any, dO: Any) -> np.ndarray:
    shape = _filter_square_input_shape(X, dO)
    return _student_loops(X, dO, np.shape(dO), shape, shape)


def _filter_square_gradient_shape(X: Any, dO: Any) -> tuple[int, int]:
    """Ho = dO.shape[0] used for both sides of dL/dO."""
    (H, W), (Ho, _) = np.shape(X), np.shape(dO)
    return H - Ho + 1, W - Ho + 1


def _filter_square_gradient(X: Any, dO: Any) -> np.ndarray:
    shape = _filter_square_gradient_shape(X, dO)
    Ho = np.shape(dO)[0]
    return _student_loops(X, dO, (Ho, Ho), shape, shape)


def _input_square_filter_shapes(dO: Any, F: Any) -> tuple[tuple[int, int], ...]:
    """kh = F.shape[0] used for both sides: of the padding (then the notebook's pad2d,
    rot180 and conv2d_forward), or of the padding, the window and the output (loops)."""
    (Ho, Wo), (kh, kw) = np.shape(dO), np.shape(F)
    return (Ho + kh - 1, Wo + 2 * kh - kw - 1), (Ho + kh - 1, Wo + kh - 1)


def _input_square_filter(dO: Any, F: Any) -> np.ndarray:
    kh = np.shape(F)[0]
    return ref.conv2d_forward(ref.pad2d(dO, kh - 1), ref.rot180(F))


def _input_square_filter_loops(dO: Any, F: Any) -> np.ndarray:
    shape = _input_square_filter_shapes(dO, F)[1]
    kh = np.shape(F)[0]
    return _student_loops(ref.pad2d(dO, kh - 1), ref.rot180(F), (kh, kh), shape, shape)


def _input_padded_by_one_shape(dO: Any, F: Any) -> tuple[int, int]:
    """dO padded by 1 on every side, whatever the filter's size."""
    (Ho, Wo), (kh, kw) = np.shape(dO), np.shape(F)
    return Ho + 3 - kh, Wo + 3 - kw


def _input_padded_by_one(dO: Any, F: Any) -> np.ndarray:
    return ref.conv2d_forward(ref.pad2d(dO, 1), ref.rot180(F))


def _input_padded_by_one_loops(dO: Any, F: Any) -> np.ndarray:
    shape = _input_padded_by_one_shape(dO, F)
    return _student_loops(ref.pad2d(dO, 1), ref.rot180(F), np.shape(F), shape, shape)


def _one(shape: Callable[..., tuple[int, int]]) -> Callable[..., tuple[tuple[int, int], ...]]:
    """The wrong shapes of a slip that gives one."""
    return lambda *args: (shape(*args),)


# ------------------------------------------------------------------ catalogue

CONV2D_FORWARD = (
    Misconception(
        "kernel_flipped",
        "Your output matches a true convolution with the filter flipped by 180 degrees; "
        "in deep learning, 'convolution' slides F over X without flipping it.",
        lambda X, F: ref.conv2d_forward(X, ref.rot180(F)),
    ),
    Misconception(
        "full_instead_of_valid",
        "Your output has the 'full' size (X padded with zeros); a 'valid' convolution "
        "only uses windows that fit inside X, so O has shape (H-kh+1, W-kw+1).",
        _full_correlation,
    ),
    Misconception(
        "same_instead_of_valid",
        "Your output has the same shape as X ('same' padding); a 'valid' convolution "
        "only uses windows that fit inside X, so O has shape (H-kh+1, W-kw+1).",
        _same_correlation,
    ),
    Misconception(
        "filter_transposed",
        "Your output matches the filter transposed (F[q, p] instead of F[p, q]); "
        "row offsets of the window go with the filter's rows.",
        lambda X, F: ref.conv2d_forward(X, _float(F).T),
    ),
    Misconception(
        "output_transposed",
        "Your output is transposed: O[a, b] must use the window whose top-left corner "
        "is X[a, b], with a counting rows.",
        lambda X, F: ref.conv2d_forward(X, F).T,
    ),
    *_allocation_slips(
        _forward_operands,
        _forward_shape,
        "Your output is square, (H-kh+1, H-kh+1): its width came from the height. O has "
        "shape (H-kh+1, W-kw+1); take H, W = X.shape and kh, kw = F.shape.",
        "Your output has its height and width swapped, (W-kw+1, H-kh+1); O has shape "
        "(H-kh+1, W-kw+1), rows first, and O[a, b] is row a, column b.",
    ),
    Misconception(
        "square_filter_assumed",
        "Your code assumes a square filter: it uses kh (F.shape[0]) for both sides. Take "
        "kh, kw = F.shape and use kw for the columns of the window and of O.",
        _forward_square_filter,
        wrong_shapes=_one(_forward_square_filter_shape),
    ),
    Misconception(
        "square_input_assumed",
        "Your code assumes a square input: it uses H (X.shape[0]) for both sides. Take "
        "H, W = X.shape and use W for the columns of O.",
        _forward_square_input,
        wrong_shapes=_one(_forward_square_input_shape),
    ),
)

GAP_FORWARD = (
    Misconception(
        "sum_instead_of_mean",
        "You returned the sum of O; global average pooling divides the sum by H*W.",
        lambda O: float(_float(O).sum()),
    ),
    Misconception(
        "divided_by_height_only",
        "You divided the sum by the number of rows only; the mean divides by H*W.",
        lambda O: float(_float(O).sum()) / np.shape(O)[0],
    ),
    Misconception(
        "divided_by_width_only",
        "You divided the sum by the number of columns only; the mean divides by H*W.",
        lambda O: float(_float(O).sum()) / np.shape(O)[1],
    ),
    Misconception(
        "max_instead_of_mean",
        "You returned the largest element (max pooling); global average pooling returns the mean.",
        lambda O: float(_float(O).max()),
    ),
    Misconception(
        "integer_division",
        "You used integer division (//), which drops the fractional part of the mean.",
        lambda O: float(_float(O).sum() // np.size(O)),
    ),
    Misconception(
        "divided_by_h_plus_w",
        "You divided the sum by H + W; the mean divides it by the number of elements, H * W.",
        lambda O: float(_float(O).sum()) / (np.shape(O)[0] + np.shape(O)[1]),
    ),
)

GAP_BACKWARD = (
    Misconception(
        "forgot_one_over_hw",
        "Every entry equals dZ: you forgot that each element of O contributes only "
        "1/(H*W) of Z, so dL/dO = dZ / (H*W).",
        lambda dZ, shape: np.full(tuple(shape), float(dZ)),
    ),
    Misconception(
        "divided_by_height_only",
        "You divided dZ by the number of rows only; every entry is dZ / (H*W).",
        lambda dZ, shape: np.full(tuple(shape), float(dZ) / shape[0]),
    ),
    Misconception(
        "divided_by_width_only",
        "You divided dZ by the number of columns only; every entry is dZ / (H*W).",
        lambda dZ, shape: np.full(tuple(shape), float(dZ) / shape[1]),
    ),
    Misconception(
        "scalar_instead_of_array",
        "You returned one number; dL/dO is an array of the map's shape (H, W), "
        "every entry dZ / (H*W).",
        lambda dZ, shape: float(dZ) / (shape[0] * shape[1]),
    ),
    Misconception(
        "integer_truncation",
        "Your entries were truncated to whole numbers (an integer array, or //); "
        "dZ / (H*W) is usually a fraction like 1/4, so build a float array.",
        lambda dZ, shape: _int_truncated(np.full(tuple(shape), float(dZ) / (shape[0] * shape[1]))),
    ),
    Misconception(
        "divided_by_h_plus_w",
        "You divided dZ by H + W; each of the H * W elements of O gets dZ / (H * W).",
        lambda dZ, shape: np.full(tuple(shape), float(dZ) / (shape[0] + shape[1])),
    ),
)

CONV2D_BACKWARD_FILTER = (
    Misconception(
        "flipped_or_swapped",
        "Your dL/dF is rotated by 180 degrees, which is what a true convolution, or "
        "correlating dO with X (the two swapped), gives; dF[p, q] = sum dO[a, b] X[a+p, b+q].",
        lambda X, dO: ref.rot180(ref.conv2d_backward_filter(X, dO)),
    ),
    Misconception(
        "forgot_upstream_gradient",
        "Your dL/dF ignores dL/dO: you summed the input windows ∂O[a, b]/∂F[p, q] = "
        "X[a+p, b+q] without weighting each by the upstream gradient dO[a, b].",
        lambda X, dO: ref.conv2d_backward_filter(X, np.ones(np.shape(dO))),
    ),
    Misconception(
        "used_full_correlation",
        "Your dL/dF is too large: you also used windows that hang over the edge of X (X "
        "padded with zeros); dL/dF has the filter's shape, (H-Ho+1, W-Wo+1), so slide dO "
        "only where it fits inside X.",
        lambda X, dO: _full_correlation(X, dO),
    ),
    Misconception(
        "result_transposed",
        "Your dL/dF is transposed: dF[p, q] pairs the row offset p with rows of X.",
        lambda X, dO: ref.conv2d_backward_filter(X, dO).T,
    ),
    *_allocation_slips(
        _filter_operands,
        _filter_shape,
        "Your dL/dF is square, (H-Ho+1, H-Ho+1): its width came from the height. It has "
        "the filter's shape, (H-Ho+1, W-Wo+1); take H, W = X.shape and Ho, Wo = dO.shape.",
        "Your dL/dF has its height and width swapped, (W-Wo+1, H-Ho+1); it has the "
        "filter's shape, (H-Ho+1, W-Wo+1), rows first.",
    ),
    Misconception(
        "square_input_assumed",
        "Your code assumes a square X: it uses H (X.shape[0]) for both sides. Take "
        "H, W = X.shape and use W for the columns.",
        _filter_square_input,
        wrong_shapes=_one(_filter_square_input_shape),
    ),
    Misconception(
        "square_gradient_assumed",
        "Your code assumes a square dL/dO: it uses Ho (dO.shape[0]) for both sides. Take "
        "Ho, Wo = dO.shape and use Wo for the columns.",
        _filter_square_gradient,
        wrong_shapes=_one(_filter_square_gradient_shape),
    ),
)

CONV2D_BACKWARD_INPUT = (
    Misconception(
        "filter_not_rotated",
        "Your dL/dX correlates the padded dO with F as it is, but F must be rotated by 180 "
        "degrees exactly once. If you did rotate it, something turned it back: a true "
        "convolution flips its filter again, so correlate, as conv2d_forward does.",
        lambda dO, F: _full_correlation(dO, F),
    ),
    Misconception(
        "valid_instead_of_full",
        "Your dL/dX is smaller than X: you used a 'valid' correlation; pad dO with kh-1 "
        "rows and kw-1 columns of zeros on every side first ('full').",
        lambda dO, F: ref.conv2d_forward(dO, ref.rot180(F)),
    ),
    Misconception(
        "valid_and_not_rotated",
        "Your dL/dX is smaller than X and F was not rotated: pad dO by kh-1 rows and "
        "kw-1 columns ('full'), then correlate with F rotated by 180 degrees.",
        lambda dO, F: ref.conv2d_forward(dO, F),
    ),
    Misconception(
        "flipped_rows_only",
        "You flipped F upside down only; rotating by 180 degrees flips it both upside "
        "down and left to right.",
        lambda dO, F: _full_correlation(dO, _float(F)[::-1, :]),
    ),
    Misconception(
        "flipped_columns_only",
        "You flipped F left to right only; rotating by 180 degrees flips it both upside "
        "down and left to right.",
        lambda dO, F: _full_correlation(dO, _float(F)[:, ::-1]),
    ),
    Misconception(
        "integer_truncation",
        "Your dL/dX lost its fractions: it was built in an integer array (for example "
        "np.zeros_like(X) on integer input); create it with dtype=float.",
        lambda dO, F: _int_truncated(ref.conv2d_backward_input(dO, F)),
    ),
    Misconception(
        "result_transposed",
        "Your dL/dX is transposed: dX[i, j] collects the outputs whose window covers "
        "row i and column j of X.",
        lambda dO, F: ref.conv2d_backward_input(dO, F).T,
    ),
    Misconception(
        "padded_by_one",
        "You padded dO by 1 on every side, which is right only for a 2x2 filter: pad it "
        "by kh-1 rows and kw-1 columns, so that dL/dX has X's shape, (Ho+kh-1, Wo+kw-1).",
        _input_padded_by_one,
        wrong_shapes=_one(_input_padded_by_one_shape),
        variants=(_input_padded_by_one_loops,),
    ),
    *_allocation_slips(
        _input_operands,
        _input_shape,
        "Your dL/dX is square, (Ho+kh-1, Ho+kh-1): its width came from the height. It has "
        "X's shape, (Ho+kh-1, Wo+kw-1); take Ho, Wo = dO.shape and kh, kw = F.shape.",
        "Your dL/dX has its height and width swapped, (Wo+kw-1, Ho+kh-1); it has X's "
        "shape, (Ho+kh-1, Wo+kw-1), rows first.",
    ),
    Misconception(
        "square_filter_assumed",
        "Your code assumes a square filter: it uses kh (F.shape[0]) for both sides. Take "
        "kh, kw = F.shape and pad dO by kh-1 rows and kw-1 columns.",
        _input_square_filter,
        wrong_shapes=_input_square_filter_shapes,
        variants=(_input_square_filter_loops,),
    ),
)

JACOBIAN_OUTPUT_WRT_FILTER = (
    Misconception(
        "axes_reordered",
        "Your Jacobian's axes are in the order (p, q, a, b); the contract is "
        "J[a, b, p, q] = ∂O[a, b] / ∂F[p, q].",
        lambda X, filter_shape: ref.jacobian_output_wrt_filter(X, filter_shape).transpose(
            2, 3, 0, 1
        ),
    ),
    Misconception(
        "filter_indices_swapped",
        "Your Jacobian swaps p and q: ∂O[a, b] / ∂F[p, q] = X[a+p, b+q], with p the row offset.",
        lambda X, filter_shape: ref.jacobian_output_wrt_filter(X, filter_shape).transpose(
            0, 1, 3, 2
        ),
    ),
)

JACOBIAN_OUTPUT_WRT_INPUT = (
    Misconception(
        "axes_reordered",
        "Your Jacobian's axes are in the order (i, j, a, b); the contract is "
        "J[a, b, i, j] = ∂O[a, b] / ∂X[i, j].",
        lambda input_shape, F: ref.jacobian_output_wrt_input(input_shape, F).transpose(2, 3, 0, 1),
    ),
    Misconception(
        "filter_rotated",
        "Your Jacobian uses F rotated by 180 degrees; ∂O[a, b] / ∂X[i, j] = F[i-a, j-b] "
        "with the filter as it is (the rotation only appears when you sum over a, b).",
        lambda input_shape, F: ref.jacobian_output_wrt_input(input_shape, ref.rot180(F)),
    ),
)


def _pad_pair(pad: Any) -> tuple[int, int]:
    """``pad2d``'s ``pad`` argument, one int or two, as (pad_h, pad_w)."""
    return (int(pad), int(pad)) if np.ndim(pad) == 0 else (int(pad[0]), int(pad[1]))


def _pad_one_side(A: np.ndarray, pad: int | tuple[int, int]) -> np.ndarray:
    pad_h, pad_w = _pad_pair(pad)
    return np.pad(_float(A), ((0, 2 * pad_h), (0, 2 * pad_w)))


def _pad_swapped(A: np.ndarray, pad: int | tuple[int, int]) -> np.ndarray:
    pad_h, pad_w = _pad_pair(pad)
    return ref.pad2d(A, (pad_w, pad_h))


PAD2D = (
    Misconception(
        "padded_one_side",
        "You added all the zeros after the array (bottom and right); pad2d puts pad_h "
        "rows above and below and pad_w columns left and right.",
        _pad_one_side,
    ),
    Misconception(
        "pad_amounts_swapped",
        "You padded rows by pad_w and columns by pad_h; pad = (pad_h, pad_w) gives rows first.",
        _pad_swapped,
    ),
    Misconception(
        "padded_once",
        "You added pad rows and columns in total instead of on each side; the result "
        "has shape (H + 2*pad_h, W + 2*pad_w).",
        lambda A, pad: ref.pad2d(A, pad)[
            : np.shape(A)[0] + (pad if np.ndim(pad) == 0 else pad[0]),
            : np.shape(A)[1] + (pad if np.ndim(pad) == 0 else pad[1]),
        ],
    ),
)

ROT180 = (
    Misconception(
        "transposed",
        "You transposed F; rotating by 180 degrees flips it upside down and left to "
        "right: R[p, q] = F[kh-1-p, kw-1-q].",
        lambda F: _float(F).T,
    ),
    Misconception(
        "flipped_rows_only",
        "You flipped F upside down only; a 180-degree rotation also flips it left to right.",
        lambda F: _float(F)[::-1, :],
    ),
    Misconception(
        "flipped_columns_only",
        "You flipped F left to right only; a 180-degree rotation also flips it upside down.",
        lambda F: _float(F)[:, ::-1],
    ),
    Misconception(
        "rotated_90",
        "You rotated F by 90 degrees; rot180 turns it by two quarter turns.",
        lambda F: np.rot90(_float(F)),
    ),
)

CONV2D_OUTPUT_SHAPE = (
    Misconception(
        "forgot_plus_one",
        "You forgot the +1: a filter of size k fits H-k+1 times along a side of size H.",
        lambda input_shape, filter_shape: (
            input_shape[0] - filter_shape[0],
            input_shape[1] - filter_shape[1],
        ),
    ),
    Misconception(
        "full_size",
        "That is the 'full' output size (H+kh-1, W+kw-1); a 'valid' output is (H-kh+1, W-kw+1).",
        lambda input_shape, filter_shape: (
            input_shape[0] + filter_shape[0] - 1,
            input_shape[1] + filter_shape[1] - 1,
        ),
    ),
    Misconception(
        "same_size",
        "That is the input's own size ('same' padding); a 'valid' output is (H-kh+1, W-kw+1).",
        lambda input_shape, filter_shape: tuple(input_shape),
    ),
    Misconception(
        "width_first",
        "Your shape lists the width first, (W-kw+1, H-kh+1); a shape lists the rows "
        "first: (H-kh+1, W-kw+1).",
        lambda input_shape, filter_shape: (
            input_shape[1] - filter_shape[1] + 1,
            input_shape[0] - filter_shape[0] + 1,
        ),
    ),
    Misconception(
        "square_input_assumed",
        "You used the input's height H for both sides; take H, W = input_shape and count "
        "the columns from W: (H-kh+1, W-kw+1).",
        lambda input_shape, filter_shape: (
            input_shape[0] - filter_shape[0] + 1,
            input_shape[0] - filter_shape[1] + 1,
        ),
    ),
    Misconception(
        "square_filter_assumed",
        "You used the filter's height kh for both sides; take kh, kw = filter_shape and "
        "count the columns with kw: (H-kh+1, W-kw+1).",
        lambda input_shape, filter_shape: (
            input_shape[0] - filter_shape[0] + 1,
            input_shape[1] - filter_shape[0] + 1,
        ),
    ),
)


def _numerical_gradient_forward(f: Callable, X: np.ndarray, h: float = 1e-5) -> np.ndarray:
    X = np.array(X, dtype=np.float64)
    f0 = f(X.copy())
    grad = np.zeros_like(X)
    for index in np.ndindex(X.shape):
        nudged = X.copy()
        nudged[index] += h
        grad[index] = (f(nudged) - f0) / h
    return grad


def _numerical_gradient_in_place(f: Callable, X: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """CS231n's loop: X nudged in place in its own dtype, the estimate in zeros_like(X)."""
    X = np.array(X)
    grad = np.zeros_like(X)
    for index in np.ndindex(X.shape):
        original = X[index]
        X[index] = original + h  # an integer X stores original again
        f_plus = f(X)
        X[index] = original - h
        f_minus = f(X)
        X[index] = original
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad


NUMERICAL_GRADIENT = (
    Misconception(
        "divided_by_h",
        "Your estimate is twice too large: a central difference divides "
        "f(X+h) - f(X-h) by 2h, not h.",
        lambda f, X, h=1e-5: 2 * ref.numerical_gradient(f, X, h),
    ),
    Misconception(
        "forward_difference",
        "You used a forward difference (f(X+h) - f(X)) / h, whose error is of order h; "
        "the central difference (f(X+h) - f(X-h)) / (2h) is far more accurate.",
        _numerical_gradient_forward,
    ),
    Misconception(
        "integer_nudges",
        "On an integer X your estimate is all zeros: X[i, j] + h, stored back into an "
        "integer array, is X[i, j] again, so f never moves. Start from a float copy, "
        "X = np.array(X, dtype=float), and return floats.",
        _numerical_gradient_in_place,
    ),
)

RELATIVE_ERROR = (
    Misconception(
        "mean_instead_of_max",
        "You averaged the element-wise errors; the relative error reports the worst "
        "element (the max), so one bad entry cannot hide.",
        lambda A, B: float(
            np.mean(np.abs(_float(A) - _float(B)) / np.maximum(1e-8, np.abs(A) + np.abs(B)))
        ),
    ),
    Misconception(
        "absolute_error",
        "You returned the absolute error max|A - B|; divide each difference by "
        "max(1e-8, |A| + |B|) so the error does not depend on the scale.",
        lambda A, B: float(np.max(np.abs(_float(A) - _float(B)))),
    ),
)


def _gradient_check_errors_swapped(backward_filter, backward_input, X, F, dO):
    error_dF, error_dX = ref.gradient_check(backward_filter, backward_input, X, F, dO)
    return error_dX, error_dF


def _gradient_check_against(upstream: Callable[[np.ndarray], np.ndarray]) -> Callable[..., tuple]:
    """A gradient check whose numerical gradients are those of sum(O * upstream(dO)):
    the backward functions still get dO itself."""

    def check(backward_filter, backward_input, X, F, dO):
        seen = upstream(_float(dO))
        return (
            ref.relative_error(backward_filter(X, dO), ref.conv2d_backward_filter(X, seen)),
            ref.relative_error(backward_input(dO, F), ref.conv2d_backward_input(seen, F)),
        )

    return check


GRADIENT_CHECK = (
    Misconception(
        "errors_swapped",
        "Your two errors are swapped: return (error_dF, error_dX), the filter's first.",
        _gradient_check_errors_swapped,
    ),
    Misconception(
        "loss_without_upstream_gradient",
        "Your numerical gradients are those of sum(O), not of L = sum(O * dO): the "
        "backward functions are given dO, so the loss you differentiate must weight O by it.",
        _gradient_check_against(np.ones_like),
    ),
    Misconception(
        "loss_averaged",
        "Your numerical gradients are those of mean(O * dO), smaller by the number of "
        "outputs: the backward functions' gradients are those of L = sum(O * dO).",
        _gradient_check_against(lambda dO: dO / dO.size),
    ),
)


def _training_step_ascent(X, F, target, learning_rate):
    new_F, loss = ref.training_step(X, F, target, learning_rate)
    return 2 * _float(F) - new_F, loss


def _training_step_loss_after(X, F, target, learning_rate):
    new_F, _ = ref.training_step(X, F, target, learning_rate)
    Z = ref.gap_forward(ref.conv2d_forward(X, new_F))
    return new_F, (Z - target) ** 2 / 2


def _training_step_forgot_gap(X, F, target, learning_rate):
    O = ref.conv2d_forward(X, F)
    Z = ref.gap_forward(O)
    dF = ref.conv2d_backward_filter(X, np.full(O.shape, Z - target))
    return _float(F) - learning_rate * dF, (Z - target) ** 2 / 2


TRAINING_STEP = (
    Misconception(
        "gradient_ascent",
        "Your step went uphill: F must move against the gradient, F - learning_rate * dL/dF.",
        _training_step_ascent,
    ),
    Misconception(
        "loss_after_step",
        "Your loss was measured after the update; report the loss at the F you were given, "
        "before the step.",
        _training_step_loss_after,
    ),
    Misconception(
        "forgot_gap_backward",
        "Your step is H*W times too big: dL/dO = (Z - target) / (H*W) through the "
        "global average pooling, not Z - target.",
        _training_step_forgot_gap,
    ),
)

# Hand-computed values: the mistaken value the same slip gives on the worked example.
_X, _F, _O, _dO = example.X_EXACT, example.F_EXACT, example.O_EXACT, example.dO_EXACT

O_BY_HAND = (
    Misconception(
        "kernel_flipped",
        CONV2D_FORWARD[0].message,
        lambda: ref.conv2d_forward(_X, ref.rot180(_F)),
    ),
    Misconception(
        "output_transposed",
        "Your O is transposed: O12 is the first row, second column, from the window "
        "whose top-left corner is X12.",
        lambda: ref.conv2d_forward(_X, _F).T,
    ),
)

Z_BY_HAND = (Misconception("sum_instead_of_mean", GAP_FORWARD[0].message, lambda: _O.sum()),)

DO_BY_HAND = (
    Misconception(
        "forgot_one_over_hw",
        GAP_BACKWARD[0].message,
        lambda: np.full(_O.shape, 1, dtype=object),
    ),
)

DF_BY_HAND = (
    Misconception(
        "flipped_or_swapped",
        CONV2D_BACKWARD_FILTER[0].message,
        lambda: ref.rot180(ref.conv2d_backward_filter(_X, _dO)),
    ),
    Misconception(
        "forgot_one_over_hw",
        "Your dL/dF is 4 times too large: dL/dO is 1/4 everywhere, not 1.",
        lambda: ref.conv2d_backward_filter(_X, np.ones((2, 2), dtype=object)),
    ),
)

DX_BY_HAND = (
    Misconception(
        "filter_not_rotated",
        "Your dL/dX uses F rotated by 180 degrees: each dX[i, j] sums dO[a, b] * "
        "F[i - a, j - b], with F as it is, the weight that carried X[i, j] into O[a, b].",
        lambda: _full_correlation(_dO, _F),
    ),
    Misconception(
        "forgot_one_over_hw",
        "Your dL/dX is 4 times too large: dL/dO is 1/4 everywhere, not 1.",
        lambda: ref.conv2d_backward_input(np.ones((2, 2), dtype=object), _F),
    ),
)

# ------------------------------------------------- notebook 7: the layer (bonus)

CONV_LAYER_OUTPUT_SHAPE = (
    Misconception(
        "channels_instead_of_filters",
        "Your output has one map per input channel; it has one per filter: (N, K, Ho, Wo), "
        "with K = f_shape[0].",
        slip.output_shape_with(lambda n, k, s, p: (n + 2 * p - k) // s + 1, False),
    ),
    Misconception(
        "padding_ignored",
        "You left the padding out: the windows slide over the padded input, of side "
        "H + 2*pad, so Ho = (H + 2*pad - kh) // stride + 1.",
        slip.output_shape_with(lambda n, k, s, p: (n - k) // s + 1),
    ),
    Misconception(
        "padded_once",
        "You added the padding once; it goes on both sides, so the padded side is "
        "H + 2*pad, not H + pad.",
        slip.output_shape_with(lambda n, k, s, p: (n + p - k) // s + 1),
    ),
    Misconception(
        "stride_ignored",
        "You counted every position; with a stride the window jumps stride rows at a "
        "time, so Ho = (H + 2*pad - kh) // stride + 1.",
        slip.output_shape_with(lambda n, k, s, p: n + 2 * p - k + 1),
    ),
    Misconception(
        "forgot_plus_one",
        "You forgot the +1: the first window sits at 0, then one more every stride rows, "
        "so Ho = (H + 2*pad - kh) // stride + 1.",
        slip.output_shape_with(lambda n, k, s, p: (n + 2 * p - k) // s),
    ),
    Misconception(
        "rounded_up",
        "You rounded up: a window that would stick out of the padded input does not "
        "count, so divide with // (rounding down).",
        slip.output_shape_with(lambda n, k, s, p: -(-(n + 2 * p - k) // s) + 1),
    ),
    Misconception(
        "true_division",
        "You divided with /, which gives a fraction when the stride does not divide "
        "H + 2*pad - kh; count whole windows with //.",
        slip.output_shape_with(lambda n, k, s, p: (n + 2 * p - k) / s + 1),
    ),
)

CONV_LAYER_FORWARD = (
    Misconception(
        "padding_ignored",
        "Your output is the size of an unpadded input's: add pad rows and columns of "
        "zeros on every side of H and W (only those two axes) before sliding the filters.",
        lambda X, F, b, stride, pad: layer.conv_layer_forward(X, F, b, stride, 0),
    ),
    Misconception(
        "padded_one_side",
        "Your output is shifted: you put all the zeros below and to the right of X; "
        "pad puts pad rows above and below and pad columns left and right.",
        slip.conv_forward_padded_one_side,
    ),
    Misconception(
        "stride_ignored",
        "Your output has a window at every position: with a stride, window (i, j) starts "
        "at row i*stride and column j*stride of the padded input.",
        lambda X, F, b, stride, pad: layer.conv_layer_forward(X, F, b, 1, pad),
    ),
    Misconception(
        "bias_ignored",
        "Your output has no bias: add b[k] to every element of map k.",
        lambda X, F, b, stride, pad: layer.conv_layer_forward(
            X, F, np.zeros(np.shape(b)), stride, pad
        ),
    ),
    Misconception(
        "bias_added_per_channel",
        "Your output has the bias C times: you added b[k] inside the sum over the input "
        "channels; add it once per output element.",
        lambda X, F, b, stride, pad: layer.conv_layer_forward(
            X, F, np.shape(X)[1] * _float(b), stride, pad
        ),
    ),
    Misconception(
        "channels_mixed_up",
        "Your output pairs filters and channels the wrong way round: F[k, c] is filter "
        "k's slice for input channel c, so map k uses F[k] on all C channels.",
        lambda X, F, b, stride, pad: layer.conv_layer_forward(
            X, _float(F).transpose(1, 0, 2, 3), b, stride, pad
        ),
    ),
    Misconception(
        "first_channel_only",
        "Your output uses only the first input channel: each filter spans all C "
        "channels, so sum the products over c as well.",
        lambda X, F, b, stride, pad: layer.conv_layer_forward(
            _float(X)[:, :1], _float(F)[:, :1], b, stride, pad
        ),
    ),
    Misconception(
        "kernel_flipped",
        "Your output matches filters rotated by 180 degrees (a true convolution); the "
        "layer lays F[k, c] on the window as it is.",
        lambda X, F, b, stride, pad: layer.conv_layer_forward(
            X, _float(F)[:, :, ::-1, ::-1], b, stride, pad
        ),
    ),
)


def _with_db(db: Callable[[np.ndarray], np.ndarray]) -> Callable[..., tuple]:
    """The right dX and dF, and ``db(dO)`` for dL/db."""

    def backward(dO, X, F, stride, pad):
        dX, dF, _ = layer.conv_layer_backward(dO, X, F, stride, pad)
        return dX, dF, db(_float(dO))

    return backward


def _with_dF(dF: Callable[[np.ndarray], np.ndarray]) -> Callable[..., tuple]:
    """The right dX and db, and ``dF(right dF)`` for dL/dF."""

    def backward(dO, X, F, stride, pad):
        dX, right, db = layer.conv_layer_backward(dO, X, F, stride, pad)
        return dX, dF(right), db

    return backward


CONV_LAYER_BACKWARD = (
    Misconception(
        "db_not_summed_over_batch",
        "Your db has a row per example: the bias is shared by the whole batch, so db[k] "
        "sums dO[n, k, i, j] over n as well as over i and j; db has shape (K,).",
        _with_db(lambda dO: dO.sum(axis=(2, 3))),
    ),
    Misconception(
        "db_not_summed_over_positions",
        "Your db keeps the positions: b[k] is added at every (i, j), so db[k] sums "
        "dO[n, k, i, j] over i and j as well as over n; db has shape (K,).",
        _with_db(lambda dO: dO.sum(axis=0)),
    ),
    Misconception(
        "db_first_example_only",
        "Your db only holds the first example's gradient: sum dO[n, k, i, j] over "
        "every n in the batch too.",
        _with_db(lambda dO: dO[0].sum(axis=(1, 2))),
    ),
    Misconception(
        "db_averaged",
        "Your db is an average: the chain rule adds up the gradient of every output "
        "element, so db[k] is the sum of dO[:, k], not its mean.",
        _with_db(lambda dO: dO.mean(axis=(0, 2, 3))),
    ),
    Misconception(
        "padding_not_removed",
        "Your dX has the padded input's shape: the padding is not part of X, so cut pad "
        "rows and columns off every side: dXp[:, :, pad:pad+H, pad:pad+W].",
        lambda dO, X, F, stride, pad: slip.conv_backward_without_crop(dO, X, F, stride, pad),
    ),
    Misconception(
        "padding_removed_from_one_side",
        "Your dX is shifted: the padding sits on every side, so cut it from the top and "
        "the left too: dXp[:, :, pad:pad+H, pad:pad+W].",
        lambda dO, X, F, stride, pad: slip.conv_backward_without_crop(
            dO, X, F, stride, pad, keep="top_left"
        ),
    ),
    Misconception(
        "stride_ignored",
        "Your dX and dF put the windows one row and one column apart: in the backward "
        "pass, as in the forward, window (i, j) starts at row i*stride and column "
        "j*stride of the padded input.",
        lambda dO, X, F, stride, pad: slip.conv_backward_loops(dO, X, F, stride, pad, step=1),
    ),
    Misconception(
        "overlaps_overwritten",
        "Your dX keeps only the last gradient where windows overlap (or several filters "
        "meet): every output element adds its share, so use += rather than =.",
        lambda dO, X, F, stride, pad: slip.conv_backward_loops(
            dO, X, F, stride, pad, accumulate=False
        ),
    ),
    Misconception(
        "dF_channels_swapped",
        "Your dF has its filter and channel axes swapped: dF[k, c] goes with F[k, c], so "
        "dF has F's shape (K, C, kh, kw).",
        _with_dF(lambda dF: dF.transpose(1, 0, 2, 3)),
    ),
    Misconception(
        "dX_channels_mixed_up",
        "Your dX sends the gradient through the wrong filter slices: dO[n, k] reaches "
        "channel c of X through F[k, c], not F[c, k].",
        lambda dO, X, F, stride, pad: slip.conv_backward_with_dX_filters(
            dO, X, F, stride, pad, filters=lambda F: F.transpose(1, 0, 2, 3)
        ),
    ),
    Misconception(
        "dX_filter_rotated",
        "Your dX uses the filters rotated by 180 degrees: each output element sends "
        "dO[n, k, i, j] * F[k] back onto its window with F as it is.",
        lambda dO, X, F, stride, pad: slip.conv_backward_with_dX_filters(
            dO, X, F, stride, pad, filters=lambda F: F[:, :, ::-1, ::-1]
        ),
    ),
)

MAX_POOL_FORWARD = (
    Misconception(
        "average_instead_of_max",
        "You averaged each window (average pooling); max pooling keeps its largest element.",
        lambda X, pool_shape, stride: slip.pool_forward_loops(
            X, pool_shape, stride, reduce=np.mean
        ),
    ),
    Misconception(
        "stride_ignored",
        "Your output has a window at every position: window (i, j) starts at row "
        "i*stride and column j*stride.",
        lambda X, pool_shape, stride: layer.max_pool_forward(X, pool_shape, 1),
    ),
    Misconception(
        "window_size_as_stride",
        "You stepped by the window's size; the stride is its own parameter, and windows "
        "may overlap (stride smaller than the window) or skip rows (larger).",
        lambda X, pool_shape, stride: slip.pool_forward_loops(X, pool_shape, tuple(pool_shape)),
    ),
    Misconception(
        "channels_mixed_up",
        "Every channel of your output holds the maximum over all channels: pool each "
        "channel on its own, X[n, c, window].",
        lambda X, pool_shape, stride: slip.pool_forward_loops(
            X, pool_shape, stride, across_channels=True
        ),
    ),
)

MAX_POOL_BACKWARD = (
    Misconception(
        "gradient_to_all_ties",
        "Where several elements tie for a window's maximum you sent the gradient to all "
        "of them; it goes to one only: the first largest in row-major order "
        "(np.argmax of the flattened window).",
        lambda dO, X, pool_shape, stride: slip.pool_backward_loops(
            dO, X, pool_shape, stride, pick=slip.pick_all_ties
        ),
    ),
    Misconception(
        "last_of_ties",
        "Where elements tie for a window's maximum you sent the gradient to the last; "
        "the rule is the first in row-major order (np.argmax of the flattened window).",
        lambda dO, X, pool_shape, stride: slip.pool_backward_loops(
            dO, X, pool_shape, stride, pick=slip.pick_last_row_major
        ),
    ),
    Misconception(
        "ties_column_major",
        "Where elements tie for a window's maximum you took the first going down the "
        "columns; the rule reads the window row by row (np.argmax of window.ravel()).",
        lambda dO, X, pool_shape, stride: slip.pool_backward_loops(
            dO, X, pool_shape, stride, pick=slip.pick_first_column_major
        ),
    ),
    Misconception(
        "spread_evenly",
        "You spread each dO evenly over its window, which is average pooling's gradient; "
        "max pooling's output depends on the largest element only, so only it gets dO.",
        lambda dO, X, pool_shape, stride: slip.pool_backward_loops(
            dO, X, pool_shape, stride, pick=slip.pick_evenly
        ),
    ),
    Misconception(
        "forgot_upstream_gradient",
        "You marked each window's maximum with 1: it gets the upstream gradient "
        "dO[n, c, i, j], not 1.",
        lambda dO, X, pool_shape, stride: slip.pool_backward_loops(
            dO, X, pool_shape, stride, pick=slip.pick_one_without_upstream
        ),
    ),
    Misconception(
        "overlaps_overwritten",
        "Where overlapping windows share their maximum you kept only the last gradient: "
        "the chain rule adds them up (+=, not =).",
        lambda dO, X, pool_shape, stride: slip.pool_backward_loops(
            dO, X, pool_shape, stride, pick=slip.pick_first_row_major, accumulate=False
        ),
    ),
    Misconception(
        "stride_ignored",
        "Your gradient lands one row and one column apart per window: window (i, j) "
        "starts at row i*stride and column j*stride, as in the forward pass.",
        lambda dO, X, pool_shape, stride: slip.pool_backward_loops(
            dO, X, pool_shape, stride, pick=slip.pick_first_row_major, step=1
        ),
    ),
)


# ------------------------------------------------------------------ matching


@dataclass(frozen=True)
class Raises:
    """An outcome of a call: it raised an exception of this type (the class's name)."""

    error: str


#: What one call of an implementation gave: the value it returned, or :class:`Raises`.
Outcome = Any


def outcomes(misconception: Misconception, args: tuple) -> tuple[Outcome, ...]:
    """What each implementation of the mistake gives on ``args``: a value, or Raises."""
    found: list[Outcome] = []
    for implementation in misconception.implementations:
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                found.append(implementation(*args))
        except Exception as error:
            found.append(Raises(type(error).__name__))
    return tuple(found)


def _numeric_array(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind in "biuf"


def _shape_of(value: Any) -> tuple[int, ...] | None:
    """An array's shape; None for a number or a tuple of results."""
    return value.shape if isinstance(value, np.ndarray) else None


def recognises(
    misconception: Misconception,
    args: tuple,
    found: tuple[Outcome, ...],
    answer: Outcome,
    tolerance: Tolerance,
    right_shape: tuple[int, ...] | None,
) -> bool:
    """Whether ``answer`` (a value, or Raises) is what this mistake gives on ``args``.

    Parameters
    ----------
    misconception : Misconception
        The mistake.
    args : tuple
        The arguments.
    found : tuple of Outcome
        Its :func:`outcomes` on them.
    answer : value or Raises
        What the student's code gave on them.
    tolerance : Tolerance
        The task's rule for values.
    right_shape : tuple of int, or None
        The right answer's shape there (None when it is not an array): a mistake
        recognised by shape only recognises an array whose shape differs from it, or
        every answer of the right shape would match.

    Returns
    -------
    bool
        True when one implementation raised the same exception type or returned the same
        values, or the answer is an array of one of the mistake's wrong shapes.
    """
    if not isinstance(answer, Raises) and _has_wrong_shape(
        misconception, args, answer, right_shape
    ):
        return True
    for outcome in found:
        if isinstance(outcome, Raises) or isinstance(answer, Raises):
            if isinstance(outcome, Raises) and isinstance(answer, Raises) and outcome == answer:
                return True
        elif _same_values(answer, outcome, tolerance):
            return True
    return False


def _has_wrong_shape(
    misconception: Misconception, args: tuple, answer: Any, right_shape: tuple[int, ...] | None
) -> bool:
    """The answer is an array of a shape this mistake gives, and that shape is wrong."""
    if misconception.wrong_shapes is None or right_shape is None or not _numeric_array(answer):
        return False
    return answer.shape != tuple(right_shape) and answer.shape in {
        tuple(int(n) for n in shape) for shape in misconception.wrong_shapes(*args)
    }


def _same_values(answer: Any, other: Any, tolerance: Tolerance) -> bool:
    """``tolerance.matches``, quick to say no to arrays of different shapes."""
    if (
        isinstance(answer, np.ndarray)
        and isinstance(other, np.ndarray)
        and answer.shape != other.shape
    ):
        return False
    return tolerance.matches(answer, other)


#: The key :func:`look_alikes` gives the right answer.
RIGHT = "right"


def look_alikes(
    right: Callable[..., Any],
    misconceptions: tuple[Misconception, ...],
    args: tuple,
    tolerance: Tolerance,
) -> frozenset[frozenset[str]]:
    """Which answers to a graded function cannot be told apart on these arguments.

    Parameters
    ----------
    right : callable
        The reference implementation of the function.
    misconceptions : tuple of Misconception
        The function's typical mistakes.
    args : tuple
        Its arguments, e.g. one challenge case's.
    tolerance : Tolerance
        The rule answers are compared by.

    Returns
    -------
    frozenset of frozenset of str
        Every pair of answers, among the right one (key :data:`RIGHT`) and the typical
        mistakes (their keys), that these arguments cannot tell apart: a mistake one of
        whose implementations returns the right values (it passes this case), and two
        mistakes either of which recognises a value the other returns (as
        :func:`diagnose` recognises them). Raising tells nothing apart: it never passes.
    """
    with np.errstate(all="ignore"):
        expected = right(*args)
    right_shape = _shape_of(expected)
    values = {
        m.key: [o for o in outcomes(m, args) if not isinstance(o, Raises)] for m in misconceptions
    }
    pairs = {
        frozenset((RIGHT, m.key))
        for m in misconceptions
        if any(_same_values(value, expected, tolerance) for value in values[m.key])
    }
    for i, first in enumerate(misconceptions):
        for second in misconceptions[i + 1 :]:
            if any(
                _has_wrong_shape(first, args, b, right_shape) for b in values[second.key]
            ) or any(
                _has_wrong_shape(second, args, a, right_shape)
                or any(_same_values(a, b, tolerance) for b in values[second.key])
                for a in values[first.key]
            ):
                pairs.add(frozenset((first.key, second.key)))
    return frozenset(pairs)


def diagnose(
    misconceptions: tuple[Misconception, ...],
    args: tuple,
    answer: Any,
    tolerance: Tolerance,
    right_shape: tuple[int, ...] | None = None,
) -> Misconception | None:
    """Name the typical mistake a wrong answer matches, if any.

    Parameters
    ----------
    misconceptions : tuple of Misconception
        The task's typical mistakes, most specific first.
    args : tuple
        The arguments the answer was computed from; ``()`` for a hand-computed value.
    answer : array, number or tuple
        What the student's code returned.
    tolerance : Tolerance
        The rule answers are compared by (shapes must match exactly).
    right_shape : tuple of int, optional
        The right answer's shape on ``args``; without it no mistake is recognised by
        shape alone.

    Returns
    -------
    Misconception or None
        The first entry that :func:`recognises` the answer; None when none does.
    """
    for misconception in misconceptions:
        found = outcomes(misconception, args)
        if recognises(misconception, args, found, answer, tolerance, right_shape):
            return misconception
    return None


def explain_errors(
    misconceptions: tuple[Misconception, ...],
    calls: list[tuple[tuple, Outcome, Any]],
    tolerance: Tolerance,
) -> Misconception | None:
    """The typical mistake that explains every call of a function that raised on some.

    An exception alone says little, so a mistake is named only when it alone accounts for
    the whole of what the student's code did: on every call it :func:`recognises` the
    outcome, the same exception type where the code raised, its values (or its wrong
    shape) where the code returned, the right answer where the code was right.

    Parameters
    ----------
    misconceptions : tuple of Misconception
        The task's typical mistakes, most specific first.
    calls : list of (args, outcome, right answer)
        Each call's arguments, what the student's code gave (a value, or Raises) and the
        right answer there.
    tolerance : Tolerance
        The rule answers are compared by.

    Returns
    -------
    Misconception or None
        The one mistake that explains every call; None when none does, or when two do
        (an exception two mistakes both account for names neither).
    """
    explaining = [
        misconception
        for misconception in misconceptions
        if all(
            recognises(
                misconception,
                args,
                outcomes(misconception, args),
                outcome,
                tolerance,
                _shape_of(right),
            )
            for args, outcome, right in calls
        )
    ]
    return explaining[0] if len(explaining) == 1 else None
