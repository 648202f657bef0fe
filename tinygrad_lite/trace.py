"""Trace a scalar function once, then replay it over a whole batch with NumPy.

A learner's network computes the same scalar graph for every example; only
the numbers differ. `trace` records that graph from ``fn`` once and returns a
`Traced` program that evaluates it on a batch at a time: every node becomes a
row of per-example values (one column per example), like JAX's ``vmap``
applied to a scalar program::

    traced = trace(lambda v: (v[0] * w + b).sigmoid(), X[:2])
    outputs = traced.forward(X)       # one row of X per example
    traced.backward()                 # w.grad += sum over examples of d out / d w

How the replay is fast (DyNet-style operation batching)
    The nodes are grouped by (depth, operation, number of operands), where a
    node's depth is 1 + the largest depth of its operands (leaves are at 0).
    Nodes of one group do not depend on each other, so each group is one
    vectorised step (a handful of NumPy calls) over a ``(nodes, operands,
    examples)`` block, however many nodes and examples it holds. The seed's 2-16-1
    network and its loss (38 operation nodes per example) replay as 8 groups.

Leaves
    ``fn`` receives one Value per input column. Every other leaf the graph
    reaches (parameters, and constants such as the ``0.5`` of a loss) is read
    from its ``.data`` at each `Traced.forward`, so parameter updates between
    calls are seen. `Traced.backward` adds the gradient summed over the batch
    to each of those leaves' ``.grad``, as ``backward()`` on the sum of the
    per-example outputs would; gradients for the inputs, one per example, are
    in `Traced.input_grads`. Intermediate nodes get no ``.grad``.

What cannot be traced, and how it is caught
    A trace records ONE path through ``fn``. Python branching on a Value is
    refused by ``bool(Value)`` (a TypeError). Branching on ``.data`` cannot be
    seen directly, so `trace` runs ``fn`` on every example you pass and
    raises `TraceError` if two examples build different graphs (a different
    operation, operand or number of nodes), or if a constant created inside
    ``fn`` takes different values (e.g. ``Value(x.data * 2)``). Pass
    representative examples (`fit` passes the whole training set). Branches
    that depend on parameter values may change as the parameters change;
    ``fit(..., fast=True)`` re-checks the path at the end of training.

Floating point
    NumPy's ``exp``, ``log`` and ``tanh`` may differ from Python's ``math`` in
    the last bit, and batch sums are added in a different order, so results
    agree with the scalar engine to about 1e-15 relative, not bit for bit.
    IEEE-754 special values follow the engine's rules (``inf``/``nan``, no
    exceptions, no warnings).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from tinygrad_lite.autograd import topological_order
from tinygrad_lite.naming import describe, input_name
from tinygrad_lite.ops import Op
from tinygrad_lite.value import Value, is_grad_enabled

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
TracedFunction = Callable[[list[Value]], Value | Sequence[Value]]


class TraceError(ValueError):
    """``fn`` cannot be replayed as one fixed graph (see the module docstring)."""


# --------------------------------------------------------------------------
# The recorded program
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scatter:
    """How to add a group's contributions into the gradient rows of its operands.

    The contributions come flattened, one row per (node, operand) pair, and
    ``targets`` gives each pair's operand row. ``positions`` (None: all) keeps
    only some pairs, e.g. not those into input rows when no input gradient is
    wanted. When a row appears more than once (a shared input), the kept
    contributions are sorted by row and summed with ``np.add.reduceat`` first,
    because ``G[rows] += c`` would keep only one of the repeated additions."""

    positions: IntArray | None
    targets: IntArray
    order: IntArray | None  # None when every target row is distinct
    starts: IntArray
    block: slice | None  # the targets as a slice when they are consecutive rows

    @staticmethod
    def plan(all_targets: IntArray, keep: npt.NDArray[np.bool_]) -> _Scatter:
        positions = None if keep.all() else np.flatnonzero(keep)
        targets = all_targets if positions is None else all_targets[positions]
        no_order = np.zeros(0, dtype=np.intp)
        if len(targets) == 0:
            return _Scatter(positions, targets, None, no_order, slice(0, 0))
        first = int(targets[0])
        if np.array_equal(targets, np.arange(first, first + len(targets))):
            block = slice(first, first + len(targets))
            return _Scatter(positions, targets, None, no_order, block)
        if len(np.unique(targets)) == len(targets):
            return _Scatter(positions, targets, None, no_order, None)
        order = np.argsort(targets, kind="stable")
        unique_rows, starts = np.unique(targets[order], return_index=True)
        return _Scatter(positions, unique_rows, order, starts.astype(np.intp), None)

    def add(self, gradients: FloatArray, contributions: FloatArray) -> None:
        """``gradients[targets] += contributions`` (the kept ones), summing repeated rows."""
        if self.positions is not None:
            contributions = contributions[self.positions]
        if self.block is not None:  # a slice adds in place without an index array
            gradients[self.block] += contributions
        elif self.order is None:
            gradients[self.targets] += contributions
        else:
            sums = np.add.reduceat(contributions[self.order], self.starts, axis=0)
            gradients[self.targets] += sums


@dataclass(frozen=True)
class _Group:
    """Nodes of one depth and one operation, replayed as one NumPy call."""

    op: Op
    start: int  # the group's nodes are rows start..stop-1
    stop: int
    operand_rows: IntArray  # (nodes, operands)
    operand_block: slice | None  # operand_rows as a slice, when they are consecutive rows
    scatter: _Scatter  # into every operand row
    scatter_no_inputs: _Scatter  # skipping the input rows (no input gradients wanted)


class Traced:
    """A recorded scalar graph, replayed over a batch with NumPy (see `trace`).

    Attributes:
        n_inputs: values per example (the columns of ``X``).
        leaves: the non-input leaves (parameters and constants) in graph order;
            their ``.data`` is read by each `forward`, their ``.grad`` updated by
            each `backward`.
        n_nodes: nodes per example in the recorded graph.
        n_groups: NumPy steps per pass (groups of same-depth, same-op nodes).
        signature: the graph's structure as plain data, ``(op, operand positions)``
            per node in topological order: equal signatures, equal graphs.
        input_grads: after `backward`, d(sum of outputs)/d(input) per example,
            shape ``(batch, n_inputs)`` (None after ``backward(input_grads=False)``).
    """

    def __init__(
        self,
        n_inputs: int,
        leaves: list[Value],
        groups: list[_Group],
        output_rows: list[int],
        single_output: bool,
        n_nodes: int,
        signature: tuple[tuple[Op | None, tuple[int, ...]], ...],
    ) -> None:
        self.n_inputs = n_inputs
        self.signature = signature
        self.leaves = leaves
        self.n_nodes = n_nodes
        self.n_groups = len(groups)
        self.input_grads: FloatArray | None = None
        self._groups = groups
        self._output_rows = np.array(output_rows, dtype=np.intp)
        self._single_output = single_output
        self._n_rows = groups[-1].stop if groups else n_inputs + len(leaves)
        self._values: FloatArray | None = None  # (rows, batch) of the last forward
        self.operands: list[FloatArray] = []  # each group's operand block, for backward
        # Value and gradient arrays per batch size, reused: a fresh (rows, batch)
        # array on every call costs more than the arithmetic of a small network.
        # Only the MAX_CACHED_BATCH_SIZES most recently used sizes are kept, so
        # memory stays bounded however many batch sizes are seen.
        self._buffers: dict[int, tuple[FloatArray, FloatArray]] = {}
        self._gradients: FloatArray | None = None  # the pair of the last forward

    MAX_CACHED_BATCH_SIZES: ClassVar[int] = 4
    """How many batch sizes keep their value and gradient arrays between calls."""

    def forward(self, X: npt.ArrayLike) -> FloatArray:
        """Evaluate the graph on every row of ``X`` (shape ``(batch, n_inputs)``).

        Returns shape ``(batch,)`` when ``fn`` returned one Value, else
        ``(batch, n_outputs)``. Keeps the values for `backward`."""
        inputs = _checked_batch(X, self.n_inputs)
        batch = inputs.shape[0]
        buffers = self._buffers.pop(batch, None)  # re-inserted last: most recently used
        if buffers is None:
            buffers = (np.empty((self._n_rows, batch)), np.empty((self._n_rows, batch)))
        self._buffers[batch] = buffers
        while len(self._buffers) > self.MAX_CACHED_BATCH_SIZES:
            del self._buffers[next(iter(self._buffers))]  # the least recently used
        values, self._gradients = buffers
        values[: self.n_inputs] = inputs.T
        leaf_data = [leaf.data for leaf in self.leaves]
        values[self.n_inputs : self.n_inputs + len(self.leaves)] = np.array(leaf_data)[:, None]
        operand_blocks = []
        with np.errstate(all="ignore"):  # IEEE results, silently, as the scalar engine
            for group in self._groups:
                if group.operand_block is not None:  # a view: no copy, no index array
                    operands = values[group.operand_block].reshape(
                        (*group.operand_rows.shape, batch)
                    )
                else:
                    operands = values[group.operand_rows]  # (nodes, operands, batch)
                values[group.start : group.stop] = group.op.numpy_forward(operands)
                operand_blocks.append(operands)  # kept: backward needs them again
        self._values = values
        self.operands = operand_blocks
        outputs: FloatArray = values[self._output_rows].T
        return outputs[:, 0] if self._single_output else outputs

    def backward(
        self, grad_outputs: npt.ArrayLike | None = None, *, input_grads: bool = True
    ) -> None:
        """Add d(sum over the batch of the outputs)/d(leaf) to each leaf's ``.grad``.

        ``grad_outputs`` (default 1 everywhere) weights each output of each
        example, shape like `forward`'s result or broadcastable to it: e.g.
        ``1 / batch`` for a mean. Like ``Value.backward`` each call adds again.
        The per-example input gradients go to `input_grads`; ``input_grads=False``
        skips them (training does not need them, and it saves time)."""
        if self._values is None:
            raise RuntimeError("backward() needs a forward(X) first")
        values = self._values
        batch = values.shape[1]
        n_outputs = len(self._output_rows)
        if grad_outputs is None:
            seeds = np.ones((batch, n_outputs))
        else:
            seeds = np.asarray(grad_outputs, dtype=np.float64)
            if self._single_output and seeds.ndim == 1 and seeds.shape[0] == batch:
                seeds = seeds[:, None]
            try:
                seeds = np.broadcast_to(seeds, (batch, n_outputs))
            except ValueError:
                raise ValueError(
                    f"grad_outputs of shape {np.shape(grad_outputs)} does not fit outputs "
                    f"of shape ({batch}, {n_outputs})"
                ) from None
        gradients = self._gradients
        assert gradients is not None  # set by forward, with _values
        gradients.fill(0.0)
        for position, row in enumerate(self._output_rows):
            gradients[row] += seeds[:, position]
        with np.errstate(all="ignore"):
            for group, operands in zip(
                reversed(self._groups), reversed(self.operands), strict=True
            ):
                grad = gradients[group.start : group.stop]  # complete: users come later
                local_grads = group.op.numpy_derivatives(operands, values[group.start : group.stop])
                if local_grads is None:  # every local derivative is 1 (sums)
                    contributions = np.broadcast_to(grad[:, None, :], operands.shape)
                else:
                    contributions = grad[:, None, :] * local_grads
                scatter = group.scatter if input_grads else group.scatter_no_inputs
                scatter.add(gradients, contributions.reshape(-1, batch))
        first_leaf = self.n_inputs
        leaf_sums = gradients[first_leaf : first_leaf + len(self.leaves)].sum(axis=1)
        for leaf, leaf_grad in zip(self.leaves, leaf_sums.tolist(), strict=True):
            leaf.grad += leaf_grad
        self.input_grads = gradients[:first_leaf].T.copy() if input_grads else None

    def __repr__(self) -> str:
        return (
            f"Traced({self.n_inputs} inputs, {len(self.leaves)} leaves, "
            f"{self.n_nodes} nodes in {self.n_groups} groups)"
        )


def _checked_batch(X: npt.ArrayLike, n_inputs: int) -> FloatArray:
    array = np.asarray(X, dtype=np.float64)
    if array.ndim == 1 and n_inputs == 1:
        array = array[:, None]
    if array.ndim != 2 or array.shape[1] != n_inputs:
        raise ValueError(f"expected a batch of shape (batch, {n_inputs}), got shape {np.shape(X)}")
    return array


# --------------------------------------------------------------------------
# Recording
# --------------------------------------------------------------------------


@dataclass
class _Recording:
    """One run of ``fn`` on one example, as plain data."""

    inputs: list[Value]
    outputs: list[Value]
    single_output: bool
    order: list[Value]  # topological order of everything the outputs reach


def _record(fn: TracedFunction, example: list[float]) -> _Recording:
    inputs = [Value(x, label=input_name(i)) for i, x in enumerate(example)]
    result: object = fn(inputs)
    single_output = isinstance(result, Value)
    if not single_output and not isinstance(result, Sequence):
        raise TraceError(
            f"fn must return a Value or a sequence of Values, got {type(result).__qualname__}"
        )
    items: list[object] = [result] if single_output else list(result)  # type: ignore[call-overload]
    if not items:
        raise TraceError("fn returned no outputs")
    outputs: list[Value] = []
    for position, output in enumerate(items):
        if not isinstance(output, Value):
            raise TraceError(
                f"fn must return a Value or a sequence of Values; output {position} is "
                f"{type(output).__qualname__}"
            )
        outputs.append(output)
    return _Recording(inputs, outputs, single_output, topological_order(outputs))


def _check_same_path(first: _Recording, other: _Recording, example_index: int) -> None:
    """Raise `TraceError` unless ``other`` built the same graph as ``first``."""
    hint = (
        "fn takes a different path for different examples (Python branching on "
        "`.data`?); the traced fast path needs one fixed graph"
    )
    if len(first.order) != len(other.order) or len(first.outputs) != len(other.outputs):
        raise TraceError(
            f"{hint}: example 0 builds {len(first.order)} nodes, example {example_index} "
            f"builds {len(other.order)}"
        )
    first_position = {node: i for i, node in enumerate(first.order)}
    other_position = {node: i for i, node in enumerate(other.order)}
    first_inputs = {node: i for i, node in enumerate(first.inputs)}
    other_inputs = {node: i for i, node in enumerate(other.inputs)}
    pairs = list(zip(first.order, other.order, strict=True))
    for index, (a, b) in enumerate(pairs):  # first the structure: ops and operands
        same = _same_op(a.operation, b.operation) and [first_position[x] for x in a.operands] == [
            other_position[x] for x in b.operands
        ]
        if same and not a.operands:  # a leaf: the same input, or both not inputs
            same = first_inputs.get(a) == other_inputs.get(b)
        if not same:
            raise TraceError(
                f"{hint}: node {index} is {describe(a, with_operation=True)} for example 0 but "
                f"{describe(b, with_operation=True)} for example {example_index}"
            )
    if [first_position[x] for x in first.outputs] != [other_position[x] for x in other.outputs]:
        raise TraceError(f"{hint}: the outputs differ between example 0 and {example_index}")
    for index, (a, b) in enumerate(pairs):  # then constants made inside fn
        made_inside = not a.operands and a not in first_inputs and a is not b
        if made_inside and not _same_number(a.data, b.data):
            raise TraceError(
                f"{hint}: a constant created inside fn is {a.data!r} for example 0 "
                f"and {b.data!r} for example {example_index} (node {index}); "
                "was it computed from `.data`?"
            )


def _same_number(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def _same_op(a: Op | None, b: Op | None) -> bool:
    """The same operation: the same shared instance, or equal instances of one class
    (a custom `Op` made anew for each call)."""
    if a is b:
        return True
    return type(a) is type(b) and vars(a) == vars(b)


def trace(fn: TracedFunction, example_inputs: npt.ArrayLike) -> Traced:
    """Record ``fn`` (list of input Values -> Value or list of Values) as a `Traced` program.

    ``example_inputs`` is one example (shape ``(n_inputs,)``) or several (shape
    ``(examples, n_inputs)``). ``fn`` runs on each of them and must build the
    same graph every time, or `TraceError` says where they differ. The first
    example's graph is the one replayed.
    """
    if not is_grad_enabled():
        raise TraceError("trace() inside no_grad() records no graph; call it outside")
    examples = np.asarray(example_inputs, dtype=np.float64)
    if examples.ndim == 1:
        examples = examples[None, :]
    if examples.ndim != 2 or examples.shape[0] == 0 or examples.shape[1] == 0:
        raise ValueError(
            "example_inputs must be one example (n_inputs,) or several (examples, n_inputs) "
            f"with at least one input, got shape {np.shape(example_inputs)}"
        )
    rows = examples.tolist()
    first = _record(fn, rows[0])
    for index in range(1, len(rows)):
        _check_same_path(first, _record(fn, rows[index]), index)
    return _compile(first)


def _compile(recording: _Recording) -> Traced:
    """Lay the recorded nodes out as rows and group them for batched replay."""
    n_inputs = len(recording.inputs)
    row: dict[Value, int] = {node: i for i, node in enumerate(recording.inputs)}
    leaves = [node for node in recording.order if not node.operands and node not in row]
    for node in leaves:
        row[node] = len(row)
    # Depth = 1 + deepest operand; nodes of equal depth and op form one group.
    depth: dict[Value, int] = {}
    grouped: dict[tuple[int, Op, int], list[Value]] = {}
    for node in recording.order:
        if not node.operands:
            depth[node] = 0
            continue
        node_depth = 1 + max(depth[operand] for operand in node.operands)
        depth[node] = node_depth
        assert node.operation is not None  # only leaves have no op
        grouped.setdefault((node_depth, node.operation, len(node.operands)), []).append(node)
    groups: list[_Group] = []
    for (_, op, _), members in sorted(grouped.items(), key=lambda item: item[0][0]):
        start = len(row)
        for node in members:
            row[node] = len(row)
        operand_rows = np.array(
            [[row[operand] for operand in node.operands] for node in members], dtype=np.intp
        )
        targets = operand_rows.ravel()
        everything = _Scatter.plan(targets, np.ones(len(targets), dtype=bool))
        no_inputs = _Scatter.plan(targets, targets >= n_inputs)
        first = int(targets[0])
        consecutive = np.array_equal(targets, np.arange(first, first + len(targets)))
        block = slice(first, first + len(targets)) if consecutive else None
        groups.append(_Group(op, start, len(row), operand_rows, block, everything, no_inputs))
    output_rows = [row[output] for output in recording.outputs]
    n_nodes = len(recording.order)
    position = {node: i for i, node in enumerate(recording.order)}
    signature = tuple(
        (node.operation, tuple(position[operand] for operand in node.operands))
        for node in recording.order
    )
    return Traced(
        n_inputs, leaves, groups, output_rows, recording.single_output, n_nodes, signature
    )
