"""Student submissions for the probed fixture course (tests/probe_course.py).

Written as students would write them, with numpy only (the student runtime has no
scipy and no ``autograder``); ``ref`` is the reference maths exec'd into the kernel as
student code by the prelude, so a submission differs from a correct one exactly where
a test wants it to.

- :data:`STYLES`: five correct ways to write the convolution functions.
- :data:`WRONG`: per task, one wrong implementation per catalogue entry, keyed like the
  task registry's misconceptions (task, key) but written independently of them.
- :data:`BASELINE`: half the tasks right, half unanswered, for attack comparisons.
- :data:`ATTACKS`: preludes (and test-cell edits) that try to win points without the maths.
"""

from __future__ import annotations

from autograder.verify.tasks import FUNCTION_TASKS, HAND_VALUE_TASKS, function_task
from autograder.verify.wire import MIME_TYPE

_CONV = ("conv2d_forward", "conv2d_backward_filter", "conv2d_backward_input")

_LOOPS = """\
def conv2d_forward(X, F):
    X, F = np.asarray(X, dtype=float), np.asarray(F, dtype=float)
    (H, W), (kh, kw) = X.shape, F.shape
    O = np.zeros((H - kh + 1, W - kw + 1))
    for a in range(H - kh + 1):
        for b in range(W - kw + 1):
            total = 0.0
            for p in range(kh):
                for q in range(kw):
                    total += X[a + p, b + q] * F[p, q]
            O[a, b] = total
    return O

def conv2d_backward_filter(X, dO):
    X, dO = np.asarray(X, dtype=float), np.asarray(dO, dtype=float)
    (H, W), (Ho, Wo) = X.shape, dO.shape
    dF = np.zeros((H - Ho + 1, W - Wo + 1))
    for p in range(H - Ho + 1):
        for q in range(W - Wo + 1):
            for a in range(Ho):
                for b in range(Wo):
                    dF[p, q] += dO[a, b] * X[a + p, b + q]
    return dF

def conv2d_backward_input(dO, F):
    dO, F = np.asarray(dO, dtype=float), np.asarray(F, dtype=float)
    (Ho, Wo), (kh, kw) = dO.shape, F.shape
    dX = np.zeros((Ho + kh - 1, Wo + kw - 1))
    for a in range(Ho):
        for b in range(Wo):
            for p in range(kh):
                for q in range(kw):
                    dX[a + p, b + q] += dO[a, b] * F[p, q]
    return dX

def gradient_check(backward_filter, backward_input, X, F, dO):
    # As notebook 5 asks: central differences of L = sum(O * dO), this style's own loops.
    X, F, dO = (np.array(A, dtype=float) for A in (X, F, dO))

    def numerical(f, A, h=1e-5):
        grad = np.zeros_like(A)
        for index in np.ndindex(A.shape):
            plus, minus = A.copy(), A.copy()
            plus[index] += h
            minus[index] -= h
            grad[index] = (f(plus) - f(minus)) / (2 * h)
        return grad

    def error(a, b):
        return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))

    numeric_dF = numerical(lambda F_: np.sum(conv2d_forward(X, F_) * dO), F)
    numeric_dX = numerical(lambda X_: np.sum(conv2d_forward(X_, F) * dO), X)
    return error(backward_filter(X, dO), numeric_dF), error(backward_input(dO, F), numeric_dX)
"""

_EINSUM = """\
from numpy.lib.stride_tricks import sliding_window_view

def conv2d_forward(X, F):
    F = np.asarray(F, dtype=float)
    windows = sliding_window_view(np.asarray(X, dtype=float), F.shape)
    return np.einsum("abpq,pq->ab", windows, F)

def conv2d_backward_filter(X, dO):
    dO = np.asarray(dO, dtype=float)
    windows = sliding_window_view(np.asarray(X, dtype=float), dO.shape)
    return np.einsum("pqab,ab->pq", windows, dO)

def conv2d_backward_input(dO, F):
    F = np.asarray(F, dtype=float)
    kh, kw = F.shape
    padded = np.pad(np.asarray(dO, dtype=float), ((kh - 1, kh - 1), (kw - 1, kw - 1)))
    return np.einsum("ijpq,pq->ij", sliding_window_view(padded, F.shape), F[::-1, ::-1])
"""

_SHIFT_AND_ADD = """\
def conv2d_forward(X, F):
    X, F = np.asarray(X, dtype=float), np.asarray(F, dtype=float)
    kh, kw = F.shape
    Ho, Wo = X.shape[0] - kh + 1, X.shape[1] - kw + 1
    O = np.zeros((Ho, Wo))
    for p in range(kh):
        for q in range(kw):
            O += F[p, q] * X[p : p + Ho, q : q + Wo]
    return O

def conv2d_backward_filter(X, dO):
    X, dO = np.asarray(X, dtype=float), np.asarray(dO, dtype=float)
    Ho, Wo = dO.shape
    dF = np.zeros((X.shape[0] - Ho + 1, X.shape[1] - Wo + 1))
    for p in range(dF.shape[0]):
        for q in range(dF.shape[1]):
            dF[p, q] = np.sum(dO * X[p : p + Ho, q : q + Wo])
    return dF

def conv2d_backward_input(dO, F):
    dO, F = np.asarray(dO, dtype=float), np.asarray(F, dtype=float)
    (Ho, Wo), (kh, kw) = dO.shape, F.shape
    dX = np.zeros((Ho + kh - 1, Wo + kw - 1))
    for p in range(kh):
        for q in range(kw):
            dX[p : p + Ho, q : q + Wo] += F[p, q] * dO
    return dX
"""

