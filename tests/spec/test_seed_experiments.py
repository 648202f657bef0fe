"""The seed's two 2-D experiments: same data and weights as the text, same training."""

from __future__ import annotations

import numpy as np
import pytest
from seed_helpers import png_size

from tinygrad_lite.datasets import seed_initial_weights, two_clusters
from tinygrad_lite.seed import experiments, text_cells
from tinygrad_lite.seed.experiments import NO_ACTIVATION, SIGMOID_ACTIVATION, run_experiment

# Tens of float operations per weight per epoch, each rounding differently in
# the scalar engine and in np.dot: agreement to ~1e-13 over these short runs.
LOSS_RTOL = 1e-12


def text_data_and_weights():
    """The text's first cell lines, run on NumPy's global random state."""
    saved = np.random.get_state()
    try:
        np.random.seed(0)
        X_inner = np.random.randn(100, 2) * 0.5
        X_outer = np.random.randn(100, 2) * 1.5 + np.array([0, 3])
        X = np.concatenate((X_inner, X_outer))
        y = np.concatenate((np.zeros(100), np.ones(100)))
        W1 = np.random.randn(2, 16)
        b1 = np.zeros((1, 16))
        W2 = np.random.randn(16, 1)
        b2 = np.zeros((1, 1))
    finally:
        np.random.set_state(saved)
    return X, y, {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def test_data_and_initial_weights_are_the_texts():
    X, y, weights = text_data_and_weights()
    X_ours, y_ours = two_clusters()
    assert np.array_equal(X, X_ours) and np.array_equal(y, y_ours)
    ours = seed_initial_weights(16)
    for key in weights:
        assert np.array_equal(weights[key], ours[key]), key


def test_sigmoid_reference_is_the_texts_cell():
    """Two epochs of the text's sigmoid cell, written out here, equal text_cells bit for bit."""
    X, y, w = text_data_and_weights()
    W1, b1, W2, b2 = (w[k].copy() for k in ("W1", "b1", "W2", "b2"))
    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    for _ in range(2):
        z1 = np.dot(X, W1) + b1
        a1 = sig(z1)
        z2 = np.dot(a1, W2) + b2
        error = y.reshape(-1, 1) - sig(z2)
        delta2 = error * (sig(z2) * (1 - sig(z2)))
        delta1 = np.dot(delta2, W2.T) * (sig(z1) * (1 - sig(z1)))
        W1 += 0.01 * np.dot(X.T, delta1)
        b1 += 0.01 * np.sum(delta1, axis=0, keepdims=True)
        W2 += 0.01 * np.dot(a1.T, delta2)
        b2 += 0.01 * np.sum(delta2, axis=0, keepdims=True)
    run = text_cells.train_sigmoid(X, y, w, 0.01, 2)
    for key, expected in {"W1": W1, "b1": b1, "W2": W2, "b2": b2}.items():
        assert np.array_equal(run.weights[key], expected), key


def test_no_activation_reference_is_the_texts_cell():
    X, y, w = text_data_and_weights()
    W1, b1, W2, b2 = (w[k].copy() for k in ("W1", "b1", "W2", "b2"))
    for _ in range(2):
        z1 = np.dot(X, W1) + b1
        error = y.reshape(-1, 1) - (np.dot(z1, W2) + b2)
        dW2 = np.dot(z1.T, error)
        db2 = np.sum(error, axis=0, keepdims=True)
        dW1 = np.dot(X.T, np.dot(error, W2.T))
        db1 = np.sum(np.dot(error, W2.T), axis=0, keepdims=True)
        W1 += 0.0001 * dW1
        b1 += 0.0001 * db1
        W2 += 0.0001 * dW2
        b2 += 0.0001 * db2
    run = text_cells.train_no_activation(X, y, w, 0.0001, 2)
    for key, expected in {"W1": W1, "b1": b1, "W2": W2, "b2": b2}.items():
        assert np.array_equal(run.weights[key], expected), key


@pytest.mark.parametrize(
    ("experiment", "epochs", "fast"),
    [(NO_ACTIVATION, 25, False), (SIGMOID_ACTIVATION, 15, False), (SIGMOID_ACTIVATION, 300, True)],
    ids=["no-activation-scalar", "sigmoid-scalar", "sigmoid-fast"],
)
def test_scalar_mlp_matches_the_texts_loop(experiment, epochs, fast, tmp_path):
    result = run_experiment(experiment, epochs=epochs, out=tmp_path, fast=fast)
    assert result.epochs == epochs and result.fast == fast
    assert (result.scalar_seconds_per_epoch is not None) == fast
    assert result.max_difference <= experiments.WEIGHT_TOLERANCE
    assert result.agrees
    ours, theirs = result.history.batch_loss, result.text.losses
    assert len(ours) == len(theirs) == epochs
    np.testing.assert_allclose(ours, theirs, rtol=LOSS_RTOL, atol=0)
    # History.loss is the loss after each epoch's update: the text's next "before" loss.
    np.testing.assert_allclose(result.history.loss[:-1], theirs[1:], rtol=LOSS_RTOL, atol=0)
    assert theirs[-1] < theirs[0]
    for path in result.figures.values():
        width, height = png_size(path)
        assert width > 300 and height > 200
    assert set(result.figures) == {"decision boundary", "loss curve"}
    text = experiments.format_result(result)
    assert f"{result.max_difference:.3e}" in text and "OK" in text
    assert ("fit(fast=True)" in text) == fast and ("scalar MLP" in text) != fast


def test_default_engines():
    assert NO_ACTIVATION.fast_by_default is False  # 1000 scalar epochs: seconds
    assert SIGMOID_ACTIVATION.fast_by_default is True  # 10000 scalar epochs: minutes


def test_grids_follow_the_texts_evaluation():
    weights = seed_initial_weights(16)
    grid = text_cells.no_activation_grid(weights, points=40)
    assert grid.values.shape == (40, 40)
    assert set(np.unique(grid.values)) <= {0.0, 1.0}
    probabilities = text_cells.sigmoid_grid(weights, points=30).values
    assert probabilities.shape == (30, 30)
    assert np.all((probabilities > 0) & (probabilities < 1))
