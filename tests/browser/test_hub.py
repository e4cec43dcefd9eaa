"""A term on the course hub, in a real browser: the nbgrader way, end to end.

One flow on a hub set up as ``make hub`` sets it up (real accounts, PAM, one server per
account), the course cut to its first two notebooks (see ``HUB_NOTEBOOKS``), the issue's
six steps in order:

1. the instructor generates and releases ``conv_backprop`` from formgrader;
2. alice and bob fetch it from the Assignment List; alice submits a blank copy, then
   answers everything right, validates (the Validate button beside the notebook in the
   Assignment List) and submits again; bob opens the notebook, types the flipped kernel
   into ``conv2d_forward`` and validates (the notebook's Validate button), and his
   submit is refused twice (a notebook renamed; a file over the size limit) before it
   goes through;
3. alice reaches for bob's files through the file browser's API and a terminal; bob
   writes an entry named for alice into the exchange's inbound;
   then the instructor sets the due date in formgrader, it passes, and carol submits
   late; eve, who is not in the course, asks for her courses, and tries to fetch and to
   submit;
4. the instructor collects (bob's forged entry refused), autogrades each submission (the
   trusted grader, jailed, as the instructor's uid), generates and releases feedback, and
   exports the grades in a terminal;
5. alice and bob fetch their feedback and read it;
6. the exported CSV is read.

What a person does in the browser is done there (formgrader's buttons, the Assignment
List's Fetch, Submit and Fetch Feedback, Validate, a terminal). Answers are written
through the Jupyter contents API (what the file browser does); carol and eve, whose part
the browser shows nothing new about, call their servers' Assignment List endpoints (what
its buttons call); what an attacker does runs on the command line as that account. The
tests below check what the flow recorded.
"""

from __future__ import annotations

import base64
import csv
import io
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import Page

from autograder.verify import tasks
from autograder.verify.hide_hidden_tests import HIDDEN_PLACEHOLDER

from .course import (
    ASSIGNMENT,
    FLIPPED_FORWARD,
    NOTEBOOKS,
    SOURCE,
    grade_id,
    instructor_answers,
)
from .hub_session import TIMEOUT_MS, CourseHub, HubUser, Timings, course_hub
from .lab_page import Screenshots, ValidationResult

FOLDER = f"{ASSIGNMENT}/{ASSIGNMENT}"  # where a fetch puts it (Exchange.path_includes_course)
# The term runs on the assignment's first two notebooks: every notebook goes through the
# hub the same way, and each costs CPU-seconds for every student at every step (generated,
# graded in the jail, turned into feedback). With all seven, formgrader's autograde of
# the three submissions alone took 85 of the term's 210 s. The whole assignment is graded
# in the jail by test_formgrader.py; notebook 7's bonus through plain nbgrader autograde
# by tests/verify/test_bonus.py.
HUB_NOTEBOOKS = NOTEBOOKS[:2]
FIRST = HUB_NOTEBOOKS[0]  # 01_forward.ipynb: conv2d_forward, where bob's mistake is
LAST = HUB_NOTEBOOKS[-1]  # the one bob renames
# Their rubric: the points of every graded cell, as the instructor wrote them in source/.
FULL_MARKS = sum(
    cell.metadata.nbgrader.get("points", 0)
    for notebook in HUB_NOTEBOOKS
    for cell in nbformat.read(SOURCE / notebook, as_version=4).cells
    if cell.get("metadata", {}).get("nbgrader", {}).get("grade")
)
FLIPPED = tasks.misconception("conv2d_forward", "kernel_flipped")
NBGRADER_TIME = "%Y-%m-%d %H:%M:%S.%f UTC"  # nbgrader's timestamp format, in UTC
COURSE_AND_ASSIGNMENT = {"course_id": ASSIGNMENT, "assignment_id": ASSIGNMENT}