_FFT = """\
def _full_convolution(A, K):
    size = (A.shape[0] + K.shape[0] - 1, A.shape[1] + K.shape[1] - 1)
    return np.real(np.fft.ifft2(np.fft.fft2(A, size) * np.fft.fft2(K, size)))

def conv2d_forward(X, F):
    X, F = np.asarray(X, dtype=float), np.asarray(F, dtype=float)
    kh, kw = F.shape
    return _full_convolution(X, F[::-1, ::-1])[kh - 1 : X.shape[0], kw - 1 : X.shape[1]]

def conv2d_backward_filter(X, dO):
    return conv2d_forward(X, dO)

def conv2d_backward_input(dO, F):
    return _full_convolution(np.asarray(dO, dtype=float), np.asarray(F, dtype=float))
"""

_JACOBIAN = """\
def jacobian_output_wrt_filter(X, filter_shape):
    X = np.asarray(X, dtype=float)
    kh, kw = filter_shape
    Ho, Wo = X.shape[0] - kh + 1, X.shape[1] - kw + 1
    J = np.zeros((Ho, Wo, kh, kw))
    for a in range(Ho):
        for b in range(Wo):
            J[a, b] = X[a : a + kh, b : b + kw]
    return J

def jacobian_output_wrt_input(input_shape, F):
    F = np.asarray(F, dtype=float)
    (H, W), (kh, kw) = input_shape, F.shape
    J = np.zeros((H - kh + 1, W - kw + 1, H, W))
    for a in range(H - kh + 1):
        for b in range(W - kw + 1):
            J[a, b, a : a + kh, b : b + kw] = F
    return J

def conv2d_forward(X, F):
    F = np.asarray(F, dtype=float)
    return np.tensordot(jacobian_output_wrt_filter(X, F.shape), F, axes=2)

def conv2d_backward_filter(X, dO):
    X = np.asarray(X)
    shape = (X.shape[0] - dO.shape[0] + 1, X.shape[1] - dO.shape[1] + 1)
    return np.tensordot(dO, jacobian_output_wrt_filter(X, shape), axes=([0, 1], [0, 1]))

def conv2d_backward_input(dO, F):
    F = np.asarray(F)
    shape = (dO.shape[0] + F.shape[0] - 1, dO.shape[1] + F.shape[1] - 1)
    return np.tensordot(dO, jacobian_output_wrt_input(shape, F), axes=([0, 1], [0, 1]))
"""

#: Style name -> prelude defining the three convolution functions (answer cells then
#: keep the prelude's definitions).
STYLES = {
    "loops": _LOOPS,
    "einsum": _EINSUM,
    "shift_and_add": _SHIFT_AND_ADD,
    "fft": _FFT,
    "jacobian": _JACOBIAN,
}


def style_submission(style: str) -> dict[str, str]:
    """A correct submission whose convolution functions are written in ``style``."""
    answers = {"prelude": STYLES[style]}
    answers |= {task: "pass  # defined above" for task in _CONV}
    if style == "loops":
        answers["gradient_check"] = "pass  # defined above, by central differences"
    if style == "jacobian":
        answers |= {t: "pass" for t in ("jacobian_output_wrt_filter", "jacobian_output_wrt_input")}
    return answers


