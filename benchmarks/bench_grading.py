"""Grading throughput: plain ``nbgrader autograde`` vs ``conv-grader grade``, side by side.

One run builds an N-student class from the bundled samples (the correct styles and the
typical mistakes; no timeouts or crashes, which would only measure the time limit),
copies the course once per contender, and grades each copy from scratch:

1. ``nbgrader autograde conv_backprop`` in the course root, as an instructor runs it;
2. ``conv-grader grade --jobs 1``;
3. ``conv-grader grade --jobs <cores>``.

For each it counts the CPU time of every process involved (the grader, its workers,
every kernel, adopted as a child subreaper so that none escapes the count), which shows
how close a run comes to the cores' ceiling. It also measures the floor: one jailed
kernel started and the notebook run in it (nbgrader's own sandboxed ``Execute``
preprocessor, no gradebook, no verifier), for every notebook of one submission. Then
it profiles one worker grading two students in-process with cProfile and prints where
the time goes.

    .venv/bin/python benchmarks/bench_grading.py            # N = 40
    .venv/bin/python benchmarks/bench_grading.py --students 8 --skip-plain
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from itertools import cycle
from pathlib import Path

import nbformat

from autograder.course import grading, grading_task
from autograder.course.build import build
from autograder.course.course_config import load_course_config
from autograder.course.intake import read_submission
from autograder.course.samples import SAMPLE_CLASS, write_submission

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENT = "conv_backprop"
BIN = Path(sys.executable).parent
# Samples whose grading time is the notebooks', not a time limit's or a crash's.
_STEADY = [s for s in SAMPLE_CLASS if s.lms_id not in {"jon", "mia", "kim", "leo"}]


def _make_class(root: Path, students: int) -> Path:
    course = root / "course"
    course.mkdir(parents=True)
    shutil.copy2(REPO / "nbgrader_config.py", course)
    shutil.copytree(REPO / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    release = build(course, ASSIGNMENT).release_dir
    source = course / "source" / ASSIGNMENT
    for index, sample in zip(range(students), cycle(_STEADY), strict=False):
        folder = course / "submitted" / f"s{index:03d}" / ASSIGNMENT
        write_submission(sample, release, source, folder)
    return course


def _env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}


def _become_subreaper() -> None:
    """Adopt every orphaned descendant, so that their CPU time is counted when reaped.

    A kernel's bubblewrap parent is killed when the kernel is shut down, which orphans
    the jail's own processes; without this their CPU time would be lost to init.
    """
    import ctypes

    pr_set_child_subreaper = 36
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_child_subreaper, 1, 0, 0, 0)


def _children_cpu() -> float:
    """CPU seconds of every descendant reaped so far, after reaping all finished ones."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds (the command and all its descendants) of one run."""
    cpu, started = _children_cpu(), time.perf_counter()
    subprocess.run(command, cwd=cwd, env=_env(), check=True, capture_output=True)
    wall = time.perf_counter() - started
    time.sleep(1)  # let the last jails' processes exit, to be reaped
    return wall, _children_cpu() - cpu


@contextmanager
def _quiet():
    """Send this process's fds 1 and 2 (which kernels inherit) to /dev/null."""
    saved = os.dup(1), os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    try:
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, null):
            os.close(fd)


def _floor(course: Path, repeats: int) -> tuple[float, float]:
    """Wall and CPU seconds per notebook to start a jailed kernel and run the notebook."""
    from autograder.jail.execute import SandboxedExecute

    config = load_course_config(course)
    folder = course / "submitted" / "s000" / ASSIGNMENT
    notebooks = sorted(folder.glob("*.ipynb"))
    cpu, started = _children_cpu() + _self_cpu(), time.perf_counter()
    with _quiet():
        for _ in range(repeats):
            for path in notebooks:
                executor = SandboxedExecute(config=config)
                notebook = nbformat.read(path, as_version=4)
                executor.preprocess(notebook, {"metadata": {"path": "."}})
    wall = time.perf_counter() - started
    time.sleep(1)
    runs = repeats * len(notebooks)
    return wall / runs, (_children_cpu() + _self_cpu() - cpu) / runs


def _gradebook_writer(db_url: str, writer: int, writes: int) -> tuple[int, float]:
    """One process's gradebook writes, as nbgrader makes them (a session per operation)."""
    import warnings

    from nbgrader.api import Gradebook
    from sqlalchemy.exc import OperationalError

    warnings.simplefilter("ignore")
    failures, slowest = 0, 0.0
    for index in range(writes):
        started = time.perf_counter()
        try:
            with Gradebook(db_url, "conv_backprop") as gradebook:
                gradebook.update_or_create_student(f"w{writer}-{index}", first_name="x")
                gradebook.update_or_create_submission(ASSIGNMENT, f"w{writer}-{index}")
        except OperationalError:
            failures += 1
        slowest = max(slowest, time.perf_counter() - started)
    return failures, slowest


