"""Helpers shared by several test modules: loading a demo script, the central-difference
reference of a drawn expression."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import numpy.typing as npt

from tinygrad_lite import Value
from tinygrad_lite.testing import Expression, central_difference, to_numpy

DEMOS = Path(__file__).resolve().parents[1] / "demos"


def load_demo(name: str) -> ModuleType:
    """The script ``demos/<name>.py`` as a module, without running its ``__main__`` part."""
    spec = importlib.util.spec_from_file_location(name, DEMOS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def differences_with_tolerance(
    expression: Expression, rtol: float
) -> tuple[Value, list[Value], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """``(root, leaves, estimate, tolerance)``: the expression's graph, the central differences
    of its NumPy function at the drawn point, and how far a right gradient may be from them:
    the derived error bound of the differences (see `central_difference`, with the forward
    error bound of the graph) plus ``rtol`` times the size of the numbers the gradient is
    computed from (the rounding of autograd itself)."""
    root, leaves = expression.build()
    point = [leaf.data for leaf in leaves]
    reference = to_numpy(root, leaves)
    difference = central_difference(
        expression.numpy, point, evaluation_error=reference.forward_error_bound
    )
    tolerance = difference.error_bound + rtol * np.array(reference.gradient_scale(*point))
    return root, leaves, np.asarray(difference.estimate), tolerance
