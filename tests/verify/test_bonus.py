"""Bonus points through nbgrader's extra credit (autograder/verify/bonus.py).

Fast tests run SaveBonusCredit against a real SQLite gradebook, with the verdicts
VerifyProbes would leave in resources, and VerifyProbes' verdict on a bonus cell. One
slow test grades a tiny course with plain ``nbgrader autograde`` (the repository's
trusted config, sandbox and bonus step included) and reads the totals back from the
gradebook, ``nbgrader export`` and the feedback page: the assignment's maximum stays
where it was, and a right bonus answer adds its points on top of it.
"""

from __future__ import annotations

import csv
import shutil
import warnings
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbgrader.api import Gradebook
from nbgrader.preprocessors import SaveAutoGrades
from sqlalchemy.exc import SAWarning

from autograder.verify.bonus import (
    BONUS_METADATA_KEY,
    BonusConfigError,
    BonusInFeedback,
    SaveBonusCredit,
    bonus_cells_in,
    bonus_credit,
    bonus_points_in,
    with_bonus_credit,
)
from autograder.verify.preprocessors import VERDICT_METADATA_KEY, VERDICTS_KEY, VerifyProbes
from autograder.verify.verdicts import CellResult, Problem, verdict_outputs
from probe_course import (
    ASSIGNMENT,
    REFERENCE_PRELUDE,
    REPO,
    STUDENT_KERNELSPEC,
    correct_answer,
    graded_cell_source,
    nbgrader,
    submit,
    write_config,
)

# ------------------------------------------------------------ the credit itself


@pytest.mark.parametrize(
    ("verdict", "credit"),
    [
        ({"cases": 7, "passed": 7, "problem": None}, 5.0),
        ({"cases": 7, "passed": 3, "problem": None}, 5 * 3 / 7),
        ({"cases": 7, "passed": 0, "problem": None}, 0.0),
        ({"cases": 0, "passed": 0, "problem": "no answers were collected"}, 0.0),
        ({"cases": 7, "passed": 7, "problem": "the answers are malformed"}, 0.0),
        ({"cases": 7, "passed": 8, "problem": None}, 0.0),
        ({"cases": 0, "passed": 0, "problem": None}, 0.0),
    ],
)
def test_the_credit_is_the_bonus_times_the_fraction_judged(verdict: dict, credit: float) -> None:
    assert bonus_credit(5, verdict) == pytest.approx(credit, abs=0)


# --------------------------------------------------- against a real gradebook

NOTEBOOK = "07_layer"


def _cell(grade_id: str, points: float, metadata: dict | None = None) -> nbformat.NotebookNode:
    cell = new_code_cell("pass")
    cell.metadata["nbgrader"] = {
        "grade": True,
        "solution": False,
        "locked": True,
        "points": points,
        "grade_id": grade_id,
        "schema_version": 3,
    }
    cell.metadata.update(metadata or {})
    return cell


@pytest.fixture(scope="module")
def gradebook_template(tmp_path_factory) -> Path:
    """A gradebook with one submission of a notebook: an ordinary 2-point test cell and
    two 0-point cells (rot180 and pad2d in these tests' bonus config). Building one takes
    seconds, so each test gets a copy of this one."""
    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    with Gradebook(f"sqlite:///{path}") as gb:
        gb.add_assignment("course")
        gb.add_notebook(NOTEBOOK, "course")
        gb.add_grade_cell("test_conv2d_forward", NOTEBOOK, "course", max_score=2, cell_type="code")
        for task in ("rot180", "pad2d"):
            gb.add_grade_cell(f"test_{task}", NOTEBOOK, "course", max_score=0, cell_type="code")
        gb.add_student("ada")
        with warnings.catch_warnings():
            # nbgrader's add_submission autoflushes half-built rows and SQLAlchemy says
            # so; the rows come out right (the tests below read them back).
            warnings.simplefilter("ignore", SAWarning)
            gb.add_submission("course", "ada")
        for grade_id in ("test_conv2d_forward", "test_rot180", "test_pad2d"):
            gb.find_grade(grade_id, NOTEBOOK, "course", "ada").auto_score = (
                2.0 if grade_id == "test_conv2d_forward" else 0.0
            )
        gb.db.commit()
    return path


