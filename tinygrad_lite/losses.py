"""Loss functions on lists of `Value`s: one prediction and one target per example.

Predictions are Values (a single Value counts as one example); targets are
numbers or Values. Each loss sums its per-example terms with ONE n-ary
`total` node instead of a chain of n additions, so the graph stays shallow
and small.

=============================  ============================================  ===========
function                       formula (n examples)                          reduction
=============================  ============================================  ===========
``squared_error``              ``0.5 * sum((y - p)**2)``  (the seed's loss)  sum
``mean_squared_error``         ``sum((y - p)**2) / n``                       mean
``binary_cross_entropy``       ``-sum(y log p + (1-y) log(1-p)) / n``        mean
``bce_with_logits``            the same with ``p = sigmoid(z)``, exactly     mean
=============================  ============================================  ===========

``mean_squared_error`` and both cross-entropies take ``reduction="mean"`` (PyTorch's
default) or ``"sum"``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from tinygrad_lite.deprecation import deprecated_names
from tinygrad_lite.ops import FloatArray, UnaryOp, ieee_exp
from tinygrad_lite.value import Value, apply, as_value, total

Targets = Sequence[float | Value] | npt.NDArray[np.floating] | float | Value
Predictions = Sequence[Value] | Value

BCE_EPSILON = 1e-12
"""`binary_cross_entropy` clips probabilities to ``[BCE_EPSILON, 1 - BCE_EPSILON]``."""


def _pairs(
    predictions: Predictions, targets: Targets, name: str
) -> tuple[list[Value], list[Value]]:
    """Predictions and targets as equally long lists of Values."""
    preds = [predictions] if isinstance(predictions, Value) else list(predictions)
    if isinstance(targets, (Value, numbers.Real, np.bool_)):  # np.int64(1), np.float32 too
        target_list: list[object] = [targets]
    elif isinstance(targets, np.ndarray):
        target_list = list(np.asarray(targets, dtype=np.float64).ravel().tolist())
    elif isinstance(targets, Iterable) and not isinstance(targets, (str, bytes)):
        target_list = list(targets)
    else:
        raise TypeError(
            f"{name}: targets must be a number, a Value, or a list or array of them, "
            f"got {type(targets).__qualname__}: {targets!r:.40}"
        )
    if not preds:
        raise ValueError(f"{name}: needs at least one prediction")
    if len(preds) != len(target_list):
        raise ValueError(
            f"{name}: {len(preds)} prediction(s) but {len(target_list)} target(s); "
            "give one target per prediction"
        )
    for position, prediction in enumerate(preds):
        if not isinstance(prediction, Value):
            raise TypeError(
                f"{name}: prediction {position} is a {type(prediction).__qualname__}, "
                "not a Value (call the model first)"
            )
    return preds, [as_value(target) for target in target_list]


def _reduce(terms: list[Value], reduction: str, name: str) -> Value:
    if reduction == "mean":
        return total(terms) / len(terms)
    if reduction == "sum":
        return total(terms)
    raise ValueError(f"{name}: reduction must be 'mean' or 'sum', got {reduction!r}")


def squared_error(predictions: Predictions, targets: Targets) -> Value:
    """The seed notebook's loss: ``L = 0.5 * sum_i (y_i - p_i)**2`` (a sum, not a mean).

    ``dL/dp_i = -(y_i - p_i)``, the negative of the seed's ``error``, so gradient
    descent on it is exactly the seed's ``W += lr * dW`` update."""
    preds, ys = _pairs(predictions, targets, "squared_error")
    # Halving the sum is exact in floating point, and 2 nodes per example instead of 3.
    return 0.5 * total([(y - p) ** 2 for p, y in zip(preds, ys, strict=True)])


def mean_squared_error(
    predictions: Predictions, targets: Targets, *, reduction: str = "mean"
) -> Value:
    """``L = sum_i (y_i - p_i)**2 / n`` (PyTorch's ``MSELoss``).

    ``reduction="sum"`` drops the ``/ n``."""
    preds, ys = _pairs(predictions, targets, "mean_squared_error")
    terms = [(y - p) ** 2 for p, y in zip(preds, ys, strict=True)]
    return _reduce(terms, reduction, "mean_squared_error")


