"""A submission's HTML in the instructor's and the student's browser: nothing of it runs.

mallory submits the forward-pass notebook with scripts in every place a notebook can
carry them: a markdown cell (``<script>``, an ``onerror`` handler, an SVG with a script
and an ``onload``, an ``<iframe srcdoc>``, an ``<object>`` showing an SVG she submitted,
a ``javascript:`` link, a link to an HTML file she submitted) and a code cell's outputs
(``text/html``, ``text/markdown``, ``image/svg+xml``, ``application/javascript``).
Every payload logs ``PWNED:<where>`` to the console; the test collects those from every
frame, clicks the two links, and blocks every request that would leave 127.0.0.1.

The course is graded once with ``conv-grader grade``, then copied four times, each copy
rendering its pages differently (lines appended to its ``nbgrader_config.py``): as
configured (sanitiser and Content-Security-Policy), the policy alone, the sanitiser
alone, and neither, as at 04c3ee6. For each, mallory's feedback file (written by
``conv-grader feedback``, opened from disk) and, but for the sanitiser alone,
formgrader's view of her submission (on the instructor's Jupyter server) are read in
Chromium. With neither defence the attacks run, which shows the test sees them run.

bahar, in the same class, submits the Persian release (``conv-grader build --lang fa``'s
translation) with the flipped-filter mistake: her feedback and formgrader's view of her
submission must render the Persian edition's formulas, right to left, with no request
leaving the machine (and, as at 04c3ee6, show raw TeX).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell
from nbgrader.api import Gradebook
from playwright.sync_api import BrowserContext, Page, Route

from autograder.course.build import translate_release
from autograder.course.feedback_files import write_feedback
from autograder.course.samples import SampleStudent, write_submission
from autograder.i18n.feedback import PAGE_FILTERS
from autograder.verify.page_security import SECURE_HEAD_FILTER

from .course import ASSIGNMENT, FLIPPED_FORWARD, NOTEBOOKS, SOURCE
from .lab_page import Screenshots
from .lab_server import GRADER_BIN, REPO, LabServer, isolated_environment

NOTEBOOK = "01_forward"
_TIMEOUT_MS = 60_000
_MARK = "PWNED:"

# ------------------------------------------------------------------ the submission

_MARKDOWN_ATTACKS = f"""\
mallory's notes, with a formula: $\\frac{{\\partial L}}{{\\partial F}} = X \\star dO$.

<script>console.log("{_MARK}markdown-script")</script>

<img src="missing.png" onerror="console.log('{_MARK}markdown-onerror')">

<svg width="10" height="10" onload="console.log('{_MARK}markdown-svg-onload')">\
<script>console.log("{_MARK}markdown-svg-script")</script></svg>

<iframe srcdoc="<script>console.log('{_MARK}markdown-iframe')</script>"></iframe>

<object data="mallory.svg" type="image/svg+xml"></object>

See <a href="javascript:console.log('{_MARK}javascript-link')">mallory's javascript link</a>
and <a href="mallory.html">mallory's page</a>.
"""
_OUTPUT_ATTACKS = f"""\
from IPython.display import HTML, SVG, Javascript, Markdown, display

display(HTML('<script>console.log("{_MARK}html-script")</script>'
             '<img src="missing.png" onerror="console.log(\\'{_MARK}html-onerror\\')">'
             '<svg width="10" height="10" '
             'onload="console.log(\\'{_MARK}html-svg-onload\\')"></svg>'))
display(Markdown('<img src="missing.png" onerror="console.log(\\'{_MARK}markdown-output\\')">'))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" '
            'onload="console.log(\\'{_MARK}svg-output\\')">'
            '<script>console.log("{_MARK}svg-output-script")</script></svg>'))
