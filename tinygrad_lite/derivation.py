"""Check a learner's hand derivation against autograd, and say where it went wrong.

``check_derivation(output, claimed)`` takes the gradients a learner worked out by
hand, ``claimed = {"a1": 0.0125, "dL/dz1": 0.0031, ...}`` (d(output)/d(node) for any
subset of the labelled nodes), and compares each with the backward pass. A claim
agrees when it is within the rounding a float64 chain rule can make (see
`rounding_tolerance`); the central finite difference is printed beside it for
the learner's trust, never used for the verdict.

A wrong claim is explained. Either it is *inherited*: it is exactly the chain rule
applied to an earlier wrong claim (the learner's own dL/du for a consumer ``u``),
so fixing that one fixes it; or the error *entered* there, and the diagnosis tries,
against the learner's own upstream numbers, the usual mistakes one by one:

* a wrong local derivative of one consumer (``sigmoid'(z)`` taken as ``sigmoid(z)``,
  ``d(w*x)/dw`` taken as ``w``, a lost minus sign, a lost exponent);
* the gradient of an activation's output given for its input, or the other way round;
* a node used twice whose paths were not summed (a consumer's path is missing);
* an extra factor (times a node's value or a local derivative of the graph) or a
  missing one (divided by it).

``report.first_wrong`` is where the error entered: a wrong claim whose nearest
claimed consumers are all right (or that has none).
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from tinygrad_lite import ops
from tinygrad_lite.autograd import backward_pass, topological_order
from tinygrad_lite.autograd_machinery import Pass, seed_gradient
from tinygrad_lite.checks import real_number
from tinygrad_lite.explain import NodeNames, format_number
from tinygrad_lite.value import Value

__all__ = [
    "DerivationReport",
    "DerivationRow",
    "check_derivation",
    "rounding_tolerance",
]

EPSILON = sys.float_info.epsilon
ROUNDINGS_PER_OPERATION = 4
"""Roundings allowed per operation between a node and the output: the local derivative
(up to a few for sigmoid or tanh), the product with the upstream gradient, the sum."""

ACTIVATIONS: tuple[type[ops.Op], ...] = (ops.Sigmoid, ops.Tanh, ops.Relu)
"""The operations whose input and output a learner may confuse (``z`` and ``a = sigmoid(z)``)."""

_KEY = re.compile(r"^d(?P<top>.+?)/d(?P<node>.+)$")


def rounding_tolerance(scale: float, operations: int) -> float:
    """How far a float64 gradient may be from another float64 evaluation of the same
    chain rule: ``operations`` steps, each rounding a few times, on numbers of size
    ``scale`` (the sum over paths of the product of the |local derivatives|)."""
    return ROUNDINGS_PER_OPERATION * (operations + 1) * EPSILON * scale


@dataclass(frozen=True, slots=True)
class DerivationRow:
    """One claimed gradient d(output)/d(node) against autograd.

    Attributes:
        label: the node's label.
        claimed: the learner's number.
        autograd: the backward pass's number.
        central_difference: (f(x + h) - f(x - h)) / 2h for the node, shown only.
        verdict: "agrees", "wrong" (the error entered here) or "inherited".
        diagnosis: what went wrong, in words ("" when it agrees).
    """

    label: str
    claimed: float
    autograd: float
    central_difference: float
    verdict: str
    diagnosis: str = ""


@dataclass(frozen=True, slots=True)
class DerivationReport:
    """The result of `check_derivation`; ``str(report)`` is the table and the diagnosis."""

    output_name: str
    rows: tuple[DerivationRow, ...]
    first_wrong: str | None

    @property
    def ok(self) -> bool:
        """True when every claim agrees with autograd."""
        return all(row.verdict == "agrees" for row in self.rows)

    def row(self, label: str) -> DerivationRow:
        """The row of the node labelled ``label``."""
        for row in self.rows:
            if row.label == label:
                return row
        raise KeyError(label)

    def __str__(self) -> str:
        top = self.output_name
        heads = [f"d{top}/d{row.label}" for row in self.rows]
        width = max([len("gradient"), *(len(head) for head in heads)]) + 2
        lines = [
            f"Your gradients of {top} against autograd "
            "(the central difference is shown, not used for the verdict)",
            f"  {'gradient':<{width}}{'claimed':<14}{'autograd':<14}{'central diff.':<15}verdict",
        ]
        for head, row in zip(heads, self.rows, strict=True):
            lines.append(
                f"  {head:<{width}}{format_number(row.claimed):<14}"
                f"{format_number(row.autograd):<14}"
                f"{format_number(row.central_difference):<15}{row.verdict}"
            )
        if self.ok:
            lines += ["", "Every claimed gradient agrees with autograd."]
            return "\n".join(lines)
        lines += ["", "Diagnosis:"]
        if self.first_wrong is not None:
            lines.append(f"  The error entered at d{top}/d{self.first_wrong}.")
        for head, row in zip(heads, self.rows, strict=True):
            if row.verdict != "agrees":
                lines.append(f"  {head}: {row.diagnosis}")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class _Term:
    """``user`` used ``node`` as operand ``slot``: it sends dL/duser * local."""

    user: Value
    slot: int
    local: float


class _Graph:
    """The numbers of one backward pass that the diagnosis reads."""

    def __init__(self, output: Value) -> None:
        self.output = output
        self.order = topological_order(output)
        self.names = NodeNames(output)
        self.grad: dict[Value, float] = {}
        self.terms: dict[Value, list[_Term]] = {}
        self.locals: dict[Value, tuple[float, ...]] = {}
        steps = backward_pass(output, seed_gradient(1.0), Pass(records=True, accumulate=False))
        for step in steps:
            self.grad[step.node] = float(step.grad)
            self.locals[step.node] = tuple(float(local) for local in step.local_grads)
            for slot, (operand, local) in enumerate(
                zip(step.operands, step.local_grads, strict=True)
            ):
                self.terms.setdefault(operand, []).append(_Term(step.node, slot, float(local)))
        # |gradient| summed over paths, and the longest path to the output, per node
        self.scale: dict[Value, float] = {output: 1.0}
        self.depth: dict[Value, int] = {output: 0}
        for node in reversed(self.order):
            for term in self.terms.get(node, ()):
                self.scale[node] = self.scale.get(node, 0.0) + self.scale[term.user] * abs(
                    term.local
                )
                self.depth[node] = max(self.depth.get(node, 0), self.depth[term.user] + 1)

    def tolerance(self, node: Value, size: float = 0.0) -> float:
        """Rounding tolerance for a gradient of ``node`` (and a number of size ``size``)."""
        return rounding_tolerance(self.scale.get(node, 0.0) + abs(size), self.depth.get(node, 0))

    def name(self, node: Value) -> str:
        return self.names(node)

    def evaluate(self, node: Value, shift: float) -> float:
        """The output with ``node``'s value moved by ``shift`` (its consumers see it)."""
        values: dict[Value, float] = {}
        for each in self.order:
            if each.operands:
                value = each.operation.forward([values[x] for x in each.operands])
            else:
                value = each.data
            values[each] = value + shift if each is node else value
        return float(values[self.output])

    def central_difference(self, node: Value) -> float:
        step = float(EPSILON ** (1 / 3)) * max(1.0, abs(float(node.data)))
        try:
            return (self.evaluate(node, step) - self.evaluate(node, -step)) / (2 * step)
        except (ArithmeticError, ValueError, NotImplementedError):
            return math.nan


