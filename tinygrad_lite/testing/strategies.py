"""Hypothesis strategies for property tests of autograd.

* `finite_values`: floats in a safe range, kept away from the points where an
  operation is not differentiable (relu's kink at 0) or blows up (log, 1/x at 0);
* `expressions`: random computation graphs over shared leaves, each an
  `Expression` that builds the engine graph and the equivalent NumPy function;
* `mlps`: random networks (architecture, activations, weights, a batch of data)
  as `MLPCase`s.

This is the only module of tinygrad_lite that imports hypothesis: install the
``testing`` extra (``pip install 'tinygrad-lite[testing]'``; the ``dev`` extra
includes it).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

try:
    from hypothesis import strategies as st
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "tinygrad_lite.testing.strategies needs hypothesis: pip install 'tinygrad-lite[testing]'"
    ) from error

from tinygrad_lite.testing.expression import (
    FUNCTION_REFERENCES,
    OPERATION_NAMES,
    Expression,
    Step,
    numpy_step,
    power_exponent,
)
from tinygrad_lite.testing.mlp import MLPCase
from tinygrad_lite.testing.reference import ACTIVATIONS, Reference, numpy_errors_ignored

ALL_OPS = OPERATION_NAMES
"""Every operation `expressions` can use."""
SMOOTH_OPS = tuple(
    op for op in ALL_OPS if op not in FUNCTION_REFERENCES or not FUNCTION_REFERENCES[op].kinks
)
"""Operations that are infinitely differentiable where `expressions` uses them: all but the
functions whose reference lists a kink (relu)."""
POWER_EXPONENTS = (2.0, 3.0, -1.0, 0.5, -0.5, 1.5)
"""The number exponents the ``"**n"`` operation draws from."""
CONSTANTS = (2.0, 0.5, -1.0, 3.0, -0.25)
"""Constants a binary operation may take as one operand."""

MAGNITUDE_LIMIT = 1e3
"""Every node of a drawn expression stays within [-1e3, 1e3] (finite differences stay accurate)."""
DOMAIN_MARGIN = 0.1
"""Divisors and bases of fractional or negative powers stay at least this far from 0 (in
absolute value; the bases are positive), and the argument of a function at least this far
inside the interval where it is smooth (log's (0, inf)), so derivatives stay below about
1/0.1**2 = 100 times the values around them."""
KINK_MARGIN = 0.01
"""The argument of a function with a kink (relu's at 0) stays at least this far from it."""


def _ranges_leave_room(low: float, high: float, avoid: Sequence[float], margin: float) -> bool:
    cursor = low
    for point in sorted(avoid):
        if point - margin > cursor:
            return True
        cursor = max(cursor, point + margin)
    return cursor < high


def finite_values(
    min_value: float = -3.0,
    max_value: float = 3.0,
    *,
    avoid: Sequence[float] = (0.0,),
    margin: float = 1e-3,
) -> st.SearchStrategy[float]:
    """Finite floats in ``[min_value, max_value]`` at least ``margin`` from every ``avoid`` point.

    The default avoids 0, where relu has its kink and log, 1/x, x**-0.5 blow up;
    pass ``avoid=()`` for any value in the range. No nan, no infinity, no
    subnormals. Shrinks towards small simple numbers, as ``st.floats`` does.
    """
    for name, x in (("min_value", min_value), ("max_value", max_value), ("margin", margin)):
        if not isinstance(x, (int, float)) or not math.isfinite(x):
            raise ValueError(f"finite_values() {name} must be a finite number, got {x!r}")
    if not min_value < max_value:
        raise ValueError(
            f"finite_values() needs min_value < max_value, got {min_value!r} and {max_value!r}"
        )
    if margin < 0:
        raise ValueError(f"finite_values() margin must be >= 0, got {margin!r}")
    points = tuple(float(p) for p in avoid)
    if not _ranges_leave_room(min_value, max_value, points, margin):
        raise ValueError(
            f"finite_values(): nothing in [{min_value}, {max_value}] is {margin} away from {points}"
        )
    floats = st.floats(
        min_value, max_value, allow_nan=False, allow_infinity=False, allow_subnormal=False
    )
    if not points or margin == 0:
        return floats.filter(lambda x: x not in points)
    return floats.filter(lambda x: all(abs(x - p) >= margin for p in points))


# ---------------------------------------------------------------- expressions


def acceptable(op: str, args: Sequence[float], result: float) -> bool:
    """Whether a step keeps a drawn expression well inside the region where it is smooth.

    See `MAGNITUDE_LIMIT`, `DOMAIN_MARGIN` and `KINK_MARGIN`.
    """
    if not math.isfinite(result) or abs(result) > MAGNITUDE_LIMIT:
        return False
    exponent = power_exponent(op)
    if op in FUNCTION_REFERENCES:
        return well_inside(FUNCTION_REFERENCES[op], args[0])
    if op == "/":
        return abs(args[1]) >= DOMAIN_MARGIN
    if op == "**":
        return args[0] >= DOMAIN_MARGIN and abs(args[1]) <= 3.0
    if exponent is not None and exponent != int(exponent):
        return args[0] >= DOMAIN_MARGIN
    if exponent is not None and exponent < 0:
        return abs(args[0]) >= DOMAIN_MARGIN
    return True


def well_inside(reference: Reference, x: float) -> bool:
    """Whether ``x`` is at least `DOMAIN_MARGIN` inside the interval where a function of one
    operand is smooth and at least `KINK_MARGIN` from each of its kinks (see `Reference`)."""
    low, high = reference.smooth_on
    return low + DOMAIN_MARGIN <= x <= high - DOMAIN_MARGIN and all(
        abs(x - kink) >= KINK_MARGIN for kink in reference.kinks
    )


def _operand_count(draw: st.DrawFn, op: str) -> int:
    if op in ("+", "-", "*", "/", "**"):
        return 2
    if op == "sum":
        return draw(st.integers(2, 4))
    if op == "linear":
        return 2 * draw(st.integers(1, 3)) + 1
    return 1


@st.composite
def _expressions(
    draw: st.DrawFn,
    leaf_counts: tuple[int, int],
    max_depth: int,
    ops: tuple[str, ...],
    max_steps: int,
    leaf_values: st.SearchStrategy[float],
) -> Expression:
    n_leaves = draw(st.integers(*leaf_counts), label="n_leaves")
    values = draw(st.lists(leaf_values, min_size=n_leaves, max_size=n_leaves), label="leaves")
    slot_values = [float(v) for v in values]
    depths = [0] * n_leaves
    steps: list[Step] = []
    for _ in range(draw(st.integers(1, max_steps), label="n_steps")):
        for _attempt in range(4):  # an unacceptable draw is retried, then skipped
            op = draw(st.sampled_from(ops))
            if op == "**n":
                op = f"**{draw(st.sampled_from(POWER_EXPONENTS)):g}"
            eligible = [i for i, depth in enumerate(depths) if depth < max_depth]
            slots = [
                eligible[draw(st.integers(0, len(eligible) - 1))]
                for _ in range(_operand_count(draw, op))
            ]
            if depths[-1] < max_depth and draw(st.integers(0, 3)) > 0:
                # usually build on the latest result, so that most steps end up in the root's graph
                slots[0] = len(depths) - 1
            new_steps: list[Step] = []
            if len(slots) == 2 and draw(st.integers(0, 3)) == 0:  # a constant operand
                constant = draw(st.sampled_from(CONSTANTS))
                new_steps.append(("const", constant))
                slot_values.append(constant)
                depths.append(0)
                slots[draw(st.integers(0, 1))] = len(slot_values) - 1
            args = [slot_values[i] for i in slots]
            with numpy_errors_ignored():
                result = float(numpy_step(op, [np.float64(a) for a in args]))
            if acceptable(op, args, result):
                steps.extend(new_steps)
                steps.append((op, *slots))
                slot_values.append(result)
                depths.append(1 + max(depths[i] for i in slots))
                break
            if new_steps:  # forget the constant made for this attempt
                slot_values.pop()
                depths.pop()
    if not steps or steps[-1][0] == "const":
        steps.append(("neg", 0))  # always acceptable: -x0 is as small as x0
    return Expression(tuple(values), tuple(steps))


def expressions(
    n_leaves: int | tuple[int, int] = (1, 4),
    max_depth: int = 4,
    *,
    ops: Sequence[str] = SMOOTH_OPS,
    max_steps: int = 8,
    leaf_values: st.SearchStrategy[float] | None = None,
) -> st.SearchStrategy[Expression]:
    """Random expressions: up to ``max_steps`` operations over ``n_leaves`` shared inputs.

    Each step applies an operation from ``ops`` (names from `ALL_OPS`; ``"**n"``
    stands for a number exponent from `POWER_EXPONENTS`) to earlier slots, leaves
    or intermediate results, so subexpressions are reused; binary operations
    sometimes take a constant. No node is deeper than ``max_depth``. A step is
    only kept where it is smooth and well conditioned at the drawn point (see
    `acceptable`): every value within `MAGNITUDE_LIMIT`, divisors at least
    `DOMAIN_MARGIN` from 0, function arguments at least `DOMAIN_MARGIN` inside
    the interval where the function is smooth (log's (0, inf)) and `KINK_MARGIN`
    from its kinks (relu's 0). ``leaf_values`` defaults to
    ``finite_values(-3, 3, avoid=())``.

    Each drawn `Expression` gives the engine graph (``build()``) and the
    equivalent NumPy function (``numpy(*arrays)``).
    """
    counts = (n_leaves, n_leaves) if isinstance(n_leaves, int) else tuple(n_leaves)
    if len(counts) != 2 or not 1 <= counts[0] <= counts[1]:
        raise ValueError(f"n_leaves must be >= 1 or a range (low, high), got {n_leaves!r}")
    if max_depth < 1 or max_steps < 1:
        raise ValueError(f"max_depth and max_steps must be >= 1, got {max_depth}, {max_steps}")
    op_names = tuple(ops)
    unknown = [op for op in op_names if op not in ALL_OPS and power_exponent(op) is None]
    if unknown or not op_names:
        raise ValueError(f"unknown operations {unknown!r}; choose from {', '.join(ALL_OPS)}")
    values = finite_values(-3.0, 3.0, avoid=()) if leaf_values is None else leaf_values
    return _expressions((counts[0], counts[1]), max_depth, op_names, max_steps, values)


# ---------------------------------------------------------------- MLPs


Bounds = int | tuple[int, int]


def _size(draw: st.DrawFn, bounds: Bounds, label: str) -> int:
    low, high = (bounds, bounds) if isinstance(bounds, int) else bounds
    return draw(st.integers(low, high), label=label)


def mlps(
    *,
    n_inputs: int | tuple[int, int] = (1, 3),
    hidden_layers: int | tuple[int, int] = (0, 2),
    width: int | tuple[int, int] = (1, 4),
    n_outputs: int | tuple[int, int] = (1, 2),
    batch: int | tuple[int, int] = (1, 4),
    activations: Sequence[str] = ("sigmoid", "tanh", "relu", "linear"),
    output_activations: Sequence[str] | None = None,
    weights: st.SearchStrategy[float] | None = None,
    data: st.SearchStrategy[float] | None = None,
) -> st.SearchStrategy[MLPCase]:
    """Random fully connected networks with their parameters and a batch of data.

    Sizes are an int or an inclusive range ``(low, high)``. Each hidden layer
    draws an activation from ``activations``, the output layer from
    ``output_activations`` (default: the same). Weights and biases default to
    ``finite_values(-2, 2, avoid=())``, inputs and targets to
    ``finite_values(-3, 3, avoid=())``. Parameters come in the state_dict
    layout (``W1`` (n_in, hidden), ``b1`` (1, hidden), ...).
    """
    for name in (*activations, *(output_activations or ())):
        if name not in ACTIVATIONS:
            raise ValueError(f"unknown activation {name!r}; known: {', '.join(ACTIVATIONS)}")
    if not activations:
        raise ValueError("mlps() needs at least one activation")
    for name, bounds in (
        ("n_inputs", n_inputs),
        ("hidden_layers", hidden_layers),
        ("width", width),
        ("n_outputs", n_outputs),
        ("batch", batch),
    ):
        low, high = (bounds, bounds) if isinstance(bounds, int) else bounds
        smallest = 0 if name == "hidden_layers" else 1
        if not smallest <= low <= high:
            raise ValueError(
                f"mlps() {name} must be >= {smallest} or a range (low, high), got {bounds!r}"
            )
    return _mlps(
        (n_inputs, hidden_layers, width, n_outputs, batch),
        tuple(activations),
        tuple(output_activations or activations),
        finite_values(-2.0, 2.0, avoid=()) if weights is None else weights,
        finite_values(-3.0, 3.0, avoid=()) if data is None else data,
    )


@st.composite
def _mlps(
    draw: st.DrawFn,
    bounds: tuple[Bounds, Bounds, Bounds, Bounds, Bounds],
    activations: tuple[str, ...],
    output_activations: tuple[str, ...],
    weight_values: st.SearchStrategy[float],
    data_values: st.SearchStrategy[float],
) -> MLPCase:
    n_inputs, hidden_layers, width, n_outputs, batch = bounds
    sizes = [_size(draw, n_inputs, "n_inputs")]
    for _ in range(_size(draw, hidden_layers, "hidden_layers")):
        sizes.append(_size(draw, width, "width"))
    sizes.append(_size(draw, n_outputs, "n_outputs"))
    layer_activations = [draw(st.sampled_from(activations)) for _ in sizes[2:]]
    layer_activations.append(draw(st.sampled_from(output_activations)))
    params = {}
    for layer, (n_in, n_out) in enumerate(itertools.pairwise(sizes), start=1):
        for key, shape in ((f"W{layer}", (n_in, n_out)), (f"b{layer}", (1, n_out))):
            flat = draw(
                st.lists(weight_values, min_size=shape[0] * shape[1], max_size=shape[0] * shape[1])
            )
            params[key] = np.array(flat, dtype=np.float64).reshape(shape)
    n_samples = _size(draw, batch, "batch")

    def matrix(columns: int) -> np.ndarray:
        flat = draw(
            st.lists(data_values, min_size=n_samples * columns, max_size=n_samples * columns)
        )
        return np.array(flat, dtype=np.float64).reshape(n_samples, columns)

    inputs = matrix(sizes[0])
    targets = matrix(sizes[-1])
    return MLPCase(tuple(sizes), tuple(layer_activations), params, inputs, targets)
