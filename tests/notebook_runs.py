"""Run the course's notebooks the way a student's machine does, for the notebook tests.

Notebooks run in the student runtime's kernel (numpy and matplotlib, no ``autograder``),
from a scratch copy of their folder, so tests never write into the repository.

Kernels talk to the tests over TCP on localhost, as in JupyterLab. jupyter_client picks
a kernel's five ports by binding port 0 and closing the socket; the kernel binds them
half a second or more later. Two processes starting kernels side by side can pick the
same port in between, and the kernel that loses it dies, or (if it was the IOPub port)
lives on without ever answering: in CI that cost a 60-second wait and a dozen errors. So
every kernel here is started by ``StartLockedKernelManager``: one start at a time on the
machine (a file lock), from choosing the ports until the kernel answers, and a kernel
that does not answer within ``STARTUP_TIMEOUT`` seconds is killed and started again on
new ports. Only the starts wait for each other; the notebooks still run side by side.

IPC sockets would avoid ports altogether, but a socket path is limited to 107 bytes,
which a scratch folder under a long ``TMPDIR`` easily exceeds.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbgrader.preprocessors import Execute
from nbgrader.validator import Validator
from traitlets.config import Config

REPO = Path(__file__).resolve().parent.parent
SOURCE_DIR = REPO / "source" / "conv_backprop"
NOTEBOOKS_DIR = REPO / "notebooks"
STUDENT_KERNEL = "conv-backprop-student"
#: The graded task names fixed by the lead's interfaces, in notebook order.
FUNCTION_TASKS = (
    "conv2d_output_shape",
    "conv2d_forward",
    "gap_forward",
    "gap_backward",
    "jacobian_output_wrt_filter",
    "conv2d_backward_filter",
    "jacobian_output_wrt_input",
    "pad2d",
    "rot180",
    "conv2d_backward_input",
    "numerical_gradient",
    "relative_error",
    "training_step",
    # Notebook 7, the bonus layer: its contract is defined in its notebook and
    # autograder/maths/layer.py.
    "conv_layer_output_shape",
    "conv_layer_forward",
    "conv_layer_backward",
    "conv_layer_forward_vectorised",
    "conv_layer_backward_vectorised",
    "max_pool_forward",
    "max_pool_backward",
)
HAND_VALUE_TASKS = ("O_by_hand", "Z_by_hand", "dO_by_hand", "dF_by_hand", "dX_by_hand")
#: Seconds a starting kernel gets to answer before it is killed and started again. A
#: healthy one answers within a second or two, even with notebooks running beside it.
STARTUP_TIMEOUT = 15.0
#: Kernel starts tried before giving up.
START_ATTEMPTS = 3
#: The file whose lock lets one kernel start at a time (per user: one user cannot open
#: another's file in a shared /tmp).
START_LOCK = Path(tempfile.gettempdir()) / f"conv-backprop-kernel-start-{os.getuid()}.lock"


@contextmanager
def start_lock(timeout: float = 120.0) -> Iterator[None]:
    """Hold the machine-wide kernel-start lock, waiting while another process holds it.

    Raises ``TimeoutError`` after ``timeout`` seconds of waiting (a stuck process would
    otherwise hang every test run on the machine).
    """
    # Python opens files non-inheritable, so the kernel started under the lock does not
    # keep it after the lock is released.
    with START_LOCK.open("a") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"another process has held {START_LOCK} for {timeout:.0f} s"
                    ) from None
                time.sleep(0.05)
        yield


class StartLockedKernelManager(AsyncKernelManager):
    """A kernel manager whose start returns only once the kernel has answered.

    The ports are chosen and the kernel started under ``start_lock()``; a kernel that
    dies or stays silent for ``STARTUP_TIMEOUT`` seconds is killed and started again on
    new ports, up to ``START_ATTEMPTS`` times.
    """

    async def start_kernel(self, **kwargs: Any) -> None:
        failures: list[str] = []
        with start_lock():
            for _ in range(START_ATTEMPTS):
                await super().start_kernel(**kwargs)
                client = self.client()
                client.start_channels()
                try:
                    await client.wait_for_ready(timeout=STARTUP_TIMEOUT)
                    return
                except RuntimeError as error:
                    failures.append(str(error))
                    # Shut down as for a restart, which keeps the manager's ZMQ context
                    # (a full shutdown destroys it), then drop the provisioner and the
                    # connection file that a restart would reuse, so the next start picks
                    # new ports. The failed ones stay out of this process's port cache.
                    await self.shutdown_kernel(now=True, restart=True)
                    self.cleanup_connection_file()
                    self.provisioner = None
                finally:
                    client.stop_channels()
        raise RuntimeError(
            f"kernel {self.kernel_name!r} failed to start {START_ATTEMPTS} times: "
            + "; ".join(failures)
        )


class _StartLockedExecute(Execute):
    """nbgrader's ``Execute`` with its kernels started by ``StartLockedKernelManager``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(kernel_manager_class=StartLockedKernelManager, **kwargs)


def notebook_paths(folder: Path) -> list[Path]:
    """The numbered notebooks of a folder, in order."""
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def copy_folder(folder: Path, scratch: Path) -> Path:
    """Copy a notebook folder (files only, caches left out) into ``scratch``."""
    shutil.copytree(
        folder, scratch, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    )
    return scratch


def execute(path: Path, allow_errors: bool = False) -> tuple[nbformat.NotebookNode, float]:
    """Execute a notebook in the student kernel from its own folder.

    Parameters
    ----------
    path : Path
        The notebook, inside a scratch folder that holds its helper modules.
    allow_errors : bool
        Keep going after a cell raises (for blank student versions).

    Returns
    -------
    notebook : NotebookNode
        The executed notebook, outputs included.
    seconds : float
        Wall-clock time of the run, kernel start included.
    """
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=STUDENT_KERNEL,
        kernel_manager_class=StartLockedKernelManager,
        timeout=120,
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - start


def validate(path: Path, **traits: Any) -> dict:
    """Run nbgrader's Validator on a notebook in the student kernel.

    Parameters
    ----------
    path : Path
        The notebook, inside a scratch folder that holds its helper modules.
    **traits
        Validator options, such as ``validate_all=True`` or ``invert=True``.

    Returns
    -------
    dict
        What ``Validator.validate`` reports (empty when nothing is wrong).
    """
    config = Config()
    config.Execute.kernel_name = STUDENT_KERNEL
    validator = Validator(config=config, **traits)
    validator.preprocessors = [
        _StartLockedExecute if step is Execute else step for step in validator.preprocessors
    ]
    return validator.validate(str(path))


def stderr_text(nb: nbformat.NotebookNode) -> list[str]:
    """Everything any cell wrote to stderr."""
    return [
        output.get("text", "")
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream" and output.name == "stderr"
    ]


def errors(nb: nbformat.NotebookNode) -> list[tuple[int, str]]:
    """(cell index, exception name) of every cell that raised."""
    return [
        (index, output.ename)
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]


def in_parallel(function: Callable[..., Any], items: Iterable[Any]) -> list[Any]:
    """``[function(item) for item in items]``, three kernels at a time.

    Most of a notebook's run is waiting on its kernel, so a few side by side finish much
    sooner than one after the other, even on two cores (their kernel starts take turns,
    see the module's docstring). Separate processes keep each run's working directory
    and event loop to itself.
    """
    with ProcessPoolExecutor(max_workers=3) as pool:
        return list(pool.map(function, items))
