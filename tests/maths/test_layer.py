"""Tests for autograder/maths/layer.py against outside oracles.

The oracles: scipy.signal's correlate2d and convolve2d, channel by channel, with the
stride written as a dilation of dO (a derivation independent of the module's window
scatter); plain loops written here from the formulas; central differences; and
identities every correct implementation satisfies (adjoints, linearity, where a max
pool's gradient may go). Integer, float and Fraction inputs; strides 1 to 4 and
paddings 0 to 3 on non-square shapes, with sizes the stride does not divide.
"""

from __future__ import annotations

import inspect
import re
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.signal import convolve2d, correlate2d

from autograder.maths import layer
from autograder.maths.exact import to_fractions
from autograder.maths.layer import (
    conv_layer_backward,
    conv_layer_forward,
    conv_layer_output_shape,
    max_pool_backward,
    max_pool_forward,
)

# (N, C, H, W), (K, C, kh, kw), stride, pad: non-square inputs and filters, K != C and
# K == C, strides that do not divide the padded size, padding wider than the filter,
# a 1x1 filter, a filter as large as the padded input, one row, one column.
CONV_CASES = [
    ((1, 1, 3, 3), (1, 1, 2, 2), 1, 0),
    ((2, 3, 5, 7), (4, 3, 3, 2), 1, 1),
    ((2, 2, 7, 6), (2, 2, 3, 3), 2, 1),
    ((1, 3, 8, 5), (2, 3, 2, 3), 3, 0),
    ((3, 1, 6, 9), (2, 1, 4, 2), 2, 2),
    ((1, 2, 4, 4), (3, 2, 1, 1), 2, 0),
    ((2, 2, 3, 4), (1, 2, 5, 6), 1, 1),
    ((1, 1, 1, 6), (2, 1, 1, 3), 1, 0),
    ((2, 1, 6, 1), (1, 1, 2, 1), 1, 0),
    ((1, 2, 5, 5), (2, 2, 2, 2), 4, 3),
    ((2, 3, 9, 8), (3, 3, 3, 3), 3, 2),
]

# (N, C, H, W), (ph, pw), stride: windows that tile, overlap (stride < window) and skip
# (stride > window), non-square windows, sizes the stride does not divide.
POOL_CASES = [
    ((1, 1, 4, 4), (2, 2), 2),
    ((2, 3, 5, 7), (2, 3), 1),
    ((1, 2, 6, 6), (3, 3), 2),
    ((2, 1, 7, 5), (2, 2), 3),
    ((1, 1, 1, 5), (1, 2), 1),
    ((3, 2, 4, 3), (4, 3), 1),
    ((1, 2, 8, 9), (3, 2), 2),
]


def _draw(rng: np.random.Generator, shape: tuple[int, ...], integer: bool) -> np.ndarray:
    return rng.integers(-5, 6, size=shape) if integer else rng.standard_normal(shape)


def _conv_problem(case, integer: bool):
    x_shape, f_shape, stride, pad = case
    rng = np.random.default_rng([*x_shape, *f_shape, stride, pad, integer])
    X, F = _draw(rng, x_shape, integer), _draw(rng, f_shape, integer)
    b = _draw(rng, (f_shape[0],), integer)
    N, _, H, W = x_shape
    K, _, kh, kw = f_shape
    out = (N, K, (H + 2 * pad - kh) // stride + 1, (W + 2 * pad - kw) // stride + 1)
    return X, F, b, _draw(rng, out, integer), stride, pad


def _padded(X: np.ndarray, pad: int) -> np.ndarray:
    return np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad)))


def _dilated(G: np.ndarray, stride: int) -> np.ndarray:
    """G with stride - 1 zeros between its entries: a stride-1 map of the same windows."""
    H, W = G.shape
    D = np.zeros(((H - 1) * stride + 1, (W - 1) * stride + 1))
    D[::stride, ::stride] = G
    return D


# ------------------------------------------------------------- scipy, channel by channel