@pytest.fixture
def gradebook(gradebook_template: Path, tmp_path: Path) -> str:
    copy = tmp_path / "gradebook.db"
    shutil.copyfile(gradebook_template, copy)
    return f"sqlite:///{copy}"


#: The bonus the tests' verdicts carry: rot180 and pad2d are bonus tasks here.
BONUS = {"rot180": 5.0, "pad2d": 3.0}


def _verdict(task: str, passed: int, cases: int = 7, problem: str | None = None) -> dict:
    facts = {"tasks": [task], "cases": cases, "passed": passed, "problem": problem}
    return facts | {"bonus": BONUS.get(task)}


def _run(db_url: str, verdicts: dict | None, cells=None) -> None:
    nb = new_notebook(
        cells=cells
        or [_cell("test_conv2d_forward", 2), _cell("test_rot180", 0), _cell("test_pad2d", 0)]
    )
    resources = {
        "nbgrader": {"db_url": db_url, "notebook": NOTEBOOK, "assignment": "course"}
        | {"student": "ada"}
    }
    if verdicts is not None:
        resources[VERDICTS_KEY] = verdicts
    SaveBonusCredit().preprocess(nb, resources)


def _credits(db_url: str) -> dict[str, float | None]:
    with Gradebook(db_url) as gb:
        notebook = gb.find_submission_notebook(NOTEBOOK, "course", "ada")
        return {grade.name: grade.extra_credit for grade in notebook.grades}


def _totals(db_url: str) -> tuple[float, float]:
    with Gradebook(db_url) as gb:
        submission = gb.find_submission("course", "ada")
        return float(submission.score), float(submission.max_score)


def test_a_bonus_cell_earns_its_judged_share_on_top_of_the_maximum(gradebook: str) -> None:
    _run(
        gradebook,
        {
            "test_conv2d_forward": _verdict("conv2d_forward", 10, 10),
            "test_rot180": _verdict("rot180", 7),
            "test_pad2d": _verdict("pad2d", 2, cases=6),
        },
    )
    assert _credits(gradebook) == {
        "test_conv2d_forward": None,
        "test_rot180": 5.0,
        "test_pad2d": pytest.approx(1.0, abs=1e-12),
    }
    assert _totals(gradebook) == (pytest.approx(2 + 5 + 1), 2.0)  # score above the maximum


def test_regrading_replaces_the_credit_rather_than_adding_to_it(gradebook: str) -> None:
    _run(gradebook, {"test_rot180": _verdict("rot180", 7)})
    _run(gradebook, {"test_rot180": _verdict("rot180", 0)})
    assert _credits(gradebook)["test_rot180"] == 0.0


def test_an_ordinary_cells_extra_credit_is_left_to_the_instructor(gradebook: str) -> None:
    with Gradebook(gradebook) as gb:
        gb.find_grade("test_conv2d_forward", NOTEBOOK, "course", "ada").extra_credit = 1.5
        gb.db.commit()
    _run(gradebook, {"test_conv2d_forward": _verdict("conv2d_forward", 0, 10)})
    assert _credits(gradebook)["test_conv2d_forward"] == 1.5


def test_a_cell_the_verifier_could_not_read_earns_nothing_not_a_stale_credit(
    gradebook: str,
) -> None:
    _run(gradebook, {"test_rot180": _verdict("rot180", 7)})
    unread = {"tasks": [], "cases": 0, "passed": 0, "problem": "this test cell was never armed"}
    unread["bonus"] = None
    _run(gradebook, {"test_rot180": unread})
    assert _credits(gradebook)["test_rot180"] == 0.0


def test_what_the_notebook_says_about_its_verdict_earns_nothing(gradebook: str) -> None:
    """A student can write any cell metadata; only the verifier's own verdicts count."""
    forged = {VERDICT_METADATA_KEY: {"tasks": ["rot180"], "cases": 7, "passed": 7, "bonus": 5}}
    cells = [_cell("test_rot180", 0, forged)]
    _run(gradebook, {"test_rot180": _verdict("rot180", 0)}, cells=cells)
    assert _credits(gradebook)["test_rot180"] == 0.0


def test_without_the_verifiers_verdicts_nothing_is_credited(gradebook: str) -> None:
    with pytest.raises(RuntimeError, match="must run after VerifyProbes"):
        _run(gradebook, None)
    assert _credits(gradebook)["test_rot180"] is None


