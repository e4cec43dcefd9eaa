"""The one ``configure``: the whole autograde list, the jail's settings, the guard."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from nbconvert.preprocessors import Preprocessor
from nbformat.v4 import new_code_cell, new_notebook
from nbgrader.converters import Autograde
from nbgrader.preprocessors import Execute
from traitlets.config import Config, PyFileConfigLoader
from traitlets.utils.importstring import import_item

from autograder.i18n.feedback import PAGE_FILTERS
from autograder.jail.execute import SandboxedExecute
from autograder.jail.kernelspec import KERNEL_NAME
from autograder.verify.bonus import SaveBonusCredit, bonus_points_in
from autograder.verify.config import (
    ASSIGNMENT_ID,
    GUARD_AUTOGRADE,
    SAFE_FEEDBACK,
    autograde_preprocessors,
    configure,
    sanitize_preprocessors,
)
from autograder.verify.copying import FlagCopiedAnswers
from autograder.verify.page_security import PAGE_TEMPLATE, SECURE_HEAD_FILTER, TEMPLATES
from autograder.verify.preprocessors import (
    ArmProbes,
    GraderNotConfiguredError,
    RefuseToGrade,
    VerifyProbes,
)
from autograder.verify.safe_html import SANITISER_FILTERS

REPO = Path(__file__).resolve().parents[2]


def _names(steps: list) -> list[str]:
    return [getattr(step, "__name__", step) for step in steps]


def test_the_trusted_list_arms_before_the_jailed_execute_and_verifies_before_saving():
    names = _names(autograde_preprocessors())
    assert names.index("ArmProbes") + 1 == names.index("SandboxedExecute")
    assert names.index("SandboxedExecute") + 1 == names.index("VerifyProbes")
    assert names.index("VerifyProbes") < names.index("LimitOutput") < names.index("SaveAutoGrades")
    assert names.index("VerifyProbes") + 1 == names.index("FlagCopiedAnswers")
    assert "Execute" not in names
    # The bonus is credited once the grade rows exist, before a late penalty sees the score.
    assert names.index("SaveAutoGrades") + 1 == names.index("SaveBonusCredit")
    assert names.index("SaveBonusCredit") < names.index("AssignLatePenalties")


def test_without_verification_the_list_is_nbgraders_own_with_the_kernel_jailed():
    stock = list(Autograde.class_traits()["autograde_preprocessors"].default())
    jailed = autograde_preprocessors(verify=False)
    at = stock.index(Execute)
    assert jailed == [*stock[:at], SandboxedExecute, FlagCopiedAnswers, *stock[at + 1 :]]


def test_configure_owns_the_list_whatever_was_configured_before():
    c = Config()
    c.Autograde.autograde_preprocessors = ["nbgrader.preprocessors.Execute"]
    configure(c, "/course")
    steps = c.Autograde.autograde_preprocessors
    assert steps == autograde_preprocessors()
    assert ArmProbes in steps and VerifyProbes in steps
    assert c.Execute.kernel_name == KERNEL_NAME
    assert c.Sandbox.helper_dir == f"/course/source/{ASSIGNMENT_ID}"
    assert c.OverwriteCells.add_missing_cells is True
    assert c.Autograde.sanitize_preprocessors == sanitize_preprocessors()
    assert "autograder.verify.hide_hidden_tests.HideHiddenTests" in c.GenerateFeedback.preprocessors
    assert c.HTMLExporter.preprocessors == ["autograder.verify.hide_hidden_tests.HideHiddenTests"]
    # formgrader's submission view and feedback: sanitised, under a policy, MathJax inside.
    assert c.HTMLExporter.sanitize_html is True
    assert c.HTMLExporter.filters == {
        **SANITISER_FILTERS,
        "secure_head": SECURE_HEAD_FILTER,
        **PAGE_FILTERS,
    }
    assert c.HTMLExporter.template_file == PAGE_TEMPLATE
    assert c.HTMLExporter.extra_template_basedirs[0] == str(TEMPLATES)


def test_configure_reads_the_bonus_from_the_courses_source_notebooks():
    c = Config()
    configure(c, REPO)
    declared = bonus_points_in(REPO / "source" / ASSIGNMENT_ID)
    assert c.VerifyProbes.bonus_points == declared
    # Design §1: notebook 7, the optional extension, is worth bonus points (20 in all).
    assert sum(declared.values()) == 20
    assert {name.removesuffix("_vectorised") for name in declared} == {
        "conv_layer_output_shape",
        "conv_layer_forward",
        "conv_layer_backward",
        "max_pool_forward",
        "max_pool_backward",
    }
    without_source = Config()
    configure(without_source, REPO / "no such course")
    assert without_source.VerifyProbes.bonus_points == {}
    assert SaveBonusCredit in without_source.Autograde.autograde_preprocessors


def test_configure_points_the_jail_at_the_named_assignment():
    c = Config()
    configure(c, "/course", "tiny", verify=False)
    assert c.Sandbox.helper_dir == "/course/source/tiny"
    assert VerifyProbes not in c.Autograde.autograde_preprocessors


def test_guard_grades_with_nbgraders_own_list_refusing_before_execute():
    """The guard refuses only this course's notebooks: everything else runs nbgrader's
    own steps, in nbgrader's order (this fails when a new nbgrader changes its list)."""
    stock = [
        f"{step.__module__.rsplit('.', 1)[0]}.{step.__name__}"
        for step in Autograde.class_traits()["autograde_preprocessors"].default()
    ]
    at = stock.index("nbgrader.preprocessors.Execute")
    refuse = "autograder.verify.preprocessors.RefuseToGrade"
    assert [*stock[:at], refuse, *stock[at:]] == GUARD_AUTOGRADE
    for name in GUARD_AUTOGRADE:
        assert import_item(name).__name__ == name.rsplit(".", 1)[1], name


