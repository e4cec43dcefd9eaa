"""Tests for the two environments: the grader's (.venv) and the student runtime.

The grader environment is declared twice (pyproject.toml for pip, environment.yml for
conda) and the two must agree. The student runtime (.student-venv, requirements-student.txt)
must not be able to import this package, and it is what the conv-backprop-student
kernelspec runs.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import start_new_kernel

REPO = Path(__file__).resolve().parents[2]
STUDENT_PYTHON = REPO / ".student-venv" / "bin" / "python"
KERNEL_NAME = "conv-backprop-student"
# An exact pin, as both files must write it: "name==version" (pip) or "name=version" (conda).
PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(==|=)\s*([A-Za-z0-9.*+!_-]+)\s*$")


def _normalise(name: str) -> str:
    """A distribution name as PEP 503 compares them: case and -_. runs do not matter."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _parse_pins(specs: list[str], operator: str, source: str) -> dict[str, str]:
    pins = {}
    for spec in specs:
        match = PIN.match(spec)
        assert match and match.group(2) == operator, f"{source}: {spec!r} is not pinned {operator}"
        pins[_normalise(match.group(1))] = match.group(3)
    return pins


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def _pip_pins() -> dict[str, str]:
    """The grader environment as pip installs it: dependencies plus the dev extra."""
    project = _pyproject()["project"]
    specs = project["dependencies"] + project["optional-dependencies"]["dev"]
    return _parse_pins(specs, "==", "pyproject.toml")


def _conda_spec() -> tuple[dict[str, str], list[object]]:
    """environment.yml's conda pins (Python and pip aside) and its pip section."""
    dependencies = yaml.safe_load((REPO / "environment.yml").read_text())["dependencies"]
    specs = [entry for entry in dependencies if isinstance(entry, str)]
    pip_sections = [entry["pip"] for entry in dependencies if isinstance(entry, dict)]
    pins = _parse_pins(
        [s for s in specs if s not in ("pip", "python") and not s.startswith("python=")],
        "=",
        "environment.yml",
    )
    python = [s for s in specs if s.startswith("python")]
    return pins | {"python": python[0].split("=", 1)[1] if python else ""}, pip_sections


def _student_pins() -> dict[str, str]:
    lines = (REPO / "requirements-student.txt").read_text().splitlines()
    specs = [line.split("#", 1)[0].strip() for line in lines]
    return _parse_pins([spec for spec in specs if spec], "==", "requirements-student.txt")


# ------------------------------------------------------------------ declarations


# What conda-forge does not carry, environment.yml's pip section installs, pinned the same.
PIP_ONLY = {"django-static-mathjax"}


def _pip_section_pins(pip_section: list[str]) -> dict[str, str]:
    wheels = [line for line in pip_section if line not in ("--no-deps", "-e .")]
    return _parse_pins(wheels, "==", "environment.yml's pip section")


def test_environment_yml_and_pyproject_pin_the_same_packages() -> None:
    conda, pip_sections = _conda_spec()
    pip = _pip_pins()
    assert conda.pop("python") == "3.11"
    assert _pyproject()["project"]["requires-python"] == "==3.11.*"
    from_pip_section = _pip_section_pins(pip_sections[0])
    assert set(from_pip_section) == PIP_ONLY
    assert conda | from_pip_section == pip
    assert not set(conda) & PIP_ONLY


def test_environment_yml_installs_this_package_without_its_dependencies() -> None:
    # conda supplies every dependency; pip adds the package itself, and, pinned, the
    # wheels conda-forge lacks (none of which has a dependency), never resolving any.
    _, pip_sections = _conda_spec()
    assert len(pip_sections) == 1
    section = pip_sections[0]
    assert section[0] == "--no-deps" and section[-1] == "-e ."
    assert len(section) == 2 + len(PIP_ONLY)


def test_the_course_stack_is_pinned_as_the_issue_asks() -> None:
    pins = _pip_pins()
    assert pins["nbgrader"] == "0.9.6"
    assert pins["jupyterlab"].startswith("4.")
    for needed in ("numpy", "matplotlib", "pytest", "hypothesis", "scipy", "ruff"):
        assert needed in pins


