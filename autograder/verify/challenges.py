"""The challenge inputs the grader sends through the probe, drawn fresh every grading run.

Every graded function has a fixed list of case *classes*, and each class draws its
shapes and its values afresh on every run, within its bounds: "a wide X with a wide
filter" is a 4x9 input with a 2x4 filter in one run and a 3x7 input with a 2x3 filter
in the next, so no table of answers by input can score. The classes cover square and
non-square inputs and filters (wide and tall, both ways round), 1xN and Nx1, a filter
as large as the input, as tall as it, sizes up to 12x12, and integer-valued and float
inputs: every graded function gets at least one class of integer inputs, which a
float-only answer truncates.

Each graded function's case classes are one generator here (``<task>_cases``), which the
task registry (:mod:`autograder.verify.tasks`) gives to its task.

A draw is kept only if it tells apart every two answers (the right one and the task's
typical mistakes in :mod:`autograder.maths.misconceptions`) that its class can tell apart: a
2x2 filter that happens to be symmetric under a 180-degree turn, or an integer map
whose sum divides by its size, is drawn again. Some pairs no draw of a class tells
apart (flipping a one-row filter upside down changes nothing); those belong to the
class. So a typical mistake fails the same classes in every run and its partial credit is
reproducible, while the inputs stay unpredictable. ``tests/verify/test_challenges.py``
lists, by class, the few cases a typical mistake passes.

Inputs travel to the kernel as literals (see :mod:`autograder.verify.wire`), so nothing relies
on the student runtime's random number generator producing the grader's stream.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from autograder.i18n.messages import N_
from autograder.i18n.messages import gettext as _
from autograder.maths import layer
from autograder.maths import reference as ref
from autograder.verify.wire import ClaimedGradient, ScalarFunction

__all__ = [
    "Case",
    "CaseGenerator",
    "Challenged",
    "conv2d_backward_filter_cases",
    "conv2d_backward_input_cases",
    "conv2d_forward_cases",
    "conv2d_output_shape_cases",
    "conv_layer_backward_cases",
    "conv_layer_forward_cases",
    "conv_layer_output_shape_cases",
    "gap_backward_cases",
    "gap_forward_cases",
    "generate",
    "gradient_check_cases",
    "jacobian_output_wrt_filter_cases",
    "jacobian_output_wrt_input_cases",
    "max_pool_backward_cases",
    "max_pool_forward_cases",
    "numerical_gradient_cases",
    "pad2d_cases",
    "relative_error_cases",
    "rot180_cases",
    "training_step_cases",
]


@dataclass(frozen=True)
class Case:
    """One challenge: the arguments of one call, and what feedback may say about them.

    Attributes
    ----------
    label : str
        Shapes and kinds of the arguments, e.g. ``"X 4x7 int, F 2x3 float"``; never values.
    args : tuple
        The arguments, in the task's signature order.
    case_class : str
        The class it was drawn from, the same in every run, e.g. ``"wide X, wide F"``.
    """

    label: str
    args: tuple[Any, ...]
    case_class: str


#: A graded function's case classes: draws one list of cases, the same classes in the
#: same order on every call, fresh shapes and values.
CaseGenerator = Callable[[np.random.Generator], list[Case]]

Shape = tuple[int, int]


# ----------------------------------------------------------------- random values


def _ints(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.integers(-5, 6, size=shape).astype(np.int64)


def _floats(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.normal(0.0, 2.0, size=shape)


def _quarters(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Floats that are multiples of 1/4, like the worked example's dL/dO."""
    return rng.integers(-8, 9, size=shape) / 4.0


