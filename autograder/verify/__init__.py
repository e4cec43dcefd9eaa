"""Judging what a graded kernel answered, in the grader's process, never in the kernel.

The registry of graded tasks, the challenges, the probe's wire format, judging, the
nbgrader preprocessors around the jailed ``Execute``, the verdicts they write, hiding
hidden tests, and the one ``configure`` a course's ``nbgrader_config.py`` calls.
"""
