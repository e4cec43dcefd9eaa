"""Tests for autograder/maths/reference.py against outside oracles.

The oracles are the seed's hand-worked values (written here as the seed gives them),
scipy.signal, numpy's own pad and rot90, central differences checked against a known
analytic gradient, and identities every correct implementation satisfies.
"""

from __future__ import annotations

import inspect
import re
from fractions import Fraction
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.signal import convolve2d, correlate2d

import autograder
from autograder.maths import example, reference
from autograder.maths.exact import to_fractions
from autograder.maths.reference import (
    conv2d_backward_filter,
    conv2d_backward_input,
    conv2d_forward,
    conv2d_output_shape,
    gap_backward,
    gap_forward,
    gradient_check,
    jacobian_output_wrt_filter,
    jacobian_output_wrt_input,
    numerical_gradient,
    pad2d,
    relative_error,
    rot180,
    training_step,
)

# The seed's worked example (seed/README.md), exactly as the seed writes it.
SEED_X = [[2, 3, 4], [3, 1, 5], [4, -1, -2]]
SEED_F = [[0, 3], [1, -2]]
SEED_O = [[10, 3], [9, 18]]
SEED_Z = 10
SEED_DO = [[Fraction(1, 4)] * 2] * 2
SEED_DF = [[Fraction(9, 4), Fraction(13, 4)], [Fraction(7, 4), Fraction(3, 4)]]
SEED_DX = [
    [0, Fraction(3, 4), Fraction(3, 4)],
    [Fraction(1, 4), Fraction(1, 2), Fraction(1, 4)],
    [Fraction(1, 4), Fraction(-1, 4), Fraction(-1, 2)],
]

# Shapes that catch index mix-ups: non-square, one row, one column, a filter as large
# as the input, a 1x1 filter, a filter taller than wide.
EDGE_SHAPES = [
    ((3, 3), (2, 2)),
    ((5, 7), (2, 3)),
    ((7, 5), (3, 2)),
    ((1, 6), (1, 3)),
    ((6, 1), (4, 1)),
    ((1, 1), (1, 1)),
    ((4, 5), (4, 5)),
    ((4, 5), (1, 1)),
    ((6, 4), (5, 1)),
]


def _random_shapes(count: int, seed: int) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    rng = np.random.default_rng(seed)
    shapes = []
    for _ in range(count):
        height, width = (int(n) for n in rng.integers(1, 9, size=2))
        shapes.append(
            ((height, width), (int(rng.integers(1, height + 1)), int(rng.integers(1, width + 1))))
        )
    return shapes


CROSS_CHECK_SHAPES = EDGE_SHAPES + _random_shapes(40, seed=20261128)


def _assert_all_fractions(A: np.ndarray, expected: list[list[Fraction | int]]) -> None:
    """Exact equality, with every element a Fraction (a float 0.25 == Fraction(1, 4) too)."""
    assert isinstance(A, np.ndarray)
    assert A.dtype == object
    assert all(type(value) is Fraction for value in A.flat), A
    assert A.tolist() == expected


# ------------------------------------------------------------- the worked example


@pytest.fixture(scope="module")
def seed_exact() -> dict[str, object]:
    """The whole forward and backward pass on the seed's example, in Fractions."""
    X, F = to_fractions(example.X), to_fractions(example.F)
    O = conv2d_forward(X, F)
    Z = gap_forward(O)
    dO = gap_backward(Fraction(example.dZ), O.shape)
    return {
        "X": X,
        "F": F,
        "O": O,
        "Z": Z,
        "dO": dO,
        "dF": conv2d_backward_filter(X, dO),
        "dX": conv2d_backward_input(dO, F),
    }


def test_example_module_holds_the_seed_inputs() -> None:
    assert example.X.tolist() == SEED_X
    assert example.F.tolist() == SEED_F
    assert example.dZ == 1


