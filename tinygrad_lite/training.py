"""`fit`: train a scalar network on NumPy arrays, epoch by epoch, and keep a `History`.

One epoch walks the examples in batches (the whole set when ``batch_size`` is
None, the seed notebook's full-batch gradient descent). Each batch runs one
*batch step*: zero the gradients, forward every example, the loss over the
batch, ``backward()``, ``optimizer.step()``. After the epoch's updates, the
loss (and accuracy) over the whole training set is computed under `no_grad`
and appended to the history, as the seed's exercise asks ("compute and store
the loss at the end of each epoch"). That costs one extra forward pass per
epoch, and makes epochs of different batch sizes comparable.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from tinygrad_lite.checks import (
    finite_number,
    non_negative_integer,
    optional_integer,
    too_large_error,
)
from tinygrad_lite.losses import LOSSES, bce_with_logits
from tinygrad_lite.nn import Module
from tinygrad_lite.optim import SGD, Optimizer
from tinygrad_lite.trace import Traced, TraceError, trace
from tinygrad_lite.value import Value, no_grad

LossSpec = str | Callable[..., Value]
"""A loss by name (see `tinygrad_lite.losses.LOSSES`) or ``loss(predictions, targets) -> Value``."""

BatchStep = Callable[[list[list[float]], list[float]], float]
"""One update: ``step(input_rows, flat_targets) -> batch loss`` (before the update)."""


@dataclass
class History:
    """What `fit` recorded, one entry per epoch.

    Attributes:
        loss: the loss over the whole training set after each epoch's updates.
        accuracy: the fraction of examples classified right after each epoch
            (None when the task is not binary classification).
        batch_loss: the loss of every batch, computed just before its update.
        updates: how many optimizer updates each epoch made (``ceil(n / batch_size)``).
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] | None = None
    batch_loss: list[float] = field(default_factory=list)
    updates: list[int] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        """How many epochs were run."""
        return len(self.loss)


def _outputs(model: Module, row: Sequence[float] | Sequence[Value]) -> list[Value]:
    """The model's outputs for one example, always as a list."""
    out = model(row)
    return [out] if isinstance(out, Value) else out


def predict(model: Module, rows: Sequence[Sequence[float]]) -> list[Value]:
    """Every output for every example, flattened row by row (``(n, n_out)`` in C order)."""
    predictions: list[Value] = []
    for row in rows:
        predictions.extend(_outputs(model, row))
    return predictions


def make_batch_step(model: Module, loss: Callable[..., Value], optimizer: Optimizer) -> BatchStep:
    """The plain per-batch step: forward, loss, backward, update, on the scalar engine.

    `fit` obtains its step from here; a faster implementation of the same
    contract (same arguments, same updates, returns the batch loss) can be
    put in its place without touching the epoch loop."""

    def batch_step(rows: list[list[float]], targets: list[float]) -> float:
        optimizer.zero_grad()
        batch_loss = loss(predict(model, rows), targets)
        if not isinstance(batch_loss, Value):
            raise TypeError(
                f"the loss function returned {type(batch_loss).__qualname__}, not a Value"
            )
        batch_loss.backward()
        optimizer.step()
        return batch_loss.data

    return batch_step


