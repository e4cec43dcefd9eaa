"""Every number the notebooks' text states about their own data, checked on that data.

Notebook 6 once said a learning rate of 1.0 diverges; on its own data it converges. So
each quantitative claim of a "Look at it" or "Things to try" cell (and a few more) is
listed in CLAIMS below: the notebook, the cell id, the claim's words as the cell writes
them, and a check that runs it on the notebook's own data. The data comes from running
the source notebook's code cells (solutions included) in this process, so a claim is
tested against exactly what a student sees.

Changing a claim's words makes its entry fail until the table (and its check) follows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest

from notebook_cells import NOTEBOOKS, cells, namespace, run_cell

#: Cells that must have every quantitative claim in CLAIMS: their headings.
CLAIM_HEADINGS = ("## Look at it", "Things to try")


def _words(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------- notebook 6


_NO_PICTURES = SimpleNamespace(show_training=lambda *args, **kwargs: None)


@functools.cache
def _training(learning_rate: float) -> list[float]:
    """The mean loss per epoch when notebook 6 trains at this learning rate."""
    variables, _ = run_cell(
        "06",
        "06-putting-it-together-11",
        ("learning_rate=0.5", f"learning_rate={learning_rate}"),
        plots=_NO_PICTURES,
    )
    return [float(loss) for loss in variables["losses"]]


def _diverges(losses: list[float]) -> bool:
    return not np.isfinite(losses[-1]) or losses[-1] > losses[0]


def _converges(losses: list[float]) -> bool:
    return np.isfinite(losses[-1]) and losses[-1] < 1e-6 * losses[0]


def _learning_rate_1_is_faster_still(ns: dict) -> None:
    assert _converges(_training(1.0))
    assert _training(1.0)[-1] < ns["losses"][-1]  # the notebook's own run, at 0.5
    assert 1e-19 < _training(1.0)[-1] < 1e-15  # "about 1e-17"


def _learning_rate_2_blows_up(ns: dict) -> None:
    assert _diverges(_training(2.0))


def _the_limit_lies_between_1_5_and_1_75(ns: dict) -> None:
    assert _converges(_training(1.5))
    assert _diverges(_training(1.75))


def _larger_images_learn_slower(ns: dict) -> None:
    data, _ = run_cell("06", "06-putting-it-together-9", ("size=(32, 5, 5)", "size=(32, 8, 8)"))
    large, _ = run_cell(
        "06",
        "06-putting-it-together-11",
        ("zip(images, targets", "zip(large_images, large_targets"),
        plots=_NO_PICTURES,
        large_images=data["images"],
        large_targets=data["targets"],
    )
    assert large["losses"][-1] > 1e3 * ns["losses"][-1]


def _Z_moves_less_per_step_on_larger_images(ns: dict) -> None:
    data, _ = run_cell("06", "06-putting-it-together-9", ("size=(32, 5, 5)", "size=(32, 8, 8)"))

    def mean_squared_dZ_dF(images: np.ndarray) -> float:
        gradients = [
            ns["conv2d_backward_filter"](image, ns["gap_backward"](1, (image.shape[0] - 2,) * 2))
            for image in images
        ]
        return float(np.mean([np.sum(g**2) for g in gradients]))

    assert mean_squared_dZ_dF(data["images"]) < mean_squared_dZ_dF(ns["images"]) / 2


def _stated_accuracy(ns: dict) -> None:
    assert ns["losses"][-1] < 1e-8
    assert np.max(np.abs(ns["F_learned"] - ns["F_true"])) < 1e-3


# --------------------------------------------------------------- notebook 5


def _correct_gradients_give_1e_7_or_less(ns: dict) -> None:
    check = ns["gradient_check"]
    dO = ns["gap_backward"](1, (2, 2))
    given = (ns["conv2d_backward_filter"], ns["conv2d_backward_input"])
    errors = check(*given, ns["X"], ns["F"], dO)
    errors += check(*given, ns["X_big"], ns["F_big"], ns["dO_big"])
    assert max(errors) < 1e-7


def _unrotated_backward_errs_by_about_1(ns: dict) -> None:
    error_dF, error_dX = ns["gradient_check"](
        ns["conv2d_backward_filter"],
        ns["unrotated_backward_input"],
        ns["X_big"],
        ns["F_big"],
        ns["dO_big"],
    )
    assert error_dF < 1e-7
    assert 0.9 < error_dX <= 1.0


def _the_given_functions_pass_the_check(ns: dict) -> None:
    _, printed = run_cell("05", "05-gradient-check-23")
    verdicts = [line.rsplit(": ", 1)[1] for line in printed.splitlines()]
    assert verdicts == ["passes"] * 3


def _central_differences_beat_one_sided(ns: dict) -> None:
    central, one_sided = np.array(ns["central"]), np.array(ns["one_sided"])
    assert central.min() < one_sided.min() / 100


def _best_step_between_1e_6_and_1e_5(ns: dict) -> None:
    best = ns["steps"][int(np.argmin(ns["central"]))]
    assert 1e-6 <= best <= 1e-5


def _adjoint_identity_holds_to_rounding(ns: dict) -> None:
    X, F, G = ns["X_big"], ns["F_big"], ns["G"]
    forward = np.sum(ns["conv2d_forward"](X, F) * G)
    assert np.isclose(np.sum(X * ns["conv2d_backward_input"](G, F)), forward, rtol=1e-12)
    assert np.isclose(np.sum(F * ns["conv2d_backward_filter"](X, G)), forward, rtol=1e-12)


# --------------------------------------------------------------- notebook 4


def _X11_meets_F_back_to_front(ns: dict) -> None:
    F, J = ns["F"], ns["J"]
    weights = [J[a, b, 1, 1] for a, b in [(0, 0), (0, 1), (1, 0), (1, 1)]]
    assert weights == [F[1, 1], F[1, 0], F[0, 1], F[0, 0]]


def _padding_cells_under_the_window(ns: dict) -> None:
    padded_shape = (4, 4)
    inside = np.zeros(padded_shape, dtype=bool)
    inside[1:3, 1:3] = True  # dO itself, padded by 1 on every side

    def padding_cells(a: int, b: int) -> int:
        return int(np.sum(~inside[a : a + 2, b : b + 2]))

    assert np.array_equal(ns["pad2d"](ns["dO"], 1)[inside], ns["dO"].ravel())
    assert padding_cells(0, 0) == 3
    assert padding_cells(1, 1) == 0


def _shortcut_matches_the_nine_formulas(ns: dict) -> None:
    seed = [[0, Fraction(3, 4), Fraction(3, 4)], [Fraction(1, 4), Fraction(1, 2), Fraction(1, 4)]]
    seed += [[Fraction(1, 4), Fraction(-1, 4), Fraction(-1, 2)]]
    assert np.allclose(ns["dX"], np.array(seed, dtype=float))
    assert np.allclose(ns["dX"], np.tensordot(ns["dO"], ns["J"], axes=2))


def _a_true_full_convolution_with_F(ns: dict) -> None:
    dO, F = ns["dO"], ns["F"]
    full = np.zeros((dO.shape[0] + F.shape[0] - 1, dO.shape[1] + F.shape[1] - 1))
    for a, b in np.ndindex(dO.shape):  # convolution: each dO[a, b] stamps F, not flipped
        full[a : a + F.shape[0], b : b + F.shape[1]] += dO[a, b] * F
    assert np.allclose(full, ns["conv2d_backward_input"](dO, F))


def _forward_is_M_X(ns: dict) -> None:
    M = ns["J"].reshape(4, 9)
    assert np.allclose(M @ ns["X"].ravel(), ns["O"].ravel())


def _backward_is_M_transposed_dO(ns: dict) -> None:
    M = ns["J"].reshape(4, 9)
    assert np.allclose(M.T @ ns["dO"].ravel(), ns["dX"].ravel())


# --------------------------------------------------------------- notebooks 1 to 3


def _window_of_dF01_covers_3_4_1_5(ns: dict) -> None:
    assert ns["X"][0:2, 1:3].ravel().tolist() == [3, 4, 1, 5]


def _dF_averages_because_dO_is_constant(ns: dict) -> None:
    X, dO, dF = ns["X"], ns["dO"], ns["dF"]
    assert np.all(dO == 0.25)
    windows = [[X[p : p + 2, q : q + 2].mean() for q in range(2)] for p in range(2)]
    assert np.allclose(dF, windows)
    # and only because of it: with a dO that is not constant, dF is no average
    uneven = np.array([[0.1, 0.2], [0.3, 0.4]])
    assert not np.allclose(ns["conv2d_backward_filter"](X, uneven), windows)


def _dF01_is_13_over_4(ns: dict) -> None:
    assert ns["dF"][0, 1] == 13 / 4 == (3 + 4 + 1 + 5) / 4


def _nudge_moves_Z_by_0_0025(ns: dict) -> None:
    moved = ns["gap_forward"](ns["nudged"]) - ns["gap_forward"](ns["O"])
    assert np.isclose(moved, 0.0025) and np.isclose(0.01 * ns["dO"][0, 1], 0.0025)


def _mathematical_convolution_gives_a_different_map(ns: dict) -> None:
    flipped = ns["conv2d_forward"](ns["X"], ns["F"][::-1, ::-1])
    assert not np.allclose(flipped, ns["O"])


# --------------------------------------------------------------- notebook 7


def _windows_covering(
    side: tuple[int, int], window: tuple[int, int], stride: int, pad: int, out: tuple[int, int]
) -> np.ndarray:
    """How many of ``out`` windows cover each cell of the padded input."""
    count = np.zeros((side[0] + 2 * pad, side[1] + 2 * pad), dtype=int)
    for i, j in np.ndindex(out):
        count[i * stride : i * stride + window[0], j * stride : j * stride + window[1]] += 1
    return count


def _overlapping_windows_cover_rows_twice(ns: dict) -> None:
    _, _, Ho, Wo = ns["conv_layer_output_shape"](ns["X"].shape, ns["F"].shape, 2, 1)
    count = _windows_covering(ns["X"].shape[2:], ns["F"].shape[2:], 2, 1, (Ho, Wo))
    twice = [row for row in range(count.shape[0]) if count[row].max() == 2]
    assert twice and count.max() == 2
    # A 3-row window every 2 rows: each twice-covered row is the last of one window and
    # the first of the next.
    assert all(row % 2 == 0 and 0 < row < count.shape[0] - 1 for row in twice)


def _a_stride_of_3_never_reaches_the_last_row_and_column(ns: dict) -> None:
    _, _, Ho, Wo = ns["conv_layer_output_shape"]((1, 1, 6, 6), (1, 1, 3, 3), 3, 1)
    assert (6 + 2 * 1 - 3) % 3 != 0  # the stride does not divide H + 2P - kh
    count = _windows_covering((6, 6), (3, 3), 3, 1, (Ho, Wo))
    # The input's last row and column are row and column 6 of the padded input.
    assert count[6].sum() == 0 and count[:, 6].sum() == 0
    assert count[5].sum() > 0 and count[:, 5].sum() > 0


# ------------------------------------------------------------------ the table


@dataclass(frozen=True)
class Claim:
    """One quantitative claim of a notebook's text.

    Attributes
    ----------
    notebook : str
        The notebook's number, e.g. ``"06"``.
    cell_id : str
        The markdown cell that states it.
    words : str
        The claim as the cell writes it (line breaks as spaces).
    check : callable taking the notebook's variables
        Asserts the claim on the notebook's own data.
    """

    notebook: str
    cell_id: str
    words: str
    check: Callable[[dict], None]


CLAIMS = [
    Claim(
        "01",
        "01-text-17",
        "would give instead: a different map",
        _mathematical_convolution_gives_a_different_map,
    ),
    Claim(
        "02", "02-text-18", r"$Z$ moves by $0.01 \times dO_{12} = 0.0025$", _nudge_moves_Z_by_0_0025
    ),
    Claim(
        "03",
        "03-text-17",
        "At offset $(0, 1)$ it covers 3, 4, 1 and 5",
        _window_of_dF01_covers_3_4_1_5,
    ),
    Claim(
        "03",
        "03-text-17",
        r"Because $dO$ is the same $\tfrac14$ everywhere here, each entry of $dF$ is the "
        "average of the inputs its weight touched",
        _dF_averages_because_dO_is_constant,
    ),
    Claim("03", "03-text-17", "$dF[0, 1] = (3 + 4 + 1 + 5)/4 = 13/4$", _dF01_is_13_over_4),
    Claim(
        "04",
        "04-text-6",
        "going through $O[0, 0], O[0, 1], O[1, 0], O[1, 1]$ it meets "
        "$F[1, 1], F[1, 0], F[0, 1], F[0, 0]$, the filter back to front",
        _X11_meets_F_back_to_front,
    ),
    Claim(
        "04",
        "04-text-16",
        "it is also a true full convolution of $dO$ with $F$",
        _a_true_full_convolution_with_F,
    ),
    Claim(
        "04",
        "04-text-25",
        "At $dX[0, 0]$ three of the four cells under it are padding, since $X[0, 0]$ touched "
        "one output only; at $dX[1, 1]$ none are",
        _padding_cells_under_the_window,
    ),
    Claim(
        "04",
        "04-text-25",
        "The result matches the nine formulas",
        _shortcut_matches_the_nine_formulas,
    ),
    Claim("04", "04-text-28", "The forward pass is one product, $O = M X$", _forward_is_M_X),
    Claim(
        "04",
        "04-text-28",
        r"the chain rule is the transposed one, $dX = M^\top dO$",
        _backward_is_M_transposed_dO,
    ),
    Claim(
        "05",
        "05-text-8",
        "a correct analytic gradient against central differences gives about $10^{-7}$ or less",
        _correct_gradients_give_1e_7_or_less,
    ),
    Claim(
        "05",
        "05-text-22",
        "on random shapes your check gives it a relative error of about 1",
        _unrotated_backward_errs_by_about_1,
    ),
    Claim(
        "05",
        "05-text-19",
        "The given backward functions pass.",
        _the_given_functions_pass_the_check,
    ),
    Claim(
        "05",
        "05-text-15",
        "the central difference reaches far smaller errors than the one-sided one",
        _central_differences_beat_one_sided,
    ),
    Claim(
        "05",
        "05-text-15",
        "best for $h$ between $10^{-6}$ and $10^{-5}$",
        _best_step_between_1e_6_and_1e_5,
    ),
    Claim(
        "05",
        "05-text-17",
        "It checks a backward function with no numerical differences at all, and to "
        "rounding accuracy.",
        _adjoint_identity_holds_to_rounding,
    ),
    Claim(
        "06",
        "06-text-12",
        "after 100 epochs the mean loss is below $10^{-8}$ and every entry of the learned "
        "filter is within $10^{-3}$ of the true one",
        _stated_accuracy,
    ),
    Claim(
        "06",
        "06-text-14",
        "learning rates of 1.0 (faster still: the loss falls to about $10^{-17}$)",
        _learning_rate_1_is_faster_still,
    ),
    Claim("06", "06-text-14", "and 2.0 (the loss blows up;", _learning_rate_2_blows_up),
    Claim(
        "06",
        "06-text-14",
        "somewhere between 1.5 and 1.75 each step starts to overshoot",
        _the_limit_lies_between_1_5_and_1_75,
    ),
    Claim("06", "06-text-14", "larger images such as 8x8 (slower:", _larger_images_learn_slower),
    Claim(
        "07",
        "07-text-8",
        "Rows covered twice are where windows overlap",
        _overlapping_windows_cover_rows_twice,
    ),
    Claim(
        "07",
        "07-text-8",
        "a stride of 3 that does not divide $H + 2P - k_h$: the last input row and column "
        "are never used",
        _a_stride_of_3_never_reaches_the_last_row_and_column,
    ),
    Claim(
        "06",
        "06-text-14",
        "$Z$ averages more windows, so it moves less per step",
        _Z_moves_less_per_step_on_larger_images,
    ),
]


@pytest.mark.parametrize("claim", CLAIMS, ids=[f"{c.cell_id}:{c.check.__name__}" for c in CLAIMS])
def test_the_claim_is_in_its_cell_and_holds_on_the_notebooks_own_data(claim: Claim) -> None:
    cell = cells(claim.notebook)[claim.cell_id]
    assert cell.cell_type == "markdown"
    assert _words(claim.words) in _words(cell.source), f"{claim.cell_id} no longer says it"
    claim.check(namespace(claim.notebook))


def test_every_look_at_it_and_things_to_try_cell_has_its_claims_listed() -> None:
    listed = {(claim.notebook, claim.cell_id) for claim in CLAIMS}
    for number in NOTEBOOKS:
        for cell_id, cell in cells(number).items():
            if cell.cell_type == "markdown" and any(h in cell.source for h in CLAIM_HEADINGS):
                assert (number, cell_id) in listed, f"{cell_id} states claims nobody checks"