_HELPERS = """
def full_corr(A, K):
    kh, kw = np.shape(K)
    return ref.conv2d_forward(ref.pad2d(A, (kh - 1, kw - 1)), K)

def pads(pad):
    return (pad, pad) if np.ndim(pad) == 0 else tuple(pad)

# (A, K, shape of A, shape of the window) each conv function's loop slides over.
def _operands_conv2d_forward(X, F):
    X, F = np.asarray(X, dtype=float), np.asarray(F, dtype=float)
    return X, F, X.shape, F.shape

def _operands_conv2d_backward_filter(X, dO):
    X, dO = np.asarray(X, dtype=float), np.asarray(dO, dtype=float)
    return X, dO, X.shape, dO.shape

def _operands_conv2d_backward_input(dO, F):
    dO, F = np.asarray(dO, dtype=float), np.asarray(F, dtype=float)
    kh, kw = F.shape
    return np.pad(dO, ((kh - 1, kh - 1), (kw - 1, kw - 1))), F[::-1, ::-1], dO.shape, F.shape

EX_X = np.array([[2, 3, 4], [3, 1, 5], [4, -1, -2]])
EX_F = np.array([[0, 3], [1, -2]])
EX_DO = np.full((2, 2), 0.25)

def gradient_check_against(upstream):
    # A gradient check by central differences of L = sum(O * upstream(dO)).
    def check(backward_filter, backward_input, X, F, dO):
        X, F, dO = (np.array(A, dtype=float) for A in (X, F, dO))
        seen = upstream(dO)
        numeric_dF = ref.numerical_gradient(lambda F_: np.sum(ref.conv2d_forward(X, F_) * seen), F)
        numeric_dX = ref.numerical_gradient(lambda X_: np.sum(ref.conv2d_forward(X_, F) * seen), X)
        return (
            ref.relative_error(backward_filter(X, dO), numeric_dF),
            ref.relative_error(backward_input(dO, F), numeric_dX),
        )
    return check

def pad_layer(X, before, after):
    return np.pad(np.asarray(X, dtype=float), ((0, 0), (0, 0), (before, after), (before, after)))

def layer_backward_loops(dO, X, F, stride, pad, step=None, overwrite=False):
    # The loop version of the layer's backward pass; step=1 forgets the stride and
    # overwrite=True assigns (=) each window's share of dX instead of adding it.
    dO, F = np.asarray(dO, dtype=float), np.asarray(F, dtype=float)
    Xp = pad_layer(X, pad, pad)
    step = stride if step is None else step
    kh, kw = F.shape[2:]
    dXp, dF, db = np.zeros(Xp.shape), np.zeros(F.shape), np.zeros(F.shape[0])
    for n, k, i, j in np.ndindex(dO.shape):
        rows, cols = slice(i * step, i * step + kh), slice(j * step, j * step + kw)
        if overwrite:
            dXp[n, :, rows, cols] = dO[n, k, i, j] * F[k]
        else:
            dXp[n, :, rows, cols] += dO[n, k, i, j] * F[k]
        dF[k] += dO[n, k, i, j] * Xp[n, :, rows, cols]
        db[k] += dO[n, k, i, j]
    H, W = np.shape(X)[2:]
    return dXp[:, :, pad : pad + H, pad : pad + W], dF, db

def pool_loops(X, pool_shape, steps, reduce=np.max, across_channels=False):
    X = np.asarray(X, dtype=float)
    (ph, pw), (sr, sc) = pool_shape, steps
    N, C, H, W = X.shape
    O = np.zeros((N, C, (H - ph) // sr + 1, (W - pw) // sc + 1))
    for n, c, i, j in np.ndindex(O.shape):
        channels = slice(None) if across_channels else c
        O[n, c, i, j] = reduce(X[n, channels, i * sr : i * sr + ph, j * sc : j * sc + pw])
    return O

def first_max(window):
    mask = np.zeros(window.shape)
    mask[np.unravel_index(np.argmax(window), window.shape)] = 1
    return mask

def pool_backward_loops(dO, X, pool_shape, stride, pick=first_max, step=None, upstream=True,
                        overwrite=False):
    dO, X = np.asarray(dO, dtype=float), np.asarray(X, dtype=float)
    ph, pw = pool_shape
    step = stride if step is None else step
    dX = np.zeros(X.shape)
    for n, c, i, j in np.ndindex(dO.shape):
        rows, cols = slice(i * step, i * step + ph), slice(j * step, j * step + pw)
        share = (dO[n, c, i, j] if upstream else 1.0) * pick(X[n, c, rows, cols])
        if overwrite:
            dX[n, c, rows, cols][share != 0] = share[share != 0]
        else:
            dX[n, c, rows, cols] += share
    return dX
"""


def _numerical_forward() -> str:
    return """\
def numerical_gradient(f, X, h=1e-5):
    X = np.array(X, dtype=float)
    f0 = f(X)
    grad = np.zeros_like(X)
    for index in np.ndindex(X.shape):
        nudged = X.copy()
        nudged[index] += h
        grad[index] = (f(nudged) - f0) / h
    return grad"""


def _integer_dX() -> str:
    return """\
def conv2d_backward_input(dO, F):
    dX = np.zeros((dO.shape[0] + F.shape[0] - 1, dO.shape[1] + F.shape[1] - 1), dtype=F.dtype)
    dX[:] = ref.conv2d_backward_input(dO, F)  # stored into F's dtype: ints truncate
    return dX"""


def _loops(name: str, operands: str, allocated: str, ranges: str, window: str) -> str:
    """A conv function as loop code, sized by the given expressions (students' slips)."""
    return (
        f"def {name}({operands}):\n"
        f"    A, K, (H, W), (h, w) = _operands_{name}({operands})\n"
        f"    out = np.zeros({allocated})\n"
        f"    wh, ww = {window}\n"
        f"    for i in range({ranges[0]}):\n"
        f"        for j in range({ranges[1]}):\n"
        "            out[i, j] = np.sum(A[i : i + wh, j : j + ww] * K)\n"
        "    return out"
    )


def _cs231n_numerical_gradient() -> str:
    return """\
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        oldval = x[ix]
        x[ix] = oldval + h
        fxph = f(x)
        x[ix] = oldval - h
        fxmh = f(x)
        x[ix] = oldval
        grad[ix] = (fxph - fxmh) / (2 * h)
        it.iternext()
    return grad"""


def _training(body: str) -> str:
    return f"def training_step(X, F, target, learning_rate):\n{body}"


def _layer_shape(side: str, channels: str = "f[0]") -> str:
    """An output-shape rule with a mistaken side, ``side`` in terms of n, k, s, p."""
    rule = side.replace("n", "{n}").replace("k", "{k}")
    rows = rule.format(n="x[2]", k="f[2]")
    cols = rule.format(n="x[3]", k="f[3]")
    return f"conv_layer_output_shape = lambda x, f, s, p: (x[0], {channels}, {rows}, {cols})"


