"""Forward mode (`tinygrad_lite.forward`) against central differences, reverse mode,
PyTorch (when installed) and the seed network's gradient."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from shared_helpers import differences_with_tolerance

from tinygrad_lite import (
    ForwardStep,
    Op,
    Value,
    apply,
    forward_lines,
    forward_steps,
    grad,
    hessian,
    hvp,
    jacobian,
    jvp,
)
from tinygrad_lite.forward import jacobian_run
from tinygrad_lite.ops import div, power
from tinygrad_lite.seed.network import LEAF_NAMES, TEXT_VALUES, build_network
from tinygrad_lite.testing import Expression, central_difference, expressions, to_numpy
from tinygrad_lite.testing.strategies import ALL_OPS, SMOOTH_OPS

EXAMPLES = settings().max_examples  # from the profile loaded in conftest.py
RTOL = 1e-10
"""Forward and reverse mode add the same products in other orders: each result is off by
a few roundings of the numbers it is computed from (`gradient_scale`); 1e-10 of that
scale is far above those and far below any wrong derivative."""


class Softplus(Op):
    """A custom op: log(1 + e**x), d/dx = 1 / (1 + e**-x); no forward-mode formula of its own."""

    name = "softplus"

    def forward(self, xs: Sequence[float]) -> float:
        x = xs[0]
        return max(x, 0.0) + math.log1p(math.exp(-abs(x)))  # no overflow for large x

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Any, ...]:
        return (div(1.0, 1.0 + power(math.e, -xs[0])),)


def _function(expression: Expression) -> Any:
    return lambda *xs: expression.apply(xs)


def _unit(n: int, j: int) -> list[float]:
    direction = [0.0] * n
    direction[j] = 1.0
    return direction


# ---------------------------------------------------------------- against differences


@settings(max_examples=5 * EXAMPLES)
@given(expressions(ops=ALL_OPS, max_steps=10, max_depth=6))
def test_forward_mode_matches_central_differences(expression: Expression) -> None:
    _, _, estimate, tolerance = differences_with_tolerance(expression, RTOL)
    point = list(expression.leaf_values)
    forward = jacobian(_function(expression), point, mode="forward")[0]
    assert np.all(np.abs(forward - estimate) <= tolerance), (
        expression,
        forward,
        estimate,
    )


@settings(max_examples=5 * EXAMPLES)
@given(expressions(ops=ALL_OPS, max_steps=10, max_depth=6))
def test_forward_jacobian_equals_reverse_jacobian(expression: Expression) -> None:
    root, leaves = expression.build()
    point = [leaf.data for leaf in leaves]
    scale = np.array(to_numpy(root, leaves).gradient_scale(*point))
    forward = jacobian(_function(expression), point, mode="forward")
    reverse = jacobian(_function(expression), point, mode="reverse")
    assert forward.shape == reverse.shape == (1, len(point))
    assert np.all(np.abs(forward - reverse) <= RTOL * scale), (expression, forward, reverse)


@settings(max_examples=3 * EXAMPLES)
@given(expressions(n_leaves=(1, 3), ops=SMOOTH_OPS, max_steps=6, max_depth=4))
def test_a_custom_op_works_in_forward_mode_through_its_derivatives(
    expression: Expression,
) -> None:
    """softplus(expression) * x0 + expression: the custom op has only ``derivatives``."""

    def f(*xs: Value) -> Value:
        inner = expression.apply(xs)
        return apply(Softplus(), inner) * xs[0] + inner

    def numpy_f(*arrays: Any) -> Any:
        inner = expression.numpy(*arrays)
        with np.errstate(all="ignore"):
            return np.logaddexp(0.0, inner) * np.asarray(arrays[0]) + inner

    point = list(expression.leaf_values)
    forward = jacobian(f, point, mode="forward")[0]
    reverse = jacobian(f, point, mode="reverse")[0]
    root, leaves = expression.build()
    scale = 1.0 + np.abs(reverse) + np.array(to_numpy(root, leaves).gradient_scale(*point))
    np.testing.assert_array_less(np.abs(forward - reverse), RTOL * scale * 1e3 + 1e-300)
    difference = central_difference(numpy_f, point, evaluation_error=1e-15 * (1 + abs(root.data)))
    tolerance = difference.error_bound + 1e-8 * scale
    assert np.all(np.abs(forward - difference.estimate) <= tolerance), (
        expression,
        forward,
        difference.estimate,
    )


def test_jvp_is_the_jacobian_times_the_tangent_for_several_outputs() -> None:
    def f(x: Value, y: Value) -> tuple[Value, Value, Value]:
        return x * y, (x / y).sin(), apply(Softplus(), x - y)

    point, direction = [0.7, -1.3], [0.25, 2.0]
    values, tangents = jvp(f, point, direction)
    assert isinstance(values, tuple) and isinstance(tangents, tuple)
    assert values[0] == pytest.approx(0.7 * -1.3)
    np.testing.assert_allclose(tangents, jacobian(f, point) @ direction, rtol=1e-13)
    np.testing.assert_allclose(jacobian(f, point, mode="forward"), jacobian(f, point), rtol=1e-13)


def test_jvp_of_one_output_gives_two_floats() -> None:
    value, tangent = jvp(lambda x: x**3, [2.0], [1.0])
    assert (value, tangent) == (8.0, 12.0)


# ---------------------------------------------------------------- second derivatives


@settings(max_examples=3 * EXAMPLES)
@given(expressions(n_leaves=(1, 3), ops=SMOOTH_OPS, max_steps=6, max_depth=4))
def test_hessian_is_symmetric_and_the_same_both_ways(expression: Expression) -> None:
    point = list(expression.leaf_values)
    f = _function(expression)
    reverse = hessian(f, point)
    forward = hessian(f, point, mode="forward")
    tolerance = 1e-8 * (1.0 + np.max(np.abs(reverse)))
    assert reverse.shape == (len(point), len(point))
    assert np.all(np.abs(reverse - reverse.T) <= tolerance), (expression, reverse)
    assert np.all(np.abs(forward - reverse) <= tolerance), (expression, forward, reverse)
    direction = [0.5 - i for i in range(len(point))]
    assert np.all(np.abs(hvp(f, point, direction) - reverse @ direction) <= 3 * tolerance)


def test_hessian_is_reverse_over_reverse_by_hand() -> None:
    def f(x: Value, y: Value) -> Value:
        return x**2 * y + y.exp() * x

    point = [0.3, -0.4]
    leaves = [Value(x) for x in point]
    first = grad(f(*leaves), leaves, create_graph=True)
    by_hand = np.array([[d.data for d in grad(g, leaves)] for g in first])
    np.testing.assert_array_equal(hessian(f, point), by_hand)
    x, y = point
    exact = np.array([[2 * y, 2 * x + math.exp(y)], [2 * x + math.exp(y), math.exp(y) * x]])
    np.testing.assert_allclose(hessian(f, point, mode="forward"), exact, rtol=1e-14)
    np.testing.assert_allclose(hvp(f, point, [1.0, 2.0]), exact @ [1.0, 2.0], rtol=1e-14)


# ---------------------------------------------------------------- the seed network


def _seed_loss(*leaves: Value) -> Value:
    return build_network(dict(zip(LEAF_NAMES, leaves, strict=True)))["L"]


SEED_POINT = [TEXT_VALUES[name] for name in LEAF_NAMES]


def test_seed_network_directional_derivatives_are_the_gradient_components() -> None:
    nodes = build_network()
    nodes["L"].backward()
    for j, name in enumerate(LEAF_NAMES):
        value, tangent = jvp(_seed_loss, SEED_POINT, _unit(len(LEAF_NAMES), j))
        assert value == nodes["L"].data
        assert tangent == pytest.approx(nodes[name].grad, rel=1e-14, abs=1e-17), name
    direction = np.random.default_rng(1).normal(size=len(LEAF_NAMES))
    direction /= np.linalg.norm(direction)
    gradient = np.array([nodes[name].grad for name in LEAF_NAMES])
    _, along = jvp(_seed_loss, SEED_POINT, direction.tolist())
    assert along == pytest.approx(float(gradient @ direction), rel=1e-13)


def test_seed_network_forward_steps_carry_the_tangent_of_every_node() -> None:
    w1 = LEAF_NAMES.index("w1")
    steps = list(forward_steps(_seed_loss, SEED_POINT, _unit(len(LEAF_NAMES), w1)))
    assert all(isinstance(step, ForwardStep) for step in steps)
    by_label = {step.node.label: step for step in steps}
    x = TEXT_VALUES["x"]
    a1 = by_label["a1"].node.data
    assert by_label["w1"].tangent == 1.0 and by_label["x"].tangent == 0.0
    assert by_label["z1"].tangent == x  # dz1/dw1
    assert by_label["a1"].tangent == pytest.approx(a1 * (1 - a1) * x, rel=1e-15)
    assert by_label["z2"].tangent == 0.0  # z2 does not depend on w1
    for step in steps:
        assert step.tangent == pytest.approx(sum(step.contributions)) or not step.operands
    nodes = build_network()
    nodes["L"].backward()
    assert by_label["L"].tangent == pytest.approx(nodes["w1"].grad, rel=1e-14)


def test_seed_network_forward_lines_read_like_explain() -> None:
    lines = forward_lines(_seed_loss, SEED_POINT, _unit(len(LEAF_NAMES), LEAF_NAMES.index("w1")))
    assert "dw1 = 1" in lines and "dx = 0" in lines
    assert "d(w1*x) = dw1 * x + dx * w1 = 1 * 0.5 + 0 * 0.2 = 0.5" in lines
    assert "dz1 = d(w1*x) + db1 = 0.5 + 0 = 0.5" in lines
    assert "da1 = dz1 * da1/dz1 = 0.5 * 0.235 = 0.1175" in lines
    assert "d(y - y_pred) = dy + dy_pred * (-1) = 0 + 0.002874 * (-1) = -0.002874" in lines
    assert lines[-1].startswith("dL = ") and lines[-1].endswith("= -0.0006507")
    assert not any(line.startswith("d0.5 =") for line in lines)  # constants get no line


def test_forward_lines_name_unlabelled_inputs_by_position() -> None:
    lines = forward_lines(lambda a, b: a * b + 2.0, [3.0, 4.0], [1.0, 0.0])
    assert lines[:2] == ["dx0 = 1", "dx1 = 0"]
    assert lines[2] == "d(x0*x1) = dx0 * x1 + dx1 * x0 = 1 * 4 + 0 * 3 = 4"


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: jvp(lambda x: x, [1.0, 2.0], [1.0]), ValueError, "tangents has 1 number"),
        (lambda: jvp(lambda x: x, [1.0], ["a"]), TypeError, r"tangents\[0\] must be a real"),
        (lambda: jvp(lambda x: x, "12", [1.0]), TypeError, "primals must be a sequence"),
        (lambda: jvp(lambda x: x, [], []), ValueError, "primals must hold at least one"),
        (lambda: jvp(lambda x: 3.0, [1.0], [1.0]), TypeError, "f must return a Value"),
        (lambda: jvp(42, [1.0], [1.0]), TypeError, "f must be a function"),
        (lambda: jacobian(lambda x: x, [1.0], mode="sideways"), ValueError, "'sideways'"),
        (lambda: jacobian(lambda x: x, [None]), TypeError, r"inputs\[0\] must be a real"),
        (lambda: hessian(lambda x: (x, x), [1.0]), TypeError, "hessian needs f to return one"),
        (lambda: hessian(lambda x: x, [1.0], mode="both"), ValueError, "mode must be"),
        (lambda: hvp(lambda x, y: x * y, [1.0, 2.0], [1.0]), ValueError, "v has 1 number"),
        (lambda: hvp(lambda x: x, [True], [1.0]), TypeError, r"inputs\[0\] must be a real"),
    ],
)
def test_bad_input_is_named(call: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call()


# ---------------------------------------------------------------- PyTorch, when installed


def test_matches_torch_func_in_float64() -> None:
    torch = pytest.importorskip("torch")

    def ours(x: Value, y: Value) -> Value:
        return (x * y).tanh() + (x / y).sin() * y.exp()

    def theirs(t: Any) -> Any:
        x, y = t[0], t[1]
        return torch.tanh(x * y) + torch.sin(x / y) * torch.exp(y)

    point, direction = [0.7, -1.3], [0.25, 2.0]
    primal = torch.tensor(point, dtype=torch.float64)
    value, tangent = torch.func.jvp(
        theirs, (primal,), (torch.tensor(direction, dtype=torch.float64),)
    )
    assert jvp(ours, point, direction) == pytest.approx((value.item(), tangent.item()), rel=1e-13)
    np.testing.assert_allclose(
        jacobian(ours, point, mode="forward")[0],
        torch.func.jacrev(theirs)(primal).numpy(),
        rtol=1e-13,
    )
    np.testing.assert_allclose(
        hessian(ours, point), torch.func.hessian(theirs)(primal).numpy(), rtol=1e-12
    )


def test_jacobian_run_counts_passes_and_nodes() -> None:
    run = jacobian_run(lambda x, y: (x * y, x + y), [1.0, 2.0], mode="forward")
    assert (run.passes, run.nodes_visited) == (2, 2 * 4)
    run = jacobian_run(lambda x, y: (x * y, x + y), [1.0, 2.0], mode="reverse")
    assert (run.passes, run.nodes_visited) == (2, 3 + 3)
    np.testing.assert_array_equal(run.matrix, [[2.0, 1.0], [1.0, 1.0]])
