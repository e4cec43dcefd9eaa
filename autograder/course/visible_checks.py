"""Write the literal expected values behind the notebooks' visible checks.

The visible checks (``source/conv_backprop/conv_checks.py``) ship to students, so they
carry no reference code: they compare with literal values in
``conv_checks_expected.json``. This module computes those values for every task in the
registry (:mod:`autograder.verify.tasks`: its reference or exact value, and its
catalogue of typical mistakes), on the very arguments the checks use
(``conv_checks.example_arguments``: the worked example, then at least one case of other,
non-square shapes), and writes them with the tolerance rule's numbers
(:data:`autograder.maths.tolerance.TOLERANCE`, and a task's own where it declares
another), which the checks apply::

    python -m autograder.course.visible_checks          # rewrite the file
    python -m autograder.course.visible_checks --check  # exit 1 if it is out of date

For every example each mistake comes with what its implementations return there, as the
grader's catalogue recognises it (:mod:`autograder.maths.misconceptions`): the wrong
answers (those equal to the right one are left out, or a right answer could be named a
mistake) and the wrong shapes of a mistake recognised by shape. An exception is left to
the student unnamed: on a few examples many slips raise the same one (the grader, with
every challenge of a call to go on, names it when one mistake alone explains them all).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from fractions import Fraction
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from autograder.course.course_config import SOURCE_DIR
from autograder.maths.exact import to_fractions
from autograder.maths.misconceptions import (
    INPUT_MODIFIED,
    INTEGER_RESULT,
    RETURNED_NONE,
    Misconception,
    Raises,
    outcomes,
)
from autograder.maths.tolerance import TOLERANCE, Tolerance
from autograder.verify.tasks import (
    FUNCTION_TASKS,
    TASKS,
    FunctionTask,
    HandValueTask,
    Result,
    Task,
)

__all__ = ["CHECKS_MODULE", "load_checks_module", "main", "render_expected"]

#: The student-side checks module whose expected values this writes.
CHECKS_MODULE = SOURCE_DIR / "conv_checks.py"


def load_checks_module(path: Path = CHECKS_MODULE) -> ModuleType:
    """Import the student-side checks module from its file, without touching sys.path.

    The checks import ``conv_language`` by plain name, as a kernel does from its folder:
    a fresh copy of the one beside them is lent to that import (in English).

    Parameters
    ----------
    path : Path
        The ``conv_checks.py`` file.

    Returns
    -------
    ModuleType
        A fresh module object.
    """
    language = _module_from("conv_language", path.with_name("conv_language.py"))
    lent = sys.modules.get("conv_language")
    sys.modules["conv_language"] = language
    try:
        return _module_from("conv_checks", path)
    finally:
        if lent is None:
            del sys.modules["conv_language"]
        else:
            sys.modules["conv_language"] = lent


def _module_from(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {name} from {path}")
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


def _mistake(
    misconception: Misconception, args: tuple, expected: Any, tolerance: Tolerance
) -> dict[str, Any]:
    """What one mistake gives on one example, as the checks recognise it."""
    found = outcomes(misconception, args)
    values = [o for o in found if not isinstance(o, Raises)]
    right = [tolerance.matches(value, expected) for value in values]
    wrong_shapes: list[list[int]] = []
    if misconception.wrong_shapes is not None and isinstance(expected, np.ndarray):
        for shape in misconception.wrong_shapes(*args):
            listed = [int(n) for n in shape]
            if tuple(listed) != expected.shape and listed not in wrong_shapes:
                wrong_shapes.append(listed)
    return {
        "key": misconception.key,
        "message": misconception.message,
        "answers": [
            _encode(value, tolerance.exact)
            for value, is_right in zip(values, right, strict=True)
            if not is_right
        ],
        "shapes": wrong_shapes,
    }


def _case(task: Task, description: str, args: tuple, expected: Any) -> dict[str, Any]:
    return {
        "description": description,
        "expected": _encode(expected, task.tolerance.exact),
        "mistakes": [_mistake(m, args, expected, task.tolerance) for m in task.misconceptions],
    }


def _parts(result: Result | None) -> list[dict[str, str]]:
    """How the checks name the parts of a tuple or shape result: each part's name and the
    English wording (``{name}`` in it) that the checks translate and fill in."""
    if result is None or result.kind not in ("tuple", "shape"):
        return []
    return [
        {"name": name, "wording": result.part_wording(index)}
        for index, name in enumerate(result.names)
    ]


def render_expected(checks: ModuleType | None = None) -> str:
    """The text of ``conv_checks_expected.json`` for the current registry of tasks.

    Parameters
    ----------
    checks : module, optional
        The checks module; loaded from :data:`CHECKS_MODULE` by default.

    Returns
    -------
    str
        Indented JSON with a trailing newline.

    Raises
    ------
    ValueError
        If the checks' example arguments and the registry's graded functions differ, or a
        function has no example beside the worked one.
    """
    checks = checks or load_checks_module()
    arguments = checks.example_arguments()
    unknown = set(arguments) - set(FUNCTION_TASKS)
    if unknown:
        raise ValueError(f"example_arguments() has arguments for no graded function: {unknown}")
    tasks: dict[str, dict[str, Any]] = {}
    for name, task in TASKS.items():
        if isinstance(task, HandValueTask):
            tasks[name] = {
                "parts": [],
                "cases": [_case(task, "the worked example", (), task.value)],
            }
            continue
        if name not in arguments:
            raise ValueError(f"conv_checks.example_arguments() has no arguments for {name}")
        if len(arguments[name]) < 2:
            raise ValueError(f"{name}: a visible check needs an example beside the worked one")
        tasks[name] = {
            "parts": _parts(task.result),
            "cases": [
                _case(task, description, args, task.reference(*args))
                for description, args in arguments[name]
            ],
        }
    data = {
        "generated_by": "make notebooks (python -m autograder.course.visible_checks)",
        "tolerance": TOLERANCE.as_json(),
        "task_tolerances": {
            name: task.tolerance.as_json()
            for name, task in TASKS.items()
            if isinstance(task, FunctionTask) and task.tolerance != TOLERANCE
        },
        "input_modified": INPUT_MODIFIED.message,
        "integer_result": INTEGER_RESULT.message,
        "returned_none": RETURNED_NONE.message,
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
