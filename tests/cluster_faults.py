"""A Dask worker preload for the cluster tests: it SIGKILLs its own worker mid-task.

``dask worker --preload tests/cluster_faults.py`` with

- ``CONV_GRADER_TEST_KILL_ONCE=<student>`` and ``CONV_GRADER_TEST_KILL_MARKER=<file>``:
  the first worker to start grading that student dies a second later (once in the whole
  cluster: the marker file is created exclusively), as a machine lost mid-run would;
- ``CONV_GRADER_TEST_POISON=<student>``: every worker that starts grading that student
  dies a second later, as under a submission that crashes its grader.

The kill is real (``SIGKILL`` to the worker process; its nanny starts a new one), only
its cause is staged: no honest submission can kill a worker, the jail sees to that.
"""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

from distributed import WorkerPlugin

from autograder.course.cluster import TASK_KEY_PREFIX

_DELAY_S = 1.0


def _student(key: Any) -> str | None:
    if not isinstance(key, str) or not key.startswith(TASK_KEY_PREFIX):
        return None
    return key[len(TASK_KEY_PREFIX) :].rsplit("-", 1)[0]


def _first_time(marker: str) -> bool:
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


class KillMidTask(WorkerPlugin):
    """Kills this worker a second into grading the chosen students."""

    def setup(self, worker: Any) -> None:
        self.worker = worker

    def _kill_if_still_running(self, key: str) -> None:
        task = self.worker.state.tasks.get(key)
        if task is not None and task.state == "executing":
            os.kill(os.getpid(), signal.SIGKILL)

    def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
        student = _student(key)
        if finish != "executing" or student is None:
            return
        poison = os.environ.get("CONV_GRADER_TEST_POISON")
        once = os.environ.get("CONV_GRADER_TEST_KILL_ONCE")
        marker = os.environ.get("CONV_GRADER_TEST_KILL_MARKER", "")
        if student == poison or (student == once and marker and _first_time(marker)):
            threading.Timer(_DELAY_S, self._kill_if_still_running, (key,)).start()


async def dask_setup(worker: Any) -> None:
    await worker.plugin_add(KillMidTask(), name="conv-grader-test-kill-mid-task")
