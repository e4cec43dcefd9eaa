"""Generate the self-study edition, ``notebooks/``, from the assignment in ``source/``.

The self-study edition is what a student gets without a course around it:

- ``notebooks/NN_*.ipynb``: the student version, made by nbgrader's own preprocessors
  exactly as ``nbgrader generate_assignment`` makes it (solutions replaced by
  ``raise NotImplementedError()``, hidden tests removed, outputs cleared), with the
  visible checks, and a first cell that says where the solutions are;
- ``notebooks/solutions/NN_*.ipynb``: the same notebooks with the solutions kept, the
  title saying "Solution: ";
- the student-side helper modules copied beside both.

Run it after changing anything in ``source/``::

    python -m autograder.course.self_study          # rewrite notebooks/
    python -m autograder.course.self_study --check  # exit 1 if notebooks/ is out of date

A test runs the check, so ``notebooks/`` never drifts from ``source/``.
"""

from __future__ import annotations

import argparse
import copy
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions

from autograder.course.course_config import REPO_ROOT, SOURCE_DIR

__all__ = ["HELPER_FILES", "NOTEBOOKS_DIR", "SOURCE_DIR", "build", "differences", "main"]

#: Where the self-study edition is written.
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
#: Student-side files the notebooks import; the probe is left out, as nothing here is graded.
HELPER_FILES = ("conv_checks.py", "conv_checks_expected.json", "conv_plots.py")

_README = """\
# Self-study edition

Generated from `source/conv_backprop/` by `make notebooks`; edit the source, not these
files.

Work through the notebooks in order, `01_forward.ipynb` to `06_putting_it_together.ipynb`;
`07_conv_layer.ipynb`, a whole convolution layer with stride, padding, channels, batches
and max pooling, is an optional extra (worth bonus points in the graded course).
Each exercise cell says `raise NotImplementedError()` until you replace it with your
answer; the check after it runs your answer on the worked example and names the typical
mistake a wrong answer looks like. Every notebook runs on its own: a notebook restates
the functions it needs from earlier ones.

Stuck? A worked solution of every notebook is in `solutions/`, under the same name.
Try first: the checks tell you a lot.

You need Python 3.11 with numpy and matplotlib (`requirements-student.txt`) and Jupyter.
"""

_POINTER = (
    "**Self-study edition.** Replace each `raise NotImplementedError()` with your answer and "
    "run the check below it. Stuck? A worked solution is in [`solutions/{name}`](solutions/{name})."
)


def _clean(nb: NotebookNode, *preprocessors: type) -> NotebookNode:
    nb = copy.deepcopy(nb)
    for preprocessor in (ClearHiddenTests, *preprocessors, ClearOutput):
        nb, _ = preprocessor().preprocess(nb, {})
    return nb


def _solution_version(nb: NotebookNode, name: str) -> NotebookNode:
    """The notebook with its solutions, its first heading saying so: JupyterLab names both
    tabs after the file, so the heading is what tells the solution from the exercise."""
    solution = _clean(nb)
    first = solution.cells[0] if solution.cells else None
    if first is None or first.cell_type != "markdown" or not first.source.startswith("# "):
        raise ValueError(f"{name} must open with a markdown cell whose first line is a '# ' title")
    first.source = "# Solution: " + first.source.removeprefix("# ")
    return solution


def _student_version(nb: NotebookNode, name: str) -> NotebookNode:
    student = _clean(nb, ClearSolutions)
    pointer = nbformat.v4.new_markdown_cell(_POINTER.format(name=name))
    pointer.id = "self-study-pointer"
    student.cells.insert(0, pointer)
    return student


def build(source_dir: Path = SOURCE_DIR, out_dir: Path = NOTEBOOKS_DIR) -> list[Path]:
    """Write the self-study edition of every notebook in ``source_dir`` to ``out_dir``.

    Parameters
    ----------
    source_dir : Path
        The assignment's folder, with the nbgrader source notebooks and helper files.
    out_dir : Path
        The edition's folder; ``solutions/`` is created inside it. Files already there
        are overwritten, others left alone.

    Returns
    -------
    list of Path
        Every file written.
    """
    solutions_dir = out_dir / "solutions"
    solutions_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(source_dir.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for target, version in (
            (out_dir / path.name, _student_version(nb, path.name)),
            (solutions_dir / path.name, _solution_version(nb, path.name)),
        ):
            nbformat.write(version, target)
            written.append(target)
    for folder in (out_dir, solutions_dir):
        for helper in HELPER_FILES:
            shutil.copyfile(source_dir / helper, folder / helper)
            written.append(folder / helper)
    (out_dir / "README.md").write_text(_README, encoding="utf-8")
    written.append(out_dir / "README.md")
    return written


def differences(source_dir: Path = SOURCE_DIR, out_dir: Path = NOTEBOOKS_DIR) -> list[str]:
    """Files of ``out_dir`` that differ from a fresh build, or are missing or extra.

    Parameters
    ----------
    source_dir, out_dir : Path
        As for :func:`build`.

    Returns
    -------
    list of str
        Paths relative to ``out_dir``; empty when the edition is in sync.
    """
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch)
        expected = {path.relative_to(fresh) for path in build(source_dir, fresh)}
        present = {
            path.relative_to(out_dir)
            for path in out_dir.rglob("*")
            if path.is_file()
            and "__pycache__" not in path.parts
            and ".ipynb_checkpoints" not in path.parts
        }
        stale = [
            str(relative)
            for relative in sorted(expected & present)
            if not filecmp.cmp(fresh / relative, out_dir / relative, shallow=False)
        ]
        return stale + [str(relative) for relative in sorted(expected ^ present)]


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check``, verify) the self-study edition."""
    parser = argparse.ArgumentParser(
        prog="python -m autograder.course.self_study", description=__doc__
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if notebooks/ is out of date")
    options = parser.parse_args(argv)
    if options.check:
        stale = differences()
        if stale:
            print(
                "notebooks/ is out of date (run `make notebooks`): " + ", ".join(stale),
                file=sys.stderr,
            )
            return 1
        print("notebooks/ is up to date")
        return 0
    written = build()
    print(f"wrote {len(written)} files to {NOTEBOOKS_DIR}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
