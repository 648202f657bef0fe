"""Neural networks made of scalar `Value`s: `Module`, `Neuron`, `Layer`, `MLP`.

A neuron computes ``activation(w1*x1 + ... + wn*xn + b)``. Its weighted sum
is ONE graph node (`tinygrad_lite.value.linear`, operands ``(w1..wn, x1..xn, b)``)
followed by one activation node, so a 2-16-1 network makes 34 nodes per
example instead of about 100: graphs stay small to draw and fast to walk.

Parameter names and labels (the convention is `tinygrad_lite.parameter_names`)
    Every parameter has a stable dotted name, like PyTorch's
    ``named_parameters()``: ``w.1`` and ``b`` in a `Neuron`,
    ``neurons.3.w.1`` in a `Layer`, ``layers.0.neurons.3.w.1`` in an `MLP`.
    Each parameter's ``label`` *is* its name, so drawn graphs and debugger
    views show names instead of anonymous numbers.

Weights as NumPy arrays (``state_dict``; the checks and the ``.npz`` files
are `tinygrad_lite.serialization`'s)
    Laid out as the seed notebook's NumPy code lays them out, so the scalar
    network and the NumPy loop can start from identical weights::

        MLP:    W1 (n_in, h1), b1 (1, h1), W2 (h1, h2), b2 (1, h2), ...
        Layer:  W (n_in, n_out), b (1, n_out)
        Neuron: w (n_in,), b ()

    ``layers.k.neurons.j.w.i`` is ``W{k+1}[i, j]`` and ``layers.k.neurons.j.b``
    is ``b{k+1}[0, j]``.

Initialisation
    ``init="normal"`` (the default) draws every weight from the standard
    normal distribution and sets every bias to 0, exactly the seed's
    ``W1 = np.random.randn(n_in, hidden); b1 = np.zeros((1, hidden))``.
    ``init="scaled"`` divides those weights by ``sqrt(n_in)`` (variance
    ``1/n_in``, "LeCun normal"), which keeps deep or wide sigmoid/tanh
    networks out of saturation. Weights are drawn layer by layer, each layer
    as one ``rng.standard_normal((n_in, n_out))`` call in the state_dict layout,
    from ``rng`` (a NumPy ``Generator`` or legacy ``RandomState``) or from
    ``np.random.default_rng(seed)``; with neither, from fresh OS entropy.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from tinygrad_lite.checks import optional_integer, positive_integer
from tinygrad_lite.parameter_names import BIAS, LAYERS, NEURONS, child_name, weight_name
from tinygrad_lite.serialization import StateDictError, checked_state, read_npz, write_npz
from tinygrad_lite.value import Value, as_value, linear

Activation = Callable[[Value], Value]
"""A function from one Value to one Value (``Value.sigmoid``, ``Value.tanh``, ...)."""

ActivationSpec = str | Activation
"""An activation by name ("sigmoid", "tanh", "relu", "linear") or as a callable."""

Inputs = Sequence[float | Value] | npt.NDArray[np.floating]
"""What a module is called on: a list of numbers or Values, or a 1-D array."""

Rng = np.random.Generator | np.random.RandomState


def _identity(x: Value) -> Value:
    """The "linear" activation: no node at all."""
    return x


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Value.sigmoid,
    "tanh": Value.tanh,
    "relu": Value.relu,
    "linear": _identity,
}
"""The activations known by name."""


def resolve_activation(spec: ActivationSpec) -> tuple[str, Activation]:
    """Return ``(name, function)`` for an activation name, a `Value` method or a callable."""
    if isinstance(spec, str):
        if spec not in ACTIVATIONS:
            known = ", ".join(repr(name) for name in ACTIVATIONS)
            raise ValueError(f"unknown activation {spec!r}; choose one of {known} or a callable")
        return spec, ACTIVATIONS[spec]
    if not callable(spec):
        raise TypeError(
            f"activation must be a name or a callable, got {type(spec).__qualname__}: {spec!r:.40}"
        )
    for name, function in ACTIVATIONS.items():
        if spec is function:
            return name, function
    return getattr(spec, "__name__", repr(spec)), _checked_activation(spec)


def _checked_activation(function: Callable[[Value], object]) -> Activation:
    """``function``, refusing at its first call a result that is not a Value (a float
    would leave the graph and fail much later, far from the cause). The built-in
    activations always return Values and are used as they are."""

    def activation(z: Value) -> Value:
        out = function(z)
        if not isinstance(out, Value):
            raise TypeError(
                f"the activation {getattr(function, '__name__', repr(function))} returned "
                f"{type(out).__qualname__} ({out!r:.40}), not a Value; an activation maps a "
                "Value to a Value (use Value operations and methods, such as z.tanh())"
            )
        return out

    activation.__name__ = getattr(function, "__name__", "activation")
    activation.__doc__ = function.__doc__
    return activation


# --------------------------------------------------------------------------
# Module
# --------------------------------------------------------------------------


class Module:
    """Base class: named parameters, ``zero_grad``, and weights in and out as arrays.

    Subclasses define ``named_parameters()``, ``_state_layout()``, ``n_in``,
    ``n_out`` and ``__call__``.
    """

    n_in: int
    n_out: int

    def __call__(self, inputs: Inputs) -> Value | list[Value]:
        raise NotImplementedError

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``(dotted name, parameter)`` pairs in a stable order."""
        raise NotImplementedError

    def parameters(self) -> list[Value]:
        """Every parameter, in the order of ``named_parameters()``."""
        return [parameter for _, parameter in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to 0.0."""
        for parameter in self.parameters():
            parameter.grad = 0.0

    def _label_parameters(self) -> None:
        """Make each parameter's label its dotted name (drawings show names)."""
        for name, parameter in self.named_parameters():
            parameter.label = name

    # -- weights as arrays ---------------------------------------------------

    def _state_layout(self) -> dict[str, tuple[tuple[int, ...], list[Value]]]:
        """``key -> (shape, parameters in C order)`` for ``state_dict``."""
        raise NotImplementedError

    def state_dict(self) -> dict[str, npt.NDArray[np.float64]]:
        """The weights as new float64 arrays, in the seed's layout (see the module doc)."""
        return {
            key: np.array([p.data for p in parameters], dtype=np.float64).reshape(shape)
            for key, (shape, parameters) in self._state_layout().items()
        }

    def load_state_dict(
        self, state: Mapping[str, object], *, allow_non_finite: bool = False
    ) -> None:
        """Copy weights from arrays laid out as ``state_dict()`` returns them.

        Everything is checked before any weight changes: the keys must match
        exactly (no missing, no extra key), every array must have exactly the
        expected shape and a real (integer or float) dtype, and, unless
        ``allow_non_finite``, contain no nan or inf. A failed check raises
        `StateDictError` naming the key and what was expected and received,
        and the model is left untouched. Gradients are not changed.
        """
        layout = self._state_layout()
        shapes = {key: shape for key, (shape, _) in layout.items()}
        numbers = checked_state(state, shapes, type(self).__name__, allow_non_finite)
        # Every check passed: only now change the weights.
        for key, (_, parameters) in layout.items():
            for parameter, number in zip(parameters, numbers[key], strict=True):
                parameter.data = number

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write ``state_dict()`` to ``path`` as an uncompressed ``.npz`` (no pickle),
        atomically: a failure part way leaves an existing file as it was
        (`tinygrad_lite.serialization.write_npz`)."""
        write_npz(path, self.state_dict())

    def load(self, path: str | os.PathLike[str], *, allow_non_finite: bool = False) -> None:
        """Load weights saved by `save` (``allow_pickle=False``).

        A missing file, anything but a regular file (a directory, a FIFO), a
        file that is not a readable ``.npz`` (corrupted, truncated, pickled
        objects), or contents that ``load_state_dict`` rejects raise
        `StateDictError` naming the file and the problem; the model's weights
        are left untouched. The member names and each array's header (dtype,
        shape, size) are checked before any data is read, so a file claiming
        huge or extra arrays fails at once without allocating or decompressing
        more than the model's own size (`tinygrad_lite.serialization.read_npz`).
        """
        shapes = {key: shape for key, (shape, _) in self._state_layout().items()}
        state = read_npz(path, shapes, type(self).__name__)
        try:
            self.load_state_dict(state, allow_non_finite=allow_non_finite)
        except StateDictError as error:
            raise StateDictError(f"{os.fspath(path)}: {error}") from None


# --------------------------------------------------------------------------
# Neuron, Layer, MLP
# --------------------------------------------------------------------------


def _make_rng(rng: Rng | None, seed: int | None) -> Rng:
    if rng is not None and seed is not None:
        raise ValueError("give rng or seed, not both")
    if rng is not None:
        if not isinstance(rng, (np.random.Generator, np.random.RandomState)):
            raise TypeError(
                f"rng must be a numpy.random.Generator or RandomState, got {type(rng).__qualname__}"
            )
        return rng
    return np.random.default_rng(optional_integer("seed", seed, 0))


def _initial_weights(n_in: int, n_out: int, init: str, rng: Rng) -> list[list[float]]:
    """An ``(n_in, n_out)`` weight matrix drawn as the module doc describes, as lists."""
    if init not in ("normal", "scaled"):
        raise ValueError(f"unknown init {init!r}; choose 'normal' or 'scaled'")
    weights = rng.standard_normal((n_in, n_out))
    if init == "scaled":
        weights = weights / math.sqrt(n_in)
    rows: list[list[float]] = weights.tolist()
    return rows


def _named_in(group: str, children: Sequence[Module]) -> list[tuple[str, Value]]:
    """Each child's named parameters as ``<group>.<index>.<name>`` (e.g.
    ``layers.0.neurons.3.w.1``), children in order: PyTorch's dotted names."""
    return [
        (child_name(group, index, name), parameter)
        for index, child in enumerate(children)
        for name, parameter in child.named_parameters()
    ]