def _labelled_node(graph: _Graph, key: object) -> tuple[str, Value]:
    """The node a key of ``claimed`` names: ``"a1"`` or ``"dL/da1"``."""
    if not isinstance(key, str):
        raise TypeError(f"claimed: keys are node labels (str), got {key!r}")
    by_label: dict[str, list[Value]] = {}
    for node in graph.order:
        if node.label:
            by_label.setdefault(node.label, []).append(node)
    label = key
    match = _KEY.match(key)
    if key not in by_label and match is not None:
        top, label = match.group("top"), match.group("node")
        output_label = graph.output.label
        if output_label and top.strip("()") != output_label.strip("()"):
            raise ValueError(
                f"claimed: {key!r} is a gradient of {top!r}, but the output is {output_label!r}"
            )
    nodes = by_label.get(label, [])
    if not nodes:
        known = ", ".join(repr(name) for name in by_label) or "none"
        raise ValueError(
            f"claimed: no node of the graph is labelled {label!r} (from key {key!r}); "
            f"the labels are: {known}"
        )
    if len(nodes) > 1:
        raise ValueError(f"claimed: {len(nodes)} nodes are labelled {label!r}; relabel them")
    return label, nodes[0]


def _local_formula(graph: _Graph, user: Value, slot: int) -> str:
    operand = graph.name(user.operands[slot])
    return f"d{graph.name(user)}/d{operand}"