def test_the_grader_environment_has_what_is_pinned() -> None:
    """`make setup` reinstalls when pyproject.toml changes, so the pins are what runs."""
    installed = {name: importlib.metadata.version(name) for name in _pip_pins()}
    assert installed == _pip_pins()
    assert Path(sys.prefix).resolve() == (REPO / ".venv").resolve(), "run with the grader env"


def test_student_requirements_hold_only_the_runtime() -> None:
    # Every line must be a pin (so no "-e .", "-r", path or VCS line can pull in this
    # package), and the pins are the runtime only: no scipy, no autograder.
    pins = _student_pins()
    assert set(pins) == {"numpy", "matplotlib", "ipykernel"}


# -------------------------------------------------------------- the student runtime


@pytest.fixture(scope="module")
def student_imports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """What the student runtime's python can import, run outside the repository."""
    script = """
import importlib, json, sys
result = {"prefix": sys.prefix}
for name in ("autograder", "scipy", "numpy", "matplotlib", "ipykernel"):
    try:
        importlib.import_module(name)
        result[name] = "imported"
    except ModuleNotFoundError as error:
        result[name] = "ModuleNotFoundError: " + str(error.name)
print(json.dumps(result))
"""
    env = {
        key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")
    }
    completed = subprocess.run(
        [str(STUDENT_PYTHON), "-c", script],
        cwd=tmp_path_factory.mktemp("outside"),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(completed.stdout)


def test_autograder_cannot_be_imported_in_the_student_runtime(student_imports) -> None:
    assert student_imports["autograder"] == "ModuleNotFoundError: autograder"
    assert student_imports["scipy"] == "ModuleNotFoundError: scipy"


def test_the_student_runtime_has_its_own_packages(student_imports) -> None:
    for name in ("numpy", "matplotlib", "ipykernel"):
        assert student_imports[name] == "imported", name
    assert Path(student_imports["prefix"]).resolve() == (REPO / ".student-venv").resolve()


def test_the_student_runtime_has_what_is_pinned(tmp_path: Path) -> None:
    completed = subprocess.run(
        [
            str(STUDENT_PYTHON),
            "-c",
            "import importlib.metadata as m, json, sys\n"
            "def version(name):\n"
            "    try:\n"
            "        return m.version(name)\n"
            "    except m.PackageNotFoundError:\n"
            "        return 'not installed'\n"
            "print(json.dumps({name: version(name) for name in sys.argv[1:]}))",
            *_student_pins(),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(completed.stdout) == _student_pins()


# --------------------------------------------------------------------- the kernelspec


def test_the_student_kernelspec_is_registered_in_the_grader_environment() -> None:
    spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    assert Path(spec.resource_dir).is_relative_to(sys.prefix)
    assert spec.language == "python"
    # Whatever argv it uses (the interpreter directly or a wrapper script), the student
    # runtime's interpreter starts it; the kernel test below checks where it lands.
    assert Path(spec.argv[0]) == STUDENT_PYTHON


def test_the_student_kernel_runs_in_the_student_runtime(tmp_path: Path) -> None:
    """Start the kernelspec as nbgrader would and ask the running kernel where it is."""
    manager, client = start_new_kernel(
        kernel_name=KERNEL_NAME, cwd=str(tmp_path), startup_timeout=60
    )
    outputs: list[str] = []

    def collect(message: dict) -> None:
        if message["msg_type"] == "stream":
            outputs.append(message["content"]["text"])
        elif message["msg_type"] == "error":
            outputs.append(f"{message['content']['ename']}: {message['content']['evalue']}\n")

    try:
        code = """
import json, os, sys
try:
    import autograder
    verdict = "imported"
except ModuleNotFoundError as error:
    verdict = "ModuleNotFoundError: " + str(error.name)
print(json.dumps({"prefix": sys.prefix, "autograder": verdict}))
"""
        reply = client.execute_interactive(code, timeout=60, output_hook=collect)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert reply["content"]["status"] == "ok", outputs
    seen = json.loads("".join(outputs))
    assert Path(seen["prefix"]).resolve() == (REPO / ".student-venv").resolve()
    assert seen["autograder"] == "ModuleNotFoundError: autograder"
