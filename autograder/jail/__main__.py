"""``python -m autograder.jail``: install the grading kernelspec, or check the jail works here."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from autograder.jail.execute import Sandbox, SandboxUnavailableError
from autograder.jail.kernelspec import build_font_cache, install_kernel

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Install the grading kernelspec, or say whether bubblewrap can jail a kernel here."""
    parser = argparse.ArgumentParser(prog="python -m autograder.jail", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    install = commands.add_parser("install-kernel", help="install the grading kernelspec")
    install.add_argument("--prefix", default=sys.prefix, help="environment to install into")
    install.add_argument("--student-python", required=True, help="student runtime's python")
    check = commands.add_parser("check", help="say whether bubblewrap can jail a kernel here")
    check.add_argument("--bwrap", default=Sandbox.bwrap.default_value)
    args = parser.parse_args(argv)
    if args.command == "install-kernel":
        print(install_kernel(args.prefix, args.student_python))
        print(build_font_cache(args.student_python))
        return 0
    try:
        print(f"sandbox available: {Sandbox(bwrap=args.bwrap).bwrap_path()}")
    except SandboxUnavailableError as error:
        print(f"sandbox unavailable: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