def _input_values(inputs: Inputs, n_in: int, owner: str) -> list[Value]:
    """The inputs as Values (numbers become constant leaves), checked for length."""
    if isinstance(inputs, np.ndarray) and inputs.ndim != 1:
        raise ValueError(f"{owner} takes one example (a 1-D input), got shape {inputs.shape}")
    if len(inputs) != n_in:
        raise ValueError(f"{owner} expects {n_in} input(s), got {len(inputs)}")
    return [as_value(x) for x in inputs]


class Neuron(Module):
    """``activation(w1*x1 + ... + wn*xn + b)``: one `linear` node, then the activation.

    Parameters: ``w`` (a list of ``n_in`` Values) and ``b``. The weights are
    drawn as the module doc describes, or given as ``weights=`` (then nothing
    is drawn); the bias starts at ``bias`` (0.0 by default).
    """

    def __init__(
        self,
        n_in: int,
        activation: ActivationSpec = "sigmoid",
        *,
        rng: Rng | None = None,
        seed: int | None = None,
        init: str = "normal",
        weights: Sequence[float] | None = None,
        bias: float = 0.0,
    ) -> None:
        self.n_in = positive_integer("n_in", n_in)
        self.n_out = 1
        self.activation_name, self.activation = resolve_activation(activation)
        if weights is None:
            drawn = _initial_weights(self.n_in, 1, init, _make_rng(rng, seed))
            weights = [row[0] for row in drawn]
        elif len(weights) != self.n_in:
            raise ValueError(f"Neuron({self.n_in}) needs {self.n_in} weights, got {len(weights)}")
        self.w = [Value(weight) for weight in weights]
        self.b = Value(bias)
        self._label_parameters()

    def __call__(self, inputs: Inputs) -> Value:
        return self.forward(_input_values(inputs, self.n_in, "Neuron"))

    def forward(self, inputs: Sequence[Value]) -> Value:
        """The neuron on inputs already checked and converted (used by `Layer`)."""
        return self.activation(linear(self.w, inputs, self.b))

    def named_parameters(self) -> list[tuple[str, Value]]:
        named = [(weight_name(i), weight) for i, weight in enumerate(self.w)]
        named.append((BIAS, self.b))
        return named

    def _state_layout(self) -> dict[str, tuple[tuple[int, ...], list[Value]]]:
        return {"w": ((self.n_in,), list(self.w)), "b": ((), [self.b])}

    def __repr__(self) -> str:
        return f"Neuron({self.n_in}, activation={self.activation_name!r})"


