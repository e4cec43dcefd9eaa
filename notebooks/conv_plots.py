"""Pictures for the conv-backprop notebooks: numpy and matplotlib only.

The notebooks call these so that their own cells stay about the maths. Nothing here
computes a convolution or a gradient: every number drawn is passed in, so reading this
file gives away no exercise.

Indices in the pictures are Python's, starting at 0: the seed's O12 (first row, second
column) is drawn as O[0, 1].

Every word drawn goes through ``conv_language.gettext``, so a translated notebook's
pictures speak its language; matplotlib (with libraqm) joins and orders right-to-left
letters itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

import matplotlib.pyplot as plt
import numpy as np
from conv_language import gettext as _
from conv_language import picture_text
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

__all__ = ["show_curves", "show_matrices", "show_touches", "show_training", "show_window"]

_CELL_INCHES = 0.75
_HIGHLIGHT = "#f2a900"


def _format_number(value: float) -> str:
    """A short label: an int, a small fraction such as 9/4, or two decimals."""
    value = float(value)
    if value == round(value):
        return str(round(value))
    fraction = Fraction(value).limit_denominator(64)
    if abs(float(fraction) - value) < 1e-9:
        return f"{fraction.numerator}/{fraction.denominator}"
    return f"{value:.2f}"


def _draw_matrix(
    ax: Axes,
    A: np.ndarray,
    title: str,
    labels: np.ndarray | None = None,
    vmax: float | None = None,
) -> None:
    """Draw a 2-D array as a heatmap with a label in every cell.

    Parameters
    ----------
    ax : Axes
        Where to draw.
    A : array of shape (H, W)
        The values; colour is symmetric around zero (blue negative, red positive).
    title : str
        Written above the heatmap.
    labels : array of str of shape (H, W), optional
        Text for each cell; the formatted values by default.
    vmax : float, optional
        The value drawn in the strongest colour; the largest magnitude in ``A`` by default.
    """
    A = np.asarray(A, dtype=float)
    if labels is None:
        labels = np.vectorize(_format_number, otypes=[object])(A)
    if vmax is None:
        vmax = float(np.max(np.abs(A))) or 1.0
    ax.imshow(A, cmap="coolwarm", vmin=-vmax, vmax=vmax)
    for (i, j), value in np.ndenumerate(A):
        strong = abs(value) > 0.6 * vmax
        ax.text(
            j,
            i,
            labels[i, j],
            ha="center",
            va="center",
            fontsize=12,
            color="white" if strong else "black",
        )
    ax.set_title(picture_text(title), fontsize=12)
    ax.set_xticks(range(A.shape[1]))
    ax.set_yticks(range(A.shape[0]))
    ax.tick_params(length=0, labelsize=9, labelcolor="grey")
    for side in ax.spines.values():
        side.set_visible(False)


def _figure_for(shapes: Sequence[tuple[int, int]], extra_height: float = 0.9) -> tuple:
    """A figure with one panel per matrix shape, panels sized by their number of columns."""
    widths = [shape[1] for shape in shapes]
    height = max(shape[0] for shape in shapes)
    figure, axes = plt.subplots(
        1,
        len(shapes),
        figsize=(
            max(3.0, _CELL_INCHES * (sum(widths) + len(shapes))),
            _CELL_INCHES * height + extra_height,
        ),
        gridspec_kw={"width_ratios": widths},
        squeeze=False,
    )
    return figure, axes[0]


def show_matrices(matrices: Mapping[str, np.ndarray], title: str | None = None) -> None:
    """Draw several 2-D arrays side by side as heatmaps with their values in the cells.

    Parameters
    ----------
    matrices : mapping from a name to an array of shape (H, W)
        Drawn left to right in order, each titled with its name. Fractions with a small
        denominator are written as fractions (0.25 as 1/4).
    title : str, optional
        A title for the whole row.
    """
    arrays = {name: np.asarray(A, dtype=float) for name, A in matrices.items()}
    for name, A in arrays.items():
        if A.ndim != 2:
            raise ValueError(
                _("{name} must be a 2-D array, got shape {shape}").format(name=name, shape=A.shape)
            )
    figure, axes = _figure_for([A.shape for A in arrays.values()])
    for ax, (name, A) in zip(axes, arrays.items(), strict=True):
        _draw_matrix(ax, A, name)
    if title:
        figure.suptitle(picture_text(title), fontsize=13)
    figure.tight_layout()
    plt.show()


def show_window(X: np.ndarray, F: np.ndarray, a: int, b: int) -> None:
    """Draw the filter's window over the input when it produces the output O[a, b].

    The highlighted cells of X are the inputs of O[a, b]; each is labelled with the
    filter element that multiplies it.

    Parameters
    ----------
    X : array of shape (H, W)
        The input.
    F : array of shape (kh, kw)
        The filter.
    a, b : int
        The output position, 0-based: the window's top-left corner sits on X[a, b].
    """
    X = np.asarray(X, dtype=float)
    F = np.asarray(F, dtype=float)
    kh, kw = F.shape
    if not (0 <= a <= X.shape[0] - kh and 0 <= b <= X.shape[1] - kw):
        raise ValueError(
            _("a window of shape {shape} does not fit at ({a}, {b})").format(
                shape=F.shape, a=a, b=b
            )
        )
    labels = np.vectorize(_format_number, otypes=[object])(X)
    for p in range(kh):
        for q in range(kw):
            labels[a + p, b + q] += f"\n×{_format_number(F[p, q])}"
    figure, (ax_x, ax_f) = _figure_for([X.shape, F.shape], extra_height=1.2)
    _draw_matrix(ax_x, X, _("X: the inputs of O[{a}, {b}]").format(a=a, b=b), labels=labels)
    ax_x.add_patch(
        Rectangle((b - 0.5, a - 0.5), kw, kh, fill=False, edgecolor=_HIGHLIGHT, linewidth=4)
    )
    _draw_matrix(ax_f, F, "F")
    ax_f.add_patch(Rectangle((-0.5, -0.5), kw, kh, fill=False, edgecolor=_HIGHLIGHT, linewidth=4))
    figure.suptitle(
        picture_text(
            _("O[{a}, {b}] is the sum of the {count} products in the window").format(
                a=a, b=b, count=kh * kw
            )
        ),
        fontsize=13,
    )
    figure.tight_layout()
    plt.show()


def show_touches(input_shape: tuple[int, int], filter_shape: tuple[int, int]) -> None:
    """Draw, for every input element X[i, j], the output elements it touches.

    One small panel per input element shows the output grid; a touched output O[a, b]
    is shaded and labelled with the filter element F[i - a, j - b] that multiplied
    X[i, j] on its way there.

    Parameters
    ----------
    input_shape : tuple (H, W)
        The shape of X.
    filter_shape : tuple (kh, kw)
        The shape of F.
    """
    height, width = input_shape
    kh, kw = filter_shape
    out_h, out_w = height - kh + 1, width - kw + 1
    figure, axes = plt.subplots(
        height,
        width,
        figsize=(1.25 * out_w * width + 0.5, 1.25 * out_h * height + 0.6),
        squeeze=False,
    )
    for i in range(height):
        for j in range(width):
            ax = axes[i, j]
            touched = np.zeros((out_h, out_w))
            labels = np.full((out_h, out_w), "", dtype=object)
            for a in range(out_h):
                for b in range(out_w):
                    p, q = i - a, j - b
                    if 0 <= p < kh and 0 <= q < kw:
                        touched[a, b] = 1.0
                        labels[a, b] = f"F[{p},{q}]"
            ax.imshow(touched, cmap="Oranges", vmin=0, vmax=1.6)
            for (a, b), label in np.ndenumerate(labels):
                ax.text(b, a, label, ha="center", va="center", fontsize=9)
            ax.set_title(f"X[{i}, {j}]", fontsize=11)
            ax.set_xticks([])
            ax.set_yticks([])
    figure.suptitle(
        picture_text(_("The outputs each input element touches, and through which weight"))
    )
    figure.tight_layout()
    plt.show()


def show_curves(
    x: np.ndarray,
    curves: Mapping[str, np.ndarray],
    xlabel: str,
    ylabel: str,
    title: str,
) -> None:
    """Draw one or more curves on logarithmic axes.

    Parameters
    ----------
    x : array of shape (n,)
        The horizontal values, all positive.
    curves : mapping from a legend label to an array of shape (n,)
        The vertical values, all positive.
    xlabel, ylabel, title : str
        Axis labels and the title.
    """
    figure, ax = plt.subplots(figsize=(6, 4))
    for label, y in curves.items():
        ax.loglog(x, y, marker="o", markersize=4, label=picture_text(label))
    ax.set_xlabel(picture_text(xlabel))
    ax.set_ylabel(picture_text(ylabel))
    ax.set_title(picture_text(title))
    ax.grid(True, which="major", alpha=0.3)
    ax.legend()
    figure.tight_layout()
    plt.show()


def show_training(losses: Sequence[float], F_true: np.ndarray, F_learned: np.ndarray) -> None:
    """Draw a loss curve beside the true and the learned filter.

    Parameters
    ----------
    losses : sequence of float, one per epoch
        The mean training loss; drawn on a logarithmic scale.
    F_true : array of shape (kh, kw)
        The filter that made the targets.
    F_learned : array of shape (kh, kw)
        The filter that training found.
    """
    F_true = np.asarray(F_true, dtype=float)
    F_learned = np.asarray(F_learned, dtype=float)
    figure, axes = plt.subplots(1, 3, figsize=(12, 3.6), gridspec_kw={"width_ratios": [2.2, 1, 1]})
    epochs = np.arange(1, len(losses) + 1)
    axes[0].semilogy(epochs, losses)
    axes[0].set_xlabel(picture_text(_("epoch")))
    axes[0].set_ylabel(picture_text(_("mean loss")))
    axes[0].set_title(picture_text(_("Training loss")))
    axes[0].grid(True, alpha=0.3)
    vmax = float(max(np.max(np.abs(F_true)), np.max(np.abs(F_learned)))) or 1.0
    panels = ((axes[1], F_true, _("true filter")), (axes[2], F_learned, _("learned filter")))
    for ax, F, name in panels:
        decimals = np.vectorize(
            lambda value: f"{value:.2f}".replace("-0.00", "0.00"), otypes=[object]
        )(F)
        _draw_matrix(ax, F, name, labels=decimals, vmax=vmax)
    figure.tight_layout()
    plt.show()