display(Javascript('console.log("{_MARK}javascript-output")'))
"""
# The Persian edition's right-to-left markdown, as fa16 writes it, with a formula inside.
PERSIAN = "ورودی با شکل سه در سه"
_PERSIAN_MARKDOWN = f"""\
<div dir="rtl" lang="fa">
<p style="text-align:right">{PERSIAN} <span dir="ltr">$X$</span></p>
</div>
"""
_SUBMITTED_FILES = {
    "mallory.svg": f'<svg xmlns="http://www.w3.org/2000/svg"><script>console.log("{_MARK}'
    'submitted-svg")</script></svg>',
    "mallory.html": f'<script>console.log("{_MARK}linked-file")</script>',
}
MALLORY = SampleStudent(
    "mallory",
    "scripts in markdown, outputs and submitted files",
    added_cells={NOTEBOOK: _OUTPUT_ATTACKS},
    dropped=tuple(Path(name).stem for name in NOTEBOOKS if Path(name).stem != NOTEBOOK),
)

# A Persian student, with a typical mistake: her notebook is the Persian release's.
BAHAR = SampleStudent(
    "bahar",
    "the Persian release, the filter flipped in the forward pass",
    answers={"conv2d_forward": FLIPPED_FORWARD},
    dropped=MALLORY.dropped,
)

# ------------------------------------------------------------------ four ways to render


# What runs where nothing stops it. Not the SVG output: nbconvert draws it as an <img>,
# where an SVG's scripts never run. In a feedback file, not the JavaScript output
# (nbconvert wraps it in jQuery, which feedback pages do not load). The submitted files
# are beside the feedback file too: generate_feedback copies the whole submission.
_EVERY_ATTACK_IN_FEEDBACK = frozenset(
    {
        "markdown-script",
        "markdown-onerror",
        "markdown-svg-onload",
        "markdown-svg-script",
        "markdown-iframe",
        "javascript-link",
        "html-script",
        "html-onerror",
        "html-svg-onload",
        "markdown-output",
        "submitted-svg",
        "linked-file",
    }
)
_EVERY_ATTACK_IN_FORMGRADER = _EVERY_ATTACK_IN_FEEDBACK | {"javascript-output"}


SECURED, POLICY_ONLY, SANITISER_ONLY, NEITHER = (
    "secured",
    "policy-only",
    "sanitiser-only",
    "neither-as-at-04c3ee6",
)
_SANITISER_OFF = (
    "c.HTMLExporter.sanitize_html = False",
    # The secured page's own filters stay: its policy, and its words in the notebook's language.
    f"c.HTMLExporter.filters = {{'secure_head': {SECURE_HEAD_FILTER!r}, **{PAGE_FILTERS!r}}}",
)
_POLICY_OFF = ("c.HTMLExporter.template_file = 'index.html.j2'",)
# formgrader is read where its page differs: the sanitiser alone works the same on both
# pages (it is the exporter's filters), so that rendering is read in feedback only.
FORMGRADER_RENDERINGS = (SECURED, POLICY_ONLY, NEITHER)
# bahar's Persian pages are read as configured, and as at 04c3ee6 (raw TeX offline).
PERSIAN_RENDERINGS = (SECURED, NEITHER)
# Each rendering: the lines appended to its course copy's nbgrader_config.py.
RENDERINGS: dict[str, tuple[str, ...]] = {
    SECURED: (),
    POLICY_ONLY: _SANITISER_OFF,
    SANITISER_ONLY: _POLICY_OFF,
    NEITHER: ("c.HTMLExporter.sanitize_html = False", "c.HTMLExporter.filters = {}", *_POLICY_OFF),
}


def _run(home: Path, course: Path, *command: str) -> None:
    result = subprocess.run(
        command,
        cwd=course,
        env=isolated_environment(home),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")


def _write_mallory(course: Path) -> None:
    submission = course / "submitted" / MALLORY.lms_id / ASSIGNMENT
    write_submission(
        MALLORY, course / "release" / ASSIGNMENT, course / "source" / ASSIGNMENT, submission
    )
    path = submission / f"{NOTEBOOK}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[1:1] = [
        new_markdown_cell(_MARKDOWN_ATTACKS),
        new_markdown_cell(_PERSIAN_MARKDOWN),
    ]
    nbformat.write(notebook, path)
    for name, text in _SUBMITTED_FILES.items():
        (submission / name).write_text(text, encoding="utf-8")


# What the session's released course may hold from other modules' grading.
_OTHER_STUDENTS_WORK = shutil.ignore_patterns(
    "submitted", "autograded", "feedback", "grading_ledger.jsonl", "grading_logs", "*.csv"
)


def _write_bahar(course: Path, persian_release: Path) -> None:
    # The catalogues, as in a course built with `conv-grader build --lang fa`: feedback
    # translates the locked cells (restored in English at autograde) back into Persian.
    shutil.copytree(REPO / "locale", course / "locale")
    translate_release(course / "release" / ASSIGNMENT, persian_release, "fa")
    write_submission(
        BAHAR, persian_release, SOURCE, course / "submitted" / BAHAR.lms_id / ASSIGNMENT
    )


@pytest.fixture(scope="module")
def graded_course(released_course: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the released course with mallory's and bahar's submissions graded by
    conv-grader."""
    course = tmp_path_factory.mktemp("student-html") / "graded"
    home = tmp_path_factory.mktemp("student-html-home")
    shutil.copytree(released_course, course, ignore=_OTHER_STUDENTS_WORK)
    _write_mallory(course)
    _write_bahar(course, tmp_path_factory.mktemp("student-html-fa") / ASSIGNMENT)
    cli = [str(GRADER_BIN / "python"), "-m", "autograder.course.cli"]
    _run(home, course, *cli, "grade", "--course", str(course), "--no-progress", "--jobs", "1")
    return course


