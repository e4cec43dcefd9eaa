"""The conv-grader command: installed, --help everywhere, clear failures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from autograder.course.cli import main

COMMANDS = ["build", "grade", "feedback", "report", "demo"]
ENTRY_POINT = Path(sys.executable).parent / "conv-grader"


def test_the_entry_point_is_installed_and_lists_every_subcommand():
    done = subprocess.run([str(ENTRY_POINT), "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    for command in COMMANDS:
        assert command in done.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as stop:
        main([command, "--help"])
    assert stop.value.code == 0
    assert "usage: conv-grader " + command in capsys.readouterr().out


def test_grade_has_jobs_lms_and_db_options(capsys):
    with pytest.raises(SystemExit):
        main(["grade", "--help"])
    text = capsys.readouterr().out
    for option in ("--jobs", "--lms", "--db", "--force", "--course"):
        assert option in text


@pytest.mark.parametrize("command", ["grade", "feedback", "report", "build"])
def test_a_folder_without_a_course_is_a_clear_error(command, tmp_path, capsys):
    assert main([command, "--course", str(tmp_path)]) == 2
    assert "no nbgrader_config.py" in capsys.readouterr().err


def test_demo_refuses_to_replace_a_folder_it_did_not_make(tmp_path, capsys):
    (tmp_path / "precious.txt").write_text("keep me")
    assert main(["demo", "--out", str(tmp_path), "--no-progress"]) == 2
    assert "was not made by the demo" in capsys.readouterr().err
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_an_unknown_subcommand_fails():
    with pytest.raises(SystemExit) as stop:
        main(["regrade-everything"])
    assert stop.value.code == 2
