"""A trusted autograder and the reference maths for the conv-backprop course.

One sub-package per job (the README's layout section lists every module):

- :mod:`autograder.maths`: what is right: the reference maths, exact fractions, the
  worked example, the catalogue of typical mistakes and the one tolerance rule;
- :mod:`autograder.verify`: judging what a kernel answered, outside the kernel: the
  registry of graded tasks, the challenges, the probe's wire format, judging, the
  nbgrader preprocessors, verdicts, and the one ``configure`` a course's
  ``nbgrader_config.py`` calls;
- :mod:`autograder.jail`: running a kernel that cannot hurt anyone: the sandboxed
  ``Execute``, the kernel's launcher, the kernelspec;
- :mod:`autograder.course`: the instructor's workflow: build, grade, feedback, reports,
  LMS intake, the sample class, the demo and the ``conv-grader`` command line.

Layers go one way (maths below verify below course; jail beside verify), enforced by
import-linter contracts in ``pyproject.toml``. The package's top level re-exports the
reference maths (notebook 7's layer too), the functions of the exercise contract among
them: every graded function's reference (``tests/verify/test_tasks.py`` checks it
against the registry).
"""

from autograder.maths.layer import (
    conv_layer_backward,
    conv_layer_forward,
    conv_layer_output_shape,
    max_pool_backward,
    max_pool_forward,
)
from autograder.maths.reference import (
    conv2d_backward_filter,
    conv2d_backward_input,
    conv2d_forward,
    conv2d_output_shape,
    gap_backward,
    gap_forward,
    gradient_check,
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
    "conv_layer_backward",
    "conv_layer_forward",
    "conv_layer_output_shape",
    "gap_backward",
    "gap_forward",
    "gradient_check",
    "jacobian_output_wrt_filter",
    "jacobian_output_wrt_input",
    "max_pool_backward",
    "max_pool_forward",
    "numerical_gradient",
    "pad2d",
    "relative_error",
    "rot180",
    "training_step",
]
