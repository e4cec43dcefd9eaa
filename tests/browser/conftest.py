"""Fixtures for the real-browser tests: Chromium, isolated JupyterLab servers, screenshots.

Chromium is Debian's (/usr/bin/chromium, installed by .ci/run); Playwright only drives it.
Every flow saves a screenshot of each step under one temporary folder per test run
(``/tmp/conv-backprop-browser-*``, printed at the end of the run); a failing test's report
names the folder of the flow it used.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from .course import build_release
from .lab_page import Screenshots
from .lab_server import LabServer, start_lab

CHROMIUM = Path("/usr/bin/chromium")
# The flags shown to work here: no sandbox (CI runs as root), no GPU, and nothing that
# reaches for the network on its own (the machine has none, and retries would flood it).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}

_SCREENSHOT_FOLDERS = pytest.StashKey[list[Path]]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_SCREENSHOT_FOLDERS] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Iterator[pytest.TestReport]:
    """Name the screenshot folders of the flows a failing test used."""
    report = yield
    if report.failed:
        # The flows this test used, else (a fixture failed before returning one) every
        # flow started for its module.
        folders = [
            value.screenshots.folder
            for value in getattr(item, "funcargs", {}).values()
            if isinstance(getattr(value, "screenshots", None), Screenshots)
        ] or [
            folder
            for node in item.listchain()
            for folder in node.stash.get(_SCREENSHOT_FOLDERS, [])
        ]
        if folders:
            report.sections.append(("browser screenshots", "\n".join(map(str, folders))))
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    folders = terminalreporter.config.stash.get(_SCREENSHOT_FOLDERS, [])
    if folders:
        terminalreporter.write_line(f"browser screenshots: {folders[0].parent}")


@pytest.fixture(scope="session")
def screenshot_root() -> Path:
    """A fresh temporary folder, kept after the run (pytest's own are pruned by later runs)."""
    return Path(tempfile.mkdtemp(prefix="conv-backprop-browser-"))


@pytest.fixture(scope="module")
def new_screenshots(
    request: pytest.FixtureRequest, screenshot_root: Path
) -> Callable[[pytest.FixtureRequest, str], Screenshots]:
    """A factory: ``new_screenshots(request, "flow-name")`` makes a flow's folder.

    The folder is recorded on the requesting node, so a test that fails while using it
    names it (see ``pytest_runtest_makereport``).
    """

    def make(requesting: pytest.FixtureRequest, name: str) -> Screenshots:
        folder = screenshot_root / name
        folder.mkdir(parents=True, exist_ok=False)
        requesting.node.stash.setdefault(_SCREENSHOT_FOLDERS, []).append(folder)
        request.config.stash[_SCREENSHOT_FOLDERS].append(folder)
        return Screenshots(folder)

    return make


@pytest.fixture(scope="session")
def released_course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A course folder with the assignment released by ``nbgrader generate_assignment``.

    Students copy ``release/``; the instructor's tests grade submissions in it.
    """
    course = tmp_path_factory.mktemp("instructor") / "course"
    build_release(course, tmp_path_factory.mktemp("nbgrader-home"))
    return course


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium, driven by Playwright (which never downloads a browser)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `apt-get install -y chromium fonts-dejavu-core` "
            "(.ci/run does it)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def browser_context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=VIEWPORT)
    yield context
    context.close()


@pytest.fixture(scope="module")
def lab_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., LabServer]]:
    """A factory that starts JupyterLab servers and stops every one of them afterwards."""
    servers: list[LabServer] = []

    def start(root: Path, *, formgrader: bool = False) -> LabServer:
        home = tmp_path_factory.mktemp("lab-home")
        server = start_lab(root, home, formgrader=formgrader)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
