"""The worked example the course grew from: a 3x3 input and a 2x2 filter (see README)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from autograder.maths import reference
from autograder.maths.exact import to_fractions

__all__ = [
    "F_EXACT",
    "O_EXACT",
    "X_EXACT",
    "Z_EXACT",
    "F",
    "X",
    "dF_EXACT",
    "dO_EXACT",
    "dX_EXACT",
    "dZ",
]

#: The input, shape (3, 3).
X = np.array([[2, 3, 4], [3, 1, 5], [4, -1, -2]])
#: The filter, shape (2, 2).
F = np.array([[0, 3], [1, -2]])
#: dL/dZ, the upstream gradient at the pooled output.
dZ = 1


# The same example exactly: object arrays of Fraction (Z is one Fraction). The values the
# seed computes by hand come from the reference maths on these.

#: X as Fractions, shape (3, 3).
X_EXACT = to_fractions(X)
#: F as Fractions, shape (2, 2).
F_EXACT = to_fractions(F)

#: O, the 'valid' correlation of X with F, shape (2, 2).
O_EXACT = reference.conv2d_forward(X_EXACT, F_EXACT)
#: Z, the mean of O (a Fraction).
Z_EXACT = Fraction(reference.gap_forward(O_EXACT))
#: dL/dO, shape (2, 2): dL/dZ / (H*W) everywhere.
dO_EXACT = reference.gap_backward(Fraction(dZ), O_EXACT.shape)
#: dL/dF, shape (2, 2).
dF_EXACT = reference.conv2d_backward_filter(X_EXACT, dO_EXACT)
#: dL/dX, shape (3, 3).
dX_EXACT = reference.conv2d_backward_input(dO_EXACT, F_EXACT)
