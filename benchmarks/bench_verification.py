"""What trusted verification costs next to stock nbgrader, per graded notebook.

Builds one fixture class (tests/probe_course.py: one notebook, a test cell for each of
the 18 graded tasks, correct submissions in the five styles) three times and grades
each with plain ``nbgrader autograde`` in one run:

- **stock**: nbgrader's own pipeline; each hidden block holds literal asserts on the same
  number of inputs, run in the student runtime's kernel with no sandbox;
- **stock + sandbox**: the same, with the kernel in the sandbox (``SandboxedExecute``);
- **trusted**: this repository's nbgrader_config.py: probes armed with fresh inputs,
  verified in the grader, kernel in the sandbox.

It prints seconds per notebook (the whole ``nbgrader autograde`` run divided by the number
of submissions, start-up included) and the ratios; the target is trusted <= 1.2x stock::

    .venv/bin/python benchmarks/bench_verification.py [--students 8] [--repeat 2]

Each figure is the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import probe_course
from autograder.maths import reference
from autograder.verify import challenges, tasks
from autograder.verify.wire import ScalarFunction
from probe_submissions import STYLES, style_submission

_STOCK_KERNEL = "bench-stock-student"
_SANDBOX_LINES = """\
from pathlib import Path
from autograder.verify.config import configure
configure(c, Path(__file__).resolve().parent, verify=False)
"""


def _literal(value) -> str:
    if isinstance(value, np.ndarray):
        return f"np.array({value.tolist()!r}, dtype={str(value.dtype)!r})"
    if isinstance(value, ScalarFunction):
        return f"scalar_function({_literal(value.C)}, {_literal(value.D)})"
    if isinstance(value, tuple):
        return "(" + "".join(f"{_literal(v)}, " for v in value) + ")"
    return repr(value)


_SCALAR_FUNCTION = (
    "def scalar_function(C, D):\n"
    "    return lambda Y: float(np.sum(C * np.sin(Y)) + np.sum(D * Y * Y))\n"
)


def _stock_hidden(task: str, rng: np.random.Generator) -> str:
    """Literal asserts on as many inputs as the probe gets: what stock nbgrader runs."""
    if task in tasks.HAND_VALUE_TASKS:
        return f"assert np.array({task}, dtype=float).size > 0"
    lines = [_SCALAR_FUNCTION] if task == "numerical_gradient" else []
    for case in challenges.generate(tasks.function_task(task), rng):
        expected = getattr(reference, task)(*case.args)
        got = f"{task}({', '.join(_literal(arg) for arg in case.args)})"
        if task == "training_step":
            lines.append(f"_new_F, _loss = {got}")
            lines.append(f"assert np.allclose(_new_F, {_literal(expected[0])})")
            lines.append(f"assert np.isclose(_loss, {expected[1]!r})")
        else:
            lines.append(f"assert np.allclose({got}, {_literal(np.asarray(expected))})")
    return "\n".join(lines)


def _make_stock_course(course: Path) -> None:
    """The fixture course with each hidden block replaced by literal asserts."""
    probe_course.make_course(course)  # then swap in the stock notebook and re-release
    rng = np.random.default_rng(0)
    notebook = probe_course.source_notebook()
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if grade_id.startswith("test_"):
            task = grade_id.removeprefix("test_")
            visible = cell.source.split("### BEGIN HIDDEN TESTS")[0]
            hidden = _stock_hidden(task, rng)
            cell.source = f"{visible}### BEGIN HIDDEN TESTS\n{hidden}\n### END HIDDEN TESTS"
    source = course / "source" / probe_course.ASSIGNMENT
    nbformat.write(notebook, source / f"{probe_course.NOTEBOOK}.ipynb")
    done = probe_course.nbgrader(course, "generate_assignment", probe_course.ASSIGNMENT, "--force")
    if done.returncode != 0:
        raise RuntimeError(done.stdout + done.stderr)


def _install_stock_kernel(prefix: Path) -> None:
    """The student runtime as a plain kernelspec (no sandbox wrapper) for stock grading."""
    student_python = probe_course.REPO / ".student-venv" / "bin" / "python"
    folder = prefix / "kernels" / _STOCK_KERNEL
    folder.mkdir(parents=True)
    spec = {
        "argv": [str(student_python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "student runtime, unsandboxed (benchmark)",
        "language": "python",
    }
    (folder / "kernel.json").write_text(json.dumps(spec))


def _grade_seconds(course: Path, students: int) -> float:
    start = time.perf_counter()
    done = probe_course.nbgrader(course, "autograde", probe_course.ASSIGNMENT, "--force")
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(done.stdout[-3000:] + done.stderr[-3000:])
    scores = probe_course.scores(course)
    full = 2.0 * len(probe_course.TASKS)
    if len(scores) != students or any(sum(s.values()) != full for s in scores.values()):
        raise RuntimeError(f"a correct submission lost points: {scores}")
    return elapsed / students


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=2)
    options = parser.parse_args()
    styles = list(STYLES)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _install_stock_kernel(root / "jupyter")
        os.environ["JUPYTER_PATH"] = str(root / "jupyter")
        stock_config = probe_course.STOCK_CONFIG.replace("conv-backprop-student", _STOCK_KERNEL)
        courses = {
            "stock": (root / "stock", stock_config),
            "stock + sandbox": (root / "sandboxed", probe_course.STOCK_CONFIG + _SANDBOX_LINES),
            "trusted": (root / "trusted", None),
        }
        for course, config in courses.values():
            course.mkdir()
            if config is None:
                probe_course.make_course(course)
            else:
                _make_stock_course(course)
                (course / "nbgrader_config.py").write_text(config)
            for index in range(options.students):
                style = styles[index % len(styles)]
                probe_course.submit(course, f"s{index}", style_submission(style))
        best = {name: float("inf") for name in courses}
        for _ in range(options.repeat):
            for name, (course, _) in courses.items():
                best[name] = min(best[name], _grade_seconds(course, options.students))
    print(f"seconds per graded notebook ({options.students} students, best of {options.repeat}):")
    for name, seconds in best.items():
        print(f"  {name:<16} {seconds:6.2f} s")
    print(f"trusted / stock           = {best['trusted'] / best['stock']:.2f}x (target <= 1.2x)")
    print(f"trusted / stock + sandbox = {best['trusted'] / best['stock + sandbox']:.2f}x")


if __name__ == "__main__":
    main()
