"""The seed notebook's NumPy network, as a reference to check the scalar engine against.

A one-hidden-layer network with sigmoid on both layers, trained on
``L = 0.5 * sum((y - y_pred)**2)``, written with the notebook's own formulas::

    z1 = X @ W1 + b1;  a1 = sigmoid(z1);  z2 = a1 @ W2 + b2;  y_pred = sigmoid(z2)
    error  = y - y_pred
    delta2 = error * sigmoid'(z2);            dW2 = a1.T @ delta2;  db2 = sum(delta2)
    delta1 = (delta2 @ W2.T) * sigmoid'(z1);  dW1 = X.T @ delta1;   db1 = sum(delta1)
    W += lr * dW    (for each of W1, b1, W2, b2)

The ``dW`` are the notebook's *ascent* directions: the gradient of L is ``-dW``.
Weights are dicts in the `MLP.state_dict` layout (``W1`` of shape (n_in, hidden),
``b1`` (1, hidden), ``W2`` (hidden, n_out), ``b2`` (1, n_out)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

# The formulas live once, in the property-test kit; the notebook's sigmoid and its
# derivative are the kit's (same expressions), re-exported here.
from tinygrad_lite.testing.reference import mlp_backprop_steps, sigmoid, sigmoid_derivative

Array = npt.NDArray[np.float64]

__all__ = ["SeedBackprop", "seed_backprop", "seed_train", "sigmoid", "sigmoid_derivative"]


@dataclass(frozen=True)
class SeedBackprop:
    """One forward and backward pass of the notebook's network.

    ``loss`` is ``0.5 * sum(error**2)``; ``dW1, db1, dW2, db2`` are the notebook's
    update directions; ``delta1`` and ``delta2`` its intermediate errors."""

    loss: float
    y_pred: Array
    delta1: Array
    delta2: Array
    dW1: Array
    db1: Array
    dW2: Array
    db2: Array

    def gradients(self) -> dict[str, Array]:
        """dL/d(weight) for each weight, in the state_dict layout (``-dW``)."""
        return {"W1": -self.dW1, "b1": -self.db1, "W2": -self.dW2, "b2": -self.db2}


def seed_backprop(X: Array, y: Array, weights: dict[str, Array]) -> SeedBackprop:
    """The notebook's forward pass, error and ``delta1``/``delta2`` backward pass.

    Computed by the kit's `mlp_backprop_steps` on two sigmoid layers, which works
    with dL/dz; the notebook's ``delta = error * sigmoid'(z)`` is ``-dL/dz`` and its
    ``dW`` is ``-dL/dW``. Negation is exact, so every number is the notebook's bit
    for bit."""
    steps = mlp_backprop_steps(weights, X, y.reshape(len(X), -1), ("sigmoid", "sigmoid"))
    delta1, delta2 = (-delta for delta in steps.deltas)
    grads = steps.grads
    return SeedBackprop(
        loss=steps.loss,
        y_pred=steps.outputs[-1],
        delta1=delta1,
        delta2=delta2,
        dW1=-grads["W1"],
        db1=-grads["b1"],
        dW2=-grads["W2"],
        db2=-grads["b2"],
    )


def seed_train(
    X: Array,
    y: Array,
    weights: dict[str, Array],
    *,
    lr: float,
    epochs: int,
    batch_size: int | None = None,
) -> dict[str, Array]:
    """The notebook's training loop; returns new weights (the input dict is not changed).

    ``batch_size=None`` is the notebook's full-batch loop. With a batch size,
    each epoch walks the examples in order in slices of ``batch_size`` (the
    last one may be shorter) with one update per slice: the notebook's
    "divide the training process in batches" exercise."""
    current = {key: np.array(value, dtype=np.float64) for key, value in weights.items()}
    n = len(X)
    size = n if batch_size is None else batch_size
    for _ in range(epochs):
        for start in range(0, n, size):
            result = seed_backprop(X[start : start + size], y[start : start + size], current)
            current["W1"] += lr * result.dW1
            current["b1"] += lr * result.db1
            current["W2"] += lr * result.dW2
            current["b2"] += lr * result.db2
    return current
