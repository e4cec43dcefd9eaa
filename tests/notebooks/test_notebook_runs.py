"""Tests for tests/notebook_runs.py, the helper that runs notebooks in the student kernel.

- kernels started side by side through ``in_parallel`` all answer, each in its folder;
- a kernel start that loses one of its ports to another socket (what happened when two
  processes picked the same free port) is retried on new ports within seconds, for
  ``execute`` and nbgrader's Validator alike, where a plain nbclient start fails;
- a start that keeps failing says why; a start waits while another process holds the
  start lock, and gives up with a clear error if it is held too long.
"""

from __future__ import annotations

import atexit
import itertools
import socket
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
import pytest
from jupyter_client.connect import LocalPortCache
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

import notebook_runs
from notebook_runs import STUDENT_KERNEL, execute, in_parallel, start_lock, validate

#: The order in which jupyter_client's local provisioner picks a kernel's ports.
PORT_PICKS = ("shell", "iopub", "stdin", "hb", "control")
REPORT = "import os, pathlib\nprint(pathlib.Path.cwd().name, os.getpid())"


def _notebook(folder: Path, source: str = REPORT) -> Path:
    folder.mkdir(parents=True)
    path = folder / "probe.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell(source)]), path)
    return path


def _stdout(nb: nbformat.NotebookNode) -> str:
    return "".join(output.get("text", "") for output in nb.cells[0].outputs)


def test_kernels_started_side_by_side_all_answer(tmp_path) -> None:
    paths = [_notebook(tmp_path / f"run{index}") for index in range(6)]
    reports = [_stdout(nb).split() for nb, _ in in_parallel(execute, paths)]
    assert [folder for folder, _ in reports] == [path.parent.name for path in paths]
    assert len({pid for _, pid in reports}) == len(paths)


@pytest.fixture
def taken_port():
    """A localhost port held by a listening socket for the whole test."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def _first_kernel_gets(monkeypatch, port_name: str, port: int) -> list[int]:
    """Make the next kernel start pick ``port`` as its ``port_name`` port.

    Returns the list of every port picked from then on.
    """
    picks: list[int] = []
    pick_number = itertools.count()
    real_pick = LocalPortCache.find_available_port

    def pick(cache: LocalPortCache, ip: str) -> int:
        chosen = port if next(pick_number) == PORT_PICKS.index(port_name) else None
        picks.append(chosen or real_pick(cache, ip))
        return picks[-1]

    monkeypatch.setattr(LocalPortCache, "find_available_port", pick)
    return picks


# A shell port taken kills the kernel at once; an IOPub port taken leaves it alive and
# silent, the CI failure ("Kernel didn't respond in 60 seconds").
@pytest.mark.parametrize(
    ("port_name", "failure"),
    [("shell", "Kernel died before replying"), ("iopub", "Kernel didn't respond in 5 seconds")],
)
def test_a_plain_start_fails_on_a_taken_port(
    monkeypatch, taken_port, tmp_path, port_name, failure
) -> None:
    """The provocation is real: without the helper's kernel manager the start fails."""
    _first_kernel_gets(monkeypatch, port_name, taken_port)
    nb = nbformat.read(_notebook(tmp_path / "run"), as_version=4)
    client = NotebookClient(nb, kernel_name=STUDENT_KERNEL, startup_timeout=5)
    with pytest.raises(RuntimeError, match=failure):
        client.execute(cwd=str(tmp_path / "run"))
    # nbclient leaves its exit-time cleanup registered after a failed start, and that
    # cleanup fails (an AssertionError printed at the end of the test run).
    atexit.unregister(client._cleanup_kernel)


@pytest.mark.parametrize("port_name", ["shell", "iopub"])
def test_a_start_that_loses_a_port_is_retried(monkeypatch, taken_port, tmp_path, port_name) -> None:
    monkeypatch.setattr(notebook_runs, "STARTUP_TIMEOUT", 5.0)
    picks = _first_kernel_gets(monkeypatch, port_name, taken_port)
    nb, seconds = execute(_notebook(tmp_path / "run"))
    assert _stdout(nb).split()[0] == "run"
    assert picks[PORT_PICKS.index(port_name)] == taken_port
    assert len(picks) == 2 * len(PORT_PICKS), "one failed start, one good one"
    assert taken_port not in picks[len(PORT_PICKS) :]
    assert seconds < 15, "one short startup wait at most, never nbclient's 60 s"


def test_nbgrader_validation_retries_a_start_that_loses_a_port(
    monkeypatch, taken_port, tmp_path
) -> None:
    picks = _first_kernel_gets(monkeypatch, "shell", taken_port)
    # A failing cell shows that the kernel really ran the notebook.
    [failure] = validate(_notebook(tmp_path / "run", "1 / 0"), validate_all=True)["failed"]
    assert failure["source"] == "1 / 0" and "ZeroDivisionError" in failure["raw_error"]
    assert picks[0] == taken_port and len(picks) == 2 * len(PORT_PICKS)


def test_a_start_that_never_succeeds_says_why(monkeypatch, taken_port, tmp_path) -> None:
    monkeypatch.setattr(notebook_runs, "START_ATTEMPTS", 2)
    monkeypatch.setattr(LocalPortCache, "find_available_port", lambda cache, ip: taken_port)
    with pytest.raises(RuntimeError, match="failed to start 2 times: Kernel died"):
        execute(_notebook(tmp_path / "run"))


def _wait_briefly_for_the_start_lock() -> None:
    with start_lock(timeout=1):
        pass


def test_a_start_waits_for_the_start_lock(tmp_path) -> None:
    path = _notebook(tmp_path / "run")
    with ProcessPoolExecutor(max_workers=1) as pool:
        # The worker must exist before the lock is taken: forked while it is held, it
        # would share the lock and never wait for it.
        pool.submit(int).result()
        with start_lock():
            with pytest.raises(TimeoutError, match="has held"):
                pool.submit(_wait_briefly_for_the_start_lock).result(timeout=60)
            run = pool.submit(execute, path)
            time.sleep(3)
            assert not run.done()
        nb, _ = run.result(timeout=120)
    assert _stdout(nb).split()[0] == "run"
