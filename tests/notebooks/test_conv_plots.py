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
    plots.show_touches((3, 3), (2, 2))
    axes = plt.gcf().axes
    centre = _texts(axes[4])  # X[1, 1] touches all four outputs
    assert centre == {(0, 0): "F[1,1]", (0, 1): "F[1,0]", (1, 0): "F[0,1]", (1, 1): "F[0,0]"}
    corner = {cell: text for cell, text in _texts(axes[0]).items() if text}
    assert corner == {(0, 0): "F[0,0]"}
    assert axes[4].get_title() == "X[1, 1]"


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
