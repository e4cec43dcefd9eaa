"""The course hub's exchange: collect (autograder.course.hub_exchange) and the submit
plug-in (etc/hub/conv_backprop_exchange.py), on a real nbgrader filesystem exchange in a
temporary folder.

Collect: an inbound entry counts only if the Unix account it names made it. The entries
here belong to the system accounts ``daemon`` and ``nobody`` (made with chown, as root),
standing in for two students. Submit: an over-size folder is refused in words.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import pwd
import shutil
from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config, PyFileConfigLoader

from autograder.course import hub
from autograder.course.hub_exchange import OwnerCheckedCollect

REPO = Path(__file__).resolve().parents[2]
_SPEC = importlib.util.spec_from_file_location(
    "conv_backprop_exchange", REPO / "etc" / "hub" / "conv_backprop_exchange.py"
)
exchange = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(exchange)

COURSE = "course101"
ASSIGNMENT = "ps1"
VICTIM, ATTACKER = "daemon", "nobody"  # system accounts on every Debian


def _config(tmp_path: Path) -> Config:
    config = Config()
    config.CourseDirectory.root = str(tmp_path / "course")
    config.CourseDirectory.course_id = COURSE
    config.CourseDirectory.assignment_id = ASSIGNMENT
    config.Exchange.root = str(tmp_path / "exchange")
    config.Exchange.cache = str(tmp_path / "cache")
    return config


def _entry(inbound: Path, student: str, when: str, owner: str, marker: str) -> Path:
    """A submission folder in inbound/, named for ``student``, owned by ``owner``."""
    entry = inbound / f"{student}+{ASSIGNMENT}+{when}+{marker}"
    entry.mkdir()
    (entry / "answer.txt").write_text(marker)
    account = pwd.getpwnam(owner)
    for path in (entry, entry / "answer.txt"):
        os.chown(path, account.pw_uid, account.pw_gid)
    return entry


@pytest.fixture(scope="module")
def empty_gradebook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new gradebook, made once (nbgrader's migrations take seconds), copied per test."""
    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    Gradebook(f"sqlite:///{path}", COURSE).close()
    return path


@pytest.fixture
def inbound(tmp_path: Path, empty_gradebook: Path) -> Path:
    if os.geteuid() != 0:
        reason = "making files owned by other accounts needs root (make test runs as root)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    folder = tmp_path / "exchange" / COURSE / "inbound"
    folder.mkdir(parents=True)
    (tmp_path / "course").mkdir()
    shutil.copy(empty_gradebook, tmp_path / "course" / "gradebook.db")
    return folder