def test_seed_forward_is_exact(seed_exact: dict) -> None:
    _assert_all_fractions(seed_exact["O"], SEED_O)
    assert type(seed_exact["Z"]) is Fraction
    assert seed_exact["Z"] == SEED_Z


def test_seed_backward_is_exact(seed_exact: dict) -> None:
    _assert_all_fractions(seed_exact["dO"], SEED_DO)
    _assert_all_fractions(seed_exact["dF"], SEED_DF)
    _assert_all_fractions(seed_exact["dX"], SEED_DX)


def test_seed_gradients_through_the_jacobians_are_exact(seed_exact: dict) -> None:
    X, F, dO = seed_exact["X"], seed_exact["F"], seed_exact["dO"]
    J_filter = jacobian_output_wrt_filter(X, (2, 2))
    J_input = jacobian_output_wrt_input((3, 3), F)
    assert J_filter.shape == (2, 2, 2, 2)
    assert J_input.shape == (2, 2, 3, 3)
    # dL/dF_pq = sum_ab dL/dO_ab dO_ab/dF_pq, as the seed's chain rule writes it.
    _assert_all_fractions(np.tensordot(dO, J_filter, axes=2), SEED_DF)
    _assert_all_fractions(np.tensordot(dO, J_input, axes=2), SEED_DX)


def test_seed_formulas_for_single_elements(seed_exact: dict) -> None:
    """The seed's own element formulas, e.g. dL/dX22 = dO11 F22 + dO12 F21 + dO21 F12 + dO22 F11."""
    X, F, dO = seed_exact["X"], seed_exact["F"], seed_exact["dO"]
    J_filter = jacobian_output_wrt_filter(X, (2, 2))
    J_input = jacobian_output_wrt_input((3, 3), F)
    assert J_filter[0, 1].tolist() == [[3, 4], [1, 5]]  # O12 = X12 F11 + X13 F12 + ...
    assert J_input[0, 0, 0, 0] == F[0, 0]  # dO11/dX11 = F11
    assert J_input[1, 1, 0, 0] == 0  # X11 never touches O22
    assert (
        seed_exact["dX"][1, 1]
        == dO[0, 0] * F[1, 1] + dO[0, 1] * F[1, 0] + dO[1, 0] * F[0, 1] + dO[1, 1] * F[0, 0]
    )


def test_seed_in_floats_from_int_input() -> None:
    O = conv2d_forward(example.X, example.F)
    Z = gap_forward(O)
    dO = gap_backward(example.dZ, O.shape)
    dF = conv2d_backward_filter(example.X, dO)
    dX = conv2d_backward_input(dO, example.F)
    for result in (O, dO, dF, dX):
        assert result.dtype == np.float64
    assert type(Z) is float
    np.testing.assert_allclose(O, np.array(SEED_O, dtype=float), rtol=0, atol=1e-12)
    assert abs(Z - SEED_Z) <= 1e-12
    np.testing.assert_allclose(dO, np.array(SEED_DO, dtype=float), rtol=0, atol=1e-12)
    np.testing.assert_allclose(dF, np.array(SEED_DF, dtype=float), rtol=0, atol=1e-12)
    np.testing.assert_allclose(dX, np.array(SEED_DX, dtype=float), rtol=0, atol=1e-12)


def test_fraction_helpers_keep_fractions() -> None:
    dO = to_fractions(SEED_DO)
    _assert_all_fractions(
        pad2d(dO, 1), [[0] * 4, [0, *SEED_DO[0], 0], [0, *SEED_DO[1], 0], [0] * 4]
    )
    _assert_all_fractions(rot180(to_fractions(SEED_DF)), [row[::-1] for row in SEED_DF[::-1]])
    assert all(
        type(v) is Fraction for v in jacobian_output_wrt_input((3, 3), to_fractions(SEED_F)).flat
    )


# --------------------------------------------------- scipy as an independent oracle