_Mistake = tuple[float, str]
"""(the wrong local derivative, how it was got)."""


def _local_mistakes(graph: _Graph, user: Value, slot: int) -> list[_Mistake]:
    """The usual wrong local derivatives of ``user`` with respect to operand ``slot``."""
    op = user.operation
    xs = [x.data for x in user.operands]
    names = [graph.name(x) for x in user.operands]
    out = user.data
    mine, name = xs[slot], names[slot]
    if isinstance(op, ops.Sigmoid):
        return [
            (out, f"sigmoid'({name}) taken as sigmoid({name}) = {format_number(out)}"),
            (
                mine * (1 - mine),
                f"sigmoid'({name}) taken as {name}*(1 - {name}) = "
                f"{format_number(mine * (1 - mine))} (the formula needs sigmoid({name}))",
            ),
        ]
    if isinstance(op, ops.Tanh):
        return [
            (out, f"tanh'({name}) taken as tanh({name}) = {format_number(out)}"),
            (
                1 - mine * mine,
                f"tanh'({name}) taken as 1 - {name}**2 = {format_number(1 - mine * mine)} "
                f"(the formula needs tanh({name}))",
            ),
        ]
    if isinstance(op, ops.Mul) and user.operands[0] is not user.operands[1]:
        return [
            (
                mine,
                f"{_local_formula(graph, user, slot)} taken as {name} = {format_number(mine)} "
                f"(it is the other factor, {names[1 - slot]} = {format_number(xs[1 - slot])})",
            )
        ]
    if isinstance(op, ops.Linear):
        n = (len(xs) - 1) // 2
        if slot < 2 * n:
            other = slot + n if slot < n else slot - n
            return [
                (
                    mine,
                    f"{_local_formula(graph, user, slot)} taken as {name} = "
                    f"{format_number(mine)} (it is the other factor, {names[other]} = "
                    f"{format_number(xs[other])})",
                )
            ]
    if isinstance(op, ops.Sub) and slot == 1:
        return [(1.0, f"{_local_formula(graph, user, slot)} taken as +1 (it is -1)")]
    if isinstance(op, ops.Div) and slot == 1:
        wrong = xs[0] / (xs[1] * xs[1])
        return [
            (
                wrong,
                f"{_local_formula(graph, user, slot)} taken as {names[0]}/{name}**2 "
                f"= {format_number(wrong)}: the minus sign is lost",
            )
        ]
    if isinstance(op, ops.PowConst):
        p = op.exponent
        mistakes: list[_Mistake] = []
        if p not in (0.0, 1.0):
            lost = float(mine ** (p - 1)) if mine != 0 else 0.0
            mistakes.append(
                (
                    lost,
                    f"d({name}**{p:g})/d{name} taken as {name}**{p - 1:g}: "
                    f"the factor {p:g} is lost",
                )
            )
        return mistakes
    if isinstance(op, ops.Log):
        return [(math.log(mine), f"log'({name}) taken as log({name})")] if mine > 0 else []
    return []