_LAYER_FORWARD = (
    ("padding_ignored", "wrong = lambda X, F, b, s, p: ref.conv_layer_forward(X, F, b, s, 0)"),
    (
        "padded_one_side",
        "wrong = lambda X, F, b, s, p: ref.conv_layer_forward(pad_layer(X, 0, 2 * p), F, b, s, 0)",
    ),
    ("stride_ignored", "wrong = lambda X, F, b, s, p: ref.conv_layer_forward(X, F, b, 1, p)"),
    (
        "bias_ignored",
        "wrong = lambda X, F, b, s, p: ref.conv_layer_forward(X, F, 0 * np.asarray(b), s, p)",
    ),
    (
        "bias_added_per_channel",
        "def wrong(X, F, b, s, p):\n"
        "    O = ref.conv_layer_forward(X, F, np.zeros(len(b)), s, p)\n"
        "    for c in range(X.shape[1]):  # the bias inside the sum over channels\n"
        "        O += np.asarray(b, dtype=float)[None, :, None, None]\n"
        "    return O",
    ),
    (
        "channels_mixed_up",
        "wrong = lambda X, F, b, s, p: ref.conv_layer_forward(X, F.transpose(1, 0, 2, 3), b, s, p)",
    ),
    (
        "first_channel_only",
        "wrong = lambda X, F, b, s, p: ref.conv_layer_forward(X[:, :1], F[:, :1], b, s, p)",
    ),
    (
        "kernel_flipped",
        "wrong = lambda X, F, b, s, p: ref.conv_layer_forward(X, F[:, :, ::-1, ::-1], b, s, p)",
    ),
)


def _with_db(expression: str) -> str:
    return (
        "def wrong(dO, X, F, s, p):\n"
        "    dX, dF, _ = ref.conv_layer_backward(dO, X, F, s, p)\n"
        f"    return dX, dF, {expression}"
    )


_LAYER_BACKWARD = (
    ("db_not_summed_over_batch", _with_db("np.asarray(dO, dtype=float).sum(axis=(2, 3))")),
    ("db_not_summed_over_positions", _with_db("np.asarray(dO, dtype=float).sum(axis=0)")),
    ("db_first_example_only", _with_db("np.asarray(dO, dtype=float)[0].sum(axis=(1, 2))")),
    ("db_averaged", _with_db("np.asarray(dO, dtype=float).mean(axis=(0, 2, 3))")),
    (
        "padding_not_removed",
        "wrong = lambda dO, X, F, s, p: ref.conv_layer_backward(dO, pad_layer(X, p, p), F, s, 0)",
    ),
    (
        "padding_removed_from_one_side",
        "def wrong(dO, X, F, s, p):\n"
        "    dXp, dF, db = ref.conv_layer_backward(dO, pad_layer(X, p, p), F, s, 0)\n"
        "    return dXp[:, :, : X.shape[2], : X.shape[3]], dF, db",
    ),
    (
        "stride_ignored",
        "wrong = lambda dO, X, F, s, p: layer_backward_loops(dO, X, F, s, p, step=1)",
    ),
    (
        "overlaps_overwritten",
        "wrong = lambda dO, X, F, s, p: layer_backward_loops(dO, X, F, s, p, overwrite=True)",
    ),
    (
        "dF_channels_swapped",
        "def wrong(dO, X, F, s, p):\n"
        "    dX, dF, db = ref.conv_layer_backward(dO, X, F, s, p)\n"
        "    return dX, dF.transpose(1, 0, 2, 3), db",
    ),
    (
        "dX_channels_mixed_up",
        "def wrong(dO, X, F, s, p):\n"
        "    _, dF, db = ref.conv_layer_backward(dO, X, F, s, p)\n"
        "    return ref.conv_layer_backward(dO, X, F.transpose(1, 0, 2, 3), s, p)[0], dF, db",
    ),
    (
        "dX_filter_rotated",
        "def wrong(dO, X, F, s, p):\n"
        "    _, dF, db = ref.conv_layer_backward(dO, X, F, s, p)\n"
        "    return ref.conv_layer_backward(dO, X, F[:, :, ::-1, ::-1], s, p)[0], dF, db",
    ),
)


def _pool_backward(arguments: str) -> str:
    return f"wrong = lambda dO, X, pool, s: pool_backward_loops(dO, X, pool, s, {arguments})"


_LAYER_WRONG: dict[str, tuple[tuple[str, str], ...]] = {
    "conv_layer_output_shape": (
        ("channels_instead_of_filters", _layer_shape("(n + 2 * p - k) // s + 1", "x[1]")),
        ("padding_ignored", _layer_shape("(n - k) // s + 1")),
        ("padded_once", _layer_shape("(n + p - k) // s + 1")),
        ("stride_ignored", _layer_shape("n + 2 * p - k + 1")),
        ("forgot_plus_one", _layer_shape("(n + 2 * p - k) // s")),
        ("rounded_up", "import math\n" + _layer_shape("math.ceil((n + 2 * p - k) / s) + 1")),
        ("true_division", _layer_shape("(n + 2 * p - k) / s + 1")),
    ),
    "max_pool_forward": (
        (
            "average_instead_of_max",
            "max_pool_forward = lambda X, pool, s: pool_loops(X, pool, (s, s), reduce=np.mean)",
        ),
        (
            "stride_ignored",
            "max_pool_forward = lambda X, pool, s: ref.max_pool_forward(X, pool, 1)",
        ),
        (
            "window_size_as_stride",
            "max_pool_forward = lambda X, pool, s: pool_loops(X, pool, pool)",
        ),
        (
            "channels_mixed_up",
            "max_pool_forward = lambda X, pool, s: "
            "pool_loops(X, pool, (s, s), across_channels=True)",
        ),
    ),
    "max_pool_backward": tuple(
        (key, source + "\nmax_pool_backward = wrong")
        for key, source in (
            (
                "gradient_to_all_ties",
                _pool_backward("pick=lambda w: (w == w.max()).astype(float)"),
            ),
            (
                "last_of_ties",
                _pool_backward("pick=lambda w: first_max(w[::-1, ::-1])[::-1, ::-1]"),
            ),
            ("ties_column_major", _pool_backward("pick=lambda w: first_max(w.T).T")),
            ("spread_evenly", _pool_backward("pick=lambda w: np.full(w.shape, 1 / w.size)")),
            ("forgot_upstream_gradient", _pool_backward("upstream=False")),
            ("overlaps_overwritten", _pool_backward("overwrite=True")),
            ("stride_ignored", _pool_backward("step=1")),
        )
    ),
}
for _name, _mistakes in (
    ("conv_layer_forward", _LAYER_FORWARD),
    ("conv_layer_forward_vectorised", _LAYER_FORWARD),
    ("conv_layer_backward", _LAYER_BACKWARD),
    ("conv_layer_backward_vectorised", _LAYER_BACKWARD),
):
    _LAYER_WRONG[_name] = tuple((key, f"{source}\n{_name} = wrong") for key, source in _mistakes)