def _scipy_forward(X, F, b, stride, pad):
    Xp = _padded(X, pad)
    return np.array(
        [
            [
                b[k]
                + sum(correlate2d(Xp[n, c], F[k, c], mode="valid") for c in range(X.shape[1]))[
                    ::stride, ::stride
                ]
                for k in range(F.shape[0])
            ]
            for n in range(X.shape[0])
        ]
    )


def _scipy_backward(dO, X, F, stride, pad):
    """dF by correlating the padded input with the dilated dO; dX by a full convolution
    of the dilated dO with F, cut back to the input (rows no window reached stay 0)."""
    N, C, H, W = X.shape
    K, _, kh, kw = F.shape
    Xp = _padded(X, pad).astype(float)
    dF = np.zeros(F.shape)
    dXp = np.zeros(Xp.shape)
    for n in range(N):
        for k in range(K):
            G = _dilated(dO[n, k], stride)
            for c in range(C):
                dF[k, c] += correlate2d(Xp[n, c], G, mode="valid")[:kh, :kw]
                full = convolve2d(G, F[k, c], mode="full")
                dXp[n, c, : full.shape[0], : full.shape[1]] += full
    return dXp[:, :, pad : pad + H, pad : pad + W], dF, dO.sum(axis=(0, 2, 3))


@pytest.mark.parametrize("integer", [False, True], ids=["float", "int"])
@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_conv_layer_against_scipy(case, integer: bool) -> None:
    X, F, b, dO, stride, pad = _conv_problem(case, integer)
    O = conv_layer_forward(X, F, b, stride, pad)
    assert O.dtype == np.float64
    oracle = _scipy_forward(X, F, b, stride, pad)
    assert O.shape == oracle.shape == conv_layer_output_shape(X.shape, F.shape, stride, pad)
    np.testing.assert_allclose(O, oracle, rtol=1e-12, atol=1e-12)
    ours = conv_layer_backward(dO, X, F, stride, pad)
    for name, mine, theirs, like in zip(
        ("dX", "dF", "db"), ours, _scipy_backward(dO, X, F, stride, pad), (X, F, b), strict=True
    ):
        assert mine.dtype == np.float64, name  # integer input must come back as float
        assert mine.shape == like.shape, name
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-12, err_msg=name)


# -------------------------------------------------------- loops, from the formulas


def _loop_forward(X, F, b, stride, pad):
    Xp = _padded(np.asarray(X, dtype=float), pad)
    N, _, Hp, Wp = Xp.shape
    K, _, kh, kw = F.shape
    Ho, Wo = (Hp - kh) // stride + 1, (Wp - kw) // stride + 1
    O = np.zeros((N, K, Ho, Wo))
    for n in range(N):
        for k in range(K):
            for i in range(Ho):
                for j in range(Wo):
                    window = Xp[n, :, i * stride : i * stride + kh, j * stride : j * stride + kw]
                    O[n, k, i, j] = np.sum(window * F[k]) + b[k]
    return O


def _loop_backward(dO, X, F, stride, pad):
    Xp = _padded(np.asarray(X, dtype=float), pad)
    dXp, dF, db = np.zeros(Xp.shape), np.zeros(F.shape), np.zeros(F.shape[0])
    kh, kw = F.shape[2:]
    for n, k, i, j in np.ndindex(dO.shape):
        rows = slice(i * stride, i * stride + kh)
        cols = slice(j * stride, j * stride + kw)
        dXp[n, :, rows, cols] += dO[n, k, i, j] * F[k]
        dF[k] += dO[n, k, i, j] * Xp[n, :, rows, cols]
        db[k] += dO[n, k, i, j]
    H, W = X.shape[2:]
    return dXp[:, :, pad : pad + H, pad : pad + W], dF, db