class TracedSteps:
    """``fit(..., fast=True)``: the same batch steps, replayed with `tinygrad_lite.trace`.

    One example's graph, ``[loss([model(x)], y), *model(x)]``, is traced on every
    training example (so any data-dependent path is refused up front), then each
    batch is one batched forward and backward over NumPy arrays. The loss must
    be a sum or a mean of per-example terms (every loss in `LOSSES` is); which
    one is found by probing the loss with two made-up examples.
    Parameters follow the scalar engine's to about 1e-15 relative per step.
    """

    def __init__(
        self,
        model: Module,
        loss: Callable[..., Value],
        optimizer: Optimizer,
        X: npt.NDArray[np.float64],
        y: npt.NDArray[np.float64],
    ) -> None:
        self.model = model
        self.loss = loss
        self.optimizer = optimizer
        self.n_in = model.n_in
        self.examples = np.column_stack((X, y))  # inputs, then targets, per row
        self.targets = y
        self.traced = self._trace_all()
        self.mean = self._is_mean_loss()
        # Full-batch training: the evaluation after an epoch's update is exactly the next
        # epoch's forward (same parameters, same rows), so it is done once (one forward
        # per epoch instead of two).
        self._whole_set = list(range(len(self.examples)))
        self._last_evaluation: npt.NDArray[np.float64] = np.zeros((0, 0))
        self._evaluated_at_step: int | None = None

    def _example(self, values: list[Value]) -> list[Value]:
        outputs = _outputs(self.model, values[: self.n_in])
        return [self.loss(outputs, values[self.n_in :]), *outputs]

    def _trace_all(self) -> Traced:
        try:
            return trace(self._example, self.examples)
        except TraceError as error:
            raise TraceError(f"fit(fast=True) cannot trace this model and loss: {error}") from None

    def _is_mean_loss(self) -> bool:
        """True if the loss averages its per-example terms, False if it sums them.

        Probed on the first two examples' targets with made-up predictions whose
        losses are non-zero (with zero losses, sum and mean cannot be told apart).
        """
        if len(self.examples) < 2:
            return False  # one example: sum and mean agree
        targets = [row[self.n_in :] for row in self.examples[:2].tolist()]
        n_out = len(targets[0])
        for first, second in ((0.3, 0.6), (0.2, 0.7), (0.45, 0.15)):  # valid probabilities too
            guesses = [[Value(first)] * n_out, [Value(second)] * n_out]
            with no_grad():
                per_example = [self.loss(g, t).data for g, t in zip(guesses, targets, strict=True)]
                pair = self.loss(guesses[0] + guesses[1], targets[0] + targets[1]).data
            summed = per_example[0] + per_example[1]
            if summed == 0.0 or not np.isfinite(summed):
                continue  # these guesses cannot tell sum from mean; try others
            if np.isclose(pair, summed, rtol=1e-12, atol=0.0):
                return False
            if np.isclose(pair, summed / 2.0, rtol=1e-12, atol=0.0):
                return True
            raise TraceError(
                "fit(fast=True) needs a loss that is a sum or a mean of per-example terms; "
                f"this loss gives {pair!r} for two examples whose own losses add up to {summed!r}"
            )
        raise TraceError(
            "fit(fast=True) could not tell whether this loss sums or averages its examples "
            "(it was zero or not finite for every probe); train with fast=False"
        )

    def _batch_loss(self, example_losses: npt.NDArray[np.float64]) -> float:
        total_loss = float(example_losses.sum())
        return total_loss / len(example_losses) if self.mean else total_loss

    def step(self, batch: list[int]) -> float:
        """One update on the examples ``batch``; returns the batch loss before it."""
        self.optimizer.zero_grad()
        if self._whole_set_forward_is_current(batch):
            outputs = self._last_evaluation  # the same parameters and rows: reuse that forward
        else:
            outputs = self.traced.forward(self.examples[batch])
        self._evaluated_at_step = None
        example_losses = outputs[:, 0]
        weights = np.zeros_like(outputs)
        weights[:, 0] = 1.0 / len(batch) if self.mean else 1.0  # d(batch loss)/d(example loss)
        self.traced.backward(weights, input_grads=False)
        self.optimizer.step()
        return self._batch_loss(example_losses)

    def _whole_set_forward_is_current(self, batch: list[int]) -> bool:
        return self._evaluated_at_step == self.optimizer.steps and batch == self._whole_set

    def evaluate(self, threshold: float | None) -> tuple[float, float | None]:
        """``(loss, accuracy)`` over the whole training set, like `evaluate`."""
        outputs = self.traced.forward(self.examples)
        self._last_evaluation = outputs
        self._evaluated_at_step = self.optimizer.steps
        return scores(self._batch_loss(outputs[:, 0]), outputs[:, 1], self.targets[:, 0], threshold)

    def check_path(self) -> None:
        """Trace again with the trained parameters: the path must not have changed."""
        retraced = self._trace_all()
        if retraced.signature != self.traced.signature:
            raise TraceError(
                "fit(fast=True): the model and loss now build a different graph than at the "
                "start of training (a branch on a parameter's .data flipped); the fast "
                "results are not those of the scalar engine, so the weights from before "
                "fit() are restored. Train with fast=False."
            )


