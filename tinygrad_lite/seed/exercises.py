"""The seed notebook's exercises, answered with runs of the scalar `MLP`.

Every run starts from the text's data and initial weights (drawn in the
text's order from ``np.random.seed(0)``) and trains the text's sigmoid
2-h-1 network on ``0.5 * sum((y - y_pred)**2)`` with plain gradient descent;
mini-batches are visited in an order drawn from ``seed``, so every run is
reproducible. Each exercise returns its numbers, a figure and a two-line
observation computed from those numbers.

1. epochs: 10 epochs against the text's full 10000;
2. learning rate: a sweep over `LEARNING_RATES`;
3. hidden layer size: `HIDDEN_SIZES`;
4. mini-batches, keeping the training history (loss at the end of each epoch);
5. batch size: `BATCH_SIZES` and their loss curves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_lite import History, Value
from tinygrad_lite.datasets import two_clusters
from tinygrad_lite.losses import squared_error
from tinygrad_lite.seed import figures, text_cells
from tinygrad_lite.seed.experiments import SIGMOID_ACTIVATION, train

LR = SIGMOID_ACTIVATION.lr
FULL_EPOCHS = SIGMOID_ACTIVATION.epochs
SHORT_EPOCHS = 10
SWEEP_EPOCHS = 2000
LEARNING_RATES = (0.001, 0.01, 0.1, 0.5)
HIDDEN_SIZES = (1, 2, 4, 16, 64)
MINI_BATCH = 20
BATCH_SIZES = (200, 50, 10, 1)
BATCH_EPOCHS = 200


@dataclass
class ExerciseResult:
    """An exercise's numbers (by run label), its observation and its figures."""

    name: str
    question: str
    runs: dict[str, History]
    observation: tuple[str, str]
    figures: dict[str, Path] = field(default_factory=dict)

    def format(self) -> str:
        lines = [f"{self.name}: {self.question}", *(f"  {line}" for line in self.observation)]
        lines += [f"  figure: {path}" for path in self.figures.values()]
        return "\n".join(lines)


def _final(history: History) -> float:
    return history.loss[-1]


def _accuracy(history: History) -> float:
    return history.accuracy[-1] if history.accuracy else float("nan")


def epochs_exercise(
    out: Path | None, *, full_epochs: int = FULL_EPOCHS, fast: bool = False
) -> ExerciseResult:
    """Exercise 1: what 10 epochs give compared with the full run."""
    X, y = two_clusters()
    runs, grids = {}, {}
    for epochs in (SHORT_EPOCHS, full_epochs):
        model, history = train("sigmoid", LR, epochs, fast=fast)
        runs[f"{epochs} epochs"] = history
        grids[f"{epochs} epochs"] = text_cells.sigmoid_grid(model.state_dict())
    short, full = runs[f"{SHORT_EPOCHS} epochs"], runs[f"{full_epochs} epochs"]
    start = full.batch_loss[0]
    observation = (
        f"After {SHORT_EPOCHS} epochs the loss is {_final(short):.4g} with "
        f"{_accuracy(short):.1%} of the points classified right; after {full_epochs} it is "
        f"{_final(full):.4g} with {_accuracy(full):.1%}.",
        f"{SHORT_EPOCHS} full-batch updates remove {1 - _final(short) / start:.0%} of the "
        f"starting loss {start:.4g}, the full run {1 - _final(full) / start:.0%}: the first "
        "updates are the big ones, the rest refine the boundary's shape.",
    )
    result = ExerciseResult("epochs", "what happens with 10 epochs?", runs, observation)
    if out is not None:
        result.figures["boundaries"] = figures.boundary_panels(
            X,
            y,
            grids,
            "Exercise 1: decision boundary after 10 epochs and after the full run",
            out / "exercise_epochs.png",
        )
    return result