def _problem(shapes: tuple[tuple[int, int], tuple[int, int]], integer: bool):
    """X, F and an upstream gradient G of the output's shape; integers or floats."""
    (height, width), (kh, kw) = shapes
    rng = np.random.default_rng([height, width, kh, kw, integer])

    def draw(shape: tuple[int, int]) -> np.ndarray:
        return rng.integers(-9, 10, size=shape) if integer else rng.standard_normal(shape)

    return draw((height, width)), draw((kh, kw)), draw((height - kh + 1, width - kw + 1))


@pytest.mark.parametrize("integer", [False, True], ids=["float", "int"])
@pytest.mark.parametrize("shapes", CROSS_CHECK_SHAPES, ids=str)
def test_against_scipy(shapes, integer: bool) -> None:
    X, F, G = _problem(shapes, integer)
    kh, kw = F.shape
    results = {
        "forward": (conv2d_forward(X, F), correlate2d(X, F, mode="valid")),
        "backward_filter": (conv2d_backward_filter(X, G), correlate2d(X, G, mode="valid")),
        "backward_input": (conv2d_backward_input(G, F), convolve2d(G, F, mode="full")),
        "pad2d": (pad2d(X, (kh - 1, kw - 1)), np.pad(X, [(kh - 1, kh - 1), (kw - 1, kw - 1)])),
        "rot180": (rot180(F), np.rot90(F, 2)),
    }
    for name, (ours, oracle) in results.items():
        assert ours.dtype == np.float64, name  # integer input must come back as float
        assert ours.shape == oracle.shape, name
        np.testing.assert_allclose(ours, oracle, rtol=1e-12, atol=1e-12, err_msg=name)
    assert conv2d_output_shape(X.shape, F.shape) == correlate2d(X, F, mode="valid").shape
    assert conv2d_backward_filter(X, G).shape == F.shape
    assert conv2d_backward_input(G, F).shape == X.shape


@pytest.mark.parametrize("shapes", EDGE_SHAPES, ids=str)
def test_jacobians_against_scipy_on_basis_inputs(shapes) -> None:
    """Convolution is linear, so J[:, :, i, j] is the output for the basis input e_ij."""
    X, F, _ = _problem(shapes, integer=False)
    J_input = jacobian_output_wrt_input(X.shape, F)
    J_filter = jacobian_output_wrt_filter(X, F.shape)
    out_shape = correlate2d(X, F, mode="valid").shape
    assert J_input.shape == (*out_shape, *X.shape)
    assert J_filter.shape == (*out_shape, *F.shape)
    for i, j in np.ndindex(X.shape):
        basis = np.zeros(X.shape)
        basis[i, j] = 1
        np.testing.assert_allclose(
            J_input[:, :, i, j], correlate2d(basis, F, mode="valid"), atol=1e-15
        )
    for p, q in np.ndindex(F.shape):
        basis = np.zeros(F.shape)
        basis[p, q] = 1
        np.testing.assert_allclose(
            J_filter[:, :, p, q], correlate2d(X, basis, mode="valid"), atol=1e-15
        )


def test_jacobian_of_int_input_is_float() -> None:
    assert jacobian_output_wrt_filter(example.X, (2, 2)).dtype == np.float64
    assert jacobian_output_wrt_input((3, 3), example.F).dtype == np.float64


# ----------------------------------------------------------- numerical gradients


def test_numerical_gradient_matches_a_known_analytic_gradient() -> None:
    rng = np.random.default_rng(1)
    for shape in [(4,), (3, 5), (2, 3, 2)]:
        X = rng.uniform(0.5, 2.0, size=shape)
        before = X.copy()
        estimate = numerical_gradient(lambda A: float(np.sum(np.sin(A) * A**2)), X)
        analytic = np.cos(X) * X**2 + 2 * X * np.sin(X)
        assert estimate.shape == shape
        assert np.array_equal(X, before)
        np.testing.assert_allclose(estimate, analytic, rtol=1e-8)


