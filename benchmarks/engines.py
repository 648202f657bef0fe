"""The Value classes the same-graph benchmarks pass to the user code of `benchmarks.user_code`.

* ``tinygrad_lite``: `tinygrad_lite.Value`, unchanged.
* ``micrograd``: micrograd 0.1.0's `Value`, with ``sigmoid``, ``exp`` and ``log``
  ADDED HERE FOR THE BENCHMARK (micrograd has none of them), each written in
  micrograd's own style: a closure for the backward step.
* ``microgpt_style``: `PeerValue` below, a PEER ENGINE WRITTEN FOR THE BENCHMARK,
  not part of tinygrad_lite. It has the design of the 40-line engines that train
  a small GPT on scalars: a slotted node keeps its children and its local
  derivatives (numbers, computed during the forward pass), subtraction,
  negation and division go through ``+``, ``*`` and ``**``, the topological sort
  is recursive, and backward is ``child.grad += local_grad * node.grad``.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any


class PeerValue:
    """PEER ENGINE WRITTEN FOR THE BENCHMARK (microgpt-style), not tinygrad_lite."""

    __slots__ = ("_children", "_local_grads", "data", "grad")

    def __init__(
        self,
        data: float,
        children: tuple[PeerValue, ...] = (),
        local_grads: tuple[float, ...] = (),
    ) -> None:
        self.data = data
        self.grad = 0.0
        self._children = children
        self._local_grads = local_grads

    def __add__(self, other: PeerValue | float) -> PeerValue:
        other = other if isinstance(other, PeerValue) else PeerValue(other)
        return PeerValue(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other: PeerValue | float) -> PeerValue:
        other = other if isinstance(other, PeerValue) else PeerValue(other)
        return PeerValue(self.data * other.data, (self, other), (other.data, self.data))

    def __pow__(self, exponent: float) -> PeerValue:
        derivative = exponent * self.data ** (exponent - 1)
        return PeerValue(self.data**exponent, (self,), (derivative,))

    def exp(self) -> PeerValue:
        e = math.exp(self.data)
        return PeerValue(e, (self,), (e,))

    def log(self) -> PeerValue:
        return PeerValue(math.log(self.data), (self,), (1.0 / self.data,))

    def relu(self) -> PeerValue:
        positive = self.data > 0
        return PeerValue(self.data if positive else 0.0, (self,), (1.0 if positive else 0.0,))

    def sigmoid(self) -> PeerValue:
        s = 1.0 / (1.0 + math.exp(-self.data))
        return PeerValue(s, (self,), (s * (1.0 - s),))

    # everything else through +, * and **, as such engines do
    def __neg__(self) -> PeerValue:
        return self * -1.0

    def __radd__(self, other: float) -> PeerValue:
        return self + other

    def __sub__(self, other: PeerValue | float) -> PeerValue:
        return self + (-other)

    def __rsub__(self, other: float) -> PeerValue:
        return (-self) + other

    def __rmul__(self, other: float) -> PeerValue:
        return self * other

    def __truediv__(self, other: PeerValue | float) -> PeerValue:
        return self * other**-1

    def __rtruediv__(self, other: float) -> PeerValue:
        return self**-1 * other

    def backward(self) -> None:
        order: list[PeerValue] = []
        seen: set[int] = set()

        def visit(node: PeerValue) -> None:  # recursive, as in such engines
            if id(node) not in seen:
                seen.add(id(node))
                for child in node._children:
                    visit(child)
                order.append(node)

        visit(self)
        self.grad = 1.0
        for node in reversed(order):
            for child, local_grad in zip(node._children, node._local_grads):  # noqa: B905
                child.grad += local_grad * node.grad


PEER_RECURSION_LIMIT = 100_000
"""The peer's (and micrograd's) recursive sort goes one Python frame per level of the graph."""


def peer_value() -> type[PeerValue]:
    sys.setrecursionlimit(max(sys.getrecursionlimit(), PEER_RECURSION_LIMIT))
    return PeerValue


def micrograd_value() -> Any:
    """micrograd 0.1.0's Value with sigmoid, exp and log added (idempotent)."""
    from micrograd.engine import Value

    # ---- ADDED FOR THE BENCHMARK: micrograd 0.1.0 has no sigmoid, exp or log.
    # Each is one node, written in micrograd's own style (a backward closure).
    def sigmoid(self: Any) -> Any:
        out = Value(1.0 / (1.0 + math.exp(-self.data)), (self,), "sigmoid")

        def _backward() -> None:
            self.grad += out.data * (1.0 - out.data) * out.grad

        out._backward = _backward
        return out

    def exp(self: Any) -> Any:
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward() -> None:
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def log(self: Any) -> Any:
        out = Value(math.log(self.data), (self,), "log")

        def _backward() -> None:
            self.grad += (1.0 / self.data) * out.grad

        out._backward = _backward
        return out

    Value.sigmoid = sigmoid
    Value.exp = exp
    Value.log = log
    # ---- end of the addition
    sys.setrecursionlimit(max(sys.getrecursionlimit(), PEER_RECURSION_LIMIT))
    return Value


def tinygrad_lite_value() -> Any:
    from tinygrad_lite import Value

    return Value


ENGINES: dict[str, Callable[[], Any]] = {
    "tinygrad_lite": tinygrad_lite_value,
    "micrograd": micrograd_value,
    "microgpt_style": peer_value,
}
"""Engine name -> a function returning its Value class (importing it only then)."""
