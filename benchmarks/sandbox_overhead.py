"""What the grading sandbox costs: stock nbgrader against the sandboxed grader, one run.

Grades the same submissions (tests/sandbox_course.py, every student honest and drawing
one matplotlib plot, as the course notebooks do) twice per round, alternately:

- **stock**: nbgrader's own ``Execute``, a plain kernelspec of the student runtime;
- **sandboxed**: ``autograder.verify.config.configure(..., verify=False)``
  (``SandboxedExecute``, the ``conv-backprop-student`` kernelspec, bubblewrap, limits).

and prints the median seconds per notebook of each and their ratio.

    .venv/bin/python benchmarks/sandbox_overhead.py [--students 4] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import sandbox_course as course_kit

REPO = Path(__file__).resolve().parents[1]
PLAIN_KERNEL = "conv-backprop-plain"
# Stock nbgrader, said explicitly: the environment's fail-closed guard config would
# otherwise refuse to grade a course that does not configure the trusted grader.
STOCK = f"""\
from nbgrader.converters import Autograde
c = get_config()
c.CourseDirectory.course_id = "conv_backprop"
c.Execute.kernel_name = {PLAIN_KERNEL!r}
c.Execute.timeout = 30
c.Autograde.autograde_preprocessors = list(
    Autograde.class_traits()["autograde_preprocessors"].default()
)
"""


def _plain_kernelspec(jupyter_path: Path) -> None:
    folder = jupyter_path / "kernels" / PLAIN_KERNEL
    folder.mkdir(parents=True)
    python = str(REPO / ".student-venv" / "bin" / "python")
    spec = {"argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]}
    spec |= {"display_name": "plain student runtime", "language": "python"}
    (folder / "kernel.json").write_text(json.dumps(spec))


def _grade(course: Path, config: str, students: int) -> float:
    """Seconds per notebook for one fresh ``nbgrader autograde`` of every student."""
    shutil.rmtree(course / "autograded", ignore_errors=True)
    (course / "nbgrader_config.py").write_text(config)
    start = time.perf_counter()
    done = course_kit.nbgrader(course, "autograde", course_kit.ASSIGNMENT)
    seconds = time.perf_counter() - start
    scores = course_kit.scores(course) if done.returncode == 0 else {}
    if scores != {f"s{i}": 2 for i in range(students)}:
        raise RuntimeError(f"grading failed: {scores}\n{done.stderr[-3000:]}")
    return seconds / students


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sandbox-bench-") as tmp:
        course, jupyter_path = Path(tmp) / "course", Path(tmp) / "jupyter"
        course.mkdir()
        _plain_kernelspec(jupyter_path)
        os.environ["JUPYTER_PATH"] = str(jupyter_path)
        answer = "import matplotlib.pyplot as plt\nplt.plot([0, 1])"
        course_kit.make_course(course, {f"s{i}": answer for i in range(args.students)})
        sandboxed = (course / "nbgrader_config.py").read_text()
        times: dict[str, list[float]] = {"stock": [], "sandboxed": []}
        for _ in range(args.rounds):
            times["stock"].append(_grade(course, STOCK, args.students))
            times["sandboxed"].append(_grade(course, sandboxed, args.students))
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"{args.students} notebooks per run, {args.rounds} rounds, median per notebook:")
    for name, value in medians.items():
        print(f"  {name:9} {value:6.2f} s   (runs: {', '.join(f'{v:.2f}' for v in times[name])})")
    print(f"sandboxed / stock = {medians['sandboxed'] / medians['stock']:.2f}")


if __name__ == "__main__":
    main()