def _collect(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> dict[str, str]:
    """Run the hub's collect; return each collected student's answer."""
    config = _config(tmp_path)
    coursedir = CourseDirectory(config=config)
    collect = OwnerCheckedCollect(
        coursedir=coursedir, authenticator=Authenticator(config=config), config=config
    )
    with caplog.at_level(logging.INFO):
        collect.start()
    submitted = tmp_path / "course" / "submitted"
    return {
        folder.name: (folder / ASSIGNMENT / "answer.txt").read_text()
        for folder in sorted(submitted.iterdir())
    }


def test_a_later_entry_named_for_another_student_is_refused_and_theirs_collected(
    tmp_path, inbound, caplog
):
    _entry(inbound, VICTIM, "2026-01-01 10:00:00.000000 UTC", VICTIM, "genuine")
    spoof = _entry(inbound, VICTIM, "2026-01-02 10:00:00.000000 UTC", ATTACKER, "spoofed")
    _entry(inbound, ATTACKER, "2026-01-01 11:00:00.000000 UTC", ATTACKER, "own")

    collected = _collect(tmp_path, caplog)

    assert collected == {VICTIM: "genuine", ATTACKER: "own"}
    refusals = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert refusals == [
        f"Refused, not collected: inbound/{spoof.name}: "
        f"it claims to be {VICTIM}'s but belongs to {ATTACKER}"
    ]


def test_a_link_a_file_an_unknown_name_and_an_unreadable_time_are_refused(
    tmp_path, inbound, caplog
):
    genuine = _entry(inbound, VICTIM, "2026-01-01 10:00:00.000000 UTC", VICTIM, "genuine")
    # A link made by the attacker to the victim's own (older) folder: lstat sees the link.
    link = inbound / f"{VICTIM}+{ASSIGNMENT}+2026-01-03 10:00:00.000000 UTC+link"
    link.symlink_to(genuine)
    os.lchown(link, pwd.getpwnam(ATTACKER).pw_uid, pwd.getpwnam(ATTACKER).pw_gid)
    file = inbound / f"{VICTIM}+{ASSIGNMENT}+2026-01-04 10:00:00.000000 UTC+file"
    file.write_text("not a folder")
    _entry(inbound, "ghost", "2026-01-01 10:00:00.000000 UTC", ATTACKER, "ghost")
    _entry(inbound, ATTACKER, "not a time at all", ATTACKER, "garbled")

    collected = _collect(tmp_path, caplog)

    assert collected == {VICTIM: "genuine"}
    refusals = sorted(r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
    assert len(refusals) == 4, refusals
    assert any("+link: it is not a folder" in message for message in refusals)
    assert any("+file: it is not a folder (owner root)" in message for message in refusals)
    assert any("no account is named 'ghost'" in message for message in refusals)
    assert any("garbled: its name holds no time" in message for message in refusals)


def test_the_hub_selects_the_plug_ins(tmp_path):
    config = PyFileConfigLoader("nbgrader_config.py", path=str(REPO / "etc" / "hub")).load_config()
    module, name = config.ExchangeFactory.submit.rsplit(".", 1)
    assert (module, name) == ("conv_backprop_exchange", "SizeCheckedSubmit")
    assert hasattr(exchange, name)
    # Collect is chosen in the course's own config on the hub, which nbgrader reads last:
    # the repository's alone would choose the plain intake collect.
    (tmp_path / "nbgrader_config.py").write_text(
        (REPO / "nbgrader_config.py").read_text() + hub.HUB_COURSE_CONFIG
    )
    course = PyFileConfigLoader("nbgrader_config.py", path=str(tmp_path)).load_config()
    assert course.ExchangeFactory.collect == "autograder.course.hub_exchange.OwnerCheckedCollect"


# ------------------------------------------------------------------------ submit


def _release_and_work(tmp_path: Path, extra_bytes: int) -> Config:
    """An assignment released to the exchange and a student's copy with one extra file."""
    config = _config(tmp_path)
    config.CourseDirectory.max_dir_size = 1000  # kB: 1 MB
    release = tmp_path / "exchange" / COURSE / "outbound" / ASSIGNMENT
    release.mkdir(parents=True)
    (tmp_path / "exchange" / COURSE / "inbound").mkdir()
    (release / "ps1.ipynb").write_text("{}")
    work = tmp_path / "student" / ASSIGNMENT
    work.mkdir(parents=True)
    (work / "ps1.ipynb").write_text("{}")
    (work / "data.bin").write_bytes(bytes(extra_bytes))
    config.Exchange.assignment_dir = str(tmp_path / "student")
    return config


def _submit(config: Config) -> None:
    exchange.SizeCheckedSubmit(
        coursedir=CourseDirectory(config=config),
        authenticator=Authenticator(config=config),
        config=config,
    ).start()


def test_an_over_size_submission_is_refused_in_megabytes_naming_the_largest_file(tmp_path):
    config = _release_and_work(tmp_path, extra_bytes=2_500_000)
    with pytest.raises(exchange.SubmissionTooLargeError) as refused:
        _submit(config)
    assert str(refused.value) == (
        "Not submitted: the assignment folder holds 2.5 MB,\n"
        "over the course's limit of 1.0 MB. The largest files:\n"
        "  data.bin: 2.5 MB\n"
        "  ps1.ipynb: 0.0 MB\n"
        "Remove the files you added, then press Submit again."
    )
    assert list((tmp_path / "exchange" / COURSE / "inbound").iterdir()) == []


def test_a_submission_under_the_limit_goes_through(tmp_path):
    _submit(_release_and_work(tmp_path, extra_bytes=500_000))
    (entry,) = (tmp_path / "exchange" / COURSE / "inbound").iterdir()
    assert (entry / "data.bin").stat().st_size == 500_000
