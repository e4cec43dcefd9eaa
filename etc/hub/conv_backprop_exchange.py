"""nbgrader's filesystem submit for the course hub: an over-size submission says so in words.

``make hub-envs`` installs this file as a module into the instructors' and the students'
server environments (it needs only nbgrader: the student side has no ``autograder``);
``etc/hub/nbgrader_config.py`` selects it through nbgrader's exchange plug-in interface
(``ExchangeFactory.submit``). nbgrader refuses a folder over
``CourseDirectory.max_dir_size`` with its size in bytes; here the student reads the size
and the limit in MB and the largest files, before anything is copied. (Collect, which
runs only in the instructor's server, is ``autograder.course.hub_exchange``.)
"""

from __future__ import annotations

from pathlib import Path

from nbgrader.exchange.abc.exchange import ExchangeError
from nbgrader.exchange.default.submit import ExchangeSubmit

__all__ = ["SizeCheckedSubmit", "SubmissionTooLargeError"]

_LARGEST_SHOWN = 3


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
