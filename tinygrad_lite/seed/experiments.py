"""The seed notebook's two 2-D experiments, trained with tinygrad_lite's scalar `MLP`.

Both start from the text's data and initial weights (``np.random.seed(0)``,
the two clusters, then ``W1 = randn(2, 16)``, ``b1 = 0``, ``W2 = randn(16, 1)``,
``b2 = 0``), train full-batch with plain gradient descent on the text's loss
``L = 0.5 * sum((y - y_pred)**2)`` (`fit` with ``"squared_error"`` and `SGD`),
and are checked against the text's NumPy cell run side by side
(`tinygrad_lite.seed.text_cells`): after training every weight must agree to
`WEIGHT_TOLERANCE`.

* no activation: ``linear`` hidden and output layers, lr 1e-4, 1000 epochs;
* sigmoid: ``sigmoid`` hidden and output layers, lr 0.01, 10000 epochs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_lite import MLP, SGD, History, fit
from tinygrad_lite.datasets import seed_initial_weights, two_clusters
from tinygrad_lite.seed import figures, text_cells
from tinygrad_lite.seed.text_cells import Grid, TextRun, Weights
from tinygrad_lite.training import LossSpec

WEIGHT_TOLERANCE = 1e-9
"""Largest allowed |tinygrad_lite weight - text's NumPy weight| after training."""

HIDDEN_DIM = 16


@dataclass(frozen=True)
class Experiment:
    """One of the text's training cells: network, learning rate, epochs, plot."""

    name: str
    title: str
    activation: str
    fast_by_default: bool
    lr: float
    epochs: int
    text_train: Callable[[np.ndarray, np.ndarray, Weights, float, int], TextRun]
    grid: Callable[[Weights], Grid]


NO_ACTIVATION = Experiment(
    name="no_activation",
    title="Neural network coordinate transformation without activation function",
    activation="linear",
    fast_by_default=False,  # 1000 scalar epochs take about 20 s
    lr=text_cells.NO_ACTIVATION_LR,
    epochs=text_cells.NO_ACTIVATION_EPOCHS,
    text_train=text_cells.train_no_activation,
    grid=text_cells.no_activation_grid,
)
SIGMOID_ACTIVATION = Experiment(
    name="sigmoid_activation",
    title="Neural network coordinate transformation",
    activation="sigmoid",
    fast_by_default=True,  # 10000 scalar epochs take about 6-9 minutes
    lr=text_cells.SIGMOID_LR,
    epochs=text_cells.SIGMOID_EPOCHS,
    text_train=text_cells.train_sigmoid,
    grid=text_cells.sigmoid_grid,
)
EXPERIMENTS = {e.name: e for e in (NO_ACTIVATION, SIGMOID_ACTIVATION)}


@dataclass
class ExperimentResult:
    """tinygrad_lite's run next to the text's, and the figures drawn from it."""

    experiment: Experiment
    epochs: int
    weights: Weights
    history: History
    seconds: float
    text: TextRun
    text_seconds: float
    fast: bool = False
    scalar_seconds_per_epoch: float | None = None
    """With the fast path: the scalar engine's time per epoch, measured on a short run."""
    figures: dict[str, Path] = field(default_factory=dict)

    @property
    def max_difference(self) -> float:
        """Largest |tinygrad_lite weight - text's weight| over every weight."""
        return max(
            float(np.max(np.abs(self.weights[key] - self.text.weights[key])))
            for key in self.weights
        )

    @property
    def agrees(self) -> bool:
        return self.max_difference <= WEIGHT_TOLERANCE


def train(
    activation: str,
    lr: float,
    epochs: int,
    *,
    hidden_dim: int = HIDDEN_DIM,
    batch_size: int | None = None,
    shuffle_seed: int | None = None,
    loss: LossSpec = "squared_error",
    fast: bool = False,
) -> tuple[MLP, History]:
    """The text's 2-hidden_dim-1 network from its initial weights, trained with `fit`.

    ``batch_size=None`` is the text's full batch; smaller batches are visited
    in a fresh random order each epoch drawn from ``shuffle_seed``."""
    X, y = two_clusters()
    model = MLP(2, [hidden_dim, 1], activations=activation)
    model.load_state_dict(seed_initial_weights(hidden_dim))
    history = fit(
        model,
        X,
        y,
        loss=loss,
        optimizer=SGD(model.parameters(), lr=lr),
        epochs=epochs,
        batch_size=batch_size,
        shuffle=batch_size is not None,
        seed=shuffle_seed,
        fast=fast,
    )
    return model, history


SCALAR_PROBE_EPOCHS = 10
"""With the fast path, the scalar engine is timed over this many epochs to say what
the whole run would take without it."""


