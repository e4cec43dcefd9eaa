"""A trusted autograder and the reference maths for the conv-backprop course.

Modules, one job each (the README's layout section says more):

- ``reference``: the maths, forward and backward side by side, vectorised, exact
  with ``Fraction`` arrays;
- ``exact``: arrays of Fractions, rendered the way the worked example writes them;
- ``example``: the worked example's X, F and dL/dZ;
- ``misconceptions``: typical wrong implementations, and ``diagnose()`` that names
  the one an answer matches;
- ``visible_checks``: writes the visible checks' literal expected values
  (``conv_checks_expected.json``);
- ``self_study``: generates the self-study edition ``notebooks/`` from ``source/``;
- ``challenges``: the hidden challenge inputs, fresh for every grading run;
- ``wire``: the probe payload format, decoded strictly;
- ``judging``: compares one answer with the reference and explains a wrong one;
- ``verifier``: the nbgrader preprocessors ``ArmProbes``, ``VerifyProbes``, ``RefuseToGrade``;
- ``feedback``: ``HideHiddenTests``: feedback and formgrader without hidden test source;
- ``trusted_config``: wires the verifier into a course's nbgrader config;
- ``sandbox``: the grading kernel's jail: ``SandboxedExecute``, its settings, the kernelspec;
- ``kernel_wrapper``: the kernelspec's launcher: runs the kernel under bubblewrap with limits;
- ``lms``: unpacks LMS zip downloads safely;
- ``pipeline``: grades a class in parallel, resumably, flagging what needs a human;
- ``student_feedback``: feedback files plus a summary per student;
- ``report``: the LMS CSV, per-exercise statistics, plots and an HTML report;
- ``build``: the release, the self-study edition and the LMS zip;
- ``samples``: the sample class the demo grades;
- ``demo``: the whole cycle on the sample class;
- ``cli``: ``conv-grader``: argument parsing only.
"""

from autograder.reference import (
    conv2d_backward_filter,
    conv2d_backward_input,
    conv2d_forward,
    conv2d_output_shape,
    gap_backward,
    gap_forward,
    jacobian_output_wrt_filter,
    jacobian_output_wrt_input,
    numerical_gradient,
    pad2d,
    relative_error,
    rot180,
    training_step,
)

__all__ = [
    "conv2d_backward_filter",
    "conv2d_backward_input",
    "conv2d_forward",
    "conv2d_output_shape",
    "gap_backward",
    "gap_forward",
    "jacobian_output_wrt_filter",
    "jacobian_output_wrt_input",
    "numerical_gradient",
    "pad2d",
    "relative_error",
    "rot180",
    "training_step",
]
