"""How long each course notebook takes to run, as a student's machine runs it.

Runs every solution notebook of the self-study edition (notebooks/solutions/, the same
code as source/ without the hidden probe calls) top to bottom, one after the other, in
the student runtime's kernel, from a scratch copy. Beside each time it prints the time
of an empty notebook measured in the same run (kernel start-up and shutdown), so the
share of the notebook's own work is visible::

    .venv/bin/python benchmarks/notebook_run_times.py [--repeat 3]

Each number is the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

SOLUTIONS = Path(__file__).resolve().parent.parent / "notebooks" / "solutions"
KERNEL = "conv-backprop-student"


def _seconds(nb: nbformat.NotebookNode, folder: Path) -> float:
    client = NotebookClient(
        nb, kernel_name=KERNEL, timeout=300, resources={"metadata": {"path": str(folder)}}
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="runs per notebook; best kept")
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(shutil.copytree(SOLUTIONS, Path(scratch) / "solutions"))
        empty = new_notebook(cells=[new_code_cell("pass")])
        baseline = min(_seconds(empty, folder) for _ in range(repeat))
        print(f"{'notebook':32} {'seconds':>8} {'x empty':>8}")
        print(f"{'(empty notebook: kernel only)':32} {baseline:8.2f} {1:8.1f}")
        total = 0.0
        for path in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
            best = min(_seconds(nbformat.read(path, as_version=4), folder) for _ in range(repeat))
            total += best
            print(f"{path.name:32} {best:8.2f} {best / baseline:8.1f}")
        print(f"{'all six, one after the other':32} {total:8.2f} {total / baseline:8.1f}")


if __name__ == "__main__":
    main()
