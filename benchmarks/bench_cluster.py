"""Grading on a Dask cluster: its overhead, the coordinator's memory, scaling on paper.

One run starts a Dask cluster on this machine from the command line, as an instructor
would on several (``dask scheduler`` and two ``dask worker --nthreads 1``, TLS with
certificates from ``conv-grader cluster-certs``), then measures, side by side:

1. **Overhead.** The same N-student class (the bundled samples' correct styles and
   typical mistakes, as ``bench_grading.py`` builds it), graded from scratch by
   ``conv-grader grade --jobs 2`` and by ``conv-grader grade --scheduler`` on the two
   one-thread workers, alternately, ``--rounds`` times each: wall time and the ratio.
2. **Per-task cost.** From the cluster runs: the workers' own time per submission (the
   ledger's ``seconds``) and the coordinator's CPU per submission (its whole process,
   start-up included: reading, the Dask client, writing the gradebook and
   ``autograded/``).
3. **Memory.** The coordinator's peak resident memory (sampled every 0.1 s) and CPU
   grading tiny synthetic classes (``tests/tiny_course.py``: two notebooks, one cell
   each) of M and 4M students on a cluster: flat memory means the same peak; the CPU
   difference over 3M students is the coordinator's cost per submission without its
   start-up. That cluster's workers grade each distinct submission once for real and
   replay the result for identical ones (``replay_worker.py``; ``--no-replay`` grades
   every one), so a class of thousands takes minutes, not hours, and the coordinator's
   side (reading, the task over TLS, writing the gradebook, ``autograded/``, the ledger)
   is all real.

It then prints the throughput those costs imply for 10, 100 and 1,000 workers against
the two limits that do not grow with workers: the one writer (the coordinator's CPU
per submission) and the Dask scheduler (about 1 ms per task, Dask's documented figure).

    .venv/bin/python benchmarks/bench_cluster.py                      # N = 16, M = 1000
    .venv/bin/python benchmarks/bench_cluster.py --students 8 --rounds 1 --memory-students 100
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from itertools import cycle
from pathlib import Path

import psutil

from autograder.course.build import build
from autograder.course.cluster_security import ClusterFiles, client_security, generate_certificates
from autograder.course.samples import SAMPLE_CLASS, write_submission

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from tiny_course import ANSWERS, make_course, submit  # noqa: E402

ASSIGNMENT = "conv_backprop"
BIN = Path(sys.executable).parent
# Samples whose grading time is the notebooks', not a time limit's or a crash's.
_STEADY = [s for s in SAMPLE_CLASS if s.lms_id not in {"jon", "mia", "kim", "leo"}]
#: Dask's documented overhead per task (distributed.dask.org: "about 1ms").
DASK_TASK_OVERHEAD_S = 0.001
REPLAY = Path(__file__).resolve().parent / "replay_worker.py"


def _env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}


def _sample_class(root: Path, students: int) -> Path:
    course = root / "course"
    course.mkdir(parents=True)
    shutil.copy2(REPO / "nbgrader_config.py", course)
    shutil.copytree(REPO / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    release = build(course, ASSIGNMENT).release_dir
    source = course / "source" / ASSIGNMENT
    for index, sample in zip(range(students), cycle(_STEADY), strict=False):
        write_submission(
            sample, release, source, course / "submitted" / f"s{index:04d}" / ASSIGNMENT
        )
    return course


def _tiny_class(root: Path, students: int) -> Path:
    course = make_course(root, timeout=10)
    answers = {name: next(iter(answer.values())) for name, answer in ANSWERS.items()}
    for index in range(students):
        submit(course, f"t{index:05d}", answers if index % 3 else {})
    return course


class _Cluster:
    """``dask scheduler`` and ``dask worker --nthreads 1`` processes, stopped on exit."""

    def __init__(self, root: Path, workers: int, preload: Path | None = None) -> None:
        self.files: ClusterFiles = generate_certificates(root / "certs", "benchmark")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.address = f"tls://127.0.0.1:{port}"
        self.processes: list[subprocess.Popen[bytes]] = []
        env = {**_env(), "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0"}
        self._start(
            ["scheduler", "--host=127.0.0.1", f"--port={port}", *self._tls("scheduler")], env, root
        )
        worker = ["worker", self.address, "--nthreads=1", "--host=127.0.0.1"]
        if preload is not None:
            worker.append(f"--preload={preload}")
        for _ in range(workers):
            self._start([*worker, *self._tls("worker")], env, root)
        from distributed import Client

        with Client(
            self.address, security=client_security(self.files.folder), timeout=120
        ) as client:
            client.wait_for_workers(workers, timeout=300)

    def _tls(self, role: str) -> list[str]:
        f = self.files
        return [
            "--no-dashboard",
            f"--tls-ca-file={f.ca}",
            f"--tls-cert={f.cert(role)}",
            f"--tls-key={f.key(role)}",
        ]

    def scheduler(self) -> list[str]:
        """``grade``'s arguments for this cluster."""
        return ["--scheduler", self.address, "--certs", str(self.files.folder)]

    def _start(self, arguments: list[str], env: dict[str, str], root: Path) -> None:
        log = (root / f"dask-{len(self.processes)}.log").open("wb")
        self.processes.append(
            subprocess.Popen(
                [str(BIN / "dask"), *arguments],
                env=env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        )

    def close(self) -> None:
        for process in reversed(self.processes):
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, signal.SIGKILL)


