"""nbgrader configuration for the conv-backprop course.

Plain nbgrader commands (``nbgrader generate_assignment conv_backprop``,
``nbgrader autograde conv_backprop``) run from this folder pick it up.
"""

from pathlib import Path

from autograder.sandbox import configure as configure_sandbox
from autograder.trusted_config import configure as configure_trusted_grader

c = get_config()  # noqa: F821 -- provided by traitlets when nbgrader loads this file

COURSE_ROOT = Path(__file__).resolve().parent

c.CourseDirectory.root = str(COURSE_ROOT)
c.CourseDirectory.course_id = "conv_backprop"

# ---- the grading sandbox (autograder/sandbox.py) ------------------------------------
# Submissions run in the student runtime (numpy, matplotlib, ipykernel; no `autograder`),
# kernelspec conv-backprop-student, jailed by bubblewrap: a scratch folder holding only
# the trusted files of source/conv_backprop/, no network, no course folder, CPU, memory
# and output limits. Tune with c.Sandbox.* (cpu_seconds, memory_mb, scratch_mb,
# max_output_bytes, ...). Without bubblewrap grading refuses unless
# c.Sandbox.allow_unsandboxed = True.
configure_sandbox(c, COURSE_ROOT)
# ---- end of the grading sandbox -------------------------------------------------------

# The trusted grader: probes armed with fresh challenge inputs before Execute and judged
# in this process after it, deleted test cells restored, feedback without hidden tests.
# If anything in this file raises, nbgrader drops the whole file and the guard in
# <environment>/etc/jupyter/nbgrader_config.py makes autograding refuse to run.
configure_trusted_grader(c)
