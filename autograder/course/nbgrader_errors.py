"""What a failed nbgrader API call was really about, in one line, and whose fault it was.

nbgrader's API (``NbGraderAPI``) returns ``{"success": False, "error": ..., "log": ...}``
when a step fails. ``error`` is always the same ``NbGraderException: Please see the the
above traceback ...``; the cause is the last traceback nbgrader logged. This module reads
it back, so that a reason in the ledger, the report or a message is the exception that
happened, never a pointer to a traceback the instructor cannot see.

Some causes are the system's, not the student's (no sandbox, the trusted grader not
configured, no grading kernelspec): grading them student by student would flag the
whole class. :attr:`Failure.is_system_fault` tells them apart, so the instructor's
command can stop at once instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from autograder.jail.execute import SandboxUnavailableError
from autograder.verify.preprocessors import GraderNotConfiguredError

__all__ = ["SYSTEM_FAULTS", "Failure", "failure"]

#: Exceptions that say grading cannot work here at all, whoever's notebook it is.
SYSTEM_FAULTS = frozenset(
    {SandboxUnavailableError.__name__, GraderNotConfiguredError.__name__, "NoSuchKernel"}
)
_HEADER = "Traceback (most recent call last):"
_MAX_MESSAGE = 300


@dataclass(frozen=True)
class Failure:
    """The exception behind a failed nbgrader call.

    Attributes
    ----------
    exception : str
        Its class name, without the module (``"SandboxUnavailableError"``).
    message : str
        Its message, on one line, at most 300 characters.
    """

    exception: str
    message: str

    @property
    def line(self) -> str:
        """``"Exception: message"``, as Python prints it."""
        return f"{self.exception}: {self.message}" if self.message else self.exception

    @property
    def is_system_fault(self) -> bool:
        """Whether the cause is the grading system's rather than the submission's."""
        return self.exception in SYSTEM_FAULTS


def _last_exception(text: str) -> Failure | None:
    """The exception line of the last traceback in ``text`` (a log or a traceback).

    nbgrader's log indents the lines of a multi-line record, so the exception line is
    the first line after the last header with the block's smallest indentation (frames
    and code are indented further); lines at that indentation after it continue the
    message. A new log record (``[LEVEL] ...``) ends the block.
    """
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.rstrip().endswith(_HEADER)]
    if not starts:
        return None
    block = []
    for line in lines[starts[-1] + 1 :]:
        if line.startswith("["):
            break
        if line.strip():
            block.append(line)
    if not block:
        return None
    indent = min(len(line) - len(line.lstrip()) for line in block)
    shallow = [line.strip() for line in block if len(line) - len(line.lstrip()) == indent]
    name, _, message = shallow[0].partition(":")
    message = " ".join([message.strip(), *shallow[1:]]).strip()
    return Failure(name.rsplit(".", 1)[-1], message[:_MAX_MESSAGE])


def failure(result: dict[str, Any]) -> Failure:
    """The cause of a failed ``NbGraderAPI`` call's result.

    Parameters
    ----------
    result : dict
        What ``NbGraderAPI.autograde`` (or another step) returned, ``success`` False.

    Returns
    -------
    Failure
        The last exception nbgrader logged; else the one in ``error``; else a note that
        nbgrader gave no reason.
    """
    for text in (result.get("log", ""), result.get("error", "")):
        found = _last_exception(text or "")
        if found is not None:
            return found
    lines = [line.strip() for line in str(result.get("error", "")).splitlines() if line.strip()]
    return Failure("NbGraderError", lines[-1][:_MAX_MESSAGE] if lines else "no error message")
