"""Reference maths for a whole convolution layer and max pooling, in CS231n's shapes.

A batch of N inputs with C channels, ``X`` of shape (N, C, H, W); K filters that each
span all C channels, ``F`` of shape (K, C, kh, kw); one bias per filter, ``b`` of shape
(K,); a stride S and a zero padding P, both integers. The output has one map per filter:

``O[n, k, i, j] = b[k] + sum_{c, p, q} Xp[n, c, i*S + p, j*S + q] * F[k, c, p, q]``

where ``Xp`` is X with P rows and columns of zeros on every side. The filter is not
flipped (a cross-correlation, as in notebooks 1 to 6, which are the case N = C = K = 1,
S = 1, P = 0, b = 0). Output-size rule, on each side: ``Ho = (H + 2P - kh) // S + 1``,
the number of window positions that fit in the padded input; rows or columns of the
padded input that no window reaches are left out and get no gradient.

Max pooling takes the largest element of each (ph, pw) window, with stride S and no
padding. Its backward pass sends each window's upstream gradient to one element: the
first largest one in row-major order (what ``np.argmax`` of the flattened window picks),
so ties are broken the same way every time. Windows that overlap (S smaller than the
window) add up their gradients.

Forward and backward sit side by side. Every function is loop-free, takes integer,
float or ``fractions.Fraction`` object arrays, returns float64 arrays for numbers and
Fraction arrays for Fractions, and never modifies or returns a view of its inputs.
Shapes that cannot work raise a ``ValueError`` that says which.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "conv_layer_backward",
    "conv_layer_forward",
    "conv_layer_output_shape",
    "max_pool_backward",
    "max_pool_forward",
]


# --------------------------------------------------------------------------- helpers


def _as_array(A: np.ndarray, name: str, ndim: int) -> np.ndarray:
    """``A`` as a non-empty numeric array of ``ndim`` axes: float64, or object for Fractions."""
    A = np.asarray(A)
    if A.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array, got {A.ndim}-D with shape {A.shape}")
    if A.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {A.shape}")
    if A.dtype == object:
        return A
    if not (np.issubdtype(A.dtype, np.number) or A.dtype == bool):
        raise ValueError(f"{name} must hold numbers, got dtype {A.dtype}")
    if np.issubdtype(A.dtype, np.complexfloating):
        raise ValueError(f"{name} must hold real numbers, got dtype {A.dtype}")
    return A.astype(np.float64)


def _as_count(n: object, name: str, minimum: int) -> int:
    """``n`` as a Python int of at least ``minimum``, or a clear error."""
    if isinstance(n, bool) or not isinstance(n, Integral) or int(n) < minimum:
        raise ValueError(f"{name} must be an integer of at least {minimum}, got {n!r}")
    return int(n)


def _as_shape(shape: tuple[int, ...], name: str, length: int) -> tuple[int, ...]:
    """``shape`` as ``length`` positive Python ints, or a clear error."""
    sizes = tuple(np.ravel(shape)) if np.ndim(shape) <= 1 else ()
    if len(sizes) != length or not all(
        isinstance(n, Integral) and not isinstance(n, bool) and int(n) >= 1 for n in sizes
    ):
        raise ValueError(f"{name} must be {length} positive integers, got {shape!r}")
    return tuple(int(n) for n in sizes)


def _zeros(shape: tuple[int, ...], like: np.ndarray) -> np.ndarray:
    """Zeros of ``like``'s kind; in an object array, the zero of its elements' own type,
    so a gradient built from Fractions holds Fractions throughout."""
    if like.dtype != object:
        return np.zeros(shape, dtype=like.dtype)
    return np.full(shape, like.flat[0] * 0, dtype=object)


def _sides(size: int, window: int, stride: int, pad: int) -> int:
    """How many windows of ``window`` fit along a side of ``size`` padded by ``pad``."""
    return (size + 2 * pad - window) // stride + 1


def _pad(X: np.ndarray, pad: int) -> np.ndarray:
    """X of shape (N, C, H, W) with ``pad`` zeros on every side of H and W: a new array."""
    N, C, H, W = X.shape
    Xp = _zeros((N, C, H + 2 * pad, W + 2 * pad), like=X)
    Xp[:, :, pad : pad + H, pad : pad + W] = X
    return Xp


def _windows(Xp: np.ndarray, window: tuple[int, int], stride: int) -> np.ndarray:
    """Every window position of a (N, C, H, W) array, as a read-only view.

    Returns an array of shape (N, C, Ho, Wo, wh, ww): ``[n, c, i, j]`` is the window
    whose top-left corner is ``Xp[n, c, i*stride, j*stride]``.
    """
    every = sliding_window_view(Xp, window, axis=(2, 3))  # (N, C, H-wh+1, W-ww+1, wh, ww)
    return every[:, :, ::stride, ::stride]


def _scatter_windows(
    target: np.ndarray, values: np.ndarray, rows: np.ndarray, cols: np.ndarray
) -> None:
    """Add ``values[n, c, i, j, p, q]`` into ``target[n, c, rows[i, p], cols[j, q]]``.

    ``np.add.at`` adds every value, so windows that overlap accumulate, as the chain
    rule sums over every path from an input element to the loss.
    """
    N, C = values.shape[:2]
    n = np.arange(N)[:, None, None, None, None, None]
    c = np.arange(C)[None, :, None, None, None, None]
    r = rows[None, None, :, None, :, None]
    s = cols[None, None, None, :, None, :]
    np.add.at(target, (n, c, r, s), values)


# --------------------------------------------------------------- the convolution layer


def conv_layer_output_shape(
    x_shape: tuple[int, int, int, int],
    f_shape: tuple[int, int, int, int],
    stride: int,
    pad: int,
) -> tuple[int, int, int, int]:
    """The shape of a convolution layer's output.

    Parameters
    ----------
    x_shape : tuple (N, C, H, W)
        The shape of the input batch X.
    f_shape : tuple (K, C, kh, kw)
        The shape of the filters F; C must match the input's.
    stride : int
        The step between window positions, at least 1.
    pad : int
        Rows and columns of zeros added on every side of H and W, at least 0.

    Returns
    -------
    tuple (N, K, Ho, Wo)
        ``Ho = (H + 2*pad - kh) // stride + 1`` and ``Wo = (W + 2*pad - kw) // stride + 1``.
    """
    N, C, H, W = _as_shape(x_shape, "x_shape", 4)
    K, C_f, kh, kw = _as_shape(f_shape, "f_shape", 4)
    stride = _as_count(stride, "stride", 1)
    pad = _as_count(pad, "pad", 0)
    if C_f != C:
        raise ValueError(f"the input has {C} channels but the filters expect {C_f}")
    if kh > H + 2 * pad or kw > W + 2 * pad:
        raise ValueError(
            f"a {kh}x{kw} filter does not fit a {H}x{W} input padded by {pad} "
            f"({H + 2 * pad}x{W + 2 * pad})"
        )
    return N, K, _sides(H, kh, stride, pad), _sides(W, kw, stride, pad)


def conv_layer_forward(
    X: np.ndarray, F: np.ndarray, b: np.ndarray, stride: int, pad: int
) -> np.ndarray:
    """Forward pass of a convolution layer: K filters over a batch of C-channel inputs.

    ``O[n, k, i, j] = b[k] + sum_{c, p, q} Xp[n, c, i*stride + p, j*stride + q] F[k, c, p, q]``
    with ``Xp`` the input zero-padded by ``pad`` on every side.

    Parameters
    ----------
    X : array of shape (N, C, H, W)
        The input batch: N examples of C channels.
    F : array of shape (K, C, kh, kw)
        K filters, each spanning all C channels; not flipped.
    b : array of shape (K,)
        One bias per filter.
    stride : int
        The step between window positions, at least 1.
    pad : int
        Zeros added on every side of H and W, at least 0.

    Returns
    -------
    O : array of shape (N, K, Ho, Wo)
        Ho and Wo from :func:`conv_layer_output_shape`.
    """
    X = _as_array(X, "X", 4)
    F = _as_array(F, "F", 4)
    b = _as_array(b, "b", 1)
    _, K, Ho, Wo = conv_layer_output_shape(X.shape, F.shape, stride, pad)
    if b.shape != (K,):
        raise ValueError(f"b must have one entry per filter, shape ({K},), got {b.shape}")
    windows = _windows(_pad(X, pad), F.shape[2:], stride)[:, :, :Ho, :Wo]
    # Contract over channels and the window's rows and columns: (N, Ho, Wo, K).
    O = np.tensordot(windows, F, axes=((1, 4, 5), (1, 2, 3)))
    return np.moveaxis(O, 3, 1) + b[None, :, None, None]


def conv_layer_backward(
    dO: np.ndarray, X: np.ndarray, F: np.ndarray, stride: int, pad: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of a convolution layer: dL/dX, dL/dF and dL/db from dL/dO.

    Every output element O[n, k, i, j] came from one window of the padded input, so its
    gradient goes back along the same paths:

    - ``dX``: each window of the padded input gets ``dO[n, k, i, j] * F[k]`` added, and
      the padding is cut off again (windows overlap when stride < kh, and add up);
    - ``dF[k, c, p, q] = sum_{n, i, j} dO[n, k, i, j] Xp[n, c, i*stride + p, j*stride + q]``;
    - ``db[k] = sum_{n, i, j} dO[n, k, i, j]``: every example and every position.

    Parameters
    ----------
    dO : array of shape (N, K, Ho, Wo)
        dL/dO, the upstream gradient, of the output's shape.
    X : array of shape (N, C, H, W)
        The input the forward pass saw.
    F : array of shape (K, C, kh, kw)
        The filters the forward pass used.
    stride : int
        The forward pass's stride.
    pad : int
        The forward pass's padding.

    Returns
    -------
    dX : array of shape (N, C, H, W)
        dL/dX, the input's shape (no padding).
    dF : array of shape (K, C, kh, kw)
        dL/dF, the filters' shape.
    db : array of shape (K,)
        dL/db, the bias's shape.
    """
    dO = _as_array(dO, "dO", 4)
    X = _as_array(X, "X", 4)
    F = _as_array(F, "F", 4)
    out_shape = conv_layer_output_shape(X.shape, F.shape, stride, pad)
    if dO.shape != out_shape:
        raise ValueError(
            f"dO must have the output's shape {out_shape} for these X, F, stride and pad, "
            f"got {dO.shape}"
        )
    H, W = X.shape[2:]
    _, _, kh, kw = F.shape
    _, _, Ho, Wo = out_shape
    Xp = _pad(X, pad)
    windows = _windows(Xp, (kh, kw), stride)[:, :, :Ho, :Wo]  # (N, C, Ho, Wo, kh, kw)
    db = dO.sum(axis=(0, 2, 3))
    dF = np.tensordot(dO, windows, axes=((0, 2, 3), (0, 2, 3)))  # (K, C, kh, kw)
    # What each output element sends to its window: (N, Ho, Wo, C, kh, kw) -> (N, C, ...).
    sent = np.moveaxis(np.tensordot(dO, F, axes=((1,), (0,))), 3, 1)
    dXp = _zeros(Xp.shape, like=sent)
    rows = np.arange(Ho)[:, None] * stride + np.arange(kh)[None, :]  # rows[i, p]
    cols = np.arange(Wo)[:, None] * stride + np.arange(kw)[None, :]  # cols[j, q]
    _scatter_windows(dXp, sent, rows, cols)
    dX = dXp[:, :, pad : pad + H, pad : pad + W].copy()
    return dX, dF, db


