"""Typical wrong implementations of notebook 7's layer, as a student's code would make them.

Each function here takes a graded function's arguments and returns what one typical
slip gives; :mod:`autograder.maths.misconceptions` pairs each with the sentence that
names it. The slips that live inside a loop (where a window's gradient goes, ``=`` for ``+=``, the
step between windows) are written as loops over the windows with the slip switched on,
so each mistake is the student's own shape of code rather than a transformation of the
right answer. Sizes in the course's challenges are small, so loops are quick enough.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from autograder.maths import layer

__all__ = [
    "conv_backward_loops",
    "conv_backward_with_dX_filters",
    "conv_backward_without_crop",
    "conv_forward_padded_one_side",
    "output_shape_with",
    "pick_all_ties",
    "pick_evenly",
    "pick_first_column_major",
    "pick_first_row_major",
    "pick_last_row_major",
    "pick_one_without_upstream",
    "pool_backward_loops",
    "pool_forward_loops",
]


def _float(A: np.ndarray) -> np.ndarray:
    return np.asarray(A, dtype=np.float64)


def _padded(X: np.ndarray, top_left: int, bottom_right: int) -> np.ndarray:
    """X of shape (N, C, H, W) with zeros added above and left, then below and right."""
    sides = (top_left, bottom_right)
    return np.pad(_float(X), ((0, 0), (0, 0), sides, sides))


# --------------------------------------------------------------- the output shape


def output_shape_with(
    rows: Callable[[int, int, int, int], float],
    channels_from_filters: bool = True,
) -> Callable[..., tuple]:
    """An output-shape rule with a mistaken side length ``rows(size, k, stride, pad)``.

    Parameters
    ----------
    rows : callable (size, k, stride, pad) -> number
        The side length the slip computes, applied to H with kh and W with kw.
    channels_from_filters : bool
        False gives the input's C where the output's K belongs.

    Returns
    -------
    callable (x_shape, f_shape, stride, pad) -> tuple (N, K or C, Ho, Wo)
    """

    def rule(x_shape, f_shape, stride, pad):
        N, C, H, W = x_shape
        K, _, kh, kw = f_shape
        return (
            N,
            K if channels_from_filters else C,
            rows(H, kh, stride, pad),
            rows(W, kw, stride, pad),
        )

    return rule


# ----------------------------------------------------------- the convolution layer


def conv_forward_padded_one_side(X, F, b, stride, pad):
    """All 2P rows and columns of zeros after X (below, right) instead of P on each side."""
    return layer.conv_layer_forward(_padded(X, 0, 2 * pad), F, b, stride, 0)


def conv_backward_loops(dO, X, F, stride, pad, *, step=None, accumulate=True):
    """The loop version of the backward pass, with two slips that can be switched on.

    Parameters
    ----------
    dO : array of shape (N, K, Ho, Wo)
        dL/dO.
    X : array of shape (N, C, H, W)
        The input.
    F : array of shape (K, C, kh, kw)
        The filters.
    stride, pad : int
        The forward pass's stride and padding.
    step : int or None
        The step between windows the slip uses (1: the stride forgotten); None: ``stride``.
    accumulate : bool
        False assigns each window's share of dX (``=``), so overlaps keep the last one.

    Returns
    -------
    tuple (dX of X's shape, dF of F's shape, db of shape (K,))
    """
    dO, F = _float(dO), _float(F)
    Xp = _padded(X, pad, pad)
    step = stride if step is None else step
    kh, kw = F.shape[2:]
    dXp, dF, db = np.zeros(Xp.shape), np.zeros(F.shape), np.zeros(F.shape[0])
    for n, k, i, j in np.ndindex(dO.shape):
        rows = slice(i * step, i * step + kh)
        cols = slice(j * step, j * step + kw)
        if accumulate:
            dXp[n, :, rows, cols] += dO[n, k, i, j] * F[k]
        else:
            dXp[n, :, rows, cols] = dO[n, k, i, j] * F[k]
        dF[k] += dO[n, k, i, j] * Xp[n, :, rows, cols]
        db[k] += dO[n, k, i, j]
    H, W = np.shape(X)[2:]
    return dXp[:, :, pad : pad + H, pad : pad + W], dF, db


def conv_backward_without_crop(dO, X, F, stride, pad, *, keep="all"):
    """The backward pass with the padding not cut off dX correctly.

    ``keep="all"`` returns dL/dXp, the padded input's gradient; ``keep="top_left"`` cuts
    an H x W block from its top-left corner instead of its middle.
    """
    dXp, dF, db = layer.conv_layer_backward(dO, _padded(X, pad, pad), F, stride, 0)
    if keep == "top_left":
        H, W = np.shape(X)[2:]
        dXp = dXp[:, :, :H, :W]
    return dXp, dF, db


def conv_backward_with_dX_filters(dO, X, F, stride, pad, *, filters):
    """The backward pass with dX sent back through ``filters(F)`` instead of F itself."""
    dX, _, _ = layer.conv_layer_backward(dO, X, filters(_float(F)), stride, pad)
    _, dF, db = layer.conv_layer_backward(dO, X, F, stride, pad)
    return dX, dF, db


# --------------------------------------------------------------------- max pooling


def pool_forward_loops(X, pool_shape, stride, *, reduce=np.max, across_channels=False):
    """Pooling with loops: ``reduce`` of every window, or of the window in every channel.

    Parameters
    ----------
    X : array of shape (N, C, H, W)
        The maps.
    pool_shape : tuple (ph, pw)
        The window.
    stride : int or tuple (row step, column step)
        The step between windows.
    reduce : callable
        ``np.max`` for max pooling; ``np.mean`` is average pooling.
    across_channels : bool
        True reduces ``X[n, :, window]`` (every channel at once) for every c.

    Returns
    -------
    O : array of shape (N, C, Ho, Wo)
    """
    X = _float(X)
    N, C, H, W = X.shape
    ph, pw = pool_shape
    sr, sc = (stride, stride) if np.ndim(stride) == 0 else stride
    O = np.zeros((N, C, (H - ph) // sr + 1, (W - pw) // sc + 1))
    for n, c, i, j in np.ndindex(O.shape):
        channels = slice(None) if across_channels else c
        O[n, c, i, j] = reduce(X[n, channels, i * sr : i * sr + ph, j * sc : j * sc + pw])
    return O


def pick_first_row_major(window: np.ndarray) -> np.ndarray:
    """The right rule: 1 at the first largest element in row-major order."""
    weights = np.zeros(window.shape)
    weights[np.unravel_index(np.argmax(window), window.shape)] = 1
    return weights


def pick_last_row_major(window: np.ndarray) -> np.ndarray:
    """1 at the last largest element in row-major order."""
    flat = window.ravel()
    weights = np.zeros(window.size)
    weights[flat.size - 1 - np.argmax(flat[::-1])] = 1
    return weights.reshape(window.shape)


def pick_first_column_major(window: np.ndarray) -> np.ndarray:
    """1 at the first largest element going down the columns."""
    return pick_first_row_major(window.T).T


def pick_all_ties(window: np.ndarray) -> np.ndarray:
    """1 at every element equal to the window's maximum."""
    return (window == window.max()).astype(float)


