"""nbgrader configuration for the conv-backprop course.

Plain nbgrader commands (``nbgrader generate_assignment conv_backprop``,
``nbgrader autograde conv_backprop``) run from this folder pick it up.
"""

from pathlib import Path

from autograder.trusted_config import configure as configure_trusted_grader

c = get_config()  # noqa: F821 -- provided by traitlets when nbgrader loads this file

COURSE_ROOT = Path(__file__).resolve().parent

c.CourseDirectory.root = str(COURSE_ROOT)
c.CourseDirectory.course_id = "conv_backprop"

# Submissions run in the student runtime (numpy, matplotlib, ipykernel; no
# `autograder`), registered as a kernelspec by `make setup`.
c.Execute.kernel_name = "conv-backprop-student"

# The trusted grader: probes armed with fresh challenge inputs before Execute and judged
# in this process after it, deleted test cells restored, feedback without hidden tests.
# If anything in this file raises, nbgrader drops the whole file and the guard in
# <environment>/etc/jupyter/nbgrader_config.py makes autograding refuse to run.
configure_trusted_grader(c)
