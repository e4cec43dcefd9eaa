"""When an answer counts as the expected one: the course's one tolerance rule.

Function answers are floats computed in a different order than the reference's, so they
are compared within a tolerance: an entry ``a`` matches the expected entry ``e`` when

    |a - e| <= rtol * |e| + atol * max(1, max |E|)

where ``E`` is the whole expected array (or number). The absolute part scales with the
largest expected entry, so round-off in an entry that should be 0, next to entries in the
millions, is not an error. Shapes must match exactly. Hand-computed values are compared
exactly, as rationals (:data:`EXACT`). A task whose right answer is itself a numerical
estimate (a gradient check's errors) gets a wider floor, :data:`ROUNDED_ESTIMATE`.

Everything that compares answers uses this module: judging in the grader, the catalogue
matcher (:mod:`autograder.maths.misconceptions`), and the visible checks, which cannot
import it: :data:`TOLERANCE`'s numbers travel to them in ``conv_checks_expected.json``
and ``conv_checks.answers_match`` applies the same formula (a test keeps the two in step).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from autograder.maths.exact import to_fractions

__all__ = ["EXACT", "ROUNDED_ESTIMATE", "TOLERANCE", "Tolerance"]


@dataclass(frozen=True)
class Tolerance:
    """How close an answer must be: ``|a - e| <= rtol * |e| + atol * max(1, max |E|)``.

    Attributes
    ----------
    rtol : float
        Relative tolerance, per entry.
    atol : float
        Absolute tolerance per unit of the expected value's scale (its largest entry's
        magnitude, at least 1). With ``rtol == atol == 0`` values are compared exactly,
        as rationals: floats by their exact binary value, Fractions as they are.
    """

    rtol: float
    atol: float

    @property
    def exact(self) -> bool:
        """Whether this is exact comparison (no tolerance at all)."""
        return self.rtol == 0 and self.atol == 0

    def as_json(self) -> dict[str, float]:
        """The rule's numbers, for the visible checks' expected-values file."""
        return {"rtol": self.rtol, "atol": self.atol}

    def wrong_entries(self, answer: Any, expected: Any) -> np.ndarray:
        """Which entries of an answer miss the expected ones.

        Parameters
        ----------
        answer, expected : arrays of numbers of one shape (or numbers)
            Exact tolerances accept Fractions and object arrays of them.

        Returns
        -------
        bool array of that shape
            True where the entry is wrong (NaN is always wrong; inf only matches inf).
        """
        if self.exact:
            got, want = to_fractions(answer), to_fractions(expected)
            return np.asarray(got != want, dtype=bool)
        want = np.asarray(expected, dtype=np.float64)
        got = np.asarray(answer, dtype=np.float64)
        scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
        with np.errstate(all="ignore"):
            return ~np.isclose(got, want, rtol=self.rtol, atol=self.atol * scale)

    def matches(self, answer: Any, expected: Any) -> bool:
        """Whether an answer equals an expected one under this rule.

        Parameters
        ----------
        answer, expected : array, number, or tuple of them
            Tuples are compared part by part (each part with its own scale); every part
            must have the expected shape.

        Returns
        -------
        bool
            False, not an error, for anything that is not numbers.
        """
        got, want = _parts(answer), _parts(expected)
        if got is None or want is None or len(got) != len(want):
            return False
        for a, e in zip(got, want, strict=True):
            if np.shape(a) != np.shape(e):
                return False
            try:
                if self.wrong_entries(a, e).any():
                    return False
            except (TypeError, ValueError, OverflowError):  # not numbers, or NaN as a Fraction
                return False
        return True


def _parts(value: Any) -> list[Any] | None:
    """A result (array, number or tuple of them) as a flat list of arrays or numbers."""
    if isinstance(value, tuple):
        parts: list[Any] = []
        for item in value:
            item_parts = _parts(item)
            if item_parts is None:
                return None
            parts += item_parts
        return parts
    if isinstance(value, Fraction):
        return [value]
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        return None
    if array.dtype == object:
        return [array]
    try:
        return [np.asarray(value, dtype=np.float64)]
    except (TypeError, ValueError):
        return None


#: The rule for everything a student's function returns.
TOLERANCE = Tolerance(rtol=1e-7, atol=1e-9)
#: Numbers a right answer only reaches up to the rounding of a numerical estimate: a
#: gradient check's relative errors, which central differences leave about 1e-10 (up
#: to 1e-8 on the grader's challenges) away from the exact ones.
ROUNDED_ESTIMATE = Tolerance(rtol=1e-7, atol=1e-6)
#: Hand-computed values on the worked example: exactly right, as rationals.
EXACT = Tolerance(rtol=0.0, atol=0.0)
