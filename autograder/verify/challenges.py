"""The challenge inputs the grader sends through the probe, drawn fresh every grading run.

Every graded function has a fixed list of case *classes* (the shapes and the kind of
numbers), and only the values are random. The classes cover square and non-square
inputs, 1xN and Nx1, a filter as large as the input, as tall or as wide as it,
integer-valued and float inputs, sizes up to 12x12.

Each graded function's case classes are one generator here (``<task>_cases``), which the
task registry (:mod:`autograder.verify.tasks`) gives to its task.

A draw is kept only if it tells apart every two answers (the right one and the task's
typical mistakes in :mod:`autograder.maths.misconceptions`) that its class can tell apart: a
2x2 filter that happens to be symmetric under a 180-degree turn, or an integer map
whose sum divides by its size, is drawn again. Some pairs no draw of a class tells
apart (flipping a one-row filter upside down changes nothing); those belong to the
class. So a typical mistake fails the same cases in every run and its partial credit is
reproducible, while the inputs stay unpredictable. ``tests/verify/test_challenges.py`` lists
the few cases a typical mistake passes.

Inputs travel to the kernel as literals (see :mod:`autograder.verify.wire`), so nothing relies
on the student runtime's random number generator producing the grader's stream.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

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
    """

    label: str
    args: tuple[Any, ...]


#: A graded function's case classes: draws one list of cases, the same classes in the
#: same order on every call, fresh values.
CaseGenerator = Callable[[np.random.Generator], list[Case]]


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


def _output(x_shape: tuple[int, int], f_shape: tuple[int, int]) -> tuple[int, int]:
    return x_shape[0] - f_shape[0] + 1, x_shape[1] - f_shape[1] + 1


# (X shape, F shape, kind of X, kind of F): the forward pass's classes, reused by the
# backward passes with the output shape in place of the other operand.
_CONV_CLASSES = (
    ((3, 3), (2, 2), "int", "int"),
    ((5, 5), (3, 3), "float", "float"),
    ((4, 7), (2, 3), "int", "float"),
    ((1, 9), (1, 3), "float", "int"),
    ((8, 1), (3, 1), "int", "int"),
    ((4, 5), (4, 5), "float", "float"),
    ((6, 4), (3, 2), "int", "float"),
    ((12, 12), (5, 4), "float", "float"),
    ((2, 6), (2, 2), "int", "int"),
    ((7, 10), (6, 2), "float", "int"),
)


def conv2d_forward_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case(
            f"X {_size(xs)} {xk}, F {_size(fs)} {fk}",
            (_array(rng, xs, xk), _array(rng, fs, fk)),
        )
        for xs, fs, xk, fk in _CONV_CLASSES
    ]


def conv2d_backward_filter_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for xs, fs, xk, fk in _CONV_CLASSES:
        d_kind = "quarters" if fk == "int" else "float"
        os_ = _output(xs, fs)
        cases.append(
            Case(
                f"X {_size(xs)} {xk}, dO {_size(os_)} {d_kind}",
                (_array(rng, xs, xk), _array(rng, os_, d_kind)),
            )
        )
    return cases


def conv2d_backward_input_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for xs, fs, xk, fk in _CONV_CLASSES:
        # Integer filters meet dO in quarters: an integer result array would truncate them.
        d_kind = "quarters" if xk == "int" else "float"
        os_ = _output(xs, fs)
        cases.append(
            Case(
                f"dO {_size(os_)} {d_kind}, F {_size(fs)} {fk}",
                (_array(rng, os_, d_kind), _array(rng, fs, fk)),
            )
        )
    return cases


def conv2d_output_shape_cases(rng: np.random.Generator) -> list[Case]:
    pairs = [(xs, fs) for xs, fs, _, _ in _CONV_CLASSES]
    return [Case(f"input {_size(xs)}, filter {_size(fs)}", (xs, fs)) for xs, fs in pairs]


_MAP_CLASSES = (
    ((2, 2), "int"),
    ((3, 5), "float"),
    ((1, 7), "int"),
    ((6, 1), "float"),
    ((12, 12), "int"),
    ((5, 2), "float"),
    ((4, 3), "quarters"),
)


def gap_forward_cases(rng: np.random.Generator) -> list[Case]:
    return [Case(f"O {_size(s)} {k}", (_array(rng, s, k),)) for s, k in _MAP_CLASSES]


def gap_backward_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for shape, kind in _MAP_CLASSES:
        if kind == "int":
            dZ: int | float = int(rng.choice([-1, 1]) * rng.integers(1, 50))
        else:
            dZ = float(rng.normal(0.0, 2.0))
        cases.append(Case(f"dZ {type(dZ).__name__}, shape {_size(shape)}", (dZ, shape)))
    return cases


# The output never has the filter's shape: where it does, J[a, b, p, q] = X[a+p, b+q]
# cannot tell (a, b) from (p, q).
_JACOBIAN_CLASSES = (
    ((4, 4), (2, 2), "int"),
    ((4, 5), (2, 3), "float"),
    ((1, 6), (1, 2), "int"),
    ((5, 1), (2, 1), "float"),
    ((3, 4), (3, 4), "int"),
    ((5, 3), (3, 3), "float"),
    ((6, 6), (3, 2), "float"),
)


