"""The jail started by an unprivileged user, as a JupyterHub instructor's server grades.

The grader runs as ``nobody``, with Debian's python3.11 (the project's own Pythons may
live where other users cannot read, such as /root/.pyenv) and the grader venv's packages;
the student runtime is a venv of the same Python holding the student runtime's packages.
Bubblewrap then runs without any privilege, and the jail must hold all the same.

Needs root (to become ``nobody``), runuser, bubblewrap able to make user namespaces, and
Debian's python3.11 with its venv module (``make system-packages``). Without them the
tests are skipped, except in CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from autograder.jail import kernel_wrapper
from jail_leaks import CANARY_NAME, read_report, report_source

REPO = Path(__file__).resolve().parents[2]
USER = "nobody"
SYSTEM_PYTHON = Path("/usr/bin/python3.11")
KERNEL = "conv-backprop-unprivileged"
GRADER_SITE = Path(sys.prefix) / "lib" / "python3.11" / "site-packages"
STUDENT_SITE = REPO / ".student-venv" / "lib" / "python3.11" / "site-packages"

#: Run by the unprivileged grader: one notebook through SandboxedExecute, outputs as JSON.
GRADER = """
import json, site, sys
site.addsitedir({grader_site!r})
sys.path.insert(0, {code!r})
from nbformat.v4 import new_code_cell, new_notebook
from traitlets.config import Config
from autograder.jail.execute import SandboxedExecute
config = Config()
config.Execute.kernel_name = {kernel!r}
config.Sandbox.helper_dir = {helpers!r}
config.Sandbox.work_root = {work!r}
config.Sandbox.preload_modules = ["numpy"]
notebook = new_notebook(cells=[new_code_cell(c) for c in {cells!r}])
SandboxedExecute(config=config).preprocess(notebook, {{"metadata": {{"path": {work!r}}}}})
print(json.dumps([cell.outputs for cell in notebook.cells]))
"""


def _as_user(*command: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["runuser", "-u", USER, "--", *command],
        capture_output=True,
        text=True,
        check=False,
        **kwargs,
    )


def _why_not() -> str:
    """Why the unprivileged jail cannot be tried here ('' if it can)."""
    if os.geteuid() != 0:
        return "becoming another user needs root"
    bwrap = shutil.which("bwrap")
    if not shutil.which("runuser") or not bwrap:
        return "runuser or bubblewrap is missing"
    if not SYSTEM_PYTHON.is_file():
        return f"{SYSTEM_PYTHON} is missing (make system-packages installs python3.11-venv)"
    probe = subprocess.run([str(SYSTEM_PYTHON), "-c", "import venv"], check=False)
    if probe.returncode != 0:
        return "python3.11's venv module is missing (make system-packages installs it)"
    jail = _as_user(bwrap, "--ro-bind", "/", "/", "--unshare-user", "--unshare-pid", "true")
    if jail.returncode != 0:
        return f"{USER} cannot make a user namespace with bubblewrap: {jail.stderr.strip()}"
    return ""


def _copy(source: Path, target: Path) -> Path:
    """Copy the tree ``source`` to ``target``, with hard links where the file system
    allows (a copy of a venv then costs no space); return ``target``."""

    def link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, symlinks=True, copy_function=link_or_copy)
    return target


def _readable(source: Path, target: Path) -> Path:
    """``source`` if the user can read it, else a copy of it at ``target``."""
    if _as_user("test", "-r", str(source), "-a", "-x", str(source)).returncode == 0:
        return source
    return _copy(source, target)


@pytest.fixture(scope="module")
def unprivileged_run():
    """One notebook graded by the unprivileged grader: (outputs per cell, canary)."""
    reason = _why_not()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the unprivileged jail cannot be tested: {reason}")
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="conv-unprivileged-"))
    try:
        root.chmod(0o755)
        # The student runtime: a venv of the system Python, with the runtime's packages.
        runtime = root / "runtime"
        subprocess.run(
            [str(SYSTEM_PYTHON), "-m", "venv", "--without-pip", str(runtime)], check=True
        )
        site = runtime / "lib" / "python3.11" / "site-packages"
        site.rmdir()
        _copy(STUDENT_SITE, site)
        code = _readable(REPO / "autograder", root / "code" / "autograder").parent
        grader_site = _readable(GRADER_SITE, root / "grader-site")
        wrapper = Path(code) / "autograder" / "jail" / "kernel_wrapper.py"
        spec_dir = root / "jupyter" / "kernels" / KERNEL
        spec_dir.mkdir(parents=True)
        spec = {
            "argv": [
                str(runtime / "bin" / "python"),
                "-I",
                "-S",
                str(wrapper),
                "{connection_file}",
            ],
            "display_name": "unprivileged",
            "language": "python",
            "interrupt_mode": "message",
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec))
        helpers, work, home = root / "helpers", root / "work", root / "home"
        helpers.mkdir()
        (helpers / "helper.txt").write_text("trusted")
        for folder in (work, home):
            folder.mkdir()
            shutil.chown(folder, USER)
        canary = f"{CANARY_NAME}=instructor-token-{os.urandom(8).hex()}"
        cells = [report_source(), "import numpy\nprint(numpy.ones(3).sum())"]
        script = GRADER.format(
            grader_site=str(grader_site),
            code=str(code),
            kernel=KERNEL,
            helpers=str(helpers),
            work=str(work),
            cells=cells,
        )
        env = ["PATH=/usr/bin:/bin", f"HOME={home}", f"JUPYTER_PATH={root / 'jupyter'}", canary]
        done = _as_user("env", "-i", *env, str(SYSTEM_PYTHON), "-c", script, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        yield json.loads(done.stdout.strip().splitlines()[-1]), canary
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_a_notebook_runs_in_a_jail_started_by_an_unprivileged_user(unprivileged_run):
    outputs, _ = unprivileged_run
    assert [o.get("text") for o in outputs[1]] == ["3.0\n"]


def test_the_unprivileged_jail_keeps_the_graders_environment_out(unprivileged_run):
    outputs, canary = unprivileged_run
    report = read_report(outputs[0])
    assert report["grader_env"] == []
    assert canary.split("=", 1)[1] not in json.dumps(outputs)
    assert report["pids"] == [1]  # the kernel alone: no bubblewrap process inside


def test_the_unprivileged_jail_runs_the_kernel_as_its_own_unprivileged_uid(unprivileged_run):
    report = read_report(unprivileged_run[0][0])
    assert report["ids"] == [kernel_wrapper.SANDBOX_UID] * 3


def test_the_unprivileged_jail_hides_the_system_pythons_packages(unprivileged_run):
    report = read_report(unprivileged_run[0][0])
    assert report["foreign_packages"], "no system package folder found to check"
    assert not any(report["foreign_packages"].values()), report["foreign_packages"]
    assert report["scipy"] == "ModuleNotFoundError"


def test_the_unprivileged_jails_socket_folder_is_a_capped_tmpfs(unprivileged_run):
    ipc = read_report(unprivileged_run[0][0])["ipc"]
    assert ipc["fs_type"] == "tmpfs"
    assert ipc["outcome"] == "ENOSPC" and ipc["written"] < 4 << 20
