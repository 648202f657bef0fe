"""A lower bound, not an engine: close to the least work plain Python does for the seed epoch.

NOT PART OF TINYGRAD_LITE. This module answers one question of issue 8: about
how fast can a plain-Python scalar engine run one epoch of the seed's
experiment if it builds the same graph as tinygrad_lite (every node kept, a
gradient on every node, inputs and targets as leaves, a topologically ordered
backward; only ``0.5 * total`` is one node here, two in tinygrad_lite) and
gives up everything else?

What it gives up, each on purpose:

* No `Op` objects: the forward formulas and local derivatives of the five
  operations the epoch uses are written inline in two functions, dispatched
  on an integer code. Adding an operation means editing both.
* No checks (types, labels, shapes), no ``no_grad`` switch, no debugging
  hooks, no labels, no ``create_graph``, no stepping, no error messages.
* The topological sort marks visited nodes by setting their pending
  gradient to 0.0, so the backward adds with a bare ``+=`` (and a -0.0
  gradient turns into +0.0).

``through_derivatives=True`` keeps the graph and the stripped-down forward but
runs the backward the way tinygrad_lite's `Op` interface asks: one function of
the operand floats per operation gives the local derivatives, and one generic
loop applies the chain rule. It measures what that interface alone costs.

``fused=False`` builds tinygrad_lite's graph: a ``linear`` node and a sigmoid
node per neuron. ``fused=True`` folds the sigmoid into the neuron's node (one
node per neuron, so the pre-activation ``z`` and its gradient, the seed's
``delta``, are no longer in the graph). The figures in RESULTS.md say what
each costs against PyTorch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.workloads import LEARNING_RATE, seed_data

LEAF, LINEAR, SIGMOID, NEURON, SUB, SQUARE, HALF_SUM = range(7)
"""Operation codes. NEURON is sigmoid(linear(...)) in one node; HALF_SUM is 0.5 * sum."""

_new = object.__new__


class Node:
    __slots__ = ("data", "grad", "op", "operands", "pending")

    data: float
    grad: float
    op: int
    operands: tuple[Node, ...]
    pending: Any  # float, or None outside a backward pass


def _make(data: float, op: int, operands: tuple[Node, ...]) -> Node:
    node = _new(Node)
    node.data = data
    node.grad = 0.0
    node.op = op
    node.operands = operands
    node.pending = None
    return node


def leaf(data: float) -> Node:
    return _make(data, LEAF, ())


def neuron(weights: Sequence[Node], inputs: Sequence[Node], bias: Node, fused: bool) -> Node:
    """sigmoid(w . x + b) as two nodes (``fused=False``) or one."""
    z = 0.0
    for weight, x in zip(weights, inputs):  # noqa: B905 (lengths match by construction)
        z += weight.data * x.data
    z += bias.data
    operands = (*weights, *inputs, bias)
    a = 1.0 / (1.0 + math.exp(-z))
    if fused:
        return _make(a, NEURON, operands)
    return _make(a, SIGMOID, (_make(z, LINEAR, operands),))


_EMIT = Node.__new__(Node)  # stack marker: "the node below has its operands done"


def topological_order(root: Node) -> list[Node]:
    """Depth-first, iterative; marks each visited node by setting ``pending`` to 0.0."""
    order: list[Node] = []
    stack = [root]
    root.pending = 0.0
    while stack:
        node = stack.pop()
        if node is _EMIT:
            order.append(stack.pop())
            continue
        if not node.operands:
            order.append(node)
            continue
        stack.append(node)
        stack.append(_EMIT)
        for operand in reversed(node.operands):
            if operand.pending is None:
                operand.pending = 0.0
                stack.append(operand)
    return order


def backward(root: Node) -> None:
    order = topological_order(root)
    root.pending = 1.0
    for node in reversed(order):
        grad = node.pending
        node.pending = None
        node.grad += grad
        op = node.op
        operands = node.operands
        if op == SIGMOID:
            a = node.data
            operands[0].pending += grad * a * (1.0 - a)
        elif op in (LINEAR, NEURON):
            if op == NEURON:
                a = node.data
                grad = grad * a * (1.0 - a)
            n = len(operands) // 2
            for i in range(n):
                weight, x = operands[i], operands[n + i]
                weight.pending += grad * x.data
                x.pending += grad * weight.data
            operands[-1].pending += grad
        elif op == SUB:
            operands[0].pending += grad
            operands[1].pending -= grad
        elif op == SQUARE:
            operands[0].pending += 2.0 * operands[0].data * grad
        elif op == HALF_SUM:
            half = 0.5 * grad
            for operand in operands:
                operand.pending += half


# The same backward written the way tinygrad_lite's interface asks: each operation's local
# derivatives come from one function of (operand floats, output float), in operand order,
# and one generic loop applies the chain rule. Only the interface differs from `backward`.
LOCAL_DERIVATIVES: dict[int, Callable[[Sequence[float], float], Sequence[float]]] = {
    LINEAR: lambda xs, out: (*xs[len(xs) // 2 : -1], *xs[: len(xs) // 2], 1.0),
    SIGMOID: lambda xs, out: (out * (1.0 - out),),
    SUB: lambda xs, out: (1.0, -1.0),
    SQUARE: lambda xs, out: (2.0 * xs[0],),
    HALF_SUM: lambda xs, out: (0.5,) * len(xs),
}


def backward_through_derivatives(root: Node) -> None:
    order = topological_order(root)
    root.pending = 1.0
    for node in reversed(order):
        grad = node.pending
        node.pending = None
        node.grad += grad
        operands = node.operands
        if not operands:
            continue
        derivatives = LOCAL_DERIVATIVES[node.op]
        if len(operands) == 1:  # as the engine does: no list comprehension for one operand
            local_grads = derivatives((operands[0].data,), node.data)
        else:
            local_grads = derivatives([x.data for x in operands], node.data)
        for operand, local_grad in zip(operands, local_grads):  # noqa: B905
            operand.pending += grad * local_grad


def _seed_network(
    points: int, fused: bool, through_derivatives: bool = False
) -> tuple[Callable[[], Node], list[Node]]:
    """The seed's 2-16-1 network on this floor: (one epoch, parameters in the order
    W1 row-major, b1, W2, b2)."""
    X, y, W1, W2 = seed_data(points)
    hidden = [([leaf(float(W1[i, j])) for i in range(2)], leaf(0.0)) for j in range(16)]
    output = ([leaf(float(W2[j, 0])) for j in range(16)], leaf(0.0))
    params = [p for weights, bias in [*hidden, output] for p in (*weights, bias)]
    rows, targets = X.tolist(), y.tolist()

    def epoch() -> Node:
        for p in params:
            p.grad = 0.0
        terms = []
        for row, target in zip(rows, targets):  # noqa: B905
            inputs = [leaf(x) for x in row]
            h = [neuron(weights, inputs, bias, fused) for weights, bias in hidden]
            prediction = neuron(output[0], h, output[1], fused)
            difference = _make(target - prediction.data, SUB, (leaf(target), prediction))
            terms.append(_make(difference.data * difference.data, SQUARE, (difference,)))
        total = 0.0
        for term in terms:
            total += term.data
        loss = _make(0.5 * total, HALF_SUM, tuple(terms))  # one node (tinygrad_lite: two)
        if through_derivatives:
            backward_through_derivatives(loss)
        else:
            backward(loss)
        for p in params:
            p.data -= LEARNING_RATE * p.grad
        return loss

    weights = [w for weights, _ in hidden for w in weights]
    ordered = [weights[j * 2 + i] for i in range(2) for j in range(16)]  # W1[i, j], row-major
    ordered += [bias for _, bias in hidden] + output[0] + [output[1]]
    return epoch, ordered


def seed_epoch(
    points: int, fused: bool, through_derivatives: bool = False
) -> tuple[Callable[[], object], int]:
    """One epoch of the seed's experiment on this floor; returns (epoch, nodes per epoch)."""
    epoch, _ = _seed_network(points, fused, through_derivatives)
    return epoch, len(topological_order(epoch()))


def train(points: int, fused: bool, epochs: int, through_derivatives: bool = False) -> list[float]:
    """The parameters after ``epochs`` epochs (W1 row-major, b1, W2, b2), for tests."""
    epoch, params = _seed_network(points, fused, through_derivatives)
    for _ in range(epochs):
        epoch()
    return [p.data for p in params]