def run_experiment(
    experiment: Experiment,
    *,
    epochs: int | None = None,
    out: str | Path | None = None,
    fast: bool | None = None,
) -> ExperimentResult:
    """Train with tinygrad_lite and with the text's NumPy cell; draw the figures into ``out``.

    ``fast=None`` takes the experiment's default: the scalar engine for the
    1000-epoch run, `fit`'s traced NumPy replay (``fast=True``, the same updates
    to ~1e-15 per step) for the 10000-epoch one."""
    epochs = experiment.epochs if epochs is None else epochs
    fast = experiment.fast_by_default if fast is None else fast
    X, y = two_clusters()
    scalar_seconds_per_epoch = None
    if fast:
        probe = min(SCALAR_PROBE_EPOCHS, epochs)
        start = time.perf_counter()
        train(experiment.activation, experiment.lr, probe)
        scalar_seconds_per_epoch = (time.perf_counter() - start) / probe
    start = time.perf_counter()
    model, history = train(experiment.activation, experiment.lr, epochs, fast=fast)
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    text = experiment.text_train(X, y, seed_initial_weights(HIDDEN_DIM), experiment.lr, epochs)
    text_seconds = time.perf_counter() - start
    result = ExperimentResult(
        experiment,
        epochs,
        model.state_dict(),
        history,
        seconds,
        text,
        text_seconds,
        fast,
        scalar_seconds_per_epoch,
    )
    if out is not None:
        out = Path(out)
        result.figures["decision boundary"] = figures.decision_boundary(
            X,
            y,
            experiment.grid(result.weights),
            f"{experiment.title}\n(tinygrad_lite, {epochs} epochs)",
            out / f"{experiment.name}_boundary.png",
        )
        result.figures["loss curve"] = figures.loss_curves(
            {_engine_label(fast): history.batch_loss},
            f"{experiment.name.replace('_', ' ')}: loss before each update (lr={experiment.lr:g})",
            out / f"{experiment.name}_loss.png",
            reference={"text's NumPy loop": text.losses},
        )
    return result


def _engine_label(fast: bool) -> str:
    return "tinygrad_lite MLP, fit(fast=True)" if fast else "tinygrad_lite scalar MLP"


def format_result(result: ExperimentResult) -> str:
    """What the demo prints: timings, the side-by-side check, loss and accuracy."""
    e = result.experiment
    verdict = "OK" if result.agrees else "FAILED"
    losses = result.history.batch_loss
    lines = [
        f"{e.title} ({e.name})",
        f"  2-{HIDDEN_DIM}-1 network, {e.activation} activations, lr={e.lr:g}, "
        f"{result.epochs} epochs, full batch, loss 0.5 * sum((y - y_pred)**2)",
    ]
    if result.fast:
        lines.append(
            f"  tinygrad_lite MLP, fit(fast=True) (traced graph replayed with NumPy): "
            f"{result.seconds:.2f} s wall time"
        )
        if result.scalar_seconds_per_epoch is not None:
            per_epoch = result.scalar_seconds_per_epoch
            lines.append(
                f"  (the scalar engine takes {per_epoch * 1000:.0f} ms per epoch here, measured "
                f"over {min(SCALAR_PROBE_EPOCHS, result.epochs)} epochs: about "
                f"{per_epoch * result.epochs:.0f} s for {result.epochs} epochs)"
            )
    else:
        lines.append(f"  tinygrad_lite scalar MLP: {result.seconds:.2f} s wall time")
    lines += [
        f"  text's NumPy loop: {result.text_seconds:.3f} s wall time",
        f"  largest |weight difference| vs the text's loop: {result.max_difference:.3e} "
        f"(tolerance {WEIGHT_TOLERANCE:g}): {verdict}",
    ]
    if losses:
        lines.append(f"  loss: {losses[0]:.6g} at epoch 1 -> {result.history.loss[-1]:.6g} after")
    if result.history.accuracy:
        lines.append(f"  training accuracy after the last epoch: {result.history.accuracy[-1]:.1%}")
    for kind, path in result.figures.items():
        lines.append(f"  {kind}: {path}")
    return "\n".join(lines)


def result_json(result: ExperimentResult) -> dict[str, Any]:
    """The result as plain data for ``--json``."""
    e = result.experiment
    history = result.history
    return {
        "name": e.name,
        "activation": e.activation,
        "lr": e.lr,
        "epochs": result.epochs,
        "fast": result.fast,
        "seconds": result.seconds,
        "scalar_seconds_per_epoch": result.scalar_seconds_per_epoch,
        "text_seconds": result.text_seconds,
        "max_difference": result.max_difference,
        "tolerance": WEIGHT_TOLERANCE,
        "agrees": result.agrees,
        "loss_first": history.batch_loss[0] if history.batch_loss else None,
        "loss_last": history.loss[-1] if history.loss else None,
        "accuracy": history.accuracy[-1] if history.accuracy else None,
        "figures": {kind: str(path) for kind, path in result.figures.items()},
    }
