"""Where grading tasks run: the executors, and worker processes on this machine.

Both executors (:class:`LocalExecutor` here, ``DaskExecutor`` in
:mod:`autograder.course.cluster`) take the same :class:`~autograder.course.grading_task.GradingTask`
values, run the same :func:`~autograder.course.grading_task.run_task` in a worker
process that was given the course's :class:`CourseBundle` once, and yield the same
events, in the order tasks finish:

- :class:`Finished`: the task's :class:`GradedSubmission`, and every try it took;
- :class:`GaveUp`: the task's worker died on every try (a poison submission).

**Flat memory.** Tasks are pulled from an iterator and only one task per worker (per
worker thread) is in flight; a task's files are read when it is pulled, and dropped with
its result. A worker gets its next task before the coordinator writes the last result.

**Worker deaths.** A task whose worker dies under it (killed, out of memory, a crash of
the grader itself) is run again on another worker. The bound is Dask's
``distributed.scheduler.allowed-failures`` (default 3): a task that was on a worker when
it died more than that many times is given up, flagged "needs a human", and the batch
goes on. In a cluster the Dask scheduler applies it (its own setting, on the scheduler's
machine); on this machine :class:`LocalExecutor` applies the same setting. Dask counts
a death against every task the dead worker held; as a worker holds only the task it
runs, only that task pays. Exceptions are never retried: a task raises only for the
system's faults (:class:`GradingError`), which stop the batch.

**Tries.** Each try is recorded with the worker it ran on (in a cluster, an event the
task logs to the scheduler as it starts, which the coordinator subscribes to), so the
ledger shows ``"<worker>: died"`` for every lost try and ``"<worker>: graded"`` for
the one that counted.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from autograder.course.grading_task import (
    CourseBundle,
    GradedSubmission,
    GradingTask,
    install_bundle,
    run_task,
)

__all__ = [
    "Executor",
    "Finished",
    "GaveUp",
    "LocalExecutor",
    "allowed_failures",
    "tries",
]


@dataclass
class Finished:
    """A task that ran to the end on some worker."""

    task: GradingTask
    result: GradedSubmission
    tries: list[str]


@dataclass
class GaveUp:
    """A task whose worker died on every try."""

    task: GradingTask
    tries: list[str]


class Executor(Protocol):
    """Runs grading tasks somewhere and yields their events as they finish."""

    def workers(self) -> int:
        """How many workers grade now."""
        ...

    def run(self, tasks: Iterable[GradingTask]) -> Iterator[Finished | GaveUp]:
        """Run every task; yield each one's event once, in the order they end."""
        ...

    def close(self) -> None:
        """Stop what this executor started (never a cluster's own workers)."""
        ...


def allowed_failures() -> int:
    """Dask's ``distributed.scheduler.allowed-failures`` on this machine (default 3)."""
    import dask.config

    # Importing distributed registers its defaults with dask.config.
    import distributed  # noqa: F401

    return int(dask.config.get("distributed.scheduler.allowed-failures"))


def tries(deaths: list[str], result: GradedSubmission) -> list[str]:
    """The ledger's record of a task's tries: each worker that died, then the one that graded."""
    return [f"{where}: died" for where in deaths] + [f"{result.worker}: graded"]


# ------------------------------------------------------------------ this machine


def _local_worker_init(bundle: CourseBundle, log_dir: str) -> None:
    """A local worker: given the course, its noise sent to a log file.

    Kernels inherit the worker's stdout and stderr; their start-up chatter would break
    the coordinator's progress bar, so both go to ``grading_logs/worker-<pid>.log``.
    """
    import warnings

    log = os.open(
        os.path.join(log_dir, f"worker-{os.getpid()}.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND
    )
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    warnings.simplefilter("ignore", category=Warning)
    install_bundle(bundle)


def _run_local(task: GradingTask) -> GradedSubmission:
    result = run_task(task)
    result.worker = f"{socket.gethostname()} pid {os.getpid()}"
    return result


class LocalExecutor:
    """``jobs`` worker processes on this machine (the embedded default).

    Parameters
    ----------
    bundle : CourseBundle
        The course, given to each worker process when it starts.
    jobs : int
        Worker processes.
    log_dir : Path
        Where each worker's output goes.
    """

    def __init__(self, bundle: CourseBundle, jobs: int, log_dir: Path) -> None:
        self._bundle = bundle
        self._jobs = max(1, jobs)
        self._log_dir = str(log_dir)
        self._allowed_failures = allowed_failures()
        self._pool: ProcessPoolExecutor | None = None

    def workers(self) -> int:
        return self._jobs

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self._jobs,
            multiprocessing.get_context("spawn"),
            _local_worker_init,
            (self._bundle, self._log_dir),
        )

    def run(self, tasks: Iterable[GradingTask]) -> Iterator[Finished | GaveUp]:
        pending = iter(tasks)
        again: deque[GradingTask] = deque()
        deaths: dict[str, list[str]] = defaultdict(list)
        running: dict[Future[GradedSubmission], GradingTask] = {}
        self._pool = self._new_pool()

        def fill() -> None:
            # One task per worker: every task in flight is running, so a worker's death
            # is counted against the tasks it could have been running, no others.
            while len(running) < self._jobs:
                task = again.popleft() if again else next(pending, None)
                if task is None:
                    return
                assert self._pool is not None
                running[self._pool.submit(_run_local, task)] = task

        fill()
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            if any(isinstance(f.exception(), BrokenProcessPool) for f in done):
                # Every task in flight ends with the pool: wait for all of them.
                done, _ = wait(running)
            events: list[Finished | GaveUp] = []
            broken: list[GradingTask] = []
            for future in done:
                task = running.pop(future)
                error = future.exception()
                if isinstance(error, BrokenProcessPool):
                    broken.append(task)
                elif error is not None:
                    # The system's fault (or a bug): every other student would meet it.
                    self.close()
                    raise error
                else:
                    result = future.result()
                    lost = deaths.pop(task.student_id, [])
                    events.append(Finished(task, result, tries(lost, result)))
            if broken:
                self._pool.shutdown(wait=True)
                self._pool = self._new_pool()
                for task in broken:
                    lost = deaths[task.student_id]
                    lost.append(f"{socket.gethostname()} (a local worker)")
                    if len(lost) > self._allowed_failures:
                        deaths.pop(task.student_id)
                        events.append(GaveUp(task, [f"{where}: died" for where in lost]))
                    else:
                        again.append(task)
            fill()  # the workers get their next tasks while these results are written
            yield from events
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
