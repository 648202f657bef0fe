"""`MLPCase`: one fully connected network, its data, and both ways to differentiate it.

The `mlps` strategy in `tinygrad_lite.testing.strategies` draws these. A case
holds the architecture, one activation per layer, the weights in the
state_dict layout (``W1`` (n_in, hidden), ``b1`` (1, hidden), ``W2``, ...),
inputs (batch, n_in) and targets (batch, n_out). The loss is the seed
notebook's ``0.5 * sum((targets - prediction)**2)``.

* `MLPCase.numpy_backprop` differentiates it with the seed's hand-written
  NumPy backprop (`tinygrad_lite.testing.reference.mlp_backprop`);
* `MLPCase.engine_loss` builds it as an engine graph, one `linear` node per
  neuron, so autograd can be compared with the seed's formulas.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from tinygrad_lite.testing.reference import ACTIVATIONS, Array, mlp_backprop
from tinygrad_lite.value import Value, linear, total


@dataclass(frozen=True, eq=False)
class MLPCase:
    """A network, its parameters and a batch of data.

    Attributes:
        sizes: (n_in, hidden_1, ..., n_out).
        activations: one name per layer, from ``ACTIVATIONS`` (sigmoid, tanh,
            relu, linear: no activation, as in `tinygrad_lite.nn`).
        params: ``{"W1": (n_in, h1), "b1": (1, h1), ...}`` float64 arrays.
        inputs: (batch, n_in).
        targets: (batch, n_out).
    """

    sizes: tuple[int, ...]
    activations: tuple[str, ...]
    params: dict[str, Array]
    inputs: Array
    targets: Array

    def __post_init__(self) -> None:
        if len(self.sizes) < 2:
            raise ValueError(f"sizes needs (n_in, ..., n_out), got {self.sizes!r}")
        if len(self.activations) != len(self.sizes) - 1:
            raise ValueError(
                f"{len(self.sizes) - 1} layers need {len(self.sizes) - 1} activations, "
                f"got {len(self.activations)}"
            )
        for name in self.activations:
            if name not in ACTIVATIONS:
                raise ValueError(f"unknown activation {name!r}; known: {', '.join(ACTIVATIONS)}")
        for layer, (n_in, n_out) in enumerate(itertools.pairwise(self.sizes), start=1):
            for key, shape in ((f"W{layer}", (n_in, n_out)), (f"b{layer}", (1, n_out))):
                if key not in self.params or self.params[key].shape != shape:
                    got = self.params[key].shape if key in self.params else "missing"
                    raise ValueError(f"params[{key!r}] must have shape {shape}, got {got}")
        batch = self.inputs.shape[0]
        if self.inputs.shape != (batch, self.sizes[0]):
            raise ValueError(f"inputs must be (batch, {self.sizes[0]}), got {self.inputs.shape}")
        if self.targets.shape != (batch, self.sizes[-1]):
            raise ValueError(
                f"targets must be ({batch}, {self.sizes[-1]}), got {self.targets.shape}"
            )

    def __repr__(self) -> str:
        params = ", ".join(f"{k!r}: np.array({v.tolist()!r})" for k, v in self.params.items())
        return (
            f"MLPCase(sizes={self.sizes!r}, activations={self.activations!r}, "
            f"params={{{params}}}, inputs=np.array({self.inputs.tolist()!r}), "
            f"targets=np.array({self.targets.tolist()!r}))"
        )

    def state_dict(self) -> dict[str, Array]:
        """A copy of the parameters, keyed W1, b1, W2, b2, ..."""
        return {name: array.copy() for name, array in self.params.items()}

    def numpy_backprop(self) -> tuple[float, dict[str, Array]]:
        """Loss and d loss / d parameter by the seed's NumPy backprop."""
        return mlp_backprop(self.params, self.inputs, self.targets, self.activations)

    def engine_loss(self) -> tuple[Value, dict[str, list[list[Value]]]]:
        """The loss as an engine graph, and the parameter leaves (labelled ``W1[i,j]``, ...)."""
        leaves: dict[str, list[list[Value]]] = {
            name: [
                [Value(float(x), f"{name}[{i},{j}]") for j, x in enumerate(row)]
                for i, row in enumerate(array)
            ]
            for name, array in self.params.items()
        }
        squared_errors: list[Value] = []
        for sample, target in zip(self.inputs, self.targets, strict=True):
            activations: list[Value] = [Value(float(x)) for x in sample]  # constant leaves
            for layer, activation in enumerate(self.activations, start=1):
                weights, bias = leaves[f"W{layer}"], leaves[f"b{layer}"][0]
                activations = [
                    _activate(
                        linear([row[j] for row in weights], activations, bias[j]),
                        activation,
                    )
                    for j in range(len(bias))
                ]
            for prediction, wanted in zip(activations, target, strict=True):
                error = float(wanted) - prediction
                squared_errors.append(error * error)
        return 0.5 * total(squared_errors), leaves


def _activate(z: Value, name: str) -> Value:
    if name == "linear":  # no activation: no node
        return z
    result: Value = getattr(z, name)()
    return result


def flatten(params: dict[str, list[list[Value]]]) -> tuple[list[str], list[Value]]:
    """Parameter names (``W1[0,1]``...) and leaves in state_dict order, row by row."""
    names, values = [], []
    for rows in params.values():
        for row in rows:
            for value in row:
                names.append(value.label)
                values.append(value)
    return names, values


def flatten_arrays(arrays: dict[str, Array]) -> Array:
    """The arrays of a state_dict (or of its gradients) as one vector, in `flatten`'s order."""
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays.values()])
