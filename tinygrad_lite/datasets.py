"""Small 2-D classification data sets, returned as NumPy arrays ``(X, y)``.

``X`` has shape ``(n, 2)`` and ``y`` shape ``(n,)`` with labels 0.0 and 1.0,
both float64. None of these functions touches NumPy's global random state.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from tinygrad_lite.checks import finite_number, integer, number_in, positive_integer

Array = npt.NDArray[np.float64]

SEED_NOTEBOOK_SEED = 0


def _seed_stream() -> np.random.RandomState:
    """A private RandomState in the state ``np.random.seed(0)`` puts the global one in."""
    return np.random.RandomState(SEED_NOTEBOOK_SEED)


def _draw_two_clusters(stream: np.random.RandomState) -> tuple[Array, Array]:
    inner = stream.randn(100, 2) * 0.5
    outer = stream.randn(100, 2) * 1.5 + np.array([0, 3])
    X = np.concatenate((inner, outer))
    y = np.concatenate((np.zeros(100), np.ones(100)))
    return X, y


def two_clusters() -> tuple[Array, Array]:
    """The seed notebook's data, bit for bit: 100 points ``randn * 0.5`` around the
    origin (label 0) then 100 points ``randn * 1.5 + [0, 3]`` (label 1), drawn
    after ``np.random.seed(0)``."""
    return _draw_two_clusters(_seed_stream())


def seed_initial_weights(hidden_dim: int = 16) -> dict[str, Array]:
    """The seed notebook's initial weights for its ``2-hidden_dim-1`` network.

    The notebook draws them from the same stream right after the data:
    ``W1 = randn(2, hidden_dim)``, ``b1 = zeros((1, hidden_dim))``,
    ``W2 = randn(hidden_dim, 1)``, ``b2 = zeros((1, 1))``. The result is a
    state dict: ``MLP(2, [hidden_dim, 1]).load_state_dict(seed_initial_weights())``
    starts the scalar network where the notebook's NumPy loop starts.
    """
    hidden_dim = positive_integer("hidden_dim", hidden_dim)
    stream = _seed_stream()
    _draw_two_clusters(stream)  # advance past the data, as the notebook does
    W1 = stream.randn(2, hidden_dim)
    b1 = np.zeros((1, hidden_dim))
    W2 = stream.randn(hidden_dim, 1)
    b2 = np.zeros((1, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def _check_common(n: int, noise: float) -> None:
    integer("n", n, 2)
    finite_number("noise", noise, minimum=0.0)


def moons(n: int = 200, *, noise: float = 0.1, seed: int | None = 0) -> tuple[Array, Array]:
    """Two interleaving half circles.

    Class 0: ``(cos t, sin t)`` for ``n // 2`` angles t evenly spaced in [0, pi];
    class 1: ``(1 - cos t, 0.5 - sin t)`` for the other ``n - n // 2``. Then
    Gaussian noise of standard deviation ``noise`` is added to every
    coordinate, from ``np.random.default_rng(seed)``.
    """
    _check_common(n, noise)
    n_top = n // 2
    n_bottom = n - n_top
    t_top = np.linspace(0.0, math.pi, n_top)
    t_bottom = np.linspace(0.0, math.pi, n_bottom)
    top = np.column_stack((np.cos(t_top), np.sin(t_top)))
    bottom = np.column_stack((1.0 - np.cos(t_bottom), 0.5 - np.sin(t_bottom)))
    X = np.concatenate((top, bottom))
    X = X + np.random.default_rng(seed).normal(0.0, noise, size=X.shape)
    y = np.concatenate((np.zeros(n_top), np.ones(n_bottom)))
    return X, y


def circles(
    n: int = 200, *, noise: float = 0.05, factor: float = 0.5, seed: int | None = 0
) -> tuple[Array, Array]:
    """A small circle (radius ``factor``, label 1) inside a unit circle (label 0).

    ``n // 2`` points on the outer circle and ``n - n // 2`` on the inner one, at
    evenly spaced angles in [0, 2 pi), plus Gaussian noise of standard
    deviation ``noise`` from ``np.random.default_rng(seed)``.
    """
    _check_common(n, noise)
    number_in("factor", factor, 0.0, 1.0, low_open=True, high_open=True)
    n_outer = n // 2
    n_inner = n - n_outer
    t_outer = np.linspace(0.0, 2 * math.pi, n_outer, endpoint=False)
    t_inner = np.linspace(0.0, 2 * math.pi, n_inner, endpoint=False)
    outer = np.column_stack((np.cos(t_outer), np.sin(t_outer)))
    inner = factor * np.column_stack((np.cos(t_inner), np.sin(t_inner)))
    X = np.concatenate((outer, inner))
    X = X + np.random.default_rng(seed).normal(0.0, noise, size=X.shape)
    y = np.concatenate((np.zeros(n_outer), np.ones(n_inner)))
    return X, y