# ------------------------------------------------------------------------ max pooling


def _pool_setup(
    X: np.ndarray, pool_shape: tuple[int, int], stride: int
) -> tuple[np.ndarray, tuple[int, int], int, int, int]:
    """Checked X (N, C, H, W), the pool (ph, pw), the stride and the output size Ho, Wo."""
    X = _as_array(X, "X", 4)
    ph, pw = _as_shape(pool_shape, "pool_shape", 2)
    stride = _as_count(stride, "stride", 1)
    H, W = X.shape[2:]
    if ph > H or pw > W:
        raise ValueError(f"a {ph}x{pw} pooling window does not fit a {H}x{W} input")
    return X, (ph, pw), stride, _sides(H, ph, stride, 0), _sides(W, pw, stride, 0)


def max_pool_forward(X: np.ndarray, pool_shape: tuple[int, int], stride: int) -> np.ndarray:
    """Max pooling: the largest element of every window, channel by channel.

    ``O[n, c, i, j] = max_{p, q} X[n, c, i*stride + p, j*stride + q]``, no padding.

    Parameters
    ----------
    X : array of shape (N, C, H, W)
        The maps to pool.
    pool_shape : tuple (ph, pw)
        The window's shape, no larger than (H, W).
    stride : int
        The step between windows, at least 1.

    Returns
    -------
    O : array of shape (N, C, Ho, Wo)
        ``Ho = (H - ph) // stride + 1``, ``Wo = (W - pw) // stride + 1``.
    """
    X, window, stride, Ho, Wo = _pool_setup(X, pool_shape, stride)
    return _windows(X, window, stride)[:, :, :Ho, :Wo].max(axis=(4, 5))


