"""Run a source notebook's code cells in this process, to test what its text says.

The source notebooks hold the solutions, so running their code cells in order gives the
variables a student sees after running the notebook top to bottom: the notebook's own
data. A claim about that data, or a cell run again with one change, is then a few
milliseconds of numpy instead of a kernel start.
"""

from __future__ import annotations

import contextlib
import functools
import io
import sys
from collections.abc import Iterator

import matplotlib
import matplotlib.pyplot as plt
import nbformat
import numpy as np

from notebook_runs import SOURCE_DIR, notebook_paths

matplotlib.use("Agg")

#: The source notebooks by number, e.g. ``"05"``.
NOTEBOOKS = {path.name[:2]: path for path in notebook_paths(SOURCE_DIR)}


@contextlib.contextmanager
def _importable_helpers() -> Iterator[None]:
    """The notebooks' helper modules importable, figures closed instead of shown."""
    sys.path.insert(0, str(SOURCE_DIR))
    show = plt.show
    plt.show = lambda *args, **kwargs: plt.close("all")
    try:
        yield
    finally:
        plt.show = show
        sys.path.remove(str(SOURCE_DIR))


def cells(number: str) -> dict[str, nbformat.NotebookNode]:
    """The cells of notebook ``number`` by id, in order."""
    return {cell.id: cell for cell in nbformat.read(NOTEBOOKS[number], as_version=4).cells}


@functools.cache
def _namespace(number: str) -> dict:
    namespace: dict = {"__name__": "__notebook__"}
    with _importable_helpers(), contextlib.redirect_stdout(io.StringIO()):
        for cell_id, cell in cells(number).items():
            if cell.cell_type == "code":
                exec(compile(cell.source, f"{NOTEBOOKS[number].name}:{cell_id}", "exec"), namespace)
    return namespace


def namespace(number: str) -> dict:
    """The variables of notebook ``number`` after running all its code cells in order.

    Run once per test process; each call returns a new dict of the same values.
    """
    return dict(_namespace(number))


def run_cell(
    number: str,
    cell_id: str,
    replace: tuple[str, str] | None = None,
    source: str | None = None,
    **names: object,
) -> tuple[dict, str]:
    """Run one code cell again, on a copy of the notebook's variables, with one change.

    Parameters
    ----------
    number : str
        The notebook, e.g. ``"06"``.
    cell_id : str
        The code cell to run.
    replace : tuple (old, new), optional
        Text to change in the cell first; ``old`` must be in it, so the run stays the
        notebook's own code with only that changed.
    source : str, optional
        Code to run before the cell, in the same variables (e.g. what a student pastes).
    **names
        Variables to set (or replace) before running.

    Returns
    -------
    variables : dict
        The variables after the run.
    printed : str
        What the run printed.
    """
    code = cells(number)[cell_id].source
    if replace is not None:
        old, new = replace
        assert old in code, f"{cell_id} no longer contains {old!r}"
        code = code.replace(old, new)
    variables = dict(namespace(number), **names)
    printed = io.StringIO()
    with _importable_helpers(), np.errstate(all="ignore"), contextlib.redirect_stdout(printed):
        if source is not None:
            exec(source, variables)
        exec(code, variables)
    return variables, printed.getvalue()
