"""nbgrader's filesystem exchange for the course hub, with two rules of its own.

``make hub-envs`` installs this file as a module into the instructors' and the students'
server environments (it needs only nbgrader, so the student side still has no
``autograder``); ``etc/hub/nbgrader_config.py`` selects its classes through nbgrader's
exchange plug-in interface (``ExchangeFactory``). Everything else is nbgrader's own.

- **Collect trusts no file name.** ``inbound/`` is writable by every student, and
  nbgrader's collect takes the student id from an entry's name, only warning when the
  entry belongs to someone else. Here an entry is collected only if it is a real folder
  (not a link) owned by the Unix account of the student it names; any other entry is
  refused, with its name, its claimed student and its real owner in the collect log the
  instructor reads, and the named student's own latest submission is collected instead.
- **An over-size submission says so in words.** nbgrader refuses a folder over
  ``CourseDirectory.max_dir_size`` with its size in bytes; here the student reads the size
  and the limit in MB and the largest files, before anything is copied.
"""

from __future__ import annotations

import datetime
import os
import pwd
import stat
from pathlib import Path

from nbgrader.exchange.abc.exchange import ExchangeError
from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.exchange.default.submit import ExchangeSubmit

__all__ = ["OwnerCheckedCollect", "SizeCheckedSubmit", "SubmissionTooLargeError", "entry_refusal"]

_LARGEST_SHOWN = 3
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


class OwnerCheckedCollect(ExchangeCollect):
    """nbgrader's collect, refusing every inbound entry not made by the student it names."""

    def init_src(self) -> None:
        self.refused: list[str] = []
        super().init_src()

    def _path_to_record(self, path: str) -> dict:
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


class SubmissionTooLargeError(ExchangeError):
    """A submission over the course's size limit (the student reads this message)."""


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


class SizeCheckedSubmit(ExchangeSubmit):
    """nbgrader's submit, refusing an over-size folder with its size and largest files."""

    def do_copy(self, src: str, dest: str, log=None) -> None:
        limit = 1000 * self.coursedir.max_dir_size  # nbgrader's kB
        size = self.get_size(src)
        if size > limit:
            files = [
                path for path in Path(src).rglob("*") if path.is_file() and not path.is_symlink()
            ]
            largest = sorted(files, key=lambda path: path.stat().st_size, reverse=True)
            shown = "\n".join(
                f"  {path.relative_to(src)}: {_megabytes(path.stat().st_size)}"
                for path in largest[:_LARGEST_SHOWN]
            )
            # Short lines: the Assignment List shows the message in a box that does not wrap.
            message = (
                f"Not submitted: the assignment folder holds {_megabytes(size)},\n"
                f"over the course's limit of {_megabytes(limit)}. The largest files:\n"
                f"{shown}\n"
                "Remove the files you added, then press Submit again."
            )
            self.log.error(message)
            raise SubmissionTooLargeError(message)
        super().do_copy(src, dest, log=log)