def test_a_bonus_cell_that_also_carries_points_is_refused(gradebook: str) -> None:
    with pytest.raises(BonusConfigError, match=r"must carry 0 nbgrader points \(it has 2\)"):
        _run(
            gradebook,
            {"test_conv2d_forward": _verdict("conv2d_forward", 10, 10) | {"bonus": 4.0}},
        )


# ------------------------------------------------------- the verdict on a bonus cell


def _verified(tasks: list[str], bonus_points: dict[str, float]):
    """VerifyProbes on one test cell whose probe calls were never answered."""
    source = "pass\n### BEGIN HIDDEN TESTS\nimport conv_probe\n"
    source += "".join(f'conv_probe.probe("{task}", {task})\n' for task in tasks)
    source += "### END HIDDEN TESTS"
    nb = new_notebook(cells=[_cell("test_cell", 0)])
    nb.cells[0].source = source
    resources: dict = {}
    from autograder.verify.preprocessors import ArmProbes

    ArmProbes().preprocess(nb, resources)
    VerifyProbes(bonus_points=bonus_points).preprocess(nb, resources)
    return nb.cells[0], resources[VERDICTS_KEY]["test_cell"]


def test_the_verifier_gives_a_bonus_cell_its_bonus_and_speaks_of_bonus_points() -> None:
    cell, facts = _verified(["rot180"], {"rot180": 5.0, "pad2d": 3.0})
    assert facts["bonus"] == 5.0 and cell.metadata[VERDICT_METADATA_KEY]["bonus"] == 5.0
    (error,) = cell.outputs
    assert "(0 of 5 bonus points)" in error.evalue
    _, ordinary = _verified(["conv2d_forward"], {"rot180": 5.0})
    assert ordinary["bonus"] is None


def test_a_cell_mixing_bonus_and_ordinary_tasks_is_refused() -> None:
    with pytest.raises(BonusConfigError, match="mixes bonus tasks"):
        _verified(["rot180", "conv2d_forward"], {"rot180": 5.0})


@pytest.mark.parametrize(
    ("passed", "headline", "kinds"),
    [
        (
            7,
            "Hidden tests passed: `rot180` correct on all 7 inputs (5 of 5 bonus points).",
            {"display_data"},
        ),
        (
            3,
            "Hidden tests: `rot180` correct on 3 of 7 inputs (2.14 of 5 bonus points).",
            {"display_data"},
        ),
        (
            0,
            "Hidden tests failed: `rot180` wrong on all 7 inputs (0 of 5 bonus points).",
            {"error"},
        ),
    ],
)
def test_a_bonus_verdict_never_reads_0_of_0_points(passed, headline, kinds) -> None:
    result = CellResult(["rot180"], cases=7, passed=passed)
    if passed < 7:
        result.problems.append(Problem("rot180", "You transposed F.", ("F 2x2 int",)))
    outputs = verdict_outputs(result, 0.0, bonus=5.0)
    # No partial-credit number: nbgrader would score it against the cell's 0 points.
    assert {output.output_type for output in outputs} == kinds
    text = outputs[0].get("evalue") or outputs[0]["data"]["text/plain"]
    assert text.split("\n")[0] == headline
    assert "of 0 points" not in text


# ------------------------------------------------------------ feedback shows the bonus


def test_the_feedback_page_shows_a_bonus_cell_out_of_its_bonus() -> None:
    bonus_cell = _cell(
        "test_rot180", 0, {VERDICT_METADATA_KEY: {"tasks": ["rot180"], "bonus": 5.0}}
    )
    other_bonus = _cell("test_pad2d", 0, {VERDICT_METADATA_KEY: {"tasks": ["pad2d"], "bonus": 3.0}})
    ordinary = _cell("test_conv2d_forward", 2, {VERDICT_METADATA_KEY: {"bonus": None}})
    resources = {"nbgrader": {"notebook": "07_layer", "score": 6.0, "max_score": 0.0}}
    nb = new_notebook(cells=[bonus_cell, other_bonus])
    BonusInFeedback().preprocess(nb, resources)
    assert [cell.metadata.nbgrader["points"] for cell in nb.cells] == [5.0, 3.0]
    assert resources["nbgrader"]["max_score"] == 8.0  # the notebook's bonus, not 0
    mixed = {"nbgrader": {"notebook": "05", "score": 9.0, "max_score": 2.0}}
    nb = new_notebook(cells=[ordinary, _cell("test_rot180", 0, bonus_cell.metadata)])
    BonusInFeedback().preprocess(nb, mixed)
    assert [cell.metadata.nbgrader["points"] for cell in nb.cells] == [2, 5.0]
    assert mixed["nbgrader"]["max_score"] == 2.0