@dataclass
class Term:
    """What everyone saw during the term."""

    hub: CourseHub
    shots: Screenshots
    timings: Timings
    validations: dict[str, ValidationResult] = field(default_factory=dict)
    refused_submissions: dict[str, str | None] = field(default_factory=dict)
    file_browser_status: dict[str, int] = field(default_factory=dict)
    isolation: str = ""  # alice's terminal, reaching for bob's files and the inbound
    forged_entry: str = ""  # the inbound entry bob named for alice
    collect_log: str = ""
    eve_courses: object = None  # what her Assignment List is told her courses are
    eve_lists: object = None
    eve_fetched: bool = True
    eve_submit: object = None
    autograde_logs: dict[str, str] = field(default_factory=dict)
    feedback: dict[str, str] = field(default_factory=dict)  # student -> 01's feedback
    export: str = ""  # the instructor's terminal
    grades: dict[str, dict[str, str]] = field(default_factory=dict)  # the exported CSV
    # What the files said while the hub was up (it is gone when the checks run):
    instructor_uid: int = 0
    graded_owners: dict[str, int] = field(default_factory=dict)  # student -> uid
    collected_times: dict[str, str] = field(default_factory=dict)  # student -> timestamp
    inbound: list[str] = field(default_factory=list)
    submitted: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------ steps


def _formgrader(page: Page, base: str, path: str) -> Page:
    page.bring_to_front()  # the instructor's formgrader tab, in front of JupyterLab's
    page.goto(f"{base}/formgrader/{path}")
    page.locator("table tbody tr td a").first.wait_for(timeout=TIMEOUT_MS)  # loaded
    return page


def _click_and_read_modal(page: Page, link) -> str:
    """Click a formgrader action link; return the text of its success or error modal."""
    link.click()
    modal = page.locator("#success-modal, #error-modal").last
    modal.wait_for(timeout=TIMEOUT_MS)
    text = modal.inner_text()
    page.locator(".modal button.close").last.click()
    modal.wait_for(state="detached", timeout=TIMEOUT_MS)
    return text


def _fetch(user: HubUser) -> None:
    page = user.assignment_list()
    page.locator("#released_assignments_list button", has_text="Fetch").click()


def _wait_fetched(user: HubUser) -> None:
    user.page.locator("#fetched_assignments_list button", has_text="Submit").wait_for(
        timeout=TIMEOUT_MS
    )


def _submit(user: HubUser, shots: Screenshots | None = None) -> str | None:
    """Press Submit in the Assignment List; None when it went through, else the text of
    the refusal dialog the student reads (and its screenshot, given ``shots``)."""
    page = user.assignment_list()
    submitted = page.locator("#submitted_assignments_list .nested_list_item")
    before = submitted.count()
    page.locator("#fetched_assignments_list button", has_text="Submit").click()
    refused = page.locator("#submission-message")
    refused.or_(submitted.nth(before)).first.wait_for(timeout=TIMEOUT_MS)
    if refused.is_visible():
        text = refused.inner_text()
        if shots:
            shots.take(page, f"submit-refused-{user.name}")
        page.locator(".jp-Dialog button.jp-Dialog-button").first.click()
        refused.wait_for(state="detached", timeout=TIMEOUT_MS)
        return text
    return None


def _answer(user: HubUser) -> None:
    """Write the instructor's answer into every solution cell of every notebook, through
    the contents API (the file browser's own), before any of them is open."""
    for notebook in HUB_NOTEBOOKS:
        path = f"{FOLDER}/{notebook}"
        content = user.read_notebook(path)
        answers = instructor_answers(notebook)
        for cell in content["cells"]:
            if grade_id(cell) in answers:
                cell["source"] = answers[grade_id(cell)]
        user.write_notebook(path, content)


def _type_and_validate(
    user: HubUser, shots: Screenshots, type_in: dict[str, str]
) -> ValidationResult:
    """Open the first notebook from the Assignment List, type answers, press the
    notebook's Validate."""
    lab = user.open_from_assignment_list(FIRST.removesuffix(".ipynb"), f"{FOLDER}/{FIRST}", shots)
    cells = user.read_notebook(f"{FOLDER}/{FIRST}")["cells"]
    for index, cell in enumerate(cells):
        if grade_id(cell) in type_in:
            lab.type_into_cell(index, type_in[grade_id(cell)])
    return lab.validate()