def test_numerical_gradient_uses_the_step_it_is_given() -> None:
    # For f = x**3, central differences give 3 x**2 + h**2 exactly: the error shows h.
    estimate = numerical_gradient(lambda A: float(A[0] ** 3), np.array([1.0]), h=0.1)
    assert estimate[0] == pytest.approx(3.0 + 0.01, rel=1e-9)


def test_relative_error_on_known_values() -> None:
    assert relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert relative_error([1.0, 3.0], [1.0, 1.0]) == pytest.approx(0.5)  # |3-1| / (3+1)
    assert relative_error([0.0], [0.0]) == 0.0
    assert relative_error([1e-9], [0.0]) == pytest.approx(0.1)  # the 1e-8 floor
    assert relative_error([[2.0]], [[-2.0]]) == pytest.approx(1.0)
    assert relative_error([1.0, 1.1], [1.1, 1.0]) == relative_error([1.1, 1.0], [1.0, 1.1])


@pytest.mark.parametrize(
    "shapes", [((3, 3), (2, 2)), ((5, 4), (2, 3)), ((1, 5), (1, 2)), ((4, 4), (4, 4))], ids=str
)
def test_backward_functions_match_central_differences(shapes) -> None:
    """A non-linear loss, L = sum(G * tanh(O)), so dL/dO = G * (1 - tanh(O)**2)."""
    X, F, G = _problem(shapes, integer=False)

    def loss(X: np.ndarray, F: np.ndarray) -> float:
        return float(np.sum(G * np.tanh(correlate2d(X, F, mode="valid") / 4)))

    dO = G * (1 - np.tanh(correlate2d(X, F, mode="valid") / 4) ** 2) / 4
    assert (
        relative_error(conv2d_backward_filter(X, dO), numerical_gradient(lambda F_: loss(X, F_), F))
        < 1e-7
    )
    assert (
        relative_error(conv2d_backward_input(dO, F), numerical_gradient(lambda X_: loss(X_, F), X))
        < 1e-7
    )


@pytest.mark.parametrize("shapes", [((5, 4), (2, 3)), ((4, 7), (3, 1))], ids=str)
def test_gradient_check_is_what_central_differences_reach(shapes) -> None:
    """Right backward functions score 0; wrong ones their relative error against central
    differences of L = sum(O * dO), to the rounding those differences carry."""
    X, F, dO = _problem(shapes, integer=False)

    def loss(X: np.ndarray, F: np.ndarray) -> float:
        return float(np.sum(correlate2d(X, F, mode="valid") * dO))

    numeric_dF = numerical_gradient(lambda F_: loss(X, F_), F)
    numeric_dX = numerical_gradient(lambda X_: loss(X_, F), X)
    assert gradient_check(conv2d_backward_filter, conv2d_backward_input, X, F, dO) == (0.0, 0.0)

    def unrotated(dO, F):
        return convolve2d(dO, F[::-1, ::-1], mode="full")  # a full correlation with F

    def doubled(X, dO):
        return 2 * correlate2d(X, dO, mode="valid")

    error_dF, error_dX = gradient_check(doubled, unrotated, X, F, dO)
    assert error_dF == pytest.approx(1 / 3)  # |2g - g| / (|2g| + |g|) everywhere
    assert error_dF == pytest.approx(relative_error(doubled(X, dO), numeric_dF), abs=1e-8)
    assert error_dX == pytest.approx(relative_error(unrotated(dO, F), numeric_dX), abs=1e-8)
    assert 0.5 < error_dX <= 1.0


def test_gradient_check_refuses_an_upstream_gradient_of_the_wrong_shape() -> None:
    with pytest.raises(ValueError, match=r"dO must have the output's shape \(2, 2\), got \(3, 3\)"):
        gradient_check(
            conv2d_backward_filter,
            conv2d_backward_input,
            np.ones((3, 3)),
            np.ones((2, 2)),
            np.ones((3, 3)),
        )


