"""Fixtures shared by the instructor-workflow tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autograder.course.demo import DemoResult, run_demo

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    """`conv-grader demo` run once: the sample class built, graded here, fed back, reported.

    Grading the sample class is the slowest thing the suite does, so the tests that need
    it graded on this machine (the demo's own, and the cluster's comparison with local
    grading) share one run. They only read the course folder it leaves.
    """
    out = tmp_path_factory.mktemp("demo") / "course"
    return run_demo(REPO, out, jobs=os.cpu_count() or 1, progress=False)
