"""Explain a backward pass in the chain rule's notation, one line per node.

For every node, in the order backward visits them, one line says how its
gradient was assembled, with the node labels and the numbers::

    dL/dz3 = dL/dy_pred * dy_pred/dz3 = -0.2264 * 0.2446 = -0.05537

In general, for a node ``n`` used by the nodes ``u1 ... uk`` (its "users"),

    dL/dn = dL/du1 * du1/dn + ... + dL/duk * duk/dn

so a node reached from several places (a weight used twice) shows the sum of
its contributions. Numbers are printed with 4 significant digits.

Names: a node's label if it has one (in parentheses when it is a formula such
as ``y - y_pred``, so that ``dL/d(y - y_pred)`` reads as one name). An
unlabelled leaf (usually a constant such as the ``0.5`` in ``0.5 * e**2``) is
shown by its value. An unlabelled
operation is shown as an expression of its operands' names, e.g. ``(w3*a1)``
or ``sigmoid(z3)``; when that expression would be longer than
``NodeNames.max_length`` characters it becomes ``v17``, where 17 is the node's
position in ``topological_order(output)`` (0 is the first node computed).

`ChainRule` turns `BackwardStep` records into these lines, so every view of a
backward pass (``explain``, ``backward(explain=True)``, a graph player) says
the same thing; `chain_rule_line` is the formatting alone.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TextIO

from tinygrad_lite.autograd import backward_pass, topological_order
from tinygrad_lite.autograd_machinery import BackwardStep, Pass, hooks, seed_gradient
from tinygrad_lite.checks import optional_integer
from tinygrad_lite.naming import expression_name, position_name, readable_label
from tinygrad_lite.value import Num, Value

__all__ = [
    "ChainRule",
    "NodeNames",
    "Term",
    "chain_rule_line",
    "explain",
    "explain_lines",
    "format_number",
    "print_backward",
]


def format_number(x: Num) -> str:
    """``x`` with 4 significant digits, as the explanation lines print it (``-0.05537``)."""
    return f"{float(x):.4g}"


class NodeNames:
    """Readable, deterministic names for the nodes of one graph (see the module docstring)."""

    max_length: int = 24

    def __init__(self, output: Value, max_length: int | None = None) -> None:
        if max_length is not None:
            self.max_length = max_length
        self._names: dict[Value, str] = {}
        for position, node in enumerate(topological_order(output)):
            self._names[node] = self._name_of(node, position)

    def __call__(self, node: Value) -> str:
        """The name of ``node`` (nodes outside the graph get a name on first use)."""
        name = self._names.get(node)
        if name is None:
            name = self._names[node] = self._name_of(node, len(self._names))
        return name

    def _name_of(self, node: Value, position: int) -> str:
        """The label (readable), a constant's number, or the expression of the
        operands' names; `naming.position_name` when that is too long."""
        if node.label:
            return readable_label(node.label)
        if not node.operands:
            return f"{node.data:g}"
        expression = expression_name(node, [self(operand) for operand in node.operands])
        return expression if len(expression) <= self.max_length else position_name(position)


@dataclass(frozen=True, slots=True)
class Term:
    """One term ``dL/du * du/dn`` of a node ``n``'s gradient: what its user ``u`` sent it.

    Attributes:
        user: the node that used ``n`` as an operand.
        user_grad: dL/du, the user's gradient for this pass.
        local_grad: du/dn, the user's local derivative with respect to ``n``.
        contribution: ``user_grad * local_grad``, added to ``n``'s gradient.
    """

    user: Value
    user_grad: float
    local_grad: float
    contribution: float


def _signed(number: str, first: bool) -> str:
    """Parenthesise a negative factor unless it opens the expression (``a * (-b)``)."""
    return number if first or not number.startswith("-") else f"({number})"


def chain_rule_line(
    node: Value,
    grad: Num,
    terms: Iterable[Term],
    names: NodeNames,
    output: Value,
) -> str:
    """The chain-rule line for ``node`` whose gradient ``grad`` is the sum of ``terms``.

    ``dL/dn = dL/du1 * du1/dn + ... = g1 * l1 + ... = grad``; with no terms
    (the output itself) it is ``dL/dL = grad``, the seed gradient.
    """
    out_name = names(output)
    node_name = names(node)
    head = f"d{out_name}/d{node_name}"
    term_list = list(terms)
    if not term_list:
        return f"{head} = {format_number(grad)}"
    symbols = []
    numbers = []
    for index, term in enumerate(term_list):
        user_name = names(term.user)
        symbols.append(f"d{out_name}/d{user_name} * d{user_name}/d{node_name}")
        user_grad = _signed(format_number(term.user_grad), first=index == 0)
        local_grad = _signed(format_number(term.local_grad), first=False)
        numbers.append(f"{user_grad} * {local_grad}")
    return f"{head} = {' + '.join(symbols)} = {' + '.join(numbers)} = {format_number(grad)}"


