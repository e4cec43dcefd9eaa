"""A course hub for one browser test, and what a person does on it, as Playwright steps.

The hub is the one ``make hub`` runs (``autograder.course.hub``): the environments
``make hub-envs`` built, real Unix accounts (named with a random suffix, removed
afterwards even when the test fails), PAM logins, one server per account. Only its
state folder and its ports are the test's own: everything listens on 127.0.0.1.

Each person keeps one browser context and one JupyterLab page for the whole term: the
Assignment List, the notebooks and the terminal open as tabs in it, as they would for a
student, so JupyterLab loads once per person.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Route

from autograder.course import hub

from .lab_page import NotebookPage, Screenshots, ValidationResult, read_validation
from .lab_server import USER_SETTINGS

__all__ = ["CourseHub", "HubUser", "Timings", "course_hub"]

HUB_PREFIX = Path(os.environ.get("CONV_BACKPROP_HUB_PREFIX", "/opt/conv-backprop"))
VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT_MS = 240_000  # what waits on the server: a spawn, a grading, a fetch
_STEP_TIMEOUT_MS = 120_000  # a click or a key on a loaded page
_TERMINAL_TRIES = 3
_TERMINAL_WAIT_MS = 20_000
_POLL_MS = 500
# The JupyterLab settings the other browser tests use, and a terminal cursor that does
# not blink (an open terminal cost Chromium 0.09 of a core with a blinking cursor, 0.04
# without).
_LAB_SETTINGS = {
    **USER_SETTINGS,
    "@jupyterlab/terminal-extension/plugin.jupyterlab-settings": {"cursorBlink": False},
}
_LIST = "#course_list_default"
RUNUSER = shutil.which("runuser") or "/usr/sbin/runuser"  # found on root's PATH, not theirs


@dataclass
class Timings:
    """How long each step of the flow took (seconds), written next to the screenshots."""

    steps: dict[str, float] = field(default_factory=dict)
    _started: float = field(default_factory=time.monotonic)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        began = time.monotonic()
        try:
            yield
        finally:
            self.steps[name] = time.monotonic() - began

    def report(self) -> str:
        lines = [f"{seconds:7.1f} s  {name}" for name, seconds in self.steps.items()]
        lines.append(f"{time.monotonic() - self._started:7.1f} s  in all")
        return "\n".join(lines)


@dataclass
class HubUser:
    """One person logged in to the hub, with JupyterLab open in their own browser context."""

    name: str
    page: Page
    base: str  # http://127.0.0.1:<port>/user/<name>

    # ------------------------------------------------------------ their server's API

    def call(self, method: str, path: str, body: object = None) -> tuple[int, object]:
        """Call the user's own Jupyter server (``base/<path>``) from their page, with
        their cookies and XSRF token: what JupyterLab's file browser and the Assignment
        List do. Returns the status and the decoded reply."""
        status, data = self.page.evaluate(
            """async ([url, method, body]) => {
                const xsrf = (document.cookie.match(/(?:^|; )_xsrf=([^;]*)/) || [])[1];
                const init = {method, headers: {"X-XSRFToken": xsrf || ""}};
                if (body !== null) {
                    init.body = JSON.stringify(body);
                    init.headers["Content-Type"] = "application/json";
                }
                const reply = await fetch(url, init);
                const text = await reply.text();
                let data = text;
                try { data = JSON.parse(text); } catch (e) {}
                return [reply.status, data];
            }""",
            [f"{self.base}/{path}", method, body],
        )
        return status, data

    def read_notebook(self, path: str) -> dict:
        status, model = self.call("GET", f"api/contents/{path}?type=notebook&content=1")
        assert status == 200, (path, status, model)
        return model["content"]

    def write_notebook(self, path: str, notebook: dict) -> None:
        body = {"type": "notebook", "content": notebook}
        status, model = self.call("PUT", f"api/contents/{path}", body)
        assert status in (200, 201), (path, status, model)

    def read_text(self, path: str) -> str:
        status, model = self.call("GET", f"api/contents/{path}?type=file&format=text&content=1")
        assert status == 200, (path, status, model)
        return model["content"]

    # ------------------------------------------------------------------ JupyterLab

    def menu(self, menu: str, command: str, submenu: str | None = None) -> None:
        """Choose a command from JupyterLab's menu bar (``command`` as data-command),
        through ``submenu`` if it is in one (File > New > Terminal)."""
        # Their JupyterLab tab in front (the instructor's formgrader is another tab):
        # Chromium barely runs a tab behind another, and every click waits on it.
        self.page.bring_to_front()
        self.page.locator(".lm-MenuBar-item", has_text=menu).first.click()
        if submenu:
            self.page.locator(".lm-Menu-item", has_text=submenu).first.hover()
        self.page.locator(f'.lm-Menu-item[data-command="{command}"]').first.click()

    def assignment_list(self) -> Page:
        """Show nbgrader's Assignment List (opened once, then brought to the front) and
        wait until it has loaded the course's lists."""
        self.menu("Nbgrader", "nbgrader:open-assignment-list")
        self.page.locator(_LIST).wait_for(timeout=TIMEOUT_MS)
        self.page.wait_for_function(
            f"() => !document.querySelector('{_LIST}').innerText.includes('Loading')",
            timeout=TIMEOUT_MS,
        )
        return self.page

    def refresh_assignment_list(self) -> Page:
        """Press the Assignment List's refresh button (lists load again from the server)."""
        page = self.assignment_list()
        page.locator("#refresh_assignments_list").click()
        return page

    def open_from_assignment_list(self, notebook: str, path: str, shots: Screenshots):
        """Click a fetched notebook's link in the Assignment List, as a student opens it."""
        self._fetched_notebook(notebook).locator("a", has_text=notebook).click()
        return NotebookPage.from_current_tab(self.page, path, shots)

    def validate_in_assignment_list(self, notebook: str, shots: Screenshots) -> ValidationResult:
        """Press the Validate button beside a fetched notebook in the Assignment List
        (nbgrader's other Validate: the notebook is not opened) and read its dialog."""
        self._fetched_notebook(notebook).locator("button", has_text="Validate").click()
        return read_validation(self.page, shots)

    def _fetched_notebook(self, notebook: str) -> Locator:
        """A fetched notebook's row in the Assignment List (``notebook`` as it names it,
        without ``.ipynb``), its assignment's notebooks shown."""
        page = self.assignment_list()
        rows = page.locator("#fetched_assignments_list .assignment-notebooks .nested_list_item")
        row = rows.filter(has=page.locator("a", has_text=notebook))
        if not row.is_visible():
            page.locator("#fetched_assignments_list a.assignment-notebooks-link").first.click()
        return row

    def terminal(self, commands: str, output: str, shots: Screenshots) -> str:
        """Type ``commands`` into a new JupyterLab terminal, as the person would, their
        output shown and copied to the file ``output`` in their home; return the output
        once the commands have finished."""
        self.menu("File", "terminal:create-new", submenu="New")
        screen = self.page.locator(".jp-Terminal:not(.lm-mod-hidden) .xterm-screen").last
        screen.wait_for(timeout=TIMEOUT_MS)
        finished = f"finished-{secrets.token_hex(4)}"  # a line nothing else prints
        path = f"api/contents/{output}?type=file&format=text&content=1"
        # Keys typed before the terminal's connection is up are lost, and the page shows
        # no prompt to wait for (xterm draws on a canvas): type again until the output
        # file appears (tee makes it at once), then wait for the commands to finish.
        for attempt in range(1, _TERMINAL_TRIES + 1):
            screen.click()
            line = f"( {commands} ) 2>&1 | tee ~/{output}; echo {finished} >> ~/{output}"
            self.page.keyboard.insert_text(line)  # as pasted: one event, not one per key
            self.page.keyboard.press("Enter")
            if self._poll(path, lambda reply: reply[0] == 200, _TERMINAL_WAIT_MS * attempt):
                break
        else:
            raise AssertionError(f"{self.name}'s terminal never ran: {commands}")
        if not self._poll(
            path, lambda reply: reply[0] == 200 and finished in reply[1]["content"], TIMEOUT_MS
        ):
            raise AssertionError(f"{self.name}'s terminal did not finish: {commands}")
        shots.take(self.page, f"terminal-{self.name}")
        return self.read_text(output).replace(finished, "").rstrip()

    def _poll(self, path: str, done, timeout_ms: int) -> bool:
        """Call ``GET path`` on the user's server until ``done(reply)``; False on timeout."""
        deadline = time.monotonic() + timeout_ms / 1000
        while time.monotonic() < deadline:
            if done(self.call("GET", path)):
                return True
            self.page.wait_for_timeout(_POLL_MS)
        return False