def _grade(course: Path, extra: list[str]) -> tuple[float, float, float]:
    """Wall seconds, the coordinator's CPU seconds and its peak RSS (MiB) for one run."""
    command = [str(BIN / "conv-grader"), "grade", "--course", str(course), "--no-progress", *extra]
    started = time.perf_counter()
    process = psutil.Popen(command, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak, cpu = 0, 0.0
    while process.poll() is None:
        try:
            peak = max(peak, process.memory_info().rss)
            times = process.cpu_times()
            cpu = times.user + times.system
        except psutil.NoSuchProcess:
            break
        time.sleep(0.1)
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{process.stderr.read().decode()}")
    return wall, cpu, peak / 2**20


def _worker_seconds(course: Path) -> list[float]:
    lines = (course / "grading_ledger.jsonl").read_text().splitlines()
    return [json.loads(line)["seconds"] for line in lines]


def _overhead(root: Path, args: argparse.Namespace, scheduler: list[str]) -> tuple[float, float]:
    """Local vs cluster on the sample class; returns a worker's and the coordinator's costs."""
    template = _sample_class(root / "sample", args.students)
    notebooks = args.students * len(list((template / "release" / ASSIGNMENT).glob("*.ipynb")))
    runs: dict[str, list[tuple[float, float, float]]] = {"local": [], "cluster": []}
    seconds: list[float] = []
    for round_ in range(args.rounds):
        for name, extra in (("local", ["--jobs", "2"]), ("cluster", scheduler)):
            course = root / f"{name}-{round_}"
            shutil.copytree(template, course)
            runs[name].append(_grade(course, extra))
            if name == "cluster":
                seconds += _worker_seconds(course)
            wall = runs[name][-1][0]
            print(f"round {round_ + 1} {name:8s} {wall:7.1f} s ({wall / notebooks:.2f} s/nb)")
    print(
        f"\n{args.students} students ({notebooks} notebooks), {args.rounds} rounds, "
        f"load {os.getloadavg()[0]:.1f}:"
    )
    ratios = []
    for local, remote in zip(runs["local"], runs["cluster"], strict=True):
        ratios.append(remote[0] / local[0])
        print(
            f"  grade --jobs 2 {local[0]:7.1f} s   grade --scheduler (2 x 1 thread) "
            f"{remote[0]:7.1f} s   cluster/local {ratios[-1]:5.2f}x"
        )
    print(f"  cluster / local: best round {min(ratios):.2f}x, worst {max(ratios):.2f}x")
    worker_s = sum(seconds) / len(seconds)
    coordinator_cpu = min(cpu for _, cpu, _ in runs["cluster"]) / args.students
    print("\nper submission (cluster runs):")
    print(f"  a worker grading it                         {worker_s:6.2f} s")
    print(f"  the coordinator's CPU, start-up included    {coordinator_cpu:6.3f} s")
    return worker_s, coordinator_cpu


def _on_paper(worker_s: float, coordinator_cpu: float) -> None:
    """The throughput these costs imply for 10, 100 and 1,000 workers."""
    print("\nscaling on paper (a worker = one core grading one submission at a time):")
    writer_rate = 1 / coordinator_cpu
    scheduler_rate = 1 / DASK_TASK_OVERHEAD_S
    print(
        f"  limits: one writer {writer_rate:.1f} submissions/s; "
        f"Dask scheduler ~{scheduler_rate:.0f} tasks/s"
    )
    for workers in (10, 100, 1000):
        demand = workers / worker_s
        bound = min(demand, writer_rate, scheduler_rate)
        limit = "workers" if bound == demand else "writer" if bound == writer_rate else "scheduler"
        print(
            f"  {workers:5d} workers: {demand:7.1f} submissions/s wanted, "
            f"{bound:7.1f} delivered ({limit}-bound)"
        )


def _memory(root: Path, students: int, scheduler: list[str], replay: bool) -> float:
    """Peak RSS at M and 4M tiny submissions; returns the coordinator's CPU per one."""
    workers = "replaying identical submissions" if replay else "grading every one"
    print(
        f"\nthe coordinator on tiny synthetic classes (2 notebooks each), on the cluster "
        f"(2 workers {workers}), load {os.getloadavg()[0]:.1f}:"
    )
    cpus = []
    for size in (students, 4 * students):
        course = _tiny_class(root / f"tiny-{size}", size)
        wall, cpu, peak = _grade(course, ["--assignment", "tiny", *scheduler])
        cpus.append(cpu)
        print(
            f"  {size:6d} students: peak RSS {peak:6.1f} MiB, CPU {cpu:6.1f} s, wall {wall:6.0f} s"
        )
    slope = (cpus[1] - cpus[0]) / (3 * students)
    print(f"  the coordinator's CPU per submission, start-up left out: {slope * 1000:.0f} ms")
    return slope


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=16, help="N, the overhead class")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--memory-students", type=int, default=1000, help="M: M and 4M tiny")
    parser.add_argument(
        "--no-replay", action="store_true", help="the memory run's workers grade every submission"
    )
    parser.add_argument("--skip-overhead", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    try:
        worker_s = coordinator_cpu = None
        if not args.skip_overhead:
            cluster = _Cluster(root / "cluster", workers=2)
            try:
                worker_s, coordinator_cpu = _overhead(root, args, cluster.scheduler())
            finally:
                cluster.close()
        if not args.skip_memory:
            # Its own cluster: replaying workers must never serve the overhead's runs.
            cluster = _Cluster(
                root / "memory-cluster", workers=2, preload=None if args.no_replay else REPLAY
            )
            try:
                per_submission = _memory(
                    root, args.memory_students, cluster.scheduler(), not args.no_replay
                )
            finally:
                cluster.close()
            if worker_s is not None:
                print("\n(scaling with the tiny classes' per-submission coordinator CPU)")
                _on_paper(worker_s, per_submission)
        if worker_s is not None and coordinator_cpu is not None:
            print("\n(scaling with the sample class's coordinator CPU, start-up included)")
            _on_paper(worker_s, coordinator_cpu)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
