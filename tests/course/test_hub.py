"""The course hub's set-up: accounts, permissions, roster, configs and pins.

The whole term in a browser is tests/browser/test_hub.py; these check, fast, what the
set-up leaves on the machine and that removing it leaves nothing it made.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import socket
import sqlite3
import stat
import subprocess
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from traitlets.config import PyFileConfigLoader

from autograder.course import hub

REPO = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)$")


def _pins(path: Path) -> dict[str, str]:
    lines = [line.strip() for line in path.read_text().splitlines()]
    return dict(PIN.match(line).groups() for line in lines if line and not line.startswith("#"))


def test_student_servers_run_the_graders_versions_and_one_jupyterhub():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    grader = dict(PIN.match(spec).groups() for spec in project)
    student = _pins(REPO / "etc" / "hub" / "requirements-student-server.txt")
    hub_extra = _pins(REPO / "etc" / "hub" / "requirements-hub.txt")
    assert student["jupyterlab"] == grader["jupyterlab"]
    assert student["nbgrader"] == grader["nbgrader"]
    assert student["jupyterhub"] == hub_extra["jupyterhub"]
    assert "conv-backprop-autograder" not in student


def test_hub_wide_nbgrader_config_refuses_incomplete_and_oversized_submissions(monkeypatch):
    monkeypatch.setenv("CONV_BACKPROP_EXCHANGE", "/srv/somewhere")
    config = PyFileConfigLoader("nbgrader_config.py", path=str(REPO / "etc" / "hub")).load_config()
    assert config.Exchange.root == "/srv/somewhere"
    assert config.Exchange.path_includes_course is True
    assert config.Authenticator.plugin_class == "nbgrader.auth.JupyterHubAuthPlugin"
    assert config.ExchangeSubmit.strict is True
    assert 0 < config.CourseDirectory.max_dir_size <= 10_000


def test_course_config_applies_nbgraders_late_penalty():
    text = (REPO / "nbgrader_config.py").read_text()
    assert re.search(r'^c\.LateSubmissionPlugin\.penalty_method = "zero"$', text, re.M)


def _roster(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(text)
    return path


def test_roster_in_nbgraders_import_form_is_read_and_bad_rows_refused(tmp_path):
    students, refused = hub.read_roster(
        _roster(
            tmp_path,
            "id,first_name,last_name,email\n"
            "ada,Ada,Lovelace,ada@example.org\n"
            "Bad Name,B,N,\n"
            "ada,Ada,Again,\n"
            "grace,Grace,Hopper,\n",
        )
    )
    assert students == {
        "ada": {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.org"},
        "grace": {"first_name": "Grace", "last_name": "Hopper", "email": ""},
    }
    assert len(refused) == 2
    assert "roster.csv:3" in refused[0] and "account name" in refused[0]
    assert "roster.csv:4" in refused[1] and "twice" in refused[1]


def test_roster_without_an_id_column_is_refused(tmp_path):
    with pytest.raises(hub.HubError, match="no 'id' column"):
        hub.read_roster(_roster(tmp_path, "name,email\nada,ada@example.org\n"))


# ------------------------------------------- accounts and permissions (root only)


def _world_readable_folder() -> Path:
    """A fresh folder every account can enter (pytest's own are root's only)."""
    folder = Path(tempfile.mkdtemp(prefix="conv-hub-test-"))
    folder.chmod(0o755)
    return folder


@contextlib.contextmanager
def _fake_envs() -> Iterator[Path]:
    """Stand-ins for the built environments (set-up only checks they are there), but
    the real grader Python: enrolling runs nbgrader as the instructor."""
    folder = _world_readable_folder()
    prefix = folder / "prefix"
    paths = hub.HubPaths(prefix=prefix, state=folder / "unused")
    for binary in (
        paths.grader_env / "bin" / "jupyterhub",
        paths.grader_env / "bin" / "jupyterhub-singleuser",
        paths.student_env / "bin" / "jupyterhub-singleuser",
        paths.runtime_env / "bin" / "python",
        paths.node,
        paths.proxy,
    ):
        binary.parent.mkdir(parents=True, exist_ok=True)
        binary.touch()
    # Enrolling runs nbgrader as the instructor: the real grader environment's python.
    real = hub.HubPaths().grader_env / "bin" / "python"
    if not real.exists():
        _need("`make hub-envs`")
    for name in ("python", "alembic"):  # nbgrader runs alembic from PATH
        wrapper = paths.grader_env / "bin" / name
        wrapper.write_text(f'#!/bin/sh\nexec {real.parent / name} "$@"\n')
        wrapper.chmod(0o755)
    try:
        yield prefix
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def fake_envs() -> Iterator[Path]:
    with _fake_envs() as prefix:
        yield prefix


def _need(what: str) -> None:
    reason = f"the hub's set-up needs {what} (make test runs it as root)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def made_hub():
    """One hub set up for the module's checks (enrolling takes seconds), removed after."""
    if os.geteuid() != 0:
        _need("root")
    with _fake_envs() as prefix:
        yield from _made_hub(prefix)


