"""Write the literal expected values behind the notebooks' visible checks.

The visible checks (``source/conv_backprop/conv_checks.py``) ship to students, so they
carry no reference code: they compare with literal values in
``conv_checks_expected.json``. This module computes those values from
:mod:`autograder.maths.reference`, :mod:`autograder.maths.layer` and
:mod:`autograder.maths.misconceptions`, on the very arguments the checks use
(``conv_checks.example_arguments``), and writes the file::

    python -m autograder.course.visible_checks          # rewrite the file
    python -m autograder.course.visible_checks --check  # exit 1 if it is out of date

A mistake is kept for an example only when its answer there differs from the right
one; otherwise a correct answer could be named a mistake.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from autograder.course.course_config import SOURCE_DIR
from autograder.maths import example, reference_function
from autograder.maths.exact import to_fractions
from autograder.maths.misconceptions import CATALOGUE, INPUT_MODIFIED, INTEGER_RESULT

__all__ = ["CHECKS_MODULE", "load_checks_module", "main", "render_expected"]

#: The student-side checks module whose expected values this writes.
CHECKS_MODULE = SOURCE_DIR / "conv_checks.py"


def load_checks_module(path: Path = CHECKS_MODULE) -> ModuleType:
    """Import the student-side checks module from its file, without touching sys.path.

    Parameters
    ----------
    path : Path
        The ``conv_checks.py`` file.

    Returns
    -------
    ModuleType
        A fresh module object.
    """
    spec = importlib.util.spec_from_file_location("conv_checks", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import the checks module from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _encode(value: Any, exact: bool) -> Any:
    """JSON form: arrays and tuples tagged, Fractions as strings when ``exact``."""
    if isinstance(value, tuple):
        return {"tuple": [_encode(part, exact) for part in value]}
    if isinstance(value, (np.ndarray, list)):
        array = to_fractions(value) if exact else np.asarray(value, dtype=np.float64)
        return {"array": _encode_elements(array.tolist(), exact), "exact": exact}
    if exact:
        return str(Fraction(value))
    return float(value)


def _encode_elements(elements: Any, exact: bool) -> Any:
    if isinstance(elements, list):
        return [_encode_elements(element, exact) for element in elements]
    return str(elements) if exact else float(elements)


def _exactly_equal(answer: Any, expected: Any) -> bool:
    return bool(np.array_equal(to_fractions(answer), to_fractions(expected)))


def _case(
    task: str,
    args: tuple,
    expected: Any,
    exact: bool,
    matches: Callable[[Any, Any], bool],
) -> dict[str, Any]:
    mistakes = []
    for misconception in CATALOGUE[task]:
        try:
            with np.errstate(all="ignore"):
                answer = misconception.wrong(*args)
        except Exception:  # this mistake cannot happen on these inputs
            continue
        if not matches(answer, expected):
            mistakes.append(
                {
                    "key": misconception.key,
                    "message": misconception.message,
                    "answer": _encode(answer, exact),
                }
            )
    return {"expected": _encode(expected, exact), "mistakes": mistakes}


def render_expected(checks: ModuleType | None = None) -> str:
    """The text of ``conv_checks_expected.json`` for the current reference and catalogue.

    Parameters
    ----------
    checks : module, optional
        The checks module; loaded from :data:`CHECKS_MODULE` by default.

    Returns
    -------
    str
        Indented JSON with a trailing newline.
    """
    checks = checks or load_checks_module()
    tasks: dict[str, list[dict[str, Any]]] = {}
    for task, cases in checks.example_arguments().items():
        implementation = reference_function(task)
        tasks[task] = [
            _case(task, args, implementation(*args), False, checks.answers_match) for args in cases
        ]
    for task, value in example.hand_values().items():
        tasks[task] = [_case(task, (), value, True, _exactly_equal)]
    data = {
        "generated_by": "make notebooks (python -m autograder.course.visible_checks)",
        "input_modified": INPUT_MODIFIED.message,
        "integer_result": INTEGER_RESULT.message,
        "tasks": tasks,
    }
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check``, verify) the expected values beside the checks module."""
    parser = argparse.ArgumentParser(
        prog="python -m autograder.course.visible_checks", description=__doc__
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is out of date")
    options = parser.parse_args(argv)
    checks = load_checks_module()
    target = Path(checks.EXPECTED_FILE)
    text = render_expected(checks)
    if options.check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            print(
                f"{target} is out of date: run `make notebooks`",
                file=sys.stderr,
            )
            return 1
        print(f"{target} is up to date")
        return 0
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
