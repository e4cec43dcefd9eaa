"""Real-browser tests: JupyterLab and formgrader driven by Playwright in Debian's Chromium.

A package, so that its test modules may share names with those in ``tests/``.
"""
