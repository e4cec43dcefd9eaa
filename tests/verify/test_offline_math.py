"""MathJax in the grader's environment: the pinned version, installed, inlinable."""

from __future__ import annotations

import importlib.metadata
import tomllib
from pathlib import Path

import pytest

from autograder.verify import offline_math
from autograder.verify.offline_math import (
    MATHJAX_COMPONENT,
    MathJaxUnavailableError,
    installed_dir,
    installed_version,
    mathjax_scripts,
)

REPO = Path(__file__).resolve().parents[2]
DISTRIBUTION = "django-static-mathjax"


def test_the_environment_holds_the_pinned_mathjax() -> None:
    """pyproject.toml pins the wheel, `make setup` installed it, it is MathJax 3.2.2."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pinned = next(s for s in project["dependencies"] if s.startswith(f"{DISTRIBUTION}=="))
    assert importlib.metadata.version(DISTRIBUTION) == pinned.split("==")[1]
    # The wheel's version is MathJax's plus a packaging number: 3.2.2.1 holds 3.2.2.
    assert installed_version() == "3.2.2"
    assert pinned.split("==")[1].startswith(installed_version() + ".")
    assert (installed_dir() / MATHJAX_COMPONENT).stat().st_size > 1_000_000
    assert "Apache License" in (installed_dir().parent / "LICENSE").read_text()


def test_the_scripts_carry_the_nonce_and_mathjax_itself() -> None:
    scripts = mathjax_scripts("n0nce")
    assert scripts.count('<script nonce="n0nce">') == 2
    assert scripts.count("</script>") == 2  # nothing inside ends a script early
    assert "window.MathJax = {" in scripts
    assert (installed_dir() / MATHJAX_COMPONENT).read_text()[:2000] in scripts


def test_a_missing_mathjax_says_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(MathJaxUnavailableError, match="make setup"):
        mathjax_scripts("n", tmp_path / "nowhere")


def test_a_missing_package_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(offline_math, "_PACKAGE", "no_such_mathjax_package")
    with pytest.raises(MathJaxUnavailableError, match=r"django-static-mathjax.*make setup"):
        installed_dir()


def test_a_file_that_would_end_its_script_early_is_refused(tmp_path: Path) -> None:
    (tmp_path / MATHJAX_COMPONENT).write_text('var s = "</SCRIPT><script>alert(1)";')
    with pytest.raises(MathJaxUnavailableError, match="cannot be inlined"):
        mathjax_scripts("n", tmp_path)
