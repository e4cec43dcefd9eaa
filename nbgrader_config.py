"""nbgrader configuration for the conv-backprop course.

Plain nbgrader commands (``nbgrader generate_assignment conv_backprop``,
``nbgrader autograde conv_backprop``) run from this folder pick it up.
"""

from pathlib import Path

c = get_config()  # noqa: F821 -- provided by traitlets when nbgrader loads this file

COURSE_ROOT = Path(__file__).resolve().parent

c.CourseDirectory.root = str(COURSE_ROOT)
c.CourseDirectory.course_id = "conv_backprop"

# Submissions run in the student runtime (numpy, matplotlib, ipykernel; no
# `autograder`), registered as a kernelspec by `make setup`.
c.Execute.kernel_name = "conv-backprop-student"
