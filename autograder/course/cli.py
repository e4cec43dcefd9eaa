"""``conv-grader``: the instructor's command line, argument parsing only.

Each subcommand calls one module of :mod:`autograder.course` that does the work (build,
grading, lms, cluster_security, feedback_files, reports, demo).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from autograder.course.course_config import REPO_ROOT
from autograder.i18n.catalogue import LANGUAGES
from autograder.verify.config import ASSIGNMENT_ID

__all__ = ["main"]


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--course",
        type=Path,
        default=Path.cwd(),
        help="the nbgrader course folder (default: the current folder)",
    )
    parser.add_argument(
        "--assignment", default=ASSIGNMENT_ID, help=f"assignment id (default: {ASSIGNMENT_ID})"
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        help="gradebook URL, e.g. postgresql+psycopg2://user:password@host/db "
        "(default: CourseDirectory.db_url, a SQLite file in the course folder)",
    )


def _jobs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=os.cpu_count() or 1,
        help="grading worker processes (default: the number of cores)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="conv-grader",
        description="Build, grade, give feedback on and report the conv-backprop "
        "assignment with nbgrader. Everything lands in nbgrader's own gradebook.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = commands.add_parser(
        "build",
        help="generate the release, the self-study notebooks and a student zip",
        description="Run nbgrader generate_assignment, regenerate the self-study "
        "notebooks and zip the release for an LMS upload.",
    )
    _common(build)
    build.add_argument(
        "--notebooks",
        type=Path,
        default=None,
        help="where to regenerate the self-study edition (default: <course>/notebooks)",
    )
    build.add_argument("--no-notebooks", action="store_true", help="skip the self-study edition")
    build.add_argument(
        "--lang",
        action="append",
        default=[],
        choices=LANGUAGES,
        metavar="LANGUAGE",
        help="also write the release translated into LANGUAGE, to release/LANGUAGE/ with "
        "its own zip: same grade ids, points and hidden tests, graded into the same "
        f"gradebook (repeatable; one of: {', '.join(LANGUAGES)})",
    )

    grade = commands.add_parser(
        "grade",
        help="autograde every submission in parallel",
        description="Autograde every submission in submitted/ with nbgrader, in "
        "parallel. Submissions already graded with unchanged files are skipped, so an "
        "interrupted run is resumed by running it again.",
    )
    _common(grade)
    _jobs(grade)
    grade.add_argument(
        "--lms",
        type=Path,
        metavar="PATH",
        help="first unpack an LMS download (a folder of <student>.zip, or a zip of them) "
        "into submitted/",
    )
    grade.add_argument("--force", action="store_true", help="regrade every submission")
    grade.add_argument(
        "--scheduler",
        metavar="tls://HOST:PORT",
        help="grade on a Dask cluster: the address of its `dask scheduler` (TLS only); "
        "without it, grading runs in --jobs processes on this machine",
    )
    grade.add_argument(
        "--certs",
        type=Path,
        metavar="DIR",
        help="with --scheduler: the course's cluster certificates, from `conv-grader "
        "cluster-certs` (default: <course>/cluster-certs)",
    )

    certs = commands.add_parser(
        "cluster-certs",
        help="make the TLS certificates a grading cluster admits",
        description="Make a certificate authority for the course and, signed by it, a "
        "certificate and key for the Dask scheduler, the workers and the coordinator "
        "(`grade --scheduler`). A Dask cluster runs whatever its clients send; with these, "
        "it lets in nobody else.",
    )
    certs.add_argument(
        "--course",
        type=Path,
        default=Path.cwd(),
        help="the nbgrader course folder (default: the current folder)",
    )
    certs.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where to write them (default: <course>/cluster-certs); must not hold any",
    )

    feedback = commands.add_parser(
        "feedback",
        help="write feedback files and per-student summaries",
        description="Run nbgrader generate_feedback for every graded student and write "
        "a summary.md beside it: score per exercise and the misconceptions found.",
    )
    _common(feedback)

    report = commands.add_parser(
        "report",
        help="write the LMS CSV, per-exercise stats, plots and an HTML report",
        description="Read the gradebook and write grades.csv (for the LMS), "
        "exercises.csv, two PNG plots and report.html.",
    )
    _common(report)
    report.add_argument(
        "--out", type=Path, default=None, help="output folder (default: <course>/reports)"
    )

    demo = commands.add_parser(
        "demo",
        help="run the whole cycle on the bundled sample class",
        description="Copy the course into a fresh folder, build it, grade the sample "
        "class (correct answers, typical mistakes, blank, timeout, corrupt, attacks), "
        "write feedback and the report, and print a summary table.",
    )
    demo.add_argument(
        "--out", type=Path, default=Path("demo"), help="the demo's course folder (default: demo)"
    )
    demo.add_argument(
        "--repo",
        type=Path,
        default=REPO_ROOT,
        help="the course to copy (default: this repository)",
    )
    demo.add_argument("--db", metavar="URL", help="gradebook URL instead of SQLite")
    _jobs(demo)

    hub = commands.add_parser(
        "hub",
        help="the course hub: JupyterHub with nbgrader on this machine (as root)",
        description="Serve the course from JupyterHub: students fetch and submit from "
        "the Assignment List, the instructor grades from formgrader. Run as root: it "
        "makes one Unix account per person. The environments come from `make hub-envs`.",
    )
    hub_commands = hub.add_subparsers(dest="hub_command", required=True, metavar="ACTION")
    start = hub_commands.add_parser(
        "start",
        help="set up the demo course (first time) and serve it until Ctrl-C",
        description="The first time: make the demo accounts (an instructor and three "
        "students; their passwords are printed once), the course folder and the "
        "exchange. Then run JupyterHub in the foreground.",
    )
    start.add_argument(
        "--ip", default="127.0.0.1", help="address to serve on (default: %(default)s)"
    )
    start.add_argument("--port", type=int, default=8000, help="port (default: %(default)s)")
    roster = hub_commands.add_parser(
        "add-students",
        help="add the students of an LMS roster CSV (accounts, gradebook, hub group)",
        description="Columns as nbgrader's student import: id, first_name, last_name, "
        "email. Each new student gets an account, whose password is printed once.",
    )
    roster.add_argument("roster", type=Path, help="the roster CSV")
    hub_commands.add_parser(
        "clean",
        help="stop the hub, remove the accounts it made, their homes and its state",
    )
    for action in (start, roster, *hub_commands.choices.values()):
        if not any(a.dest == "prefix" for a in action._actions):
            action.add_argument(
                "--prefix",
                type=Path,
                default=Path("/opt/conv-backprop"),
                help="the hub's environments (default: %(default)s)",
            )
            action.add_argument(
                "--state",
                type=Path,
                default=Path("/srv/conv-backprop"),
                help="the hub's state and exchange (default: %(default)s)",
            )
    return parser


def _build(args: argparse.Namespace) -> None:
    from autograder.course.build import build

    notebooks = None if args.no_notebooks else (args.notebooks or args.course / "notebooks")
    result = build(
        args.course,
        args.assignment,
        notebooks_dir=notebooks,
        db_url=args.db,
        languages=tuple(dict.fromkeys(args.lang)),
    )
    print(f"release: {result.release_dir}")
    print(f"student zip: {result.student_zip}")
    for language, (folder, archive) in result.translated.items():
        print(f"release ({language}): {folder}")
        print(f"student zip ({language}): {archive}")
    if notebooks is not None:
        print(f"self-study edition: {notebooks} ({len(result.notebooks)} files)")


def _grade(args: argparse.Namespace) -> None:
    from autograder.course.grading import grade
    from autograder.course.lms import unpack_lms_download

    if args.lms is not None:
        for student in unpack_lms_download(args.lms, args.course, args.assignment):
            if not student.ok:
                print(f"{student.lms_id}: {'; '.join(student.problems)}", file=sys.stderr)
    certs = None
    if args.scheduler is not None:
        certs = args.certs or args.course / "cluster-certs"
    outcomes = grade(
        args.course,
        args.assignment,
        jobs=args.jobs,
        db_url=args.db,
        force=args.force,
        progress=not args.no_progress,
        scheduler=args.scheduler,
        certs=certs,
    )
    flagged = [outcome for outcome in outcomes if outcome.needs_human]
    print(f"{len(outcomes)} submissions, {len(flagged)} need a human")
    for outcome in flagged:
        print(f"  {outcome.student_id}: {'; '.join(outcome.reasons)}")


def _cluster_certs(args: argparse.Namespace) -> None:
    from autograder.course.cluster_security import ROLES, generate_certificates

    course = args.course.resolve()
    files = generate_certificates(args.out or course / "cluster-certs", course.name)
    print(f"cluster certificates for {course.name} in {files.folder}:")
    print(f"  every machine: {files.ca.name}")
    for role in ROLES:
        print(f"  {role}: {files.cert(role).name} and {files.key(role).name} (keep it private)")
    tls = f"--tls-ca-file {files.ca.name}"
    print("start the cluster (README: grading across machines):")
    print(
        f"  dask scheduler --no-dashboard {tls} --tls-cert scheduler.pem "
        "--tls-key scheduler-key.pem --port 8786"
    )
    print(
        f"  dask worker tls://SCHEDULER:8786 --nthreads 1 --no-dashboard {tls} "
        "--tls-cert worker.pem --tls-key worker-key.pem"
    )
    print(f"  conv-grader grade --scheduler tls://SCHEDULER:8786 --certs {files.folder}")


def _feedback(args: argparse.Namespace) -> None:
    from autograder.course.feedback_files import write_feedback

    written = write_feedback(args.course, args.assignment, args.db)
    print(f"feedback for {len(written)} students in {args.course / 'feedback'}")


def _report(args: argparse.Namespace) -> None:
    from autograder.course.reports import collect, write_report

    results = collect(args.course, args.assignment, args.db)
    paths = write_report(results, args.out or args.course / "reports")
    for name, path in paths.items():
        print(f"{name}: {path}")


def _demo(args: argparse.Namespace) -> None:
    from autograder.course.demo import run_demo, summary_table

    result = run_demo(
        args.repo, args.out, jobs=args.jobs, db_url=args.db, progress=not args.no_progress
    )
    print(summary_table(result.results))
    print(f"\nreport: {result.report['html']}")
    print(f"feedback: {result.course_root / 'feedback'}")


def _hub(args: argparse.Namespace) -> None:
    from autograder.course import hub

    paths = hub.HubPaths(prefix=args.prefix, state=args.state)
    if args.hub_command == "clean":
        removed = hub.remove_course_hub(paths)
        print(f"removed the hub's state and {len(removed)} accounts: {', '.join(removed)}")
    elif args.hub_command == "add-students":
        result = hub.add_students(paths, args.roster)
        _print_passwords(result.passwords)
        for reason in result.refused:
            print(f"refused: {reason}", file=sys.stderr)
    else:
        if not paths.settings_file.exists():
            settings = hub.HubSettings(
                instructors=(hub.DEMO_INSTRUCTOR,),
                students=hub.DEMO_STUDENTS,
                ip=args.ip,
                port=args.port,
            )
            _print_passwords(hub.create_course_hub(paths, settings))
        settings = hub.read_settings(paths)
        process = hub.start_hub(paths)
        print(f"\nThe course hub is at {hub.hub_url(settings)} (Ctrl-C stops it).")
        try:
            process.wait()
        except KeyboardInterrupt:
            hub.stop_hub(process)


def _print_passwords(passwords: dict[str, str]) -> None:
    """Each new account's password, shown this once (it is stored nowhere)."""
    if passwords:
        print("New accounts (write the passwords down: they are not shown again):")
        for name, password in passwords.items():
            print(f"  {name:<24} {password}")


_COMMANDS = {
    "build": _build,
    "grade": _grade,
    "cluster-certs": _cluster_certs,
    "feedback": _feedback,
    "report": _report,
    "demo": _demo,
    "hub": _hub,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``conv-grader``; return the exit status (2 when grading cannot start)."""
    from autograder.course.course_config import GradingError
    from autograder.course.hub import HubError

    args = _parser().parse_args(argv)
    try:
        _COMMANDS[args.command](args)
    except (GradingError, HubError, FileExistsError, FileNotFoundError) as error:
        print(f"conv-grader {args.command}: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
