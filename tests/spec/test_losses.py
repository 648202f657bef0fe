"""Tests for tinygrad_lite.losses: values and gradients against NumPy formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinygrad_lite import Value, grad, topological_order
from tinygrad_lite.losses import (
    BCE_EPSILON,
    bce_with_logits,
    binary_cross_entropy,
    mean_squared_error,
    squared_error,
)

P = [0.2, 0.7, 0.9, 0.45]
Y = [0.0, 1.0, 1.0, 0.0]


def _values(numbers: list[float]) -> list[Value]:
    return [Value(x) for x in numbers]


def _grads(loss: Value, predictions: list[Value]) -> np.ndarray:
    return np.array([g.data for g in grad(loss, predictions)])


def test_squared_error_is_the_seed_loss_and_its_gradient_is_minus_error() -> None:
    predictions = _values(P)
    loss = squared_error(predictions, Y)
    p, y = np.array(P), np.array(Y)
    assert loss.data == pytest.approx(0.5 * np.sum((y - p) ** 2), rel=1e-15)
    # dL/dp = -(y - p): exactly minus the seed's `error`
    assert _grads(loss, predictions).tolist() == (-(y - p)).tolist()


def test_mean_squared_error_mean_and_sum() -> None:
    predictions = _values(P)
    p, y = np.array(P), np.array(Y)
    mean = mean_squared_error(predictions, Y)
    assert mean.data == pytest.approx(np.mean((y - p) ** 2), rel=1e-15)
    np.testing.assert_allclose(_grads(mean, predictions), 2 * (p - y) / 4, rtol=1e-15)
    summed = mean_squared_error(predictions, Y, reduction="sum")
    assert summed.data == pytest.approx(np.sum((y - p) ** 2), rel=1e-15)


def test_binary_cross_entropy_value_and_gradient() -> None:
    predictions = _values(P)
    p, y = np.array(P), np.array(Y)
    loss = binary_cross_entropy(predictions, Y)
    expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert loss.data == pytest.approx(expected, rel=1e-14)
    # dL/dp = (p - y) / (p (1 - p)) / n
    np.testing.assert_allclose(_grads(loss, predictions), (p - y) / (p * (1 - p)) / 4, rtol=1e-14)


def test_binary_cross_entropy_clips_saturated_probabilities() -> None:
    predictions = [Value(0.0), Value(1.0), Value(1.0)]
    loss = binary_cross_entropy(predictions, [1.0, 0.0, 1.0], reduction="sum")
    assert math.isfinite(loss.data)
    high = 1 - BCE_EPSILON  # p = 1 is clipped to this float, so 1 - p is 1 - high, not eps
    expected = -math.log(BCE_EPSILON) - math.log(1 - high) - math.log(high)
    assert loss.data == pytest.approx(expected, rel=1e-12)
    # a clipped probability is a constant: no gradient flows to the prediction
    assert _grads(loss, predictions).tolist() == [0.0, 0.0, 0.0]


def test_bce_with_logits_matches_the_probability_form_and_sigmoid_minus_y() -> None:
    z = np.array([-3.0, -0.5, 0.0, 0.4, 2.5])
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    logits = _values(z.tolist())
    loss = bce_with_logits(logits, y)
    s = 1 / (1 + np.exp(-z))
    expected = -np.mean(y * np.log(s) + (1 - y) * np.log(1 - s))
    assert loss.data == pytest.approx(expected, rel=1e-13)
    np.testing.assert_allclose(_grads(loss, logits), (s - y) / 5, rtol=1e-13, atol=1e-17)


def test_a_loss_is_one_sum_node_over_the_examples() -> None:
    predictions = _values(P)
    loss = squared_error(predictions, Y)
    sums = [node for node in topological_order(loss) if node.op == "sum"]
    assert len(sums) == 1 and len(sums[0].operands) == 4


def test_targets_may_be_arrays_values_or_one_number() -> None:
    predictions = _values(P)
    from_list = squared_error(predictions, Y).data
    assert squared_error(predictions, np.array(Y)).data == from_list
    assert squared_error(predictions, np.array(Y).reshape(4, 1)).data == from_list
    assert squared_error(predictions, _values(Y)).data == from_list
    assert squared_error(Value(0.25), 1.0).data == 0.5 * 0.75**2


def test_loss_errors_name_the_problem() -> None:
    with pytest.raises(ValueError, match=r"2 prediction\(s\) but 3 target\(s\)"):
        squared_error(_values([0.1, 0.2]), [0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="needs at least one prediction"):
        mean_squared_error([], [])
    with pytest.raises(TypeError, match="prediction 1 is a float, not a Value"):
        squared_error([Value(0.1), 0.2], [0.0, 1.0])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="reduction must be 'mean' or 'sum'"):
        mean_squared_error(_values([0.1]), [0.0], reduction="none")


def test_softplus_node_second_derivative() -> None:
    from tinygrad_lite.losses import softplus

    z = Value(0.8)
    (d1,) = grad(softplus(z), [z], create_graph=True)
    (d2,) = grad(d1, [z])
    s = 1 / (1 + math.exp(-0.8))
    assert d1.data == pytest.approx(s, rel=1e-15)
    assert d2.data == pytest.approx(s * (1 - s), rel=1e-15)
    assert softplus(Value(-800.0)).data == 0.0 and softplus(Value(800.0)).data == 800.0


@pytest.mark.parametrize("target", [np.int64(1), np.float32(1.0), np.float64(1.0), 1, True])
def test_a_numpy_scalar_target_is_one_target(target: object) -> None:
    for loss in (squared_error, mean_squared_error, binary_cross_entropy, bce_with_logits):
        assert loss(Value(0.5), target).data == loss(Value(0.5), [1.0]).data  # type: ignore[arg-type]


@pytest.mark.parametrize("targets", [None, "1", object()])
def test_targets_that_are_no_numbers_name_the_argument(targets: object) -> None:
    with pytest.raises(
        TypeError, match="squared_error: targets must be a number, a Value, or a list"
    ):
        squared_error([Value(0.5)], targets)  # type: ignore[arg-type]


@pytest.mark.parametrize("z", [-710.0, -745.0, -30.0, 0.0, 30.0, 710.0])
def test_softplus_derivative_does_not_overflow_for_very_negative_logits(z: float) -> None:
    from tinygrad_lite.losses import softplus
    from tinygrad_lite.trace import trace

    expected = math.exp(z) / (1.0 + math.exp(z)) if z < 0 else 1.0 / (1.0 + math.exp(-z))
    x = Value(z)
    (d,) = grad(softplus(x), [x])
    assert d.data == expected  # at -710: 4.476e-309, not 0 from 1 / (1 + exp(710))
    (d_graph,) = grad(softplus(x), [x], create_graph=True)
    assert d_graph.data == expected
    (d2,) = grad(d_graph, [x])
    assert d2.data == pytest.approx(expected * (1.0 - expected), rel=1e-12, abs=0.0)
    traced = trace(lambda v: softplus(v[0]), [[z]])
    traced.forward(np.array([[z]]))
    traced.backward()
    assert traced.input_grads is not None and traced.input_grads[0, 0] == expected


def test_bce_with_logits_gradient_at_a_logit_of_minus_710() -> None:
    z = Value(-710.0)
    bce_with_logits(z, 0.0).backward()
    assert z.grad == pytest.approx(4.476e-309, rel=1e-3) and z.grad > 0.0
