"""`to_numpy`: any `Value` graph as a NumPy function of its leaves, with reverse mode over arrays.

This is the *reference* the engine is checked against, so it is kept simple
rather than fast: it reads only what every node shows (``.operation``,
``.operands``, ``.data``), orders the nodes with its own algorithm, and
evaluates each node with the NumPy formulas of `tinygrad_lite.testing.reference`,
never with the engine's. Each input is an array holding one entry per sample,
so one call evaluates the graph (and its gradient) at many points.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tinygrad_lite.testing.formula import formula
from tinygrad_lite.testing.reference import Array, Reference, numpy_errors_ignored, reference_for
from tinygrad_lite.testing.rounding import sensitivity
from tinygrad_lite.value import Value

UNIT_ROUNDOFF = 2.0**-53
"""u: the largest relative rounding error of one correctly rounded float64 operation."""

SMALLEST_NORMAL = float(np.finfo(np.float64).tiny)
"""2**-1022. Below it results underflow: an operation's error is then absolute, up to
2**-1074 = OPERATION_ERROR_ULPS * u * SMALLEST_NORMAL / 2, so adding SMALLEST_NORMAL to each
node's rounding magnitude accounts for underflow in the same units."""

OPERATION_ERROR_ULPS = 4.0
"""Relative error of one elementwise operation, in units of u. Basic arithmetic is
correctly rounded (1u); exp, log, tanh and pow from the C library are within one ulp
(2u); sigmoid = 1/(1 + exp(-x)) stacks exp, an addition and a division (at most 4u)."""


def _roots_first_order(root: Value) -> list[Value]:
    """Every node reachable from ``root``, each before all of its operands (Kahn's
    algorithm over the users of each node; no recursion)."""
    users: dict[Value, int] = {root: 0}
    stack = [root]
    while stack:  # count, for each node, the edges that use it
        node = stack.pop()
        for operand in node.operands:
            if operand not in users:
                users[operand] = 0
                stack.append(operand)
            users[operand] += 1
    order: list[Value] = []
    ready = [root]
    while ready:  # emit a node once every node using it has been emitted
        node = ready.pop()
        order.append(node)
        for operand in node.operands:
            users[operand] -= 1
            if users[operand] == 0:
                ready.append(operand)
    return order


