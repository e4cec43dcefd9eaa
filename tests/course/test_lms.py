"""Unpacking LMS downloads: hostile archives are refused and lose nothing."""

from __future__ import annotations

import csv
import hashlib
import os
import stat
import zipfile
from pathlib import Path

import pytest

from autograder.course.lms import (
    ID_MAP_FILE,
    Limits,
    read_id_map,
    safe_student_id,
    unpack_lms_download,
)

NOTEBOOK = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


def _zip(path: Path, members: dict[str, bytes], *, compression: int = zipfile.ZIP_STORED) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _unpack(download: Path, course: Path, **limits: int):
    results = unpack_lms_download(download, course, "conv_backprop", Limits(**limits))
    return {result.lms_id: result for result in results}


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    ("lms_id", "expected"),
    [
        ("alice", "alice"),
        ("José Núñez", "Jose_Nunez"),
        ("../../etc", "etc"),
        ("a*b?[c]", "a_b_c"),
        ("..", "student"),
        ("学生", "student"),
    ],
)
def test_safe_student_id_keeps_only_safe_characters(lms_id, expected):
    assert safe_student_id(lms_id) == expected


def test_plain_download_lands_one_folder_per_student(tmp_path):
    download = tmp_path / "download"
    _zip(download / "alice.zip", {"conv_backprop/01_forward.ipynb": NOTEBOOK})
    _zip(download / "bob.zip", {"01_forward.ipynb": NOTEBOOK, "__MACOSX/._x": b"junk"})
    results = _unpack(download, tmp_path / "course")
    assert all(result.ok for result in results.values())
    submitted = tmp_path / "course" / "submitted"
    assert _files(submitted) == {
        "alice/conv_backprop/01_forward.ipynb",
        "bob/conv_backprop/01_forward.ipynb",
    }
    assert (submitted / "bob/conv_backprop/01_forward.ipynb").read_bytes() == NOTEBOOK


def test_outer_zip_of_student_zips_is_accepted(tmp_path):
    inner = _zip(tmp_path / "inner" / "carol.zip", {"01_forward.ipynb": NOTEBOOK})
    outer = _zip(tmp_path / "export.zip", {"export/carol.zip": inner.read_bytes()})
    results = _unpack(outer, tmp_path / "course")
    assert results["carol"].ok
    assert (tmp_path / "course/submitted/carol/conv_backprop/01_forward.ipynb").exists()


@pytest.mark.parametrize(
    "member",
    ["../../escape.ipynb", "ok/../../escape.ipynb", "/etc/escape.ipynb", "C:/escape.ipynb"],
)
def test_path_escapes_are_refused_and_nothing_is_written(tmp_path, member):
    download = tmp_path / "download"
    _zip(download / "mallory.zip", {"01_forward.ipynb": NOTEBOOK, member: b"owned"})
    results = _unpack(download, tmp_path / "course")
    assert not results["mallory"].ok
    assert "escape" in " ".join(results["mallory"].problems) or "absolute" in " ".join(
        results["mallory"].problems
    )
    assert not (tmp_path / "course" / "submitted" / "mallory").exists()
    assert not list(tmp_path.rglob("escape.ipynb"))


def test_symlink_member_is_refused(tmp_path):
    download = tmp_path / "download"
    download.mkdir()
    with zipfile.ZipFile(download / "mallory.zip", "w") as archive:
        link = zipfile.ZipInfo("01_forward.ipynb")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    results = _unpack(download, tmp_path / "course")
    assert "link" in results["mallory"].problems[0]
    assert not (tmp_path / "course" / "submitted" / "mallory").exists()


def test_zip_bomb_is_stopped_by_bytes_actually_decompressed(tmp_path):
    download = tmp_path / "download"
    bomb = _zip(
        download / "bomb.zip",
        {"01_forward.ipynb": b"\0" * (8 * 2**20)},
        compression=zipfile.ZIP_DEFLATED,
    )
    assert bomb.stat().st_size < 100_000
    results = _unpack(download, tmp_path / "course", max_file_bytes=2**20)
    assert "larger than" in results["bomb"].problems[0]
    assert not (tmp_path / "course" / "submitted" / "bomb").exists()


