"""Exact numbers for the worked example: arrays of Fractions, written as the seed does."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["format_fractions", "looks_rounded", "to_fractions", "typed"]


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


def typed(value: Any) -> str:
    """A number as a student writes it: ``2.2``, ``3``, ``Fraction(9, 4)``.

    >>> typed(2.2), typed(Fraction(9, 4)), typed(np.float64(0.25))
    ('2.2', 'Fraction(9, 4)', '0.25')
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, Fraction):
        return f"Fraction({value.numerator}, {value.denominator})"
    return repr(value)


_DECIMAL = re.compile(r"-?\d+\.(\d+)")


def looks_rounded(written: str, exact: Fraction) -> bool:
    """Whether a decimal, as written, is the exact value rounded to its digits.

    ``2.2`` for 9/4 is (9/4 = 2.25 rounds to 2.2 or 2.3 at one digit); ``0.33`` for 1/3
    is; ``2.0`` for 9/4 is not.

    Parameters
    ----------
    written : str
        The number as the student wrote it (:func:`typed`).
    exact : Fraction
        The right value.

    Returns
    -------
    bool
        False for anything that is not a plain decimal, and for the exact value itself.
    """
    found = _DECIMAL.fullmatch(written)
    if found is None:
        return False
    value = Fraction(written)
    return value != exact and abs(value - exact) <= Fraction(1, 2 * 10 ** len(found.group(1)))
