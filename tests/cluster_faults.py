"""A Dask worker preload for the cluster tests: it SIGKILLs its own worker mid-task.

``dask worker --preload tests/cluster_faults.py`` with

- ``CONV_GRADER_TEST_KILL_ONCE=<student>`` and ``CONV_GRADER_TEST_KILL_MARKER=<file>``:
  the first worker to grade that student dies (once in the whole cluster: the marker
  file is created exclusively), as a machine lost mid-run would;
- ``CONV_GRADER_TEST_POISON=<student>``: every worker that grades that student dies, as
  under a submission that crashes its grader.

The worker dies in the middle of the task, at a point that does not depend on the
machine's speed: right after nbgrader's autograde of the student's first notebook
returns, before the task's result is sent. The kill is real (``SIGKILL`` to the worker
process; its nanny starts a new one), only its cause is staged: no honest submission
can kill a worker, the jail sees to that.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from autograder.course import grading_task

_autograde = grading_task._PrivateCourse._autograde


def _first_time(marker: str) -> bool:
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def _dies_here(student_id: str) -> bool:
    poison = os.environ.get("CONV_GRADER_TEST_POISON")
    once = os.environ.get("CONV_GRADER_TEST_KILL_ONCE")
    marker = os.environ.get("CONV_GRADER_TEST_KILL_MARKER", "")
    return student_id == poison or (student_id == once and bool(marker) and _first_time(marker))


def _autograde_then_die(self: Any, student_id: str, notebook: str) -> dict[str, Any]:
    result = _autograde(self, student_id, notebook)
    if _dies_here(student_id):
        os.kill(os.getpid(), signal.SIGKILL)
    return result


async def dask_setup(worker: Any) -> None:
    grading_task._PrivateCourse._autograde = _autograde_then_die