def _read_feedback(user: HubUser, shots: Screenshots, screenshot: str | None = None) -> str:
    """Fetch Feedback in the Assignment List; return the first notebook's feedback page."""
    page = user.refresh_assignment_list()
    page.locator("#submitted_assignments_list button", has_text="Fetch Feedback").click()
    page.locator("#submitted_assignments_list a", has_text="view feedback").last.wait_for(
        timeout=TIMEOUT_MS
    )
    if screenshot:
        shots.take(page, screenshot)
    status, listing = user.call("GET", f"api/contents/{FOLDER}/feedback")
    assert status == 200, listing
    latest = max(item["name"] for item in listing["content"])
    html = f"{FOLDER}/feedback/{latest}/{FIRST.replace('.ipynb', '.html')}"
    view = page.context.new_page()
    view.goto(f"{user.base}/files/{html}")
    shots.take(view, f"feedback-{user.name}", full_page=True)
    text = view.locator("body").inner_text()
    view.close()
    return text


def _forge_entry_for(course: CourseHub, forger: str, victim: str) -> str:
    """As ``forger``, copy their own work into inbound/ under ``victim``'s name, dated
    after every real submission: what nbgrader's collect would take as the victim's."""
    later = (datetime.now(UTC) + timedelta(hours=1)).strftime(NBGRADER_TIME)
    name = f"{victim}+{ASSIGNMENT}+{later}+forged"
    inbound = course.paths.exchange / ASSIGNMENT / "inbound"
    done = course.run_as(forger, "cp", "-r", f"{FOLDER}", str(inbound / name))
    assert done.returncode == 0, done.stderr
    return name


def _set_due_date_now(grader: Page, base: str) -> None:
    """In formgrader, the instructor sets the due date (Manage Assignments, the pencil) to
    the next whole second (nbgrader's due dates have whole seconds); wait until it is past."""
    due = (datetime.now(UTC) + timedelta(seconds=1)).replace(microsecond=0)
    _formgrader(grader, base, "manage_assignments").locator("td.edit a").first.click()
    editing = grader.locator("#edit-assignment-modal")
    editing.locator("input.modal-duedate").fill(f"{due:%Y-%m-%dT%H:%M:%S}")
    editing.locator("input.modal-timezone").fill("UTC")
    editing.locator("button.save").click()
    editing.wait_for(state="detached", timeout=TIMEOUT_MS)  # saved: formgrader closes it
    while datetime.now(UTC) <= due:
        time.sleep(0.05)


@pytest.fixture(scope="module")
def term(request, browser, new_screenshots) -> Term:
    shots = new_screenshots(request, "course-hub")
    timings = Timings()
    roles = {
        "instructors": ["teach"],
        "students": ["alice", "bob", "carol"],
        "guests": ["eve"],
    }
    try:
        log = shots.folder / "jupyterhub.log"
        with course_hub(browser, roles, log, HUB_NOTEBOOKS, timings) as course:
            return _run_term(course, shots, timings)
    finally:
        (shots.folder / "timings.txt").write_text(timings.report() + "\n")


