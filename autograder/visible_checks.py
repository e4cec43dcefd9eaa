"""Moved to :mod:`autograder.course.visible_checks` (``make notebooks`` runs it).

Kept so that ``python -m autograder.visible_checks [--check]``, as earlier READMEs gave
it, still works.
"""

import sys

from autograder.course.visible_checks import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
