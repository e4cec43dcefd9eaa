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

from autograder.verify.wire import ScalarFunction

__all__ = [
    "Case",
    "CaseGenerator",
    "Challenged",
    "conv2d_backward_filter_cases",
    "conv2d_backward_input_cases",
    "conv2d_forward_cases",
    "conv2d_output_shape_cases",
    "gap_backward_cases",
    "gap_forward_cases",
    "generate",
    "jacobian_output_wrt_filter_cases",
    "jacobian_output_wrt_input_cases",
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


def _ints(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    return rng.integers(-5, 6, size=shape).astype(np.int64)


def _floats(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    return rng.normal(0.0, 2.0, size=shape)


def _quarters(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """Floats that are multiples of 1/4, like the worked example's dL/dO."""
    return rng.integers(-8, 9, size=shape) / 4.0


_DRAW = {"int": _ints, "float": _floats, "quarters": _quarters}


def _array(rng: np.random.Generator, shape: Shape, kind: str) -> np.ndarray:
    return _DRAW[kind](rng, shape)


def _size(shape: tuple[int, ...]) -> str:
    return "x".join(str(n) for n in shape)


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
    for _ in range(1000):
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
        label = f"X {_size(xs)} {conv.x_kind}, F {_size(fs)} {conv.f_kind}"
        args = (_array(rng, xs, conv.x_kind), _array(rng, fs, conv.f_kind))
        cases.append(Case(label, args, conv.name))
    return cases


def conv2d_backward_filter_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for conv in _CONV_CLASSES:
        xs, fs = conv.shapes(rng)
        d_kind = "quarters" if conv.f_kind == "int" else "float"
        os_ = _output(xs, fs)
        label = f"X {_size(xs)} {conv.x_kind}, dO {_size(os_)} {d_kind}"
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
        label = f"dO {_size(os_)} {d_kind}, F {_size(fs)} {conv.f_kind}"
        args = (_array(rng, os_, d_kind), _array(rng, fs, conv.f_kind))
        cases.append(Case(label, args, conv.name))
    return cases


def conv2d_output_shape_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for conv in _CONV_CLASSES:
        xs, fs = conv.shapes(rng)
        cases.append(Case(f"input {_size(xs)}, filter {_size(fs)}", (xs, fs), conv.name))
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
        cases.append(Case(f"O {_size(shape)} {kind}", (_array(rng, shape, kind),), name))
    return cases


def gap_backward_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for name, shape_of, kind in _MAP_CLASSES:
        shape = shape_of(rng)
        if kind == "int":
            dZ: int | float = int(rng.choice([-1, 1]) * rng.integers(1, 50))
        else:
            dZ = float(rng.normal(0.0, 2.0))
        label = f"dZ {type(dZ).__name__}, shape {_size(shape)}"
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
        label = f"X {_size(xs)} {kind}, filter shape {_size(fs)}"
        cases.append(Case(label, (_array(rng, xs, kind), fs), name))
    return cases


def jacobian_output_wrt_input_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for name, shapes, kind in _JACOBIAN_CLASSES:
        xs, fs = shapes(rng)
        label = f"input shape {_size(xs)}, F {_size(fs)} {kind}"
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
        label = f"A {_size(shape)} {kind}, pad {pad}"
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
        cases.append(Case(f"F {_size(shape)} {kind}", (_array(rng, shape, kind),), name))
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
        label = f"X {_size(shape)} {kind}"
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
        ("B close to A", (close, close + rng.normal(0.0, 1e-6, size=close.shape))),
        ("one entry far off", (spread, off)),
        ("unrelated", (_floats(rng, unrelated), _floats(rng, unrelated))),
        ("large scale", (big, big * (1 + rng.normal(0.0, 1e-3, size=big.shape)))),
        ("both zero", (zero, zero.copy())),
        ("A int, B float", (_ints(rng, mixed), _floats(rng, mixed))),
    ]
    cases = []
    for name, (A, B) in pairs:
        size = _size(A.shape)
        if A.dtype.kind == "i":
            label = f"A {size} int, B {size} float"
        else:
            label = f"A, B {size} float, {name}"
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
        label = f"X {_size(xs)} {kind}, F {_size(fs)} {kind}, lr {learning_rate:g}"
        cases.append(Case(label, args, name))
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
        for _ in range(_MAX_DRAWS):
            if task.look_alikes(cases[index].args) <= allowed:
                break
            cases[index] = task.case_classes(rng)[index]
        else:
            raise RuntimeError(
                f"{task.name}: no draw of {cases[index].label!r} tells its answers apart"
            )
    return cases
