"""Tests for tinygrad_lite.datasets."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_lite.datasets import circles, moons, seed_initial_weights, two_clusters


def test_two_clusters_is_the_seed_data_bit_for_bit_and_leaves_global_rng_alone() -> None:
    before = np.random.get_state()
    X, y = two_clusters()
    after = np.random.get_state()
    assert before[0] == after[0] and np.array_equal(before[1], after[1]) and before[2] == after[2]
    saved = np.random.get_state()
    try:  # the notebook's own lines
        np.random.seed(0)
        X_inner = np.random.randn(100, 2) * 0.5
        X_outer = np.random.randn(100, 2) * 1.5 + np.array([0, 3])
        X_seed = np.concatenate((X_inner, X_outer))
        y_seed = np.concatenate((np.zeros(100), np.ones(100)))
        W1 = np.random.randn(2, 16)
        W2 = np.random.randn(16, 1)
    finally:
        np.random.set_state(saved)
    assert X.tobytes() == X_seed.tobytes() and X.shape == (200, 2) and X.dtype == np.float64
    assert y.tobytes() == y_seed.tobytes() and y.shape == (200,)
    weights = seed_initial_weights()
    assert weights["W1"].tobytes() == W1.tobytes()
    assert weights["W2"].tobytes() == W2.tobytes()
    assert np.array_equal(weights["b1"], np.zeros((1, 16)))
    assert np.array_equal(weights["b2"], np.zeros((1, 1)))


def test_seed_initial_weights_other_hidden_sizes() -> None:
    weights = seed_initial_weights(4)
    assert {k: v.shape for k, v in weights.items()} == {
        "W1": (2, 4),
        "b1": (1, 4),
        "W2": (4, 1),
        "b2": (1, 1),
    }
    with pytest.raises(ValueError, match="hidden_dim must be a positive integer"):
        seed_initial_weights(0)


@pytest.mark.parametrize("make", [moons, circles])
def test_generated_sets_are_reproducible_balanced_and_labelled(make: object) -> None:
    X, y = make(101, seed=3)  # type: ignore[operator]
    X_again, y_again = make(101, seed=3)  # type: ignore[operator]
    X_other, _ = make(101, seed=4)  # type: ignore[operator]
    assert X.shape == (101, 2) and y.shape == (101,)
    assert np.array_equal(X, X_again) and np.array_equal(y, y_again)
    assert not np.array_equal(X, X_other)
    assert set(np.unique(y)) == {0.0, 1.0}
    assert int(np.sum(y == 0)) == 50 and int(np.sum(y == 1)) == 51


def test_moons_without_noise_lie_on_their_half_circles() -> None:
    X, y = moons(40, noise=0.0)
    top, bottom = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(top[:, 0], top[:, 1]), 1.0, rtol=1e-15)
    assert np.all(top[:, 1] >= -1e-15)
    np.testing.assert_allclose(np.hypot(bottom[:, 0] - 1.0, bottom[:, 1] - 0.5), 1.0, rtol=1e-15)
    assert np.all(bottom[:, 1] <= 0.5 + 1e-15)


def test_circles_without_noise_have_radius_one_and_factor() -> None:
    X, y = circles(30, noise=0.0, factor=0.3)
    radii = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radii[y == 0], 1.0, rtol=1e-15)
    np.testing.assert_allclose(radii[y == 1], 0.3, rtol=1e-15)


def test_noise_has_the_requested_spread() -> None:
    X_clean, _ = circles(2000, noise=0.0)
    X_noisy, _ = circles(2000, noise=0.2, seed=1)
    spread = float(np.std(X_noisy - X_clean))
    assert 0.19 < spread < 0.21  # 4000 draws: the sample std is within 2% with near certainty


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: moons(1), "n must be an integer >= 2"),
        (lambda: moons(10, noise=-1.0), "noise must be a finite number >= 0"),
        (lambda: circles(10, factor=1.0), r"factor must be in \(0, 1\), got 1.0"),
    ],
)
def test_bad_arguments(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]