# ------------------------------------------------------------------ reading a page


@dataclass
class PageReading:
    """What one page did in the browser."""

    ran: set[str] = field(default_factory=set)  # the PWNED marks logged, from any frame
    left_localhost: list[str] = field(default_factory=list)  # requests blocked
    formulas: int = 0  # MathJax's rendered formulas (mjx-container) in mallory's notes
    notes_text: str = ""  # mallory's formula paragraph as the page shows it
    persian: tuple[str, str, int] = ("", "", 0)  # direction, text-align, formulas inside
    # what the page's policy refused: (directive, blocked URI, sample of the code)
    refused: list[tuple[str, str, str]] = field(default_factory=list)
    score_placeholders: dict[str, str] = field(default_factory=dict)  # formgrader only
    names_toggle: bool = False  # formgrader only: the eye icon shows the student's name
    tooltips: bool = False  # formgrader only: its navigation bar's inline script ran
    # Every markdown cell as the page shows it (bahar's): formulas MathJax drew (and
    # those inside right-to-left text), the cells whose text still shows TeX between
    # dollars, and each right-to-left block's (tag, direction, text-align).
    markdown_formulas: int = 0
    rtl_formulas: int = 0
    raw_tex: list[str] = field(default_factory=list)
    rtl_blocks: list[tuple[str, str, str]] = field(default_factory=list)


def _local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("file", "data", "about", "blob") or parts.hostname in (
        "127.0.0.1",
        "localhost",
    )


def _watch(page: Page, reading: PageReading) -> None:
    # Pages of 2.5 MB (MathJax inside), rendered by a loaded machine: a minute for every
    # step, not Playwright's default 30 s.
    page.set_default_timeout(_TIMEOUT_MS)

    def route(route: Route) -> None:
        if _local(route.request.url):
            route.continue_()
        else:
            reading.left_localhost.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    # Before any of the page's own scripts: every refusal by its Content-Security-Policy.
    page.add_init_script(
        """window.refusedByPolicy = [];
        document.addEventListener("securitypolicyviolation", event =>
            window.refusedByPolicy.push(
                [event.effectiveDirective, event.blockedURI, event.sample]));"""
    )
    page.on(
        "console",
        lambda message: (
            reading.ran.add(message.text.removeprefix(_MARK))
            if message.text.startswith(_MARK)
            else None
        ),
    )


def _settle(page: Page) -> None:
    """Let the page load (its images, frames and objects too), MathJax typeset, and two
    frames of events pass."""
    page.wait_for_load_state("load", timeout=_TIMEOUT_MS)
    page.evaluate(
        """() => (window.MathJax && MathJax.startup ? MathJax.startup.promise : Promise.resolve())
            .then(() => new Promise(done => requestAnimationFrame(
                () => requestAnimationFrame(done))))"""
    )


