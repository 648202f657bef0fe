"""`Expression`: a small straight-line program that builds the same formula two ways.

An expression is a list of leaf values and a list of steps. Each step applies
one operation to earlier slots (the leaves are slots 0..n-1, step k makes slot
n+k), so any slot can be used many times: graphs share subexpressions the way
real ones do. The last step is the root.

The same steps build an engine graph (`Expression.build`) and evaluate with
the NumPy reference formulas on arrays (`Expression.numpy`, one entry per
sample), so a property test can compare autograd with an independent NumPy
function of the same formula. The `expressions` strategy in
`tinygrad_lite.testing.strategies` draws them; their ``repr`` is valid Python,
so a failing example can be pasted into ``@example(...)``.

A step is a tuple ``(op, *slots)``:

* ``("+", i, j)``, ``("-", i, j)``, ``("*", i, j)``, ``("/", i, j)``, ``("**", i, j)``
  (a `Value` exponent);
* ``("**2", i)`` and any ``"**<number>"``: a number exponent;
* ``("neg", i)``, and ``("exp", i)``, ``("tanh", i)``, ... for every named function
  of one operand in `tinygrad_lite.ops.FUNCTIONS` (the NumPy side evaluates it with
  that operation's formula in `tinygrad_lite.testing.reference`, never with the
  engine's);
* ``("sum", i, j, ...)`` (`total`) and ``("linear", w1..wn, x1..xn, b)`` (`linear`);
* ``("const", number)``: a constant leaf, not an input.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tinygrad_lite import ops
from tinygrad_lite.naming import input_name
from tinygrad_lite.testing import reference as ref
from tinygrad_lite.testing.formula import formula
from tinygrad_lite.testing.reference import Array, Reference, reference_for
from tinygrad_lite.value import Value, apply, linear, total

Step = tuple[object, ...]

FUNCTION_REFERENCES: dict[str, Reference] = {
    name: reference_for(op) for name, op in ops.FUNCTIONS.items()
}
"""The NumPy reference of every named function of one operand (`tinygrad_lite.ops.FUNCTIONS`)."""


def _engine_function(op: ops.UnaryOp) -> Callable[[Value], Value]:
    return lambda a: apply(op, a)


def _numpy_function(reference: Reference) -> Callable[[Array], Array]:
    return lambda a: reference.forward([a])


_ENGINE_UNARY: dict[str, Callable[[Value], Value]] = {
    "neg": lambda a: -a,
    **{name: _engine_function(op) for name, op in ops.FUNCTIONS.items()},
}
_NUMPY_UNARY: dict[str, Callable[[Array], Array]] = {
    "neg": ref.neg,
    **{name: _numpy_function(reference) for name, reference in FUNCTION_REFERENCES.items()},
}
_ENGINE_BINARY: dict[str, Callable[[Value, Value], Value]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}
_NUMPY_BINARY: dict[str, Callable[[Array, Array], Array]] = {
    "+": ref.add,
    "-": ref.sub,
    "*": ref.mul,
    "/": ref.div,
    "**": ref.power,
}
OPERATION_NAMES = (*_ENGINE_BINARY, *_ENGINE_UNARY, "**n", "sum", "linear")
"""The operation names an `Expression` step may use ("**n" stands for "**2", "**-0.5", ...)."""


def power_exponent(op: str) -> float | None:
    """The number n of a ``"**<n>"`` step name, or None for other names."""
    if op.startswith("**") and len(op) > 2:
        try:
            return float(op[2:])
        except ValueError:
            return None
    return None


def _arity_error(op: str, operands: Sequence[object]) -> str | None:
    count = len(operands)
    if op in _ENGINE_BINARY:
        return None if count == 2 else "takes 2 slots"
    if op in _ENGINE_UNARY or power_exponent(op) is not None:
        return None if count == 1 else "takes 1 slot"
    if op == "sum":
        return None if count >= 1 else "takes at least 1 slot"
    if op == "linear":
        return None if count >= 3 and count % 2 == 1 else "takes 2n+1 slots (w1..wn, x1..xn, b)"
    return f"is not an operation (known: {', '.join(OPERATION_NAMES)}, const)"


def numpy_step(op: str, args: Sequence[Array]) -> Array:
    """One step's operation on arrays, with the NumPy reference formulas."""
    exponent = power_exponent(op)
    if op in _NUMPY_BINARY:
        return _NUMPY_BINARY[op](args[0], args[1])
    if op in _NUMPY_UNARY:
        return _NUMPY_UNARY[op](args[0])
    if exponent is not None:
        return np.power(args[0], exponent)
    if op == "sum":
        return ref.n_ary_sum(args)
    if op == "linear":
        return ref.linear_form(args)
    raise ValueError(f"unknown operation {op!r}")