def _resolve_loss(loss: LossSpec) -> Callable[..., Value]:
    if isinstance(loss, str):
        if loss not in LOSSES:
            known = ", ".join(repr(name) for name in LOSSES)
            raise ValueError(f"unknown loss {loss!r}; choose one of {known} or a callable")
        return LOSSES[loss]
    if not callable(loss):
        raise TypeError(f"loss must be a name or a callable, got {type(loss).__qualname__}")
    return loss


def _real_array(name: str, data: object) -> npt.NDArray[np.float64]:
    """``data`` as a float64 array; complex numbers are refused as `Value` refuses them
    (NumPy would silently keep only their real part)."""
    raw = np.asarray(data)
    if raw.dtype.kind == "c" or (
        raw.dtype.kind == "O"
        and any(isinstance(x, (complex, np.complexfloating)) for x in raw.flat)
    ):
        raise TypeError(f"{name} must hold real numbers, got complex numbers (dtype {raw.dtype})")
    try:
        return np.asarray(raw, dtype=np.float64)
    except OverflowError:  # a number beyond the largest float, e.g. 10**400
        for number in raw.flat:
            try:
                float(number)
            except OverflowError:
                raise too_large_error(name, number) from None
        raise


def _checked_data(
    model: Module, X: object, y: object
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """X as (n, n_in) and y as (n, n_out) float arrays, or a ValueError saying what is wrong."""
    X_array = _real_array("X", X)
    y_array = _real_array("y", y)
    if X_array.ndim != 2 or X_array.shape[1] != model.n_in:
        raise ValueError(
            f"X must have shape (n, {model.n_in}) for a model with {model.n_in} input(s), "
            f"got shape {X_array.shape}"
        )
    n = X_array.shape[0]
    if n == 0:
        raise ValueError("X has no examples")
    if y_array.shape == (n,) and model.n_out == 1:
        y_array = y_array.reshape(n, 1)
    if y_array.shape != (n, model.n_out):
        expected = f"({n},) or ({n}, 1)" if model.n_out == 1 else f"({n}, {model.n_out})"
        raise ValueError(
            f"y must have shape {expected} for {n} examples and {model.n_out} output(s), "
            f"got shape {np.asarray(y).shape}"
        )
    for name, array in (("X", X_array), ("y", y_array)):
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name} contains nan or inf")
    return X_array, y_array


def _optional_flag(name: str, value: object, *, none: bool = False) -> bool | None:
    """``value`` as a bool (None too when ``none``), or TypeError naming ``name``."""
    if value is None and none:
        return None
    if not isinstance(value, (bool, np.bool_)):
        kinds = "True, False or None" if none else "True or False"
        raise TypeError(f"{name} must be {kinds}, got {type(value).__qualname__}: {value!r:.40}")
    return bool(value)


def _progress_bar(epochs: int, progress: bool | None) -> Any:
    """A tqdm bar over epochs, or None.

    ``progress=None`` (default): a bar only when stderr is a terminal, tqdm
    is installed and pytest is not running, shown once the run has lasted a
    second (short runs stay quiet). ``True``: always (needs tqdm). ``False``: never."""
    if progress is False:
        return None
    # Auto mode stays silent under pytest even with -s in a terminal: tests never print.
    if progress is None and (not sys.stderr.isatty() or "PYTEST_CURRENT_TEST" in os.environ):
        return None
    try:
        # Imported here: tqdm is in the optional `demos` extra (tinygrad_lite.layers).
        from tqdm import tqdm
    except ImportError:
        if progress:
            raise ImportError(
                "progress=True needs tqdm: pip install 'tinygrad-lite[demos]'"
            ) from None
        return None
    delay = 1.0 if progress is None else 0.0
    return tqdm(total=epochs, desc="fit", unit="epoch", delay=delay, leave=True)