class _Diagnosis:
    """Compares each claim with the chain rule applied to the learner's own upstream numbers."""

    def __init__(self, graph: _Graph, claims: dict[Value, float]) -> None:
        self.graph = graph
        self.claims = claims
        # What each node's gradient is when every claimed gradient is taken as given.
        self.given: dict[Value, float] = {}
        self.expected: dict[Value, float] = {}
        for node in reversed(graph.order):
            if node is graph.output:
                expected = 1.0
            else:
                expected = sum(self.given[t.user] * t.local for t in graph.terms.get(node, ()))
            self.expected[node] = expected
            self.given[node] = claims.get(node, expected)

    def close(self, node: Value, a: float, b: float, factor: float = 1.0) -> bool:
        tolerance = self.graph.tolerance(node, max(abs(a), abs(b))) * max(factor, 1.0)
        return abs(a - b) <= tolerance

    def agrees(self, node: Value) -> bool:
        return self.close(node, self.claims[node], self.graph.grad[node])

    def nearest_claims(self, node: Value) -> list[Value]:
        """The claimed nodes reached from ``node`` toward the output through unclaimed ones."""
        found: list[Value] = []
        stack = [t.user for t in self.graph.terms.get(node, ())]
        seen: set[Value] = set()
        while stack:
            user = stack.pop()
            if user in seen:
                continue
            seen.add(user)
            if user in self.claims:
                found.append(user)
            else:
                stack.extend(t.user for t in self.graph.terms.get(user, ()))
        return sorted(found, key=self.graph.order.index, reverse=True)

    def explain(self, node: Value) -> tuple[str, str]:
        """(verdict, diagnosis) for a wrong claim at ``node``."""
        graph, claim = self.graph, self.claims[node]
        expected = self.expected[node]
        wrong_upstream = [u for u in self.nearest_claims(node) if not self.agrees(u)]
        if wrong_upstream and self.close(node, claim, expected):
            sources = " and ".join(
                f"d{graph.name(graph.output)}/d{graph.name(u)}" for u in wrong_upstream
            )
            return "inherited", (
                f"inherited from {sources}: it is the chain rule applied to your "
                f"{sources}, so fixing that fixes this one"
            )
        for check in (self._local_mistake, self._activation, self._missing_path, self._factor):
            found = check(node, claim, expected)
            if found:
                return "wrong", found + self._right_value(node, expected, wrong_upstream)
        return "wrong", (
            f"not one of the usual mistakes: the chain rule gives {self._chain(node)}"
            + self._right_value(node, expected, wrong_upstream)
        )

    def _right_value(self, node: Value, expected: float, wrong_upstream: list[Value]) -> str:
        right = self.graph.grad[node]
        if wrong_upstream and not self.close(node, expected, right):
            return f" (from your upstream numbers it would be {format_number(expected)})"
        return f"; it should be {format_number(right)}"

    def _chain(self, node: Value) -> str:
        graph = self.graph
        top = graph.name(graph.output)
        terms = graph.terms.get(node, ())
        symbols = " + ".join(
            f"d{top}/d{graph.name(t.user)} * {_local_formula(graph, t.user, t.slot)}" for t in terms
        )
        numbers = " + ".join(
            f"{format_number(self.given[t.user])} * {format_number(t.local)}" for t in terms
        )
        return f"{symbols} = {numbers} = {format_number(self.expected[node])}"

    def _local_mistake(self, node: Value, claim: float, expected: float) -> str:
        for term in self.graph.terms.get(node, ()):
            for wrong_local, how in _local_mistakes(self.graph, term.user, term.slot):
                candidate = expected + self.given[term.user] * (wrong_local - term.local)
                if self.close(node, claim, candidate, abs(self.given[term.user])):
                    right = _local_formula(self.graph, term.user, term.slot)
                    return f"wrong local derivative: {how}; {right} = {format_number(term.local)}"
        return ""

    def _activation(self, node: Value, claim: float, expected: float) -> str:
        graph = self.graph
        top = graph.name(graph.output)
        for term in graph.terms.get(node, ()):
            user = term.user
            if isinstance(user.operation, ACTIVATIONS) and self.close(
                node, claim, self.given[user]
            ):
                return (
                    f"this is d{top}/d{graph.name(user)}, the gradient of the activation's "
                    f"output, given for its input {graph.name(node)}: multiply by "
                    f"{_local_formula(graph, user, term.slot)} = {format_number(term.local)}"
                )
        if isinstance(node.operation, ACTIVATIONS):
            inner = node.operands[0]
            local = graph.locals[node][0]
            if self.close(node, claim, expected * local, abs(local)):
                return (
                    f"this is d{top}/d{graph.name(inner)}, the gradient of the activation's "
                    f"input, given for its output {graph.name(node)}: do not multiply by "
                    f"d{graph.name(node)}/d{graph.name(inner)} = {format_number(local)} here"
                )
            for factor, what in self._factors(node):
                size = abs(factor)
                if not math.isfinite(factor) or size == 0.0 or self.close(node, size, 1.0):
                    continue
                if self.close(node, claim, expected * local * factor, size * abs(local)):
                    return (
                        f"this is d{top}/d{graph.name(inner)}, the gradient of the activation's "
                        f"input, given for its output {graph.name(node)}, with an extra factor "
                        f"{format_number(factor)}, which is {what}"
                    )
        return ""

    def _missing_path(self, node: Value, claim: float, expected: float) -> str:
        graph = self.graph
        terms = graph.terms.get(node, ())
        if len(terms) < 2:
            return ""
        users = [graph.name(t.user) for t in terms]
        for index, term in enumerate(terms):
            share = self.given[term.user] * term.local
            if self.close(node, claim, share):
                missing = [user for other, user in enumerate(users) if other != index]
                return (
                    f"{graph.name(node)} is used by {', '.join(users)}, but only the path "
                    f"through {users[index]} is counted: add the path(s) through "
                    f"{', '.join(missing)}"
                )
            if len(terms) > 2 and self.close(node, claim, expected - share):
                return (
                    f"{graph.name(node)} is used by {', '.join(users)}: the path through "
                    f"{users[index]} is missing"
                )
        return ""

    def _factors(self, node: Value) -> Iterator[tuple[float, str]]:
        graph = self.graph
        for term in graph.terms.get(node, ()):
            yield term.local, f"the local derivative {_local_formula(graph, term.user, term.slot)}"
        for each in reversed(graph.order):
            uses = graph.terms.get(each, ())
            if len(uses) > 1:  # a reused node: its local derivatives summed over its uses
                summed = " + ".join(_local_formula(graph, t.user, t.slot) for t in uses)
                yield (
                    sum(t.local for t in uses),
                    f"{summed}, summed over the uses of {graph.name(each)}",
                )
        for each in reversed(graph.order):
            yield each.data, f"the value of {graph.name(each)}"
            for slot, local in enumerate(graph.locals.get(each, ())):
                yield local, f"the local derivative {_local_formula(graph, each, slot)}"

    def _factor(self, node: Value, claim: float, expected: float) -> str:
        if expected == 0.0:
            return ""
        for extra in (True, False):
            matches: list[str] = []
            found = 0.0
            for factor, what in self._factors(node):
                size = abs(factor)
                if not math.isfinite(factor) or size == 0.0 or self.close(node, size, 1.0):
                    continue
                candidate = expected * factor if extra else expected / factor
                if self.close(node, claim, candidate, size if extra else 1 / size):
                    found = factor
                    if what not in matches:
                        matches.append(what)
            if matches:
                kind, how = ("an extra", "times") if extra else ("a missing", "divided by")
                return (
                    f"{kind} factor: it is the right gradient {how} {format_number(found)}, "
                    f"which is {', or '.join(matches[:3])}"
                )
        return ""