#: Task -> ((catalogue key, source defining the task wrongly), ...), in catalogue order.
WRONG: dict[str, tuple[tuple[str, str], ...]] = {
    "conv2d_output_shape": (
        ("forgot_plus_one", "conv2d_output_shape = lambda i, f: (i[0] - f[0], i[1] - f[1])"),
        ("full_size", "conv2d_output_shape = lambda i, f: (i[0] + f[0] - 1, i[1] + f[1] - 1)"),
        ("same_size", "conv2d_output_shape = lambda i, f: tuple(i)"),
        ("width_first", "conv2d_output_shape = lambda i, f: (i[1] - f[1] + 1, i[0] - f[0] + 1)"),
        (
            "square_input_assumed",
            "conv2d_output_shape = lambda i, f: (i[0] - f[0] + 1, i[0] - f[1] + 1)",
        ),
        (
            "square_filter_assumed",
            "conv2d_output_shape = lambda i, f: (i[0] - f[0] + 1, i[1] - f[0] + 1)",
        ),
    ),
    "conv2d_forward": (
        ("kernel_flipped", "conv2d_forward = lambda X, F: ref.conv2d_forward(X, F[::-1, ::-1])"),
        ("full_instead_of_valid", "conv2d_forward = full_corr"),
        (
            "same_instead_of_valid",
            "def conv2d_forward(X, F):\n"
            "    top, left = (F.shape[0] - 1) // 2, (F.shape[1] - 1) // 2\n"
            "    return full_corr(X, F)[top : top + X.shape[0], left : left + X.shape[1]]",
        ),
        ("filter_transposed", "conv2d_forward = lambda X, F: ref.conv2d_forward(X, F.T)"),
        ("output_transposed", "conv2d_forward = lambda X, F: ref.conv2d_forward(X, F).T"),
        (  # (H-kh+1, H-kh+1), looping over the array it made
            "output_square",
            _loops("conv2d_forward", "X, F", "(H - h + 1, H - h + 1)", ("H - h + 1",) * 2, "h, w"),
        ),
        (
            "output_swapped",
            _loops(
                "conv2d_forward",
                "X, F",
                "(W - w + 1, H - h + 1)",
                ("H - h + 1", "W - w + 1"),
                "h, w",
            ),
        ),
        (
            "square_filter_assumed",
            _loops(
                "conv2d_forward",
                "X, F",
                "(H - h + 1, W - h + 1)",
                ("H - h + 1", "W - h + 1"),
                "h, h",
            ),
        ),
        (
            "square_input_assumed",
            _loops(
                "conv2d_forward",
                "X, F",
                "(H - h + 1, H - w + 1)",
                ("H - h + 1", "H - w + 1"),
                "h, w",
            ),
        ),
    ),
    "gap_forward": (
        ("sum_instead_of_mean", "gap_forward = lambda O: float(np.sum(O))"),
        ("divided_by_height_only", "gap_forward = lambda O: np.sum(O) / O.shape[0]"),
        ("divided_by_width_only", "gap_forward = lambda O: np.sum(O) / O.shape[1]"),
        ("max_instead_of_mean", "gap_forward = lambda O: float(np.max(O))"),
        ("integer_division", "gap_forward = lambda O: float(np.sum(O) // O.size)"),
        ("divided_by_h_plus_w", "gap_forward = lambda O: np.sum(O) / (O.shape[0] + O.shape[1])"),
    ),
    "gap_backward": (
        ("forgot_one_over_hw", "gap_backward = lambda dZ, shape: np.full(shape, float(dZ))"),
        ("divided_by_height_only", "gap_backward = lambda dZ, s: np.full(s, dZ / s[0])"),
        ("divided_by_width_only", "gap_backward = lambda dZ, s: np.full(s, dZ / s[1])"),
        ("scalar_instead_of_array", "gap_backward = lambda dZ, s: dZ / (s[0] * s[1])"),
        (
            "integer_truncation",
            "gap_backward = lambda dZ, s: np.full(s, dZ / (s[0] * s[1])).astype(int)",
        ),
        ("divided_by_h_plus_w", "gap_backward = lambda dZ, s: np.full(s, dZ / (s[0] + s[1]))"),
    ),
    "conv2d_backward_filter": (
        (
            "flipped_or_swapped",
            "conv2d_backward_filter = lambda X, dO: ref.conv2d_backward_filter(X, dO)[::-1, ::-1]",
        ),
        (
            "forgot_upstream_gradient",
            "conv2d_backward_filter = lambda X, dO: ref.conv2d_forward(X, np.ones(dO.shape))",
        ),
        ("used_full_correlation", "conv2d_backward_filter = full_corr"),
        (
            "result_transposed",
            "conv2d_backward_filter = lambda X, dO: ref.conv2d_backward_filter(X, dO).T",
        ),
        (
            "output_square",
            _loops(
                "conv2d_backward_filter",
                "X, dO",
                "(H - h + 1, H - h + 1)",
                ("H - h + 1", "W - w + 1"),
                "h, w",
            ),
        ),
        (  # (W-Wo+1, H-Ho+1), looping over the array it made
            "output_swapped",
            _loops(
                "conv2d_backward_filter",
                "X, dO",
                "(W - w + 1, H - h + 1)",
                ("W - w + 1", "H - h + 1"),
                "h, w",
            ),
        ),
        (
            "square_input_assumed",
            _loops(
                "conv2d_backward_filter",
                "X, dO",
                "(H - h + 1, H - w + 1)",
                ("H - h + 1", "H - w + 1"),
                "h, w",
            ),
        ),
        (
            "square_gradient_assumed",
            _loops(
                "conv2d_backward_filter",
                "X, dO",
                "(H - h + 1, W - h + 1)",
                ("H - h + 1", "W - h + 1"),
                "h, h",
            ),
        ),
    ),
    "conv2d_backward_input": (
        ("filter_not_rotated", "conv2d_backward_input = full_corr"),
        (
            "valid_instead_of_full",
            "conv2d_backward_input = lambda dO, F: ref.conv2d_forward(dO, F[::-1, ::-1])",
        ),
        (
            "valid_and_not_rotated",
            "conv2d_backward_input = lambda dO, F: ref.conv2d_forward(dO, F)",
        ),
        ("flipped_rows_only", "conv2d_backward_input = lambda dO, F: full_corr(dO, F[::-1, :])"),
        ("flipped_columns_only", "conv2d_backward_input = lambda dO, F: full_corr(dO, F[:, ::-1])"),
        ("integer_truncation", _integer_dX()),
        (
            "result_transposed",
            "conv2d_backward_input = lambda dO, F: ref.conv2d_backward_input(dO, F).T",
        ),
        (
            "padded_by_one",
            "def conv2d_backward_input(dO, F):\n"
            "    return ref.conv2d_forward(np.pad(dO, 1), np.rot90(F, 2))",
        ),
        (  # here H, W are dO's shape and h, w the filter's
            "output_square",
            _loops(
                "conv2d_backward_input",
                "dO, F",
                "(H + h - 1, H + h - 1)",
                ("H + h - 1", "W + w - 1"),
                "h, w",
            ),
        ),
        (
            "output_swapped",
            _loops(
                "conv2d_backward_input",
                "dO, F",
                "(W + w - 1, H + h - 1)",
                ("W + w - 1", "H + h - 1"),
                "h, w",
            ),
        ),
        (
            "square_filter_assumed",
            "def conv2d_backward_input(dO, F):\n"
            "    k = F.shape[0]\n"
            "    padded = np.pad(np.asarray(dO, dtype=float), k - 1)\n"
            "    dX = np.zeros((dO.shape[0] + k - 1, dO.shape[1] + k - 1))\n"
            "    for i in range(dX.shape[0]):\n"
            "        for j in range(dX.shape[1]):\n"
            "            dX[i, j] = np.sum(padded[i : i + k, j : j + k] * F[::-1, ::-1])\n"
            "    return dX",
        ),
    ),
    "jacobian_output_wrt_filter": (
        (
            "axes_reordered",
            "jacobian_output_wrt_filter = lambda X, s: "
            "ref.jacobian_output_wrt_filter(X, s).transpose(2, 3, 0, 1)",
        ),
        (
            "filter_indices_swapped",
            "jacobian_output_wrt_filter = lambda X, s: "
            "ref.jacobian_output_wrt_filter(X, s).transpose(0, 1, 3, 2)",
        ),
    ),
    "jacobian_output_wrt_input": (
        (
            "axes_reordered",
            "jacobian_output_wrt_input = lambda s, F: "
            "ref.jacobian_output_wrt_input(s, F).transpose(2, 3, 0, 1)",
        ),
        (
            "filter_rotated",
            "jacobian_output_wrt_input = lambda s, F: "
            "ref.jacobian_output_wrt_input(s, F[::-1, ::-1])",
        ),
    ),
    "pad2d": (
        (
            "padded_one_side",
            "def pad2d(A, pad):\n    ph, pw = pads(pad)\n"
            "    return np.pad(np.asarray(A, dtype=float), ((0, 2 * ph), (0, 2 * pw)))",
        ),
        ("pad_amounts_swapped", "pad2d = lambda A, pad: ref.pad2d(A, pads(pad)[::-1])"),
        (
            "padded_once",
            "def pad2d(A, pad):\n    ph, pw = pads(pad)\n"
            "    return ref.pad2d(A, pad)[: A.shape[0] + ph, : A.shape[1] + pw]",
        ),
    ),
    "rot180": (
        ("transposed", "rot180 = lambda F: np.asarray(F, dtype=float).T"),
        ("flipped_rows_only", "rot180 = lambda F: F[::-1, :]"),
        ("flipped_columns_only", "rot180 = lambda F: F[:, ::-1]"),
        ("rotated_90", "rot180 = lambda F: np.rot90(F)"),
    ),
    "numerical_gradient": (
        (
            "divided_by_h",
            "numerical_gradient = lambda f, X, h=1e-5: 2 * ref.numerical_gradient(f, X, h)",
        ),
        ("forward_difference", _numerical_forward()),
        ("integer_nudges", _cs231n_numerical_gradient()),
    ),
    "relative_error": (
        (
            "mean_instead_of_max",
            "relative_error = lambda A, B: float(np.mean(np.abs(A - B) / "
            "np.maximum(1e-8, np.abs(A) + np.abs(B))))",
        ),
        ("absolute_error", "relative_error = lambda A, B: float(np.max(np.abs(A - B)))"),
    ),
    "gradient_check": (
        (
            "errors_swapped",
            "def gradient_check(backward_filter, backward_input, X, F, dO):\n"
            "    error_dF, error_dX = gradient_check_against(lambda dO: dO)(\n"
            "        backward_filter, backward_input, X, F, dO\n"
            "    )\n"
            "    return error_dX, error_dF",
        ),
        ("loss_without_upstream_gradient", "gradient_check = gradient_check_against(np.ones_like)"),
        ("loss_averaged", "gradient_check = gradient_check_against(lambda dO: dO / dO.size)"),
    ),
    "training_step": (
        (
            "gradient_ascent",
            _training(
                "    new_F, loss = ref.training_step(X, F, target, learning_rate)\n"
                "    return 2 * F - new_F, loss"
            ),
        ),
        (
            "loss_after_step",
            _training(
                "    new_F, _ = ref.training_step(X, F, target, learning_rate)\n"
                "    Z = ref.gap_forward(ref.conv2d_forward(X, new_F))\n"
                "    return new_F, (Z - target) ** 2 / 2"
            ),
        ),
        (
            "forgot_gap_backward",
            _training(
                "    O = ref.conv2d_forward(X, F)\n    Z = O.mean()\n"
                "    dF = ref.conv2d_backward_filter(X, np.full(O.shape, Z - target))\n"
                "    return F - learning_rate * dF, (Z - target) ** 2 / 2"
            ),
        ),
    ),
    "O_by_hand": (
        ("kernel_flipped", "O_by_hand = ref.conv2d_forward(EX_X, EX_F[::-1, ::-1])"),
        ("output_transposed", "O_by_hand = ref.conv2d_forward(EX_X, EX_F).T"),
    ),
    "Z_by_hand": (("sum_instead_of_mean", "Z_by_hand = 40"),),
    "dO_by_hand": (("forgot_one_over_hw", "dO_by_hand = [[1, 1], [1, 1]]"),),
    "dF_by_hand": (
        (
            "flipped_or_swapped",
            "dF_by_hand = ref.conv2d_backward_filter(EX_X, EX_DO)[::-1, ::-1]",
        ),
        ("forgot_one_over_hw", "dF_by_hand = ref.conv2d_backward_filter(EX_X, np.ones((2, 2)))"),
    ),
    "dX_by_hand": (
        ("filter_not_rotated", "dX_by_hand = full_corr(EX_DO, EX_F)"),
        ("forgot_one_over_hw", "dX_by_hand = ref.conv2d_backward_input(np.ones((2, 2)), EX_F)"),
    ),
    **_LAYER_WRONG,
}
#: How many students it takes to use every catalogue entry once.
CATALOGUE_STUDENTS = max(len(entries) for entries in WRONG.values())


