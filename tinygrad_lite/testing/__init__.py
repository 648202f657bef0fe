"""A property-test kit for autograd: NumPy references, gradcheck and hypothesis strategies.

* `to_numpy(root, leaves)`: any graph as a NumPy function of its leaves, with
  reverse mode over arrays (`tinygrad_lite.testing.numpy_graph`), built from
  NumPy formulas written independently of the engine
  (`tinygrad_lite.testing.reference`).
* `gradcheck`, `gradgradcheck`, `central_difference`, `assert_grads_close`,
  `assert_matches_reference` (`tinygrad_lite.testing.gradcheck`).
* `formula(root)`: a graph as a readable formula string.
* Strategies `finite_values`, `expressions`, `mlps`
  (`tinygrad_lite.testing.strategies`). They need hypothesis (the ``testing``
  or ``dev`` extra) and are imported on first use, so the rest of the kit works
  without it.
"""

import importlib.util
from typing import TYPE_CHECKING, Any

from tinygrad_lite.testing.expression import Expression
from tinygrad_lite.testing.formula import formula
from tinygrad_lite.testing.gradcheck import (
    DEFAULT_ATOL,
    DEFAULT_EPS,
    DEFAULT_RTOL,
    DerivativeCheck,
    FiniteDifference,
    GradcheckError,
    assert_grads_close,
    assert_matches_reference,
    central_difference,
    gradcheck,
    gradgradcheck,
)
from tinygrad_lite.testing.mlp import MLPCase
from tinygrad_lite.testing.numpy_graph import NumpyFunction, to_numpy
from tinygrad_lite.testing.reference import Reference, reference_for, register_reference

if TYPE_CHECKING:  # type checkers see the real signatures; at run time they load lazily
    from tinygrad_lite.testing.strategies import expressions as expressions
    from tinygrad_lite.testing.strategies import finite_values as finite_values
    from tinygrad_lite.testing.strategies import mlps as mlps

_STRATEGIES = ("finite_values", "expressions", "mlps")


def __getattr__(name: str) -> Any:
    # The strategies import hypothesis; load them only when asked for.
    if name in _STRATEGIES:
        from tinygrad_lite.testing import strategies

        return getattr(strategies, name)
    raise AttributeError(f"module 'tinygrad_lite.testing' has no attribute {name!r}")


__all__ = [  # the strategies are appended below when hypothesis is installed
    "DEFAULT_ATOL",
    "DEFAULT_EPS",
    "DEFAULT_RTOL",
    "DerivativeCheck",
    "Expression",
    "FiniteDifference",
    "GradcheckError",
    "MLPCase",
    "NumpyFunction",
    "Reference",
    "assert_grads_close",
    "assert_matches_reference",
    "central_difference",
    "formula",
    "gradcheck",
    "gradgradcheck",
    "reference_for",
    "register_reference",
    "to_numpy",
]
if importlib.util.find_spec("hypothesis") is not None:  # `import *` must not need hypothesis
    __all__ += _STRATEGIES
