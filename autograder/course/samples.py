"""The bundled sample class: submissions generated from the released notebooks.

Each :class:`SampleStudent` says what to put in the answer cells (by the solution cell's
``grade_id``, i.e. the task name), which cells to add, and which notebooks to drop or
corrupt. Everything else comes from the release, so the samples follow the notebooks as
they change. A student who is not blank starts from the source's own solutions (the
loop-style answers) and overrides some of them.

:func:`write_lms_download` writes one ``<lms_id>.zip`` per student, as an LMS exports
them, so the demo also exercises unpacking and the id map.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

from autograder.verify.tasks import FUNCTION_TASKS

__all__ = ["SAMPLE_CLASS", "SampleStudent", "write_lms_download", "write_submission"]

_SOLUTION_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


@dataclass(frozen=True)
class SampleStudent:
    """One sample submission.

    Attributes
    ----------
    lms_id : str
        The id the LMS exports (the zip's name).
    story : str
        What the submission shows, in one line.
    answers : dict of str to str
        Answer cell sources by ``grade_id``, replacing the source solution.
    blank : bool
        Start from the released stubs instead of the source solutions.
    skipped : tuple of str
        Notebooks submitted as released (stubs): an optional notebook not done.
    added_cells : dict of str to str
        Code cells added after each notebook's first code cell, by notebook name
        (``"*"`` for every notebook).
    dropped : tuple of str
        Notebooks left out of the submission.
    corrupted : tuple of str
        Notebooks submitted as truncated JSON.
    """

    lms_id: str
    story: str
    answers: dict[str, str] = field(default_factory=dict)
    blank: bool = False
    skipped: tuple[str, ...] = ()
    added_cells: dict[str, str] = field(default_factory=dict)
    dropped: tuple[str, ...] = ()
    corrupted: tuple[str, ...] = ()


# ------------------------------------------------------------ correct, other styles

_VECTORISED = {
    "conv2d_forward": '''\
def conv2d_forward(X, F):
    """'Valid' cross-correlation with sliding windows and einsum."""
    X = np.asarray(X, dtype=float)
    F = np.asarray(F, dtype=float)
    windows = np.lib.stride_tricks.sliding_window_view(X, F.shape)
    return np.einsum("abpq,pq->ab", windows, F)''',
    "gap_backward": '''\
def gap_backward(dZ, shape):
    """Every element gets an equal share of dZ."""
    return np.ones(shape) * (dZ / np.prod(shape))''',
    "conv2d_backward_filter": '''\
def conv2d_backward_filter(X, dO):
    """dF[p, q] = sum_ab dO[a, b] X[a+p, b+q], with sliding windows."""
    X = np.asarray(X, dtype=float)
    dO = np.asarray(dO, dtype=float)
    windows = np.lib.stride_tricks.sliding_window_view(X, dO.shape)
    return np.einsum("pqab,ab->pq", windows, dO)''',
    "conv2d_backward_input": '''\
def conv2d_backward_input(dO, F):
    """Scatter each dO[a, b] * F onto the window it came from."""
    dO = np.asarray(dO, dtype=float)
    F = np.asarray(F, dtype=float)
    kh, kw = F.shape
    dX = np.zeros((dO.shape[0] + kh - 1, dO.shape[1] + kw - 1))
    for a, b in np.ndindex(dO.shape):
        dX[a : a + kh, b : b + kw] += dO[a, b] * F
    return dX''',
    "O_by_hand": "O_by_hand = np.array([[10.0, 3.0], [9.0, 18.0]])",
    "Z_by_hand": "Z_by_hand = 10.0",
    "dO_by_hand": "dO_by_hand = np.full((2, 2), 0.25)",
    "dF_by_hand": "dF_by_hand = np.array([[2.25, 3.25], [1.75, 0.75]])",
}

_NUMPY_BUILTINS = {
    "pad2d": '''\
def pad2d(A, pad):
    """np.pad does it."""
    pad_h, pad_w = (pad, pad) if np.isscalar(pad) else pad
    return np.pad(np.asarray(A, dtype=float), ((pad_h, pad_h), (pad_w, pad_w)))''',
    "rot180": '''\
def rot180(F):
    """Reverse both axes."""
    return np.asarray(F, dtype=float)[::-1, ::-1].copy()''',
    "conv2d_output_shape": """\
def conv2d_output_shape(input_shape, filter_shape):
    H, W = input_shape
    kh, kw = filter_shape
    return (H - kh + 1, W - kw + 1)""",
    "dX_by_hand": "dX_by_hand = [[0, 0.75, 0.75], [0.25, 0.5, 0.25], [0.25, -0.25, -0.5]]",
}

# --------------------------------------------- notebook 7 (bonus): typical mistakes

#: db per example: summed over the positions but not over the batch, shape (N, K).
_DB_PER_EXAMPLE = """\
def conv_layer_backward(dO, X, F, stride, pad):
    dO = np.asarray(dO, dtype=float)
    X = np.asarray(X, dtype=float)
    F = np.asarray(F, dtype=float)
    N, _, H, W = X.shape
    K, _, kh, kw = F.shape
    Xp = np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dXp = np.zeros_like(Xp)
    dF = np.zeros_like(F)
    for n, k, i, j in np.ndindex(dO.shape):
        rows = slice(i * stride, i * stride + kh)
        cols = slice(j * stride, j * stride + kw)
        dXp[n, :, rows, cols] += dO[n, k, i, j] * F[k]
        dF[k] += dO[n, k, i, j] * Xp[n, :, rows, cols]
    db = dO.sum(axis=(2, 3))
    return dXp[:, :, pad : pad + H, pad : pad + W], dF, db"""

#: Ties in max pooling sent to the last largest element instead of the first.
_LAST_TIE = """\
def max_pool_backward(dO, X, pool_shape, stride):
    dO = np.asarray(dO, dtype=float)
    X = np.asarray(X, dtype=float)
    ph, pw = pool_shape
    dX = np.zeros(X.shape)
    for n, c, i, j in np.ndindex(dO.shape):
        window = X[n, c, i * stride : i * stride + ph, j * stride : j * stride + pw]
        flat = window.ravel()
        last = flat.size - 1 - np.argmax(flat[::-1])
        p, q = np.unravel_index(last, window.shape)
        dX[n, c, i * stride + p, j * stride + q] += dO[n, c, i, j]
    return dX"""

#: The stride left out: a window at every position.
_STRIDE_IGNORED = """\
def conv_layer_forward(X, F, b, stride, pad):
    X = np.asarray(X, dtype=float)
    F = np.asarray(F, dtype=float)
    b = np.asarray(b, dtype=float)
    Xp = np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    N, K = X.shape[0], F.shape[0]
    kh, kw = F.shape[2:]
    Ho, Wo = Xp.shape[2] - kh + 1, Xp.shape[3] - kw + 1
    O = np.zeros((N, K, Ho, Wo))
    for n, k, i, j in np.ndindex(O.shape):
        O[n, k, i, j] = np.sum(Xp[n, :, i : i + kh, j : j + kw] * F[k]) + b[k]
    return O"""

# ------------------------------------------------------------------- the attacks

_NUMPY_MONKEYPATCH = """\
# Make every comparison succeed.
np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.shape(a), dtype=bool)
np.testing.assert_allclose = lambda *args, **kwargs: None
np.testing.assert_array_equal = lambda *args, **kwargs: None"""

_INPUT_TRANSFORMER = """\
# Rewrite every test cell into `pass` before it runs.
def _skip_tests(lines):
    is_test = any("checks." in line or "conv_probe" in line for line in lines)
    return ["pass\\n"] if is_test else lines

