"""Grading on a Dask cluster: the executor behind ``conv-grader grade --scheduler``.

The coordinator connects to a Dask scheduler (``dask scheduler``) over TLS with the
course's certificates (:mod:`autograder.course.cluster_security`), registers the
course's :class:`~autograder.course.grading_task.CourseBundle` as a worker plugin (the
scheduler gives it to every worker, including one that joins or is restarted later),
and submits one task per submission, a window at a time. Workers (``dask worker``, one
thread each, on machines with the same checkout and ``make setup``) grade each task in a
private course folder, in the same jail as local grading, and send the result back; the
coordinator writes it (:mod:`autograder.course.results`).

Retries of a task whose worker died are the Dask scheduler's
(``distributed.scheduler.allowed-failures``; then ``KilledWorker``), see
:mod:`autograder.course.executors`. Submissions are not retried on an exception
(Dask's ``retries``): a task raises only for the system's faults, which stop the batch.
If the coordinator loses its connection to the scheduler, Dask reconnects it but drops
the connection's futures; the tasks in flight are submitted again (a few times at most,
then grading stops and a rerun resumes from the ledger).
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from distributed import Client, WorkerPlugin, as_completed, get_worker
from distributed.client import FutureCancelledError
from distributed.scheduler import KilledWorker

from autograder.course.cluster_security import client_security
from autograder.course.course_config import GradingError
from autograder.course.executors import Finished, GaveUp, tries
from autograder.course.grading_task import (
    CourseBundle,
    GradedSubmission,
    GradingTask,
    install_bundle,
    run_task,
)

__all__ = ["START_TOPIC", "TASK_KEY_PREFIX", "DaskExecutor"]

#: The scheduler topic each try's start is logged to.
START_TOPIC = "conv-grader-task-start"
#: A task's Dask key: this, the student id, ``-`` and a random suffix.
TASK_KEY_PREFIX = "conv-grade-"
#: How often one task is resubmitted after the client lost its scheduler and reconnected.
_RECONNECTS = 3


class CoursePlugin(WorkerPlugin):
    """Gives a worker the course when it starts (the scheduler keeps the plugin)."""

    def __init__(self, bundle: CourseBundle) -> None:
        self.bundle = bundle

    def setup(self, worker: Any) -> None:
        install_bundle(self.bundle)


def _run_on_worker(task: GradingTask) -> GradedSubmission:
    """The task as a Dask worker runs it: log the try's start, then grade."""
    worker = get_worker()
    worker.log_event(START_TOPIC, {"key": worker.get_current_task(), "worker": worker.address})
    result = run_task(task)
    result.worker = worker.address
    return result


class DaskExecutor:
    """Grading tasks on a Dask cluster, reached over TLS with the course's certificates.

    Parameters
    ----------
    bundle : CourseBundle
        The course, registered with the scheduler as a worker plugin.
    scheduler : str
        The scheduler's address, ``tls://host:port``.
    certs : Path
        The folder of the course's cluster certificates (the CA, the client's
        certificate and key; :func:`cluster_security.client_security`).
    timeout : float
        Seconds to wait for the scheduler before giving up.

    Raises
    ------
    GradingError
        For an address that is not ``tls://``, a scheduler that cannot be reached (or
        refuses the certificate), or one with no worker within ``timeout``.
    """

    def __init__(
        self, bundle: CourseBundle, scheduler: str, certs: Path, timeout: float = 30
    ) -> None:
        if not scheduler.startswith("tls://"):
            raise GradingError(
                f"refusing to send grading to {scheduler}: a Dask scheduler runs whatever "
                "its clients send, so the cluster must use TLS (tls://host:port)"
            )
        try:
            self._client = Client(
                scheduler, security=client_security(certs), timeout=timeout, set_as_default=False
            )
        except OSError as error:
            raise GradingError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None
        try:
            self._client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            self._client.close()
            raise GradingError(
                f"no worker joined the Dask scheduler at {scheduler} in {timeout:g} s: start "
                "`dask worker` on the grading machines (see README)"
            ) from None
        self._timeout = timeout
        self._plugin = f"conv-grader-course-{bundle.key[:16]}"
        self._client.register_plugin(CoursePlugin(bundle), name=self._plugin)
        self._starts: dict[str, list[str]] = defaultdict(list)
        self._lock = threading.Lock()
        self._client.subscribe_topic(START_TOPIC, self._on_start)

    def _on_start(self, event: tuple[float, dict[str, str]]) -> None:
        _, message = event
        with self._lock:
            self._starts[message["key"]].append(message["worker"])

    def _threads(self) -> dict[str, int]:
        return dict(self._client.nthreads())

    def workers(self) -> int:
        return len(self._threads())

    def _deaths(self, key: str, final: str | None) -> list[str]:
        """The workers that died under ``key``: every start but the one that finished.

        A try's start event reaches the coordinator before its result (both travel the
        worker's and then the scheduler's one ordered stream), so the last start is the
        finishing worker's.
        """
        with self._lock:
            starts = self._starts.pop(key, [])
        if final is not None and starts and starts[-1] == final:
            starts = starts[:-1]
        return starts

    def run(self, tasks: Iterable[GradingTask]) -> Iterator[Finished | GaveUp]:
        pending = iter(tasks)
        running: dict[Any, GradingTask] = {}
        completed = as_completed(loop=self._client.loop)

        def fill() -> None:
            # One task per worker thread: a worker holds only the task it runs, so its
            # death counts against that task alone (see the executors' module docstring).
            window = max(sum(self._threads().values()), 1)
            while len(running) < window:
                task = next(pending, None)
                if task is None:
                    return
                key = f"{TASK_KEY_PREFIX}{task.student_id}-{uuid.uuid4().hex[:12]}"
                future = self._client.submit(_run_on_worker, task, key=key, pure=False)
                running[future] = task
                completed.add(future)

        def submit_again(task: GradingTask, cancelled: FutureCancelledError) -> None:
            """Resubmit a task the client lost with its connection, once it is back."""
            lost[task.student_id] += 1
            if lost[task.student_id] > _RECONNECTS:
                raise GradingError(
                    f"lost the Dask scheduler ({cancelled.reason}): run the same command "
                    "again to resume (the ledger keeps what was graded)"
                ) from None
            deadline = time.monotonic() + self._timeout
            while self._client.status != "running" and time.monotonic() < deadline:
                time.sleep(0.5)
            key = f"{TASK_KEY_PREFIX}{task.student_id}-{uuid.uuid4().hex[:12]}"
            future = self._client.submit(_run_on_worker, task, key=key, pure=False)
            running[future] = task
            completed.add(future)

        lost: dict[str, int] = defaultdict(int)
        fill()
        for future in completed:
            task = running.pop(future)
            try:
                result = future.result()
            except FutureCancelledError as cancelled:
                if cancelled.reason != "scheduler-connection-lost":
                    raise
                # Dask reconnects the client, but the futures of that connection are gone.
                submit_again(task, cancelled)
                continue
            except KilledWorker:
                fill()
                died = self._deaths(future.key, None)
                yield GaveUp(task, [f"{where}: died" for where in died])
            except BaseException:
                for other in running:
                    other.cancel()
                raise
            else:
                fill()  # the worker gets its next task while this result is written
                yield Finished(task, result, tries(self._deaths(future.key, result.worker), result))
            future.release()

    def close(self) -> None:
        # The cluster may be gone; then nothing of ours is left on it.
        with contextlib.suppress(Exception):
            self._client.unregister_worker_plugin(self._plugin)
        self._client.close()
