"""The grading kernel's jail: where and how a submission's code runs while it is graded.

``SandboxedExecute`` replaces nbgrader's ``Execute`` preprocessor. For every notebook it
grades it makes a private temporary directory holding the kernel's connection file, its
log and ``scratch/``: copies of the trusted helper files from the course's ``source/``
folder (``Sandbox.helper_dir``), never the submission's possibly edited copies. It
starts the ``conv-backprop-student`` kernel, with nothing of the grader's environment
but a launch plan, which its wrapper (``autograder/jail/kernel_wrapper.py``) turns into
a bubblewrap jail: the student runtime's Python and packages only, an unprivileged uid,
a scratch working directory with only those helpers, no network, no course folder,
CPU-time, memory and file-size limits, and no new processes. The kernel's sockets live
in a capped tmpfs inside the jail; the grader reaches them through
``/proc/<kernel pid>/root``.

Limits are enforced from the grader's side, whatever the kernel says about itself: the
output each cell may store, per-notebook budgets of wall time, output and executed
cells (``Sandbox.notebook_*``), and deadlines for the answers of graded calls
(:class:`CellDeadline`, set by the verifier in ``resources[DEADLINES_KEY]``). When the
kernel dies or a budget runs out, the rest of the notebook is still recorded, as errors
that say why.

Every kernel grades exactly one notebook. With ``Sandbox.prestart_kernels`` (on in
``conv-grader grade``'s workers) the next notebook's kernel, in its own jail and folder,
starts while the current notebook runs, so that its start-up (mostly the imports of
``Sandbox.preload_modules``) overlaps grading instead of adding to it.

Without a working bubblewrap it refuses to grade, unless ``Sandbox.allow_unsandboxed``
is set; then it warns for every notebook and runs the kernel with the same limits in a
host scratch directory.

:func:`autograder.verify.config.configure` wires all of this into a course's
``nbgrader_config.py``; :mod:`autograder.jail.kernelspec` installs the kernelspec.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import json
import math
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zmq
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager, NoSuchKernel
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer, List, Unicode
from traitlets.config import Configurable

from autograder.i18n.messages import N_, plain_text_lines, speaking_for
from autograder.i18n.messages import gettext as _
from autograder.jail.kernel_wrapper import IPC_DIR, PLAN_VARIABLE
from autograder.jail.kernelspec import KERNEL_NAME, WRAPPER, runs_wrapper

__all__ = [
    "BUDGET_ERROR",
    "DEADLINES_KEY",
    "TIME_LIMIT_ERROR",
    "CellDeadline",
    "Sandbox",
    "SandboxUnavailableError",
    "SandboxedExecute",
    "discard_prestarted_kernel",
]

#: The error name on the cell where a notebook's budget ran out, and on every later one.
BUDGET_ERROR = "NotebookBudgetError"
#: The error name on a cell whose deadline (:class:`CellDeadline`) passed.
TIME_LIMIT_ERROR = "TimeLimitError"
#: Where an earlier preprocessor leaves the cells' deadlines: grade id -> CellDeadline.
DEADLINES_KEY = "conv_backprop_deadlines"

# sun_path of a Unix socket holds 108 bytes, the last one a NUL.
_MAX_SOCKET_PATH = 107
# Message types that carry no output; everything else counts against the output budgets.
_CONTROL_MESSAGES = frozenset({"status", "execute_input"})
# How long bubblewrap may take to report the jailed kernel's PID.
_JAIL_START_SECONDS = 30.0


@dataclass(frozen=True)
class CellDeadline:
    """How long after its start a cell's answers of one kind may arrive, by the grader's clock.

    Outputs carrying ``mime_type`` that arrive later are dropped, and once ``seconds``
    have passed with fewer than ``outputs`` of them, the kernel is interrupted. Either
    way the cell gets a ``TimeLimitError`` output saying ``reason``, first among its
    outputs.

    Attributes
    ----------
    seconds : float
        The time allowed, counted from the moment the grader sends the cell.
    mime_type : str
        The MIME type of the answers.
    outputs : int
        How many such outputs the cell is expected to send.
    reason : str
        What the limit was, for the student and the instructor.
    """

    seconds: float
    mime_type: str
    outputs: int
    reason: str


class SandboxUnavailableError(RuntimeError):
    """Grading refused: the sandbox cannot run and unsandboxed grading is not allowed."""


class Sandbox(Configurable):
    """Settings of the grading kernel's jail (``c.Sandbox.*`` in nbgrader_config.py)."""

    enabled = Bool(
        True,
        help="Run every graded kernel inside bubblewrap. Turning this off refuses to "
        "grade unless allow_unsandboxed is also set.",
    ).tag(config=True)
    allow_unsandboxed = Bool(
        False,
        help="Grade without the bubblewrap jail when it is disabled or cannot start "
        "(limits and a scratch directory still apply; file system and network do not "
        "get isolated). Logs a warning for every notebook. Off: grading refuses.",
    ).tag(config=True)
    bwrap = Unicode(
        "bwrap", help="The bubblewrap binary: a name looked up on PATH, or a path."
    ).tag(config=True)
    helper_dir = Unicode(
        "",
        help="The trusted folder whose files, notebooks and dotfiles excepted, are "
        "copied into the kernel's working directory (conv_probe.py, conv_checks.py and "
        "their data): the assignment's folder under source/, never a submission.",
    ).tag(config=True)
    work_root = Unicode(
        "",
        help="Where each kernel's private folder (its connection file, log and helper "
        "copies) is made; empty: the system temp folder. A jailed kernel cannot write "
        "there (its log is capped by the file-size limit).",
    ).tag(config=True)
    cpu_seconds = Integer(
        300, help="CPU seconds one notebook's kernel may use in total (RLIMIT_CPU)."
    ).tag(config=True)
    memory_mb = Integer(2048, help="Address space of the kernel in MiB (RLIMIT_AS).").tag(
        config=True
    )
    scratch_mb = Integer(
        64,
        help="Size in MiB of each writable tmpfs in the jail (working directory, /tmp, "
        "/dev/shm) and the largest file the kernel may write (RLIMIT_FSIZE).",
    ).tag(config=True)
    max_message_mb = Integer(
        64,
        help="Largest single message, in MiB, the grader accepts from the kernel: ZeroMQ "
        "drops a larger one unread (and briefly the connection with it) instead of "
        "the grader holding it in memory.",
    ).tag(config=True)
    max_output_bytes = Integer(
        1_000_000,
        help="Output one cell may store, in characters; the grader drops the rest and "
        "notes that it did.",
    ).tag(config=True)
    notebook_seconds = Integer(
        900,
        help="Wall time, in seconds, all the cells of one notebook may take together. "
        "When it runs out the running cell is interrupted and later cells are not run; "
        "the autograded notebook says why, and `conv-grader grade` flags it.",
    ).tag(config=True)
    notebook_output_bytes = Integer(
        10_000_000,
        help="Output all the cells of one notebook may store, in characters. Past it, "
        "output is dropped and later cells are not run (and the notebook is flagged).",
    ).tag(config=True)
    notebook_cells = Integer(
        300,
        help="Code cells one notebook may run; a student can add cells, each within the "
        "per-cell limits. Later cells are not run (and the notebook is flagged).",
    ).tag(config=True)
    allow_processes = Bool(
        False,
        help="Let graded code start processes. Off, a seccomp filter makes fork and "
        "non-thread clone fail: as root, RLIMIT_NPROC would not stop a fork bomb.",
    ).tag(config=True)

    prestart_kernels = Bool(
        False,
        help="Start the next notebook's kernel while this one runs, so that its start-up "
        "(a second or so of waiting, mostly imports) overlaps grading. Worth it only when "
        "more notebooks are queued: `conv-grader grade` turns it on for its workers; a "
        "single `nbgrader autograde` of one student would start a kernel nobody uses.",
    ).tag(config=True)
    preload_modules = List(
        Unicode(),
        ["numpy", "matplotlib.pyplot"],
        help="Modules every grading kernel imports while it starts, before any submitted "
        "code runs; their names are removed again from the notebook's namespace. With "
        "prestart_kernels their import time overlaps the previous notebook.",
    ).tag(config=True)

    def helpers(self) -> list[Path]:
        """The trusted helper files, sorted; raise if ``helper_dir`` is unusable.

        These are the files nbgrader releases beside the notebooks: every regular file
        of the assignment's source folder except notebooks and dotfiles.
        """
        folder = Path(self.helper_dir)
        if not self.helper_dir or not folder.is_dir():
            raise SandboxUnavailableError(
                f"Sandbox.helper_dir {self.helper_dir!r} is not a folder; point it at the "
                "assignment's source folder (autograder.verify.config.configure does)"
            )
        return sorted(
            path
            for path in folder.iterdir()
            if path.is_file() and path.suffix != ".ipynb" and not path.name.startswith(".")
        )

    def bwrap_path(self) -> str:
        """The bubblewrap binary, checked to start a jail here; raise with the reason if not."""
        if not self.enabled:
            raise SandboxUnavailableError("Sandbox.enabled is False")
        found = shutil.which(self.bwrap)
        if found is None:
            raise SandboxUnavailableError(f"bubblewrap {self.bwrap!r} not found")
        problem = _bwrap_problem(found)
        if problem:
            raise SandboxUnavailableError(f"bubblewrap {found} cannot start a jail: {problem}")
        return found

    def check_ready(self, kernel_name: str) -> None:
        """Raise :class:`SandboxUnavailableError`, with the fix, unless a graded kernel
        can start here: bubblewrap works (or unsandboxed grading is allowed) and
        ``kernel_name`` is the grading kernelspec, installed."""
        if not self.allow_unsandboxed:
            try:
                self.bwrap_path()
            except SandboxUnavailableError as error:
                raise _no_sandbox(error) from error
        try:
            spec = KernelSpecManager().get_kernel_spec(kernel_name)
        except NoSuchKernel:
            spec = None
        _check_kernelspec(spec, kernel_name)

    def plan(self, workdir: Path, log: Any) -> dict[str, Any]:
        """Prepare ``workdir`` for one kernel and return its launch plan.

        Parameters
        ----------
        workdir : Path
            An empty private directory that lives as long as the kernel.
        log : logging.Logger
            Where the warning for unsandboxed grading goes.

        Returns
        -------
        dict
            The JSON-serialisable plan ``kernel_wrapper.main`` reads.
        """
        scratch = workdir / "scratch"
        scratch.mkdir()
        helpers = [Path(shutil.copy2(helper, scratch)) for helper in self.helpers()]
        plan: dict[str, Any] = {
            "helpers": [str(helper) for helper in helpers],
            "scratch": str(scratch),
            "cpu_seconds": self.cpu_seconds,
            "memory_mb": self.memory_mb,
            "scratch_mb": self.scratch_mb,
            "allow_processes": self.allow_processes,
        }
        try:
            bwrap = self.bwrap_path()
        except SandboxUnavailableError as error:
            if not self.allow_unsandboxed:
                raise _no_sandbox(error) from error
            log.warning(
                "GRADING WITHOUT THE SANDBOX (%s): submitted code can read the course "
                "folder and use the network; only resource limits apply.",
                error,
            )
            return {**plan, "bwrap": None, "ipc_dir": str(self._host_ipc_dir(workdir))}
        # The jail's sockets live in its own tmpfs; bubblewrap tells the grader, through
        # this file, which process to reach them through.
        info_file = workdir / "bwrap-info.json"
        return {**plan, "bwrap": bwrap, "ipc_dir": IPC_DIR, "info_file": str(info_file)}

    @staticmethod
    def _host_ipc_dir(workdir: Path) -> Path:
        """The sockets' folder of an unsandboxed kernel, on the host: made and checked."""
        ipc_dir = workdir / "ipc"
        if len(os.fsencode(ipc_dir / "kernel-00000")) > _MAX_SOCKET_PATH:
            raise SandboxUnavailableError(
                f"Refusing to grade: the kernel's socket paths under {workdir} would be "
                f"longer than the {_MAX_SOCKET_PATH} bytes a Unix socket allows; set "
                "c.Sandbox.work_root (or TMPDIR) to a shorter folder"
            )
        ipc_dir.mkdir(mode=0o700)
        return ipc_dir


