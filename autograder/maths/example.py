"""The worked example the course grew from: a 3x3 input and a 2x2 filter (see README)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from autograder.maths import reference
from autograder.maths.exact import to_fractions

__all__ = ["F", "X", "dZ", "hand_values"]

#: The input, shape (3, 3).
X = np.array([[2, 3, 4], [3, 1, 5], [4, -1, -2]])
#: The filter, shape (2, 2).
F = np.array([[0, 3], [1, -2]])
#: dL/dZ, the upstream gradient at the pooled output.
dZ = 1


def hand_values() -> dict[str, object]:
    """The values the seed computes by hand, exactly, keyed by their task names.

    Returns
    -------
    dict
        ``O_by_hand`` (2x2), ``Z_by_hand`` (a Fraction), ``dO_by_hand`` (2x2),
        ``dF_by_hand`` (2x2) and ``dX_by_hand`` (3x3); arrays are object arrays of
        ``Fraction``.
    """
    X_exact, F_exact = to_fractions(X), to_fractions(F)
    O = reference.conv2d_forward(X_exact, F_exact)
    dO = reference.gap_backward(Fraction(dZ), O.shape)
    return {
        "O_by_hand": O,
        "Z_by_hand": reference.gap_forward(O),
        "dO_by_hand": dO,
        "dF_by_hand": reference.conv2d_backward_filter(X_exact, dO),
        "dX_by_hand": reference.conv2d_backward_input(dO, F_exact),
    }
