"""Moved to :mod:`autograder.jail`: ``python -m autograder.jail install-kernel | check``.

Kept so that ``python -m autograder.sandbox check`` and ``install-kernel``, as earlier
READMEs and Makefiles gave them, still work.
"""

import sys

from autograder.jail.__main__ import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