def test_total_size_and_member_count_limits(tmp_path):
    download = tmp_path / "download"
    _zip(download / "many.zip", {f"f{i}.txt": b"x" for i in range(30)})
    _zip(download / "big.zip", {f"f{i}.txt": b"x" * 1000 for i in range(5)})
    results = _unpack(download, tmp_path / "course", max_members=20, max_total_bytes=3000)
    assert "entries" in results["many"].problems[0]
    assert "bytes once unpacked" in results["big"].problems[0]


def test_duplicate_ids_are_both_refused(tmp_path):
    download = tmp_path / "download"
    _zip(download / "alice.zip", {"01_forward.ipynb": NOTEBOOK})
    _zip(download / "late" / "alice.zip", {"01_forward.ipynb": b"{}"})
    results = _unpack(download, tmp_path / "course")
    assert "2 zips for the same id" in results["alice"].problems[0]
    assert not (tmp_path / "course" / "submitted" / "alice").exists()


def test_duplicate_member_names_inside_one_zip_are_refused(tmp_path):
    download = tmp_path / "download"
    download.mkdir()
    with zipfile.ZipFile(download / "eve.zip", "w") as archive:
        archive.writestr("01_forward.ipynb", NOTEBOOK)
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("01_forward.ipynb", b"second")
    results = _unpack(download, tmp_path / "course")
    assert "appears twice" in results["eve"].problems[0]


def test_odd_ids_are_mapped_and_the_map_is_kept(tmp_path):
    download = tmp_path / "download"
    for name in ["José", "Jose", "a b", "..evil"]:
        _zip(download / f"{name}.zip", {"01_forward.ipynb": NOTEBOOK})
    course = tmp_path / "course"
    results = _unpack(download, course)
    ids = {lms_id: result.student_id for lms_id, result in results.items()}
    assert ids["Jose"] == "Jose"
    assert ids["José"].startswith("Jose-") and len(ids["José"]) == len("Jose-") + 8
    assert ids["a b"] == "a_b"
    assert ids["..evil"] == "evil"
    assert read_id_map(course) == ids
    assert (course / ID_MAP_FILE).exists()
    assert sorted(p.name for p in (course / "submitted").iterdir()) == sorted(ids.values())


def test_reupload_never_overwrites_a_submission(tmp_path):
    course = tmp_path / "course"
    first = tmp_path / "first"
    _zip(first / "alice.zip", {"01_forward.ipynb": NOTEBOOK})
    assert _unpack(first, course)["alice"].ok
    assert _unpack(first, course)["alice"].ok, "an identical re-upload is fine"
    second = tmp_path / "second"
    _zip(second / "alice.zip", {"01_forward.ipynb": b"changed"})
    result = _unpack(second, course)["alice"]
    assert "already holds a different submission" in result.problems[0]
    notebook = course / "submitted/alice/conv_backprop/01_forward.ipynb"
    assert notebook.read_bytes() == NOTEBOOK


def test_corrupt_and_empty_zips_are_reported(tmp_path):
    download = tmp_path / "download"
    download.mkdir()
    (download / "broken.zip").write_bytes(b"PK\x03\x04 not really a zip")
    _zip(download / "empty.zip", {})
    results = _unpack(download, tmp_path / "course")
    assert "zip refused" in results["broken"].problems[0]
    assert results["empty"].problems == ["the zip holds no files"]
    assert not list((tmp_path / "course").glob(".unpack-*")), "scratch is cleaned up"


def test_a_missing_download_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no LMS download"):
        unpack_lms_download(tmp_path / "nowhere", tmp_path / "course", "conv_backprop")
    assert not (tmp_path / "course").exists()


