"""tinygrad_lite: a scalar autograd engine for learning, teaching and testing backpropagation."""

from tinygrad_lite.engine import (
    BackwardStep,
    GraphWarning,
    Op,
    Value,
    apply,
    as_value,
    backward_steps,
    grad,
    is_grad_enabled,
    linear,
    no_grad,
    topological_order,
    total,
)
from tinygrad_lite.explain import explain, explain_lines

__all__ = [
    "BackwardStep",
    "GraphWarning",
    "Op",
    "Value",
    "apply",
    "as_value",
    "backward_steps",
    "explain",
    "explain_lines",
    "grad",
    "is_grad_enabled",
    "linear",
    "no_grad",
    "topological_order",
    "total",
]
__version__ = "0.1.0"
