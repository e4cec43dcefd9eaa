"""What is right: the reference maths, exact fractions, the worked example, typical mistakes.

Imports nothing of the rest of the package (an import-linter contract says so).
"""