_READ_JS = """persian => {
    const paragraph = text => [...document.querySelectorAll("p")]
        .find(p => p.innerText.includes(text));
    const notes = paragraph("mallory's notes");
    const rtl = paragraph(persian);
    const style = rtl ? getComputedStyle(rtl) : null;
    const formulas = element => element.querySelectorAll("mjx-container").length;
    return {
        formulas: notes ? formulas(notes) : -1,
        notes_text: notes ? notes.innerText : "",
        persian: rtl ? [style.direction, style.textAlign, formulas(rtl)] : ["", "", 0],
    };
}"""


# The classic template's markdown cells (formgrader's and feedback's): "$...$" left in
# a cell's text is a formula MathJax did not draw.
_READ_MARKDOWN_JS = r"""() => {
    const cells = [...document.querySelectorAll(".text_cell_render")];
    const roots = cells.flatMap(cell => [...cell.querySelectorAll('div[dir="rtl"]')]);
    const blocks = roots.flatMap(root => [...root.querySelectorAll("h1, h2, h3, p, li")]
        .filter(block => block.closest("div[dir]") === root));
    const count = elements => elements.reduce(
        (n, element) => n + element.querySelectorAll("mjx-container").length, 0);
    return {
        formulas: count(cells),
        rtl_formulas: count(roots),
        raw_tex: cells.map(cell => cell.innerText).filter(text => /\$[^$\s][^$]*\$/.test(text))
            .map(text => text.slice(0, 80)),
        rtl_blocks: blocks.map(block => {
            const style = getComputedStyle(block);
            return [block.tagName, style.direction, style.textAlign];
        }),
    };
}"""


def _read(page: Page, reading: PageReading, screenshots: Screenshots, step: str) -> None:
    _settle(page)
    found = page.evaluate(_READ_JS, PERSIAN)
    reading.formulas = found["formulas"]
    reading.notes_text = found["notes_text"]
    reading.persian = tuple(found["persian"])
    markdown = page.evaluate(_READ_MARKDOWN_JS)
    reading.markdown_formulas = markdown["formulas"]
    reading.rtl_formulas = markdown["rtl_formulas"]
    reading.raw_tex = markdown["raw_tex"]
    reading.rtl_blocks = [tuple(block) for block in markdown["rtl_blocks"]]
    reading.refused = [tuple(refusal) for refusal in page.evaluate("window.refusedByPolicy")]
    screenshots.take(page, step)


def _click_links(page: Page) -> None:
    """Click mallory's javascript: link, then her link to a submitted file (last: it may
    leave the page)."""
    page.get_by_text("mallory's javascript link").click()
    _settle(page)
    page.get_by_text("mallory's page").click()
    _settle(page)


def _open_formgrader(
    context: BrowserContext, server: LabServer, course: Path, student: SampleStudent
) -> tuple[Page, PageReading]:
    """formgrader's view of a student's forward-pass notebook, opened and watched."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student.lms_id).id
    reading = PageReading()
    page = context.new_page()
    page.set_extra_http_headers({"Authorization": f"token {server.token}"})
    _watch(page, reading)
    page.goto(f"{server.base_url}/formgrader/submissions/{submission}/")
    page.locator(".nbgrader_cell").first.wait_for(timeout=_TIMEOUT_MS)
    return page, reading


def _read_formgrader(
    context: BrowserContext, server: LabServer, course: Path, screenshots: Screenshots
) -> PageReading:
    page, reading = _open_formgrader(context, server, course, MALLORY)
    try:
        _read(page, reading, screenshots, "formgrader")
        # formgrader's own scripts still work: the score boxes get the autograded
        # scores from its API, and the eye icon's onclick shows the student's name.
        page.locator("input.score[placeholder]").first.wait_for(timeout=_TIMEOUT_MS)
        reading.score_placeholders = {
            box.get_attribute("id"): box.get_attribute("placeholder")
            for box in page.locator("input.score").all()
        }
        reading.tooltips = page.evaluate(
            "() => Boolean($('span.glyphicon.name-hidden').data('bs.tooltip'))"
        )
        page.locator(".glyphicon-eye-open").click()
        reading.names_toggle = page.locator("a.name-shown", has_text=MALLORY.lms_id).is_visible()
        _click_links(page)
    finally:
        page.close()
    return reading


def _read_persian_formgrader(
    context: BrowserContext, server: LabServer, course: Path, screenshots: Screenshots
) -> PageReading:
    page, reading = _open_formgrader(context, server, course, BAHAR)
    try:
        _read(page, reading, screenshots, "formgrader-fa")
    finally:
        page.close()
    return reading


def _open_feedback(
    context: BrowserContext, course: Path, student: SampleStudent
) -> tuple[Page, PageReading]:
    feedback = course / "feedback" / student.lms_id / ASSIGNMENT / f"{NOTEBOOK}.html"
    reading = PageReading()
    page = context.new_page()
    _watch(page, reading)
    page.goto(feedback.as_uri())
    return page, reading


def _read_feedback(context: BrowserContext, course: Path, screenshots: Screenshots) -> PageReading:
    page, reading = _open_feedback(context, course, MALLORY)
    try:
        _read(page, reading, screenshots, "feedback")
        _click_links(page)
    finally:
        page.close()
    return reading


def _read_persian_feedback(
    context: BrowserContext, course: Path, screenshots: Screenshots
) -> PageReading:
    page, reading = _open_feedback(context, course, BAHAR)
    try:
        _read(page, reading, screenshots, "feedback-fa")
    finally:
        page.close()
    return reading


@dataclass
class Rendered:
    """formgrader's submission view and the feedback file, as one rendering shows them."""

    formgrader: PageReading | None  # read where FORMGRADER_RENDERINGS says
    feedback: PageReading
    # bahar's (the Persian release's) pages, read where PERSIAN_RENDERINGS says.
    persian: tuple[PageReading, ...] = ()

    @property
    def pages(self) -> tuple[PageReading, ...]:
        return (self.feedback,) if self.formgrader is None else (self.formgrader, self.feedback)