class ChainRule:
    """Turns the steps of one backward pass, fed in order, into chain-rule lines.

    ``line(step)`` returns the line for ``step.node`` (whose gradient is complete
    at its step) and remembers the step's contributions as `Term`s of its
    operands, whose lines come later.
    """

    def __init__(self, output: Value, names: NodeNames | None = None) -> None:
        self.output = output
        self.names = names if names is not None else NodeNames(output)
        self._terms: dict[Value, list[Term]] = {}

    def terms(self, node: Value) -> tuple[Term, ...]:
        """The terms received so far by ``node`` (all of them once its step is reached)."""
        return tuple(self._terms.get(node, ()))

    def line(self, step: BackwardStep) -> str:
        """The chain-rule line for ``step.node``; call it for every step, in order."""
        text = chain_rule_line(
            step.node, step.grad, self._terms.pop(step.node, ()), self.names, self.output
        )
        self.record(step)
        return text

    def record(self, step: BackwardStep) -> None:
        """Remember the step's contributions without formatting a line (for skipped nodes)."""
        self._terms.pop(step.node, None)
        for operand, local_grad, contribution in zip(
            step.operands, step.local_grads, step.contributions, strict=True
        ):
            term = Term(step.node, float(step.grad), float(local_grad), float(contribution))
            self._terms.setdefault(operand, []).append(term)


def _selection(output: Value, nodes: Iterable[Value | str] | None) -> set[Value] | None:
    """The nodes to explain: those named in ``nodes``, or by default every node except
    unlabelled leaves (constants such as the 0.5 in ``0.5 * e**2``)."""
    order = topological_order(output)
    if nodes is None:
        return {node for node in order if node.label or not node.is_leaf}
    if isinstance(nodes, (str, Value)):
        nodes = [nodes]
    chosen: set[Value] = set()
    for wanted in nodes:
        if isinstance(wanted, Value):
            matches = [node for node in order if node is wanted]
        elif isinstance(wanted, str):
            matches = [node for node in order if node.label == wanted]
        else:
            raise TypeError(f"nodes= takes Values or labels (str), got {type(wanted).__qualname__}")
        if not matches:
            raise ValueError(f"nodes=: {wanted!r} is not a node of this graph")
        chosen.update(matches)
    return chosen


def _lines(
    steps: Iterator[BackwardStep],
    output: Value,
    nodes: Iterable[Value | str] | None,
    limit: int | None,
) -> Iterator[str]:
    """Consume every step (so the pass completes) and yield the selected lines, at most ``limit``
    of them followed by a line saying how many were left out."""
    chosen = _selection(output, nodes)
    rule = ChainRule(output)
    shown = 0
    left_out = 0
    for step in steps:
        wanted = chosen is None or step.node in chosen
        if wanted and (limit is None or shown < limit):
            yield rule.line(step)
            shown += 1
        else:
            rule.record(step)
            left_out += wanted
    if left_out:
        yield f"... {left_out} more line(s) not shown (limit={limit})"


def explain_lines(
    output: Value,
    grad: float = 1.0,
    *,
    nodes: Iterable[Value | str] | None = None,
    limit: int | None = None,
) -> list[str]:
    """The chain-rule lines of ``output``'s backward pass, without touching any ``.grad``.

    ``nodes`` (Values or labels) restricts the lines to those nodes; by default every
    node except unlabelled leaves (constants) gets one. ``limit`` caps the number of
    lines (the ones nearest the output come first), for large graphs.
    """
    optional_integer("limit", limit, 0)
    _selection(output, nodes)  # bad nodes= fail before the pass starts
    steps = backward_pass(output, seed_gradient(grad), Pass(records=True, accumulate=False))
    return list(_lines(steps, output, nodes, limit))


def explain(
    output: Value,
    grad: float = 1.0,
    *,
    nodes: Iterable[Value | str] | None = None,
    limit: int | None = None,
    file: TextIO | None = None,
) -> None:
    """Print the chain rule of every backward step of ``output`` (see `explain_lines`).

    Read-only: no ``.grad`` changes. ``output.backward(explain=True)`` prints the
    same lines while doing the real pass.
    """
    for line in explain_lines(output, grad, nodes=nodes, limit=limit):
        print(line, file=file if file is not None else sys.stdout)


def print_backward(
    steps: Iterator[BackwardStep],
    root: Value,
    *,
    nodes: Iterable[Value | str] | None = None,
    limit: int | None = None,
    file: TextIO | None = None,
) -> None:
    """Consume the backward ``steps`` of ``root`` and print each step's chain-rule line
    as it happens (used by ``backward(explain=True)``)."""
    optional_integer("limit", limit, 0)
    for line in _lines(steps, root, nodes, limit):
        print(line, file=file if file is not None else sys.stdout)


def push_line(output: Value, step: BackwardStep) -> str:
    """What one backward step pushes, in words: the debugger's ``chain`` command.

    ``dL/da1 = 0.01678; to z1: 0.01678 * 0.2445 = 0.004103`` (names as in `explain`)."""
    names = NodeNames(output)
    node_name, out_name = names(step.node), names(output)
    head = f"d{out_name}/d{node_name} = {format_number(step.grad)}"
    pushes = [
        f"to {names(operand)}: {format_number(step.grad)} * {format_number(local)} "
        f"= {format_number(contribution)}"
        for operand, local, contribution in zip(
            step.operands, step.local_grads, step.contributions, strict=True
        )
    ]
    return "; ".join([head, *pushes]) if pushes else f"{head} (a leaf: nothing to push)"


# backward(explain=True) and the debugger's `chain` command print through these.
hooks.print_backward = print_backward
hooks.chain_line = push_line
