"""Moved to :mod:`autograder.verify.hide_hidden_tests`.

Kept because guard configs installed by earlier ``make setup`` runs name
``autograder.feedback.HideHiddenTests``; ``make setup`` installs the new guard.
"""

from autograder.verify.hide_hidden_tests import HideHiddenTests

__all__ = ["HideHiddenTests"]
