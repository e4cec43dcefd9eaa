"""Reference maths for one convolution layer followed by global average pooling.

Forward and backward sit side by side so each backward formula can be read against
the forward it differentiates. The convolution is the deep-learning kind: a 'valid'
cross-correlation, stride 1, no padding, filter not flipped.

Every function takes integer, float or ``fractions.Fraction`` object arrays:

- integer and float arrays come back as float64 arrays, so an integer input never
  truncates a gradient of 1/4 to 0;
- object arrays of ``Fraction`` come back as object arrays of ``Fraction``, so the
  worked example can be checked exactly.

No function modifies its inputs. All of them are vectorised: the grader runs them on
many challenge inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from numbers import Number, Real
from typing import Any, cast

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "conv2d_backward_filter",
    "conv2d_backward_input",
    "conv2d_forward",
    "conv2d_output_shape",
    "gap_backward",
    "gap_forward",
    "gradient_check",
    "jacobian_output_wrt_filter",
    "jacobian_output_wrt_input",
    "numerical_gradient",
    "pad2d",
    "relative_error",
    "rot180",
    "training_step",
]


# --------------------------------------------------------------------------- helpers


def _as_matrix(A: np.ndarray, name: str) -> np.ndarray:
    """Return ``A`` as a non-empty 2-D numeric array: float64, or object for Fractions."""
    A = np.asarray(A)
    if A.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array, got {A.ndim}-D with shape {A.shape}")
    if A.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {A.shape}")
    if A.dtype == object:
        return A
    if not (np.issubdtype(A.dtype, np.number) or A.dtype == bool):
        raise ValueError(f"{name} must hold numbers, got dtype {A.dtype}")
    if np.issubdtype(A.dtype, np.complexfloating):
        raise ValueError(f"{name} must hold real numbers, got dtype {A.dtype}")
    return A.astype(np.float64)


def _correlate_valid(A: np.ndarray, K: np.ndarray) -> np.ndarray:
    """'valid' cross-correlation of two checked 2-D arrays, ``K`` no larger than ``A``."""
    windows = sliding_window_view(A, K.shape)  # (Ha-Hk+1, Wa-Wk+1, Hk, Wk)
    return np.tensordot(windows, K, axes=((2, 3), (0, 1)))


def _is_whole(n: object, minimum: int) -> bool:
    """Whether ``n`` is a real number without a fractional part, at least ``minimum``."""
    return isinstance(n, Real) and float(n).is_integer() and float(n) >= minimum


def _as_shape(shape: tuple[int, int], name: str) -> tuple[int, int]:
    """Return ``shape`` as two Python ints, or say clearly why it is not a 2-D shape."""
    sizes = tuple(np.ravel(shape))
    if len(sizes) != 2 or not all(_is_whole(n, minimum=1) for n in sizes):
        raise ValueError(f"{name} must be two positive integers (H, W), got {shape!r}")
    return int(sizes[0]), int(sizes[1])


def _zeros(shape: tuple[int, ...], like: np.ndarray) -> np.ndarray:
    """Zeros of ``like``'s kind; in an object array, the zero of its elements' own type.

    So padding or a Jacobian built from Fractions holds Fractions throughout, as the
    module promises, rather than a mix of Python ints and Fractions.
    """
    if like.dtype != object:
        return np.zeros(shape, dtype=like.dtype)
    return np.full(shape, like.flat[0] * 0, dtype=object)


# ------------------------------------------------------------------- convolution


def conv2d_forward(X: np.ndarray, F: np.ndarray) -> np.ndarray:
    """'Valid' 2-D cross-correlation of an input with a filter.

    ``O[a, b] = sum_{p, q} X[a + p, b + q] * F[p, q]``

    Parameters
    ----------
    X : array of shape (H, W)
        The input image.
    F : array of shape (kh, kw)
        The filter, with ``kh <= H`` and ``kw <= W``. It is not flipped.

    Returns
    -------
    O : array of shape (H - kh + 1, W - kw + 1)
        The output map. Output-size rule: each side shrinks by the filter size minus one.
    """
    X = _as_matrix(X, "X")
    F = _as_matrix(F, "F")
    if F.shape[0] > X.shape[0] or F.shape[1] > X.shape[1]:
        raise ValueError(f"filter of shape {F.shape} is larger than the input of shape {X.shape}")
    return _correlate_valid(X, F)


def conv2d_output_shape(
    input_shape: tuple[int, int], filter_shape: tuple[int, int]
) -> tuple[int, int]:
    """The output-size rule of a 'valid' convolution, stride 1, no padding.

    Parameters
    ----------
    input_shape : tuple (H, W)
        The shape of the input X.
    filter_shape : tuple (kh, kw)
        The shape of the filter F, no larger than the input.

    Returns
    -------
    tuple (H - kh + 1, W - kw + 1)
        The shape of the output O.
    """
    height, width = _as_shape(input_shape, "input_shape")
    kh, kw = _as_shape(filter_shape, "filter_shape")
    if kh > height or kw > width:
        raise ValueError(
            f"filter shape {filter_shape} is larger than the input shape {input_shape}"
        )
    return height - kh + 1, width - kw + 1


def conv2d_backward_filter(X: np.ndarray, dO: np.ndarray) -> np.ndarray:
    """Gradient of the loss with respect to the filter.

    ``dF[p, q] = sum_{a, b} dO[a, b] * X[a + p, b + q]``: the input correlated with the
    upstream gradient, because ``∂O[a, b] / ∂F[p, q] = X[a + p, b + q]``.

    Parameters
    ----------
    X : array of shape (H, W)
        The input the forward pass saw.
    dO : array of shape (Ho, Wo)
        dL/dO, the upstream gradient, with ``Ho <= H`` and ``Wo <= W``.

    Returns
    -------
    dF : array of shape (H - Ho + 1, W - Wo + 1)
        dL/dF, the shape of the filter that produced an output of shape (Ho, Wo).
    """
    X = _as_matrix(X, "X")
    dO = _as_matrix(dO, "dO")
    if dO.shape[0] > X.shape[0] or dO.shape[1] > X.shape[1]:
        raise ValueError(
            f"upstream gradient of shape {dO.shape} cannot come from an input of shape {X.shape}"
        )
    return _correlate_valid(X, dO)


def conv2d_backward_input(dO: np.ndarray, F: np.ndarray) -> np.ndarray:
    """Gradient of the loss with respect to the input.

    ``dX[i, j] = sum_{a, b} dO[a, b] * F[i - a, j - b]`` (terms with an index outside
    the filter are zero). Computed as a 'full' correlation of dO with the filter rotated
    by 180 degrees: pad dO by ``kh - 1`` rows and ``kw - 1`` columns on each side, rotate
    F, and take the 'valid' correlation.

    Parameters
    ----------
    dO : array of shape (Ho, Wo)
        dL/dO, the upstream gradient.
    F : array of shape (kh, kw)
        The filter the forward pass used.

    Returns
    -------
    dX : array of shape (Ho + kh - 1, Wo + kw - 1)
        dL/dX, the shape of the input.
    """
    dO = _as_matrix(dO, "dO")
    F = _as_matrix(F, "F")
    kh, kw = F.shape
    return _correlate_valid(pad2d(dO, (kh - 1, kw - 1)), rot180(F))


# -------------------------------------------------------- global average pooling


def gap_forward(O: np.ndarray) -> float:
    """Global average pooling: the mean of every element of the map.

    Parameters
    ----------
    O : array of shape (H, W)
        The map to pool.

    Returns
    -------
    Z : float
        ``sum(O) / (H * W)``; a ``Fraction`` when ``O`` holds Fractions.
    """
    O = _as_matrix(O, "O")
    total = O.sum()
    if O.dtype == object:
        return total / O.size
    return float(total) / O.size


def gap_backward(dZ: float | Fraction, shape: tuple[int, int]) -> np.ndarray:
    """Gradient of global average pooling.

    Every element of O contributes ``1 / (H * W)`` of Z, so ``dO[a, b] = dZ / (H * W)``.

    Parameters
    ----------
    dZ : float
        dL/dZ, the upstream gradient (int, float or Fraction).
    shape : tuple (H, W)
        The shape of the pooled map O.

    Returns
    -------
    dO : array of shape (H, W)
        dL/dO: float64, or an object array when ``dZ`` is a Fraction.
    """
    height, width = _as_shape(shape, "shape")
    if np.ndim(cast(Any, dZ)) != 0:
        raise ValueError(f"dZ must be a scalar, got an array of shape {np.shape(cast(Any, dZ))}")
    if isinstance(dZ, Number) and not isinstance(dZ, (float, int, np.number)):
        # Fraction (or another exact number): keep it exact.
        return np.full((height, width), dZ / (height * width), dtype=object)
    return np.full((height, width), float(dZ) / (height * width))


# ------------------------------------------------------------------- Jacobians


def jacobian_output_wrt_filter(X: np.ndarray, filter_shape: tuple[int, int]) -> np.ndarray:
    """The Jacobian of the output with respect to the filter, as a 4-D array.

    ``J[a, b, p, q] = ∂O[a, b] / ∂F[p, q] = X[a + p, b + q]``

    Parameters
    ----------
    X : array of shape (H, W)
        The input.
    filter_shape : tuple (kh, kw)
        The shape of the filter.

    Returns
    -------
    J : array of shape (H - kh + 1, W - kw + 1, kh, kw)
        Contracting it with dO over its first two axes gives dL/dF.
    """
    X = _as_matrix(X, "X")
    kh, kw = _as_shape(filter_shape, "filter_shape")
    if not (kh <= X.shape[0] and kw <= X.shape[1]):
        raise ValueError(f"filter shape {(kh, kw)} does not fit the input of shape {X.shape}")
    return sliding_window_view(X, (kh, kw)).copy()


def jacobian_output_wrt_input(input_shape: tuple[int, int], F: np.ndarray) -> np.ndarray:
    """The Jacobian of the output with respect to the input, as a 4-D array.

    ``J[a, b, i, j] = ∂O[a, b] / ∂X[i, j] = F[i - a, j - b]``, zero where ``(i - a, j - b)``
    falls outside the filter: X[i, j] only touches the outputs whose window covers it.

    Parameters
    ----------
    input_shape : tuple (H, W)
        The shape of the input X.
    F : array of shape (kh, kw)
        The filter.

    Returns
    -------
    J : array of shape (H - kh + 1, W - kw + 1, H, W)
        Contracting it with dO over its first two axes gives dL/dX.
    """
    F = _as_matrix(F, "F")
    height, width = _as_shape(input_shape, "input_shape")
    kh, kw = F.shape
    if not (kh <= height and kw <= width):
        raise ValueError(f"filter of shape {F.shape} is larger than the input shape {input_shape}")
    out_h, out_w = height - kh + 1, width - kw + 1
    J = _zeros((out_h, out_w, height, width), like=F)
    a, b = np.meshgrid(np.arange(out_h), np.arange(out_w), indexing="ij")
    for p in range(kh):  # a loop over filter taps only: each sets one diagonal band
        for q in range(kw):
            J[a, b, a + p, b + q] = F[p, q]
    return J


# --------------------------------------------------------------- the shortcut's parts


def pad2d(A: np.ndarray, pad: int | tuple[int, int]) -> np.ndarray:
    """Surround a 2-D array with zeros.

    Parameters
    ----------
    A : array of shape (H, W)
        The array to pad.
    pad : int or tuple (pad_h, pad_w)
        Rows of zeros added above and below, and columns added left and right. One int
        pads both ways by the same amount.

    Returns
    -------
    P : array of shape (H + 2 * pad_h, W + 2 * pad_w)
        ``A`` in the middle, zeros around it.
    """
    A = _as_matrix(A, "A")
    pads: tuple[Any, ...] = (pad, pad) if np.ndim(pad) == 0 else tuple(np.ravel(pad))
    if len(pads) != 2 or not all(_is_whole(n, minimum=0) for n in pads):
        raise ValueError(f"pad must be one or two non-negative integers, got {pad!r}")
    pad_h, pad_w = (int(n) for n in pads)
    height, width = A.shape
    P = _zeros((height + 2 * pad_h, width + 2 * pad_w), like=A)
    P[pad_h : pad_h + height, pad_w : pad_w + width] = A
    return P


def rot180(F: np.ndarray) -> np.ndarray:
    """Rotate a 2-D array by 180 degrees: flip it upside down and left to right.

    Parameters
    ----------
    F : array of shape (kh, kw)
        Usually a filter.

    Returns
    -------
    R : array of shape (kh, kw)
        ``R[p, q] = F[kh - 1 - p, kw - 1 - q]``.
    """
    return _as_matrix(F, "F")[::-1, ::-1].copy()


# ------------------------------------------------------------- checking gradients


def numerical_gradient(
    f: Callable[[np.ndarray], float], X: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    """Central-difference estimate of the gradient of a scalar function.

    ``grad[i, j] ~= (f(X + h e_ij) - f(X - h e_ij)) / (2 h)``, with an error of order h**2.

    Parameters
    ----------
    f : callable taking an array of X's shape and returning a float
        The scalar function, for example the loss as a function of the filter.
    X : array of any shape
        The point where the gradient is estimated. It is not modified.
    h : float
        The step.

    Returns
    -------
    grad : float64 array of X's shape
        The estimated gradient df/dX.
    """
    X = np.array(X, dtype=np.float64)  # a private copy that is nudged in place
    grad = np.zeros_like(X)
    for index in np.ndindex(X.shape):  # one evaluation pair per element is inherent
        original = X[index]
        X[index] = original + h
        f_plus = f(X.copy())
        X[index] = original - h
        f_minus = f(X.copy())
        X[index] = original
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad


def relative_error(A: np.ndarray, B: np.ndarray) -> float:
    """The largest element-wise relative error between two arrays of the same shape.

    ``max |A - B| / max(1e-8, |A| + |B|)``: about 1e-7 or below for a correct analytic
    gradient against central differences in float64.

    Parameters
    ----------
    A, B : arrays of the same shape
        Usually an analytic and a numerical gradient.

    Returns
    -------
    error : float
        0.0 when the arrays are equal.
    """
    A = np.asarray(A, dtype=np.float64)
    B = np.asarray(B, dtype=np.float64)
    if A.shape != B.shape:
        raise ValueError(f"shapes differ: {A.shape} and {B.shape}")
    if A.size == 0:
        return 0.0
    return float(np.max(np.abs(A - B) / np.maximum(1e-8, np.abs(A) + np.abs(B))))


def gradient_check(
    backward_filter: Callable[[np.ndarray, np.ndarray], np.ndarray],
    backward_input: Callable[[np.ndarray, np.ndarray], np.ndarray],
    X: np.ndarray,
    F: np.ndarray,
    dO: np.ndarray,
) -> tuple[float, float]:
    """How far two backward functions of a convolution are from the true gradients.

    The loss ``L = sum(conv2d_forward(X, F) * dO)`` has dL/dO = dO. A gradient check
    estimates its dL/dF and dL/dX with central differences and returns the
    :func:`relative_error` of ``backward_filter(X, dO)`` and ``backward_input(dO, F)``
    against them. L is linear in F and in X, so central differences are exact up to
    rounding (about 1e-10 here); this reference uses the exact gradients instead, so its
    errors are what a perfect check reports.

    Parameters
    ----------
    backward_filter : callable taking X of shape (H, W) and dO of shape (Ho, Wo)
        The dL/dF to check; it must return an array of F's shape (kh, kw).
    backward_input : callable taking dO of shape (Ho, Wo) and F of shape (kh, kw)
        The dL/dX to check; it must return an array of X's shape (H, W).
    X : array of shape (H, W)
        The input.
    F : array of shape (kh, kw)
        The filter.
    dO : array of shape (H - kh + 1, W - kw + 1)
        The upstream gradient dL/dO.

    Returns
    -------
    errors : tuple of two floats
        ``(error_dF, error_dX)``, each in [0, 1]: 0.0 for a right gradient.
    """
    O_shape = conv2d_output_shape(np.shape(X), np.shape(F))
    if np.shape(dO) != O_shape:
        raise ValueError(f"dO must have the output's shape {O_shape}, got {np.shape(dO)}")
    error_dF = relative_error(backward_filter(X, dO), conv2d_backward_filter(X, dO))
    error_dX = relative_error(backward_input(dO, F), conv2d_backward_input(dO, F))
    return error_dF, error_dX


# ------------------------------------------------------------ putting it together


def training_step(
    X: np.ndarray, F: np.ndarray, target: float, learning_rate: float
) -> tuple[np.ndarray, float]:
    """One step of gradient descent on the model conv -> GAP -> squared loss.

    ``Z = gap_forward(conv2d_forward(X, F))`` and ``L = (Z - target) ** 2 / 2``, so
    ``dL/dZ = Z - target``; the step moves F against dL/dF.

    Parameters
    ----------
    X : array of shape (H, W)
        One input image.
    F : array of shape (kh, kw)
        The current filter. It is not modified.
    target : float
        The value Z should take for this image.
    learning_rate : float
        The step size.

    Returns
    -------
    new_F : float64 array of shape (kh, kw)
        ``F - learning_rate * dL/dF``.
    loss : float
        L at the current F, before the step.
    """
    F = _as_matrix(F, "F")
    O = conv2d_forward(X, F)
    Z = gap_forward(O)
    loss = (Z - target) ** 2 / 2
    dO = gap_backward(Z - target, O.shape)
    dF = conv2d_backward_filter(X, dO)
    return F - learning_rate * dF, loss
