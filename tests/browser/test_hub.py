"""A term on the course hub, in a real browser: the nbgrader way, end to end.

One flow on a hub set up as ``make hub`` sets it up (real accounts, PAM, one server per
account): the instructor generates and releases ``conv_backprop`` from formgrader;
alice submits a blank copy, then answers every exercise right, validates and submits
again; bob types the flipped kernel into ``conv2d_forward``, validates and submits, after
two refused tries (a notebook renamed, a file too large); the due date passes and carol
submits late; eve, who is not in the course, is refused. The instructor collects,
autogrades (the trusted grader, jailed, as the instructor's uid), generates and releases
feedback, and exports the grades. alice and bob fetch their feedback and read it.
"""

from __future__ import annotations

import base64
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page

from autograder.maths.misconceptions import CATALOGUE
from autograder.verify.hide_hidden_tests import HIDDEN_PLACEHOLDER

from .course import ASSIGNMENT, FLIPPED_FORWARD, NOTEBOOKS, grade_id, instructor_answers
from .hub_session import CourseHub, HubUser, course_hub
from .lab_page import NotebookPage, Screenshots, ValidationResult

FOLDER = f"{ASSIGNMENT}/{ASSIGNMENT}"  # where a fetch puts it (Exchange.path_includes_course)
BOBS_NOTEBOOK = "01_forward.ipynb"
FLIPPED = next(m for m in CATALOGUE["conv2d_forward"] if m.key == "kernel_flipped")
_TIMEOUT_MS = 240_000


@dataclass
class Term:
    """What everyone saw during the term."""

    hub: CourseHub
    shots: Screenshots
    alice_validate: ValidationResult | None = None
    bob_validate: ValidationResult | None = None
    refused_submissions: dict[str, str] = field(default_factory=dict)  # case -> dialog text
    isolation: str = ""  # alice's terminal, reaching for bob's files
    file_browser_status: dict[str, int] = field(default_factory=dict)
    eve_courses: str = ""
    eve_terminal: str = ""
    autograde_logs: dict[str, str] = field(default_factory=dict)
    feedback: dict[str, str] = field(default_factory=dict)  # student -> 01's feedback text
    grades: dict[str, dict[str, str]] = field(default_factory=dict)  # from the exported CSV


# ------------------------------------------------------------------------ steps


def _formgrader(user: HubUser, page_path: str) -> Page:
    page = user.page
    page.goto(f"{user.base}/formgrader/{page_path}")
    page.locator("table tbody tr td a").first.wait_for(timeout=_TIMEOUT_MS)  # loaded
    return page


def _click_and_read_modal(page: Page, cell: str) -> str:
    """Click a formgrader action link; return the text of the success or error modal."""
    page.locator(f"td.{cell} a").first.click()
    modal = page.locator("#success-modal, #error-modal").last
    modal.wait_for(timeout=_TIMEOUT_MS)
    text = modal.inner_text()
    page.locator(".modal button.close").last.click()
    modal.wait_for(state="detached", timeout=_TIMEOUT_MS)
    assert "Success" in text, text
    return text


def _assignment_list(user: HubUser) -> Page:
    page = user.page
    page.goto(f"{user.base}/lab")
    page.locator("#jp-main-statusbar").wait_for(timeout=_TIMEOUT_MS)
    page.locator(".lm-MenuBar-item", has_text="Nbgrader").click()
    page.locator('.lm-Menu-item[data-command="nbgrader:open-assignment-list"]').click()
    page.locator("#course_list_default").wait_for(timeout=_TIMEOUT_MS)
    page.wait_for_function(
        "() => !document.querySelector('#course_list_default').innerText.includes('Loading')",
        timeout=_TIMEOUT_MS,
    )
    return page


def _fetch(user: HubUser) -> None:
    page = _assignment_list(user)
    page.locator("#released_assignments_list button", has_text="Fetch").click()
    page.locator("#fetched_assignments_list button", has_text="Submit").wait_for(
        timeout=_TIMEOUT_MS
    )