def _course_copy(graded_course: Path, folder: Path, config_lines: tuple[str, ...]) -> Path:
    course = folder / "course"
    shutil.copytree(graded_course, course)
    config = course / "nbgrader_config.py"
    config.write_text(config.read_text() + "\n".join(["", *config_lines, ""]))
    return course


@pytest.fixture(scope="module")
def rendered(
    request: pytest.FixtureRequest,
    graded_course: Path,
    tmp_path_factory: pytest.TempPathFactory,
    lab_factory: Callable[..., LabServer],
    browser_context: BrowserContext,
    new_screenshots: Callable[[pytest.FixtureRequest, str], Screenshots],
) -> dict[str, Rendered]:
    """Each rendering's pages, read in Chromium: a copy of the graded course per
    rendering, its feedback written, its formgrader started."""
    courses = {
        name: _course_copy(
            graded_course, tmp_path_factory.mktemp(f"student-html-{name}"), config_lines
        )
        for name, config_lines in RENDERINGS.items()
    }
    readings = {}
    for name, course in courses.items():
        write_feedback(course, ASSIGNMENT)  # conv-grader feedback, in this process
        screenshots = new_screenshots(request, f"student-html-{name}")
        formgrader = None
        persian: tuple[PageReading, ...] = ()
        if name in FORMGRADER_RENDERINGS:
            server = lab_factory(course, formgrader=True)
            formgrader = _read_formgrader(browser_context, server, course, screenshots)
            if name in PERSIAN_RENDERINGS:
                persian += (_read_persian_formgrader(browser_context, server, course, screenshots),)
            server.stop()
        if name in PERSIAN_RENDERINGS:
            persian += (_read_persian_feedback(browser_context, course, screenshots),)
        feedback = _read_feedback(browser_context, course, screenshots)
        readings[name] = Rendered(formgrader, feedback, persian)
    return readings


# ------------------------------------------------------------------ the tests


def test_secured_pages_run_nothing_a_submission_brings(rendered: dict[str, Rendered]) -> None:
    assert [page.ran for page in rendered[SECURED].pages] == [set(), set()]


def test_without_sanitiser_and_policy_the_attacks_run(rendered: dict[str, Rendered]) -> None:
    """04c3ee6's rendering: every attack runs, so the test sees an attack that runs."""
    formgrader, feedback = rendered[NEITHER].pages
    assert formgrader.ran == _EVERY_ATTACK_IN_FORMGRADER
    assert feedback.ran == _EVERY_ATTACK_IN_FEEDBACK


