"""The intake rules: how a student's files are read, without trusting any of them.

Every way a submission reaches the grader (an LMS download, nbgrader's exchange, a folder
in ``submitted/``, a task handed to a remote worker) reads it with :func:`scan_submission`
or :func:`read_submission`, so one set of rules holds everywhere:

- **No link is followed.** The walk opens every folder and file relative to its parent's
  descriptor with ``O_NOFOLLOW`` and checks what it opened with ``fstat``, so a symbolic
  link (to another student's notebook, to a host file) is refused, even one swapped in
  while the walk runs.
- **Only regular files and folders.** A FIFO, socket or device (``/dev/zero``) is
  refused without being opened for reading.
- **Sizes are checked before reading** (and reads stop at the limit), against the same
  :class:`Limits` as an LMS zip: per file, per submission and a count of entries.
- **A reason never quotes a file's content**, only its path inside the submission.
- **The student's own** ``timestamp.txt`` **is never trusted.** nbgrader reads lateness
  from it; intake either drops it (an LMS download records no submission time) or
  replaces it with the time the exchange's file system recorded
  (:func:`recorded_submission_time`), which a student cannot set back.

:class:`IntakeCollect` is nbgrader's ``collect`` with these rules.
"""

from __future__ import annotations

import datetime
import errno
import fnmatch
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from nbgrader.exchange.default import ExchangeCollect

__all__ = [
    "TIMESTAMP_FILE",
    "IntakeCollect",
    "Limits",
    "RefusedSubmissionError",
    "SubmissionScan",
    "copy_submission",
    "read_submission",
    "recorded_submission_time",
    "scan_submission",
    "write_timestamp",
]

#: The file nbgrader reads a submission's time from (``CourseDirectory.get_existing_timestamp``).
TIMESTAMP_FILE = "timestamp.txt"
#: nbgrader's own timestamp format (``Exchange.timestamp_format``), always in UTC here.
_TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# Only what lstat showed as a regular file is opened; O_NONBLOCK keeps a FIFO swapped in
# since from blocking the walk (fstat then refuses it).
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_CHUNK = 1 << 16


@dataclass(frozen=True)
class Limits:
    """Size limits for one student's submission, checked on real sizes.

    Attributes
    ----------
    max_file_bytes : int
        Largest single file.
    max_total_bytes : int
        Largest total for one submission.
    max_members : int
        Most files and folders in one submission.
    """

    max_file_bytes: int = 20 * 2**20
    max_total_bytes: int = 50 * 2**20
    max_members: int = 200