def jacobian_output_wrt_filter_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case(f"X {_size(xs)} {k}, filter shape {_size(fs)}", (_array(rng, xs, k), fs))
        for xs, fs, k in _JACOBIAN_CLASSES
    ]


def jacobian_output_wrt_input_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case(f"input shape {_size(xs)}, F {_size(fs)} {k}", (xs, _array(rng, fs, k)))
        for xs, fs, k in _JACOBIAN_CLASSES
    ]


def pad2d_cases(rng: np.random.Generator) -> list[Case]:
    classes = (
        ((3, 3), "int", 1),
        ((2, 5), "float", (2, 0)),
        ((1, 1), "int", (2, 1)),
        ((4, 1), "float", (0, 3)),
        ((12, 12), "int", (1, 2)),
        ((2, 3), "quarters", (3, 1)),
    )
    return [Case(f"A {_size(s)} {k}, pad {pad}", (_array(rng, s, k), pad)) for s, k, pad in classes]


def rot180_cases(rng: np.random.Generator) -> list[Case]:
    classes: tuple[tuple[tuple[int, int], str], ...] = (
        ((2, 2), "int"),
        ((3, 3), "float"),
        ((1, 4), "int"),
        ((5, 1), "float"),
    )
    classes += (((2, 3), "int"), ((3, 2), "float"), ((12, 12), "float"))
    return [Case(f"F {_size(s)} {k}", (_array(rng, s, k),)) for s, k in classes]


def numerical_gradient_cases(rng: np.random.Generator) -> list[Case]:
    # The test function sum(C sin(X)) + sum(D X**2) is curved along every axis, so a
    # forward difference or a wrong step size shows up well above the tolerance.
    classes: tuple[tuple[tuple[int, int], float | None], ...]
    classes = (((2, 2), None), ((3, 4), None), ((1, 5), None), ((4, 1), None), ((1, 1), None))
    classes += (((3, 3), 1e-4),)
    out = []
    for shape, h in classes:
        f = ScalarFunction(rng.normal(0.0, 1.0, size=shape), rng.normal(0.0, 1.0, size=shape))
        X = rng.normal(0.0, 1.0, size=shape)
        args = (f, X) if h is None else (f, X, h)
        out.append(Case(f"X {_size(shape)} float" + ("" if h is None else f", h={h}"), args))
    return out


def relative_error_cases(rng: np.random.Generator) -> list[Case]:
    A = _floats(rng, (3, 3))
    spread = _floats(rng, (2, 4))
    off = spread.copy()
    off[tuple(rng.integers(0, (2, 4)))] += rng.choice([-1.0, 1.0]) * rng.uniform(1.0, 3.0)
    big = _floats(rng, (4, 4)) * 1e6
    return [
        Case("A, B 3x3 float, B close to A", (A, A + rng.normal(0.0, 1e-6, size=A.shape))),
        Case("A, B 2x4 float, one entry far off", (spread, off)),
        Case("A, B 1x5 float", (_floats(rng, (1, 5)), _floats(rng, (1, 5)))),
        Case("A, B 4x4 float, large scale", (big, big * (1 + rng.normal(0.0, 1e-3, size=(4, 4))))),
        Case("A, B 2x2, both zero", (np.zeros((2, 2)), np.zeros((2, 2)))),
        Case("A 3x2 int, B 3x2 float", (_ints(rng, (3, 2)), _floats(rng, (3, 2)))),
    ]


def training_step_cases(rng: np.random.Generator) -> list[Case]:
    classes = (
        ((5, 5), (3, 3), "float", 0.1),
        ((3, 3), (2, 2), "int", 0.01),
        ((4, 7), (2, 3), "float", 0.05),
        ((1, 6), (1, 2), "float", 0.1),
        ((6, 6), (6, 6), "int", 0.001),
    )
    cases = []
    for xs, fs, kind, learning_rate in classes:
        target = int(rng.integers(-5, 6)) if kind == "int" else float(rng.normal(0.0, 2.0))
        args = (_array(rng, xs, kind), _array(rng, fs, kind), target, learning_rate)
        cases.append(Case(f"X {_size(xs)} {kind}, F {_size(fs)} {kind}, lr {learning_rate}", args))
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


# (X shape, F shape, kind of X, F and dO, claim on dF, claim on dX): dF's typical wrong
# claim is dF rotated by 180 degrees, dX's a full correlation with F unrotated. A claim
# that differs between the two tells swapped errors apart; scaled and nearly right
# claims give errors a boolean or a threshold cannot return. With numbers of both signs
# a wrong claim's error is usually 1 exactly (some entry has the wrong sign), which
# every slip in the loss reproduces; positive numbers keep such errors below 1.
_GRADIENT_CHECK_CLASSES = (
    ((3, 4), (2, 3), "positive int", "right", "right"),
    ((5, 7), (3, 2), "float", "right", "unrotated"),
    ((6, 4), (2, 3), "float", "rotated", "right"),
    ((2, 8), (1, 3), "float", "scaled", "nearly right"),
    ((8, 3), (4, 1), "float", "nearly right", "scaled"),
    ((7, 6), (3, 4), "positive float", "rotated", "unrotated"),
    ((4, 5), (2, 2), "positive int", "rotated", "scaled"),
)