def binary_cross_entropy(
    probabilities: Predictions, targets: Targets, *, reduction: str = "mean"
) -> Value:
    """``L = -sum_i [y_i log p_i + (1 - y_i) log(1 - p_i)] / n`` from probabilities.

    Each ``p_i`` is clipped to ``[eps, 1 - eps]`` with ``eps = BCE_EPSILON = 1e-12``
    so the loss stays finite (at most about 27.6 per example) when a sigmoid
    saturates. A clipped probability is a constant: its gradient is 0, as
    with Keras's clipping. For a loss that stays exact however confident the
    model is, give logits to `bce_with_logits`.
    """
    preds, ys = _pairs(probabilities, targets, "binary_cross_entropy")
    terms = []
    for p, y in zip(preds, ys, strict=True):
        if p.data < BCE_EPSILON:
            p = Value(BCE_EPSILON)
        elif p.data > 1.0 - BCE_EPSILON:
            p = Value(1.0 - BCE_EPSILON)
        terms.append(-(y * p.log() + (1.0 - y) * (1.0 - p).log()))
    return _reduce(terms, reduction, "binary_cross_entropy")


class Softplus(UnaryOp):
    """out = log(1 + exp(z)), computed as ``max(z, 0) + log1p(exp(-|z|))``;  d/dz = sigmoid(z)

    That form never overflows and keeps every digit when ``exp(-|z|)`` is tiny,
    where ``log(1 + exp(z))`` built from `exp` and `log` nodes would lose them."""

    name = "softplus"

    def forward(self, xs: Sequence[float]) -> float:
        z = xs[0]
        return max(z, 0.0) + math.log1p(ieee_exp(-abs(z)))

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Any, ...]:
        # sigmoid(z), as exp(z) / (1 + exp(z)) for negative z: 1 / (1 + exp(-z))
        # overflows there (z = -710 would give 0 instead of 4.476e-309).
        z = xs[0]
        if isinstance(z, Value):  # grad(..., create_graph=True): the derivative as a graph
            if z.data < 0.0:
                e = z.exp()
                return (e / (1.0 + e),)
            return (z.sigmoid(),)
        if z < 0.0:
            e_float = math.exp(z)
            return (e_float / (1.0 + e_float),)
        return (1.0 / (1.0 + ieee_exp(-z)),)

    def numpy_function(self, x: FloatArray) -> FloatArray:
        return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))

    def numpy_derivative(self, x: FloatArray, out: FloatArray) -> FloatArray:
        e = np.exp(-np.abs(x))  # never overflows; nan stays nan
        return np.where(x < 0.0, e / (1.0 + e), 1.0 / (1.0 + e))


SOFTPLUS = Softplus()


def softplus(z: Value) -> Value:
    """One `Softplus` node: ``log(1 + exp(z))``, accurate for every z."""
    return apply(SOFTPLUS, z)


def bce_with_logits(logits: Predictions, targets: Targets, *, reduction: str = "mean") -> Value:
    """Binary cross-entropy of ``p = sigmoid(z)`` computed from the logit ``z``
    (PyTorch's ``BCEWithLogitsLoss``)::

        -[y log p + (1 - y) log(1 - p)] = y * softplus(-z) + (1 - y) * softplus(z)

    since ``-log sigmoid(z) = softplus(-z)`` and ``-log(1 - sigmoid(z)) = softplus(z)``.
    With the accurate `softplus` node the loss is finite and exact to rounding
    for any logit, however confident; ``dL/dz = sigmoid(z) - y``.
    """
    preds, ys = _pairs(logits, targets, "bce_with_logits")
    terms = [y * softplus(-z) + (1.0 - y) * softplus(z) for z, y in zip(preds, ys, strict=True)]
    return _reduce(terms, reduction, "bce_with_logits")


LOSSES: dict[str, Callable[..., Value]] = {
    "squared_error": squared_error,
    "mse": mean_squared_error,
    "mean_squared_error": mean_squared_error,
    "binary_cross_entropy": binary_cross_entropy,
    "bce": binary_cross_entropy,
    "bce_with_logits": bce_with_logits,
}
"""The losses `fit` accepts by name."""

__getattr__ = deprecated_names(
    __name__,
    {
        "mse": (mean_squared_error, "mean_squared_error (the same function)"),
        "LossFunction": (
            Callable[[Sequence[Value], Sequence[float]], Value],
            "tinygrad_lite.training.LossSpec",
        ),
    },
)