def _no_sandbox(error: SandboxUnavailableError) -> SandboxUnavailableError:
    return SandboxUnavailableError(
        f"Refusing to grade: the grading sandbox is unavailable ({error}). Install "
        "bubblewrap (`sudo apt-get install -y bubblewrap`, or `make setup` as root), or set "
        "c.Sandbox.allow_unsandboxed = True to grade without it."
    )


def _check_kernelspec(spec: KernelSpec | None, kernel_name: str) -> None:
    """Refuse a kernelspec that is missing or does not start the jail's wrapper."""
    if spec is None or not runs_wrapper(spec.argv):
        raise SandboxUnavailableError(
            f"Refusing to grade: kernelspec {kernel_name!r} is not installed or does not run "
            f"an existing {WRAPPER.name}; set c.Execute.kernel_name = {KERNEL_NAME!r} and "
            "run `make setup` (or `python -m autograder.jail install-kernel`)"
        )


@functools.cache
def _bwrap_problem(bwrap: str) -> str:
    """Why ``bwrap`` cannot create the namespaces the jail needs ('' if it can)."""
    probe = [bwrap, "--ro-bind", "/", "/", "--unshare-user", "--unshare-net"]
    probe += ["--unshare-pid", "--as-pid-1", "--die-with-parent", "--cap-drop", "ALL"]
    probe += ["--", "true"]
    try:
        done = subprocess.run(probe, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return str(error)
    return "" if done.returncode == 0 else done.stderr.strip() or f"exit {done.returncode}"


def _text_size(value: Any) -> int:
    """Characters in a message's content: every string in it, keys included."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return sum(len(str(key)) + _text_size(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return sum(_text_size(item) for item in value)
    return 8


@dataclass
class _JailedKernel:
    """A started grading kernel and the private folder it lives in.

    The folder holds the kernel's connection file, the helper copies (``scratch/``),
    ``kernel.log`` (everything the kernel process wrote to stdout and stderr) and, for a
    jailed kernel, ``bwrap-info.json``, where bubblewrap reports the kernel's PID.
    """

    settings: tuple[Any, ...]
    folder: tempfile.TemporaryDirectory[str]
    km: _BoundedKernelManager
    log: Path
    info_file: Path | None

    def reach_sockets(self) -> None:
        """Point the kernel manager at the sockets inside the jail, through its /proc root.

        Done when the kernel's notebook starts, not when the kernel does: by then a kernel
        started ahead has long been reported, and starting one costs no wait.
        """
        if self.info_file is None or self.km.ip.startswith("/proc/"):
            return
        try:
            pid = _jailed_pid(self.info_file, self.km)
        except SandboxUnavailableError as error:
            # No submitted code has run in this jail yet: what bubblewrap (or the wrapper)
            # said is the system's reason, and the instructor's one line should hold it.
            said = self.tail(300).strip().splitlines()
            raise SandboxUnavailableError(f"{error}: {said[-1]}" if said else str(error)) from None
        self.km.reach(f"/proc/{pid}/root{IPC_DIR}/kernel")

    def tail(self, characters: int = 2000) -> str:
        """The end of what the kernel process wrote to its stdout and stderr."""
        if not self.log.exists():
            return ""
        with self.log.open("rb") as log:
            log.seek(max(0, log.seek(0, os.SEEK_END) - characters))
            return log.read().decode("utf-8", errors="replace")

    def discard(self) -> None:
        """Kill the kernel if it still runs and delete its folder."""
        try:
            if self.km.has_kernel:
                run_sync(self.km.shutdown_kernel)(now=True)
        except Exception:  # already dead, or its loop is gone at exit: the folder still goes
            pass
        finally:
            self.folder.cleanup()


def _jailed_pid(info_file: Path, km: AsyncKernelManager) -> int:
    """The host PID of the jailed kernel, as bubblewrap reports it from outside the jail.

    The jailed process cannot write the report (bubblewrap closes it before the kernel
    starts), and the PID must still be bubblewrap's child, so a PID recycled after the
    kernel died is never taken for it.
    """
    bwrap: subprocess.Popen[bytes] | None = getattr(km.provisioner, "process", None)
    if bwrap is None:
        raise SandboxUnavailableError("the grading kernel is not a local process")
    give_up = time.monotonic() + _JAIL_START_SECONDS
    while True:
        try:
            pid = int(json.loads(info_file.read_text(encoding="utf-8"))["child-pid"])
            break
        except (OSError, ValueError, KeyError, TypeError):  # not written yet, or partly
            pass
        if bwrap.poll() is not None or time.monotonic() > give_up:
            raise SandboxUnavailableError("bubblewrap did not start the jailed kernel")
        time.sleep(0.002)
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        status = ""
    parent = next((line.split()[1] for line in status.splitlines() if line.startswith("PPid:")), "")
    if parent != str(bwrap.pid):
        raise SandboxUnavailableError(f"the jailed kernel (PID {pid}) is gone or not bubblewrap's")
    return pid


# The kernel started ahead for this process's next notebook (Sandbox.prestart_kernels).
_prestarted: _JailedKernel | None = None


def discard_prestarted_kernel() -> None:
    """Stop the kernel started ahead for a next notebook, if any (also run at exit)."""
    global _prestarted
    kernel, _prestarted = _prestarted, None
    if kernel is not None:
        kernel.discard()


atexit.register(discard_prestarted_kernel)


class SandboxedExecute(Execute):
    """nbgrader's ``Execute``, with the kernel jailed and its cells bounded by the grader."""

    def preprocess(
        self, nb: NotebookNode, resources: Any = None, km: Any = None
    ) -> tuple[NotebookNode, Any]:
        """Execute ``nb`` in a jailed kernel that lives in a private temporary directory.

        With ``Sandbox.prestart_kernels`` the kernel is the one started while the previous
        notebook ran, and the next notebook's kernel starts now, before this one runs.
        """
        global _prestarted
        sandbox = Sandbox(parent=self)
        kernel_name = self.kernel_name or nb.metadata.get("kernelspec", {}).get("name", "")
        settings = self._kernel_settings(sandbox, kernel_name)
        kernel, _prestarted = _prestarted, None
        if kernel is not None and (kernel.settings != settings or not _alive(kernel.km)):
            kernel.discard()
            kernel = None
        if kernel is None:
            kernel = self._start_kernel(sandbox, kernel_name, settings)
        self._kernel = kernel
        try:
            if sandbox.prestart_kernels and kernel_name:
                try:
                    _prestarted = self._start_kernel(sandbox, kernel_name, settings)
                except Exception as error:  # this notebook still has its kernel
                    self.log.warning("Could not start the next notebook's kernel: %s", error)
            self._sandbox = sandbox
            self._deadlines: dict[str, CellDeadline] = dict(
                (resources or {}).get(DEADLINES_KEY) or {}
            )
            self._deadline: CellDeadline | None = None
            self._output_used: dict[int, int] = {}
            self._notebook_output = 0  # characters of output kept
            self._notebook_output_over = False
            self._notebook_ends: float | None = None
            self._stopped: tuple[str, _Said] | None = None  # (error name, reason)
            # What the cells are told is in the notebook's language; the log and the
            # flags the instructor reads stay English.
            with speaking_for(nb):
                return super().preprocess(nb, resources, km)
        except Exception:
            self.log.error("The grading kernel's own output ended with:\n%s", self._tail())
            raise
        finally:
            kernel.discard()

    def _kernel_settings(self, sandbox: Sandbox, kernel_name: str) -> tuple[Any, ...]:
        """Everything a started kernel depends on: a kernel started ahead must match it."""
        helpers = tuple((str(h), h.stat().st_mtime_ns, h.stat().st_size) for h in sandbox.helpers())
        traits = {name: getattr(sandbox, name) for name in sandbox.trait_names(config=True)}
        return (kernel_name, tuple(self.extra_arguments), repr(sorted(traits.items())), helpers)

    def _start_kernel(
        self, sandbox: Sandbox, kernel_name: str, settings: tuple[Any, ...]
    ) -> _JailedKernel:
        """Start a jailed kernel in a new private folder; return once its process runs.

        The kernel's standard output and error go to a file of that folder, not to the
        grader's: otherwise a kernel could flood the grader's terminal or log. Its
        environment is the launch plan alone: nothing of the grader's reaches the wrapper,
        bubblewrap or the kernel.
        """
        folder = tempfile.TemporaryDirectory(prefix="conv-sandbox-", dir=sandbox.work_root or None)
        try:
            workdir = Path(folder.name)
            plan = sandbox.plan(workdir, self.log)
            km = _BoundedKernelManager(kernel_name=kernel_name, config=self.config)
            km.max_message_bytes = sandbox.max_message_mb * 1024 * 1024
            _check_kernelspec(km.kernel_spec, kernel_name)
            km.transport = "ipc"
            km.ip = str(Path(plan["ipc_dir"]) / "kernel")
            km.connection_file = str(workdir / "connection.json")
            preload = [f"--IPKernelApp.exec_lines={line}" for line in _preload_lines(sandbox)]
            log = workdir / "kernel.log"
            with log.open("wb") as output:
                run_sync(km.start_kernel)(
                    extra_arguments=[*self.extra_arguments, *preload],
                    env={PLAN_VARIABLE: json.dumps(plan)},
                    stdout=output,
                    stderr=output,
                )
        except BaseException:
            folder.cleanup()
            raise
        info_file = Path(plan["info_file"]) if plan["bwrap"] else None
        return _JailedKernel(settings, folder, km, log, info_file)

    def create_kernel_manager(self) -> Any:
        """The manager of the kernel this notebook was given, started and reachable."""
        self._kernel.reach_sockets()
        return self._kernel.km

    def preprocess_cell(
        self, cell: NotebookNode, resources: Any, index: int
    ) -> tuple[NotebookNode, Any]:
        """Run one cell unless the notebook is stopped; once stopped, mark each later code cell.

        The notebook stops when the kernel dies or is stuck, or when one of its budgets
        (``Sandbox.notebook_*``) runs out. Stock nbgrader gives up on the whole notebook
        (no score at all) when the kernel dies or a cell ignores the interrupt after its
        timeout; here the cells before keep their results and the batch goes on.
        """
        if self._stopped is None and _runs(cell):
            reason = self._budget_used_up(before_cell=True)
            if reason is not None:
                self._stop(None, BUDGET_ERROR, reason)
        if self._stopped is not None:
            if cell.cell_type == "code":
                ename, reason = self._stopped
                cell.outputs = [
                    _error_output(ename, _Said(N_("Not run: {reason}."), reason=reason))
                ]
            return cell, resources
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            reason = _Said(N_("the kernel died while running cell {number}"), number=index + 1)
            detail = _Said(N_("it crashed, called os._exit, or hit a CPU or memory limit"))
            self._stop(cell, "DeadKernelError", reason, detail)
        except CellTimeoutError:
            self.shutdown_kernel = "immediate"
            out_of_time = self._budget_used_up(before_cell=False)
            if out_of_time is not None:
                detail = _Said(N_("the running cell ignored the interrupt; the kernel was stopped"))
                self._stop(cell, BUDGET_ERROR, out_of_time, detail)
            else:
                reason = _Said(N_("cell {number} did not finish cleanly"), number=index + 1)
                detail = _Said(
                    N_(
                        "it kept running after its timeout and ignored the interrupt, or its "
                        "output was lost for being too large; the kernel was stopped"
                    )
                )
                self._stop(cell, "DeadKernelError", reason, detail)
        else:
            reason = self._budget_used_up(before_cell=False)
            if reason is not None:
                self._stop(cell, BUDGET_ERROR, reason)
        finally:
            if self._deadline is not None and self._deadline_missed:
                late = self._deadline.reason
                cell.outputs.insert(
                    0,
                    NotebookNode(
                        output_type="error",
                        ename=TIME_LIMIT_ERROR,
                        evalue=late,
                        traceback=[plain_text_lines(late)],
                    ),
                )
            self._deadline = None
        return cell, resources

    def _budget_used_up(self, *, before_cell: bool) -> _Said | None:
        """Which of the notebook's budgets is used up (None if none is).

        The cell budget counts only before a cell: running the last cell allowed uses it
        up without exceeding it.
        """
        sandbox = self._sandbox
        if before_cell and self.code_cells_executed >= sandbox.notebook_cells:
            return _Said(
                N_("the notebook ran the {cells} code cells it may run"),
                cells=sandbox.notebook_cells,
            )
        if self._notebook_ends is not None and time.monotonic() >= self._notebook_ends:
            return _Said(
                N_("the notebook used up its {seconds} s of running time"),
                seconds=sandbox.notebook_seconds,
            )
        if self._notebook_output_over:
            return _Said(
                N_(
                    "the notebook produced more than the {characters} characters of output "
                    "it may store"
                ),
                characters=sandbox.notebook_output_bytes,
            )
        return None

    def _stop(
        self, cell: NotebookNode | None, ename: str, reason: _Said, detail: _Said | None = None
    ) -> None:
        """Stop running this notebook, saying why on ``cell`` (the one that ran last, if
        any); every later code cell is marked as not run, with the reason."""
        self._stopped = (ename, reason)
        self.log.warning(
            "%s; later cells are not run. The kernel's own output ended with:\n%s",
            reason.english(),
            self._tail(),
        )
        if cell is not None:
            said = (
                _Said(N_("{reason} ({detail})."), reason=reason, detail=detail)
                if detail is not None
                else _Said(N_("{reason}; later cells are not run."), reason=reason)
            )
            cell.outputs.append(_error_output(ename, said))

    def _tail(self) -> str:
        """The end of what the kernel process wrote to its stdout and stderr."""
        return self._kernel.tail()

    async def async_execute_cell(
        self,
        cell: NotebookNode,
        cell_index: int,
        execution_count: int | None = None,
        store_history: bool = True,
    ) -> NotebookNode:
        """nbclient's, timed by the grader's clock.

        The notebook's running time starts with its first cell. A cell with a
        :class:`CellDeadline` is interrupted once the deadline passes without all of its
        answers in.
        """
        now = time.monotonic()
        if self._notebook_ends is None:
            self._notebook_ends = now + self._sandbox.notebook_seconds
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        self._deadline = self._deadlines.get(grade_id) if _runs(cell) else None
        self._cell_started, self._answers_in_time, self._deadline_missed = now, 0, False
        watchdog = None
        if self._deadline is not None:
            watchdog = asyncio.ensure_future(self._enforce_deadline(self._deadline))
        try:
            return await super().async_execute_cell(
                cell, cell_index, execution_count, store_history
            )
        finally:
            if watchdog is not None:
                watchdog.cancel()

    execute_cell = run_sync(async_execute_cell)

    async def _enforce_deadline(self, deadline: CellDeadline) -> None:
        await asyncio.sleep(deadline.seconds)
        if self._answers_in_time < deadline.outputs:
            self._deadline_missed = True
            self.log.warning("A cell's deadline passed (%s); interrupting it", deadline.reason)
            await ensure_async(self.km.interrupt_kernel())

    def _get_timeout(self, cell: NotebookNode | None) -> int | None:
        """A cell's timeout, cut to what is left of the notebook's running time."""
        timeout = super()._get_timeout(cell)
        if cell is None or self._notebook_ends is None:
            return timeout
        left = max(1, math.ceil(self._notebook_ends - time.monotonic()))
        return left if timeout is None else min(timeout, left)

    def process_message(
        self, msg: dict[str, Any], cell: NotebookNode, cell_index: int
    ) -> NotebookNode | None:
        """Keep a message's output only while the cell's and the notebook's output budgets
        last, and answers only when they arrive before their cell's deadline.

        Errors are always kept, shortened, so that a flood cannot hide a failure.
        """
        msg_type = msg["msg_type"]
        deadline = self._deadline
        if deadline is not None and deadline.mime_type in (msg["content"].get("data") or {}):
            if self._deadline_missed or time.monotonic() > self._cell_started + deadline.seconds:
                self._deadline_missed = True
                return None
            self._answers_in_time += 1
        if msg_type not in _CONTROL_MESSAGES:
            size = _text_size(msg["content"])
            cell_used = self._output_used.get(cell_index, 0)
            self._output_used[cell_index] = cell_used + size
            # The cell's budget counts everything it sends; the notebook's, what is kept.
            if cell_used + size > self._sandbox.max_output_bytes:
                if cell_used <= self._sandbox.max_output_bytes:
                    self._note_dropped(cell, False, self._sandbox.max_output_bytes)
            elif (
                self._notebook_output_over
                or self._notebook_output + size > self._sandbox.notebook_output_bytes
            ):
                if not self._notebook_output_over:
                    self._notebook_output_over = True
                    self._note_dropped(cell, True, self._sandbox.notebook_output_bytes)
            else:
                self._notebook_output += size
                return super().process_message(msg, cell, cell_index)
            if msg_type != "error":
                return None
            msg = {**msg, "content": _shortened_error(msg["content"])}
        return super().process_message(msg, cell, cell_index)

    @staticmethod
    def _note_dropped(cell: NotebookNode, notebook: bool, limit: int) -> None:
        note = (
            _(
                "[output truncated: this notebook produced more than {limit} characters of "
                "output; the rest was dropped]"
            )
            if notebook
            else _(
                "[output truncated: this cell produced more than {limit} characters of "
                "output; the rest was dropped]"
            )
        ).format(limit=limit)
        text = f"\n{plain_text_lines(note)}\n"
        cell.outputs.append(NotebookNode(output_type="stream", name="stdout", text=text))


def _runs(cell: NotebookNode) -> bool:
    """Whether nbclient sends this cell to the kernel (it skips empty code cells)."""
    return cell.cell_type == "code" and bool(cell.source.strip())


def _preload_lines(sandbox: Sandbox) -> list[str]:
    """IPython start-up lines that import the preloaded modules and unbind their names."""
    if not sandbox.preload_modules:
        return []
    names = ", ".join(dict.fromkeys(m.split(".")[0] for m in sandbox.preload_modules))
    return [f"import {', '.join(sandbox.preload_modules)}", f"del {names}"]


def _alive(km: AsyncKernelManager) -> bool:
    try:
        return bool(run_sync(km.is_alive)())
    except Exception:
        return False


def _shortened_error(content: dict[str, Any], limit: int = 2000) -> dict[str, Any]:
    """An error message's content cut to ``limit`` characters per field and 50 lines."""
    traceback = [str(line)[:limit] for line in content.get("traceback", [])]
    if len(traceback) > 50:
        traceback = [*traceback[:25], "...", *traceback[-24:]]
    return {
        **content,
        "ename": str(content.get("ename", ""))[:limit],
        "evalue": str(content.get("evalue", ""))[:limit],
        "traceback": traceback,
    }


class _BoundedKernelManager(AsyncKernelManager):
    """A kernel manager whose clients refuse any single message over a size."""

    max_message_bytes = Integer(64 * 1024 * 1024)

    def reach(self, ip: str) -> None:
        """Talk to the kernel's sockets at ``ip`` from now on (the control channel too,
        which the manager connected when the kernel started)."""
        self.ip = ip
        self._close_control_socket()

    def cleanup_ipc_files(self) -> None:
        """Remove the socket files of an unsandboxed kernel.

        A jailed kernel's sockets vanish with its tmpfs; no path through
        ``/proc/<pid>/root`` is ever removed, since by then that PID may be another's.
        """
        if not self.ip.startswith("/proc/"):
            super().cleanup_ipc_files()

    def client(self, **kwargs: Any) -> Any:
        client = super().client(**kwargs)
        # Default options of sockets the client's (own) context creates from now on.
        client.context.setsockopt(zmq.MAXMSGSIZE, self.max_message_bytes)
        return client


class _Said:
    """A message for a cell: English for the instructor (the log, and the error's value
    that flags are read from), and in the notebook's language for the student (the
    traceback, which the notebook and its feedback show).

    ``template`` is marked with ``N_``; a value may be another :class:`_Said`.
    """

    def __init__(self, template: str, **values: Any) -> None:
        self.template = template
        self.values = values

    def english(self) -> str:
        return self._filled(translated=False)

    def translated(self) -> str:
        return self._filled(translated=True)

    def _filled(self, *, translated: bool) -> str:
        values = {
            name: value._filled(translated=translated) if isinstance(value, _Said) else value
            for name, value in self.values.items()
        }
        return (_(self.template) if translated else self.template).format(**values)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _error_output(ename: str, said: _Said) -> NotebookNode:
    return NotebookNode(
        output_type="error",
        ename=ename,
        evalue=_sentence(said.english()),
        traceback=[plain_text_lines(_sentence(said.translated()))],
    )
