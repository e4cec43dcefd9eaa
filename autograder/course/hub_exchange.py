"""Collect on the course hub: an inbound entry counts only if its student made it.

On one machine every student can write to the exchange's ``inbound/``, and nbgrader's
collect takes the student id from an entry's name, only warning when the entry belongs to
someone else: a student could submit in another's name, later than their real
submission, and have it graded as theirs. :class:`OwnerCheckedCollect` is the course's
collect (:class:`~autograder.course.intake.IntakeCollect`, the intake rules) refusing,
before anything is copied, every entry that is not a real folder owned by the Unix
account of the student it names. The refusal names the entry, the student it claims and
its real owner in the collect log the instructor reads, and that student's own latest
submission is collected instead.

The hub selects it in the course's ``nbgrader_config.py`` (:mod:`autograder.course.hub`
appends the line), so it holds however nbgrader is started: formgrader's Collect or
``nbgrader collect`` in the course folder.
"""

from __future__ import annotations

import datetime
import os
import pwd
import stat
from pathlib import Path
from typing import Any

from autograder.course.intake import IntakeCollect

__all__ = ["OwnerCheckedCollect", "entry_refusal"]

# The student id nbgrader's collect groups a refused entry under: no account can be named
# so (useradd refuses a space), so it never mixes with a real student's entries.
_REFUSED = "refused entry"
_LONG_AGO = datetime.datetime(1970, 1, 1)


def entry_refusal(entry: Path, student_id: str) -> str | None:
    """Why ``inbound/<entry>`` cannot be ``student_id``'s submission, or None if it can.

    It can if it is a real folder (not a symbolic link, which could point at anyone's
    files) owned by the Unix account named ``student_id``: only that account, or root,
    can make such a folder.
    """
    try:
        facts = entry.lstat()
    except OSError as error:
        return f"it cannot be read ({error.strerror})"
    try:
        owner = pwd.getpwuid(facts.st_uid).pw_name
    except KeyError:
        owner = f"uid {facts.st_uid}"
    if not stat.S_ISDIR(facts.st_mode):
        return f"it is not a folder (owner {owner})"
    try:
        expected = pwd.getpwnam(student_id).pw_uid
    except KeyError:
        return f"no account is named {student_id!r} (owner {owner})"
    if facts.st_uid != expected:
        return f"it claims to be {student_id}'s but belongs to {owner}"
    return None


class OwnerCheckedCollect(IntakeCollect):
    """The course's collect, refusing every inbound entry not made by the student it names."""

    def init_src(self) -> None:
        self.refused: list[str] = []
        super().init_src()

    def _path_to_record(self, path: str) -> dict[str, Any]:
        student_id = os.path.basename(path).rsplit("+", 3)[0]  # as nbgrader reads it
        reason = entry_refusal(Path(path), student_id)
        if reason is None:
            try:
                return super()._path_to_record(path)
            except (ValueError, OverflowError):  # dateutil's ParserError is a ValueError
                # A made-up time in a name must not stop the collect of everyone else.
                reason = "its name holds no time nbgrader can read"
        self.refused.append(f"{os.path.basename(path)}: {reason}")
        return {"username": _REFUSED, "filename": path, "timestamp": _LONG_AGO}

    def copy_files(self) -> None:
        for message in self.refused:
            self.log.error("Refused, not collected: inbound/%s", message)
        self.src_records = [r for r in self.src_records if r["username"] != _REFUSED]
        super().copy_files()