def _submit(user: HubUser) -> str | None:
    """Press Submit; None when it went through, else the refusal dialog's text."""
    page = _assignment_list(user)
    submit = page.locator("#fetched_assignments_list button", has_text="Submit")
    submit.wait_for(timeout=_TIMEOUT_MS)  # the lists have loaded
    before = page.locator("#submitted_assignments_list .nested_list_item").count()
    submit.click()
    refused = page.locator("#submission-message")
    submitted = page.locator("#submitted_assignments_list .nested_list_item").nth(before)
    refused.or_(submitted).first.wait_for(timeout=_TIMEOUT_MS)
    if refused.is_visible():
        text = refused.inner_text()
        page.locator(".jp-Dialog button.jp-Dialog-button").first.click()
        return text
    return None


def _answer(user: HubUser, answers_for) -> None:
    """Fill every notebook's solution cells (the contents API, the file browser's own)."""
    for notebook in NOTEBOOKS:
        path = f"{FOLDER}/{notebook}"
        content = user.read_notebook(path)
        answers = answers_for(notebook)
        for cell in content["cells"]:
            if grade_id(cell) in answers:
                cell["source"] = answers[grade_id(cell)]
        user.write_notebook(path, content)


def _open_run_validate(user: HubUser, shots: Screenshots, type_in: dict[str, str]):
    """Open the first notebook in JupyterLab, type answers, Run All, Validate."""
    path = f"{FOLDER}/{BOBS_NOTEBOOK}"
    lab = NotebookPage.open(user.page, f"{user.base}/lab/tree/{path}?reset", path, shots)
    cells = user.read_notebook(f"{FOLDER}/{BOBS_NOTEBOOK}")["cells"]
    for index, cell in enumerate(cells):
        if grade_id(cell) in type_in:
            lab.type_into_cell(index, type_in[grade_id(cell)])
    lab.run_all()
    return lab.validate()


def _read_feedback(user: HubUser, shots: Screenshots) -> str:
    page = _assignment_list(user)
    page.locator("#submitted_assignments_list button", has_text="Fetch Feedback").click()
    link = page.locator("#submitted_assignments_list a", has_text="view feedback").last
    link.wait_for(timeout=_TIMEOUT_MS)
    status, listing = user.api("GET", f"contents/{FOLDER}/feedback")
    assert status == 200, listing
    latest = max(item["name"] for item in listing["content"])
    html = f"{FOLDER}/feedback/{latest}/{BOBS_NOTEBOOK.replace('.ipynb', '.html')}"
    page.goto(f"{user.base}/files/{html}")
    page.locator("body").wait_for(timeout=_TIMEOUT_MS)
    shots.take(page, f"feedback-{user.name}", full_page=True)
    return page.locator("body").inner_text()