def learning_rate_exercise(
    out: Path | None, *, epochs: int = SWEEP_EPOCHS, fast: bool = False
) -> ExerciseResult:
    """Exercise 2: a sweep over learning rates, loss curves side by side."""
    runs = {}
    for lr in LEARNING_RATES:
        _, runs[f"lr={lr:g}"] = train("sigmoid", lr, epochs, fast=fast)
    finals = {label: _final(h) for label, h in runs.items()}
    best = min(finals, key=finals.__getitem__)
    rising = [label for label, h in runs.items() if np.any(np.diff(h.loss) > 0)]
    observation = (
        f"Loss after {epochs} epochs: "
        + ", ".join(f"{label}: {loss:.4g}" for label, loss in finals.items())
        + f"; {best} ends lowest.",
        (
            f"The loss went up at some epochs with {', '.join(rising)} (steps overshoot the "
            "valley); "
            if rising
            else "The loss fell at every epoch for every rate; "
        )
        + f"the smallest rate, lr={min(LEARNING_RATES):g}, is the slowest to learn.",
    )
    result = ExerciseResult(
        "learning rate", "what changes with the learning rate?", runs, observation
    )
    if out is not None:
        result.figures["loss"] = figures.loss_curves(
            {label: h.loss for label, h in runs.items()},
            "Exercise 2: loss per epoch for several learning rates",
            out / "exercise_learning_rate.png",
        )
    return result


def hidden_size_exercise(
    out: Path | None, *, epochs: int = SWEEP_EPOCHS, fast: bool = False
) -> ExerciseResult:
    """Exercise 3: hidden layer sizes, their boundaries and final losses."""
    X, y = two_clusters()
    runs, grids = {}, {}
    for size in HIDDEN_SIZES:
        model, history = train("sigmoid", LR, epochs, hidden_dim=size, fast=fast)
        runs[f"{size} hidden"] = history
        grids[f"{size} hidden: loss {_final(history):.3g}"] = text_cells.sigmoid_grid(
            model.state_dict()
        )
    finals = {label: _final(h) for label, h in runs.items()}
    best = min(finals, key=finals.__getitem__)
    observation = (
        f"Loss after {epochs} epochs: "
        + ", ".join(
            f"{label}: {loss:.4g} ({_accuracy(runs[label]):.1%} right)"
            for label, loss in finals.items()
        )
        + ".",
        f"{best} ends lowest. The boundary is built from one sigmoid edge per hidden unit "
        "(with 1 unit it is a straight line), so more units let it bend around the inner cluster.",
    )
    result = ExerciseResult(
        "hidden size", "what changes with the hidden layer size?", runs, observation
    )
    if out is not None:
        result.figures["boundaries"] = figures.boundary_panels(
            X,
            y,
            grids,
            f"Exercise 3: hidden layer sizes after {epochs} epochs",
            out / "exercise_hidden_size.png",
        )
    return result


def mini_batch_exercise(
    out: Path | None, *, epochs: int = BATCH_EPOCHS, seed: int = 0, fast: bool = False
) -> ExerciseResult:
    """Advanced 1-2: training in mini-batches, recording the loss after every epoch.

    `fit` keeps both histories: ``History.loss``, the whole-set loss at the end of
    each epoch, and ``History.batch_loss``, each batch's own loss before its update
    (scaled here by n / batch to the whole-set size)."""
    n = len(two_clusters()[0])
    runs = {}
    _, runs[f"batches of {MINI_BATCH}"] = train(
        "sigmoid", LR, epochs, batch_size=MINI_BATCH, shuffle_seed=seed, fast=fast
    )
    _, runs["full batch"] = train("sigmoid", LR, epochs, fast=fast)
    mini, full = runs[f"batches of {MINI_BATCH}"], runs["full batch"]
    updates = mini.updates[0]
    scaled = [loss * n / MINI_BATCH for loss in mini.batch_loss]
    last_epoch = scaled[-updates:]
    observation = (
        f"With batches of {MINI_BATCH} ({updates} updates per epoch, shuffled from seed {seed}) "
        f"the whole-set loss is {mini.loss[0]:.4g} after epoch 1 and {_final(mini):.4g} after "
        f"{epochs} (full batch: {full.loss[0]:.4g} and {_final(full):.4g}).",
        f"In the last epoch the batches' own losses, scaled to the whole set, range from "
        f"{min(last_epoch):.4g} to {max(last_epoch):.4g} around the whole-set {_final(mini):.4g}: "
        "each update follows a noisy estimate of the full gradient.",
    )
    result = ExerciseResult(
        "mini-batches", "train in batches and record the history", runs, observation
    )
    if out is not None:
        result.figures["history"] = figures.training_history(
            {label: h.loss for label, h in runs.items()},
            scaled,
            updates,
            f"Advanced exercise: training history, batches of {MINI_BATCH}",
            out / "exercise_mini_batches.png",
        )
    return result


def _mean_squared_error(predictions: list[Value], targets: list[float]) -> Value:
    """0.5 * mean((y - y_pred)**2) over the batch: the summed loss divided by the batch size."""
    return squared_error(predictions, targets) / len(predictions)