def max_pool_backward(
    dO: np.ndarray, X: np.ndarray, pool_shape: tuple[int, int], stride: int
) -> np.ndarray:
    """Gradient of max pooling: each window's dO goes to its largest element only.

    ``dX[n, c, i*stride + p*, j*stride + q*] += dO[n, c, i, j]`` where ``(p*, q*)`` is
    the first largest element of that window in row-major order (``np.argmax`` of the
    flattened window); every other element of the window gets nothing from it.
    Overlapping windows add up.

    Parameters
    ----------
    dO : array of shape (N, C, Ho, Wo)
        dL/dO, the upstream gradient, of the pooled output's shape.
    X : array of shape (N, C, H, W)
        The input the forward pass saw.
    pool_shape : tuple (ph, pw)
        The forward pass's window shape.
    stride : int
        The forward pass's stride.

    Returns
    -------
    dX : array of shape (N, C, H, W)
        dL/dX: zero wherever no window took its maximum.
    """
    dO = _as_array(dO, "dO", 4)
    X, (ph, pw), stride, Ho, Wo = _pool_setup(X, pool_shape, stride)
    N, C, H, W = X.shape
    if dO.shape != (N, C, Ho, Wo):
        raise ValueError(f"dO must have the pooled output's shape {(N, C, Ho, Wo)}, got {dO.shape}")
    windows = _windows(X, (ph, pw), stride)[:, :, :Ho, :Wo].reshape(N, C, Ho, Wo, ph * pw)
    first_largest = windows.argmax(axis=4)  # (N, C, Ho, Wo), row-major within a window
    p, q = np.divmod(first_largest, pw)
    dX = _zeros((N, C, H, W), like=dO)
    n = np.arange(N)[:, None, None, None]
    c = np.arange(C)[None, :, None, None]
    rows = np.arange(Ho)[None, None, :, None] * stride + p
    cols = np.arange(Wo)[None, None, None, :] * stride + q
    np.add.at(dX, (n, c, rows, cols), dO)
    return dX