@pytest.fixture(scope="module")
def term(request, browser, new_screenshots) -> Term:
    shots = new_screenshots(request, "course-hub")
    roles = {
        "instructors": ["teach"],
        "students": ["alice", "bob", "carol"],
        "guests": ["eve"],
    }
    with course_hub(browser, roles) as course:
        teacher = course.instructor
        alice, bob, carol = course.settings.students
        (eve,) = course.settings.guests
        result = Term(course, shots)
        instructor, *_ = course.log_in(teacher, alice, bob, carol, eve)
        users = course.users

        # 1. The instructor generates and releases the assignment from formgrader.
        page = _formgrader(instructor, "manage_assignments")
        _click_and_read_modal(page, "assign")
        _click_and_read_modal(page, "release")

        # 2. Students fetch; alice submits a blank copy first, then the real one.
        for student in (alice, bob, carol):
            _fetch(users[student])
        assert _submit(users[alice]) is None
        _answer(users[alice], instructor_answers)
        result.alice_validate = _open_run_validate(users[alice], shots, {})
        shots.take(_assignment_list(users[alice]), "assignment-list-alice")
        assert _submit(users[alice]) is None
        shots.take(users[alice].page, "assignment-list-alice-submitted")

        # bob: right answers except the flipped kernel, typed in JupyterLab.
        _answer(users[bob], instructor_answers)
        result.bob_validate = _open_run_validate(
            users[bob], shots, {"conv2d_forward": FLIPPED_FORWARD}
        )
        # Bad input: a notebook renamed, then a file over the size limit.
        last = f"{FOLDER}/{NOTEBOOKS[-1]}"
        renamed = f"{FOLDER}/my_{NOTEBOOKS[-1]}"
        assert users[bob].api("PATCH", f"contents/{last}", {"path": renamed})[0] == 200
        result.refused_submissions["renamed"] = _submit(users[bob])
        assert users[bob].api("PATCH", f"contents/{renamed}", {"path": last})[0] == 200
        big = base64.b64encode(bytes(6_000_000)).decode()
        payload = {"type": "file", "format": "base64", "content": big}
        assert users[bob].api("PUT", f"contents/{FOLDER}/data.bin", payload)[0] in (200, 201)
        result.refused_submissions["too large"] = _submit(users[bob])
        assert users[bob].api("DELETE", f"contents/{FOLDER}/data.bin")[0] == 204
        assert _submit(users[bob]) is None

        # 3. alice reaches for bob's files: in the file browser's API and in a terminal.
        for what, path in {
            "bob's home": f"../{bob}",
            "the exchange": str(course.paths.exchange),
        }.items():
            result.file_browser_status[what] = users[alice].api("GET", f"contents/{path}")[0]
        result.file_browser_status["bob's server"] = users[alice].api(
            "GET", f"../../{bob}/api/contents"
        )[0]
        inbound = course.paths.exchange / ASSIGNMENT / "inbound"
        result.isolation = users[alice].terminal(
            f"ls /home/{bob}; cat /home/{bob}/{FOLDER}/{BOBS_NOTEBOOK}; ls {inbound}",
            "isolation.txt",
            shots,
        )

        # The due date passes; carol submits after it (right answers, late).
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        done = course.as_instructor(
            "nbgrader", "db", "assignment", "add", ASSIGNMENT, f"--duedate={now}"
        )
        assert done.returncode == 0, done.stderr
        _answer(users[carol], instructor_answers)
        assert _submit(users[carol]) is None

        # eve is in no course: her Assignment List shows none, nbgrader refuses her.
        result.eve_courses = (
            _assignment_list(users[eve]).locator("#course_list_default").inner_text()
        )
        outbound = course.paths.exchange / ASSIGNMENT / "outbound" / ASSIGNMENT
        result.eve_terminal = users[eve].terminal(
            f"nbgrader fetch_assignment {ASSIGNMENT} --course {ASSIGNMENT}; "
            f"mkdir -p {ASSIGNMENT} && cp -r {outbound} {ASSIGNMENT}/ && "
            f"nbgrader submit {ASSIGNMENT} --course {ASSIGNMENT}",
            "eve.txt",
            shots,
        )

        # 4. The instructor collects, autogrades, returns feedback, exports grades.
        page = _formgrader(instructor, "manage_assignments")
        _click_and_read_modal(page, "collect")
        page = _formgrader(instructor, f"manage_submissions/{ASSIGNMENT}")
        for student in (alice, bob, carol):
            row = page.locator("tr", has=page.locator("td", has_text=student))
            row.locator("td.autograde a").click()
            modal = page.locator("#success-modal, #error-modal").last
            modal.wait_for(timeout=_TIMEOUT_MS)
            result.autograde_logs[student] = modal.inner_text()
            assert "Successfully autograded" in result.autograde_logs[student], (
                result.autograde_logs[student][-4000:]
            )
            page.locator(".modal button.close").last.click()
            modal.wait_for(state="detached", timeout=_TIMEOUT_MS)
        page = _formgrader(instructor, f"manage_submissions/{ASSIGNMENT}")
        shots.take(page, "formgrader-submissions", full_page=True)
        page = _formgrader(instructor, "manage_assignments")
        _click_and_read_modal(page, "generate-feedback")
        _click_and_read_modal(page, "release-feedback")
        shots.take(page, "formgrader-assignments", full_page=True)
        exported = instructor.terminal(
            f"cd {course.course_root} && nbgrader export --to grades.csv && cat grades.csv",
            "export.txt",
            shots,
        )
        assert "assignment," in exported, exported  # nbgrader export's header
        csv_text = exported[exported.index("assignment,") :].rsplit("done", 1)[0]
        result.grades = {row["student_id"]: row for row in csv.DictReader(io.StringIO(csv_text))}

        # 5. alice and bob fetch their feedback.
        for student in (alice, bob):
            result.feedback[student] = _read_feedback(users[student], shots)
        return result


