"""What is right: the reference maths, exact fractions, the worked example, typical mistakes.

Also the one tolerance rule that says when an answer counts as right.

Imports nothing of the rest of the package (an import-linter contract says so).
"""