def _run_term(course: CourseHub, shots: Screenshots, timings: Timings) -> Term:
    result = Term(course, shots, timings)
    alice, bob, carol = course.settings.students
    (eve,) = course.settings.guests
    with timings.step("log in: five servers start"):
        # carol and eve act through their servers' endpoints only: their browsers log in
        # and get the JupyterLab page (its XSRF cookie), without running it.
        teacher, *_ = course.log_in(
            course.instructor, alice, bob, carol, eve, without_ui={carol, eve}
        )
    users = course.users
    grader = teacher.page.context.new_page()  # formgrader, in its own tab

    # 1. The instructor generates and releases the assignment from formgrader.
    with timings.step("1. formgrader: generate, release"):
        _formgrader(grader, teacher.base, "manage_assignments")
        for action in ("assign", "release"):
            text = _click_and_read_modal(grader, grader.locator(f"td.{action} a").first)
            assert "Success" in text, text

    # 2. Students fetch (alice and bob at once; carol through her server's Assignment List
    # endpoint, as its button does); alice submits a blank copy first.
    with timings.step("2. fetch"):
        for student in (alice, bob):
            _fetch(users[student])
        fetched = users[carol].call("POST", "assignments/fetch", COURSE_AND_ASSIGNMENT)
        assert fetched[0] == 200 and fetched[1]["success"], fetched
        for student in (alice, bob):
            _wait_fetched(users[student])
    with timings.step("2. alice: submit blank, answer, validate, submit"):
        assert _submit(users[alice]) is None
        _answer(users[alice])
        listed = FIRST.removesuffix(".ipynb")  # as the Assignment List names it
        result.validations[alice] = users[alice].validate_in_assignment_list(listed, shots)
        assert _submit(users[alice]) is None
    with timings.step("2. bob: answer, type the mistake, validate"):
        _answer(users[bob])
        typed = {"conv2d_forward": FLIPPED_FORWARD}
        result.validations[bob] = _type_and_validate(users[bob], shots, typed)
    with timings.step("bad input: renamed, too large, then bob submits"):
        last, renamed = f"{FOLDER}/{LAST}", f"{FOLDER}/my_{LAST}"
        moved = users[bob].call("PATCH", f"api/contents/{last}", {"path": renamed})
        assert moved[0] == 200, moved
        result.refused_submissions["renamed"] = _submit(users[bob], shots)
        assert users[bob].call("PATCH", f"api/contents/{renamed}", {"path": last})[0] == 200
        big = {"type": "file", "format": "base64", "content": base64.b64encode(bytes(6_000_000))}
        big["content"] = big["content"].decode()
        assert users[bob].call("PUT", f"api/contents/{FOLDER}/data.bin", big)[0] in (200, 201)
        result.refused_submissions["too large"] = _submit(users[bob], shots)
        assert users[bob].call("DELETE", f"api/contents/{FOLDER}/data.bin")[0] == 204
        assert _submit(users[bob]) is None
        shots.take(users[bob].page, "assignment-list-bob-submitted")

    # 3. alice reaches for bob's files and submissions; bob forges an entry for alice.
    with timings.step("3. isolation: file browser, terminal"):
        for what, path in {
            # "..%2F": a browser would resolve a plain "../" before sending it.
            "bob's home": f"api/contents/..%2F{bob}",
            "bob's fetched copy": f"api/contents/..%2F{bob}/{FOLDER}/{FIRST}",
            "the exchange's inbound": f"api/contents/{course.paths.exchange}/{ASSIGNMENT}/inbound",
            "bob's server": f"../{bob}/api/contents/{FOLDER}/{FIRST}",
        }.items():
            result.file_browser_status[what] = users[alice].call("GET", path)[0]
        inbound = course.paths.exchange / ASSIGNMENT / "inbound"
        result.isolation = users[alice].terminal(
            f"ls /home/{bob}; cat /home/{bob}/{FOLDER}/{FIRST}; ls {inbound}",
            "isolation.txt",
            shots,
        )
        result.forged_entry = _forge_entry_for(course, bob, alice)

    # Bad input: the due date passes and carol submits late; eve is in no course.
    with timings.step("bad input: late, not in the course"):
        _answer(users[carol])
        _set_due_date_now(grader, teacher.base)
        late = users[carol].call("POST", "assignments/submit", COURSE_AND_ASSIGNMENT)
        assert late[0] == 200 and late[1]["success"], late
        # eve's Assignment List asks her server for her courses, then fetches and
        # submits through it, as its buttons would.
        result.eve_courses = users[eve].call("GET", "courses")
        result.eve_lists = users[eve].call("POST", "assignments/fetch", COURSE_AND_ASSIGNMENT)
        result.eve_fetched = users[eve].call("GET", f"api/contents/{ASSIGNMENT}")[0] == 200
        for folder in (ASSIGNMENT, FOLDER):  # her own copy, to try submitting it
            made = users[eve].call("PUT", f"api/contents/{folder}", {"type": "directory"})
            assert made[0] in (200, 201), made
        result.eve_submit = users[eve].call("POST", "assignments/submit", COURSE_AND_ASSIGNMENT)

    # 4. The instructor collects, autogrades, returns feedback.
    with timings.step("4. formgrader: collect"):
        _formgrader(grader, teacher.base, "manage_assignments")
        result.collect_log = _click_and_read_modal(grader, grader.locator("td.collect a").first)
        inbound = course.paths.exchange / ASSIGNMENT / "inbound"
        result.inbound = sorted(entry.name for entry in inbound.iterdir())
        submitted = course.course_root / "submitted"
        result.submitted = sorted(folder.name for folder in submitted.iterdir())
        for student in result.submitted:
            stamp = submitted / student / ASSIGNMENT / "timestamp.txt"
            result.collected_times[student] = stamp.read_text().strip()
    with timings.step("4. formgrader: autograde three"):
        _formgrader(grader, teacher.base, f"manage_submissions/{ASSIGNMENT}")
        for student in (alice, bob, carol):
            row = grader.locator("tr", has=grader.locator("td", has_text=student))
            log = _click_and_read_modal(grader, row.locator("td.autograde a"))
            result.autograde_logs[student] = log
            assert "Successfully autograded" in log, log[-4000:]
        _formgrader(grader, teacher.base, f"manage_submissions/{ASSIGNMENT}")
        shots.take(grader, "formgrader-submissions", full_page=True)
        result.instructor_uid = course.course_root.stat().st_uid
        for student in result.autograde_logs:
            graded = course.course_root / "autograded" / student / ASSIGNMENT / FIRST
            result.graded_owners[student] = graded.stat().st_uid
    with timings.step("4. formgrader: generate and release feedback"):
        _formgrader(grader, teacher.base, "manage_assignments")
        for action in ("generate-feedback", "release-feedback"):
            text = _click_and_read_modal(grader, grader.locator(f"td.{action} a").first)
            assert "Success" in text, text
        shots.take(grader, "formgrader-assignments", full_page=True)
    with timings.step("4. export in the instructor's terminal"):
        result.export = teacher.terminal(
            f"cd ~/{ASSIGNMENT} && nbgrader export --to grades.csv", "export.txt", shots
        )
        grades = course.course_root / "grades.csv"
        assert grades.exists(), f"nbgrader export wrote no CSV:\n{result.export}"
        result.grades = {
            row["student_id"]: row for row in csv.DictReader(io.StringIO(grades.read_text()))
        }

    # 5. alice and bob fetch their feedback.
    with timings.step("5. feedback"):
        result.feedback[alice] = _read_feedback(users[alice], shots, "assignment-list-alice")
        result.feedback[bob] = _read_feedback(users[bob], shots)
    return result