def _made_hub(prefix: Path):
    paths = hub.HubPaths(prefix=prefix, state=prefix.parent / "state")
    suffix = os.urandom(2).hex()
    settings = hub.HubSettings(
        instructors=(f"cbu{suffix}-teach",),
        students=(f"cbu{suffix}-ann", f"cbu{suffix}-ben"),
        guests=(f"cbu{suffix}-eve",),
    )
    try:
        passwords = hub.create_course_hub(paths, settings)
        yield paths, settings, passwords
    finally:
        hub.remove_course_hub(paths)


def test_every_person_gets_an_account_with_a_private_home_and_a_password(made_hub):
    _, settings, passwords = made_hub
    everyone = [*settings.instructors, *settings.students, *settings.guests]
    assert sorted(passwords) == sorted(everyone)
    assert len(set(passwords.values())) == len(everyone)
    for name in everyone:
        home = Path(pwd.getpwnam(name).pw_dir)
        assert stat.S_IMODE(home.stat().st_mode) == 0o700, name
        assert home.stat().st_uid == pwd.getpwnam(name).pw_uid
    shadow = Path("/etc/shadow").read_text()
    for name in everyone:
        (entry,) = [line for line in shadow.splitlines() if line.startswith(f"{name}:")]
        assert entry.split(":")[1].startswith("$"), f"{name} has no password hash"


def test_the_exchange_is_sticky_and_the_course_folder_is_the_instructors(made_hub):
    paths, settings, _ = made_hub
    root = paths.exchange.stat()
    assert stat.S_IMODE(root.st_mode) == 0o1777
    course = (paths.exchange / hub.COURSE_ID).stat()
    assert course.st_uid == pwd.getpwnam(settings.instructors[0]).pw_uid
    assert stat.S_IMODE(course.st_mode) == 0o755


def test_the_hubs_secrets_are_root_only(made_hub):
    paths, _, _ = made_hub
    assert stat.S_IMODE(paths.private.stat().st_mode) == 0o700
    for secret in ("proxy_token", "roster_token", "settings.json", "accounts.json"):
        assert stat.S_IMODE((paths.private / secret).stat().st_mode) == 0o600, secret


def test_the_course_is_the_instructors_with_the_trusted_config_and_the_students(made_hub):
    paths, settings, _ = made_hub
    instructor = settings.instructors[0]
    root = hub.course_root(instructor)
    course_config = (REPO / "nbgrader_config.py").read_text() + hub.HUB_COURSE_CONFIG
    assert (root / "nbgrader_config.py").read_text() == course_config
    own = (Path(pwd.getpwnam(instructor).pw_dir) / ".jupyter" / "nbgrader_config.py").read_text()
    assert str(root) in own and "load_subconfig" in own
    uid = pwd.getpwnam(instructor).pw_uid
    assert all(path.stat().st_uid == uid for path in [root, *root.rglob("*")])
    with sqlite3.connect(root / "gradebook.db") as db:
        enrolled = {row[0] for row in db.execute("SELECT id FROM student")}
    assert enrolled == set(hub.read_settings(paths).students)  # with any added by a roster


