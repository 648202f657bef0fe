"""Tests for tinygrad_lite.optim: SGD (momentum) and Adam against NumPy formulas."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_lite import Value, total
from tinygrad_lite.optim import SGD, Adam

TARGET = np.array([1.5, -2.0, 0.25])
SCALE = np.array([1.0, 3.0, 0.5])


def _quadratic(params: list[Value]) -> Value:
    """L = sum_i scale_i * (p_i - target_i)**2, gradient 2 * scale * (p - target)."""
    return total(s * (p - t) ** 2 for p, s, t in zip(params, SCALE, TARGET, strict=True))


def _gradient(p: np.ndarray) -> np.ndarray:
    result: np.ndarray = 2 * SCALE * (p - TARGET)
    return result


def _run(optimizer_factory: object, steps: int) -> np.ndarray:
    params = [Value(0.0, label=f"p{i}") for i in range(3)]
    optimizer = optimizer_factory(params)  # type: ignore[operator]
    for _ in range(steps):
        optimizer.zero_grad()
        _quadratic(params).backward()
        optimizer.step()
    return np.array([p.data for p in params])


def test_sgd_without_momentum_is_w_minus_lr_grad() -> None:
    p = np.zeros(3)
    for _ in range(7):
        p = p - 0.05 * _gradient(p)
    np.testing.assert_allclose(_run(lambda ps: SGD(ps, lr=0.05), 7), p, rtol=1e-15, atol=1e-15)


def test_sgd_momentum_matches_the_velocity_formula() -> None:
    p, v = np.zeros(3), np.zeros(3)
    for step in range(9):
        g = _gradient(p)
        v = g if step == 0 else 0.9 * v + g
        p = p - 0.02 * v
    np.testing.assert_allclose(
        _run(lambda ps: SGD(ps, lr=0.02, momentum=0.9), 9), p, rtol=1e-14, atol=1e-15
    )


def test_adam_matches_the_bias_corrected_formula() -> None:
    p, m, v = np.zeros(3), np.zeros(3), np.zeros(3)
    b1, b2, lr, eps = 0.8, 0.99, 0.1, 1e-8
    for t in range(1, 13):
        g = _gradient(p)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        p = p - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    got = _run(lambda ps: Adam(ps, lr=lr, betas=(b1, b2), eps=eps), 12)
    np.testing.assert_allclose(got, p, rtol=1e-14, atol=1e-15)


def test_adam_first_step_moves_each_parameter_by_about_lr() -> None:
    # Bias correction makes the first step lr * g / (|g| + eps): about lr, whatever the scale.
    got = _run(lambda ps: Adam(ps, lr=0.01), 1)
    np.testing.assert_allclose(np.abs(got), 0.01, rtol=1e-6)


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, 0.05, 0.5), lambda ps: Adam(ps, 0.05)])
def test_optimizers_converge_on_a_quadratic(make: object) -> None:
    np.testing.assert_allclose(_run(make, 600), TARGET, atol=1e-4)


def test_step_keeps_the_same_leaf_objects_and_records_no_graph() -> None:
    params = [Value(1.0, label="w")]
    optimizer = SGD(params, lr=0.1)
    (params[0] * 3.0).backward()
    optimizer.step()
    assert params[0].label == "w" and params[0].is_leaf and params[0].data == 1.0 - 0.1 * 3.0
    assert optimizer.steps == 1


def test_step_runs_under_no_grad() -> None:
    seen: list[bool] = []

    class Recording(SGD):
        def _update(self, index: int, parameter: Value) -> None:
            updated = parameter - self.lr * parameter.grad  # Value arithmetic inside step
            seen.append(updated.is_leaf)
            parameter.data = updated.data

    params = [Value(2.0)]
    (params[0] * params[0]).backward()
    Recording(params, lr=0.1).step()
    assert seen == [True]
    assert params[0].data == pytest.approx(2.0 - 0.1 * 4.0)


def test_zero_grad_resets_only_its_parameters() -> None:
    a, b = Value(1.0), Value(2.0)
    (a * b).backward()
    SGD([a], lr=0.1).zero_grad()
    assert a.grad == 0.0 and b.grad == 1.0


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda ps: SGD([], lr=0.1), ValueError, "empty parameter list"),
        (lambda ps: SGD([1.0], lr=0.1), TypeError, "item 0 is float"),
        (lambda ps: SGD(ps + ps, lr=0.1), ValueError, "appears twice"),
        (lambda ps: SGD(ps, lr=-0.1), ValueError, "lr must be in"),
        (lambda ps: SGD(ps, lr=float("nan")), ValueError, "lr must be in"),
        (lambda ps: SGD(ps, lr="0.1"), TypeError, "lr must be a real number, got str"),
        (lambda ps: SGD(ps, lr=0.1, momentum=1.0), ValueError, "momentum must be in"),
        (lambda ps: Adam(ps, betas=(0.9,)), ValueError, "betas must be a pair"),
        (lambda ps: Adam(ps, betas=(0.9, 1.0)), ValueError, r"betas\[1\] must be in"),
        (lambda ps: Adam(ps, eps=-1.0), ValueError, "eps must be in"),
    ],
)
def test_bad_optimizer_arguments(make: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        make([Value(1.0)])  # type: ignore[operator]