# --------------------------------------------------------------------- properties


@st.composite
def conv_problems(draw, elements: st.SearchStrategy | None = None):
    """X (H, W), F (kh, kw) and an upstream gradient G of the output's shape.

    Small integers by default: every sum below is then exact in float64, so the
    identities can be asserted with ==.
    """
    elements = st.integers(-9, 9) if elements is None else elements
    height, width = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    kh, kw = draw(st.integers(1, height)), draw(st.integers(1, width))

    def matrix(shape):
        return draw(arrays(np.float64, shape, elements=elements))

    return matrix((height, width)), matrix((kh, kw)), matrix((height - kh + 1, width - kw + 1))


def _inner(A: np.ndarray, B: np.ndarray) -> float:
    return float(np.sum(A * B))


@settings(max_examples=60, deadline=None)
@given(conv_problems())
def test_adjoint_identity(problem) -> None:
    X, F, G = problem
    forward = _inner(conv2d_forward(X, F), G)
    assert forward == _inner(X, conv2d_backward_input(G, F))
    assert forward == _inner(F, conv2d_backward_filter(X, G))


@settings(max_examples=40, deadline=None)
@given(conv_problems(), conv_problems(), st.integers(-5, 5), st.integers(-5, 5))
def test_linearity(problem, other, a: int, b: int) -> None:
    X, F, G = problem
    # Reuse the other problem's numbers, cut to this problem's shapes.
    X2 = np.resize(other[0], X.shape)
    F2 = np.resize(other[1], F.shape)
    G2 = np.resize(other[2], G.shape)
    assert np.array_equal(
        conv2d_forward(a * X + b * X2, F), a * conv2d_forward(X, F) + b * conv2d_forward(X2, F)
    )
    assert np.array_equal(
        conv2d_forward(X, a * F + b * F2), a * conv2d_forward(X, F) + b * conv2d_forward(X, F2)
    )
    assert np.array_equal(
        conv2d_backward_filter(X, a * G + b * G2),
        a * conv2d_backward_filter(X, G) + b * conv2d_backward_filter(X, G2),
    )
    assert np.array_equal(
        conv2d_backward_input(a * G + b * G2, F),
        a * conv2d_backward_input(G, F) + b * conv2d_backward_input(G2, F),
    )
    assert gap_forward(a * X + b * X2) == pytest.approx(
        a * gap_forward(X) + b * gap_forward(X2), abs=1e-12
    )


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.integers(-20, 20))
def test_gap_backward_spreads_dZ_evenly(height: int, width: int, dZ: int) -> None:
    dO = gap_backward(dZ, (height, width))
    assert dO.shape == (height, width)
    assert dO.dtype == np.float64
    assert np.all(dO == dZ / (height * width))
    exact = gap_backward(Fraction(dZ), (height, width))
    assert all(
        value == Fraction(dZ, height * width) and type(value) is Fraction for value in exact.flat
    )


def _call_everything(X: np.ndarray, F: np.ndarray, G: np.ndarray) -> list[np.ndarray]:
    """Call every public function once; return the results that are arrays."""
    new_F, _ = training_step(X, F, target=1.0, learning_rate=0.1)
    gap_forward(X)
    relative_error(X, X)
    return [
        conv2d_forward(X, F),
        conv2d_backward_filter(X, G),
        conv2d_backward_input(G, F),
        gap_backward(gap_forward(G), G.shape),
        jacobian_output_wrt_filter(X, F.shape),
        jacobian_output_wrt_input(X.shape, F),
        pad2d(X, 1),
        pad2d(F, 0),
        rot180(F),
        numerical_gradient(lambda A: float(np.sum(A**2)), F),
        new_F,
    ]


