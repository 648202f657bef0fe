"""The functions sin, cos, sqrt and abs: values and derivatives against central
differences and NumPy, second derivatives through ``grad(..., create_graph=True)``,
the module-level functions, and drawing, explain and the traced replay of graphs that use them.
(Every operation against the oracle at many points, and the IEEE-754 edge points
written out: the table in test_operations.py.)"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from ieee_compare import equal, same
from viz_svg import parse_svg

import tinygrad_lite
from tinygrad_lite import Value, draw, explain_lines, grad, trace
from tinygrad_lite.testing import (
    assert_grads_close,
    central_difference,
    gradcheck,
    gradgradcheck,
    to_numpy,
)
from tinygrad_lite.testing.numpy_graph import UNIT_ROUNDOFF

INF, NAN = math.inf, math.nan
RTOL = 1e-12
ArrayFunction = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Function:
    """One function: its module-level form, NumPy's version of it, its second derivative
    written from the mathematics, points where it is smooth, and how many units in the
    last place the engine's value may be from NumPy's (0: both correctly rounded; 2: each
    within one ulp of the exact value)."""

    function: Callable[[object], Value]
    numpy: ArrayFunction
    second_derivative: ArrayFunction
    points: tuple[float, ...]
    ulps: float


# moderate points: the central difference's step grows with |x| (see central_difference)
ANGLES = (-7.0, -math.pi / 2, -1.0, -1e-8, 0.0, 0.3, 1.0, 2.5, math.pi, 20.0)
POSITIVE = (0.01, 0.25, 0.5, 1.0, 2.0, 3.0, 10.0, 1e6)
AWAY_FROM_ZERO = (-7.0, -2.5, -1.0, -0.3, 0.3, 1.0, 2.5, 20.0)
FUNCTIONS = {
    "sin": Function(tinygrad_lite.sin, np.sin, lambda x: -np.sin(x), ANGLES, ulps=2),
    "cos": Function(tinygrad_lite.cos, np.cos, lambda x: -np.cos(x), ANGLES, ulps=2),
    "sqrt": Function(tinygrad_lite.sqrt, np.sqrt, lambda x: -0.25 * x**-1.5, POSITIVE, ulps=0),
    "abs": Function(tinygrad_lite.abs, np.abs, np.zeros_like, AWAY_FROM_ZERO, ulps=0),
}
NAMES = list(FUNCTIONS)


# ---------------------------------------------------------------- values and derivatives


@pytest.mark.parametrize("name", NAMES)
def test_value_is_numpys_and_the_derivative_matches_central_differences(name: str) -> None:
    """Tolerance derived from the numbers: the central difference's own error bound plus
    RTOL times the rounding scale of the gradient (see `central_difference`)."""
    case = FUNCTIONS[name]
    for point in case.points:
        x = Value(point, "x")
        y = getattr(x, name)()
        expected = float(case.numpy(np.float64(point)))
        assert abs(y.data - expected) <= case.ulps * np.spacing(abs(expected)), point
        reference = to_numpy(y, [x])
        difference = central_difference(
            case.numpy, [point], evaluation_error=reference.forward_error_bound
        )
        # a check, not a formality: the difference itself is accurate here
        assert difference.error_bound[0] <= 1e-6 * max(1.0, abs(difference.estimate[0]))
        tolerance = difference.error_bound + RTOL * np.array(reference.gradient_scale(point))
        assert_grads_close(
            y,
            [x],
            list(difference.estimate),
            rtol=1.0,
            scale=list(tolerance),
            expected_name="central difference",
        )


@pytest.mark.parametrize("name", NAMES)
def test_second_derivative_through_create_graph_is_the_mathematics(name: str) -> None:
    """grad(grad(f, create_graph=True), x) against the second derivative written out;
    the first derivative's graph takes a few roundings, the closed form one or two."""
    case = FUNCTIONS[name]
    for point in case.points:
        x = Value(point, "x")
        (first,) = grad(getattr(x, name)(), x, create_graph=True)
        (second,) = grad(first, x) if not first.is_leaf else (Value(0.0),)
        expected = float(case.second_derivative(np.float64(point)))
        assert abs(second.data - expected) <= 8 * UNIT_ROUNDOFF * abs(expected), (point, second)


def test_gradient_and_hessian_of_a_function_using_all_four_match_differences() -> None:
    """gradcheck and gradgradcheck (every d2f/dxi dxj from create_graph against central
    differences of the first derivatives). With eps = 1e-6 a difference is off by
    a few u*|f|/eps < 1e-9 (rounding, |f| < 5 here) plus eps**2 * |third derivative| / 6 ~ 1e-12
    (truncation): atol = 1e-8."""

    def f(x: Value, y: Value) -> Value:
        return (x * y).sin() + x.cos() * y.sqrt() + abs(x - 2.0 * y) * y

    for point in ([0.7, 1.3], [-2.0, 0.4], [3.0, 2.0]):  # y > 0, x - 2y away from the kink
        assert gradcheck(f, point, atol=1e-8, rtol=0.0)
        assert gradgradcheck(f, point, atol=1e-8, rtol=0.0)


