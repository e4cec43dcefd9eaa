"""Pictures for the conv-backprop notebooks: numpy and matplotlib only.

The notebooks call these so that their own cells stay about the maths. Nothing here
computes a convolution or a gradient: every number drawn is passed in, so reading this
file gives away no exercise.

Indices in the pictures are Python's, starting at 0: the seed's O12 (first row, second
column) is drawn as O[0, 1].

Colours: one scale per figure, symmetric around zero (blue negative, red positive), so
the same colour means the same value in every panel of a figure. A constant map is drawn
in a neutral grey whatever its value: it has no pattern to show, and a saturated colour
would make a small constant such as 1/4 look large.

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
from matplotlib.colors import ListedColormap
from matplotlib.patches import Rectangle

__all__ = [
    "show_curves",
    "show_matrices",
    "show_pooling_gradients",
    "show_strided_windows",
    "show_touches",
    "show_training",
    "show_window",
]

_CELL_INCHES = 0.75
_HIGHLIGHT = "#f2a900"
_CMAP = "coolwarm"
#: The colour of a constant map: a grey, neither blue (negative) nor red (positive).
_NEUTRAL = "#dcdcdc"


def _format_number(value: float) -> str:
    """A short label: an int, a small fraction such as 9/4, or two decimals."""
    value = float(value)
    if value == round(value):
        return str(round(value))
    fraction = Fraction(value).limit_denominator(64)
    if abs(float(fraction) - value) < 1e-9:
        return f"{fraction.numerator}/{fraction.denominator}"
    return f"{value:.2f}"


def _shared_vmax(*arrays: np.ndarray) -> float:
    """The value drawn in the strongest colour when these arrays share a figure.

    Parameters
    ----------
    *arrays : arrays of any shape
        Every array of the figure.

    Returns
    -------
    float
        The largest magnitude in any of them; 1.0 when all are zero.
    """
    return max(float(np.max(np.abs(np.asarray(A, dtype=float)))) for A in arrays) or 1.0


def _is_constant(A: np.ndarray) -> bool:
    return A.size > 0 and float(np.ptp(A)) == 0.0


def _draw_matrix(
    ax: Axes,
    A: np.ndarray,
    title: str,
    vmax: float,
    labels: np.ndarray | None = None,
) -> None:
    """Draw a 2-D array as a heatmap with a label in every cell.

    Parameters
    ----------
    ax : Axes
        Where to draw.
    A : array of shape (H, W)
        The values; colour is symmetric around zero (blue negative, red positive), and a
        constant array is drawn in the neutral grey.
    title : str
        Written above the heatmap.
    vmax : float
        The value drawn in the strongest colour: the same for every panel of a figure.
    labels : array of str of shape (H, W), optional
        Text for each cell; the formatted values by default.
    """
    A = np.asarray(A, dtype=float)
    if labels is None:
        labels = np.vectorize(_format_number, otypes=[object])(A)
    constant = _is_constant(A)
    cmap = ListedColormap([_NEUTRAL]) if constant else _CMAP
    ax.imshow(A, cmap=cmap, vmin=-vmax, vmax=vmax)
    for (i, j), value in np.ndenumerate(A):
        strong = not constant and abs(value) > 0.6 * vmax
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


def _outline(ax: Axes, row: int, column: int, height: int, width: int) -> None:
    """Draw the highlight frame around cells [row : row + height, column : column + width]."""
    ax.add_patch(
        Rectangle(
            (column - 0.5, row - 0.5),
            width,
            height,
            fill=False,
            edgecolor=_HIGHLIGHT,
            linewidth=4,
        )
    )


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

    All panels share one colour scale.

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
    vmax = _shared_vmax(*arrays.values())
    for ax, (name, A) in zip(axes, arrays.items(), strict=True):
        _draw_matrix(ax, A, name, vmax)
    if title:
        figure.suptitle(picture_text(title), fontsize=13)
    figure.tight_layout()
    plt.show()


def show_window(
    X: np.ndarray,
    F: np.ndarray,
    a: int,
    b: int,
    result: np.ndarray | None = None,
    names: tuple[str, str, str] = ("X", "F", "O"),
) -> None:
    """Draw the filter's window over the input when it produces the output O[a, b].

    The highlighted cells of X are the inputs of O[a, b]; each is labelled with the
    filter element that multiplies it. The same picture shows any 'valid' correlation:
    dF as X correlated with dO, or dX as padded dO correlated with rot180(F).

    Parameters
    ----------
    X : array of shape (H, W)
        The input.
    F : array of shape (kh, kw)
        The filter.
    a, b : int
        The output position, 0-based: the window's top-left corner sits on X[a, b].
    result : array of shape (H - kh + 1, W - kw + 1), optional
        The whole output; when given, it is drawn too, with O[a, b] framed.
    names : tuple of three str
        What to call the input, the filter and the output.
    """
    X = np.asarray(X, dtype=float)
    F = np.asarray(F, dtype=float)
    kh, kw = F.shape
    x_name, f_name, o_name = names
    if not (0 <= a <= X.shape[0] - kh and 0 <= b <= X.shape[1] - kw):
        raise ValueError(
            _("a window of shape {shape} does not fit at ({a}, {b})").format(
                shape=F.shape, a=a, b=b
            )
        )
    panels = [X, F]
    if result is not None:
        result = np.asarray(result, dtype=float)
        expected_shape = (X.shape[0] - kh + 1, X.shape[1] - kw + 1)
        if result.shape != expected_shape:
            raise ValueError(
                _("result must have shape {expected}, got {shape}").format(
                    expected=expected_shape, shape=result.shape
                )
            )
        panels.append(result)
    labels = np.vectorize(_format_number, otypes=[object])(X)
    for p in range(kh):
        for q in range(kw):
            labels[a + p, b + q] += f"\n×{_format_number(F[p, q])}"
    vmax = _shared_vmax(*panels)
    figure, axes = _figure_for([A.shape for A in panels], extra_height=1.2)
    inputs = _("{X}: the inputs of {O}[{a}, {b}]").format(X=x_name, O=o_name, a=a, b=b)
    _draw_matrix(axes[0], X, inputs, vmax, labels=labels)
    _outline(axes[0], a, b, kh, kw)
    _draw_matrix(axes[1], F, f_name, vmax)
    _outline(axes[1], 0, 0, kh, kw)
    if result is not None:
        _draw_matrix(axes[2], result, o_name, vmax)
        _outline(axes[2], a, b, 1, 1)
    figure.suptitle(
        picture_text(
            _("{O}[{a}, {b}] is the sum of the {count} products in the window").format(
                O=o_name, a=a, b=b, count=kh * kw
            )
        ),
        fontsize=13,
    )
    figure.tight_layout()
    plt.show()


def show_touches(X: np.ndarray, F: np.ndarray, highlight: tuple[int, int] | None = None) -> None:
    """Draw, for every input element X[i, j], the output elements it touches.

    One small panel per input element, titled with its value, shows the output grid; a
    touched output O[a, b] is shaded and labelled with the filter element F[i - a, j - b]
    that multiplied X[i, j] on its way there, and that element's value.

    Parameters
    ----------
    X : array of shape (H, W)
        The input.
    F : array of shape (kh, kw)
        The filter.
    highlight : tuple (i, j), optional
        The input element whose panel is framed, for the text to point at.
    """
    X = np.asarray(X, dtype=float)
    F = np.asarray(F, dtype=float)
    height, width = X.shape
    kh, kw = F.shape
    out_h, out_w = height - kh + 1, width - kw + 1
    figure, axes = plt.subplots(
        height,
        width,
        figsize=(1.35 * out_w * width + 0.5, 1.25 * out_h * height + 0.9),
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
                        labels[a, b] = f"F[{p},{q}]\n= {_format_number(F[p, q])}"
            ax.imshow(touched, cmap="Blues", vmin=0, vmax=3.0)
            for (a, b), label in np.ndenumerate(labels):
                ax.text(b, a, label, ha="center", va="center", fontsize=10)
            ax.set_title(f"X[{i}, {j}] = {_format_number(X[i, j])}", fontsize=11)
            ax.set_xticks([])
            ax.set_yticks([])
            framed = highlight is not None and (i, j) == tuple(highlight)
            for side in ax.spines.values():
                side.set_edgecolor(_HIGHLIGHT if framed else "black")
                side.set_linewidth(4 if framed else 1)
    figure.suptitle(
        picture_text(_("The outputs O[a, b] each input element touches, and through which weight"))
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
    vmax = _shared_vmax(F_true, F_learned)
    panels = ((axes[1], F_true, _("true filter")), (axes[2], F_learned, _("learned filter")))
    for ax, F, name in panels:
        decimals = np.vectorize(
            lambda value: f"{value:.2f}".replace("-0.00", "0.00"), otypes=[object]
        )(F)
        _draw_matrix(ax, F, name, vmax, labels=decimals)
    figure.tight_layout()
    plt.show()


# ---------------------------------------------------------- notebook 7: the layer

#: Window outlines, none of them close to the gold that marks where a gradient went.
_WINDOW_COLOURS = ("#1f77b4", "#2ca02c", "#9467bd", "#d62728", "#17becf", "#8c564b", "#e377c2")


def show_strided_windows(
    input_shape: tuple[int, int],
    filter_shape: tuple[int, int],
    stride: int,
    pad: int,
    output_shape: tuple[int, int],
) -> None:
    """Draw where a filter's windows sit on a padded input, and how often each cell is used.

    Left: the input (white) inside its padding (grey), with the first window and its
    neighbours one stride to the right and one stride down. Right: how many of the
    ``output_shape`` windows cover each cell; a cell no window reaches gets no gradient.

    Parameters
    ----------
    input_shape : tuple (H, W)
        The shape of one channel of the input.
    filter_shape : tuple (kh, kw)
        The shape of one channel of a filter.
    stride : int
        The step between windows.
    pad : int
        The zeros added on every side.
    output_shape : tuple (Ho, Wo)
        The number of window positions down and across (from your output-shape rule).
    """
    height, width = input_shape
    kh, kw = filter_shape
    out_h, out_w = output_shape
    padded = (height + 2 * pad, width + 2 * pad)
    if (out_h - 1) * stride + kh > padded[0] or (out_w - 1) * stride + kw > padded[1]:
        raise ValueError(
            _(
                "{rows}x{columns} windows of {kh}x{kw} with stride {stride} do not fit the "
                "padded input ({height}x{width})"
            ).format(
                rows=out_h,
                columns=out_w,
                kh=kh,
                kw=kw,
                stride=stride,
                height=padded[0],
                width=padded[1],
            )
        )
    inside = np.zeros(padded)
    inside[pad : pad + height, pad : pad + width] = 1
    coverage = np.zeros(padded)
    for i in range(out_h):
        for j in range(out_w):
            coverage[i * stride : i * stride + kh, j * stride : j * stride + kw] += 1
    figure, (ax_windows, ax_coverage) = _figure_for([padded, padded], extra_height=1.3)
    ax_windows.imshow(inside, cmap=ListedColormap(["#d9d9d9", "white"]), vmin=0, vmax=1)
    for (r, s), is_input in np.ndenumerate(inside):
        ax_windows.text(s, r, "X" if is_input else "0", ha="center", va="center", color="grey")
    neighbours = [((0, 0), "#f2a900"), ((0, 1), "#1f77b4"), ((1, 0), "#d62728")]
    for inset, ((i, j), colour) in enumerate(neighbours):
        if i < out_h and j < out_w:
            shrink = 0.08 * inset
            ax_windows.add_patch(
                Rectangle(
                    (j * stride - 0.5 + shrink, i * stride - 0.5 + shrink),
                    kw - 2 * shrink,
                    kh - 2 * shrink,
                    fill=False,
                    edgecolor=colour,
                    linewidth=3,
                    label=picture_text(_("window ({i}, {j})").format(i=i, j=j)),
                )
            )
    ax_windows.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=3, fontsize=8)
    ax_windows.set_title(
        picture_text(
            _("padding {pad}, stride {stride}: the first windows").format(pad=pad, stride=stride)
        ),
        fontsize=11,
    )
    ax_coverage.imshow(coverage, cmap="Oranges", vmin=0, vmax=max(1.0, 1.6 * coverage.max()))
    for (r, s), count in np.ndenumerate(coverage):
        ax_coverage.text(s, r, str(int(count)), ha="center", va="center", fontsize=11)
    ax_coverage.add_patch(
        Rectangle((pad - 0.5, pad - 0.5), width, height, fill=False, edgecolor="black", lw=2)
    )
    ax_coverage.set_title(
        picture_text(
            _("windows covering each cell ({rows}x{columns} in all)").format(
                rows=out_h, columns=out_w
            )
        ),
        fontsize=11,
    )
    for ax in (ax_windows, ax_coverage):
        ax.set_xticks([])
        ax.set_yticks([])
    figure.tight_layout()
    plt.show()


def show_pooling_gradients(
    X: np.ndarray,
    pool_shape: tuple[int, int],
    stride: int,
    dO: np.ndarray,
    dX_max: np.ndarray,
    dZ: float,
    dX_gap: np.ndarray,
) -> None:
    """Draw where the gradient goes through max pooling (top row) and through GAP (bottom).

    Each row: the map X with the pooling's windows, the upstream gradient (each entry
    framed in its window's colour), and the gradient that arrives at X. The cells that
    max pooling's gradient reached are framed in gold, in X and in ``dX_max``.

    Parameters
    ----------
    X : array of shape (H, W)
        One channel of the pooled map.
    pool_shape : tuple (ph, pw)
        Max pooling's window.
    stride : int
        Max pooling's stride.
    dO : array of shape (Ho, Wo)
        The gradient at max pooling's output.
    dX_max : array of shape (H, W)
        What max pooling's backward pass sends to X.
    dZ : float
        The gradient at GAP's output.
    dX_gap : array of shape (H, W)
        What GAP's backward pass sends to X.
    """
    X = np.asarray(X, dtype=float)
    dO = np.asarray(dO, dtype=float)
    dX_max = np.asarray(dX_max, dtype=float)
    dX_gap = np.asarray(dX_gap, dtype=float)
    if not (X.shape == dX_max.shape == dX_gap.shape and X.ndim == 2 and dO.ndim == 2):
        raise ValueError(_("X, dX_max and dX_gap must be 2-D arrays of one shape, dO 2-D"))
    ph, pw = pool_shape
    height, width = X.shape
    widths = [width, dO.shape[1], width]
    figure, axes = plt.subplots(
        2,
        3,
        figsize=(_CELL_INCHES * (2 * width + dO.shape[1] + 4), 2 * _CELL_INCHES * height + 1.6),
        gridspec_kw={"width_ratios": widths},
        squeeze=False,
    )
    rows = (
        (False, _("max pooling"), dO, "dO", dX_max),
        (True, _("GAP"), np.array([[float(dZ)]]), "dZ", dX_gap),
    )
    for row, (is_gap, name, upstream, upstream_name, arrived) in enumerate(rows):
        ax_x, ax_up, ax_dx = axes[row]
        pooled = _("X, pooled by {pooling}").format(pooling=name)
        _draw_matrix(ax_x, X, pooled, vmax=float(np.max(np.abs(X))) or 1.0)
        scale = float(max(np.max(np.abs(upstream)), np.max(np.abs(arrived)))) or 1.0
        from_above = _("{gradient}, from above").format(gradient=upstream_name)
        _draw_matrix(ax_up, upstream, from_above, vmax=scale)
        _draw_matrix(ax_dx, arrived, _("dX through {pooling}").format(pooling=name), vmax=scale)
        # Each window and the upstream entry it produced share a colour.
        windows = (
            [((0, 0), (0, 0, height, width))]
            if is_gap
            else [
                ((i, j), (i * stride, j * stride, ph, pw))
                for i in range(upstream.shape[0])
                for j in range(upstream.shape[1])
            ]
        )
        for index, ((i, j), (top, left, h, w)) in enumerate(windows):
            colour = _WINDOW_COLOURS[index % len(_WINDOW_COLOURS)]
            inset = 0.07 * (index % 3)
            ax_x.add_patch(
                Rectangle(
                    (left - 0.5 + inset, top - 0.5 + inset),
                    w - 2 * inset,
                    h - 2 * inset,
                    fill=False,
                    edgecolor=colour,
                    linewidth=2.5,
                )
            )
            ax_up.add_patch(
                Rectangle((j - 0.45, i - 0.45), 0.9, 0.9, fill=False, edgecolor=colour, lw=3)
            )
        if not is_gap:
            for (r, s), value in np.ndenumerate(arrived):
                if value != 0:
                    for ax in (ax_x, ax_dx):
                        ax.add_patch(
                            Rectangle(
                                (s - 0.5, r - 0.5), 1, 1, fill=False, edgecolor=_HIGHLIGHT, lw=4
                            )
                        )
    figure.suptitle(
        picture_text(
            _(
                "Max pooling sends each window's gradient to its largest element; "
                "GAP shares dZ among all"
            )
        ),
        fontsize=12,
    )
    figure.tight_layout()
    plt.show()