def _name(term: Term, short: str) -> str:
    return next(n for n in term.hub.passwords if n.endswith(f"-{short}"))


# ------------------------------------------------------------------------ checks


def test_validate_passes_the_right_answers_and_names_the_flipped_kernel(term: Term) -> None:
    alice = term.validations[_name(term, "alice")]
    bob = term.validations[_name(term, "bob")]
    assert alice.passed, alice.text
    assert not bob.passed
    assert "conv2d_forward" in bob.text


def test_every_submission_is_autograded_in_the_jail_as_the_instructor(term: Term) -> None:
    assert sorted(term.autograde_logs) == sorted(_name(term, s) for s in ("alice", "bob", "carol"))
    for student, log in term.autograde_logs.items():
        assert "Successfully autograded" in log, (student, log[-2000:])
        # Grading refuses without the jail unless explicitly allowed (not on the hub).
        assert "unsandboxed" not in log.lower(), student
    assert term.instructor_uid != 0
    assert term.graded_owners == dict.fromkeys(term.autograde_logs, term.instructor_uid)


def test_exported_grades_hold_both_students_with_the_right_scores(term: Term) -> None:
    alice = term.grades[_name(term, "alice")]
    bob = term.grades[_name(term, "bob")]
    # alice's later submission was graded (the first was blank), and not bob's forgery:
    # full marks.
    assert float(alice["max_score"]) == FULL_MARKS
    assert float(alice["score"]) == FULL_MARKS
    assert float(alice["late_submission_penalty"]) == 0
    # bob loses conv2d_forward's points.
    assert 0 < float(bob["score"]) < float(alice["score"])
    assert float(bob["late_submission_penalty"]) == 0


