"""Moved to :mod:`autograder.course.self_study` (``make notebooks`` runs it).

Kept so that ``python -m autograder.self_study [--check]``, as earlier READMEs gave it,
still works.
"""

import sys

from autograder.course.self_study import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
