"""Forward mode beside reverse mode: `jvp`, `jacobian`, `hessian`, `hvp` and forward steps.

Reverse mode (``backward``, `grad`) starts at the output with d(out)/d(out) = 1
and walks the graph from the output to the leaves: one pass gives the
derivative of *one output* with respect to *every input*. Forward mode starts
at the inputs with a direction, the tangent ``dx`` of each input, and walks
from the leaves to the output: one pass gives the derivative of *every output*
along *one direction* of the inputs (a Jacobian-vector product, "jvp").

How it is done here: ``f`` is called once on fresh leaves (one per primal),
which records its graph as usual; then the nodes are visited in
`topological_order` (every node after its operands), and each node's tangent is

    dn = dn/d(operand 1) * d(operand 1) + ... + dn/d(operand k) * d(operand k)

with the local derivatives dn/d(operand) that the node's `Op` already has
(``op.derivatives(xs, out)``, the ones the backward pass uses). There is no
second formula per operation, so a custom `Op` works in forward mode as soon as
it works in reverse mode. Leaves that are not primals (constants) have tangent 0.

`jacobian` builds the Jacobian either way: ``mode="forward"`` takes one forward
pass per input, ``mode="reverse"`` one backward pass per output. `hessian` is
reverse over reverse (``grad(grad(f, create_graph=True)[i])``) or forward over
reverse (a forward pass through the graph of the gradient); `hvp` is one
forward-over-reverse pass. `forward_steps` and `forward_lines` show a forward
pass node by node, in the notation of `tinygrad_lite.explain`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from tinygrad_lite.autograd import topological_order
from tinygrad_lite.checks import real_number
from tinygrad_lite.explain import NodeNames, format_number
from tinygrad_lite.naming import input_name
from tinygrad_lite.value import Value, grad, no_grad

__all__ = [
    "ForwardStep",
    "JacobianRun",
    "forward_lines",
    "forward_steps",
    "hessian",
    "hvp",
    "jacobian",
    "jacobian_run",
    "jvp",
    "tangent_line",
]

FloatArray = npt.NDArray[np.float64]
Function = Callable[..., object]
"""``f(*values)``: takes one `Value` per input, returns a `Value` or a tuple of Values."""
Mode = Literal["reverse", "forward"]
MODES: tuple[str, ...] = ("reverse", "forward")


@dataclass(frozen=True, slots=True)
class ForwardStep:
    """What one step of a forward pass did: the tangent of one node.

    Attributes:
        node: the node whose tangent is now known (its operands' came earlier).
        tangent: d(node) along the pass's direction: the sum of `contributions`
            (for a leaf, its tangent as given: 0 for a constant).
        local_grads: d(node)/d(operand) for each operand, in operand order (the
            same numbers the backward pass multiplies by).
        operand_tangents: the tangent of each operand, in operand order.
    """

    node: Value
    tangent: float
    local_grads: tuple[float, ...]
    operand_tangents: tuple[float, ...]

    @property
    def operands(self) -> tuple[Value, ...]:
        """The node's operands, in order."""
        return self.node.operands

    @property
    def contributions(self) -> tuple[float, ...]:
        """``local_grad * operand_tangent`` for each operand; they add up to `tangent`."""
        return tuple(
            local * tangent
            for local, tangent in zip(self.local_grads, self.operand_tangents, strict=True)
        )


@dataclass(frozen=True, slots=True)
class _Graph:
    """``f``'s graph recorded on fresh leaves."""

    leaves: tuple[Value, ...]
    outputs: tuple[Value, ...]
    single: bool  # f returned one Value (not a tuple)
    order: tuple[Value, ...]  # topological order of every output's graph


def _numbers(name: str, values: object) -> list[float]:
    """``values`` as a list of floats, or an error naming the argument and the entry."""
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
        raise TypeError(
            f"{name} must be a sequence of numbers, got {type(values).__qualname__}: {values!r:.40}"
        )
    return [real_number(f"{name}[{i}]", x) for i, x in enumerate(values)]


def _inputs(name: str, values: object) -> list[float]:
    numbers = _numbers(name, values)
    if not numbers:
        raise ValueError(f"{name} must hold at least one number, got none")
    return numbers


def _same_length(name: str, values: Sequence[float], other: str, count: int) -> None:
    if len(values) != count:
        raise ValueError(
            f"{name} has {len(values)} number(s) but {other} has {count}: one per input"
        )


def _mode(mode: object) -> Mode:
    if mode not in MODES:
        raise ValueError(f"mode must be 'reverse' or 'forward', got {mode!r}")
    return "forward" if mode == "forward" else "reverse"


def _build(f: Function, primals: Sequence[float]) -> _Graph:
    """Call ``f`` on fresh leaves holding ``primals``; unlabelled leaves become x0, x1, ..."""
    if not callable(f):
        raise TypeError(f"f must be a function of Values, got {type(f).__qualname__}")
    leaves = tuple(Value(x) for x in primals)
    result = f(*leaves)
    single = isinstance(result, Value)
    outputs = (result,) if single else result
    if (
        not isinstance(outputs, (tuple, list))
        or not outputs
        or not all(isinstance(out, Value) for out in outputs)
    ):
        raise TypeError(
            f"f must return a Value or a non-empty tuple of Values, got "
            f"{type(result).__qualname__}: {result!r:.60}"
        )
    for position, leaf in enumerate(leaves):
        if not leaf.label:
            leaf.label = input_name(position)
    return _Graph(leaves, tuple(outputs), single, tuple(topological_order(list(outputs))))


def _push(graph: _Graph, tangents: Sequence[float]) -> Iterator[ForwardStep]:
    """One forward pass: every node's tangent, operands first (see the module docstring)."""
    tangent_of: dict[Value, float] = dict(zip(graph.leaves, tangents, strict=True))
    for node in graph.order:
        operands = node.operands
        if not operands:
            leaf_tangent = tangent_of.setdefault(node, 0.0)
            yield ForwardStep(node, leaf_tangent, (), ())
            continue
        local = node.operation.derivatives([operand.data for operand in operands], node.data)
        if len(local) != len(operands):
            raise TypeError(
                f"{type(node.operation).__qualname__} (name {node.operation.name!r}): "
                f"derivatives() returned {len(local)} value(s) for {len(operands)} operand(s)"
            )
        local_grads = tuple(float(d) for d in local)
        operand_tangents = tuple(tangent_of[operand] for operand in operands)
        total = local_grads[0] * operand_tangents[0]
        for d, t in zip(local_grads[1:], operand_tangents[1:], strict=True):
            total += d * t  # the chain rule, forwards
        tangent_of[node] = total
        yield ForwardStep(node, total, local_grads, operand_tangents)


def _output_tangents(graph: _Graph, tangents: Sequence[float]) -> list[float]:
    tangent_of = {step.node: step.tangent for step in _push(graph, tangents)}
    return [tangent_of[out] for out in graph.outputs]


def jvp(
    f: Function, primals: Sequence[float], tangents: Sequence[float]
) -> tuple[float | tuple[float, ...], float | tuple[float, ...]]:
    """``(f(primals), J @ tangents)`` in one forward pass, as ``torch.func.jvp``.

    ``f`` takes one `Value` per primal and returns a Value or a tuple of Values;
    ``primals`` and ``tangents`` are numbers, one per input. The result is two
    floats, or two tuples of floats when ``f`` returns a tuple: the outputs and
    their directional derivatives along ``tangents``.
    """
    point = _inputs("primals", primals)
    direction = _numbers("tangents", tangents)
    _same_length("tangents", direction, "primals", len(point))
    graph = _build(f, point)
    values = tuple(out.data for out in graph.outputs)
    derivatives = tuple(_output_tangents(graph, direction))
    if graph.single:
        return values[0], derivatives[0]
    return values, derivatives


def forward_steps(
    f: Function, primals: Sequence[float], tangents: Sequence[float]
) -> Iterator[ForwardStep]:
    """The forward pass of `jvp`, one `ForwardStep` per node, operands first.

    Every node of ``f``'s graph gets a step, leaves included (the primals with
    their tangents, constants with 0); the last step is the last output's.
    """
    point = _inputs("primals", primals)
    direction = _numbers("tangents", tangents)
    _same_length("tangents", direction, "primals", len(point))
    return _push(_build(f, point), direction)


def _local_symbols(node: Value, graph_nodes: set[Value], names: NodeNames) -> list[str | None]:
    """How each local derivative of ``node`` is written: the name of the graph node it
    is (``x`` in ``d(w1*x) = dw1 * x + ...``), a constant's number, None for 1 (no
    factor), else ``dn/do``. Found by running ``derivatives`` on the operands
    themselves (the formulas work on Values), without recording anything."""
    operands = node.operands
    fallback: list[str | None] = [f"d{names(node)}/d{names(operand)}" for operand in operands]
    try:
        with no_grad():
            symbolic = node.operation.derivatives(operands, node)
    except Exception:  # a custom Op whose formula only works on floats: keep the fallback
        return fallback
    if len(symbolic) != len(operands):
        return fallback
    symbols: list[str | None] = []
    for derivative, default in zip(symbolic, fallback, strict=True):
        if isinstance(derivative, Value) and derivative in graph_nodes:
            symbols.append(names(derivative))
        elif isinstance(derivative, (int, float)) and not isinstance(derivative, bool):
            number = format_number(derivative)
            symbols.append(None if derivative == 1 else f"({number})" if derivative < 0 else number)
        else:
            symbols.append(default)
    return symbols


def _factor(number: float) -> str:
    text = format_number(number)
    return f"({text})" if text.startswith("-") else text


def tangent_line(step: ForwardStep, names: NodeNames, graph_nodes: set[Value]) -> str:
    """The line of one forward step, like explain's lines read forwards::

        d(w1*x) = dw1 * x + dx * w1 = 1 * 0.5 + 0 * 0.2 = 0.5

    ``d<node> = sum of d<operand> * d<node>/d<operand> = the numbers = the tangent``;
    a leaf's line is its tangent (``dx = 1``)."""
    head = f"d{names(step.node)}"
    if not step.operands:
        return f"{head} = {format_number(step.tangent)}"
    symbols = _local_symbols(step.node, graph_nodes, names)
    terms: list[str] = []
    numbers: list[str] = []
    for operand, symbol, local, tangent in zip(
        step.operands, symbols, step.local_grads, step.operand_tangents, strict=True
    ):
        first = not numbers
        operand_tangent = format_number(tangent) if first else _factor(tangent)
        if symbol is None:
            terms.append(f"d{names(operand)}")
            numbers.append(operand_tangent)
        else:
            terms.append(f"d{names(operand)} * {symbol}")
            numbers.append(f"{operand_tangent} * {_factor(local)}")
    return f"{head} = {' + '.join(terms)} = {' + '.join(numbers)} = {format_number(step.tangent)}"


def forward_lines(f: Function, primals: Sequence[float], tangents: Sequence[float]) -> list[str]:
    """One `tangent_line` per node of the forward pass, operands first: the primals'
    tangents, then every operation (constants, whose tangent is 0, get no line)."""
    point = _inputs("primals", primals)
    direction = _numbers("tangents", tangents)
    _same_length("tangents", direction, "primals", len(point))
    graph = _build(f, point)
    graph_nodes = set(graph.order)
    names = NodeNames(graph.outputs[-1])
    primal_leaves = set(graph.leaves)
    return [
        tangent_line(step, names, graph_nodes)
        for step in _push(graph, direction)
        if step.operands or step.node in primal_leaves
    ]


# ------------------------------------------------------------------ Jacobians


@dataclass(frozen=True, slots=True)
class JacobianRun:
    """A Jacobian and what computing it cost.

    Attributes:
        matrix: d output_i / d input_j, shape (outputs, inputs).
        passes: how many passes over the graph were made (forward: one per input,
            reverse: one per output).
        nodes_visited: the nodes those passes visited, in total.
    """

    matrix: FloatArray
    passes: int
    nodes_visited: int


def jacobian_run(f: Function, inputs: Sequence[float], mode: str = "reverse") -> JacobianRun:
    """`jacobian` with the number of passes and of nodes visited (see `JacobianRun`)."""
    chosen = _mode(mode)
    point = _inputs("inputs", inputs)
    graph = _build(f, point)
    n, m = len(point), len(graph.outputs)
    matrix = np.zeros((m, n))
    visited = 0
    if chosen == "forward":
        for j in range(n):
            direction = [0.0] * n
            direction[j] = 1.0
            matrix[:, j] = _output_tangents(graph, direction)
            visited += len(graph.order)
        return JacobianRun(matrix, n, visited)
    for i, out in enumerate(graph.outputs):
        matrix[i, :] = [d.data for d in grad(out, list(graph.leaves))]
        visited += len(topological_order(out))
    return JacobianRun(matrix, m, visited)


def jacobian(f: Function, inputs: Sequence[float], mode: str = "reverse") -> FloatArray:
    """d f_i / d x_j at ``inputs`` as an array of shape (outputs, inputs).

    ``mode="reverse"`` makes one backward pass per output (the rows),
    ``mode="forward"`` one forward pass per input (the columns); both give the
    same numbers up to rounding. ``f`` is as in `jvp`; ``inputs`` are numbers.
    """
    return jacobian_run(f, inputs, mode).matrix


def _scalar_function(f: Function, name: str) -> Callable[..., Value]:
    """``f`` checked to return one Value (a Hessian is of one output)."""

    def checked(*xs: Value) -> Value:
        out = f(*xs)
        if not isinstance(out, Value):
            raise TypeError(
                f"{name} needs f to return one Value, got {type(out).__qualname__}: {out!r:.60}"
            )
        return out

    if not callable(f):
        raise TypeError(f"f must be a function of Values, got {type(f).__qualname__}")
    return checked


def _gradient_function(f: Function, name: str) -> Function:
    """``x -> grad(f(x), x, create_graph=True)``: the gradient as a graph of the inputs."""
    scalar = _scalar_function(f, name)

    def gradient(*xs: Value) -> tuple[Value, ...]:
        return tuple(grad(scalar(*xs), list(xs), create_graph=True))

    return gradient


def hessian(f: Function, inputs: Sequence[float], mode: str = "reverse") -> FloatArray:
    """The (n, n) matrix of second derivatives of a one-output ``f`` at ``inputs``.

    ``mode="reverse"``: reverse over reverse, each row ``grad`` of one entry of
    ``grad(f(x), x, create_graph=True)``; ``mode="forward"``: forward over
    reverse, the Jacobian of that gradient graph by forward passes.
    """
    chosen = _mode(mode)
    point = _inputs("inputs", inputs)
    gradient = _gradient_function(f, "hessian")
    if chosen == "forward":
        return jacobian(gradient, point, mode="forward")
    graph = _build(gradient, point)
    leaves = list(graph.leaves)
    rows = [
        # a first derivative that is a leaf is a constant (no graph): its row is 0
        [0.0] * len(leaves) if first.is_leaf else [d.data for d in grad(first, leaves)]
        for first in graph.outputs
    ]
    return np.array(rows)


def hvp(f: Function, inputs: Sequence[float], v: Sequence[float]) -> FloatArray:
    """``hessian(f, inputs) @ v`` without the Hessian: one forward pass along ``v``
    through the graph of ``f``'s gradient (forward over reverse)."""
    point = _inputs("inputs", inputs)
    direction = _numbers("v", v)
    _same_length("v", direction, "inputs", len(point))
    graph = _build(_gradient_function(f, "hvp"), point)
    return np.array(_output_tangents(graph, direction))
