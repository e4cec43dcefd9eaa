"""Running a graded kernel that cannot hurt anyone: bubblewrap, limits, its kernelspec.

Knows nothing of how answers are judged (an import-linter contract says so).
"""
