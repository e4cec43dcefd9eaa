"""Notebook 5's "check your own functions": what a student pastes is what gets checked.

The student pastes their conv2d_backward_filter and conv2d_backward_input into the paste
cell; the cell after it runs their gradient_check on random non-square shapes and says
"passes" or "FAILS" per shape. Here that is done with right and typical wrong pastes.
"""

from __future__ import annotations

import pytest

from notebook_cells import cells, run_cell

PASTE_CELL = "05-gradient-check-20"
CHECK_CELL = "05-gradient-check-23"

RIGHT_VECTORISED = """
def conv2d_backward_filter(X, dO):
    windows = np.lib.stride_tricks.sliding_window_view(np.asarray(X, float), np.shape(dO))
    return np.einsum("pqab,ab->pq", windows, np.asarray(dO, float))


def conv2d_backward_input(dO, F):
    dO, F = np.asarray(dO, float), np.asarray(F, float)
    dX = np.zeros((dO.shape[0] + F.shape[0] - 1, dO.shape[1] + F.shape[1] - 1))
    for a, b in np.ndindex(dO.shape):
        dX[a : a + F.shape[0], b : b + F.shape[1]] += dO[a, b] * F
    return dX
"""

UNROTATED = """
def conv2d_backward_input(dO, F):
    kh, kw = np.shape(F)
    return conv2d_forward(np.pad(np.asarray(dO, float), ((kh - 1, kh - 1), (kw - 1, kw - 1))), F)
"""

FORGOT_UPSTREAM_GRADIENT = """
def conv2d_backward_filter(X, dO):
    return conv2d_forward(X, np.ones(np.shape(dO)))
"""


def _verdicts(pasted: str) -> list[str]:
    _, printed = run_cell("05", CHECK_CELL, source=pasted)
    return [line.rsplit(": ", 1)[1] for line in printed.splitlines()]


def test_the_paste_cell_is_where_the_check_looks() -> None:
    ids = list(cells("05"))
    assert ids.index(CHECK_CELL) == ids.index(PASTE_CELL) + 1
    assert cells("05")[PASTE_CELL].source.startswith("# Paste your conv2d_backward_filter")


def test_pasted_right_functions_in_another_style_pass() -> None:
    assert _verdicts(RIGHT_VECTORISED) == ["passes"] * 3


@pytest.mark.parametrize(
    "pasted", [UNROTATED, FORGOT_UPSTREAM_GRADIENT], ids=["unrotated", "no dO"]
)
def test_a_pasted_typical_mistake_fails_on_every_shape(pasted: str) -> None:
    assert _verdicts(pasted) == ["FAILS"] * 3