def fit(
    model: Module,
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    loss: LossSpec = "squared_error",
    optimizer: Optimizer | None = None,
    epochs: int = 1,
    batch_size: int | None = None,
    shuffle: bool = False,
    seed: int | None = None,
    progress: bool | None = None,
    accuracy: bool | None = None,
    threshold: float | None = None,
    fast: bool = False,
) -> History:
    """Train ``model`` on ``X`` (shape ``(n, n_in)``) and ``y`` and return a `History`.

    Args:
        loss: a name from `tinygrad_lite.losses.LOSSES` or ``loss(predictions,
            targets) -> Value``. The default, ``"squared_error"``, is the seed's
            ``0.5 * sum((y - y_pred)**2)`` (a sum over the batch).
        optimizer: default ``SGD(model.parameters(), lr=0.01)``, the seed's learning
            rate. With the default loss and full batches this is exactly the
            seed's ``W += lr * dW`` loop.
        batch_size: examples per update; None means the whole set (one update
            per epoch). An epoch makes ``ceil(n / batch_size)`` updates; the last
            batch holds the remainder.
        shuffle: reorder the examples before each epoch (default False, like
            PyTorch's DataLoader), from ``np.random.default_rng(seed)``. The
            same seed gives the same order, so the same history.
        progress: None shows a tqdm bar only in a terminal on runs longer than
            a second; True always; False never.
        accuracy: record classification accuracy; None decides: yes when the
            model has one output and every target is 0 or 1.
        threshold: an output ``>= threshold`` is class 1; default 0.5, or 0.0
            for ``"bce_with_logits"`` (outputs are logits).
        fast: replay one traced example graph over each batch with NumPy
            (`TracedSteps`, `tinygrad_lite.trace`) instead of building a scalar graph
            per example: the same updates (to about 1e-15 relative per step), many
            times faster. Raises `TraceError` if the model or loss takes
            different paths for different examples (e.g. ``bce_with_logits``
            branches on the sign of each logit).
    """
    # Every argument is checked here, before the first update: a mistake never
    # surfaces after an epoch has already changed the weights.
    if not isinstance(model, Module):
        raise TypeError(
            "model must be a Module (an MLP, Layer or Neuron), "
            f"got {type(model).__qualname__}: {model!r:.40}"
        )
    loss_function = _resolve_loss(loss)
    X_array, y_array = _checked_data(model, X, y)
    epochs = non_negative_integer("epochs", epochs)
    n = len(X_array)
    batch_size = optional_integer("batch_size", batch_size, 1) or n
    shuffle = bool(_optional_flag("shuffle", shuffle))
    seed = optional_integer("seed", seed, 0)
    progress = _optional_flag("progress", progress, none=True)
    accuracy = _optional_flag("accuracy", accuracy, none=True)
    fast = bool(_optional_flag("fast", fast))
    if threshold is not None:
        threshold = finite_number("threshold", threshold)
    if optimizer is None:
        optimizer = SGD(model.parameters(), lr=0.01)
    elif not isinstance(optimizer, Optimizer):
        raise TypeError(
            "optimizer must be an Optimizer such as SGD(model.parameters(), lr=0.01), or None; "
            f"got {type(optimizer).__qualname__}: {optimizer!r:.40}"
        )
    else:
        own = {id(parameter) for parameter in model.parameters()}
        if not any(id(parameter) in own for parameter in optimizer.params):
            raise ValueError(
                "the optimizer updates none of the model's parameters (was it built from "
                "another model's?), so fit would train nothing; build it from "
                "model.parameters()"
            )
    binary_targets = bool(np.all((y_array == 0.0) | (y_array == 1.0)))
    if accuracy is None:
        accuracy = model.n_out == 1 and binary_targets
    elif accuracy and (model.n_out != 1 or not binary_targets):
        raise ValueError("accuracy needs a model with one output and targets that are 0 or 1")
    if threshold is None:
        threshold = 0.0 if loss_function is bce_with_logits else 0.5

    rows: list[list[float]] = X_array.tolist()
    targets: list[list[float]] = y_array.tolist()
    order_rng = np.random.default_rng(seed)
    # The seam for a faster step: anything with BatchStep's contract can replace this.
    batch_step = make_batch_step(model, loss_function, optimizer)
    traced = TracedSteps(model, loss_function, optimizer, X_array, y_array) if fast else None
    initial_weights = model.state_dict() if fast else {}  # restored if the fast path fails late
    history = History(accuracy=[] if accuracy else None)
    bar = _progress_bar(epochs, progress)
    try:
        for _ in range(epochs):
            with collector_paused():  # graphs hold no cycles: see collector_paused
                order = order_rng.permutation(n).tolist() if shuffle else list(range(n))
                updates = 0
                for start in range(0, n, batch_size):
                    batch = order[start : start + batch_size]
                    if traced is not None:
                        history.batch_loss.append(traced.step(batch))
                    else:
                        batch_rows = [rows[i] for i in batch]
                        batch_targets = [t for i in batch for t in targets[i]]
                        history.batch_loss.append(batch_step(batch_rows, batch_targets))
                    updates += 1
                history.updates.append(updates)
                if traced is not None:
                    epoch_loss, epoch_accuracy = traced.evaluate(threshold if accuracy else None)
                else:
                    epoch_loss, epoch_accuracy = evaluate(
                        model, rows, targets, loss_function, threshold if accuracy else None
                    )
            history.loss.append(epoch_loss)
            if history.accuracy is not None and epoch_accuracy is not None:
                history.accuracy.append(epoch_accuracy)
            if bar is not None:
                bar.set_postfix(loss=f"{epoch_loss:.4g}", refresh=False)
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    if traced is not None and epochs > 0:
        try:
            traced.check_path()
        except TraceError:
            model.load_state_dict(initial_weights)  # the fast results are not trustworthy
            raise
    return history


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one epoch, and restore it after.

    The engine's graphs hold no reference cycles (reference counting frees them),
    so the collector has nothing to find in them, yet walks every live node of
    the graph being built and the one being freed. Pausing it for an epoch is
    what ``fit`` may do (it restores the collector as it was, even on error);
    the library never changes it anywhere else."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def evaluate(
    model: Module,
    rows: Sequence[Sequence[float]],
    targets: Sequence[Sequence[float]],
    loss: Callable[..., Value],
    threshold: float | None = None,
) -> tuple[float, float | None]:
    """``(loss, accuracy)`` over all examples, computed under `no_grad` (no graph kept).

    Accuracy (None without a ``threshold``) is the fraction of single-output
    predictions on the same side of ``threshold`` as their 0/1 target."""
    with no_grad():
        predictions = predict(model, rows)
        flat_targets = [t for row in targets for t in row]
        value = loss(predictions, flat_targets).data
    return scores(value, [p.data for p in predictions], flat_targets, threshold)