class Layer(Module):
    """``n_out`` neurons reading the same ``n_in`` inputs.

    Called on one example it returns a list of ``n_out`` Values, or a single
    Value when ``n_out == 1``.
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        activation: ActivationSpec = "sigmoid",
        *,
        rng: Rng | None = None,
        seed: int | None = None,
        init: str = "normal",
    ) -> None:
        self.n_in = positive_integer("n_in", n_in)
        self.n_out = positive_integer("n_out", n_out)
        self.activation_name, self.activation = resolve_activation(activation)
        weights = _initial_weights(self.n_in, self.n_out, init, _make_rng(rng, seed))
        self.neurons = [
            Neuron(self.n_in, activation, weights=[row[j] for row in weights])
            for j in range(self.n_out)
        ]
        self._label_parameters()

    def __call__(self, inputs: Inputs) -> Value | list[Value]:
        outputs = self.forward(_input_values(inputs, self.n_in, "Layer"))
        return outputs[0] if self.n_out == 1 else outputs

    def forward(self, inputs: Sequence[Value]) -> list[Value]:
        """Every neuron's output, always as a list (used by `MLP`): each neuron's
        ``activation(linear(w, inputs, b))``, as `Neuron.forward` computes it."""
        # Neuron.forward's formula written out here: one Python call less per neuron.
        return [neuron.activation(linear(neuron.w, inputs, neuron.b)) for neuron in self.neurons]

    def named_parameters(self) -> list[tuple[str, Value]]:
        return _named_in(NEURONS, self.neurons)

    def _state_layout(self) -> dict[str, tuple[tuple[int, ...], list[Value]]]:
        # W[i, j] is neuron j's weight i: row-major order walks i, then j.
        weights = [neuron.w[i] for i in range(self.n_in) for neuron in self.neurons]
        biases = [neuron.b for neuron in self.neurons]
        return {"W": ((self.n_in, self.n_out), weights), "b": ((1, self.n_out), biases)}

    def __repr__(self) -> str:
        return f"Layer({self.n_in}, {self.n_out}, activation={self.activation_name!r})"


class MLP(Module):
    """A multi-layer perceptron: ``MLP(2, [16, 1])`` is the seed's 2-16-1 network.

    ``sizes`` lists each layer's number of neurons. ``activations`` is one
    activation for every layer or a list with one per layer; the default,
    ``"sigmoid"`` everywhere, is the seed notebook's network. Called on one
    example it returns a list of Values, or a single Value when the last
    layer has one neuron.
    """

    def __init__(
        self,
        n_in: int,
        sizes: Sequence[int],
        activations: ActivationSpec | Sequence[ActivationSpec] = "sigmoid",
        *,
        rng: Rng | None = None,
        seed: int | None = None,
        init: str = "normal",
    ) -> None:
        self.n_in = positive_integer("n_in", n_in)
        try:
            size_list = [] if isinstance(sizes, (str, bytes)) else list(sizes)
        except TypeError:  # None, an int: nothing to list
            size_list = []
        if not size_list:
            raise ValueError(f"sizes must be a non-empty list of layer sizes, got {sizes!r:.40}")
        self.sizes = [positive_integer(f"sizes[{k}]", size) for k, size in enumerate(size_list)]
        self.n_out = self.sizes[-1]
        if isinstance(activations, str) or callable(activations):
            per_layer: list[ActivationSpec] = [activations] * len(self.sizes)
        else:
            per_layer = list(activations)
            if len(per_layer) != len(self.sizes):
                raise ValueError(
                    f"activations has {len(per_layer)} entries for {len(self.sizes)} layers"
                )
        generator = _make_rng(rng, seed)
        fan_ins = [self.n_in, *self.sizes[:-1]]
        self.layers = [
            Layer(fan_in, size, activation, rng=generator, init=init)
            for fan_in, size, activation in zip(fan_ins, self.sizes, per_layer, strict=True)
        ]
        self._label_parameters()

    def __call__(self, inputs: Inputs) -> Value | list[Value]:
        outputs = self.forward(_input_values(inputs, self.n_in, "MLP"))
        return outputs[0] if self.n_out == 1 else outputs

    def forward(self, inputs: Sequence[Value]) -> list[Value]:
        """The last layer's outputs, always as a list."""
        values = list(inputs)
        for layer in self.layers:
            values = layer.forward(values)
        return values

    def named_parameters(self) -> list[tuple[str, Value]]:
        return _named_in(LAYERS, self.layers)

    def _state_layout(self) -> dict[str, tuple[tuple[int, ...], list[Value]]]:
        layout = {}
        for k, layer in enumerate(self.layers, start=1):
            layer_layout = layer._state_layout()
            layout[f"W{k}"] = layer_layout["W"]
            layout[f"b{k}"] = layer_layout["b"]
        return layout

    def __repr__(self) -> str:
        names = [layer.activation_name for layer in self.layers]
        return f"MLP({self.n_in}, {self.sizes}, activations={names!r})"