def test_the_late_submission_gets_nbgraders_late_penalty(term: Term) -> None:
    carol = term.grades[_name(term, "carol")]
    assert float(carol["raw_score"]) == FULL_MARKS
    assert float(carol["late_submission_penalty"]) == FULL_MARKS
    assert float(carol["score"]) == 0


def test_feedback_names_the_mistake_and_shows_no_hidden_test_source(term: Term) -> None:
    alice, bob = term.feedback[_name(term, "alice")], term.feedback[_name(term, "bob")]
    assert FLIPPED.message in " ".join(bob.split())
    assert FLIPPED.message not in " ".join(alice.split())
    for text in (alice, bob):
        assert "conv_probe" not in text
        assert "HIDDEN TESTS" not in text
        assert HIDDEN_PLACEHOLDER in text


def test_a_student_cannot_reach_another_students_files(term: Term) -> None:
    assert all(status in (403, 404) for status in term.file_browser_status.values()), (
        term.file_browser_status
    )
    assert term.isolation.count("Permission denied") == 3, term.isolation
    assert '"cells"' not in term.isolation


def test_an_entry_forged_in_inbound_is_refused_at_collect_and_named_to_the_instructor(
    term: Term,
) -> None:
    alice, bob = _name(term, "alice"), _name(term, "bob")
    assert f"Refused, not collected: inbound/{term.forged_entry}" in term.collect_log
    assert f"it claims to be {alice}'s but belongs to {bob}" in term.collect_log
    assert term.forged_entry in term.inbound  # still there: refused, not collected
    assert term.collected_times[alice] < term.forged_entry.split("+")[2]


def test_a_renamed_notebook_or_a_too_large_folder_is_refused_with_the_reason(term: Term) -> None:
    renamed = term.refused_submissions["renamed"]
    assert renamed is not None
    assert f"{LAST}: MISSING" in renamed and f"my_{LAST}: EXTRA" in renamed
    too_large = term.refused_submissions["too large"]
    assert too_large is not None
    assert "Not submitted: the assignment folder holds 6." in too_large
    assert "over the course's limit of 5.0 MB. The largest files:\n  data.bin: 6.0 MB" in too_large


def test_someone_outside_the_course_can_neither_fetch_nor_submit(term: Term) -> None:
    assert term.eve_courses == (200, {"success": True, "value": []}), term.eve_courses
    status, listing = term.eve_lists
    assert status == 200 and listing == {"success": True, "value": []}, listing
    assert not term.eve_fetched
    status, reply = term.eve_submit
    assert status == 200 and reply["success"] is False
    assert reply["value"].rstrip().endswith("You do not have access to this course."), reply
    eve = _name(term, "eve")
    assert not any(entry.startswith(f"{eve}+") for entry in term.inbound), term.inbound
    assert term.submitted == sorted(_name(term, s) for s in ("alice", "bob", "carol"))


def test_screenshots_of_the_assignment_list_and_formgrader_are_taken(term: Term) -> None:
    names = {Path(path).name.split("-", 1)[1] for path in term.shots.taken}
    assert {"assignment-list-alice.png", "formgrader-submissions.png"} <= names
