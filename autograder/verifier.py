"""Moved to :mod:`autograder.verify.preprocessors`.

Kept because guard configs installed by earlier ``make setup`` runs name
``autograder.verifier.RefuseToGrade``; ``make setup`` installs the new guard.
"""

from autograder.verify.preprocessors import RefuseToGrade

__all__ = ["RefuseToGrade"]
