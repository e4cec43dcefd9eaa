"""The course's words: one meaning per symbol and per name, and the terms it promised.

- ``dO`` always means dL/dO, so a Jacobian is written ∂O/∂F or ∂O/∂X, never
  ``dO[a,b]/dF[p,q]``: in the notebooks, the helper modules the student reads, and every
  message a check can show.
- The course computes correlations: the input gradient is named in its own terms (a full
  correlation of dO with rot180(F)), then as mathematics (a true full convolution with
  F) and the libraries (a transposed convolution) name it; never a bare "'full'
  convolution".
- A name a notebook defines means one thing: no helper module defines it too.
- The last notebook closes with the anchors to read next.
"""

from __future__ import annotations

import ast
import json
import re

import nbformat
import pytest

from autograder.verify.tasks import TASKS
from notebook_runs import SOURCE_DIR, notebook_paths

NOTEBOOKS = notebook_paths(SOURCE_DIR)
HELPERS = ("conv_checks.py", "conv_plots.py")

#: A Jacobian written with d's: dO/dF, dO[a, b] / dX[i, j], dO_ab/dF_pq, ...
_D_JACOBIAN = re.compile(r"\bdO(\[[^\]]*\]|_\{?\w+\}?)?\s*/\s*d[FX](?![A-Za-z])")


def _texts() -> dict[str, str]:
    """Every text a student can read, by where it comes from."""
    texts = {}
    for path in NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            texts[f"{path.name}:{cell.id}"] = cell.source
    for helper in HELPERS:
        texts[helper] = (SOURCE_DIR / helper).read_text(encoding="utf-8")
    expected = json.loads((SOURCE_DIR / "conv_checks_expected.json").read_text(encoding="utf-8"))
    for task, checked in expected["tasks"].items():
        for case in checked["cases"]:
            for mistake in case["mistakes"]:
                texts[f"conv_checks_expected.json:{task}:{mistake['key']}"] = mistake["message"]
    for name, task in TASKS.items():
        for misconception in task.misconceptions:
            texts[f"misconceptions:{name}:{misconception.key}"] = misconception.message
    return texts


@pytest.mark.parametrize(
    "text", ["dO[a,b]/dF[p,q]", "dO[a, b] / dX[i, j]", "dO/dF", "dO_ab/dF_pq", "dO[a, b]/dF[p, q]"]
)
def test_the_jacobian_pattern_finds_a_d_written_jacobian(text: str) -> None:
    assert _D_JACOBIAN.search(text)


@pytest.mark.parametrize("text", ["dO = dL/dO", r"\partial O[a,b] / \partial F[p,q]", "∂O/∂X"])
def test_the_jacobian_pattern_leaves_gradients_and_partials_alone(text: str) -> None:
    assert not _D_JACOBIAN.search(text)


def test_no_text_writes_a_jacobian_with_dO() -> None:
    offenders = {
        where: match.group(0)
        for where, text in _texts().items()
        if (match := _D_JACOBIAN.search(text))
    }
    assert offenders == {}


def _markdown(path) -> str:
    cells = nbformat.read(path, as_version=4).cells
    return "\n".join(cell.source for cell in cells if cell.cell_type == "markdown")


def test_no_notebook_calls_the_input_gradient_a_bare_full_convolution() -> None:
    for path in NOTEBOOKS:
        assert "'full' convolution" not in _markdown(path), path.name


def test_the_input_gradient_is_named_in_the_courses_terms_then_in_the_others() -> None:
    (path,) = [path for path in NOTEBOOKS if path.name.startswith("04_")]
    text = " ".join(_markdown(path).split())
    for term in (
        "full correlation of $dO$ with rot180($F$)",
        "true full convolution of $dO$ with $F$",
        "transposed convolution",
        r"$dX = M^\top dO$",
    ):
        assert term in text


def _defined_names(source: str) -> set[str]:
    tree = ast.parse(source)
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {target.id for target in node.targets if isinstance(target, ast.Name)}
    return names


@pytest.mark.parametrize("helper", HELPERS)
def test_no_notebook_defines_a_name_its_helper_modules_define(helper: str) -> None:
    helper_names = _defined_names((SOURCE_DIR / helper).read_text(encoding="utf-8"))
    for path in NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                shared = _defined_names(cell.source) & helper_names
                assert not shared, f"{path.name}:{cell.id} and {helper} both define {shared}"


ANCHORS = {
    "CS231n": "https://cs231n.github.io/convolutional-networks/",
    "Dive into Deep Learning": "https://d2l.ai/chapter_convolutional-neural-networks/index.html",
    "Coursera": "https://www.coursera.org/learn/convolutional-neural-networks",
}


def test_the_last_notebook_closes_with_the_anchors_to_read_next() -> None:
    (path,) = [path for path in NOTEBOOKS if path.name.startswith("06_")]
    last = nbformat.read(path, as_version=4).cells[-1]
    assert last.cell_type == "markdown"
    assert last.source.startswith("## Further reading")
    items = [item for item in re.split(r"\n- ", last.source)[1:]]
    assert len(items) == len(ANCHORS)
    for (name, url), item in zip(ANCHORS.items(), items, strict=True):
        assert f"[{name}" in item and f"]({url})" in item
        # one sentence on what to read there, after the link
        assert len(item.split(f"]({url})", 1)[1].split()) >= 8
