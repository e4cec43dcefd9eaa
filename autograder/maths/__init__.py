"""What is right: the reference maths, exact fractions, the worked example, typical mistakes.

Also the one tolerance rule that says when an answer counts as right. Notebooks 1 to 6's
maths is :mod:`autograder.maths.reference`; notebook 7's layer and max pooling are
:mod:`autograder.maths.layer`.

Imports nothing of the rest of the package (an import-linter contract says so).
"""
