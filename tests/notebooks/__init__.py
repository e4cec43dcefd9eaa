"""Tests of the course notebooks' content: what their text claims, and how it is worded.

A package, so that its test modules may share names with those in ``tests/``.
"""