def test_the_step_goes_right_after_save_auto_grades_once() -> None:
    steps = [VerifyProbes, SaveAutoGrades, "nbgrader.preprocessors.AssignLatePenalties"]
    assert with_bonus_credit(steps) == [
        VerifyProbes,
        SaveAutoGrades,
        SaveBonusCredit,
        "nbgrader.preprocessors.AssignLatePenalties",
    ]
    assert with_bonus_credit(with_bonus_credit(steps)) == with_bonus_credit(steps)
    with pytest.raises(ValueError, match="one SaveAutoGrades"):
        with_bonus_credit([VerifyProbes])


# ------------------------------------------------- declared in the source notebook


def _declaring(tmp_path: Path, cells: list) -> Path:
    folder = tmp_path / "source"
    folder.mkdir(exist_ok=True)
    nbformat.write(new_notebook(cells=cells), folder / "07_layer.ipynb")
    return folder


def _bonus_cell(task: str, points: float, bonus) -> nbformat.NotebookNode:
    cell = _cell(f"test_{task}", points, {BONUS_METADATA_KEY: {"bonus_points": bonus}})
    cell.source = graded_cell_source(task)
    return cell


def test_the_bonus_is_read_from_the_source_notebooks_beside_nbgraders_points(tmp_path) -> None:
    cells = [_bonus_cell("rot180", 0, 5), _bonus_cell("pad2d", 0, 2.5), _cell("test_x", 3)]
    cells[2].source = graded_cell_source("conv2d_forward")
    assert bonus_points_in(_declaring(tmp_path, cells)) == {"rot180": 5.0, "pad2d": 2.5}
    assert bonus_cells_in(tmp_path / "source") == {
        "test_rot180": ("rot180", 5.0),
        "test_pad2d": ("pad2d", 2.5),
    }


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        (lambda: _bonus_cell("rot180", 2, 5), "a bonus goes on a graded test cell of 0 points"),
        (lambda: _bonus_cell("rot180", 0, 0), "bonus_points must be a positive number"),
        (lambda: _bonus_cell("rot180", 0, "5"), "bonus_points must be a positive number"),
        (lambda: _bonus_cell("rot180", 0, True), "bonus_points must be a positive number"),
    ],
)
def test_a_bonus_nbgrader_would_also_count_is_refused(tmp_path, cell, message: str) -> None:
    with pytest.raises(BonusConfigError, match=message):
        bonus_points_in(_declaring(tmp_path, [cell()]))


def test_a_bonus_cell_probing_two_tasks_is_refused(tmp_path) -> None:
    cell = _bonus_cell("rot180", 0, 5)
    cell.source = graded_cell_source("rot180").replace(
        "### END HIDDEN TESTS", 'conv_probe.probe("pad2d", pad2d)\n### END HIDDEN TESTS'
    )
    with pytest.raises(BonusConfigError, match="probes one task"):
        bonus_points_in(_declaring(tmp_path, [cell]))


# ------------------------------------------ a tiny course, graded by nbgrader

#: pad2d is an ordinary 2-point exercise, rot180 a bonus one worth 5 on top.
_POINTS = {"pad2d": 2, "rot180": 0}