class NumpyFunction:
    """A `Value` graph as a NumPy function of the chosen leaves (see `to_numpy`).

    Calling it with one array per leaf (all broadcastable to one shape, one
    entry per sample) returns the root's value at every sample; other leaves of
    the graph are constants (their ``.data``).
    """

    def __init__(self, root: Value, leaves: Sequence[Value]) -> None:
        if not isinstance(root, Value):
            raise TypeError(f"to_numpy() needs a Value as root, got {type(root).__qualname__}")
        leaf_list = list(leaves)
        for position, leaf in enumerate(leaf_list):
            if not isinstance(leaf, Value):
                raise TypeError(
                    f"to_numpy() leaves must be Values, leaf {position} is "
                    f"{type(leaf).__qualname__}"
                )
            if not leaf.is_leaf:
                raise ValueError(
                    f"to_numpy() leaf {position} ({leaf!r}) was computed by {leaf.op!r}: "
                    "pass leaves of the graph (Values made with Value(...))"
                )
        if len(set(leaf_list)) != len(leaf_list):
            raise ValueError("to_numpy() leaves must be distinct Values")
        self.root = root
        self.leaves: tuple[Value, ...] = tuple(leaf_list)
        order = _roots_first_order(root)
        self._nodes: list[Value] = order[::-1]  # operands first: evaluation order
        self._index = {node: i for i, node in enumerate(self._nodes)}
        self._input_position = {leaf: k for k, leaf in enumerate(self.leaves)}
        self._references: list[Reference | None] = [
            reference_for(node.operation) if node.operands and node.operation is not None else None
            for node in self._nodes
        ]
        self._operand_indices = [
            tuple(self._index[operand] for operand in node.operands) for node in self._nodes
        ]

    @property
    def formula(self) -> str:
        """The graph written as a formula of the leaves (see `formula`)."""
        return formula(self.root, self.leaves)

    def __repr__(self) -> str:
        return f"NumpyFunction({self.formula!r})"

    # -- evaluation -------------------------------------------------------

    def _inputs(self, arrays: Sequence[object]) -> list[Array]:
        if len(arrays) != len(self.leaves):
            raise TypeError(
                f"this function takes one array per leaf ({len(self.leaves)}), got {len(arrays)}"
            )
        converted = [np.asarray(a, dtype=np.float64) for a in arrays]
        shape = np.broadcast_shapes(*(a.shape for a in converted)) if converted else ()
        return [np.broadcast_to(a, shape) for a in converted]

    def _forward(self, arrays: Sequence[object]) -> list[Array]:
        inputs = self._inputs(arrays)
        shape = inputs[0].shape if inputs else ()
        values: list[Array] = []
        with numpy_errors_ignored():
            for node, reference, operand_indices in zip(
                self._nodes, self._references, self._operand_indices, strict=True
            ):
                position = self._input_position.get(node)
                if position is not None:
                    values.append(inputs[position])
                elif reference is None:  # a constant leaf
                    values.append(np.full(shape, node.data))
                else:
                    values.append(reference.forward([values[i] for i in operand_indices]))
        return values

    def _reverse(self, values: list[Array], absolute: bool) -> list[Array]:
        """Adjoints d root / d node for every node (of |local derivatives| if ``absolute``)."""
        adjoints = [np.zeros_like(v) for v in values]
        adjoints[-1] = np.ones_like(values[-1])
        with numpy_errors_ignored():
            for i in range(len(self._nodes) - 1, -1, -1):
                reference = self._references[i]
                if reference is None:
                    continue
                operand_indices = self._operand_indices[i]
                local = reference.derivatives([values[j] for j in operand_indices], values[i])
                for j, local_derivative in zip(operand_indices, local, strict=True):
                    factor = np.abs(local_derivative) if absolute else local_derivative
                    adjoints[j] = adjoints[j] + adjoints[i] * factor
        return adjoints

    def _leaf_adjoints(self, adjoints: list[Array], like: Array) -> tuple[Array, ...]:
        result = []
        for leaf in self.leaves:
            index = self._index.get(leaf)
            result.append(np.zeros_like(like) if index is None else adjoints[index])
        return tuple(result)

    def __call__(self, *arrays: object) -> Array:
        """The root's value at each sample."""
        return self._forward(arrays)[-1]

    def value_and_grad(self, *arrays: object) -> tuple[Array, tuple[Array, ...]]:
        """The root's value and d root / d leaf for each leaf, at each sample (reverse mode)."""
        values = self._forward(arrays)
        adjoints = self._reverse(values, absolute=False)
        return values[-1], self._leaf_adjoints(adjoints, values[-1])

    def grad(self, *arrays: object) -> tuple[Array, ...]:
        """d root / d leaf for each leaf, at each sample."""
        return self.value_and_grad(*arrays)[1]

    def undefined_gradient(self, *arrays: object) -> tuple[Array, ...]:
        """For each leaf, True at the samples where d root / d leaf is undefined in the
        mathematics: a value or a local derivative on some path from the leaf to the root
        is nan (0/0, log of a negative number, inf - inf, ...). The references give nan
        only there, so elsewhere a nan gradient is the chain rule multiplying 0 by inf
        (a removable point), not the derivative."""
        values = self._forward(arrays)
        local = self._locals(values)
        undefined = [np.zeros(np.shape(v), dtype=bool) for v in values]
        undefined[-1] = np.isnan(values[-1])
        for i in range(len(self._nodes) - 1, -1, -1):
            for j, local_derivative in zip(self._operand_indices[i], local[i], strict=True):
                reached = undefined[i] | np.isnan(values[i]) | np.isnan(local_derivative)
                undefined[j] = undefined[j] | reached
        result = []
        for leaf in self.leaves:
            index = self._index.get(leaf)
            unused = np.zeros(np.shape(values[-1]), dtype=bool)  # d root / d leaf = 0
            result.append(unused if index is None else undefined[index])
        return tuple(result)

    def _locals(self, values: list[Array]) -> list[tuple[Array, ...]]:
        """Each node's local derivatives (empty for inputs and constants)."""
        result: list[tuple[Array, ...]] = []
        with numpy_errors_ignored():
            for i, reference in enumerate(self._references):
                if reference is None:
                    result.append(())
                    continue
                operands = [values[j] for j in self._operand_indices[i]]
                result.append(tuple(reference.derivatives(operands, values[i])))
        return result

    def _forward_magnitudes(
        self, values: list[Array], local: list[tuple[Array, ...]]
    ) -> list[Array]:
        """R_k: each node's float64 value is within ``OPERATION_ERROR_ULPS * u * R_k`` of exact.

        ``R_k = r_k + sum_i |d node_k / d operand_i| * R_i`` (first order), with
        ``r_k = |value|`` (``n * sum of |terms|`` for sum and linear) plus
        `SMALLEST_NORMAL` (underflow) for an operation and 0 for inputs and
        constants, which are exact.
        """
        magnitudes: list[Array] = []
        with numpy_errors_ignored():
            for i, node in enumerate(self._nodes):
                if self._references[i] is None:
                    magnitudes.append(np.zeros_like(values[i]))
                    continue
                total = self._rounding_magnitude(node, i, values) + SMALLEST_NORMAL
                for j, local_derivative in zip(self._operand_indices[i], local[i], strict=True):
                    total = total + np.abs(local_derivative) * magnitudes[j]
                magnitudes.append(total)
        return magnitudes

    def forward_scale(self, *arrays: object) -> Array:
        """R_root: the size of the numbers the root's value is computed from.

        Each operation node k rounds by at most ``OPERATION_ERROR_ULPS * u * r_k``
        (``r_k = |value|``; for the n-ary sum and linear nodes ``r_k = n * sum of
        |terms|``), and that error reaches the root multiplied by at most the sum
        over paths of |products of local derivatives|; R_root adds these up. It
        equals a small multiple of |value| when nothing cancels.
        """
        values = self._forward(arrays)
        return self._forward_magnitudes(values, self._locals(values))[-1]

    def forward_error_bound(self, *arrays: object) -> Array:
        """A first-order bound on the rounding error of evaluating the root in float64:
        ``OPERATION_ERROR_ULPS * u * forward_scale``."""
        return OPERATION_ERROR_ULPS * UNIT_ROUNDOFF * self.forward_scale(*arrays)

    def gradient_scale(self, *arrays: object) -> tuple[Array, ...]:
        """For each leaf, the size of the numbers its float64 gradient is computed from.

        Any float64 reverse mode over this graph (the engine's or this one)
        computes d root / d leaf with an error of about ``u * scale`` or less, so
        "equal to 1e-12 relative" means ``|g - g_ref| <= 1e-12 * scale``. When
        nothing cancels, the scale is a small multiple of |d root / d leaf|.

        Computed as the first-order error of reverse mode: along every path from
        the root, each edge contributes its multiplication and addition
        (``2 |local|``), the rounding of its local derivative formula and the
        effect of its operands' forward rounding errors through the operation's
        second derivatives (`tinygrad_lite.testing.rounding`).
        """
        values = self._forward(arrays)
        local = self._locals(values)
        magnitudes = self._forward_magnitudes(values, local)
        abs_adjoints = [np.zeros_like(v) for v in values]
        abs_adjoints[-1] = np.ones_like(values[-1])
        scales = [np.zeros_like(v) for v in values]
        with numpy_errors_ignored():
            for i in range(len(self._nodes) - 1, -1, -1):
                reference = self._references[i]
                operation = self._nodes[i].operation
                if reference is None or operation is None:
                    continue
                indices = self._operand_indices[i]
                operands = [values[j] for j in indices]
                magnitude, curvature = sensitivity(operation, operands, values[i], local[i])
                for position, j in enumerate(indices):
                    size = np.abs(local[i][position])
                    derivative_error = magnitude[position] + sum(
                        (
                            c * magnitudes[k]
                            for c, k in zip(curvature[position], indices, strict=True)
                        ),
                        np.zeros_like(values[i]),
                    )
                    abs_adjoints[j] = abs_adjoints[j] + abs_adjoints[i] * size
                    scales[j] = (
                        scales[j]
                        + scales[i] * size
                        + abs_adjoints[i] * (derivative_error + 2.0 * size)
                        + 2.0 * SMALLEST_NORMAL  # underflow of the local derivative, product
                    )
        return self._leaf_adjoints(scales, values[-1])

    def _rounding_magnitude(self, node: Value, i: int, values: list[Array]) -> Array:
        operands = [values[j] for j in self._operand_indices[i]]
        if node.op == "sum":
            return len(operands) * sum((np.abs(x) for x in operands), np.zeros_like(values[i]))
        if node.op == "linear":
            n = (len(operands) - 1) // 2
            terms = [np.abs(operands[k] * operands[n + k]) for k in range(n)]
            return (n + 1) * (sum(terms, np.zeros_like(values[i])) + np.abs(operands[-1]))
        return np.abs(values[i])


def to_numpy(root: Value, leaves: Sequence[Value]) -> NumpyFunction:
    """The graph of ``root`` as a NumPy function of ``leaves``, with its gradient.

    ``f = to_numpy(root, [x, y])`` gives ``f(xs, ys)`` (arrays, one entry per
    sample) and ``f.value_and_grad(xs, ys)`` computed by reverse mode over the
    arrays with the NumPy reference formulas. Leaves of the graph not listed
    are constants. Raises `LookupError` for an operation without a NumPy
    reference (custom ops: `register_reference`).
    """
    return NumpyFunction(root, leaves)
