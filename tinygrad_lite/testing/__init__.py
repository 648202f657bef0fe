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
  or ``dev`` extra): they are imported with the kit when hypothesis is
  installed, and the rest of the kit works without it (asking for a strategy
  then says what to install).

The kit depends only on the engine's core (`tinygrad_lite.layers`), so it can
test any model built on it.
"""

import importlib.util
from typing import Any

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

_STRATEGIES = ("finite_values", "expressions", "mlps")

# hypothesis is an optional dependency: with it, the strategies come with the kit
# (`import *` included); without it, the rest of the kit still imports.
if importlib.util.find_spec("hypothesis") is not None:
    from tinygrad_lite.testing.strategies import expressions as expressions
    from tinygrad_lite.testing.strategies import finite_values as finite_values
    from tinygrad_lite.testing.strategies import mlps as mlps

    __all__ += _STRATEGIES


def __getattr__(name: str) -> Any:
    # Reached only for names the module lacks: a strategy without hypothesis installed.
    if name in _STRATEGIES:
        raise ImportError(
            f"tinygrad_lite.testing.{name} needs hypothesis: pip install 'tinygrad-lite[testing]'"
        )
    raise AttributeError(f"module 'tinygrad_lite.testing' has no attribute {name!r}")
