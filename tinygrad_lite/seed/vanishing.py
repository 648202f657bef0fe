"""The appendix: vanishing gradients in a deep MLP, measured layer by layer.

A network of `DEPTH` layers (``2 -> 16 -> ... -> 16 -> 1``) with one hidden
activation (sigmoid, tanh or relu) and a sigmoid output, on the seed's
two-cluster data and loss ``L = 0.5 * sum((y - y_pred)**2)``. After ONE
backward pass, layer k's gradient magnitude is the mean of ``|dL/dW|`` over
its weights (biases left out). Layer 1 is next to the input, the last layer
next to the loss; the ratio first / last shows how much the gradient shrank
(or grew) on its way back.

Every activation starts from the same standard-normal draws, scaled per
``init``:

* ``"scaled"``: ``randn / sqrt(fan_in)`` (LeCun), which keeps pre-activations
  of order 1, so only the activation's derivative shrinks the gradient;
* ``"normal"``: the text's plain ``randn``, which saturates sigmoid and tanh
  (their derivatives near 0) and makes relu's gradients grow instead.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_lite import MLP
from tinygrad_lite.datasets import two_clusters
from tinygrad_lite.losses import squared_error
from tinygrad_lite.seed import figures
from tinygrad_lite.training import predict

ACTIVATIONS = ("sigmoid", "tanh", "relu")
INITS = ("scaled", "normal")
DEPTH = 10
WIDTH = 16
SEED = 0
FIGURE_NAME = "vanishing_gradients.png"
INIT_TITLES = {"scaled": "randn / sqrt(fan_in) init", "normal": "plain randn init (the text's)"}
SATURATED_SLOPE = 1e-6  # y_pred * (1 - y_pred) below this: the output has stopped passing gradient


def initial_weights(depth: int, width: int, init: str, seed: int) -> dict[str, np.ndarray]:
    """State dict for ``2 -> width x (depth - 1) -> 1``, drawn layer by layer from ``seed``."""
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    if depth < 2:
        raise ValueError(f"depth must be at least 2 layers, got {depth}")
    rng = np.random.RandomState(seed)
    sizes = [2, *([width] * (depth - 1)), 1]
    state = {}
    for k, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes), start=1):
        W = rng.randn(fan_in, fan_out)
        state[f"W{k}"] = W / np.sqrt(fan_in) if init == "scaled" else W
        state[f"b{k}"] = np.zeros((1, fan_out))
    return state


@dataclass(frozen=True)
class LayerGradients:
    """One backward pass: mean |dL/dW| per layer, and how saturated the output is."""

    magnitudes: list[float]
    output_slope: float
    """Mean of the output sigmoid's derivative y_pred * (1 - y_pred) over the examples:
    every gradient passes through it, so near 0 it silences all layers at once."""

    @property
    def ratio(self) -> float:
        """First layer's magnitude over the last layer's (nan when no gradient arrives at all:
        a saturated output can pass exactly 0)."""
        with np.errstate(divide="ignore", invalid="ignore"):  # IEEE: 0/0 is nan, x/0 is inf
            return float(np.float64(self.magnitudes[0]) / self.magnitudes[-1])


def layer_gradients(
    activation: str,
    *,
    init: str = "scaled",
    depth: int = DEPTH,
    width: int = WIDTH,
    examples: int = 200,
    seed: int = SEED,
) -> LayerGradients:
    """Mean |dL/dW| of each layer after one backward pass (layer 1 first)."""
    X, y = two_clusters()
    chosen = np.linspace(0, len(X) - 1, examples).round().astype(int)  # both clusters
    X, y = X[chosen], y[chosen]
    model = MLP(
        2, [width] * (depth - 1) + [1], activations=[activation] * (depth - 1) + ["sigmoid"]
    )
    model.load_state_dict(initial_weights(depth, width, init, seed))
    predictions = predict(model, X.tolist())
    loss = squared_error(predictions, y)
    loss.backward()
    magnitudes = []
    for layer in model.layers:
        grads = [abs(w.grad) for neuron in layer.neurons for w in neuron.w]
        magnitudes.append(float(np.mean(grads)))
    slope = float(np.mean([p.data * (1 - p.data) for p in predictions]))
    return LayerGradients(magnitudes, slope)


@dataclass(frozen=True)
class VanishingResult:
    """Per-layer gradients for each activation, under one initialisation."""

    init: str
    layers: dict[str, LayerGradients]


def measure(
    *,
    init: str = "scaled",
    activations: Sequence[str] = ACTIVATIONS,
    depth: int = DEPTH,
    width: int = WIDTH,
    examples: int = 200,
) -> VanishingResult:
    """`layer_gradients` for every activation, from the same initial draws."""
    return VanishingResult(
        init,
        {
            a: layer_gradients(a, init=init, depth=depth, width=width, examples=examples)
            for a in activations
        },
    )


def _trend(ratio: float) -> str:
    if math.isnan(ratio) or math.isinf(ratio):
        return "no gradient reaches the last layer, so the ratio is undefined"
    if ratio < 0.1:
        return f"vanishes: layer 1 gets {1 / ratio:.3g}x less gradient than the last layer"
    if ratio > 10:
        return f"explodes: layer 1 gets {ratio:.3g}x more gradient than the last layer"
    return f"stays within 10x from the last layer to layer 1 (first/last {ratio:.3g})"


def format_table(result: VanishingResult) -> str:
    """The per-layer table, the first/last ratios and one line per activation."""
    names = list(result.layers)
    depth = len(result.layers[names[0]].magnitudes)
    lines = [
        f"Mean |dL/dW| per layer after one backward pass, {INIT_TITLES[result.init]} "
        "(layer 1 = input side)",
        "  layer      " + "".join(f"{name:>14}" for name in names),
    ]
    for k in range(depth):
        row = "".join(f"{result.layers[n].magnitudes[k]:>14.3e}" for n in names)
        lines.append(f"  {k + 1:>5}      {row}")
    lines.append("  first/last " + "".join(f"{result.layers[n].ratio:>14.3e}" for n in names))
    lines.append(
        "  out slope  " + "".join(f"{result.layers[n].output_slope:>14.3e}" for n in names)
    )
    for n in names:
        layer = result.layers[n]
        note = ""
        if layer.output_slope < SATURATED_SLOPE:
            note = " (the output sigmoid is saturated, so every layer's gradient is tiny)"
        lines.append(f"  {n}: {_trend(layer.ratio)}{note}")
    return "\n".join(lines)


def run(out: str | Path | None = None, *, examples: int = 200) -> tuple[list[VanishingResult], str]:
    """Both initialisations, their tables as text, and the log-scale figure in ``out``."""
    results = [measure(init=init, examples=examples) for init in INITS]
    text = "\n\n".join(format_table(result) for result in results)
    if out is not None:
        path = figures.gradient_magnitudes(
            {f"{r.init} init": {n: g.magnitudes for n, g in r.layers.items()} for r in results},
            f"Gradient magnitude per layer, {DEPTH}-layer MLP, one backward pass",
            Path(out) / FIGURE_NAME,
        )
        text += f"\n\nfigure: {path}"
    return results, text


def results_json(results: list[VanishingResult], out: Path | None) -> dict[str, Any]:
    """The measurements as plain data for ``--json``."""
    data: dict[str, Any] = {
        r.init: {
            name: {
                "magnitudes": g.magnitudes,
                "first_over_last": g.ratio,
                "output_slope": g.output_slope,
            }
            for name, g in r.layers.items()
        }
        for r in results
    }
    data["depth"] = DEPTH
    data["width"] = WIDTH
    if out is not None:
        data["figure"] = str(out / FIGURE_NAME)
    return data
