"""The instructor's workflow around nbgrader: build, grade, feedback, reports, the CLI."""
