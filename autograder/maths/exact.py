"""Exact numbers for the worked example: arrays of Fractions, written as the seed does."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["format_fractions", "to_fractions"]


def to_fractions(A: ArrayLike) -> np.ndarray:
    """Convert an array of ints, floats or Fractions to an object array of Fractions.

    Floats convert exactly (0.25 -> 1/4, 0.1 -> 3602879701896397/36028797018963968), so
    a float result that is not a short fraction stays visibly inexact.

    Parameters
    ----------
    A : array of any shape
        Numbers to convert.

    Returns
    -------
    array of A's shape, dtype object
        Every element a ``fractions.Fraction``.
    """
    A = np.asarray(A)
    out = np.empty(A.shape, dtype=object)
    for index in np.ndindex(A.shape):
        value: Any = A[index]
        out[index] = Fraction(value.item() if isinstance(value, np.generic) else value)
    return out


def format_fractions(A: np.ndarray) -> str:
    """Render a 2-D array as fractions in aligned columns, as the seed writes them.

    >>> print(format_fractions([[0, 0.75], [0.25, -0.5]]))
    [[  0,  3/4],
     [1/4, -1/2]]

    Parameters
    ----------
    A : array of shape (H, W)
        Numbers to render; floats are converted exactly.

    Returns
    -------
    str
        One bracketed row per line, integers without a denominator.
    """
    exact = to_fractions(A)
    if exact.ndim != 2:
        raise ValueError(f"format_fractions takes a 2-D array, got shape {exact.shape}")
    cells = [[str(value) for value in row] for row in exact]
    # Each column is as wide as its widest entry, as the seed aligns them.
    widths = [max(len(cell) for cell in column) for column in zip(*cells, strict=True)]
    rows = [", ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) for row in cells]
    return "[" + ",\n ".join(f"[{row}]" for row in rows) + "]"
