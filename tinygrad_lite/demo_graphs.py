"""Named example graphs for drawing (``tinygrad-lite draw NAME``).

`DEMO_GRAPHS` maps a name to a function that builds a fresh graph and returns
its output `Value` (no backward pass run). Other modules add their own graphs
by adding entries to the dict.
"""

from __future__ import annotations

from collections.abc import Callable

from tinygrad_lite.datasets import two_clusters
from tinygrad_lite.nn import MLP
from tinygrad_lite.value import Value, linear, total


def expression() -> Value:
    """``f = tanh(a*b + c)`` with a=2, b=-3, c=10: the smallest graph worth drawing."""
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = d.tanh()
    f.label = "f"
    return f


def neuron() -> Value:
    """One sigmoid neuron with two inputs: ``out = sigmoid(w.0*x.0 + w.1*x.1 + b)``."""
    weights = [Value(0.7, label="w.0"), Value(-1.2, label="w.1")]
    inputs = [Value(1.5, label="x.0"), Value(0.5, label="x.1")]
    bias = Value(0.1, label="b")
    z = linear(weights, inputs, bias)
    z.label = "z"
    out = z.sigmoid()
    out.label = "out"
    return out


def mlp_loss(n_points: int = 200, hidden: int = 16, seed: int = 0) -> Value:
    """The seed's 2-16-1 sigmoid network and its loss over all 200 points, as one graph:
    ``L = sum over points of 0.5 * (y - y_pred)**2``.

    The network is a `tinygrad_lite.nn.MLP` (its parameters are labelled
    ``layers.0.neurons.3.w.1``, ``layers.0.neurons.3.b``, ...), initialised from
    ``seed``."""
    points, labels = two_clusters()
    model = MLP(2, [hidden, 1], activations="sigmoid", seed=seed)
    terms = []
    for point, label in zip(points[:n_points], labels[:n_points], strict=True):
        y_pred = model([Value(point[0], label="x1"), Value(point[1], label="x2")])
        assert isinstance(y_pred, Value)
        y_pred.label = "y_pred"
        terms.append(0.5 * (Value(label, label="y") - y_pred) ** 2)
    loss = total(terms)
    loss.label = "L"
    return loss


DEMO_GRAPHS: dict[str, Callable[[], Value]] = {
    "expression": expression,
    "neuron": neuron,
    "mlp-2-16-1": mlp_loss,
}
"""Name -> function building that graph (the command line's ``draw NAME``)."""