@dataclass
class CourseHub:
    """A running course hub and its accounts."""

    paths: hub.HubPaths
    settings: hub.HubSettings
    passwords: dict[str, str]
    log: Path
    browser: Browser
    users: dict[str, HubUser] = field(default_factory=dict)
    contexts: list[BrowserContext] = field(default_factory=list)  # one per person

    @property
    def url(self) -> str:
        return hub.hub_url(self.settings)

    @property
    def instructor(self) -> str:
        return self.settings.instructors[0]

    @property
    def course_root(self) -> Path:
        return hub.course_root(self.instructor)

    def log_in(self, *names: str, without_ui: Collection[str] = ()) -> list[HubUser]:
        """Log each person in (each in a fresh browser context), all servers spawning at
        once, then wait until each JupyterLab is up.

        Those ``without_ui`` load JupyterLab's page but not its scripts (rendering it
        costs seconds of CPU): enough for their cookies, to use their server's API.
        """
        pages = []
        for name in names:
            context = self.browser.new_context(viewport=VIEWPORT)
            self.contexts.append(context)
            if name in without_ui:
                context.route(f"**/user/{name}/**", _no_scripts)
            page = context.new_page()
            page.set_default_timeout(_STEP_TIMEOUT_MS)
            page.goto(f"{self.url}/hub/login", wait_until="domcontentloaded")
            page.fill("#username_input", name)
            page.fill("#password_input", self.passwords[name])
            # The next person logs in while this server spawns: waited for below.
            page.click("#login_submit", no_wait_after=True)
            pages.append(page)
        for name, page in zip(names, pages, strict=True):
            page.wait_for_url(f"**/user/{name}/lab**", timeout=TIMEOUT_MS)
            if name not in without_ui:
                page.locator("#jp-main-statusbar").wait_for(timeout=TIMEOUT_MS)
            self.users[name] = HubUser(name, page, f"{self.url}/user/{name}")
        return [self.users[name] for name in names]

    def log_out_everyone(self) -> None:
        """Close every person's browser (before the hub stops: their JupyterLabs would
        keep calling servers that are gone for the rest of the test run)."""
        for context in self.contexts:
            context.close()
        self.contexts.clear()

    def run_as(self, name: str, *command: str) -> subprocess.CompletedProcess:
        """Run a command as ``name`` in their home, with their server's environment (what
        they would type in a terminal): the grader environment for the instructor, the
        student one for everyone else."""
        entry = pwd.getpwnam(name)
        env = self.paths.grader_env if name == self.instructor else self.paths.student_env
        return subprocess.run(
            [RUNUSER, "-u", name, "--", *command],
            cwd=entry.pw_dir,
            env={
                "PATH": f"{env / 'bin'}:/usr/local/bin:/usr/bin:/bin",
                "HOME": entry.pw_dir,
                "LANG": "C.UTF-8",
                "JUPYTER_CONFIG_PATH": str(self.paths.jupyter_config),
                "CONV_BACKPROP_EXCHANGE": str(self.paths.exchange),
            },
            capture_output=True,
            text=True,
            timeout=300,
        )