def pick_evenly(window: np.ndarray) -> np.ndarray:
    """1/(ph*pw) everywhere: average pooling's gradient."""
    return np.full(window.shape, 1 / window.size)


def pick_one_without_upstream(window: np.ndarray) -> np.ndarray:
    """Marker for :func:`pool_backward_loops`: the right element, but 1 instead of dO."""
    return pick_first_row_major(window)


def pool_backward_loops(dO, X, pool_shape, stride, *, pick, step=None, accumulate=True):
    """Max pooling's backward pass with loops, with slips that can be switched on.

    Parameters
    ----------
    dO : array of shape (N, C, Ho, Wo)
        dL/dO.
    X : array of shape (N, C, H, W)
        The input.
    pool_shape : tuple (ph, pw)
        The window.
    stride : int
        The forward pass's stride.
    pick : callable window -> weights of the window's shape
        Where a window's gradient goes (one of the ``pick_*`` functions).
    step : int or None
        The step between windows the slip uses; None: ``stride``.
    accumulate : bool
        False assigns (``=``) each window's gradient, so overlaps keep the last one.

    Returns
    -------
    dX : array of shape (N, C, H, W)
    """
    dO, X = _float(dO), _float(X)
    ph, pw = pool_shape
    step = stride if step is None else step
    dX = np.zeros(X.shape)
    for n, c, i, j in np.ndindex(dO.shape):
        rows = slice(i * step, i * step + ph)
        cols = slice(j * step, j * step + pw)
        upstream = 1.0 if pick is pick_one_without_upstream else dO[n, c, i, j]
        share = upstream * pick(X[n, c, rows, cols])
        if accumulate:
            dX[n, c, rows, cols] += share
        else:
            # Only the picked elements are written: an assignment through a mask.
            dX[n, c, rows, cols] = np.where(share != 0, share, dX[n, c, rows, cols])
    return dX
