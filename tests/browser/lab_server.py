"""A JupyterLab server for one browser test, isolated from the machine and from other tests.

Every server listens on 127.0.0.1 only, on a port the OS picks, behind a random token.
HOME, every Jupyter directory, IPYTHONDIR and TMPDIR live in the test's own folder, and
``python3``, the kernelspec every notebook asks for, is the student runtime. The server
runs in the grader environment (where nbgrader's Validate and formgrader handlers live);
the kernels it starts for notebooks do not.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "GRADER_BIN",
    "REPO",
    "STUDENT_PYTHON",
    "LabServer",
    "isolated_environment",
    "start_lab",
]

REPO = Path(__file__).resolve().parents[2]
GRADER_BIN = REPO / ".venv" / "bin"
STUDENT_PYTHON = REPO / ".student-venv" / "bin" / "python"

_START_TIMEOUT_S = 60.0
_STOP_TIMEOUT_S = 10.0

# JupyterLab settings that keep the page deterministic: no news prompt; every cell kept in
# the DOM (windowed notebooks drop cells that are scrolled away, so selectors would miss
# them); no autoclosing brackets, so typed code arrives exactly as written.
USER_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/codemirror-extension/plugin.jupyterlab-settings": {
        "defaultConfig": {"autoClosingBrackets": False}
    },
}


@dataclass
class LabServer:
    """A running JupyterLab server and where its state lives.

    Attributes
    ----------
    base_url : str
        ``http://127.0.0.1:<port>``, without a trailing slash.
    token : str
        The token every request must carry.
    root : Path
        The folder the server serves and runs in.
    process : subprocess.Popen
        The server process, stopped by :meth:`stop`.
    log : Path
        The server's stdout and stderr, for a failing test to point at.
    """

    base_url: str
    token: str
    root: Path
    process: subprocess.Popen[bytes]
    log: Path

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` (starting with ``/``), with the token."""
        separator = "&" if "?" in path else "?"
        return f"{self.base_url}{path}{separator}token={self.token}"

    def api(self, path: str) -> object:
        """GET ``/api/<path>`` and return the decoded JSON."""
        request = urllib.request.Request(
            f"{self.base_url}/api/{path}", headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def stop(self) -> None:
        """Stop the kernels the server started, then the server, each by its PID.

        Kernels are ended first and at once: a graceful shutdown of each, which the server
        would otherwise do on its way out, is not under test and takes seconds.
        """
        for pid, command in _children(self.process.pid).items():
            if _command_line(pid) == command:  # still that process, not a reused PID
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(_STOP_TIMEOUT_S)


def _command_line(pid: int) -> bytes | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None


def _children(pid: int) -> dict[int, bytes]:
    """The processes whose parent is ``pid``: their PIDs and command lines (from /proc)."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            # The command name, in parentheses, may hold spaces: the parent PID is the
            # second field after its closing parenthesis.
            fields = stat.read_text().rsplit(")", 1)[1].split()
            child = int(stat.parent.name)
            command = _command_line(child)
            if int(fields[1]) == pid and command is not None:
                children[child] = command
    return children


def isolated_environment(home: Path) -> dict[str, str]:
    """Environment variables that keep Jupyter, IPython and temp files inside ``home``.

    ``python3`` is registered there as the student runtime, and ``JUPYTER_PATH`` puts it
    ahead of the grader venv's own ``python3`` (which could import ``autograder``).

    Parameters
    ----------
    home : Path
        An empty folder that becomes HOME; created if missing.
    """
    folders = {
        name: home / sub
        for name, sub in {
            "HOME": ".",
            "JUPYTER_CONFIG_DIR": "jupyter-config",
            "JUPYTER_DATA_DIR": "jupyter-data",
            "JUPYTER_RUNTIME_DIR": "jupyter-runtime",
            "IPYTHONDIR": "ipython",
            "TMPDIR": "tmp",
            "MPLCONFIGDIR": "matplotlib",
        }.items()
    }
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    kernel_dir = folders["JUPYTER_DATA_DIR"] / "kernels" / "python3"
    kernel_dir.mkdir(parents=True, exist_ok=True)
    kernel = {
        "argv": [str(STUDENT_PYTHON), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (student runtime)",
        "language": "python",
    }
    (kernel_dir / "kernel.json").write_text(json.dumps(kernel, indent=1))

    # Nothing of the caller's Jupyter, IPython or Python setup leaks in (an MPLBACKEND=agg,
    # say, would stop the notebooks' pictures from reaching the page).
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("JUPYTER", "IPYTHON", "JPY_", "MPL", "PYTHON", "VIRTUAL_ENV"))
    }
    environment.update({name: str(folder) for name, folder in folders.items()})
    environment["JUPYTER_PATH"] = str(folders["JUPYTER_DATA_DIR"])
    # nbgrader finds alembic through PATH.
    environment["PATH"] = f"{GRADER_BIN}{os.pathsep}{environment.get('PATH', '')}"
    return environment


def start_lab(root: Path, home: Path, *, formgrader: bool = False) -> LabServer:
    """Start JupyterLab serving ``root``, with ``root`` as its working directory.

    nbgrader's Validate reads ``nbgrader_config.py`` from the server's working directory,
    so the student's server runs inside the student's copy of the assignment.

    Parameters
    ----------
    root : Path
        The folder to serve.
    home : Path
        An empty folder for HOME and every Jupyter directory (see
        :func:`isolated_environment`).
    formgrader : bool
        Whether nbgrader's formgrader runs (the instructor's server) or not (a student's).

    Raises
    ------
    RuntimeError
        If the server exits or does not answer within a minute; the message quotes its log.
    """
    environment = isolated_environment(home)
    settings_dir = home / "lab-settings"
    for relative, values in USER_SETTINGS.items():
        path = settings_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))

    token = secrets.token_hex(24)
    log = home / "jupyter-lab.log"
    extensions = f"{{'nbgrader.server_extensions.formgrader': {formgrader}}}"
    command = [
        str(GRADER_BIN / "jupyter"),
        "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        "--port=0",
        "--port-retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--ServerApp.jpserver_extensions={extensions}",
        "--allow-root",  # CI runs as root; without it the server exits silently
        f"--LabApp.workspaces_dir={home / 'lab-workspaces'}",
        f"--LabApp.user_settings_dir={settings_dir}",
    ]
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=root,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    info_file = Path(environment["JUPYTER_RUNTIME_DIR"]) / f"jpserver-{process.pid}.json"
    server = LabServer("", token, root, process, log)
    try:
        server.base_url = _wait_for_url(process, info_file, log)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_for_url(process: subprocess.Popen[bytes], info_file: Path, log: Path) -> str:
    """The server's base URL, once the server has written its info file and answers."""
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {process.returncode}:\n{log.read_text()}")
        try:
            base_url = f"http://127.0.0.1:{json.loads(info_file.read_text())['port']}"
            with urllib.request.urlopen(f"{base_url}/api/status", timeout=10):
                pass
            return base_url
        except urllib.error.HTTPError:
            return base_url  # it answers (403 without the token): it is up
        except (ValueError, KeyError, OSError):
            pass  # no info file yet, half written, or the server not listening yet
        time.sleep(0.2)
    raise RuntimeError(f"JupyterLab did not answer in {_START_TIMEOUT_S:.0f} s:\n{log.read_text()}")
