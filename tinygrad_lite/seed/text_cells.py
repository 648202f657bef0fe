"""The seed notebook's two NumPy experiments, cell code kept as the text writes it.

These loops are the side-by-side reference for training the same networks with
tinygrad_lite's scalar `MLP`. Only two things are added: they take the data
and initial weights as arguments (instead of re-seeding NumPy's global random
state), and they record the loss ``0.5 * sum(error**2)`` of every epoch
(before that epoch's update), which the text does not print.

No activation (learning rate 1e-4, 1000 epochs)::

    z1 = X @ W1 + b1;  y_pred = z2 = z1 @ W2 + b2;  error = y - y_pred
    dW2 = z1.T @ error;  db2 = sum(error);  dW1 = X.T @ (error @ W2.T);  db1 = sum(error @ W2.T)
    W += lr * dW          (descent on 0.5 * sum((y - y_pred)**2) with a linear output)

Sigmoid (learning rate 0.01, 10000 epochs)::

    a1 = sigmoid(X @ W1 + b1);  y_pred = sigmoid(a1 @ W2 + b2);  error = y - y_pred
    delta2 = error * sigmoid'(z2);  delta1 = (delta2 @ W2.T) * sigmoid'(z1)
    dW2 = a1.T @ delta2;  db2 = sum(delta2);  dW1 = X.T @ delta1;  db1 = sum(delta1)
    W += lr * dW
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
Weights = dict[str, Array]

NO_ACTIVATION_LR = 0.0001
NO_ACTIVATION_EPOCHS = 1000
SIGMOID_LR = 0.01
SIGMOID_EPOCHS = 10000


def sigmoid(x: Array) -> Array:
    """The text's ``sigmoid``: 1 / (1 + np.exp(-x))."""
    result: Array = 1 / (1 + np.exp(-x))
    return result


def sigmoid_derivative(x: Array) -> Array:
    """The text's ``sigmoid_derivative``: sigmoid(x) * (1 - sigmoid(x))."""
    return sigmoid(x) * (1 - sigmoid(x))


@dataclass(frozen=True)
class TextRun:
    """Final weights (state-dict layout) and the loss of every epoch."""

    weights: Weights
    losses: list[float]


def _copy(weights: Weights) -> tuple[Array, Array, Array, Array]:
    return (
        np.array(weights["W1"], dtype=np.float64),
        np.array(weights["b1"], dtype=np.float64),
        np.array(weights["W2"], dtype=np.float64),
        np.array(weights["b2"], dtype=np.float64),
    )


def train_no_activation(
    X: Array,
    y: Array,
    weights: Weights,
    lr: float = NO_ACTIVATION_LR,
    epochs: int = NO_ACTIVATION_EPOCHS,
) -> TextRun:
    """The text's "without activation function" training cell."""
    W1, b1, W2, b2 = _copy(weights)
    losses = []
    for _ in range(epochs):
        # Forward pass
        z1 = np.dot(X, W1) + b1
        z2 = np.dot(z1, W2) + b2
        y_pred = z2

        # Compute the error
        error = y.reshape(-1, 1) - y_pred
        losses.append(float(0.5 * np.sum(error**2)))

        # Backward pass
        dW2 = np.dot(z1.T, error)
        db2 = np.sum(error, axis=0, keepdims=True)
        dW1 = np.dot(X.T, np.dot(error, W2.T))
        db1 = np.sum(np.dot(error, W2.T), axis=0, keepdims=True)

        # Update the weights and biases
        W1 += lr * dW1
        b1 += lr * db1
        W2 += lr * dW2
        b2 += lr * db2
    return TextRun({"W1": W1, "b1": b1, "W2": W2, "b2": b2}, losses)


def sigmoid_epoch(
    X: Array, y: Array, W1: Array, b1: Array, W2: Array, b2: Array, lr: float
) -> Array:
    """One epoch of the text's "applying an activation function" cell: the loop body as
    the text writes it. Updates W1, b1, W2, b2 in place; returns this epoch's ``error``
    (computed before the update)."""
    # Forward pass
    z1 = np.dot(X, W1) + b1
    a1 = sigmoid(z1)
    z2 = np.dot(a1, W2) + b2
    y_pred = sigmoid(z2)

    # Compute the error
    error = y.reshape(-1, 1) - y_pred

    # Backward pass
    delta2 = error * sigmoid_derivative(z2)
    dW2 = np.dot(a1.T, delta2)
    db2 = np.sum(delta2, axis=0, keepdims=True)
    delta1 = np.dot(delta2, W2.T) * sigmoid_derivative(z1)
    dW1 = np.dot(X.T, delta1)
    db1 = np.sum(delta1, axis=0, keepdims=True)

    # Update the weights and biases
    W1 += lr * dW1
    b1 += lr * db1
    W2 += lr * dW2
    b2 += lr * db2
    return error


def train_sigmoid(
    X: Array,
    y: Array,
    weights: Weights,
    lr: float = SIGMOID_LR,
    epochs: int = SIGMOID_EPOCHS,
) -> TextRun:
    """The text's "applying an activation function" training cell (`sigmoid_epoch`
    ``epochs`` times)."""
    W1, b1, W2, b2 = _copy(weights)
    losses = []
    for _ in range(epochs):
        error = sigmoid_epoch(X, y, W1, b1, W2, b2, lr)
        losses.append(float(0.5 * np.sum(error**2)))
    return TextRun({"W1": W1, "b1": b1, "W2": W2, "b2": b2}, losses)


@dataclass(frozen=True)
class Grid:
    """A grid of points and the network's output on it, shaped like the grid."""

    xx: Array
    yy: Array
    values: Array


def no_activation_grid(weights: Weights, points: int = 1000) -> Grid:
    """The text's evaluation: the linear output thresholded at 0.5 (0 or 1)."""
    xx, yy = np.meshgrid(np.linspace(-4, 4, points), np.linspace(-4, 7, points))
    X_grid = np.c_[xx.ravel(), yy.ravel()]
    z1_grid = np.dot(X_grid, weights["W1"]) + weights["b1"]
    z2_grid = np.dot(z1_grid, weights["W2"]) + weights["b2"]
    y_pred = np.zeros(z2_grid.shape)
    y_pred[z2_grid < 0.5] = 0
    y_pred[z2_grid >= 0.5] = 1
    return Grid(xx, yy, y_pred.reshape(xx.shape))


def sigmoid_grid(weights: Weights, points: int = 100) -> Grid:
    """The text's evaluation: the sigmoid output (a probability) on the grid."""
    xx, yy = np.meshgrid(np.linspace(-4, 4, points), np.linspace(-4, 7, points))
    X_grid = np.c_[xx.ravel(), yy.ravel()]
    a1_grid = sigmoid(np.dot(X_grid, weights["W1"]) + weights["b1"])
    y_pred_grid = sigmoid(np.dot(a1_grid, weights["W2"]) + weights["b2"])
    return Grid(xx, yy, y_pred_grid.reshape(xx.shape))
