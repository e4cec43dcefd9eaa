"""The package's layers are enforced by import-linter (``make lint``), and can fail.

A copy of the package and of the kernel-side helpers, linted with the repository's own
contracts: clean, it passes; with one import that breaks a layer, it fails and names it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    # As `make lint` runs it: from the root, nothing on PYTHONPATH.
    env = {"PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=root, env=env, capture_output=True, text=True
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO / "autograder", tmp_path / "autograder", ignore=ignore)
    for folder in ("source/conv_backprop", "notebooks", "notebooks/solutions"):
        (tmp_path / folder).mkdir(parents=True)
        for helper in (REPO / folder).glob("*.py"):
            shutil.copy(helper, tmp_path / folder)
    return tmp_path


def test_the_repository_keeps_its_contracts(copy):
    done = _lint(copy)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "bad_import", "contract"),
    [
        ("autograder/maths/exact.py", "import autograder.verify.wire", "Layers"),
        ("autograder/maths/reference.py", "from autograder.course import cli", "Layers"),
        ("autograder/verify/judging.py", "import autograder.course.reports", "Layers"),
        ("autograder/jail/kernelspec.py", "import autograder.verify.judging", "Layers"),
        ("source/conv_backprop/conv_checks.py", "import autograder.maths", "Kernel-side"),
        ("notebooks/solutions/conv_plots.py", "from autograder import reference", "Kernel-side"),
    ],
)
def test_an_import_across_a_layer_fails_the_lint(copy, module, bad_import, contract):
    path = copy / module
    path.write_text(path.read_text() + f"\n{bad_import}\n")
    done = _lint(copy)
    assert done.returncode != 0
    broken = [line for line in done.stdout.splitlines() if line.endswith("BROKEN")]
    assert len(broken) == 1 and broken[0].startswith(contract), done.stdout