@dataclass(frozen=True)
class Expression:
    """A formula over ``len(leaf_values)`` inputs, as steps over slots (see the module doc).

    Attributes:
        leaf_values: the inputs' values (slots 0..n-1).
        steps: one tuple per operation; the last one is the root.
    """

    leaf_values: tuple[float, ...]
    steps: tuple[Step, ...]

    def __post_init__(self) -> None:
        if not self.leaf_values:
            raise ValueError("an Expression needs at least one leaf value")
        if not self.steps:
            raise ValueError("an Expression needs at least one step")
        slots = len(self.leaf_values)
        for k, step in enumerate(self.steps):
            if not isinstance(step, tuple) or not step or not isinstance(step[0], str):
                raise ValueError(f"step {k} must be a tuple (op name, slots...), got {step!r}")
            op, operands = step[0], step[1:]
            if op == "const":
                if len(operands) != 1 or not isinstance(operands[0], (int, float)):
                    raise ValueError(f"step {k} {step!r}: const takes one number")
            else:
                problem = _arity_error(op, operands)
                if problem is not None:
                    raise ValueError(f"step {k} {step!r}: {op!r} {problem}")
                for slot in operands:
                    if not isinstance(slot, int) or not 0 <= slot < slots:
                        raise ValueError(
                            f"step {k} {step!r}: slot {slot!r} is not one of the "
                            f"{slots} slots made before it (0..{slots - 1})"
                        )
            slots += 1
        if self.steps[-1][0] == "const":
            raise ValueError("the last step (the root) must be an operation, not a const")

    @property
    def n_leaves(self) -> int:
        return len(self.leaf_values)

    def build(self, values: Sequence[float] | None = None) -> tuple[Value, list[Value]]:
        """The engine graph: ``(root, leaves)``, leaves labelled x0, x1, ...

        ``values`` replaces ``leaf_values`` (same length), e.g. to rebuild at a
        shifted point.
        """
        data = self.leaf_values if values is None else tuple(values)
        if len(data) != self.n_leaves:
            raise ValueError(f"expected {self.n_leaves} leaf values, got {len(data)}")
        leaves = [Value(x, input_name(i)) for i, x in enumerate(data)]
        return self.apply(leaves), leaves

    def apply(self, inputs: Sequence[Value]) -> Value:
        """The formula applied to the given Values (one per leaf); returns the root.

        Lets code that makes its own inputs (``trace``, a network) use the expression.
        """
        if len(inputs) != self.n_leaves:
            raise ValueError(f"expected {self.n_leaves} input Values, got {len(inputs)}")
        slots: list[Value] = list(inputs)
        for step in self.steps:
            op, operands = str(step[0]), step[1:]
            if op == "const":
                slots.append(Value(float(operands[0])))  # type: ignore[arg-type]
                continue
            args = [slots[int(i)] for i in operands]  # type: ignore[call-overload]
            exponent = power_exponent(op)
            if op in _ENGINE_BINARY:
                slots.append(_ENGINE_BINARY[op](args[0], args[1]))
            elif op in _ENGINE_UNARY:
                slots.append(_ENGINE_UNARY[op](args[0]))
            elif exponent is not None:
                slots.append(args[0] ** exponent)
            elif op == "sum":
                slots.append(total(args))
            else:
                n = (len(args) - 1) // 2
                slots.append(linear(args[:n], args[n : 2 * n], args[-1]))
        return slots[-1]

    def numpy(self, *arrays: object) -> Array:
        """The same formula in NumPy: one array per leaf, one entry per sample."""
        if len(arrays) != self.n_leaves:
            raise TypeError(f"expected one array per leaf ({self.n_leaves}), got {len(arrays)}")
        inputs = [np.asarray(a, dtype=np.float64) for a in arrays]
        shape = np.broadcast_shapes(*(a.shape for a in inputs))
        slots: list[Array] = [np.broadcast_to(a, shape) for a in inputs]
        with ref.numpy_errors_ignored():
            for step in self.steps:
                op, operands = str(step[0]), step[1:]
                if op == "const":
                    slots.append(np.full(shape, float(operands[0])))  # type: ignore[arg-type]
                else:
                    slots.append(numpy_step(op, [slots[int(i)] for i in operands]))  # type: ignore[call-overload]
        return slots[-1]

    def formula(self) -> str:
        """The root's formula (see `tinygrad_lite.testing.formula`)."""
        root, leaves = self.build()
        return formula(root, leaves)