def _ties(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Integers from -2 to 2: a window of four or more of them often holds a tie."""
    return rng.integers(-2, 3, size=shape).astype(np.int64)


def _counts(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Integers from 1 to 5."""
    return rng.integers(1, 6, size=shape).astype(np.int64)


def _positive(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Floats from 0.5 to 3."""
    return rng.uniform(0.5, 3.0, size=shape)


_DRAW = {
    "int": _ints,
    "float": _floats,
    "quarters": _quarters,
    "ties": _ties,
    "positive int": _counts,
    "positive float": _positive,
}


def _array(rng: np.random.Generator, shape: tuple[int, ...], kind: str) -> np.ndarray:
    return _DRAW[kind](rng, shape)


def _size(shape: tuple[int, ...]) -> str:
    return "x".join(str(n) for n in shape)


#: The kinds of values a challenge's arrays hold, as feedback names them.
_KINDS = {
    "int": N_("int"),
    "float": N_("float"),
    "quarters": N_("quarters"),
    "ties": N_("ties"),
    "positive int": N_("positive int"),
    "positive float": N_("positive float"),
}


def _kind(kind: str) -> str:
    """A kind of values in the feedback's words (the kinds' names stay the code's)."""
    return _(_KINDS[kind])


def _output(x_shape: Shape, f_shape: Shape) -> Shape:
    return x_shape[0] - f_shape[0] + 1, x_shape[1] - f_shape[1] + 1


def _n(rng: np.random.Generator, low: int, high: int) -> int:
    """A whole number from low to high, both included."""
    return int(rng.integers(low, high + 1))


def _until(
    rng: np.random.Generator, draw: Callable[[np.random.Generator], Any], fits: Callable[..., bool]
) -> Any:
    """Draw again until the draw has the class's defining property (a few tries at most:
    every class's bounds make it likely)."""
    for _attempt in range(1000):
        drawn = draw(rng)
        if fits(*drawn):
            return drawn
    raise RuntimeError("a case class whose bounds cannot give its property")


# --------------------------------------------------------------- the conv classes


@dataclass(frozen=True)
class _ConvClass:
    """A class of (X, F) pairs: shapes drawn by ``shapes``, then values of the kinds."""

    name: str
    shapes: Callable[[np.random.Generator], tuple[Shape, Shape]]
    x_kind: str
    f_kind: str


def _apart(xs: Shape, fs: Shape) -> bool:
    """A non-square pair whose slips in sizing an output cannot agree by chance: X, F and
    the output not square, and the sides differ by different amounts (else using H for W
    and using kh for kw, say, give the same wrong shape)."""
    (H, W), (kh, kw) = xs, fs
    Ho, Wo = _output(xs, fs)
    return (
        H != W
        and kh != kw
        and Ho != Wo
        and W - H not in (kh - kw, 2 * (kw - kh))
        and kw - kh != 2 * (W - H)
    )


def _wide_x_wide_f(rng: np.random.Generator) -> tuple[Shape, Shape]:
    def draw(rng: np.random.Generator) -> tuple[Shape, Shape]:
        H = _n(rng, 4, 5)
        kh = _n(rng, 3, H - 1)
        kw = _n(rng, kh + 1, kh + 2)
        W = _n(rng, H + kw - kh + 1, H + kw - kh + 4)  # so the output is wider than tall
        return (H, W), (kh, kw)

    return _until(rng, draw, _apart)


def _tall_x_wide_f(rng: np.random.Generator) -> tuple[Shape, Shape]:
    def draw(rng: np.random.Generator) -> tuple[Shape, Shape]:
        W = _n(rng, 5, 7)
        kh = _n(rng, 3, W - 2)
        kw = _n(rng, kh + 1, min(kh + 2, W - 1))
        H = _n(rng, W + kw - kh + 1, W + kw - kh + 3)  # so the output is taller than wide
        return (H, W), (kh, kw)

    return _until(rng, draw, _apart)


def _wide_x_tall_f(rng: np.random.Generator) -> tuple[Shape, Shape]:
    def draw(rng: np.random.Generator) -> tuple[Shape, Shape]:
        H = _n(rng, 6, 8)
        return (H, _n(rng, 9, 11)), (_n(rng, H - 2, H - 1), _n(rng, 2, 3))

    return _until(rng, draw, _apart)


def _large(rng: np.random.Generator) -> tuple[Shape, Shape]:
    def draw(rng: np.random.Generator) -> tuple[Shape, Shape]:
        return (_n(rng, 10, 12), _n(rng, 10, 12)), (_n(rng, 3, 5), _n(rng, 3, 5))

    return _until(rng, draw, _apart)


def _square_x(n: tuple[int, int], f: Callable[[np.random.Generator, int], Shape]) -> Callable:
    def shapes(rng: np.random.Generator) -> tuple[Shape, Shape]:
        size = _n(rng, *n)
        return (size, size), f(rng, size)

    return shapes


# (name, shapes, kind of X, kind of F): the forward pass's classes, reused by the
# backward passes with the output shape in place of the other operand.
_CONV_CLASSES = (
    _ConvClass("square X, 2x2 F", _square_x((3, 6), lambda rng, n: (2, 2)), "int", "int"),
    _ConvClass(
        "square X, square F",
        _square_x((4, 7), lambda rng, n: (k := _n(rng, 3, min(4, n - 1)), k)),
        "float",
        "float",
    ),
    _ConvClass("wide X, wide F", _wide_x_wide_f, "int", "float"),
    _ConvClass(
        "one-row X and F", lambda rng: ((1, _n(rng, 8, 11)), (1, _n(rng, 2, 4))), "float", "int"
    ),
    _ConvClass(
        "one-column X and F", lambda rng: ((_n(rng, 8, 11), 1), (_n(rng, 3, 4), 1)), "int", "int"
    ),
    _ConvClass(
        "F as large as X",
        lambda rng: ((H := _n(rng, 3, 4), W := _n(rng, H + 1, H + 3)), (H, W)),
        "float",
        "float",
    ),
    _ConvClass("tall X, wide F", _tall_x_wide_f, "int", "float"),
    _ConvClass("large X, F", _large, "float", "float"),
    _ConvClass(
        "square F as tall as X",
        lambda rng: ((H := _n(rng, 3, 4), _n(rng, H + 3, H + 6)), (H, H)),
        "int",
        "int",
    ),
    _ConvClass("wide X, tall F", _wide_x_tall_f, "float", "int"),
)


def conv2d_forward_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for conv in _CONV_CLASSES:
        xs, fs = conv.shapes(rng)
        label = f"X {_size(xs)} {_kind(conv.x_kind)}, F {_size(fs)} {_kind(conv.f_kind)}"
        args = (_array(rng, xs, conv.x_kind), _array(rng, fs, conv.f_kind))
        cases.append(Case(label, args, conv.name))
    return cases


def conv2d_backward_filter_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for conv in _CONV_CLASSES:
        xs, fs = conv.shapes(rng)
        d_kind = "quarters" if conv.f_kind == "int" else "float"
        os_ = _output(xs, fs)
        label = f"X {_size(xs)} {_kind(conv.x_kind)}, dO {_size(os_)} {_kind(d_kind)}"
        args = (_array(rng, xs, conv.x_kind), _array(rng, os_, d_kind))
        cases.append(Case(label, args, conv.name))
    return cases


def conv2d_backward_input_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for conv in _CONV_CLASSES:
        xs, fs = conv.shapes(rng)
        # Integer filters meet dO in quarters: an integer result array would truncate them.
        d_kind = "quarters" if conv.x_kind == "int" else "float"
        os_ = _output(xs, fs)
        label = f"dO {_size(os_)} {_kind(d_kind)}, F {_size(fs)} {_kind(conv.f_kind)}"
        args = (_array(rng, os_, d_kind), _array(rng, fs, conv.f_kind))
        cases.append(Case(label, args, conv.name))
    return cases


def conv2d_output_shape_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for conv in _CONV_CLASSES:
        xs, fs = conv.shapes(rng)
        label = _("input {input}, filter {filter}").format(input=_size(xs), filter=_size(fs))
        cases.append(Case(label, (xs, fs), conv.name))
    return cases


# ------------------------------------------------------------------ the map classes

# (name, shape drawer, kind): a feature map for global average pooling.
_MAP_CLASSES: tuple[tuple[str, Callable[[np.random.Generator], Shape], str], ...] = (
    ("small square, int", lambda rng: (n := _n(rng, 3, 5), n), "int"),
    ("wide, float", lambda rng: (H := _n(rng, 2, 4), _n(rng, H + 1, H + 4)), "float"),
    ("one row, int", lambda rng: (1, _n(rng, 4, 9)), "int"),
    ("one column, float", lambda rng: (_n(rng, 4, 9), 1), "float"),
    ("large square, int", lambda rng: (n := _n(rng, 10, 12), n), "int"),
    ("tall, float", lambda rng: (_n(rng, (W := _n(rng, 2, 3)) + 2, W + 5), W), "float"),
    ("tall, quarters", lambda rng: (H := _n(rng, 3, 5), _n(rng, 2, H - 1)), "quarters"),
)


def gap_forward_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for name, shape_of, kind in _MAP_CLASSES:
        shape = shape_of(rng)
        cases.append(Case(f"O {_size(shape)} {_kind(kind)}", (_array(rng, shape, kind),), name))
    return cases


def gap_backward_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for name, shape_of, kind in _MAP_CLASSES:
        shape = shape_of(rng)
        if kind == "int":
            dZ: int | float = int(rng.choice([-1, 1]) * rng.integers(1, 50))
        else:
            dZ = float(rng.normal(0.0, 2.0))
        label = _("dZ {type}, shape {shape}").format(type=type(dZ).__name__, shape=_size(shape))
        cases.append(Case(label, (dZ, shape), name))
    return cases


# ------------------------------------------------------------- the Jacobian classes


def _jacobian_shapes(draw: Callable[[np.random.Generator], tuple[Shape, Shape]]) -> Callable:
    # The output never has the filter's shape: where it does, J[a, b, p, q] = X[a+p, b+q]
    # cannot tell (a, b) from (p, q).
    return lambda rng: _until(rng, draw, lambda xs, fs: _output(xs, fs) != fs)


_JACOBIAN_CLASSES: tuple[tuple[str, Callable, str], ...] = (
    (
        "square X, square filter, int",
        _jacobian_shapes(lambda rng: ((n := _n(rng, 4, 6), n), (k := _n(rng, 2, 3), k))),
        "int",
    ),
    (
        "wide X, wide filter, float",
        _jacobian_shapes(
            lambda rng: (
                (H := _n(rng, 3, 4), _n(rng, (kw := (kh := _n(rng, 2, H - 1)) + 1) + 2, kw + 4)),
                (kh, kw),
            )
        ),
        "float",
    ),
    (
        "one row, int",
        _jacobian_shapes(lambda rng: ((1, _n(rng, 5, 8)), (1, _n(rng, 2, 3)))),
        "int",
    ),
    (
        "one column, float",
        _jacobian_shapes(lambda rng: ((_n(rng, 4, 7), 1), (_n(rng, 2, 3), 1))),
        "float",
    ),
    (
        "filter as large as X, int",
        _jacobian_shapes(lambda rng: ((H := _n(rng, 3, 4), W := _n(rng, H + 1, H + 2)), (H, W))),
        "int",
    ),
    (
        "tall X, square filter as wide, float",
        _jacobian_shapes(lambda rng: ((_n(rng, (k := _n(rng, 2, 3)) + 2, k + 4), k), (k, k))),
        "float",
    ),
    (
        "square X, non-square filter, float",
        _jacobian_shapes(lambda rng: ((n := _n(rng, 5, 7), n), (kh := _n(rng, 2, 3), 5 - kh))),
        "float",
    ),
)


def jacobian_output_wrt_filter_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for name, shapes, kind in _JACOBIAN_CLASSES:
        xs, fs = shapes(rng)
        label = _("X {X} {kind}, filter shape {filter}").format(
            X=_size(xs), kind=_kind(kind), filter=_size(fs)
        )
        cases.append(Case(label, (_array(rng, xs, kind), fs), name))
    return cases


def jacobian_output_wrt_input_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for name, shapes, kind in _JACOBIAN_CLASSES:
        xs, fs = shapes(rng)
        label = _("input shape {input}, F {F} {kind}").format(
            input=_size(xs), F=_size(fs), kind=_kind(kind)
        )
        cases.append(Case(label, (xs, _array(rng, fs, kind)), name))
    return cases


# ------------------------------------------------------------------ helper classes


def _two_pads(rng: np.random.Generator, low: int, high: int) -> tuple[int, int]:
    """Two different pads, rows first."""
    pad_h = _n(rng, low, high)
    pad_w = _n(rng, low, high - 1)
    return pad_h, pad_w + (pad_w >= pad_h)


def pad2d_cases(rng: np.random.Generator) -> list[Case]:
    classes: tuple[tuple[str, Callable[[np.random.Generator], tuple], str], ...] = (
        ("square A, one pad", lambda rng: ((n := _n(rng, 2, 5), n), _n(rng, 1, 3)), "int"),
        (
            "wide A, rows only",
            lambda rng: ((H := _n(rng, 1, 3), _n(rng, H + 2, H + 4)), (_n(rng, 1, 3), 0)),
            "float",
        ),
        ("a single entry", lambda rng: ((1, 1), _two_pads(rng, 1, 3)), "int"),
        ("tall A, columns only", lambda rng: ((_n(rng, 3, 6), 1), (0, _n(rng, 1, 3))), "float"),
        ("large square A", lambda rng: ((n := _n(rng, 10, 12), n), _two_pads(rng, 1, 3)), "int"),
        (
            "wide A, more rows than columns of zeros",
            lambda rng: (
                (H := _n(rng, 2, 3), _n(rng, H + 1, H + 2)),
                (ph := _n(rng, 2, 3), _n(rng, 1, ph - 1)),
            ),
            "quarters",
        ),
    )
    cases = []
    for name, draw, kind in classes:
        shape, pad = draw(rng)
        label = f"A {_size(shape)} {_kind(kind)}, pad {pad}"
        cases.append(Case(label, (_array(rng, shape, kind), pad), name))
    return cases


def rot180_cases(rng: np.random.Generator) -> list[Case]:
    classes: tuple[tuple[str, Callable[[np.random.Generator], Shape], str], ...] = (
        ("small square, int", lambda rng: (n := _n(rng, 2, 3), n), "int"),
        ("square, float", lambda rng: (n := _n(rng, 3, 5), n), "float"),
        ("one row, int", lambda rng: (1, _n(rng, 3, 6)), "int"),
        ("one column, float", lambda rng: (_n(rng, 3, 6), 1), "float"),
        ("wide, int", lambda rng: (H := _n(rng, 2, 3), _n(rng, H + 1, H + 3)), "int"),
        ("tall, float", lambda rng: (_n(rng, (W := _n(rng, 2, 3)) + 1, W + 3), W), "float"),
        ("large, float", lambda rng: (_n(rng, 10, 12), _n(rng, 10, 12)), "float"),
    )
    cases = []
    for name, shape_of, kind in classes:
        shape = shape_of(rng)
        cases.append(Case(f"F {_size(shape)} {_kind(kind)}", (_array(rng, shape, kind),), name))
    return cases


def numerical_gradient_cases(rng: np.random.Generator) -> list[Case]:
    # The test function sum(C sin(X)) + sum(D X**2) is curved along every axis, so a
    # forward difference or a wrong step size shows up well above the tolerance.
    classes: tuple[tuple[str, Callable[[np.random.Generator], Shape], str, tuple], ...] = (
        ("small square", lambda rng: (n := _n(rng, 2, 3), n), "float", ()),
        ("wide", lambda rng: (H := _n(rng, 2, 3), _n(rng, H + 1, H + 2)), "float", ()),
        ("one row", lambda rng: (1, _n(rng, 3, 6)), "float", ()),
        ("one column", lambda rng: (_n(rng, 3, 5), 1), "float", ()),
        ("integer X", lambda rng: (_n(rng, 1, 3), _n(rng, 1, 3)), "int", ()),
        ("square, a given h", lambda rng: (n := _n(rng, 2, 4), n), "float", (1e-4, 1e-3)),
    )
    out = []
    for name, shape_of, kind, steps in classes:
        shape = shape_of(rng)
        f = ScalarFunction(rng.normal(0.0, 1.0, size=shape), rng.normal(0.0, 1.0, size=shape))
        X = _ints(rng, shape) if kind == "int" else rng.normal(0.0, 1.0, size=shape)
        label = f"X {_size(shape)} {_kind(kind)}"
        if steps:
            h = float(rng.choice(steps))
            out.append(Case(f"{label}, h={h:g}", (f, X, h), name))
        else:
            out.append(Case(label, (f, X), name))
    return out


def relative_error_cases(rng: np.random.Generator) -> list[Case]:
    def shape(low: int, high: int, wide_low: int, wide_high: int) -> Shape:
        return _n(rng, low, high), _n(rng, wide_low, wide_high)

    close = _floats(rng, shape(2, 4, 2, 4))
    spread = _floats(rng, shape(1, 3, 2, 5))
    off = spread.copy()
    off[tuple(rng.integers(0, spread.shape))] += rng.choice([-1.0, 1.0]) * rng.uniform(1.0, 3.0)
    unrelated = shape(1, 2, 3, 6)
    big = _floats(rng, (n := _n(rng, 3, 5), n)) * 1e6
    zero = np.zeros(shape(1, 3, 1, 3))
    mixed = shape(2, 4, 1, 3)
    pairs = [
        (N_("B close to A"), (close, close + rng.normal(0.0, 1e-6, size=close.shape))),
        (N_("one entry far off"), (spread, off)),
        (N_("unrelated"), (_floats(rng, unrelated), _floats(rng, unrelated))),
        (N_("large scale"), (big, big * (1 + rng.normal(0.0, 1e-3, size=big.shape)))),
        (N_("both zero"), (zero, zero.copy())),
        ("A int, B float", (_ints(rng, mixed), _floats(rng, mixed))),
    ]
    cases = []
    for name, (A, B) in pairs:
        size = _size(A.shape)
        if A.dtype.kind == "i":
            label = f"A {size} {_kind('int')}, B {size} {_kind('float')}"
        else:
            label = f"A, B {size} {_kind('float')}, {_(name)}"
        cases.append(Case(label, (A, B), name))
    return cases


def training_step_cases(rng: np.random.Generator) -> list[Case]:
    classes: tuple[tuple[str, Callable, str, tuple[float, ...]], ...] = (
        (
            "square X, square F, float",
            lambda rng: ((n := _n(rng, 4, 6), n), (k := _n(rng, 2, 3), k)),
            "float",
            (0.05, 0.1, 0.2),
        ),
        (
            "square X, 2x2 F, int",
            lambda rng: ((n := _n(rng, 3, 5), n), (2, 2)),
            "int",
            (0.01, 0.02),
        ),
        ("wide X, wide F, float", _wide_x_wide_f, "float", (0.02, 0.05)),
        (
            "one-row X and F, float",
            lambda rng: ((1, _n(rng, 5, 8)), (1, _n(rng, 2, 3))),
            "float",
            (0.05, 0.1),
        ),
        (
            "F as large as X, int",
            lambda rng: ((H := _n(rng, 3, 5), W := _n(rng, H, H + 2)), (H, W)),
            "int",
            (0.001, 0.002),
        ),
    )
    cases = []
    for name, shapes, kind, rates in classes:
        xs, fs = shapes(rng)
        learning_rate = float(rng.choice(rates))
        target = int(rng.integers(-5, 6)) if kind == "int" else float(rng.normal(0.0, 2.0))
        args = (_array(rng, xs, kind), _array(rng, fs, kind), target, learning_rate)
        label = f"X {_size(xs)} {_kind(kind)}, F {_size(fs)} {_kind(kind)}, lr {learning_rate:g}"
        cases.append(Case(label, args, name))
    return cases


# ---------------------------------------------------------------- gradient_check

#: True gradient entries smaller than this are drawn again: the relative error's 1e-8
#: floor turns central-difference noise (about 1e-9 here) on a near-zero entry into an
#: error far above the tolerance, so a right check could not reach the reference's errors.
_SMALLEST_GRADIENT = 0.05


def _claim(rng: np.random.Generator, claim: str, right: np.ndarray, mistaken: np.ndarray):
    """The gradient a stand-in backward function claims: the right one, a typical wrong
    one (``mistaken``), a scaled one, or the right one with noise of 1e-4."""
    if claim == "right":
        return right
    if claim == "scaled":
        return right * rng.uniform(1.5, 3.0)
    if claim == "nearly right":
        return right + rng.normal(0.0, 1e-4, size=right.shape)
    return mistaken


# (smallest X shape, F shape, kind of X, F and dO, claim on dF, claim on dX): dF's
# typical wrong claim is dF rotated by 180 degrees, dX's a full correlation with F
# unrotated. A claim that differs between the two tells swapped errors apart; scaled and
# nearly right claims give errors a boolean or a threshold cannot return. With numbers of
# both signs a wrong claim's error is usually 1 exactly (some entry has the wrong sign),
# which every slip in the loss reproduces; positive numbers keep such errors below 1.
# X grows by up to two rows and columns in each draw, never square.
_GRADIENT_CHECK_CLASSES = (
    ((3, 4), (2, 3), "positive int", "right", "right"),
    ((5, 7), (3, 2), "float", "right", "unrotated"),
    ((6, 4), (2, 3), "float", "rotated", "right"),
    ((2, 8), (1, 3), "float", "scaled", "nearly right"),
    ((8, 3), (4, 1), "float", "nearly right", "scaled"),
    ((7, 6), (3, 4), "positive float", "rotated", "unrotated"),
    ((4, 5), (2, 2), "positive int", "rotated", "scaled"),
)


#: What a stand-in backward function's claim is called in feedback.
_CLAIMS = {
    ("dF", "rotated"): N_("dF rotated by 180 degrees"),
    ("dX", "unrotated"): N_("dX with F unrotated"),
    ("dF", "right"): N_("dF right"),
    ("dX", "right"): N_("dX right"),
    ("dF", "scaled"): N_("dF scaled"),
    ("dX", "scaled"): N_("dX scaled"),
    ("dF", "nearly right"): N_("dF nearly right"),
    ("dX", "nearly right"): N_("dX nearly right"),
}


def _claims(dF_claim: str, dX_claim: str, say: Callable[[str], str] = str) -> str:
    """Both claims in words: in English for the case class, ``say`` for the label."""
    return f"{say(_CLAIMS['dF', dF_claim])}, {say(_CLAIMS['dX', dX_claim])}"


def _grown(rng: np.random.Generator, smallest: Shape) -> Shape:
    """A shape of up to two more rows and columns than ``smallest``, not square."""
    while True:
        grown = (smallest[0] + _n(rng, 0, 2), smallest[1] + _n(rng, 0, 2))
        if grown[0] != grown[1]:
            return grown


def gradient_check_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for smallest, fs, kind, dF_claim, dX_claim in _GRADIENT_CHECK_CLASSES:
        while True:
            xs = _grown(rng, smallest)
            os_ = _output(xs, fs)
            X, F, dO = (_array(rng, shape, kind) for shape in (xs, fs, os_))
            dF = ref.conv2d_backward_filter(X, dO)
            dX = ref.conv2d_backward_input(dO, F)
            if min(np.abs(dF).min(), np.abs(dX).min()) >= _SMALLEST_GRADIENT:
                break
        unrotated = ref.conv2d_forward(ref.pad2d(dO, (fs[0] - 1, fs[1] - 1)), F)
        backward_filter = ClaimedGradient(
            _claim(rng, dF_claim, dF, ref.rot180(dF)), (X, dO), "backward_filter(X, dO)"
        )
        backward_input = ClaimedGradient(
            _claim(rng, dX_claim, dX, unrotated), (dO, F), "backward_input(dO, F)"
        )
        label = _("X {X}, F {F}, dO {dO}, all {kind}; claims: {claims}").format(
            X=_size(xs),
            F=_size(fs),
            dO=_size(os_),
            kind=_kind(kind),
            claims=_claims(dF_claim, dX_claim, _),
        )
        case_class = f"{kind}; claims: {_claims(dF_claim, dX_claim)}"
        cases.append(Case(label, (backward_filter, backward_input, X, F, dO), case_class))
    return cases


# ------------------------------------------------- notebook 7: a convolution layer


@dataclass(frozen=True)
class _LayerClass:
    """One challenge class of the layer's functions; the shapes are drawn fresh.

    Attributes
    ----------
    name : str
        The class's name in reports and tests.
    kind : str
        The numbers in X, F and b (``"int"``, ``"float"`` or ``"quarters"``).
    upstream : str
        The numbers in dO.
    batch : int
        N.
    channels : tuple (C, K)
        Input channels and filters; C == K lets a layer that mixes them up run.
    stride, pad : int
        The layer's stride and padding.
    divides : bool
        Whether the stride divides H + 2*pad - kh and W + 2*pad - kw (when it does not,
        the last rows or columns of the padded input are never reached).
    """

    name: str
    kind: str
    upstream: str
    batch: int
    channels: tuple[int, int]
    stride: int
    pad: int
    divides: bool


_CONV_LAYER_CLASSES = (
    _LayerClass(
        "stride 2, pad 1, uneven, C = K", "int", "quarters", 2, (2, 2), 2, 1, divides=False
    ),
    _LayerClass(
        "stride 1, no padding, one example", "float", "float", 1, (3, 2), 1, 0, divides=True
    ),
    _LayerClass("stride 3, pad 2, uneven", "float", "float", 2, (2, 3), 3, 2, divides=False),
    _LayerClass(
        "stride 2, no padding, C = K", "quarters", "quarters", 3, (2, 2), 2, 0, divides=True
    ),
    _LayerClass(
        "one channel, one filter, stride 1", "float", "float", 1, (1, 1), 1, 2, divides=True
    ),
    _LayerClass("stride 2, pad 2, one filter", "int", "int", 1, (3, 1), 2, 2, divides=True),
    _LayerClass(
        "one channel in, stride 2, pad 1", "float", "float", 2, (1, 2), 2, 1, divides=False
    ),
)


def _layer_side(rng: np.random.Generator, k: int, stride: int, pad: int, divides: bool) -> int:
    """A side H (at most 8) for a filter side k such that the stride divides
    H + 2*pad - k, or does not, as asked."""
    sides = [
        n
        for n in range(max(1, k - 2 * pad), 9)
        if ((n + 2 * pad - k) % stride == 0) == (divides or stride == 1)
    ]
    return int(rng.choice(sides))


def _layer_shapes(
    rng: np.random.Generator, layer_class: _LayerClass
) -> tuple[tuple[int, int, int, int], tuple[int, int, int, int]]:
    """(N, C, H, W) and (K, C, kh, kw) for one draw of a class: filters of 1 to 3 rows
    and columns, sides up to 8."""
    C, K = layer_class.channels
    kh, kw = (int(k) for k in rng.integers(1, 4, size=2))
    H, W = (
        _layer_side(rng, k, layer_class.stride, layer_class.pad, layer_class.divides)
        for k in (kh, kw)
    )
    return (layer_class.batch, C, H, W), (K, C, kh, kw)


def _layer_label(layer_class: _LayerClass, x_shape: tuple, f_shape: tuple) -> str:
    return (
        f"X {_size(x_shape)} {_kind(layer_class.kind)}, F {_size(f_shape)}, "
        f"stride {layer_class.stride}, pad {layer_class.pad}"
    )


def conv_layer_output_shape_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for layer_class in _CONV_LAYER_CLASSES:
        x_shape, f_shape = _layer_shapes(rng, layer_class)
        args = (x_shape, f_shape, layer_class.stride, layer_class.pad)
        label = (
            f"x_shape {_size(x_shape)}, f_shape {_size(f_shape)}, "
            f"stride {layer_class.stride}, pad {layer_class.pad}"
        )
        cases.append(Case(label, args, layer_class.name))
    return cases


def conv_layer_forward_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for layer_class in _CONV_LAYER_CLASSES:
        x_shape, f_shape = _layer_shapes(rng, layer_class)
        X, F = _array(rng, x_shape, layer_class.kind), _array(rng, f_shape, layer_class.kind)
        b = _array(rng, (f_shape[0],), layer_class.kind)
        args = (X, F, b, layer_class.stride, layer_class.pad)
        cases.append(Case(_layer_label(layer_class, x_shape, f_shape), args, layer_class.name))
    return cases


def conv_layer_backward_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for layer_class in _CONV_LAYER_CLASSES:
        x_shape, f_shape = _layer_shapes(rng, layer_class)
        X, F = _array(rng, x_shape, layer_class.kind), _array(rng, f_shape, layer_class.kind)
        stride, pad = layer_class.stride, layer_class.pad
        d_kind = layer_class.upstream
        dO = _array(rng, layer.conv_layer_output_shape(x_shape, f_shape, stride, pad), d_kind)
        label = _layer_label(layer_class, x_shape, f_shape) + f", dO {_kind(d_kind)}"
        cases.append(Case(label, (dO, X, F, stride, pad), layer_class.name))
    return cases


# (name, kind of X, pool shape, stride, N, C): windows that overlap (stride smaller than
# the window), that leave gaps, that tile; integers from -2 to 2 tie inside windows.
_POOL_CLASSES = (
    ("overlapping 2x2 windows, ties", "ties", (2, 2), 1, 1, 2),
    ("3x2 windows, stride 2, floats", "float", (3, 2), 2, 2, 1),
    ("2x3 windows, stride 3, ties", "ties", (2, 3), 3, 2, 2),
    ("2x2 windows that tile, quarters", "quarters", (2, 2), 2, 1, 3),
    ("3x3 windows, stride 2, ties", "ties", (3, 3), 2, 1, 1),
    ("1x3 windows, stride 1, floats", "float", (1, 3), 1, 1, 2),
    ("2x1 windows, stride 2, int", "int", (2, 1), 2, 2, 1),
)


def _pool_input_shape(
    rng: np.random.Generator, pool_shape: tuple[int, int], N: int, C: int
) -> tuple[int, int, int, int]:
    """(N, C, H, W) with sides from the window's to 8, not square."""
    while True:
        H, W = (int(rng.integers(p, 9)) for p in pool_shape)
        if H != W:
            return N, C, H, W


def max_pool_forward_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for name, kind, pool_shape, stride, N, C in _POOL_CLASSES:
        x_shape = _pool_input_shape(rng, pool_shape, N, C)
        label = f"X {_size(x_shape)} {_kind(kind)}, pool {_size(pool_shape)}, stride {stride}"
        cases.append(Case(label, (_array(rng, x_shape, kind), pool_shape, stride), name))
    return cases


def max_pool_backward_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for name, kind, pool_shape, stride, N, C in _POOL_CLASSES:
        x_shape = _pool_input_shape(rng, pool_shape, N, C)
        X = _array(rng, x_shape, kind)
        d_kind = "int" if kind == "int" else "quarters" if kind == "ties" else "float"
        dO = _array(rng, layer.max_pool_forward(X, pool_shape, stride).shape, d_kind)
        label = (
            f"X {_size(x_shape)} {_kind(kind)}, pool {_size(pool_shape)}, stride {stride}, "
            f"dO {_kind(d_kind)}"
        )
        cases.append(Case(label, (dO, X, pool_shape, stride), name))
    return cases


#: Draws per challenge that settle which answers its class cannot tell apart.
_SETTLING_DRAWS = 8
#: A class that needs more draws than this to tell its answers apart is a bug.
_MAX_DRAWS = 200


class Challenged(Hashable, Protocol):
    """What drawing a graded function's challenges needs to know about it (a
    :class:`autograder.verify.tasks.FunctionTask` is one)."""

    @property
    def name(self) -> str: ...

    @property
    def case_classes(self) -> CaseGenerator: ...

    def look_alikes(self, args: tuple) -> frozenset[frozenset[str]]: ...


@functools.cache
def _look_alikes_of_class(task: Challenged, index: int) -> frozenset[frozenset[str]]:
    """The pairs of answers no draw of one case class tells apart.

    The pairs that look alike on each of a few draws from a fixed seed: a pair told apart
    by one draw can be told apart, so it stays out. The fixed seed makes the result the
    same in every run.
    """
    rng = np.random.default_rng(20_251_128 + index)
    draws = [task.case_classes(rng)[index] for _ in range(_SETTLING_DRAWS)]
    return frozenset.intersection(*(task.look_alikes(case.args) for case in draws))


def generate(task: Challenged, rng: np.random.Generator) -> list[Case]:
    """Draw the challenge cases of one graded function.

    Parameters
    ----------
    task : FunctionTask
        The graded function, from :mod:`autograder.verify.tasks`: its case classes and
        its typical mistakes.
    rng : numpy Generator
        The grading run's generator (seeded from ``secrets``).

    Returns
    -------
    list of Case
        The same shape classes every run, fresh values; each case tells apart every
        two of the right answer and the task's typical mistakes that its class can.
    """
    cases = task.case_classes(rng)
    for index in range(len(cases)):
        allowed = _look_alikes_of_class(task, index)
        for _attempt in range(_MAX_DRAWS):
            if task.look_alikes(cases[index].args) <= allowed:
                break
            cases[index] = task.case_classes(rng)[index]
        else:
            raise RuntimeError(
                f"{task.name}: no draw of {cases[index].label!r} tells its answers apart"
            )
    return cases
