"""Tests for source/conv_backprop/conv_plots.py: the pictures say what the notebooks claim.

Each picture is drawn off screen and its text read back: the window picture must label
exactly the inputs of O[a, b] with the weights that multiply them, and the touches picture
must shade exactly the outputs each input reaches, through F[i - a, j - b].
"""

from __future__ import annotations

import importlib.util
import sys

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from notebook_runs import SOURCE_DIR

matplotlib.use("Agg")

# conv_plots imports conv_language by plain name, as the kernel does from its folder.
sys.path.insert(0, str(SOURCE_DIR))
_spec = importlib.util.spec_from_file_location("conv_plots", SOURCE_DIR / "conv_plots.py")
plots = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(plots)

X = np.array([[2, 3, 4], [3, 1, 5], [4, -1, -2]])
F = np.array([[0, 3], [1, -2]])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _texts(ax) -> dict[tuple[int, int], str]:
    """Cell (row, column) -> the text drawn in it."""
    return {
        (round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in ax.texts
    }


@pytest.mark.parametrize(
    ("value", "label"), [(3.0, "3"), (-2, "-2"), (2.25, "9/4"), (-0.5, "-1/2"), (0.1234, "0.12")]
)
def test_numbers_are_written_as_ints_small_fractions_or_decimals(value, label) -> None:
    assert plots._format_number(value) == label


def test_matrices_show_every_value_in_its_cell() -> None:
    plots.show_matrices({"X": X, "dF": [[2.25, 3.25], [1.75, 0.75]]})
    ax_x, ax_df = plt.gcf().axes
    assert _texts(ax_x) == {(i, j): str(X[i, j]) for i in range(3) for j in range(3)}
    assert _texts(ax_df) == {(0, 0): "9/4", (0, 1): "13/4", (1, 0): "7/4", (1, 1): "3/4"}
    assert (ax_x.get_title(), ax_df.get_title()) == ("X", "dF")


def test_window_labels_the_inputs_of_O12_with_their_weights() -> None:
    plots.show_window(X, F, 0, 1)
    texts = _texts(plt.gcf().axes[0])
    assert texts[(0, 1)] == "3\n×0" and texts[(0, 2)] == "4\n×3"
    assert texts[(1, 1)] == "1\n×1" and texts[(1, 2)] == "5\n×-2"
    assert all("×" not in text for cell, text in texts.items() if cell[1] == 0 or cell[0] == 2)


def test_touches_shows_each_input_reaching_outputs_through_F_i_minus_a() -> None:
    plots.show_touches(X, F)
    axes = plt.gcf().axes
    centre = _texts(axes[4])  # X[1, 1] touches all four outputs, F back to front
    assert centre == {
        (0, 0): "F[1,1]\n= -2",
        (0, 1): "F[1,0]\n= 1",
        (1, 0): "F[0,1]\n= 3",
        (1, 1): "F[0,0]\n= 0",
    }
    corner = {cell: text for cell, text in _texts(axes[0]).items() if text}
    assert corner == {(0, 0): "F[0,0]\n= 0"}


def test_touches_panels_carry_the_inputs_values_and_frame_the_one_asked_for() -> None:
    plots.show_touches(X, F, highlight=(1, 1))
    axes = plt.gcf().axes
    assert [ax.get_title() for ax in axes] == [
        f"X[{i}, {j}] = {X[i, j]}" for i in range(3) for j in range(3)
    ]
    widths = [ax.spines["top"].get_linewidth() for ax in axes]
    assert widths[4] > 1 and widths[:4] + widths[5:] == [1] * 8


def test_pictures_refuse_what_they_cannot_draw() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        plots.show_window(X, F, 2, 0)
    with pytest.raises(ValueError, match="2-D"):
        plots.show_matrices({"v": [1, 2, 3]})


def test_training_picture_shows_both_filters_in_decimals() -> None:
    plots.show_training([1.0, 0.1, 0.01], [[0.5, -1.0]], [[0.49999, -0.0000001]])
    _, ax_true, ax_learned = plt.gcf().axes
    assert _texts(ax_true) == {(0, 0): "0.50", (0, 1): "-1.00"}
    assert _texts(ax_learned) == {(0, 0): "0.50", (0, 1): "0.00"}


# ------------------------------------------------------------------- colours


def _colours(ax) -> np.ndarray:
    """The RGBA colour of every cell of the heatmap in ``ax``, shape (H, W, 4)."""
    (image,) = ax.get_images()
    return image.to_rgba(image.get_array())


def _is_grey(colours: np.ndarray) -> bool:
    return bool(
        np.allclose(colours[..., 0], colours[..., 1])
        and np.allclose(colours[..., 1], colours[..., 2])
    )


@pytest.mark.parametrize(
    "draw",
    [
        lambda: plots.show_matrices({"X": X, "F": F, "O": [[10, 3], [9, 18]]}),
        lambda: plots.show_window(X, F, 0, 1, result=[[10, 3], [9, 18]]),
        lambda: plots.show_training([1.0, 0.1], [[0.5, -1.0]], [[0.2, -0.3]]),
    ],
    ids=["matrices", "window", "training"],
)
def test_every_panel_of_a_figure_shares_one_colour_scale(draw) -> None:
    draw()
    limits = {image.get_clim() for ax in plt.gcf().axes for image in ax.get_images()}
    assert len(limits) == 1
    (low, high) = limits.pop()
    assert low == -high  # symmetric: zero is the middle colour


def test_the_same_value_has_the_same_colour_in_every_panel() -> None:
    plots.show_matrices({"X": X, "F": F})
    ax_x, ax_f = plt.gcf().axes
    # X[1, 0] and F[0, 1] are both 3
    assert np.allclose(_colours(ax_x)[1, 0], _colours(ax_f)[0, 1])


@pytest.mark.parametrize("value", [0.25, -2.0, 18.0])
def test_a_constant_map_is_drawn_in_a_neutral_grey_whatever_its_value(value) -> None:
    plots.show_matrices({"dO": np.full((2, 2), value), "X": X})
    ax_do, ax_x = plt.gcf().axes
    colours = _colours(ax_do)
    assert _is_grey(colours) and np.allclose(colours, colours[0, 0])
    assert not _is_grey(_colours(ax_x))
    assert all(text.get_color() == "black" for text in ax_do.texts)


def test_a_small_constant_alone_is_not_drawn_as_if_it_were_large() -> None:
    plots.show_matrices({"dO (dZ = 1)": np.full((2, 2), 0.25)})
    (ax,) = plt.gcf().axes
    red, green, blue, _ = _colours(ax)[0, 0]
    assert red - blue < 0.05 and red - green < 0.05


def test_window_shows_the_result_it_produces_with_that_entry_framed() -> None:
    dO = np.full((2, 2), 0.25)
    dF = [[2.25, 3.25], [1.75, 0.75]]
    plots.show_window(X, dO, 0, 1, result=dF, names=("X", "dO", "dF"))
    figure = plt.gcf()
    ax_x, ax_do, ax_df = figure.axes
    assert figure._suptitle.get_text() == "dF[0, 1] is the sum of the 4 products in the window"
    assert ax_x.get_title() == "X: the inputs of dF[0, 1]"
    assert _texts(ax_x)[(0, 1)] == "3\n×1/4" and _texts(ax_x)[(1, 2)] == "5\n×1/4"
    assert (ax_do.get_title(), ax_df.get_title()) == ("dO", "dF")
    assert _texts(ax_df)[(0, 1)] == "13/4"
    (frame,) = ax_df.patches
    assert frame.get_xy() == (0.5, -0.5) and (frame.get_width(), frame.get_height()) == (1, 1)


def test_window_refuses_a_result_of_the_wrong_shape() -> None:
    with pytest.raises(ValueError, match=r"result must have shape \(2, 2\)"):
        plots.show_window(X, F, 0, 0, result=np.zeros((3, 3)))


# ---------------------------------------------------------- notebook 7: the layer


def test_strided_windows_count_the_windows_covering_each_cell() -> None:
    # 6x6 input, padding 1 (8x8), 3x3 windows every 3 cells: 2x2 windows cover rows and
    # columns 0 to 5 of the padded input; the last input row and column are never reached.
    plots.show_strided_windows((6, 6), (3, 3), 3, 1, (2, 2))
    ax_windows, ax_coverage = plt.gcf().axes[:2]
    counts = _texts(ax_coverage)
    assert counts[(0, 0)] == "1" and counts[(5, 5)] == "1"
    assert all(counts[(6, j)] == "0" and counts[(j, 6)] == "0" for j in range(8))
    labels = _texts(ax_windows)
    assert labels[(0, 0)] == "0" and labels[(1, 1)] == "X" and labels[(6, 6)] == "X"
    assert labels[(7, 7)] == "0"
    assert ax_coverage.get_title() == "windows covering each cell (2x2 in all)"


def test_strided_windows_show_overlaps_and_refuse_windows_that_stick_out() -> None:
    plots.show_strided_windows((5, 6), (3, 2), 2, 1, (3, 4))
    counts = _texts(plt.gcf().axes[1])
    assert [counts[(r, 0)] for r in range(7)] == ["1", "1", "2", "1", "2", "1", "1"]
    with pytest.raises(ValueError, match="do not fit the padded input"):
        plots.show_strided_windows((5, 6), (3, 2), 2, 1, (4, 4))


def test_pooling_gradients_frame_the_cells_max_pooling_reached() -> None:
    X = np.array([[1, 3, 3, 0], [3, 2, 0, -1], [5, 5, 1, 1], [5, 5, 1, 1]])
    dX_max = np.zeros((4, 4))
    dX_max[0, 1], dX_max[0, 2], dX_max[2, 0], dX_max[2, 2] = 1, 2, 3, 4
    plots.show_pooling_gradients(
        X, (2, 2), 2, [[1, 2], [3, 4]], dX_max, 1.0, np.full((4, 4), 1 / 16)
    )
    axes = plt.gcf().axes
    assert [ax.get_title() for ax in axes] == [
        "X, pooled by max pooling",
        "dO, from above",
        "dX through max pooling",
        "X, pooled by GAP",
        "dZ, from above",
        "dX through GAP",
    ]
    gold = [
        (round(p.get_x() + 0.5), round(p.get_y() + 0.5))
        for p in axes[2].patches
        if p.get_edgecolor()[:3] == matplotlib.colors.to_rgb("#f2a900")
    ]
    assert sorted((row, column) for column, row in gold) == [(0, 1), (0, 2), (2, 0), (2, 2)]
    assert len(axes[0].patches) == 4 + 4  # four windows, four reached cells
    assert set(_texts(axes[5]).values()) == {"1/16"}