def _name(term: Term, short: str) -> str:
    return next(n for n in term.hub.passwords if n.endswith(f"-{short}"))


# ------------------------------------------------------------------------ checks


def test_validate_passes_the_right_answers_and_names_the_flipped_kernel(term: Term) -> None:
    assert term.alice_validate.passed, term.alice_validate.text
    assert not term.bob_validate.passed
    assert "conv2d_forward" in term.bob_validate.text


def test_every_submission_is_autograded_in_the_jail_as_the_instructor(term: Term) -> None:
    for student, log in term.autograde_logs.items():
        assert "Successfully autograded" in log, (student, log[-2000:])
        # Grading refuses without the jail unless explicitly allowed (not on the hub).
        assert "unsandboxed" not in log.lower(), student
    root = term.hub.course_root
    owner = root.stat().st_uid
    for student in term.autograde_logs:
        graded = root / "autograded" / student / ASSIGNMENT / BOBS_NOTEBOOK
        assert graded.stat().st_uid == owner != 0


def test_exported_grades_hold_both_students_with_the_right_scores(term: Term) -> None:
    alice, bob = _name(term, "alice"), _name(term, "bob")
    assert float(term.grades[alice]["score"]) == float(term.grades[alice]["max_score"]) == 100
    # The later of alice's two submissions was graded: the first was blank.
    bob_score = float(term.grades[bob]["score"])
    assert 0 < bob_score < 100


def test_the_late_submission_gets_nbgraders_late_penalty(term: Term) -> None:
    carol = term.grades[_name(term, "carol")]
    assert float(carol["raw_score"]) == 100
    assert float(carol["late_submission_penalty"]) == 100
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
    assert all(status in (400, 403, 404) for status in term.file_browser_status.values()), (
        term.file_browser_status
    )
    assert term.isolation.count("Permission denied") == 3, term.isolation
    assert "cells" not in term.isolation


def test_a_renamed_notebook_or_a_too_large_folder_is_refused_with_the_reason(term: Term) -> None:
    renamed = term.refused_submissions["renamed"]
    assert renamed is not None and "MISSING" in renamed and NOTEBOOKS[-1] in renamed
    too_large = term.refused_submissions["too large"]
    assert too_large is not None and "too big" in too_large


def test_someone_outside_the_course_can_neither_fetch_nor_submit(term: Term) -> None:
    assert "No courses found" in term.eve_courses
    assert term.eve_terminal.count("You do not have access to this course") == 2, term.eve_terminal
    submitted = term.hub.course_root / "submitted"
    assert sorted(path.name for path in submitted.iterdir()) == sorted(
        _name(term, s) for s in ("alice", "bob", "carol")
    )
    assert re.search(r"\bEXTRA\b|\bMISSING\b", term.refused_submissions["renamed"])