def batch_size_exercise(
    out: Path | None, *, epochs: int = BATCH_EPOCHS, seed: int = 0, fast: bool = False
) -> ExerciseResult:
    """Advanced 3: how the loss curve changes with the batch size.

    Run twice: with the text's summed loss, and with the mean over the batch at
    ``lr * n`` (identical to the text's run for the full batch). Both curves are
    the whole-set loss 0.5 * sum((y - y_pred)**2) at the end of each epoch."""
    n = len(two_clusters()[0])
    summed: dict[str, History] = {}
    mean: dict[str, History] = {}
    for size in BATCH_SIZES:
        _, summed[f"batch {size}"] = train(
            "sigmoid", LR, epochs, batch_size=size, shuffle_seed=seed, fast=fast
        )
        _, history = train(
            "sigmoid",
            LR * n,
            epochs,
            batch_size=size,
            shuffle_seed=seed,
            loss=_mean_squared_error,
            fast=fast,
        )
        history.loss = [loss * n for loss in history.loss]  # back to the summed scale
        mean[f"batch {size}"] = history
    summed_finals = ", ".join(f"{label}: {_final(h):.4g}" for label, h in summed.items())
    mean_finals = ", ".join(f"{label}: {_final(h):.4g}" for label, h in mean.items())
    spread = max(_final(h) for h in summed.values()) / min(_final(h) for h in summed.values())
    observation = (
        f"Text's summed loss, lr={LR:g}, after {epochs} epochs: {summed_finals} "
        f"(largest / smallest = {spread:.4f}): a summed batch gradient is smaller for a "
        "smaller batch, so an epoch moves the weights about as far whatever the batch size.",
        f"Mean loss, lr={LR * n:g}: {mean_finals}: every update is now full size, so smaller "
        "batches go further per epoch; epochs where the loss went up: "
        + ", ".join(f"{k}: {int(np.sum(np.diff(h.loss) > 0))}" for k, h in mean.items())
        + ".",
    )
    runs = {f"summed, {k}": h for k, h in summed.items()} | {
        f"mean, {k}": h for k, h in mean.items()
    }
    result = ExerciseResult(
        "batch size", "how does the loss change with the batch size?", runs, observation
    )
    if out is not None:
        result.figures["loss"] = figures.curve_panels(
            {
                f"summed loss (the text's), lr={LR:g}": {k: h.loss for k, h in summed.items()},
                f"mean loss, lr={LR * n:g}": {k: h.loss for k, h in mean.items()},
            },
            "Advanced exercise: whole-set loss per epoch for several batch sizes",
            out / "exercise_batch_size.png",
            xlabel="epoch",
            ylabel="loss 0.5 * sum((y - y_pred)**2)",
        )
    return result


EXERCISES: dict[str, Callable[..., ExerciseResult]] = {
    "epochs": epochs_exercise,
    "learning_rate": learning_rate_exercise,
    "hidden_size": hidden_size_exercise,
    "mini_batches": mini_batch_exercise,
    "batch_size": batch_size_exercise,
}


@dataclass(frozen=True)
class ExerciseSettings:
    """Epoch counts and the mini-batch seed for one run of all exercises."""

    full_epochs: int = FULL_EPOCHS
    sweep_epochs: int = SWEEP_EPOCHS
    batch_epochs: int = BATCH_EPOCHS
    seed: int = 0
    fast: bool = False


def run_all(
    out: Path | None, settings: ExerciseSettings = ExerciseSettings()
) -> list[ExerciseResult]:
    """Every exercise in the text's order."""
    fast = settings.fast
    return [
        epochs_exercise(out, full_epochs=settings.full_epochs, fast=fast),
        learning_rate_exercise(out, epochs=settings.sweep_epochs, fast=fast),
        hidden_size_exercise(out, epochs=settings.sweep_epochs, fast=fast),
        mini_batch_exercise(out, epochs=settings.batch_epochs, seed=settings.seed, fast=fast),
        batch_size_exercise(out, epochs=settings.batch_epochs, seed=settings.seed, fast=fast),
    ]


def result_json(result: ExerciseResult) -> dict[str, Any]:
    """An exercise as plain data for ``--json``."""
    return {
        "name": result.name,
        "question": result.question,
        "observation": list(result.observation),
        "final_loss": {label: h.loss[-1] for label, h in result.runs.items()},
        "figures": {kind: str(path) for kind, path in result.figures.items()},
    }
