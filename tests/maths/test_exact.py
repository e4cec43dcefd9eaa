"""Tests for autograder/maths/exact.py: exact conversion and rendering the way the seed writes."""

from __future__ import annotations

import doctest
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.maths import exact
from autograder.maths.exact import format_fractions, to_fractions

# Copied from seed/README.md, alignment included.
SEED_O_TEXT = """\
[[10,  3],
 [ 9, 18]]"""
SEED_DF_TEXT = """\
[[9/4, 13/4],
 [7/4,  3/4]]"""
SEED_DX_TEXT = """\
[[  0,  3/4,  3/4],
 [1/4,  1/2,  1/4],
 [1/4, -1/4, -1/2]]"""


def test_format_fractions_writes_the_seed_values_as_the_seed_does() -> None:
    assert format_fractions([[10, 3], [9, 18]]) == SEED_O_TEXT
    assert format_fractions([[2.25, 3.25], [1.75, 0.75]]) == SEED_DF_TEXT
    seed_dX = [[0, 0.75, 0.75], [0.25, 0.5, 0.25], [0.25, -0.25, -0.5]]
    assert format_fractions(np.array(seed_dX)) == SEED_DX_TEXT
    assert format_fractions(to_fractions(seed_dX)) == SEED_DX_TEXT


def test_format_fractions_aligns_each_column_on_its_own() -> None:
    assert format_fractions([[Fraction(-1, 2), 1], [1, 100]]) == "[[-1/2,   1],\n [   1, 100]]"
    assert format_fractions([[7]]) == "[[7]]"


def test_format_fractions_shows_an_inexact_float_as_it_is() -> None:
    assert format_fractions([[0.1]]) == "[[3602879701896397/36028797018963968]]"


@pytest.mark.parametrize("shape", [(4,), (2, 2, 2), ()])
def test_format_fractions_refuses_other_than_2d(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="format_fractions takes a 2-D array, got shape"):
        format_fractions(np.zeros(shape))


def test_docstring_examples_are_true() -> None:
    result = doctest.testmod(exact)
    assert result.attempted > 0
    assert result.failed == 0


def test_to_fractions_is_exact() -> None:
    values = to_fractions([[0.25, 0.1], [-3, Fraction(2, 3)]])
    assert values.dtype == object
    assert values.shape == (2, 2)
    assert values.tolist() == [
        [Fraction(1, 4), Fraction(3602879701896397, 36028797018963968)],
        [Fraction(-3), Fraction(2, 3)],
    ]
    assert all(type(value) is Fraction for value in values.flat)


def test_to_fractions_takes_numpy_scalars_and_big_integers() -> None:
    values = to_fractions(np.array([np.int64(2**62), 2**62 + 1], dtype=object))
    assert values.tolist() == [Fraction(2**62), Fraction(2**62 + 1)]
    from_int8 = to_fractions(np.array([-128, 127], dtype=np.int8))
    assert from_int8.tolist() == [-128, 127]
    assert all(type(value.numerator) is int for value in from_int8)  # not np.int8
    assert to_fractions(np.float32(0.5)).item() == Fraction(1, 2)


def test_to_fractions_keeps_any_shape_and_leaves_its_input_alone() -> None:
    A = np.arange(24, dtype=float).reshape(2, 3, 4) / 8
    before = A.copy()
    values = to_fractions(A)
    assert values.shape == (2, 3, 4)
    assert values[1, 2, 3] == Fraction(23, 8)
    assert np.array_equal(A, before)


@settings(max_examples=100, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_to_fractions_round_trips_every_float(x: float) -> None:
    (value,) = to_fractions([x])
    assert value == Fraction(x)
    assert float(value) == x
