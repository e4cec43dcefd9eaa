"""A course hub for one browser test, and what a person does on it, as Playwright steps.

The hub is the one ``make hub`` runs (``autograder.course.hub``): the environments
``make hub-envs`` built, real Unix accounts (named with a random suffix, removed
afterwards even when the test fails), PAM logins, one server per account. Only its
state folder and its ports are the test's own: everything listens on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from autograder.course import hub

from .lab_page import Screenshots

__all__ = ["CourseHub", "HubUser", "course_hub"]

HUB_PREFIX = Path(os.environ.get("CONV_BACKPROP_HUB_PREFIX", "/opt/conv-backprop"))
VIEWPORT = {"width": 1280, "height": 900}
_SPAWN_TIMEOUT_MS = 240_000
_ACTION_TIMEOUT_MS = 240_000
_TERMINAL_TRIES = 3
_TERMINAL_WAIT_MS = 20_000
# The JupyterLab settings the other browser tests use (lab_server._USER_SETTINGS): no
# news prompt, every cell in the DOM, typed code arriving exactly as written.
_LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/codemirror-extension/plugin.jupyterlab-settings": {
        "defaultConfig": {"autoClosingBrackets": False}
    },
}


@dataclass
class HubUser:
    """One person logged in to the hub in their own browser context."""

    name: str
    page: Page
    base: str  # http://127.0.0.1:<port>/user/<name>

    def api(self, method: str, path: str, body: object = None) -> tuple[int, object]:
        """Call the user's own Jupyter server API from their page (their cookies, their
        XSRF token): what JupyterLab's file browser does."""
        return tuple(
            self.page.evaluate(
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
                [f"{self.base}/api/{path}", method, body],
            )
        )

    def read_text(self, path: str) -> str:
        status, model = self.api("GET", f"contents/{path}?type=file&format=text&content=1")
        assert status == 200, (path, status, model)
        return model["content"]

    def read_notebook(self, path: str) -> dict:
        status, model = self.api("GET", f"contents/{path}?type=notebook&content=1")
        assert status == 200, (path, status, model)
        return model["content"]

    def write_notebook(self, path: str, notebook: dict) -> None:
        status, model = self.api(
            "PUT", f"contents/{path}", {"type": "notebook", "content": notebook}
        )
        assert status in (200, 201), (path, status, model)

    def terminal(self, commands: str, output: str, shots: Screenshots) -> str:
        """Type ``commands`` into a new JupyterLab terminal, as the person would, with
        their output going to the file ``output`` in their home; return that file."""
        self.page.goto(f"{self.base}/lab?reset")
        self.page.locator("#jp-main-statusbar").wait_for(timeout=_ACTION_TIMEOUT_MS)
        self.page.locator(".lm-MenuBar-item", has_text="File").click()
        self.page.locator(".lm-Menu-item", has_text="New").first.hover()
        self.page.locator('.lm-Menu-item[data-command="terminal:create-new"]').click()
        screen = self.page.locator(".jp-Terminal .xterm-screen").last
        screen.wait_for(timeout=_ACTION_TIMEOUT_MS)
        url = f"{self.base}/api/contents/{output}?type=file&format=text&content=1"
        # Keys typed before the terminal's connection is up are lost, and the page shows
        # no prompt to wait for (xterm draws on a canvas): type again until it ran.
        for attempt in range(_TERMINAL_TRIES):
            screen.click()
            self.page.keyboard.type(f"( {commands} ) > ~/{output} 2>&1; echo done >> ~/{output}\n")
            try:
                self.page.wait_for_function(
                    """async ([url]) => {
                        const reply = await fetch(url);
                        return reply.ok && (await reply.json()).content.includes("done");
                    }""",
                    arg=[url],
                    timeout=_TERMINAL_WAIT_MS * (attempt + 1),
                    polling=500,
                )
                break
            except PlaywrightTimeoutError:
                if attempt + 1 == _TERMINAL_TRIES:
                    raise
        shots.take(self.page, f"terminal-{self.name}")
        return self.read_text(output)


@dataclass
class CourseHub:
    """A running course hub and its accounts."""

    paths: hub.HubPaths
    settings: hub.HubSettings
    passwords: dict[str, str]
    log: Path
    browser: Browser
    users: dict[str, HubUser] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return hub.hub_url(self.settings)

    @property
    def instructor(self) -> str:
        return self.settings.instructors[0]

    @property
    def course_root(self) -> Path:
        return hub.course_root(self.instructor)

    def log_in(self, *names: str) -> list[HubUser]:
        """Log each person in (each in a fresh browser context), all servers spawning at
        once, then wait until each JupyterLab is up."""
        pages = []
        for name in names:
            page = self.browser.new_context(viewport=VIEWPORT).new_page()
            page.goto(f"{self.url}/hub/login")
            page.fill("#username_input", name)
            page.fill("#password_input", self.passwords[name])
            page.click("#login_submit")
            pages.append(page)
        for name, page in zip(names, pages, strict=True):
            page.wait_for_url(f"**/user/{name}/lab**", timeout=_SPAWN_TIMEOUT_MS)
            page.locator("#jp-main-statusbar").wait_for(timeout=_SPAWN_TIMEOUT_MS)
            self.users[name] = HubUser(name, page, f"{self.url}/user/{name}")
        return [self.users[name] for name in names]

    def as_instructor(self, *command: str) -> subprocess.CompletedProcess:
        """Run an nbgrader command as the instructor, in the course folder."""
        entry = pwd.getpwnam(self.instructor)
        bin_dir = self.paths.grader_env / "bin"
        return subprocess.run(
            ["runuser", "-u", self.instructor, "--", *command],
            cwd=self.course_root,
            env={
                "PATH": f"{bin_dir}:/usr/sbin:/usr/bin:/sbin:/bin",
                "HOME": entry.pw_dir,
                "JUPYTER_CONFIG_PATH": str(self.paths.jupyter_config),
                "CONV_BACKPROP_EXCHANGE": str(self.paths.exchange),
            },
            capture_output=True,
            text=True,
            timeout=300,
        )


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
def course_hub(browser: Browser, roles: dict[str, list[str]]) -> Iterator[CourseHub]:
    """Set up and start a course hub; stop it and remove its accounts afterwards.

    Parameters
    ----------
    browser : Browser
        The Chromium every person's context opens in.
    roles : dict
        ``instructors``, ``students`` and ``guests``: short names, made unique.
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
    process = None
    try:
        passwords = hub.create_course_hub(paths, settings)
        for name in passwords:
            _write_lab_settings(name)
        log = base / "jupyterhub.log"
        process = hub.start_hub(paths, log=log)
        yield CourseHub(paths, settings, passwords, log, browser)
    finally:
        if process is not None:
            hub.stop_hub(process)
        hub.remove_course_hub(paths)