def test_an_existing_account_is_never_taken_over_or_removed(fake_envs):
    if os.geteuid() != 0:
        _need("root")
    paths = hub.HubPaths(prefix=fake_envs, state=fake_envs.parent / "state")
    settings = hub.HubSettings(instructors=("nobody",), students=())
    with pytest.raises(hub.HubError, match="already exists"):
        hub.create_course_hub(paths, settings)
    assert not paths.state.exists()
    hub.remove_course_hub(paths)
    assert pwd.getpwnam("nobody")


# What making accounts touches outside their homes: make hub-clean restores every byte.
_ACCOUNT_FILES = ("passwd", "group", "shadow", "gshadow", "subuid", "subgid")


def _machine_state() -> dict[str, object]:
    state: dict[str, object] = {
        name: Path("/etc", name).read_text() if Path("/etc", name).exists() else None
        for name in _ACCOUNT_FILES
    }
    state["homes"] = sorted(os.listdir("/home"))
    state["mail"] = sorted(os.listdir("/var/mail")) if Path("/var/mail").exists() else []
    return state


def test_make_hub_clean_leaves_the_machine_as_it_was(fake_envs):
    if os.geteuid() != 0:
        _need("root")
    before = _machine_state()
    state = fake_envs.parent / "state"
    paths = hub.HubPaths(prefix=fake_envs, state=state)
    suffix = os.urandom(2).hex()
    names = (f"cbu{suffix}-t", f"cbu{suffix}-s")
    hub.create_course_hub(paths, hub.HubSettings(instructors=names[:1], students=names[1:]))
    sleeper = subprocess.Popen(["runuser", "-u", names[1], "--", "sleep", "600"])
    assert _machine_state() != before
    done = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "hub-clean",
            f"HUB_PREFIX={fake_envs}",
            f"HUB_STATE={state}",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    sleeper.wait(10)  # stopped: its account is gone
    assert _machine_state() == before
    assert not state.exists() and not fake_envs.exists()
    for name in names:
        with pytest.raises(KeyError):
            pwd.getpwnam(name)


def _command_lines() -> list[str]:
    lines = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):  # a process that ended meanwhile
            lines.append(cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace"))
    return lines


def test_stopping_the_hub_leaves_no_process(tmp_path):
    """The hub runs its proxy with Node.js itself: stopping pip's `node` wrapper instead
    left the proxy running, holding its ports."""
    if os.geteuid() != 0:
        _need("root")
    real = hub.HubPaths()
    if not (real.prefix / ".installed").exists():
        _need("`make hub-envs`")
    folder = _world_readable_folder()
    paths = hub.HubPaths(prefix=real.prefix, state=folder / "state")
    suffix = os.urandom(2).hex()
    port, hub_port, proxy_api_port = hub.free_ports(3)
    settings = hub.HubSettings(
        instructors=(f"cbu{suffix}-t",),
        students=(),
        port=port,
        hub_port=hub_port,
        proxy_api_port=proxy_api_port,
    )
    try:
        hub.create_course_hub(paths, settings)
        process = hub.start_hub(paths, log=tmp_path / "hub.log")
        hub.stop_hub(process)
    finally:
        hub.remove_course_hub(paths)
        shutil.rmtree(folder)
    leftover = [line for line in _command_lines() if f"--api-port {proxy_api_port}" in line]
    assert leftover == []
    for taken in (port, hub_port, proxy_api_port):
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", taken)) != 0, taken


def test_adding_a_roster_makes_accounts_and_enrols_them(made_hub, tmp_path):
    paths, settings, _ = made_hub
    new = f"{settings.students[0]}x"
    roster = _roster(tmp_path, f"id,first_name,last_name,email\n{new},N,E,\nnobody,,,\n")
    result = hub.add_students(paths, roster)
    assert list(result.passwords) == [new]
    assert any("nobody" in reason for reason in result.refused)
    assert new in hub.read_settings(paths).students
    with sqlite3.connect(hub.course_root(settings.instructors[0]) / "gradebook.db") as db:
        assert (new,) in db.execute("SELECT id FROM student").fetchall()