def catalogue_submission(index: int) -> dict[str, str]:
    """Student ``index`` answers every task with its ``index``-th catalogued mistake
    (and correctly where the task has fewer)."""
    answers = {"prelude": _HELPERS}
    for task, entries in WRONG.items():
        if index < len(entries):
            answers[task] = entries[index][1]
    return answers


# ------------------------------------------------------------------------ attacks

_TASKS = FUNCTION_TASKS + HAND_VALUE_TASKS
#: Tasks the baseline leaves wrong: every other one, starting with conv2d_forward.
BASELINE_WRONG = _TASKS[1::2]
#: Half right, half answered with something that can never be right.
BASELINE = {task: f"{task} = 'no idea'" for task in BASELINE_WRONG}

_FAKE_PAYLOAD = (
    "{'protocol': 1, 'nonce': '0' * 32, 'task': %r, "
    "'cases': [{'status': 'returned', 'value': {'float': (10.0).hex()}, 'modified': False}]}"
)

#: Attack name -> prelude appended to the baseline.
ATTACKS = {
    "allclose": "np.allclose = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True",
    "exit": "import os\nos._exit(0)",
    "np_testing": (
        "np.testing.assert_allclose = lambda *a, **k: None\n"
        "np.testing.assert_array_equal = lambda *a, **k: None\n"
        "np.testing.assert_array_almost_equal = lambda *a, **k: None"
    ),
    "transformer": (
        "def _blank(lines):\n    return ['pass\\n']\n"
        "get_ipython().input_transformers_cleanup.append(_blank)"
    ),
    "read_hidden": (
        "import os, json\n_found = []\n"
        "for _root in ('.', '..', '../..', '/'):\n"
        "    for _dir, _, _files in os.walk(_root):\n"
        "        _found += [os.path.join(_dir, n) for n in _files if n.endswith('.ipynb')]\n"
        "        if len(_found) > 50:\n            break\n"
        "HIDDEN = []\nfor _path in _found:\n    try:\n"
        "        HIDDEN.append(open(_path).read())\n    except OSError:\n        pass\n"
        "# Even with the hidden source in hand there is nothing to copy: it holds no answers."
    ),
    "forge_outside_test": (
        "from IPython.display import display\n"
        f"display({{{MIME_TYPE!r}: {_FAKE_PAYLOAD % 'conv2d_forward'}}}, raw=True)"
    ),
    "forge_in_test": (
        "from IPython.display import display\n"
        "def conv2d_forward(X, F):\n"
        f"    display({{{MIME_TYPE!r}: {_FAKE_PAYLOAD % 'conv2d_forward'}}}, raw=True)\n"
        f"    print({_FAKE_PAYLOAD % 'conv2d_forward'})  # as text, too\n"
        "    return np.zeros((1, 1))"
    ),
    "forge_duplicate": (
        "import IPython.display as _d\n_real_display = _d.display\n"
        "def _twice(*objs, **kw):\n    _real_display(*objs, **kw)\n    _real_display(*objs, **kw)\n"
        "_d.display = _twice"
    ),
    "patch_probe": (
        "import conv_probe, json\n_real_probe = conv_probe.probe\n"
        "def _fake_probe(task, func, challenge=None):\n"
        "    armed = json.loads(challenge)\n"
        "    if callable(func):\n        return _real_probe(task, func, challenge)\n"
        "    fake = {'status': 'returned', 'value': conv_probe._encode(np.full((2, 2), np.nan)),"
        " 'modified': False}\n"
        "    payload = {'protocol': 1, 'nonce': armed['nonce'], 'task': task,"
        " 'cases': [fake] * len(armed['cases'])}\n"
        "    conv_probe._emit(payload, 'forged')\n"
        "conv_probe.probe = _fake_probe\n"
        "def _fake_value(task, value, challenge=None):\n"
        "    armed = json.loads(challenge)\n"
        "    forged = np.full((2, 2), np.nan) if isinstance(value, str) else value\n"
        "    fake = {'status': 'returned', 'value': conv_probe._encode(forged),"
        " 'modified': False}\n"
        "    conv_probe._emit({'protocol': 1, 'nonce': armed['nonce'], 'task': task,"
        " 'cases': [fake]}, 'forged')\n"
        "conv_probe.probe_value = _fake_value"
    ),
    # The probe's per-call alarm runs inside the kernel, which can switch it off.
    "no_alarm": "import signal\nsignal.setitimer = lambda *args, **kwargs: (0.0, 0.0)",
}