@settings(max_examples=30, deadline=None)
@given(conv_problems(elements=st.floats(-10, 10)))
def test_inputs_are_never_modified_or_shared(problem) -> None:
    originals = [A.copy() for A in problem]
    results = _call_everything(*problem)
    for A, original in zip(problem, originals, strict=True):
        assert np.array_equal(A, original)
        # A result that is a view of an input would let a later in-place edit change it.
        assert not any(np.shares_memory(result, A) for result in results)


def test_fraction_inputs_are_never_modified() -> None:
    X, F = to_fractions(SEED_X), to_fractions(SEED_F)
    G = to_fractions(SEED_DO)
    originals = [A.copy() for A in (X, F, G)]
    results = _call_everything(X, F, G)
    for A, original in zip((X, F, G), originals, strict=True):
        assert A.tolist() == original.tolist()
        assert not any(np.shares_memory(result, A) for result in results)


# --------------------------------------------------------------- the training step


def _independent_loss(X: np.ndarray, F: np.ndarray, target: float) -> float:
    return (float(np.mean(correlate2d(X, F, mode="valid"))) - target) ** 2 / 2


def test_training_step_takes_a_numerical_gradient_step() -> None:
    rng = np.random.default_rng(7)
    X, F = rng.standard_normal((5, 6)), rng.standard_normal((3, 2))
    target, learning_rate = 2.5, 0.3
    new_F, loss = training_step(X, F, target, learning_rate)
    assert new_F.shape == F.shape
    assert new_F.dtype == np.float64
    assert loss == pytest.approx(_independent_loss(X, F, target), rel=1e-12)
    numerical = numerical_gradient(lambda F_: _independent_loss(X, F_, target), F)
    assert relative_error((F - new_F) / learning_rate, numerical) < 1e-7


def test_training_step_decreases_the_loss() -> None:
    rng = np.random.default_rng(3)
    X = rng.uniform(0, 1, size=(6, 6))
    F = rng.integers(-2, 3, size=(3, 3))  # int filter: the steps must not truncate
    losses = []
    for _ in range(40):
        F, loss = training_step(X, F, target=3.0, learning_rate=0.1)
        losses.append(loss)
    assert F.dtype == np.float64
    assert losses[0] > 0.1
    assert all(later < earlier for earlier, later in pairwise(losses))
    assert losses[-1] < 1e-3 * losses[0]


# ------------------------------------------------------------------- bad input