def _claims(graph: _Graph, claimed: Mapping[str, object]) -> dict[Value, tuple[str, float]]:
    if not isinstance(claimed, Mapping):
        raise TypeError(
            f"claimed must map node labels to numbers, got {type(claimed).__qualname__}"
        )
    found: dict[Value, tuple[str, float]] = {}
    for key, number in claimed.items():
        label, node = _labelled_node(graph, key)
        if node in found:
            raise ValueError(f"claimed: {label!r} is claimed twice")
        found[node] = (label, real_number(f"claimed[{key!r}]", number))
    return found


def check_derivation(output: Value, claimed: Mapping[str, object]) -> DerivationReport:
    """Check the learner's ``claimed`` gradients d(output)/d(node), keyed by node label
    (``"a1"`` or ``"dL/da1"``), against autograd, and diagnose the wrong ones.

    Read-only: no ``.grad`` changes. Raises ValueError for a label that names no
    node (or several), TypeError for a claim that is not a number.
    """
    if not isinstance(output, Value):
        raise TypeError(f"output must be a Value, got {type(output).__qualname__}")
    graph = _Graph(output)
    claims = _claims(graph, claimed)
    diagnosis = _Diagnosis(graph, {node: number for node, (_, number) in claims.items()})
    rows: list[DerivationRow] = []
    first_wrong: str | None = None
    for node in reversed(graph.order):
        if node not in claims:
            continue
        label, number = claims[node]
        verdict, words = ("agrees", "") if diagnosis.agrees(node) else diagnosis.explain(node)
        if (
            verdict != "agrees"
            and first_wrong is None
            and all(diagnosis.agrees(user) for user in diagnosis.nearest_claims(node))
        ):
            first_wrong = label
        rows.append(
            DerivationRow(
                label, number, graph.grad[node], graph.central_difference(node), verdict, words
            )
        )
    return DerivationReport(graph.name(output), tuple(rows), first_wrong)