def _loop_pool_forward(X, pool_shape, stride):
    N, C, H, W = X.shape
    ph, pw = pool_shape
    O = np.zeros((N, C, (H - ph) // stride + 1, (W - pw) // stride + 1))
    for n, c, i, j in np.ndindex(O.shape):
        O[n, c, i, j] = X[n, c, i * stride : i * stride + ph, j * stride : j * stride + pw].max()
    return O


def _loop_pool_backward(dO, X, pool_shape, stride):
    """The first largest element in row-major order: a strict > keeps the earlier one."""
    ph, pw = pool_shape
    dX = np.zeros(X.shape)
    for n, c, i, j in np.ndindex(dO.shape):
        best = (0, 0)
        for p in range(ph):
            for q in range(pw):
                if (
                    X[n, c, i * stride + p, j * stride + q]
                    > X[n, c, i * stride + best[0], j * stride + best[1]]
                ):
                    best = (p, q)
        dX[n, c, i * stride + best[0], j * stride + best[1]] += dO[n, c, i, j]
    return dX


@pytest.mark.parametrize("integer", [False, True], ids=["float", "int"])
@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_conv_layer_against_loops(case, integer: bool) -> None:
    X, F, b, dO, stride, pad = _conv_problem(case, integer)
    np.testing.assert_allclose(
        conv_layer_forward(X, F, b, stride, pad), _loop_forward(X, F, b, stride, pad), atol=1e-12
    )
    for mine, theirs in zip(
        conv_layer_backward(dO, X, F, stride, pad),
        _loop_backward(dO, X, F, stride, pad),
        strict=True,
    ):
        np.testing.assert_allclose(mine, theirs, atol=1e-12)


def _pool_problem(case, integer: bool):
    x_shape, pool_shape, stride = case
    rng = np.random.default_rng([*x_shape, *pool_shape, stride, integer])
    # Integers from a narrow range tie often inside a window: the tie rule is exercised.
    X = rng.integers(-2, 3, size=x_shape) if integer else rng.standard_normal(x_shape)
    H, W = x_shape[2:]
    out = (*x_shape[:2], (H - pool_shape[0]) // stride + 1, (W - pool_shape[1]) // stride + 1)
    return X, _draw(rng, out, integer), pool_shape, stride


@pytest.mark.parametrize("integer", [False, True], ids=["float", "int"])
@pytest.mark.parametrize("case", POOL_CASES, ids=str)
def test_max_pool_against_loops(case, integer: bool) -> None:
    X, dO, pool_shape, stride = _pool_problem(case, integer)
    O = max_pool_forward(X, pool_shape, stride)
    assert O.dtype == np.float64
    np.testing.assert_array_equal(O, _loop_pool_forward(X, pool_shape, stride))
    dX = max_pool_backward(dO, X, pool_shape, stride)
    assert dX.dtype == np.float64 and dX.shape == X.shape
    np.testing.assert_allclose(dX, _loop_pool_backward(dO, X, pool_shape, stride), atol=1e-12)


def test_max_pool_ties_send_the_gradient_to_the_first_in_row_major_order() -> None:
    X = np.array([[[[1, 3, 3, 0], [3, 2, 0, 0], [5, 5, 1, 1], [5, 5, 1, 1]]]])
    dO = np.array([[[[10, 20], [30, 40]]]])
    assert max_pool_forward(X, (2, 2), 2).tolist() == [[[[3, 3], [5, 1]]]]
    # Window (0, 0) holds 3 at (0, 1) and (1, 0): row 0 comes first. Window (1, 0) is all
    # fives and window (1, 1) all ones: their top-left corners win.
    assert max_pool_backward(dO, X, (2, 2), 2).tolist() == [
        [[[0, 10, 20, 0], [0, 0, 0, 0], [30, 0, 40, 0], [0, 0, 0, 0]]]
    ]


def test_overlapping_pool_windows_add_up_at_a_shared_maximum() -> None:
    X = np.array([[[[0, 0, 0], [0, 9, 0], [0, 0, 0]]]])
    dX = max_pool_backward(np.array([[[[1, 2], [3, 4]]]]), X, (2, 2), 1)
    assert dX.tolist() == [[[[0, 0, 0], [0, 10, 0], [0, 0, 0]]]]


def test_rows_no_window_reaches_get_no_gradient() -> None:
    # H + 2P - kh = 5 + 0 - 2 = 3 is not a multiple of 2: the last row is never used.
    X = np.ones((1, 1, 5, 5))
    dX, _, _ = conv_layer_backward(np.ones((1, 1, 2, 2)), X, np.ones((1, 1, 2, 2)), 2, 0)
    assert dX[0, 0, 4].tolist() == [0] * 5 and dX[0, 0, :, 4].tolist() == [0] * 5
    assert dX[0, 0, :4, :4].tolist() == [[1] * 4] * 4


# -------------------------------------------------------------- central differences


def _central_differences(f, A: np.ndarray, h: float = 1e-6) -> np.ndarray:
    A = np.array(A, dtype=float)
    grad = np.zeros_like(A)
    for index in np.ndindex(A.shape):
        nudged = A.copy()
        nudged[index] += h
        up = f(nudged)
        nudged[index] -= 2 * h
        grad[index] = (up - f(nudged)) / (2 * h)
    return grad


@pytest.mark.parametrize("case", CONV_CASES[1:6], ids=str)
def test_conv_layer_backward_matches_central_differences(case) -> None:
    """A non-linear loss, L = sum(G * tanh(O)), so dL/dO = G * (1 - tanh(O)**2)."""
    X, F, b, G, stride, pad = _conv_problem(case, integer=False)

    def loss(X_, F_, b_):
        return float(np.sum(G * np.tanh(_scipy_forward(X_, F_, b_, stride, pad))))

    dO = G * (1 - np.tanh(_scipy_forward(X, F, b, stride, pad)) ** 2)
    dX, dF, db = conv_layer_backward(dO, X, F, stride, pad)
    for mine, numerical in (
        (dX, _central_differences(lambda A: loss(A, F, b), X)),
        (dF, _central_differences(lambda A: loss(X, A, b), F)),
        (db, _central_differences(lambda A: loss(X, F, A), b)),
    ):
        np.testing.assert_allclose(mine, numerical, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("case", POOL_CASES, ids=str)
def test_max_pool_backward_matches_central_differences_without_ties(case) -> None:
    x_shape, pool_shape, stride = case
    rng = np.random.default_rng(len(x_shape) + stride)
    X = rng.permutation(np.prod(x_shape)).reshape(x_shape).astype(float)  # no ties
    G = rng.standard_normal(max_pool_forward(X, pool_shape, stride).shape)
    numerical = _central_differences(
        lambda A: float(np.sum(G * _loop_pool_forward(A, pool_shape, stride))), X, h=1e-3
    )
    np.testing.assert_allclose(max_pool_backward(G, X, pool_shape, stride), numerical, atol=1e-9)


# -------------------------------------------------------------------- exact Fractions


def _all_fractions(A: np.ndarray) -> bool:
    return A.dtype == object and all(type(value) is Fraction for value in A.flat)


@pytest.mark.parametrize("case", CONV_CASES[:4], ids=str)
def test_fraction_inputs_give_exact_fractions(case) -> None:
    X, F, b, dO, stride, pad = _conv_problem(case, integer=True)
    X_q, F_q, b_q = to_fractions(X), to_fractions(F), to_fractions(b)
    dO_q = to_fractions(dO) / 4  # quarters: a float result would still be exact here
    O = conv_layer_forward(X_q, F_q, b_q, stride, pad)
    assert _all_fractions(O)
    assert O.tolist() == _loop_forward(X, F, b, stride, pad).tolist()
    for mine, floats in zip(
        conv_layer_backward(dO_q, X_q, F_q, stride, pad),
        _loop_backward(dO / 4, X, F, stride, pad),
        strict=True,
    ):
        assert _all_fractions(mine)
        assert mine.tolist() == floats.tolist()


def test_max_pool_of_fractions_stays_exact() -> None:
    X = to_fractions(np.array([[[[1, 2, 2], [0, -1, 2], [3, 3, 0]]]])) / 3
    dO = to_fractions(np.array([[[[1, 1], [1, 1]]]])) / 4
    O = max_pool_forward(X, (2, 2), 1)
    dX = max_pool_backward(dO, X, (2, 2), 1)
    assert _all_fractions(O) and _all_fractions(dX)
    assert O.tolist() == [[[[Fraction(2, 3)] * 2, [Fraction(1, 1)] * 2]]]
    # X[0, 1] is the first 2 of both top windows (their gradients add up); the bottom
    # windows' first 3s are X[2, 0] and X[2, 1].
    quarter = Fraction(1, 4)
    assert dX.tolist() == [[[[0, 2 * quarter, 0], [0, 0, 0], [quarter, quarter, 0]]]]


# --------------------------------------------------------------------- properties


@st.composite
def conv_problems(draw, elements: st.SearchStrategy | None = None):
    """X, F, b, an upstream gradient G of the output's shape, stride and pad.

    Small integers by default: every sum is then exact in float64, so the identities
    can be asserted with ==.
    """
    elements = st.integers(-9, 9) if elements is None else elements
    N, C, K = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    H, W = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    stride, pad = draw(st.integers(1, 4)), draw(st.integers(0, 3))
    kh, kw = draw(st.integers(1, H + 2 * pad)), draw(st.integers(1, W + 2 * pad))
    Ho, Wo = (H + 2 * pad - kh) // stride + 1, (W + 2 * pad - kw) // stride + 1

    def array(*shape):
        return draw(arrays(np.float64, shape, elements=elements))

    return (
        array(N, C, H, W),
        array(K, C, kh, kw),
        array(K),
        array(N, K, Ho, Wo),
        stride,
        pad,
    )


def _inner(A: np.ndarray, B: np.ndarray) -> float:
    return float(np.sum(A * B))


@settings(max_examples=80, deadline=None)
@given(conv_problems())
def test_adjoint_identities(problem) -> None:
    """O is linear in X, in F and in b separately: each gradient is that map's transpose."""
    X, F, b, G, stride, pad = problem
    dX, dF, db = conv_layer_backward(G, X, F, stride, pad)
    without_bias = _inner(conv_layer_forward(X, F, np.zeros_like(b), stride, pad), G)
    assert without_bias == _inner(X, dX)
    assert without_bias == _inner(F, dF)
    bias_only = conv_layer_forward(np.zeros_like(X), F, b, stride, pad)
    assert _inner(bias_only, G) == _inner(b, db)


@settings(max_examples=40, deadline=None)
@given(conv_problems(), st.integers(-4, 4), st.integers(-4, 4))
def test_backward_is_linear_in_the_upstream_gradient(problem, s: int, t: int) -> None:
    X, F, _, G, stride, pad = problem
    G2 = np.roll(G, 1)
    together = conv_layer_backward(s * G + t * G2, X, F, stride, pad)
    apart = zip(
        conv_layer_backward(G, X, F, stride, pad),
        conv_layer_backward(G2, X, F, stride, pad),
        strict=True,
    )
    for both, (one, two) in zip(together, apart, strict=True):
        assert np.array_equal(both, s * one + t * two)


@st.composite
def pool_problems(draw):
    N, C = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    H, W = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    ph, pw = draw(st.integers(1, H)), draw(st.integers(1, W))
    stride = draw(st.integers(1, 4))
    Ho, Wo = (H - ph) // stride + 1, (W - pw) // stride + 1
    X = draw(arrays(np.float64, (N, C, H, W), elements=st.integers(-3, 3)))  # many ties
    G = draw(arrays(np.float64, (N, C, Ho, Wo), elements=st.integers(-9, 9)))
    return X, G, (ph, pw), stride


@settings(max_examples=80, deadline=None)
@given(pool_problems())
def test_max_pool_gradient_goes_only_to_window_maxima_and_loses_nothing(problem) -> None:
    X, G, (ph, pw), stride = problem
    O = max_pool_forward(X, (ph, pw), stride)
    dX = max_pool_backward(G, X, (ph, pw), stride)
    assert dX.sum() == G.sum()  # each window hands all of its gradient to one element
    # Every element that got a gradient is the maximum of a window that covers it.
    for n, c, r, s in zip(*np.nonzero(dX), strict=True):
        covering = [
            O[n, c, i, j]
            for i in range(O.shape[2])
            for j in range(O.shape[3])
            if i * stride <= r < i * stride + ph and j * stride <= s < j * stride + pw
        ]
        assert X[n, c, r, s] in covering
    # With the gradient all ones, the pool's output is <X, dX>: each window's maximum, once.
    ones = max_pool_backward(np.ones_like(G), X, (ph, pw), stride)
    assert _inner(X, ones) == float(O.sum())


@settings(max_examples=40, deadline=None)
@given(conv_problems(elements=st.floats(-10, 10)), pool_problems())
def test_inputs_are_never_modified_or_shared(conv, pool) -> None:
    X, F, b, G, stride, pad = conv
    PX, PG, window, pool_stride = pool
    originals = [A.copy() for A in (X, F, b, G, PX, PG)]
    results = [
        conv_layer_forward(X, F, b, stride, pad),
        *conv_layer_backward(G, X, F, stride, pad),
        max_pool_forward(PX, window, pool_stride),
        max_pool_backward(PG, PX, window, pool_stride),
    ]
    for A, original in zip((X, F, b, G, PX, PG), originals, strict=True):
        assert np.array_equal(A, original)
        # A result that is a view of an input would let a later in-place edit change it.
        assert not any(np.shares_memory(result, A) for result in results)


# --------------------------------------------------------------- the output shape


@pytest.mark.parametrize(
    ("x_shape", "f_shape", "stride", "pad", "expected"),
    [
        ((2, 3, 32, 32), (8, 3, 3, 3), 1, 1, (2, 8, 32, 32)),  # 'same' for a 3x3 filter
        ((1, 3, 32, 32), (4, 3, 5, 5), 2, 2, (1, 4, 16, 16)),
        ((1, 1, 7, 5), (1, 1, 3, 2), 2, 0, (1, 1, 3, 2)),  # (7-3)//2+1, (5-2)//2+1
        ((1, 1, 5, 5), (1, 1, 2, 2), 2, 0, (1, 1, 2, 2)),  # 3//2 + 1: the last row unused
        ((4, 2, 1, 1), (3, 2, 3, 3), 1, 1, (4, 3, 1, 1)),
        ((1, 1, 2, 2), (1, 1, 6, 6), 3, 2, (1, 1, 1, 1)),
    ],
)
def test_output_shape_rule(x_shape, f_shape, stride, pad, expected) -> None:
    assert conv_layer_output_shape(x_shape, f_shape, stride, pad) == expected
    assert all(type(n) is int for n in conv_layer_output_shape(x_shape, f_shape, stride, pad))


# ------------------------------------------------------------------- bad input

BAD_INPUT = [
    (
        lambda: conv_layer_forward(np.ones((1, 3, 4, 4)), np.ones((2, 2, 2, 2)), np.ones(2), 1, 0),
        "the input has 3 channels but the filters expect 2",
    ),
    (
        lambda: conv_layer_forward(np.ones((1, 1, 4, 4)), np.ones((2, 1, 2, 2)), np.ones(3), 1, 0),
        r"b must have one entry per filter, shape \(2,\), got \(3,\)",
    ),
    (
        lambda: conv_layer_forward(np.ones((1, 1, 4, 4)), np.ones((2, 1, 2, 2)), 0.5, 1, 0),
        "b must be a 1-D array, got 0-D",
    ),
    (
        lambda: conv_layer_forward(np.ones((4, 4)), np.ones((1, 1, 2, 2)), np.ones(1), 1, 0),
        r"X must be a 4-D array, got 2-D with shape \(4, 4\)",
    ),
    (
        lambda: conv_layer_forward(np.ones((1, 1, 4, 4)), np.ones((1, 2, 2)), np.ones(1), 1, 0),
        "F must be a 4-D array, got 3-D",
    ),
    (
        lambda: conv_layer_forward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 6, 2)), np.ones(1), 1, 1),
        r"a 6x2 filter does not fit a 3x3 input padded by 1 \(5x5\)",
    ),
    (
        lambda: conv_layer_forward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), np.ones(1), 0, 0),
        "stride must be an integer of at least 1, got 0",
    ),
    (
        lambda: conv_layer_forward(
            np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), np.ones(1), 1.5, 0
        ),
        "stride must be an integer of at least 1, got 1.5",
    ),
    (
        lambda: conv_layer_forward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), np.ones(1), 1, -1),
        "pad must be an integer of at least 0, got -1",
    ),
    (
        lambda: conv_layer_forward(
            np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), np.ones(1), True, 0
        ),
        "stride must be an integer of at least 1, got True",
    ),
    (
        lambda: conv_layer_forward(np.ones((0, 1, 3, 3)), np.ones((1, 1, 2, 2)), np.ones(1), 1, 0),
        "X must not be empty",
    ),
    (
        lambda: conv_layer_forward(
            np.full((1, 1, 2, 2), "a"), np.ones((1, 1, 1, 1)), np.ones(1), 1, 0
        ),
        "X must hold numbers",
    ),
    (
        lambda: conv_layer_backward(
            np.ones((1, 2, 3, 3)), np.ones((1, 1, 3, 3)), np.ones((2, 1, 2, 2)), 2, 1
        ),
        r"dO must have the output's shape \(1, 2, 2, 2\) for these X, F, stride and pad, "
        r"got \(1, 2, 3, 3\)",
    ),
    (
        lambda: conv_layer_output_shape((1, 1, 3), (1, 1, 2, 2), 1, 0),
        "x_shape must be 4 positive integers",
    ),
    (
        lambda: conv_layer_output_shape((1, 1, 3, 3), (1, 1, 0, 2), 1, 0),
        "f_shape must be 4 positive integers",
    ),
    (
        lambda: max_pool_forward(np.ones((1, 1, 3, 3)), (4, 1), 1),
        "a 4x1 pooling window does not fit a 3x3 input",
    ),
    (
        lambda: max_pool_forward(np.ones((1, 1, 3, 3)), (2,), 1),
        "pool_shape must be 2 positive integers",
    ),
    (
        lambda: max_pool_forward(np.ones((1, 1, 3, 3)), (2, 2), 0),
        "stride must be an integer of at least 1",
    ),
    (lambda: max_pool_forward(np.ones((3, 3)), (2, 2), 1), "X must be a 4-D array"),
    (
        lambda: max_pool_backward(np.ones((1, 1, 2, 2)), np.ones((1, 1, 4, 4)), (2, 2), 1),
        r"dO must have the pooled output's shape \(1, 1, 3, 3\), got \(1, 1, 2, 2\)",
    ),
]


@pytest.mark.parametrize(("call", "message"), BAD_INPUT, ids=[m for _, m in BAD_INPUT])
def test_bad_input_gets_a_clear_value_error(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# ------------------------------------------------------------------- public API


@pytest.mark.parametrize("name", layer.__all__)
def test_public_function_documents_every_argument(name: str) -> None:
    """numpy-style docstrings: every argument in order, every array with a shape, and
    every returned array with one."""
    function = getattr(layer, name)
    doc = inspect.getdoc(function)
    parameters, returns = doc.split("Parameters\n----------\n", 1)[1].split(
        "\n\nReturns\n-------\n", 1
    )
    described = dict(re.findall(r"^(\w+) : (.+)$", parameters, flags=re.MULTILINE))
    signature = inspect.signature(function)
    assert list(described) == list(signature.parameters)
    for argument, parameter in signature.parameters.items():
        if "ndarray" in str(parameter.annotation):
            assert "shape" in described[argument], f"{name}: give {argument} a shape"
    for line in re.findall(r"^\w+ : (.+)$", returns, flags=re.MULTILINE):
        assert "shape" in line or line.startswith("tuple ("), f"{name}: {line}"