# Each call and a fragment of the message that says what is wrong.
BAD_INPUT = [
    (
        lambda: conv2d_forward(np.ones((3, 3)), np.ones((4, 2))),
        r"filter of shape \(4, 2\) is larger than the input",
    ),
    (lambda: conv2d_forward(np.ones((3, 3)), np.ones((2, 4))), "larger than the input"),
    (lambda: conv2d_forward(np.ones(3), np.ones((1, 1))), r"X must be a 2-D array, got 1-D"),
    (
        lambda: conv2d_forward(np.ones((3, 3, 1)), np.ones((1, 1))),
        "X must be a 2-D array, got 3-D",
    ),
    (lambda: conv2d_forward(np.ones((3, 3)), 2.0), "F must be a 2-D array, got 0-D"),
    (lambda: conv2d_forward(np.ones((0, 3)), np.ones((1, 1))), "X must not be empty"),
    (lambda: conv2d_forward(np.array([["a", "b"]]), np.ones((1, 1))), "X must hold numbers"),
    (lambda: conv2d_forward(np.ones((2, 2)) * 1j, np.ones((1, 1))), "X must hold real numbers"),
    (
        lambda: conv2d_backward_filter(np.ones((3, 3)), np.ones((2, 4))),
        r"gradient of shape \(2, 4\) cannot come from an input of shape \(3, 3\)",
    ),
    (lambda: conv2d_backward_filter(np.ones((3, 3)), np.ones(4)), "dO must be a 2-D array"),
    (
        lambda: conv2d_backward_input(np.ones((2, 2, 2)), np.ones((2, 2))),
        "dO must be a 2-D array",
    ),
    (lambda: gap_forward(np.ones(4)), "O must be a 2-D array"),
    (
        lambda: gap_backward(1.0, (2,)),
        r"shape must be two positive integers \(H, W\), got \(2,\)",
    ),
    (lambda: gap_backward(1.0, (2, 2, 2)), "shape must be two positive integers"),
    (lambda: gap_backward(1.0, (2, 0)), "shape must be two positive integers"),
    (lambda: gap_backward(1.0, (2, -1)), "shape must be two positive integers"),
    (lambda: gap_backward(1.0, (2.5, 2)), "shape must be two positive integers"),
    (
        lambda: gap_backward(np.ones(2), (1, 2)),
        r"dZ must be a scalar, got an array of shape \(2,\)",
    ),
    (
        lambda: pad2d(np.ones((2, 2)), -1),
        "pad must be one or two non-negative integers, got -1",
    ),
    (lambda: pad2d(np.ones((2, 2)), 1.5), "pad must be one or two non-negative integers"),
    (lambda: pad2d(np.ones((2, 2)), (1, -1)), "pad must be one or two non-negative integers"),
    (lambda: pad2d(np.ones((2, 2)), (1, 2, 3)), "pad must be one or two non-negative integers"),
    (lambda: pad2d(np.ones((2, 2)), "1"), "pad must be one or two non-negative integers"),
    (lambda: pad2d(np.ones(2), 1), "A must be a 2-D array"),
    (lambda: rot180(np.ones((2, 2, 2))), "F must be a 2-D array"),
    (
        lambda: jacobian_output_wrt_filter(np.ones((3, 3)), (4, 1)),
        r"filter shape \(4, 1\) does not fit the input of shape \(3, 3\)",
    ),
    (
        lambda: jacobian_output_wrt_filter(np.ones((3, 3)), (0, 1)),
        "filter_shape must be two positive integers",
    ),
    (lambda: jacobian_output_wrt_input((3, 3), np.ones((2, 4))), "larger than the input shape"),
    (
        lambda: jacobian_output_wrt_input((3,), np.ones((1, 1))),
        "input_shape must be two positive integers",
    ),
    (lambda: conv2d_output_shape((3, 3), (4, 1)), "larger than the input shape"),
    (lambda: conv2d_output_shape((3, 0), (1, 1)), "input_shape must be two positive integers"),
    (
        lambda: conv2d_output_shape((3, 3), (1, 1, 1)),
        "filter_shape must be two positive integers",
    ),
    (lambda: relative_error(np.ones(2), np.ones(3)), r"shapes differ: \(2,\) and \(3,\)"),
    (
        lambda: training_step(np.ones((2, 2)), np.ones((3, 3)), 1.0, 0.1),
        "larger than the input",
    ),
]


@pytest.mark.parametrize(("call", "message"), BAD_INPUT, ids=[m for _, m in BAD_INPUT])
def test_bad_input_gets_a_clear_value_error(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# ------------------------------------------------------------------- public API


@pytest.mark.parametrize("name", reference.__all__)
def test_public_function_documents_every_argument(name: str) -> None:
    """numpy-style docstrings: every argument in order, every array with a shape."""
    function = getattr(reference, name)
    assert getattr(autograder, name) is function  # the package re-exports the maths
    doc = inspect.getdoc(function)
    assert "\nReturns\n-------\n" in doc
    parameters = doc.split("Parameters\n----------\n", 1)[1].split("\n\nReturns", 1)[0]
    described = {}
    for match in re.finditer(r"^(\w+(?:, \w+)*) : (.+)$", parameters, flags=re.MULTILINE):
        described |= dict.fromkeys(match.group(1).split(", "), match.group(2))
    signature = inspect.signature(function)
    assert list(described) == list(signature.parameters)
    for argument, parameter in signature.parameters.items():
        if "ndarray" in str(parameter.annotation):
            assert "shape" in described[argument], f"{name}: give {argument} a shape"