def gradient_check_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for xs, fs, kind, dF_claim, dX_claim in _GRADIENT_CHECK_CLASSES:
        os_ = _output(xs, fs)
        while True:
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
        dF_says = "dF rotated by 180 degrees" if dF_claim == "rotated" else f"dF {dF_claim}"
        dX_says = "dX with F unrotated" if dX_claim == "unrotated" else f"dX {dX_claim}"
        cases.append(
            Case(
                f"X {_size(xs)}, F {_size(fs)}, dO {_size(os_)}, all {kind}; "
                f"claims: {dF_says}, {dX_says}",
                (backward_filter, backward_input, X, F, dO),
            )
        )
    return cases


# ------------------------------------------------- notebook 7: a convolution layer


@dataclass(frozen=True)
class _LayerClass:
    """One challenge class of the layer's functions; the shapes are drawn fresh.

    Attributes
    ----------
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

    kind: str
    upstream: str
    batch: int
    channels: tuple[int, int]
    stride: int
    pad: int
    divides: bool


_CONV_LAYER_CLASSES = (
    _LayerClass("int", "quarters", 2, (2, 2), 2, 1, divides=False),
    _LayerClass("float", "float", 1, (3, 2), 1, 0, divides=True),
    _LayerClass("float", "float", 2, (2, 3), 3, 2, divides=False),
    _LayerClass("quarters", "quarters", 3, (2, 2), 2, 0, divides=True),
    _LayerClass("float", "float", 1, (1, 1), 1, 2, divides=True),
    _LayerClass("int", "int", 1, (3, 1), 2, 2, divides=True),
    _LayerClass("float", "float", 2, (1, 2), 2, 1, divides=False),
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
        f"X {_size(x_shape)} {layer_class.kind}, F {_size(f_shape)}, "
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
        cases.append(Case(label, args))
    return cases


def conv_layer_forward_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for layer_class in _CONV_LAYER_CLASSES:
        x_shape, f_shape = _layer_shapes(rng, layer_class)
        X, F = _array(rng, x_shape, layer_class.kind), _array(rng, f_shape, layer_class.kind)
        b = _array(rng, (f_shape[0],), layer_class.kind)
        args = (X, F, b, layer_class.stride, layer_class.pad)
        cases.append(Case(_layer_label(layer_class, x_shape, f_shape), args))
    return cases


def conv_layer_backward_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for layer_class in _CONV_LAYER_CLASSES:
        x_shape, f_shape = _layer_shapes(rng, layer_class)
        X, F = _array(rng, x_shape, layer_class.kind), _array(rng, f_shape, layer_class.kind)
        stride, pad = layer_class.stride, layer_class.pad
        d_kind = layer_class.upstream
        dO = _array(rng, layer.conv_layer_output_shape(x_shape, f_shape, stride, pad), d_kind)
        label = _layer_label(layer_class, x_shape, f_shape) + f", dO {d_kind}"
        cases.append(Case(label, (dO, X, F, stride, pad)))
    return cases


# (kind of X, pool shape, stride, N, C): windows that overlap (stride smaller than the
# window), that leave gaps, that tile; integers from -2 to 2 tie inside windows.
_POOL_CLASSES = (
    ("ties", (2, 2), 1, 1, 2),
    ("float", (3, 2), 2, 2, 1),
    ("ties", (2, 3), 3, 2, 2),
    ("quarters", (2, 2), 2, 1, 3),
    ("ties", (3, 3), 2, 1, 1),
    ("float", (1, 3), 1, 1, 2),
    ("int", (2, 1), 2, 2, 1),
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
    for kind, pool_shape, stride, N, C in _POOL_CLASSES:
        x_shape = _pool_input_shape(rng, pool_shape, N, C)
        label = f"X {_size(x_shape)} {kind}, pool {_size(pool_shape)}, stride {stride}"
        cases.append(Case(label, (_array(rng, x_shape, kind), pool_shape, stride)))
    return cases


def max_pool_backward_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for kind, pool_shape, stride, N, C in _POOL_CLASSES:
        x_shape = _pool_input_shape(rng, pool_shape, N, C)
        X = _array(rng, x_shape, kind)
        d_kind = "int" if kind == "int" else "quarters" if kind == "ties" else "float"
        dO = _array(rng, layer.max_pool_forward(X, pool_shape, stride).shape, d_kind)
        label = f"X {_size(x_shape)} {kind}, pool {_size(pool_shape)}, stride {stride}, dO {d_kind}"
        cases.append(Case(label, (dO, X, pool_shape, stride)))
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