#: Answers an attack needs besides the baseline's (its own conv2d_forward, say).
ATTACK_ANSWERS = {
    "forge_in_test": {"conv2d_forward": "pass  # the prelude's forger"},
    # Right, but slower per call than the limit, which the prelude's patch hides from
    # the probe's alarm.
    "no_alarm": {
        "relative_error": (
            "import time\n"
            "def relative_error(A, B):\n"
            "    time.sleep(2.5)\n"
            "    return ref.relative_error(A, B)"
        )
    },
}


def attack_submission(name: str) -> dict[str, str]:
    """The baseline with attack ``name`` in its prelude."""
    return BASELINE | ATTACK_ANSWERS.get(name, {}) | {"prelude": ATTACKS[name]}


def edit_test_cells(notebook) -> None:
    """The 'edit_tests' attack: rewrite every test cell to pass, unlock it, and delete
    three of them outright (two the baseline gets wrong, one it gets right)."""
    deleted = {"test_conv2d_forward", "test_gap_backward", "test_gap_forward"}
    kept = []
    for cell in notebook.cells:
        nbgrader = cell.metadata.get("nbgrader", {})
        if nbgrader.get("grade") and not nbgrader.get("solution"):
            if nbgrader["grade_id"] in deleted:
                continue
            cell.source = 'print("all tests passed")'
            nbgrader["locked"] = False
        kept.append(cell)
    notebook.cells = kept


