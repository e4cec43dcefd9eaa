"""nbgrader configuration for the conv-backprop course.

Plain nbgrader commands (``nbgrader generate_assignment conv_backprop``,
``nbgrader autograde conv_backprop``) run from this folder pick it up.
"""

from pathlib import Path

from autograder.verify.config import ASSIGNMENT_ID, configure

c = get_config()  # noqa: F821 -- provided by traitlets when nbgrader loads this file

COURSE_ROOT = Path(__file__).resolve().parent

c.CourseDirectory.root = str(COURSE_ROOT)
c.CourseDirectory.course_id = ASSIGNMENT_ID

# The trusted grader (autograder/verify/config.py):
# - every submission runs in the student runtime (numpy, matplotlib, ipykernel; no
#   `autograder`), kernelspec conv-backprop-student, jailed by bubblewrap: a scratch
#   folder holding only the trusted files of source/conv_backprop/, no network, no course
#   folder, CPU, memory and output limits. Tune with c.Sandbox.* (cpu_seconds, memory_mb,
#   scratch_mb, max_output_bytes, ...); without bubblewrap grading refuses unless
#   c.Sandbox.allow_unsandboxed = True;
# - probes are armed with fresh challenge inputs before the kernel runs and judged in
#   this process after it; deleted test cells are restored; feedback and formgrader show
#   no hidden tests;
# - test cells of 0 points with a bonus beside them (notebook 7's) earn their judged
#   share of it as nbgrader extra credit: the assignment's maximum stays 100.
# If anything in this file raises, nbgrader drops the whole file and the guard in
# <environment>/etc/jupyter/nbgrader_config.py makes autograding refuse to run.
configure(c, COURSE_ROOT)

# A submission after the assignment's due date (set in formgrader, or
# `nbgrader db assignment add conv_backprop --duedate=...`) scores zero: nbgrader's own
# late penalty, applied by autograde. No due date, no penalty.
c.LateSubmissionPlugin.penalty_method = "zero"

# `nbgrader collect` (formgrader's Collect) with the intake rules: a submission holding a
# link or a special file is not collected, and timestamp.txt is the time the exchange's
# file system recorded, not the one the student's side wrote (autograder/course/intake.py).
c.ExchangeFactory.collect = "autograder.course.intake.IntakeCollect"
