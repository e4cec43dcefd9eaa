"""Run the course's notebooks the way a student's machine does, for the notebook tests.

Notebooks run in the student runtime's kernel (numpy and matplotlib, no ``autograder``),
from a scratch copy of their folder, so tests never write into the repository.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parent.parent
SOURCE_DIR = REPO / "source" / "conv_backprop"
NOTEBOOKS_DIR = REPO / "notebooks"
STUDENT_KERNEL = "conv-backprop-student"
#: The graded task names fixed by the lead's interfaces, in notebook order.
FUNCTION_TASKS = (
    "conv2d_output_shape",
    "conv2d_forward",
    "gap_forward",
    "gap_backward",
    "jacobian_output_wrt_filter",
    "conv2d_backward_filter",
    "jacobian_output_wrt_input",
    "pad2d",
    "rot180",
    "conv2d_backward_input",
    "numerical_gradient",
    "relative_error",
    "training_step",
)
HAND_VALUE_TASKS = ("O_by_hand", "Z_by_hand", "dO_by_hand", "dF_by_hand", "dX_by_hand")


def notebook_paths(folder: Path) -> list[Path]:
    """The numbered notebooks of a folder, in order."""
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def copy_folder(folder: Path, scratch: Path) -> Path:
    """Copy a notebook folder (files only, caches left out) into ``scratch``."""
    shutil.copytree(
        folder, scratch, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    )
    return scratch


def execute(path: Path, allow_errors: bool = False) -> tuple[nbformat.NotebookNode, float]:
    """Execute a notebook in the student kernel from its own folder.

    Parameters
    ----------
    path : Path
        The notebook, inside a scratch folder that holds its helper modules.
    allow_errors : bool
        Keep going after a cell raises (for blank student versions).

    Returns
    -------
    notebook : NotebookNode
        The executed notebook, outputs included.
    seconds : float
        Wall-clock time of the run, kernel start included.
    """
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=STUDENT_KERNEL,
        timeout=120,
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - start


def stderr_text(nb: nbformat.NotebookNode) -> list[str]:
    """Everything any cell wrote to stderr."""
    return [
        output.get("text", "")
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream" and output.name == "stderr"
    ]


def errors(nb: nbformat.NotebookNode) -> list[tuple[int, str]]:
    """(cell index, exception name) of every cell that raised."""
    return [
        (index, output.ename)
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]


def in_parallel(function: Callable[..., Any], items: Iterable[Any]) -> list[Any]:
    """``[function(item) for item in items]``, three kernels at a time.

    Most of a notebook's run is kernel start-up and waiting on it, so a few side by side
    finish much sooner than one after the other, even on two cores. Separate processes
    keep each run's working directory and event loop to itself.
    """
    with ProcessPoolExecutor(max_workers=3) as pool:
        return list(pool.map(function, items))