get_ipython().input_transformers_post.append(_skip_tests)"""

_PROBE_FORGERY = """\
# Silence the probe, then emit forged answers under its MIME type.
import glob
import json

import conv_probe
from IPython.display import display

conv_probe.probe = lambda *args, **kwargs: None
conv_probe.probe_value = lambda *args, **kwargs: None
for path in glob.glob("*.ipynb") + glob.glob("../**/*.ipynb", recursive=True):
    print("read", path, len(open(path).read()))
display(
    {"application/vnd.conv-backprop.probe+json": {"protocol": 1, "nonce": "x", "results": []}},
    raw=True,
)"""

_ZEROS_EVERYWHERE = {
    name: f"def {name}(*args, **kwargs):\n    return np.zeros((2, 2))" for name in FUNCTION_TASKS
}

# ---------------------------------------------------------------- the class list

SAMPLE_CLASS: tuple[SampleStudent, ...] = (
    SampleStudent("ada", "correct: the source's loop-style solutions"),
    SampleStudent("ben.okafor", "correct: sliding windows, einsum, NumPy hand values", _VECTORISED),
    SampleStudent(
        "Chloé Dubois",
        "correct: NumPy built-ins, floats as hand values; skipped the bonus notebook",
        _NUMPY_BUILTINS,
        skipped=("07_conv_layer",),
    ),
    SampleStudent(
        "dan",
        "kernel flipped in O by hand; output shape without the +1",
        {
            "O_by_hand": "O_by_hand = [[8, 1], [7, 0]]",
            "conv2d_output_shape": "def conv2d_output_shape(input_shape, filter_shape):\n"
            "    return (input_shape[0] - filter_shape[0], input_shape[1] - filter_shape[1])",
        },
    ),
    SampleStudent(
        "eve",
        "'valid' where dL/dX needs a 'full' correlation; bonus: db per example",
        {
            "conv2d_backward_input": "def conv2d_backward_input(dO, F):\n"
            "    return conv2d_forward(np.asarray(dO, dtype=float), rot180(F))",
            "conv_layer_backward": _DB_PER_EXAMPLE,
        },
    ),
    SampleStudent(
        "fay",
        "GAP backward without 1/(H*W), in code and by hand; bonus: the last of tied maxima",
        {
            "gap_backward": "def gap_backward(dZ, shape):\n    return np.full(shape, float(dZ))",
            "dO_by_hand": "dO_by_hand = [[1, 1], [1, 1]]",
            "max_pool_backward": _LAST_TIE,
        },
    ),
    SampleStudent(
        "gus",
        "X and dL/dO swapped for dL/dF; filter not rotated for dL/dX (by hand)",
        {
            "dF_by_hand": "dF_by_hand = [[Fraction(3, 4), Fraction(7, 4)], "
            "[Fraction(13, 4), Fraction(9, 4)]]",
            "dX_by_hand": "dX_by_hand = [[Fraction(-1, 2), Fraction(-1, 4), Fraction(1, 4)], "
            "[Fraction(1, 4), Fraction(1, 2), Fraction(1, 4)], "
            "[Fraction(3, 4), Fraction(3, 4), 0]]",
        },
    ),
    SampleStudent(
        "hal",
        "O by hand transposed; Z by hand a sum, not a mean; bonus: the stride ignored",
        {
            "O_by_hand": "O_by_hand = [[10, 9], [3, 18]]",
            "Z_by_hand": "Z_by_hand = 40",
            "conv_layer_forward": _STRIDE_IGNORED,
        },
    ),
    SampleStudent(
        "ines",
        "training step goes uphill (F + lr * dF)",
        {
            "training_step": "def training_step(X, F, target, learning_rate):\n"
            "    O = conv2d_forward(X, F)\n"
            "    Z = gap_forward(O)\n"
            "    dF = conv2d_backward_filter(X, gap_backward(Z - target, O.shape))\n"
            "    return np.asarray(F, dtype=float) + learning_rate * dF, (Z - target) ** 2 / 2",
        },
    ),
    SampleStudent("ivy", "blank: the release as downloaded", blank=True),
    SampleStudent(
        "jon",
        "an infinite loop in the numerical gradient cell",
        {"numerical_gradient": "while True:\n    pass"},
    ),
    SampleStudent("kim", "notebook 3 is corrupt (cut off)", corrupted=("03_filter_gradient",)),
    SampleStudent("leo", "notebook 6 not submitted", dropped=("06_putting_it_together",)),
    SampleStudent(
        "mia",
        "kills the kernel in notebook 2 (os._exit)",
        added_cells={"02_gap": "import os\n\nos._exit(1)"},
    ),
    SampleStudent(
        "mallory-numpy",
        "attack: wrong answers and numpy's comparisons patched to succeed",
        _ZEROS_EVERYWHERE,
        blank=True,
        added_cells={"*": _NUMPY_MONKEYPATCH},
    ),
    SampleStudent(
        "mallory-transformer",
        "attack: an IPython input transformer that turns test cells into `pass`",
        blank=True,
        added_cells={"*": _INPUT_TRANSFORMER},
    ),
    SampleStudent(
        "mallory-probe",
        "attack: probe silenced, forged probe output, notebooks read from disk",
        blank=True,
        added_cells={"*": _PROBE_FORGERY},
    ),
)


def _solution(source: str) -> str:
    return _SOLUTION_MARKER.sub("", source).strip()


def _source_solutions(source_dir: Path) -> dict[str, str]:
    """Every solution cell of the source notebooks, markers removed, by grade_id."""
    solutions = {}
    for path in sorted(source_dir.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution") and cell.cell_type == "code":
                solutions[meta["grade_id"]] = _solution(cell.source)
    return solutions


def write_submission(
    student: SampleStudent, release_dir: Path, source_dir: Path, out_dir: Path
) -> list[Path]:
    """Write one student's notebooks into ``out_dir``.

    Parameters
    ----------
    student : SampleStudent
        What to submit.
    release_dir : Path
        The released assignment (``release/<assignment>``) the student downloaded.
    source_dir : Path
        The source assignment, for the correct answers.
    out_dir : Path
        Where the notebooks go.

    Returns
    -------
    list of Path
        The files written.
    """
    answers = {} if student.blank else _source_solutions(source_dir)
    answers.update(student.answers)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(release_dir.glob("*.ipynb")):
        name = path.stem
        if name in student.dropped:
            continue
        target = out_dir / path.name
        if name in student.corrupted:
            text = path.read_text(encoding="utf-8")
            target.write_text(text[: len(text) // 2], encoding="utf-8")
            written.append(target)
            continue
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            solution = cell.metadata.get("nbgrader", {}).get("solution")
            if solution and grade_id in answers and name not in student.skipped:
                cell.source = answers[grade_id]
        added = student.added_cells.get(name) or student.added_cells.get("*")
        if added:
            first_code = next(
                i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"
            )
            notebook.cells.insert(first_code + 1, new_code_cell(added))
        nbformat.write(notebook, target)
        written.append(target)
    for helper in sorted(release_dir.glob("*.py")):
        target = out_dir / helper.name
        target.write_bytes(helper.read_bytes())
        written.append(target)
    return written


def write_lms_download(
    release_dir: Path,
    source_dir: Path,
    out_dir: Path,
    students: tuple[SampleStudent, ...] = SAMPLE_CLASS,
) -> list[Path]:
    """Write ``<lms_id>.zip`` per student into ``out_dir``, as an LMS exports them.

    Returns
    -------
    list of Path
        The zips, in class order.
    """
    out_dir = Path(out_dir)
    staging = out_dir / ".staging"
    zips = []
    for student in students:
        folder = staging / student.lms_id
        files = write_submission(student, Path(release_dir), Path(source_dir), folder)
        target = out_dir / f"{student.lms_id}.zip"
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                archive.write(path, f"{release_dir.name}/{path.name}")
        zips.append(target)
    for path in sorted(staging.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    staging.rmdir()
    return zips
