"""A trusted autograder and the reference maths for the conv-backprop course.

Modules, one job each:

- ``reference``: the maths, forward and backward side by side;
- ``exact``: Fractions for the worked example, rendered the way the seed writes them;
- ``example``: the worked example's inputs.
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
