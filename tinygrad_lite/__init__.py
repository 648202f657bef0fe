"""tinygrad_lite: a scalar autograd engine for learning, teaching and testing backpropagation."""

from tinygrad_lite.anomaly import AnomalyError, detect_anomaly
from tinygrad_lite.autograd import topological_order
from tinygrad_lite.autograd_machinery import BackwardStep, GraphWarning, set_trace
from tinygrad_lite.deprecation import deprecated_names
from tinygrad_lite.derivation import DerivationReport, DerivationRow, check_derivation
from tinygrad_lite.drawing import (
    GraphDrawing,
    GraphvizNotFoundError,
    draw,
    draw_backward,
    save,
)
from tinygrad_lite.explain import explain, explain_lines
from tinygrad_lite.forward import (
    ForwardStep,
    forward_lines,
    forward_steps,
    hessian,
    hvp,
    jacobian,
    jvp,
)
from tinygrad_lite.nn import MLP, Layer, Module, Neuron
from tinygrad_lite.ops import Op
from tinygrad_lite.optim import SGD, Adam
from tinygrad_lite.serialization import StateDictError
from tinygrad_lite.trace import Traced, TraceError, trace
from tinygrad_lite.training import History, fit
from tinygrad_lite.value import (
    Value,
    absolute,
    apply,
    as_value,
    backward_steps,
    cos,
    grad,
    is_grad_enabled,
    linear,
    no_grad,
    sin,
    sqrt,
    total,
)

# tinygrad_lite.abs(x): |x| for a Value or a number. Not in __all__, so that
# `from tinygrad_lite import *` keeps Python's abs (which works on Values too).
abs = absolute
__getattr__ = deprecated_names(
    __name__, {"save_graph": (save, "tinygrad_lite.save (the same function)")}
)

__all__ = [
    "MLP",
    "SGD",
    "Adam",
    "AnomalyError",
    "BackwardStep",
    "DerivationReport",
    "DerivationRow",
    "ForwardStep",
    "GraphDrawing",
    "GraphWarning",
    "GraphvizNotFoundError",
    "History",
    "Layer",
    "Module",
    "Neuron",
    "Op",
    "StateDictError",
    "TraceError",
    "Traced",
    "Value",
    "apply",
    "as_value",
    "backward_steps",
    "check_derivation",
    "cos",
    "detect_anomaly",
    "draw",
    "draw_backward",
    "explain",
    "explain_lines",
    "fit",
    "forward_lines",
    "forward_steps",
    "grad",
    "hessian",
    "hvp",
    "is_grad_enabled",
    "jacobian",
    "jvp",
    "linear",
    "no_grad",
    "save",
    "set_trace",
    "sin",
    "sqrt",
    "topological_order",
    "total",
    "trace",
]
__version__ = "0.1.0"