# ---------------------------------------------------------------- IEEE-754 edge points
# (their values and derivatives, written out: the table in test_operations.py)

EDGE_POINTS: dict[str, tuple[float, ...]] = {
    "sin": (0.0, -0.0, INF, -INF, NAN, 1e300),
    "cos": (0.0, -0.0, INF, -INF, NAN, 1e300),
    "sqrt": (4.0, 0.0, -0.0, -1.0, INF, -INF, NAN, 5e-324),
    "abs": (-2.0, 0.0, -0.0, INF, -INF, NAN, -5e-324),
}


# ---------------------------------------------------------------- the module-level functions


@pytest.mark.parametrize("name", NAMES)
def test_module_function_of_a_value_is_the_method(name: str) -> None:
    x = Value(0.75, "x")
    y = FUNCTIONS[name].function(x)
    assert y.operation is getattr(x, name)().operation and y.operands == (x,)
    assert y.data == getattr(x, name)().data


@pytest.mark.parametrize("name", NAMES)
def test_module_function_of_a_number_is_a_node_over_a_constant_leaf(name: str) -> None:
    for number in (0.75, 2, np.float64(0.75)):
        y = FUNCTIONS[name].function(number)
        (leaf,) = y.operands
        assert leaf.is_leaf and leaf.label == "" and leaf.data == float(number)
        assert y.data == getattr(Value(float(number)), name)().data
    with pytest.raises(TypeError, match=f"{name}\\(\\): str"):
        FUNCTIONS[name].function("0.75")


def test_pythons_abs_of_a_value_is_the_abs_node() -> None:
    x = Value(-1.5, "x")
    y = abs(x)
    assert (y.op, y.operands, y.data) == ("abs", (x,), 1.5)
    y.backward()
    assert x.grad == -1.0


def test_star_import_keeps_pythons_abs() -> None:
    namespace: dict[str, object] = {}
    exec("from tinygrad_lite import *", namespace)
    assert {"sin", "cos", "sqrt"} <= namespace.keys() and "abs" not in namespace
    assert tinygrad_lite.abs(-2).data == 2.0


# ---------------------------------------------------------------- tools that read the graph


@pytest.mark.parametrize("name", NAMES)
def test_the_drawing_labels_the_operation_with_its_name(name: str) -> None:
    x = Value(0.75, "x")
    y = getattr(x, name)()
    y.label = "y"
    y.backward()
    svg = parse_svg(draw(y, legend=False).pipe(format="svg"))
    assert [node.texts for node in svg.with_class("op")] == [[name]]
    assert svg.by_first_text("x").texts[2] == f"grad {x.grad:.4g}"


@pytest.mark.parametrize("name", NAMES)
def test_explain_names_the_function_and_shows_its_local_derivative(name: str) -> None:
    x = Value(0.75, "x")
    y = getattr(x, name)() * 2.0
    (dy_dx,) = grad(y, x)
    local = f"{dy_dx.data / 2.0:.4g}"
    factor = f"({local})" if local.startswith("-") else local
    assert explain_lines(y)[-1] == (
        f"d({name}(x)*2)/dx = d({name}(x)*2)/d{name}(x) * d{name}(x)/dx = 2 * {factor} "
        f"= {dy_dx.data:.4g}"
    )


@pytest.mark.parametrize("name", NAMES)
def test_traced_replay_matches_the_engine(name: str) -> None:
    """Regular points to RTOL (NumPy's kernels may round differently from math's); the
    edge points exactly, as IEEE special values."""

    def f(v: list[Value]) -> Value:
        return getattr(v[0] * v[1], name)() + getattr(v[0], name)() * v[1]

    edges = [[x, 1.0] for x in EDGE_POINTS[name]]
    regular = [[x, 0.5] for x in FUNCTIONS[name].points] + [[0.3, 2.0]]
    for rows, exact in ((regular, False), (edges, True)):
        X = np.array(rows)
        traced = trace(f, X)
        outputs = np.ravel(traced.forward(X))
        traced.backward()
        assert traced.input_grads is not None
        for row, output, input_grads in zip(rows, outputs, traced.input_grads, strict=True):
            inputs = [Value(x) for x in row]
            y = f(inputs)
            engine = [y.data, *(g.data for g in grad(y, inputs))]
            replay = [float(output), *map(float, input_grads)]
            if exact:
                assert same(replay[0], engine[0]), (row, replay, engine)
                assert all(map(equal, replay[1:], engine[1:])), (row, replay, engine)
            else:
                np.testing.assert_allclose(replay, engine, rtol=RTOL, atol=0.0)
