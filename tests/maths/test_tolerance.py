"""The one tolerance rule: |a - e| <= 1e-7 |e| + 1e-9 max(1, max |E|); exact for hand values."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from autograder.maths.tolerance import EXACT, TOLERANCE


def test_the_rule_is_rtol_1e7_with_a_floor_of_1e9_of_the_largest_entry():
    assert (TOLERANCE.rtol, TOLERANCE.atol) == (1e-7, 1e-9)
    expected = np.array([[3e4, 0.0], [-1.0, 2.0]])  # floor 1e-9 * 3e4 = 3e-5
    answer = expected + np.array([[2.9e-3, 2.9e-5], [-2e-7, 1e-5]])
    # 2.9e-3 <= 3e-3 + 3e-5; 2.9e-5 <= 3e-5; 2e-7 <= 1e-7 + 3e-5; 1e-5 <= 2e-7 + 3e-5.
    assert not TOLERANCE.wrong_entries(answer, expected).any()
    answer[0, 1] = 3.2e-5
    assert TOLERANCE.wrong_entries(answer, expected).tolist() == [[False, True], [False, False]]


def test_the_floor_is_at_least_1e9():
    assert TOLERANCE.matches(np.array([1e-10, 5e-10]), np.zeros(2))
    assert not TOLERANCE.matches(np.array([2e-9]), np.zeros(1))


def test_nan_never_matches_and_inf_only_matches_inf():
    assert not TOLERANCE.matches(np.array([np.nan]), np.array([np.nan]))
    assert TOLERANCE.matches(np.array([np.inf]), np.array([np.inf]))
    assert not TOLERANCE.matches(np.array([np.inf]), np.array([1.0]))


def test_tuples_match_part_by_part_each_with_its_own_scale():
    # The loss part is small: the big array's scale must not loosen it.
    answer = (np.array([1e6, 0.0]), 1.0 + 1e-5)
    assert not TOLERANCE.matches(answer, (np.array([1e6, 0.0]), 1.0))
    assert TOLERANCE.matches((np.array([1e6, 5e-4]), 1.0), (np.array([1e6, 0.0]), 1.0))
    assert not TOLERANCE.matches((np.ones(2),), (np.ones(2), 1.0))


@pytest.mark.parametrize(
    "answer", [np.ones((2, 1)), np.ones(3), "1", None, [[1, 2], [3]], (1.0, 1.0)]
)
def test_another_shape_or_anything_not_numbers_does_not_match(answer):
    assert not TOLERANCE.matches(answer, np.ones(2))


def test_exact_compares_rationals():
    assert EXACT.exact and not TOLERANCE.exact
    quarters = np.array([[Fraction(1, 4), Fraction(9, 4)]], dtype=object)
    assert EXACT.matches(np.array([[0.25, 2.25]]), quarters)
    assert EXACT.matches([[Fraction(1, 4), Fraction(9, 4)]], quarters)
    assert not EXACT.matches(np.array([[0.25, 2.25 + 1e-12]]), quarters)
    assert EXACT.matches(Fraction(10), 10)
    assert not EXACT.matches(0.1, Fraction(1, 10))  # 0.1 is not exactly 1/10
    assert TOLERANCE.matches(0.1, Fraction(1, 10))
    assert not EXACT.matches(np.array([np.nan]), np.array([0], dtype=object))