def test_a_safe_id_taken_by_an_earlier_download_gets_a_distinct_id_and_a_note(tmp_path):
    course = tmp_path / "course"
    first = tmp_path / "first"
    _zip(first / "José.zip", {"01_forward.ipynb": NOTEBOOK})
    assert _unpack(first, course)["José"].student_id == "Jose"
    late = tmp_path / "late"
    _zip(late / "Jose.zip", {"01_forward.ipynb": b"another student's work"})
    _zip(late / "bob.zip", {"01_forward.ipynb": NOTEBOOK})
    results = _unpack(late, course)
    assert results["Jose"].ok and results["bob"].ok, "one collision does not stop the unpack"
    later = results["Jose"].student_id
    assert later.startswith("Jose-") and later != "Jose"
    submitted = course / "submitted"
    assert (submitted / "Jose/conv_backprop/01_forward.ipynb").read_bytes() == NOTEBOOK
    assert (submitted / later / "conv_backprop/01_forward.ipynb").read_bytes() == (
        b"another student's work"
    )
    rows = {row["lms_id"]: row for row in csv.DictReader((course / ID_MAP_FILE).open())}
    assert rows["Jose"]["student_id"] == later
    assert "José" in rows["Jose"]["note"] and "'Jose'" in rows["Jose"]["note"]
    assert rows["José"]["note"] == "" and rows["bob"]["note"] == ""
    again = tmp_path / "again"
    _zip(again / "carol.zip", {"01_forward.ipynb": NOTEBOOK})
    _unpack(again, course)
    rows = {row["lms_id"]: row for row in csv.DictReader((course / ID_MAP_FILE).open())}
    assert "José" in rows["Jose"]["note"], "a later unpack keeps the note"


def test_even_a_taken_hashed_id_does_not_stop_the_unpack(tmp_path):
    hashed = "Jose-" + hashlib.sha256("José".encode()).hexdigest()[:8]
    download = tmp_path / "download"
    for name in ["José", "Jose", hashed]:
        _zip(download / f"{name}.zip", {"01_forward.ipynb": name.encode()})
    results = _unpack(download, tmp_path / "course")
    ids = {lms_id: result.student_id for lms_id, result in results.items()}
    assert all(result.ok for result in results.values())
    assert ids["Jose"] == "Jose" and ids[hashed] == hashed
    assert len(set(ids.values())) == 3
    for lms_id, student_id in ids.items():
        notebook = tmp_path / "course/submitted" / student_id / "conv_backprop/01_forward.ipynb"
        assert notebook.read_bytes() == lms_id.encode()


def test_the_students_own_timestamp_is_dropped(tmp_path):
    download = tmp_path / "download"
    _zip(
        download / "alice.zip",
        {
            "conv_backprop/01_forward.ipynb": NOTEBOOK,
            "conv_backprop/timestamp.txt": b"2000-01-01 00:00:00.000000 UTC",
            "conv_backprop/data/timestamp.txt": b"just a file of the student's",
        },
    )
    assert _unpack(download, tmp_path / "course")["alice"].ok
    folder = tmp_path / "course/submitted/alice/conv_backprop"
    assert _files(folder) == {"01_forward.ipynb", "data/timestamp.txt"}


@pytest.mark.parametrize("target", ["host_file", "other_student", "/dev/zero"])
def test_a_student_zip_that_is_a_link_or_special_file_is_refused(tmp_path, target):
    download = tmp_path / "download"
    _zip(download / "alice.zip", {"01_forward.ipynb": NOTEBOOK})
    secret = tmp_path / "host_file"
    secret.write_bytes(b"SECRET-HOST-BYTES")
    other = _zip(tmp_path / "elsewhere" / "bob.zip", {"01_forward.ipynb": b"bob's work"})
    pointee = {"host_file": secret, "other_student": other, "/dev/zero": Path("/dev/zero")}
    (download / "mallory.zip").symlink_to(pointee[target])
    results = _unpack(download, tmp_path / "course")
    assert results["alice"].ok
    (problem,) = results["mallory"].problems
    assert "symbolic link" in problem and "SECRET" not in problem
    assert not (tmp_path / "course/submitted/mallory").exists()


def test_a_fifo_in_the_download_is_refused_without_being_opened(tmp_path):
    download = tmp_path / "download"
    _zip(download / "alice.zip", {"01_forward.ipynb": NOTEBOOK})
    os.mkfifo(download / "mallory.zip")
    results = _unpack(download, tmp_path / "course")
    assert results["alice"].ok
    assert "named pipe" in results["mallory"].problems[0]


def test_an_existing_submission_holding_a_link_is_never_read(tmp_path):
    course = tmp_path / "course"
    existing = course / "submitted/alice/conv_backprop"
    existing.mkdir(parents=True)
    (existing / "01_forward.ipynb").symlink_to("/dev/zero")
    download = tmp_path / "download"
    _zip(download / "alice.zip", {"01_forward.ipynb": NOTEBOOK})
    result = _unpack(download, course)["alice"]
    assert "already holds a different submission" in result.problems[0]
    assert (existing / "01_forward.ipynb").is_symlink(), "left untouched"