def _gradebook_contention(course: Path, writers: int, writes: int = 20) -> None:
    """Concurrent gradebook writers on SQLite, with pysqlite's 5 s and our 60 s timeout."""
    from concurrent.futures import ProcessPoolExecutor

    base = f"sqlite:///{course / 'gradebook.db'}"
    for label, url in (
        ("5 s (pysqlite default)", base),
        ("60 s (conv-grader)", base + "?timeout=60"),
    ):
        with ProcessPoolExecutor(writers) as pool:
            done = list(
                pool.map(_gradebook_writer, [url] * writers, range(writers), [writes] * writers)
            )
        failed = sum(f for f, _ in done)
        slowest = max(s for _, s in done)
        print(
            f"  busy timeout {label:22s} {writers} writers x {writes} submissions: "
            f"{failed} 'database is locked' failures, slowest write {slowest:.2f} s"
        )


def _profile(course: Path, students: int = 2) -> str:
    """cProfile of one worker grading ``students`` students in this process, and their writes."""
    from nbgrader.coursedir import CourseDirectory

    from autograder.course.results import ResultWriter

    config = load_course_config(course)
    coursedir = CourseDirectory(config=config)
    bundle = grading._course_bundle(course, ASSIGNMENT, coursedir.db_url, coursedir.course_id)
    grading_task.install_bundle(bundle)
    writer = ResultWriter(config, ASSIGNMENT)
    notebooks = tuple(sorted(p.stem for p in (course / "source" / ASSIGNMENT).glob("*.ipynb")))
    profile = cProfile.Profile()
    with _quiet():
        for index in range(students):
            folder = course / "submitted" / f"s{index:03d}" / ASSIGNMENT
            files = tuple((str(p), d) for p, d in read_submission(folder).items())
            task = grading_task.GradingTask(bundle.key, f"s{index:03d}", "", notebooks, (), files)
            result = profile.runcall(grading_task.run_task, task)
            profile.runcall(writer.write, result)
    writer.close()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).sort_stats("cumulative")
    stats.print_stats(
        r"(autograde|preprocess\b|run_task|grade\b|write\b|start_new_kernel|async_execute_cell|"
        r"setup_kernel|Gradebook\.__init__|verifier|sandbox|nbformat/__init__|"
        r"save_autograde|from_filename|init_assignment|_wait_for_reply|run_cell)",
        25,
    )
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--floor-repeats", type=int, default=3)
    parser.add_argument("--skip-plain", action="store_true", help="skip plain nbgrader")
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    template = _make_class(root, args.students)
    notebooks = args.students * len(list((template / "release" / ASSIGNMENT).glob("*.ipynb")))
    runs: dict[str, tuple[float, float]] = {}
    contenders = {
        "plain nbgrader autograde": [str(BIN / "nbgrader"), "autograde", ASSIGNMENT],
        "conv-grader grade --jobs 1": [str(BIN / "conv-grader"), "grade", "--jobs", "1"],
    }
    for jobs in (args.jobs, 2 * args.jobs):  # more workers than cores: kernels often wait
        contenders[f"conv-grader grade --jobs {jobs}"] = [
            str(BIN / "conv-grader"),
            "grade",
            "--jobs",
            str(jobs),
        ]
    if args.skip_plain:
        contenders.pop("plain nbgrader autograde")
    _become_subreaper()
    for name, command in contenders.items():
        course = root / name.replace(" ", "_")
        shutil.copytree(template, course)
        if "conv-grader" in command[0]:
            command = [*command, "--course", str(course), "--no-progress"]
        runs[name] = wall, cpu = _timed(command, course)
        print(f"{name:36s} {wall:8.1f} s  {notebooks / wall:6.2f} notebooks/s  {cpu:7.1f} CPU s")
    floor, floor_cpu = _floor(template, args.floor_repeats)
    print(f"{'floor: jailed kernel + notebook':36s} {floor:8.2f} s per notebook")

    cores = os.cpu_count() or 1
    print(f"\n{args.students} students, {notebooks} notebooks, {cores} cores")
    print(f"{'':36s} {'wall':>12s}  {'vs plain':>8s}  {'CPU (all processes)':>19s}")
    baseline = runs.get("plain nbgrader autograde")
    for name, (wall, cpu) in runs.items():
        per_notebook = wall / notebooks
        line = f"{name:36s} {per_notebook:6.2f} s/nb  "
        line += f"{baseline[0] / wall:7.2f}x  " if baseline else f"{'':9s}  "
        line += f"{cpu / notebooks:8.2f} core-s/nb"
        if "--jobs 1" in name:
            line += f"   {per_notebook / floor:4.2f}x floor (per notebook, one worker)"
        print(line)
    floor_name = "floor: jailed kernel + notebook"
    print(f"{floor_name:36s} {floor:6.2f} s/nb  {'':9s}  {floor_cpu:8.2f} core-s/nb")
    if baseline:
        plain_wall, plain_cpu = baseline
        print(
            f"\nceiling: doing plain's CPU work per notebook, {cores} fully busy cores are at "
            f"most {cores * plain_wall / plain_cpu:.2f}x plain; beyond that, only less CPU "
            "per notebook helps."
        )
    print("\ngradebook contention (SQLite, every write a new nbgrader Gradebook session; grade")
    print("itself has one writer since the coordinator writes every result):")
    _gradebook_contention(root / f"conv-grader_grade_--jobs_{args.jobs}", 4 * args.jobs)
    print("\nwhere one worker's time goes (cProfile, 2 students, cumulative):")
    print(_profile(template))
    shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