def scores(
    loss: float,
    predictions: npt.ArrayLike,
    targets: npt.ArrayLike,
    threshold: float | None,
) -> tuple[float, float | None]:
    """``(loss, accuracy)`` of an evaluated model: the one place both engines' evaluations
    (`evaluate` on Values, `TracedSteps.evaluate` on arrays) become a `History` entry.

    ``loss`` is the loss over the examples; accuracy (None without a ``threshold``)
    is `fraction_right` of the single-output ``predictions`` against their 0/1
    ``targets``."""
    if threshold is None:
        return loss, None
    return loss, fraction_right(predictions, targets, threshold)


def fraction_right(predictions: npt.ArrayLike, targets: npt.ArrayLike, threshold: float) -> float:
    """Share of predictions with ``(p >= threshold) == (target == 1)``."""
    predicted = np.asarray(predictions, dtype=np.float64) >= threshold
    actual = np.asarray(targets, dtype=np.float64) == 1.0
    return float(np.mean(predicted == actual))


def accuracy_score(
    model: Module, X: npt.ArrayLike, y: npt.ArrayLike, threshold: float = 0.5
) -> float:
    """Fraction of examples whose single output is on the right side of ``threshold``."""
    X_array, y_array = _checked_data(model, X, y)
    if model.n_out != 1:
        raise ValueError("accuracy_score needs a model with one output")
    with no_grad():
        predictions = predict(model, X_array.tolist())
    return fraction_right([p.data for p in predictions], y_array.ravel(), threshold)