class RefusedSubmissionError(Exception):
    """A submission that breaks the intake rules.

    Attributes
    ----------
    problems : list of str
        Every rule it breaks, one sentence each, naming paths, never content.
    """

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class SubmissionScan:
    """What a submission folder holds, read without following anything.

    Attributes
    ----------
    files : dict of PurePosixPath to int
        Every regular file, relative to the submission folder, with its size in bytes.
    folders : list of PurePosixPath
        Every folder inside it, parents first.
    refused : dict of PurePosixPath to str
        Every entry refused (a link, a special file, one over the size limit), with why.
    problems : list of str
        Everything refused, those entries included; empty when the submission can be read.
    """

    files: dict[PurePosixPath, int] = field(default_factory=dict)
    folders: list[PurePosixPath] = field(default_factory=list)
    refused: dict[PurePosixPath, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def refuse(self, relative: PurePosixPath, reason: str) -> None:
        self.refused[relative] = reason
        self.problems.append(reason)

    @property
    def ok(self) -> bool:
        return not self.problems


def _shown(path: PurePosixPath | str) -> str:
    """A path as a reason shows it: quoted, control characters escaped."""
    text = str(path)
    return repr(text) if not text.isprintable() else f"'{text}'"


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _refusal(relative: PurePosixPath, mode: int) -> str:
    if stat.S_ISLNK(mode):
        return f"{_shown(relative)} is a symbolic link: links are refused, submit the files"
    return f"{_shown(relative)} is {_kind(mode)}, not a regular file or folder: refused"


def _too_large(relative: PurePosixPath, limits: Limits) -> str:
    return f"{_shown(relative)} is larger than the limit of {limits.max_file_bytes} bytes"


def _open_root(folder: Path) -> int:
    """A descriptor of the submission folder itself, refusing a link or a non-folder."""
    try:
        return os.open(folder, _DIR_FLAGS)
    except OSError as error:
        if error.errno not in (errno.ELOOP, errno.ENOTDIR):
            raise
    mode = os.lstat(folder).st_mode
    name = PurePosixPath(folder.name)
    if stat.S_ISLNK(mode) or not stat.S_ISREG(mode):
        raise RefusedSubmissionError([_refusal(name, mode)])
    raise RefusedSubmissionError([f"{_shown(name)} is a file, not a folder"])


class _Walk:
    """One walk of a submission, by descriptors, counting entries and bytes."""

    def __init__(self, limits: Limits, ignore: tuple[str, ...]) -> None:
        self.limits = limits
        self.ignore = ignore
        self.scan = SubmissionScan()
        self.members = 0
        self.total = 0

    def entries(self, dir_fd: int, prefix: PurePosixPath) -> Iterator[tuple[PurePosixPath, int]]:
        """Yield ``(relative path, open descriptor)`` of every regular file, depth first.

        Each entry is looked at with ``lstat`` first, so only regular files and folders
        are ever opened; the descriptor's ``fstat`` must then show the same file, or the
        entry was swapped while the walk ran. A descriptor is closed when the consumer
        asks for the next one.
        """
        try:
            with os.scandir(dir_fd) as listing:
                names = sorted(entry.name for entry in listing)
        except OSError as error:
            self.scan.refuse(prefix, f"{_shown(prefix)} cannot be listed ({error.strerror})")
            return
        for name in names:
            if any(fnmatch.fnmatchcase(name, pattern) for pattern in self.ignore):
                continue
            relative = prefix / name
            self.members += 1
            if self.members > self.limits.max_members:
                self.scan.problems.append(
                    f"more than {self.limits.max_members} files and folders: refused"
                )
                return
            fd = self._open(dir_fd, name, relative)
            if fd is None:
                continue
            try:
                if stat.S_ISDIR(os.fstat(fd).st_mode):
                    self.scan.folders.append(relative)
                    yield from self.entries(fd, relative)
                elif self._counted(relative, os.fstat(fd).st_size):
                    yield relative, fd
            finally:
                os.close(fd)
            if self.members > self.limits.max_members:
                return

    def _open(self, dir_fd: int, name: str, relative: PurePosixPath) -> int | None:
        """A descriptor of a regular file or folder; None (and a problem) for anything else."""
        try:
            before = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except OSError as error:
            self.scan.refuse(relative, f"{_shown(relative)} cannot be read ({error.strerror})")
            return None
        if not (stat.S_ISREG(before.st_mode) or stat.S_ISDIR(before.st_mode)):
            self.scan.refuse(relative, _refusal(relative, before.st_mode))
            return None
        flags = _DIR_FLAGS if stat.S_ISDIR(before.st_mode) else _FILE_FLAGS
        try:
            fd = os.open(name, flags, dir_fd=dir_fd)
        except OSError as error:
            changed = error.errno in (errno.ELOOP, errno.ENOTDIR)
            why = "changed while it was read" if changed else f"cannot be read ({error.strerror})"
            self.scan.refuse(relative, f"{_shown(relative)} {why}")
            return None
        after = os.fstat(fd)
        if (after.st_dev, after.st_ino, stat.S_IFMT(after.st_mode)) != (
            before.st_dev,
            before.st_ino,
            stat.S_IFMT(before.st_mode),
        ):
            os.close(fd)
            self.scan.refuse(relative, f"{_shown(relative)} changed while it was read")
            return None
        return fd

    def _counted(self, relative: PurePosixPath, size: int) -> bool:
        if size > self.limits.max_file_bytes:
            self.scan.refuse(relative, _too_large(relative, self.limits))
            return False
        self.total += size
        if self.total > self.limits.max_total_bytes:
            self.scan.problems.append(
                f"the submission is larger than the limit of {self.limits.max_total_bytes} bytes"
            )
            return False
        self.scan.files[relative] = size
        return True


def _walk(
    folder: Path, limits: Limits, ignore: Iterable[str]
) -> tuple[_Walk, Iterator[tuple[PurePosixPath, int]]]:
    walk = _Walk(limits, tuple(ignore))
    root = _open_root(Path(folder))

    def files() -> Iterator[tuple[PurePosixPath, int]]:
        try:
            yield from walk.entries(root, PurePosixPath())
        finally:
            os.close(root)

    return walk, files()


def scan_submission(
    folder: Path, limits: Limits | None = None, ignore: Iterable[str] = ()
) -> SubmissionScan:
    """List a submission folder with the intake rules, reading no file's content.

    Parameters
    ----------
    folder : Path
        The submission folder (e.g. ``submitted/<student>/<assignment>``); it must be a
        folder itself, not a link to one.
    limits : Limits, optional
        Size and count limits; :class:`Limits` defaults.
    ignore : iterable of str
        Glob patterns of names to skip without looking at them (nbgrader's
        ``CourseDirectory.ignore``: checkpoints, caches).

    Returns
    -------
    SubmissionScan
        The regular files and folders found, and every problem (links, special files,
        sizes over the limits).
    """
    try:
        walk, files = _walk(folder, limits or Limits(), ignore)
    except RefusedSubmissionError as refused:
        return SubmissionScan(problems=refused.problems)
    for _ in files:
        pass
    return walk.scan


def _read_fd(fd: int, limit: int) -> bytes:
    """At most ``limit + 1`` bytes: a file that grew past the limit is caught."""
    chunks = []
    remaining = limit + 1
    while remaining > 0 and (chunk := os.read(fd, min(_CHUNK, remaining))):
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_submission(
    folder: Path, limits: Limits | None = None, ignore: Iterable[str] = ()
) -> dict[PurePosixPath, bytes]:
    """Every regular file of a submission, read with the intake rules.

    The one way to take a submission's bytes: links are never followed, special files
    never opened, and a file is read only up to its limit.

    Parameters
    ----------
    folder : Path
        The submission folder; it must be a folder itself, not a link to one.
    limits : Limits, optional
        Size and count limits; :class:`Limits` defaults.
    ignore : iterable of str
        Glob patterns of names to skip, as for :func:`scan_submission`.

    Returns
    -------
    dict of PurePosixPath to bytes
        File content by path relative to ``folder``, in path order.

    Raises
    ------
    RefusedSubmissionError
        If anything in the folder breaks the rules; nothing is returned then.
    """
    limits = limits or Limits()
    walk, files = _walk(folder, limits, ignore)
    content: dict[PurePosixPath, bytes] = {}
    for relative, fd in files:
        data = _read_fd(fd, limits.max_file_bytes)
        if len(data) > limits.max_file_bytes:
            walk.scan.refuse(relative, _too_large(relative, limits))
        content[relative] = data
    if walk.scan.problems:
        raise RefusedSubmissionError(walk.scan.problems)
    return content


def copy_submission(
    source: Path, destination: Path, limits: Limits | None = None, ignore: Iterable[str] = ()
) -> None:
    """Copy a submission's regular files and folders into a new folder, all or nothing.

    Parameters
    ----------
    source : Path
        The submission folder, read with :func:`read_submission`.
    destination : Path
        Created here (its parent must exist); it must not exist yet.
    limits : Limits, optional
        Size and count limits.
    ignore : iterable of str
        Glob patterns of names not copied.

    Raises
    ------
    RefusedSubmissionError
        If the source breaks the intake rules; ``destination`` is then not created.
    """
    content = read_submission(source, limits, ignore)
    destination = Path(destination)
    destination.mkdir()
    for relative, data in content.items():
        target = destination.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("xb") as sink:
            sink.write(data)


def recorded_submission_time(folder: Path) -> datetime.datetime:
    """When the file system last saw the submission change: the latest ``ctime`` in it.

    A student can set a file's modification time (``touch -d``) but not its change time:
    the kernel sets that on every write, rename or ``chmod``. The latest change time of
    the folder and everything in it (links included, not followed) is therefore no
    earlier than the last change to the submission.

    Parameters
    ----------
    folder : Path
        The submission as the exchange holds it (e.g. ``inbound/<student>+<assignment>+...``).

    Returns
    -------
    datetime.datetime
        A timezone-aware UTC time.
    """
    latest = os.lstat(folder).st_ctime
    for root, folders, files in os.walk(folder, followlinks=False):
        for name in folders + files:
            latest = max(latest, os.lstat(os.path.join(root, name)).st_ctime)
    return datetime.datetime.fromtimestamp(latest, datetime.UTC)


def write_timestamp(folder: Path, when: datetime.datetime) -> None:
    """Write ``timestamp.txt`` the way nbgrader's exchange does, replacing any there.

    Parameters
    ----------
    folder : Path
        The submission folder in ``submitted/``.
    when : datetime.datetime
        A timezone-aware time; written in UTC.
    """
    path = Path(folder) / TIMESTAMP_FILE
    path.unlink(missing_ok=True)
    path.write_text(when.astimezone(datetime.UTC).strftime(_TIMESTAMP_FORMAT))


class IntakeCollect(ExchangeCollect):
    """nbgrader's ``collect`` with the intake rules (``c.ExchangeFactory.collect``).

    nbgrader's own copy (``shutil.copytree``) follows links and reads special files as the
    instructor, and keeps the ``timestamp.txt`` the student's side wrote. This one leaves
    out, before nbgrader replaces anything, every submission that breaks the intake rules
    (the log says why; a submission collected earlier stays as it was), copies the rest
    with :func:`copy_submission` and writes their ``timestamp.txt`` from
    :func:`recorded_submission_time` of the exchange's copy.
    """

    def copy_files(self) -> None:
        kept = []
        records: list[dict[str, Any]] = self.src_records  # type: ignore[has-type]
        for record in records:
            source = Path(self.inbound_path) / record["filename"]
            scan = scan_submission(source, ignore=self.coursedir.ignore)
            if scan.ok:
                kept.append(record)
            else:
                self._refused(record["filename"], scan.problems)
        self.src_records = kept
        super().copy_files()

    def do_copy(self, src: str, dest: str, log: object = None) -> None:
        try:
            copy_submission(Path(src), Path(dest), ignore=self.coursedir.ignore)
        except RefusedSubmissionError as refused:  # changed since copy_files scanned it
            self._refused(os.path.basename(src), refused.problems)
            return
        write_timestamp(Path(dest), recorded_submission_time(Path(src)))

    def _refused(self, name: str, problems: list[str]) -> None:
        self.log.error("Not collected: %s breaks the intake rules: %s", name, "; ".join(problems))