def _no_scripts(route: Route) -> None:
    if route.request.resource_type == "script":
        route.abort()
    else:
        route.continue_()


def _write_lab_settings(name: str) -> None:
    entry = pwd.getpwnam(name)
    folder = Path(entry.pw_dir) / ".jupyter" / "lab" / "user-settings"
    for relative, values in _LAB_SETTINGS.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    for parent in [folder.parent.parent, *folder.parent.parent.rglob("*")]:
        os.chown(parent, entry.pw_uid, entry.pw_gid)


@contextmanager
def course_hub(
    browser: Browser,
    roles: dict[str, list[str]],
    log: Path,
    notebooks: Collection[str],
    timings: Timings,
) -> Iterator[CourseHub]:
    """Set up and start a course hub; stop it and remove everything it made afterwards
    (accounts, homes, processes, state), even when the test fails.

    Parameters
    ----------
    browser : Browser
        The Chromium every person's context opens in.
    roles : dict
        ``instructors``, ``students`` and ``guests``: short names, made unique.
    log : Path
        Where the hub's output goes (its servers' too), kept after the test.
    notebooks : collection of str
        The assignment's notebooks the course keeps in the instructor's ``source/``
        folder (the others are removed before anything is generated); its helper files
        all stay.
    timings : Timings
        Where the time to set the hub up and to take it down again is recorded.
    """
    if os.geteuid() != 0 or not (HUB_PREFIX / ".installed").exists():
        reason = "the course hub needs root and `make hub-envs` (make test runs both)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    suffix = secrets.token_hex(2)
    named = {role: tuple(f"cbt{suffix}-{name}" for name in names) for role, names in roles.items()}
    base = Path(tempfile.mkdtemp(prefix="conv-backprop-hub-"))
    base.chmod(0o755)  # every account reaches the exchange and the hub-wide config in it
    paths = hub.HubPaths(prefix=HUB_PREFIX, state=base / "state")
    port, hub_port, proxy_api_port = hub.free_ports(3)
    settings = hub.HubSettings(
        instructors=named["instructors"],
        students=named["students"],
        guests=named["guests"],
        port=port,
        hub_port=hub_port,
        proxy_api_port=proxy_api_port,
    )
    process = course = None
    try:
        with timings.step("the hub: accounts, the course, started"):
            # Named in the gradebook (formgrader's lists and the CSV show them): "Alice Test".
            names = {
                name: (name.rsplit("-", 1)[1].capitalize(), "Test") for name in settings.students
            }
            passwords = hub.create_course_hub(paths, settings, names=names)
            source = hub.course_root(settings.instructors[0]) / "source" / hub.COURSE_ID
            for notebook in source.glob("*.ipynb"):
                if notebook.name not in notebooks:
                    notebook.unlink()
            for name in passwords:
                _write_lab_settings(name)
            process = hub.start_hub(paths, log=log)
        course = CourseHub(paths, settings, passwords, log, browser)
        yield course
    finally:
        with timings.step("the hub: stopped, accounts removed"):
            if course is not None:
                course.log_out_everyone()
            if process is not None:
                hub.stop_hub(process)
            hub.remove_course_hub(paths)
            shutil.rmtree(base, ignore_errors=True)
