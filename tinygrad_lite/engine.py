"""The old home of the engine, kept one release so that existing imports work.

The engine is now three modules, each read top to bottom: `tinygrad_lite.ops`
(the operations), `tinygrad_lite.autograd` (the backward pass) and
`tinygrad_lite.value` (`Value`). ``from tinygrad_lite.engine import Value``
still gives the same object, with a `DeprecationWarning` naming the new module.
"""

from __future__ import annotations

from tinygrad_lite import autograd, autograd_machinery, ops, value
from tinygrad_lite.deprecation import deprecated_names

_MOVED = {
    "tinygrad_lite.value": (
        value,
        "Value Num apply as_value backward_steps grad is_grad_enabled linear no_grad total",
    ),
    "tinygrad_lite.autograd": (autograd, "topological_order"),
    "tinygrad_lite.autograd_machinery": (autograd_machinery, "BackwardStep GraphWarning"),
    "tinygrad_lite.ops": (
        ops,
        "Op PowConst ieee_div ieee_exp ieee_log ieee_pow ADD SUB MUL DIV POW NEG EXP LOG "
        "TANH SIGMOID RELU SUM LINEAR NO_GRAD_RESULT Add Sub Mul Div Pow Neg Exp Log Tanh "
        "Sigmoid Relu Sum Linear NoGradResult",
    ),
}

__getattr__ = deprecated_names(
    __name__,
    {
        name: (getattr(module, name), f"{new_home}.{name}")
        for new_home, (module, names) in _MOVED.items()
        for name in names.split()
    },
)
