"""The autograd pass: reverse-mode differentiation of a recorded graph.

Every node knows the operation that made it (``node.operation``, an `Op`) and
its operands, in order (``node.operands``). To get d(root)/d(node) for every
node, visit the nodes so that each comes *after* every node that uses it
(reverse topological order). When a node is visited, all of its users have
already pushed their share to it, so its gradient is complete; it then pushes
``grad * local_grad`` to each operand: the chain rule. A node used twice (the
seed's ``w3``) receives two shares, and they add up.

This module is written against those fields only (the `Node` protocol), not
against `tinygrad_lite.value.Value`. What is not the chain rule (checks,
records for the stepping tools, the debugger stop, the clean-up of a pass
stopped half way) lives in `tinygrad_lite.autograd_machinery`, beside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from tinygrad_lite.autograd_machinery import BackwardStep, Pass
from tinygrad_lite.ops import Op


class Node(Protocol):
    """What the pass reads and writes on a graph node."""

    data: float
    grad: float
    grad_in_flight: Any  # the part of d(root)/d(node) delivered so far in a running pass
    operation: Op

    @property
    def operands(self) -> tuple[Any, ...]: ...

    # Where `operands` comes from, read directly by the sort and by
    # `float_derivatives` (no tuple per node): the first and second operand, or,
    # for three or more, all of them as a tuple.
    _x: Any
    _y: Any
    _xs: tuple[Any, ...] | None


def topological_order(roots: Any | Iterable[Any]) -> list[Any]:
    """Every node reachable from ``roots``, each after all of its operands.

    An iterative depth-first search (no recursion limit, so a chain of a million
    operations works). The order depends only on the graph and its operand
    order, never on ``id()``, so it is the same on every run.
    """
    root_list = [roots] if hasattr(roots, "grad_in_flight") else list(roots)
    order: list[Any] = []
    visited: set[Any] = set()
    stack: list[Any] = list(reversed(root_list))  # nodes, each maybe topped by _DONE
    push, pop, emit, mark = stack.append, stack.pop, order.append, visited.add  # speed
    while stack:
        node = pop()
        if node is _DONE:  # the node below has all its operands in `order`
            emit(pop())
        elif node not in visited:
            mark(node)
            # speed: the operand slots read directly (`node.operands` builds a tuple)
            first, second, many = node._x, node._y, node._xs
            if first is None and many is None:  # a leaf: done at once
                emit(node)
                continue
            push(node)
            push(_DONE)
            if many is not None:
                stack.extend(reversed(many))
            else:
                if second is not None and second not in visited:
                    push(second)
                if first not in visited:
                    push(first)
    return order


_DONE = object()
"""Marks, on the stack of `topological_order`, a node whose operands are done."""


def backward_pass(root: Node, seed: Any, run: Pass) -> Iterator[BackwardStep]:
    """Push d(root)/d(root) = ``seed`` back through the graph of ``root``.

    ``run`` says how (plain floats or graphs, add to ``.grad`` or not, record
    steps, where to stop for the debugger). The pass yields a `BackwardStep`
    per node only when ``run.records`` is set.
    """
    order = topological_order(root)
    with run.guard(root, order):  # checks first; cleans up a pass stopped half way
        local_derivatives, stops, accumulate, records = run.settings()
        root.grad_in_flight = seed
        for node in reversed(order):
            grad = node.grad_in_flight  # complete: every user of node came earlier
            node.grad_in_flight = 0.0
            operands, local_grads = local_derivatives(node)  # d(node)/d(operand), each
            if node in stops:
                run.stop_debugger()
            for operand, local_grad in zip(operands, local_grads):
                operand.grad_in_flight += grad * local_grad  # the chain rule
            if accumulate:
                node.grad += grad
            if records:
                yield BackwardStep(node, grad, tuple(local_grads))