def test_the_policy_alone_stops_every_script_on_the_page(rendered: dict[str, Rendered]) -> None:
    """With the sanitiser off. What still runs is a submitted HTML file the page links
    to, a page of its own outside the policy: formgrader serves it from the instructor's
    origin (feedback from the student's disk). The sanitiser drops such links."""
    pages = rendered[POLICY_ONLY].pages
    assert [page.ran for page in pages] == [{"linked-file"}] * 2
    for page in pages:  # refused: mallory's inline scripts and handlers (and seen refused)
        assert {"script-src-elem", "script-src-attr"} <= {refusal[0] for refusal in page.refused}


def test_the_sanitiser_alone_stops_every_attack(rendered: dict[str, Rendered]) -> None:
    """With nbgrader's own pages: no policy, MathJax from the CDN."""
    assert rendered[SANITISER_ONLY].feedback.ran == set()


def test_formulas_render_with_no_request_leaving_the_machine(rendered: dict[str, Rendered]) -> None:
    """MathJax comes with the page: formulas render though nothing beyond 127.0.0.1
    answers (every such request is aborted, and there is none)."""
    for page in rendered[SECURED].pages:
        assert page.left_localhost == []
        assert page.formulas == 1, page.notes_text
        assert "$" not in page.notes_text


def test_nbconverts_own_pages_show_raw_tex_without_a_network(rendered: dict[str, Rendered]) -> None:
    """04c3ee6's pages ask a CDN for MathJax: offline, the formula stays raw TeX."""
    for page in rendered[NEITHER].pages:
        assert any("mathjax" in url.lower() for url in page.left_localhost), page.left_localhost
        assert page.formulas == 0
        assert "$\\frac" in page.notes_text


def test_right_to_left_markdown_stays_right_to_left(rendered: dict[str, Rendered]) -> None:
    """The Persian edition's markdown keeps its direction, alignment and formulas."""
    assert [page.persian for page in rendered[SECURED].pages] == [("rtl", "right", 1)] * 2


def test_the_policy_refuses_none_of_the_pages_own_code(rendered: dict[str, Rendered]) -> None:
    """Where the sanitiser left nothing to refuse, the policy refuses nothing else either
    but MathJax's bundler trying ``new Function`` for the global object (inside a try; it
    then takes ``window``)."""
    for page in rendered[SECURED].pages:
        assert [refusal for refusal in page.refused if refusal[1] != "eval"] == []


def test_formgrader_still_works_under_its_policy(rendered: dict[str, Rendered]) -> None:
    """formgrader's own scripts load the scores, its navigation bar's inline script sets
    up the tooltips and its inline handlers toggle names."""
    formgrader = rendered[SECURED].formgrader
    assert formgrader is not None
    assert formgrader.tooltips
    assert formgrader.score_placeholders, "formgrade.js put no autograded score in the boxes"
    assert all(float(value) >= 0 for value in formgrader.score_placeholders.values())
    assert formgrader.names_toggle


def test_persian_feedback_and_formgrader_render_formulas_offline(
    rendered: dict[str, Rendered],
) -> None:
    """bahar's pages (the Persian release): every formula drawn, right to left, though
    nothing beyond 127.0.0.1 answers."""
    pages = rendered[SECURED].persian
    assert len(pages) == 2
    for page in pages:
        assert page.left_localhost == []
        assert page.raw_tex == []
        assert page.markdown_formulas > 0
    # Her feedback is Persian again (locked cells translated back: the title too), right
    # to left, formulas inside.
    feedback = pages[1]
    assert {(direction, align) for _, direction, align in feedback.rtl_blocks} == {("rtl", "right")}
    assert "H1" in {tag for tag, _, _ in feedback.rtl_blocks}
    assert feedback.rtl_formulas > 0


def test_persian_pages_show_raw_tex_without_a_network_as_at_04c3ee6(
    rendered: dict[str, Rendered],
) -> None:
    """nbgrader's own pages ask a CDN for MathJax: offline, bahar's formulas stay TeX."""
    for page in rendered[NEITHER].persian:
        assert any("mathjax" in url.lower() for url in page.left_localhost), page.left_localhost
        assert page.markdown_formulas == 0
        assert page.raw_tex
