"""MathJax in the grader's environment: the pinned version, installed, inlinable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder.verify.offline_math import (
    MATHJAX_COMPONENT,
    MathJaxUnavailableError,
    install,
    installed_dir,
    installed_version,
    main,
    mathjax_scripts,
)

REPO = Path(__file__).resolve().parents[2]


def test_the_environment_holds_the_pinned_mathjax() -> None:
    """package.json pins it, package-lock.json locks the same, `make setup` installed it."""
    pinned = json.loads((REPO / "package.json").read_text())["dependencies"]["mathjax"]
    locked = json.loads((REPO / "package-lock.json").read_text())
    assert locked["packages"]["node_modules/mathjax"]["version"] == pinned
    assert installed_version() == pinned, "run `make setup` to install MathJax"
    assert (installed_dir() / MATHJAX_COMPONENT).stat().st_size > 1_000_000
    assert "Apache License" in (installed_dir() / "LICENSE").read_text()


def test_the_scripts_carry_the_nonce_and_mathjax_itself() -> None:
    scripts = mathjax_scripts("n0nce")
    assert scripts.count('<script nonce="n0nce">') == 2
    assert scripts.count("</script>") == 2  # nothing inside ends a script early
    assert "window.MathJax = {" in scripts


def _fake_package(folder: Path, component: str) -> Path:
    (folder / "es5").mkdir(parents=True)
    (folder / "es5" / MATHJAX_COMPONENT).write_text(component)
    (folder / "LICENSE").write_text("Apache License 2.0")
    (folder / "package.json").write_text(json.dumps({"name": "mathjax", "version": "9.9.9"}))
    return folder


def test_install_copies_the_component_its_licence_and_version(tmp_path: Path) -> None:
    package = _fake_package(tmp_path / "node_modules" / "mathjax", "var MathJax = 1;")
    assert main(["install", str(package), "--prefix", str(tmp_path / "env")]) == 0
    assert installed_version(tmp_path / "env") == "9.9.9"
    installed = installed_dir(tmp_path / "env")
    assert sorted(path.name for path in installed.iterdir()) == sorted(
        [MATHJAX_COMPONENT, "LICENSE", "package.json"]
    )
    assert "var MathJax = 1;" in mathjax_scripts("n", installed)


def test_a_missing_mathjax_says_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(MathJaxUnavailableError, match="make setup"):
        mathjax_scripts("n", tmp_path / "nowhere")


def test_a_file_that_would_end_its_script_early_is_refused(tmp_path: Path) -> None:
    package = _fake_package(tmp_path / "mathjax", 'var s = "</SCRIPT><script>alert(1)";')
    target = install(package, tmp_path / "env")
    with pytest.raises(MathJaxUnavailableError, match="cannot be inlined"):
        mathjax_scripts("n", target)
