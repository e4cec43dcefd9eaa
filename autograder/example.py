"""The worked example the course grew from: a 3x3 input and a 2x2 filter (see README)."""

from __future__ import annotations

import numpy as np

__all__ = ["F", "X", "dZ"]

#: The input, shape (3, 3).
X = np.array([[2, 3, 4], [3, 1, 5], [4, -1, -2]])
#: The filter, shape (2, 2).
F = np.array([[0, 3], [1, -2]])
#: dL/dZ, the upstream gradient at the pooled output.
dZ = 1