def _source_notebook() -> nbformat.NotebookNode:
    def nbgrader_meta(grade_id: str, test: bool) -> dict:
        meta = {"grade_id": grade_id, "schema_version": 3, "locked": test, "solution": not test}
        return {
            "nbgrader": meta
            | ({"grade": True, "points": _POINTS[grade_id[5:]]} if test else {"grade": False})
        }

    cells = [
        new_markdown_cell("One ordinary exercise and one bonus exercise."),
        new_code_cell(
            "### BEGIN SOLUTION\n" + REFERENCE_PRELUDE + "### END SOLUTION",
            metadata=nbgrader_meta("prelude", test=False),
        ),
    ]
    for task in _POINTS:
        answer = "### BEGIN SOLUTION\n" + correct_answer(task) + "\n### END SOLUTION"
        cells.append(new_code_cell(answer, metadata=nbgrader_meta(f"{task}_answer", test=False)))
        test = nbgrader_meta(f"test_{task}", True)
        if task == "rot180":  # the bonus, declared beside nbgrader's points
            test[BONUS_METADATA_KEY] = {"bonus_points": 5}
        cells.append(new_code_cell(graded_cell_source(task), metadata=test))
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = dict(STUDENT_KERNELSPEC)
    return notebook


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory) -> Path:
    course = tmp_path_factory.mktemp("bonus_course")
    write_config(course)  # the repository's configure: the bonus step included
    source = course / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    nbformat.write(_source_notebook(), source / "probed.ipynb")
    shutil.copy(REPO / "source" / ASSIGNMENT / "conv_probe.py", source / "conv_probe.py")
    done = nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    assert done.returncode == 0, done.stdout + done.stderr
    submit(course, "right", {})
    submit(course, "wrong", {"rot180": "rot180 = lambda F: np.asarray(F, dtype=float).T.copy()"})
    # Right on square filters only: the judged fraction is the share of square cases.
    submit(
        course,
        "square",
        {
            "rot180": "def rot180(F):\n"
            "    F = np.asarray(F, dtype=float)\n"
            "    return F[::-1, ::-1].copy() if F.shape[0] == F.shape[1] else F.copy()"
        },
    )
    done = nbgrader(course, "autograde", ASSIGNMENT, "--force")
    assert done.returncode == 0, done.stdout + done.stderr
    done = nbgrader(course, "export", "--to", str(course / "grades.csv"))
    assert done.returncode == 0, done.stdout + done.stderr
    return course


def _exported(course: Path) -> dict[str, dict[str, str]]:
    with (course / "grades.csv").open(newline="") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


def _autograded_verdict(course: Path, student: str) -> dict:
    path = course / "autograded" / student / ASSIGNMENT / "probed.ipynb"
    cells = nbformat.read(path, 4).cells
    (cell,) = [c for c in cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_rot180"]
    return cell.metadata[VERDICT_METADATA_KEY]


def test_nbgrader_export_shows_the_bonus_on_top_of_an_unchanged_maximum(graded_course) -> None:
    rows = _exported(graded_course)
    assert {row["max_score"] for row in rows.values()} == {"2.0"}
    assert float(rows["right"]["score"]) == 2 + 5
    assert float(rows["wrong"]["score"]) == 2
    verdict = _autograded_verdict(graded_course, "square")
    assert 0 < verdict["passed"] < verdict["cases"]
    assert float(rows["square"]["score"]) == pytest.approx(
        2 + 5 * verdict["passed"] / verdict["cases"]
    )


def test_the_gradebook_keeps_the_bonus_in_extra_credit_of_a_zero_point_cell(graded_course) -> None:
    with Gradebook(f"sqlite:///{graded_course / 'gradebook.db'}") as gb:
        assert gb.find_assignment(ASSIGNMENT).max_score == 2
        right = gb.find_grade("test_rot180", "probed", ASSIGNMENT, "right")
        assert (right.auto_score, right.max_score, right.extra_credit, right.score) == (0, 0, 5, 5)
        assert not right.failed_tests and not right.needs_manual_grade
        wrong = gb.find_grade("test_rot180", "probed", ASSIGNMENT, "wrong")
        assert (wrong.extra_credit, wrong.score) == (0, 0)
        assert gb.find_grade("test_pad2d", "probed", ASSIGNMENT, "wrong").extra_credit is None


def test_the_feedback_page_shows_the_bonus_out_of_the_bonus_not_out_of_0(graded_course) -> None:
    done = nbgrader(graded_course, "generate_feedback", ASSIGNMENT, "--force")
    assert done.returncode == 0, done.stdout + done.stderr
    page = (graded_course / "feedback" / "right" / ASSIGNMENT / "probed.html").read_text()
    # rot180 is the bonus cell (5 bonus points), pad2d an ordinary one (2 points).
    assert "(Score: 5.0 / 5.0)" in page and "(Score: 2.0 / 2.0)" in page
    assert "/ 0.0)" not in page
    assert "correct on all 7 inputs (5 of 5 bonus points)" in page