def _refusal(nb):
    return RefuseToGrade().preprocess(nb, {})


def test_refuse_to_grade_passes_a_notebook_without_probes():
    nb = new_notebook(cells=[new_code_cell("assert squares(1) == [1]")])
    assert _refusal(nb) == (nb, {})


@pytest.mark.parametrize(
    "source",
    [
        "import conv_probe\nconv_probe.probe('conv2d_forward', conv2d_forward)",
        "from conv_probe import probe",
    ],
)
def test_refuse_to_grade_stops_a_notebook_that_calls_the_probe(source):
    nb = new_notebook(cells=[new_code_cell("x = 1"), new_code_cell(source)])
    with pytest.raises(GraderNotConfiguredError, match="Refusing to grade"):
        _refusal(nb)


def test_guard_config_refuses_and_is_installed_in_this_environment():
    guard = REPO / "etc" / "jupyter" / "nbgrader_config.py"
    loaded = PyFileConfigLoader(guard.name, path=str(guard.parent)).load_config()
    assert loaded.Autograde.autograde_preprocessors == GUARD_AUTOGRADE
    assert loaded.GenerateFeedback.preprocessors == SAFE_FEEDBACK
    for name in GUARD_AUTOGRADE + SAFE_FEEDBACK:
        assert issubclass(import_item(name), Preprocessor), name
    # A submission's HTML is sanitised even where the course config failed to load.
    assert loaded.HTMLExporter.sanitize_html is True
    assert loaded.HTMLExporter.filters == SANITISER_FILTERS
    for name in SANITISER_FILTERS.values():
        assert callable(import_item(name)), name
    installed = Path(sys.prefix) / "etc" / "jupyter" / "nbgrader_config.py"
    assert installed.read_text() == guard.read_text(), "run `make setup` to install the guard"


def test_paths_named_outside_the_repository_still_work():
    """Guards installed before the move name these; ``python -m`` commands name the rest."""
    assert import_item("autograder.verifier.RefuseToGrade") is import_item(GUARD_AUTOGRADE[0])
    hide = "autograder.verify.hide_hidden_tests.HideHiddenTests"
    assert hide in SAFE_FEEDBACK
    assert import_item("autograder.feedback.HideHiddenTests") is import_item(hide)


@pytest.mark.parametrize(
    "module", ["autograder.sandbox", "autograder.self_study", "autograder.visible_checks"]
)
def test_python_m_commands_of_earlier_readmes_still_run(module):
    arguments = ["check"] if module == "autograder.sandbox" else ["--check"]
    done = subprocess.run(
        [sys.executable, "-m", module, *arguments], capture_output=True, text=True, cwd=REPO
    )
    assert done.returncode == 0, done.stdout + done.stderr
