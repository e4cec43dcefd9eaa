"""Unpack an LMS download of per-student zips into nbgrader's ``submitted/`` safely.

An LMS exports one zip per student (or one zip holding those zips). Every name inside is
chosen by a student, so nothing in it is trusted:

- a member whose path is absolute, climbs out with ``..``, is a link or a device, or holds
  a NUL byte is refused, and so is a per-student zip that is itself a link or a special
  file in a downloaded folder (nothing is followed: :mod:`autograder.course.intake`);
- sizes are counted while decompressing, not read from the headers (which a zip bomb
  forges), against a per-file, per-student and a member-count limit;
- an LMS id becomes a safe nbgrader id (ASCII letters, digits, ``_`` and ``-``), and
  the mapping is kept in ``student_ids.csv`` beside ``submitted/``; an id whose safe form
  is already taken gets a distinct one, and the file's ``note`` column says why;
- the student's own ``timestamp.txt`` is dropped: nbgrader would take lateness from it,
  and this download records no submission time (the zips are named by LMS id only, and
  a zip entry's time is whatever the student's computer said). Lateness stays the LMS's
  business; nbgrader counts these submissions on time;
- two zips for the same student are both refused, never one silently preferred.

A student is unpacked into a scratch folder first and moved into ``submitted/`` in one
rename, so a failure leaves nothing half-written. An existing submission is never
overwritten: an identical re-upload is accepted as is, a different one is refused.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import shutil
import stat
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder.course.intake import (
    TIMESTAMP_FILE,
    Limits,
    RefusedSubmissionError,
    read_submission,
    scan_submission,
)

__all__ = [
    "ID_MAP_FILE",
    "Limits",
    "UnpackedStudent",
    "read_id_map",
    "safe_student_id",
    "unpack_lms_download",
]

#: The LMS-id to nbgrader-id map, written into the course folder.
ID_MAP_FILE = "student_ids.csv"

_SAFE_ID = re.compile(r"[^A-Za-z0-9_-]+")
_IGNORED_PARTS = {"__MACOSX", ".DS_Store", ".ipynb_checkpoints"}
_CHUNK = 1 << 16
_STUDENT_TIMESTAMP = PurePosixPath(TIMESTAMP_FILE)
#: An outer zip only ever holds the per-student zips: same rules, larger limits.
_DOWNLOAD_LIMITS = Limits(2**31, 2**33, 100_000)


@dataclass
class UnpackedStudent:
    """What happened to one student's upload.

    Attributes
    ----------
    lms_id : str
        The id as the LMS wrote it (the zip's name without ``.zip``).
    student_id : str
        The nbgrader id its files went to (or would have gone to).
    problems : list of str
        Why a human should look: empty when it was unpacked cleanly.
    """

    lms_id: str
    student_id: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class _RefusedError(Exception):
    """A zip that must not be unpacked; the message says why."""


def safe_student_id(lms_id: str) -> str:
    """Turn an LMS id into an id nbgrader can use as a folder name and a glob.

    Accents are folded to ASCII, everything else outside ``[A-Za-z0-9_-]`` becomes ``_``,
    so spaces, ``..``, slashes and glob characters (``*?[]``) cannot reach nbgrader.

    Parameters
    ----------
    lms_id : str
        The id as the LMS exported it.

    Returns
    -------
    str
        A non-empty id; ``"student"`` when nothing usable is left.
    """
    folded = unicodedata.normalize("NFKD", lms_id).encode("ascii", "ignore").decode("ascii")
    cleaned = _SAFE_ID.sub("_", folded).strip("_-")
    return cleaned or "student"


def _assign_ids(
    lms_ids: Iterable[str], taken: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Map each LMS id to a distinct safe id, keeping every mapping already in ``taken``.

    An LMS id whose safe form is free gets it. One whose safe form is taken (by an earlier
    download, or by an LMS id that is that very form) gets a short, stable hash of the LMS
    id appended, and a counter after that if even this is taken, so two students never
    share a folder and no download is refused for it. Within one download the result does
    not depend on upload order.

    Returns
    -------
    mapping : dict of str to str
        LMS id -> nbgrader id, ``taken`` included.
    notes : dict of str to str
        For each LMS id given a distinct id here, why.
    """
    lms_ids = set(lms_ids)
    mapping = dict(taken)
    owners = {student_id: lms_id for lms_id, student_id in mapping.items()}
    notes = {}
    for lms_id in sorted(lms_ids - set(mapping)):
        base = safe_student_id(lms_id)
        candidate = base
        if base in owners or (base != lms_id and base in lms_ids):
            owner = owners.get(base, base)
            digest = hashlib.sha256(lms_id.encode("utf-8")).hexdigest()[:8]
            candidate = f"{base}-{digest}"
            counter = 2
            while candidate in owners or (candidate in lms_ids and candidate != lms_id):
                candidate = f"{base}-{digest}-{counter}"
                counter += 1
            notes[lms_id] = f"{base!r} is the nbgrader id of LMS id {owner!r}"
        mapping[lms_id] = candidate
        owners[candidate] = lms_id
    return mapping, notes


def _read_id_rows(course_root: Path) -> list[dict[str, str]]:
    path = Path(course_root) / ID_MAP_FILE
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def read_id_map(course_root: Path) -> dict[str, str]:
    """Read ``student_ids.csv`` (LMS id -> nbgrader id); empty if there is none yet.

    Parameters
    ----------
    course_root : Path
        The nbgrader course folder.
    """
    return {row["lms_id"]: row["student_id"] for row in _read_id_rows(course_root)}


def _write_id_map(course_root: Path, mapping: dict[str, str], notes: dict[str, str]) -> None:
    path = Path(course_root) / ID_MAP_FILE
    notes = {row["lms_id"]: row.get("note") or "" for row in _read_id_rows(course_root)} | notes
    partial = path.with_suffix(".csv.partial")
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["lms_id", "student_id", "note"])
        for lms_id, student_id in sorted(mapping.items()):
            writer.writerow([lms_id, student_id, notes.get(lms_id, "")])
    partial.replace(path)


