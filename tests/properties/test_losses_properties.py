"""bce_with_logits at any logit: finite, and exact to 1e-12 relative, with its gradient."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_lite import Value, grad
from tinygrad_lite.losses import bce_with_logits


@settings(max_examples=60, deadline=None)
@given(st.floats(-700.0, 700.0), st.sampled_from([0.0, 1.0]))
def test_bce_with_logits_is_finite_and_exact_at_any_logit(z: float, y: float) -> None:
    logit = Value(z)
    loss = bce_with_logits([logit], [y])
    # -log sigmoid(z) = log1p(exp(-z)) (y = 1) and -log(1 - sigmoid(z)) = log1p(exp(z)) (y = 0)
    t = -z if y == 1.0 else z
    expected = t + math.log1p(math.exp(-t)) if t > 0 else math.log1p(math.exp(t))
    assert math.isfinite(loss.data)
    assert loss.data == pytest.approx(expected, rel=1e-12, abs=1e-300)
    (d,) = grad(loss, [logit])
    # sigmoid(z) - y without cancellation: -sigmoid(-z) for y = 1, sigmoid(z) for y = 0
    sig_t = 1 / (1 + math.exp(-t)) if t >= 0 else math.exp(t) / (1 + math.exp(t))
    expected_grad = -sig_t if y == 1.0 else sig_t
    assert d.data == pytest.approx(expected_grad, rel=1e-12, abs=1e-300)
