"""The grading kernelspec ``conv-backprop-student`` and its installation.

Its launcher is :mod:`autograder.jail.kernel_wrapper`, run by the student runtime's
interpreter; installing it also prebuilds matplotlib's font list in that runtime.
``python -m autograder.jail install-kernel`` (run by ``make setup``) does both.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from autograder.jail.kernel_wrapper import FONT_CACHE

__all__ = ["KERNEL_NAME", "WRAPPER", "build_font_cache", "install_kernel", "runs_wrapper"]

#: The kernelspec every submission is graded in.
KERNEL_NAME = "conv-backprop-student"
#: The kernelspec's launcher, run by the student runtime's interpreter.
WRAPPER = Path(__file__).resolve().with_name("kernel_wrapper.py")


def runs_wrapper(argv: Sequence[str]) -> bool:
    """Whether a kernelspec's ``argv`` starts the kernel through a wrapper that exists.

    A kernelspec installed before the package moved names a wrapper file that is gone:
    every kernel would die at start, so it counts as not running the wrapper.
    """
    return any(Path(arg).name == WRAPPER.name and Path(arg).is_file() for arg in argv)


def install_kernel(prefix: str, student_python: str) -> Path:
    """Install the ``conv-backprop-student`` kernelspec under ``prefix``; return its folder.

    Parameters
    ----------
    prefix : str
        An environment prefix, e.g. the grader venv: the spec goes to
        ``prefix/share/jupyter/kernels/conv-backprop-student``.
    student_python : str
        The student runtime's interpreter, which runs the wrapper and the kernel.
    """
    spec = {
        "argv": [student_python, "-I", "-S", str(WRAPPER), "{connection_file}"],
        "display_name": "Python 3 (conv-backprop student runtime)",
        "language": "python",
        # An interrupt as a message reaches the kernel inside its PID namespace; a
        # signal to the process group would also hit bubblewrap's monitor process.
        "interrupt_mode": "message",
        "metadata": {"debugger": True},
    }
    folder = Path(prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1) + "\n", encoding="utf-8")
    return folder


def build_font_cache(student_python: str) -> Path:
    """Build matplotlib's font list inside the student runtime; return its folder.

    Each sandboxed kernel starts with a fresh home folder, where matplotlib would
    otherwise rebuild this list (about a second) in every notebook that plots.
    """
    folder = Path(student_python).parent.parent / FONT_CACHE
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "MPLCONFIGDIR": str(folder)}
    command = [student_python, "-c", "import matplotlib.font_manager"]
    subprocess.run(command, env=env, check=True, capture_output=True)
    return folder