def _member_path(info: zipfile.ZipInfo) -> PurePosixPath | None:
    """The member's relative path, None for entries to skip; refuse anything unsafe."""
    name = info.filename.replace("\\", "/")
    if "\x00" in name:
        raise _RefusedError(f"member name {name!r} holds a NUL byte")
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise _RefusedError(f"member {name!r} is a link or special file")
    path = PurePosixPath(name)
    if path.is_absolute() or re.match(r"^[A-Za-z]:", name):
        raise _RefusedError(f"member {name!r} has an absolute path")
    if ".." in path.parts:
        raise _RefusedError(f"member {name!r} climbs out of its folder with '..'")
    if info.is_dir() or any(part in _IGNORED_PARTS for part in path.parts):
        return None
    return path


def _strip_common_folder(paths: list[PurePosixPath]) -> list[PurePosixPath]:
    """Students often zip the folder, not its contents: drop one shared top folder."""
    if paths and all(len(path.parts) > 1 for path in paths):
        tops = {path.parts[0] for path in paths}
        if len(tops) == 1:
            return [PurePosixPath(*path.parts[1:]) for path in paths]
    return paths


def _extract(
    archive: zipfile.ZipFile, destination: Path, limits: Limits, *, submission: bool
) -> None:
    """Extract every safe member into ``destination``, counting real bytes.

    For a ``submission`` (one student's zip), the student's own ``timestamp.txt`` is left
    out: nbgrader would trust it for lateness.
    """
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise _RefusedError(f"{len(infos)} entries, more than the limit of {limits.max_members}")
    members = [(info, path) for info in infos if (path := _member_path(info)) is not None]
    targets = _strip_common_folder([path for _, path in members])
    total = 0
    for (info, _), relative in zip(members, targets, strict=True):
        if submission and relative == _STUDENT_TIMESTAMP:
            continue
        target = destination.joinpath(*relative.parts)
        if target.exists():
            raise _RefusedError(f"member {relative} appears twice")
        target.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        with archive.open(info) as source, target.open("xb") as sink:
            while chunk := source.read(_CHUNK):
                written += len(chunk)
                total += len(chunk)
                if written > limits.max_file_bytes:
                    raise _RefusedError(f"{relative} is larger than {limits.max_file_bytes} bytes")
                if total > limits.max_total_bytes:
                    raise _RefusedError(f"more than {limits.max_total_bytes} bytes once unpacked")
                sink.write(chunk)