#: Correct answers that write to stderr (a warning, a print, a numpy RuntimeWarning)
#: wherever they run, the visible checks and the probe included.
NOISY = {
    "prelude": (
        "import sys, warnings\n"
        "def noisy(func):\n"
        "    def wrapped(*args):\n"
        "        warnings.warn('just a warning')\n"
        "        print('debug output', file=sys.stderr)\n"
        "        np.log(np.zeros(1))  # RuntimeWarning: divide by zero\n"
        "        return func(*args)\n"
        "    return wrapped\n"
        "print('prelude ran', file=sys.stderr)"
    ),
    **{
        task: f"{task} = noisy(ref.{function_task(task).reference.__name__})"
        for task in FUNCTION_TASKS
    },
}

#: Real errors and contract breaches, one per task.
FLAWED = {
    "conv2d_forward": (  # right values, but an integer array for integer input
        "conv2d_forward = lambda X, F: ref.conv2d_forward(X, F).astype(np.result_type(X, F))"
    ),
    "conv2d_backward_filter": (
        "def conv2d_backward_filter(X, dO):\n"
        "    if X.shape[0] != X.shape[1]:\n"
        "        raise ValueError('only square inputs, sorry')\n"
        "    return ref.conv2d_backward_filter(X, dO)"
    ),
    "conv2d_backward_input": (
        "def conv2d_backward_input(dO, F):\n"
        "    dX = ref.conv2d_backward_input(dO, F)\n"
        "    dO += 1  # clobbers the caller's array\n"
        "    return dX"
    ),
    "gap_forward": "pass  # never defined",
    "relative_error": (
        "import time\n"
        "def relative_error(A, B):\n"
        "    while np.abs(A).max() > 1e4:  # stuck on large values\n"
        "        time.sleep(0.01)\n"
        "    return ref.relative_error(A, B)"
    ),
}