def _same_submission(staged: Path, existing: Path, limits: Limits) -> bool:
    """Whether ``existing`` (read with the intake rules, nothing followed) holds the same
    files as ``staged``."""
    try:
        return read_submission(existing, limits) == read_submission(staged, limits)
    except RefusedSubmissionError:
        return False


def _student_zips(download: Path, scratch: Path) -> tuple[list[Path], dict[str, str]]:
    """The per-student zips in a folder, or inside one outer zip (unpacked into scratch).

    Returns
    -------
    zips : list of Path
        Every regular file named ``*.zip``, sorted.
    refused : dict of str to str
        By LMS id, why a ``<lms_id>.zip`` that is a link or a special file was refused.
    """
    if download.is_file():
        outer = scratch / "outer"
        outer.mkdir()
        with zipfile.ZipFile(download) as archive:
            _extract(archive, outer, _DOWNLOAD_LIMITS, submission=False)
        download = outer
    scan = scan_submission(download, _DOWNLOAD_LIMITS)
    if len(scan.problems) > len(scan.refused):  # a limit on the whole download
        raise RefusedSubmissionError(scan.problems)
    refused = {
        path.stem.strip(): reason
        for path, reason in scan.refused.items()
        if path.suffix.lower() == ".zip"
    }
    zips = [download.joinpath(*path.parts) for path in scan.files if path.suffix.lower() == ".zip"]
    return sorted(zips), refused


def unpack_lms_download(
    download: Path,
    course_root: Path,
    assignment_id: str,
    limits: Limits | None = None,
) -> list[UnpackedStudent]:
    """Unpack an LMS download into ``submitted/<student_id>/<assignment_id>/``.

    Parameters
    ----------
    download : Path
        A folder of ``<lms_id>.zip`` files, or one zip holding them.
    course_root : Path
        The nbgrader course folder; ``submitted/`` and ``student_ids.csv`` live here.
    assignment_id : str
        The nbgrader assignment the files belong to.
    limits : Limits, optional
        Size limits per student zip.

    Returns
    -------
    list of UnpackedStudent
        One entry per LMS id found, in id order; problems say what was refused.
    """
    if not Path(download).exists():
        raise FileNotFoundError(f"no LMS download at {download}")
    limits = limits or Limits()
    course_root = Path(course_root)
    submitted = course_root / "submitted"
    submitted.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=course_root, prefix=".unpack-") as scratch_name:
        scratch = Path(scratch_name)
        by_id: dict[str, list[Path]] = {}
        zips_found, refused = _student_zips(Path(download), scratch)
        for path in zips_found:
            by_id.setdefault(path.stem.strip(), []).append(path)
        id_map, notes = _assign_ids(set(by_id) | set(refused), read_id_map(course_root))
        _write_id_map(course_root, id_map, notes)

        results = []
        for lms_id in sorted(set(by_id) | set(refused)):
            zips = by_id.get(lms_id, [])
            result = UnpackedStudent(lms_id, id_map[lms_id])
            results.append(result)
            if lms_id in refused:
                result.problems.append(f"zip refused: {refused[lms_id]}")
                continue
            if len(zips) > 1:
                result.problems.append(
                    f"{len(zips)} zips for the same id ({', '.join(p.name for p in zips)}); "
                    "none was unpacked"
                )
                continue
            staging = scratch / "students" / result.student_id
            try:
                with zipfile.ZipFile(zips[0]) as archive:
                    _extract(archive, staging / assignment_id, limits, submission=True)
            except (_RefusedError, zipfile.BadZipFile, OSError, EOFError) as error:
                result.problems.append(f"zip refused: {error}")
                continue
            destination = submitted / result.student_id
            if not staging.exists():
                result.problems.append("the zip holds no files")
            elif not os.path.lexists(destination):
                staging.rename(destination)
            elif not _same_submission(staging, destination, limits):
                result.problems.append(
                    f"submitted/{result.student_id} already holds a different submission; "
                    "it was left untouched"
                )
        shutil.rmtree(scratch / "students", ignore_errors=True)
    return results
