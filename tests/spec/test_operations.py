"""The registry of named functions (`ops.FUNCTIONS`) and the places that learn from it:
each function has its Value method, its independent NumPy reference, its row in
docs/operations.md, and the command-line parser and the strategies know it; and the
one table of every built-in operation, value and local derivatives against the
independent oracle at ordinary and IEEE-754 special points."""

from __future__ import annotations

import inspect
import itertools
import math
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from ieee_compare import equal, same

from tinygrad_lite import Value, grad, linear, ops, total
from tinygrad_lite.expression import build_expression
from tinygrad_lite.testing import reference_for, to_numpy
from tinygrad_lite.testing.numpy_graph import UNIT_ROUNDOFF
from tinygrad_lite.testing.reference import numpy_errors_ignored
from tinygrad_lite.testing.rounding import sensitivity
from tinygrad_lite.testing.strategies import ALL_OPS, SMOOTH_OPS

ROOT = Path(__file__).resolve().parents[2]
NAMES = list(ops.FUNCTIONS)


def test_the_registry_holds_the_one_operand_functions_by_their_names() -> None:
    assert NAMES[:5] == ["exp", "log", "tanh", "sigmoid", "relu"]
    for name, op in ops.FUNCTIONS.items():
        assert isinstance(op, ops.UnaryOp) and op.name == name


@pytest.mark.parametrize("name", NAMES)
def test_each_function_is_a_value_method_recording_its_op(name: str) -> None:
    x = Value(0.5, "x")
    y = getattr(x, name)()
    assert y.operation is ops.FUNCTIONS[name] and y.operands == (x,)
    assert y.data == ops.FUNCTIONS[name].forward([0.5])


@pytest.mark.parametrize("name", NAMES)
def test_each_function_has_an_independent_reference(name: str) -> None:
    reference = reference_for(ops.FUNCTIONS[name])
    assert reference.name == name
    assert reference.forward.__module__ == "tinygrad_lite.testing.reference"


@pytest.mark.parametrize("name", NAMES)
def test_the_command_line_parser_knows_each_function_both_ways(name: str) -> None:
    method = build_expression(f"x.{name}()", {"x": 0.5})
    function = build_expression(f"{name}(x)", {"x": 0.5})
    for built in (method, function):
        assert built.operation is ops.FUNCTIONS[name]
        assert built.data == getattr(Value(0.5), name)().data


@pytest.mark.parametrize("name", NAMES)
def test_the_strategies_draw_each_function(name: str) -> None:
    assert name in ALL_OPS
    assert (name in SMOOTH_OPS) == (not reference_for(ops.FUNCTIONS[name]).kinks)


def test_the_operations_page_has_a_row_for_every_function() -> None:
    page = (ROOT / "docs" / "operations.md").read_text()
    rows = set(re.findall(r"^\| `([^`]+)` \|", page, flags=re.MULTILINE))
    assert set(NAMES) <= rows
    assert {"+", "-", "*", "/", "**", "**n", "neg", "sum", "linear"} <= rows


# ---------------------------------------------------------------- the table of operations
#
# One row per built-in operation, derived from `ops`: how to build it from leaves and
# how many operands it takes. Every row is checked, value and local derivatives,
# against the independent oracle (`reference_for`) at ordinary and special points.

INF, NAN = math.inf, math.nan
SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 1e-300, -1e-300, 1e300, -1e300]
SPECIAL += [709.0, 710.0, -745.5, 20.0, -20.0, INF, -INF, NAN]
ORDINARY = [float(x) for x in np.linspace(-4.9, 4.9, 60)]
POWERS = (2.0, 3.0, -1.0, 0.5, -0.5, 0.0, 1.5, -2.0)
NOT_OPERATIONS = {ops.Op, ops.UnaryOp, ops.Leaf, ops.NoGradResult}  # bases and leaf markers


@dataclass(frozen=True)
class Row:
    """How to build one operation from ``arity`` leaves; ``exact``: correctly rounded
    in both the engine and the oracle, so the values must be equal."""

    build: Callable[..., Value]
    arity: int
    exact: bool = False


def _function(name: str) -> Callable[[Value], Value]:
    return lambda a: getattr(a, name)()


def _power(n: float) -> Callable[[Value], Value]:
    return lambda a: a**n


TABLE: dict[str, Row] = {
    "+": Row(operator.add, 2, exact=True),
    "-": Row(operator.sub, 2, exact=True),
    "*": Row(operator.mul, 2, exact=True),
    "/": Row(operator.truediv, 2, exact=True),
    "**": Row(operator.pow, 2),
    "neg": Row(operator.neg, 1, exact=True),
    **{f"**{n:g}": Row(_power(n), 1) for n in POWERS},
    **{
        name: Row(_function(name), 1, exact=name in {"relu", "sqrt", "abs"})
        for name in ops.FUNCTIONS
    },
    "sum": Row(lambda *xs: total(xs), 3, exact=True),
    "linear": Row(lambda w1, w2, x1, x2, b: linear([w1, w2], [x1, x2], b), 5, exact=True),
}


def _points(arity: int) -> list[tuple[float, ...]]:
    """Special points (every pair of them for two operands) and ordinary ones."""
    if arity == 1:
        return [(x,) for x in SPECIAL + ORDINARY]
    if arity == 2:
        return list(itertools.product(SPECIAL, SPECIAL)) + list(
            zip(ORDINARY, ORDINARY[::-1], strict=True)
        )
    shifted = [[ORDINARY[(k + 7 * j) % len(ORDINARY)] for j in range(arity)] for k in range(40)]
    special = [(INF, -INF, *[1.0] * (arity - 2)), (NAN, *[0.0] * (arity - 1))]
    special.append((1e308, 10.0, *[1.0] * (arity - 3), 0.0))
    return [tuple(p) for p in shifted] + special


def test_the_table_has_a_row_for_every_operation_in_ops() -> None:
    built = {type(row.build(*[Value(1.5)] * row.arity).operation) for row in TABLE.values()}
    defined = {
        member
        for member in vars(ops).values()
        if inspect.isclass(member) and issubclass(member, ops.Op) and member not in NOT_OPERATIONS
    }
    assert built == defined


def _engine(build: Callable[..., Value], point: Sequence[float]) -> tuple[Value, list[float]]:
    leaves = [Value(x) for x in point]
    out = build(*leaves)
    return out, [g.data for g in grad(out, leaves)]


def _check_same(
    what: str, engine_values: list[float], reference_values: np.ndarray, tolerance: np.ndarray
) -> list[str]:
    """Same nan-ness, same infinities, finite values within ``tolerance``; lists the mismatches."""
    mismatches = []
    for k, (mine, ref, tol) in enumerate(
        zip(engine_values, reference_values, tolerance, strict=True)
    ):
        if math.isnan(ref) or math.isnan(mine):
            same = math.isnan(ref) and math.isnan(mine)
        elif math.isinf(ref) or math.isinf(mine):
            same = mine == ref
        else:
            same = mine == ref or abs(mine - ref) <= tol
        if not same:
            mismatches.append(f"{what} at point {k}: engine {mine!r}, NumPy {ref!r}")
    return mismatches


@pytest.mark.parametrize("name", list(TABLE))
def test_value_and_local_derivatives_match_the_oracle(name: str) -> None:
    """Values within 2 ulps (0 where both are correctly rounded); derivatives within the
    rounding of their formulas' terms, as `rounding.sensitivity` sizes it."""
    row = TABLE[name]
    points = _points(row.arity)
    columns = [np.array(column) for column in zip(*points, strict=True)]
    node = row.build(*[Value(x) for x in points[0]])
    assert node.op == name
    operation = node.operation
    assert operation is not None
    reference = reference_for(operation)
    with numpy_errors_ignored():
        out = reference.forward(columns)
        local = reference.derivatives(columns, out)
        magnitude, _ = sensitivity(operation, columns, out, local)
    results = [_engine(row.build, point) for point in points]
    ulps = 0.0 if row.exact else 2.0
    values = [r[0].data for r in results]
    mismatches = _check_same(name, values, out, ulps * np.spacing(np.abs(out)))
    for i in range(len(columns)):
        tolerance = 4 * UNIT_ROUNDOFF * (np.abs(local[i]) + magnitude[i])
        engine_derivatives = [r[1][i] for r in results]
        mismatches += _check_same(f"d{name}/dx{i}", engine_derivatives, local[i], tolerance)
    report = [f"{m} {points[int(m.split('point ')[1].split(':')[0])]}" for m in mismatches]
    assert not report, "\n".join(report)


# ---------------------------------------------------------------- IEEE-754, written out

WRITTEN: list[tuple[str, Callable[[Value], Value], float, float, float]] = [
    # (operation, build, x, f(x), f'(x)): the engine's documented decisions; nan stays
    # nan and no exception ever escapes
    ("exp", Value.exp, 1000.0, INF, INF),
    ("exp", Value.exp, -1000.0, 0.0, 0.0),
    ("log", Value.log, 0.0, -INF, INF),
    ("log", Value.log, -1.0, NAN, -1.0),
    ("1/a", lambda a: 1.0 / a, 0.0, INF, -INF),
    ("0/a", lambda a: 0.0 / a, 0.0, NAN, NAN),
    ("a/0", lambda a: a / 0.0, 0.0, NAN, INF),
    ("a/0", lambda a: a / 0.0, -2.0, -INF, INF),
    ("**-1", lambda a: a**-1, 0.0, INF, -INF),
    ("**0.5", lambda a: a**0.5, -8.0, NAN, NAN),
    ("**2", lambda a: a**2, 1e200, INF, 2e200),
    ("sigmoid", Value.sigmoid, -1000.0, 0.0, 0.0),
    ("sigmoid", Value.sigmoid, 1000.0, 1.0, 0.0),
    ("tanh", Value.tanh, INF, 1.0, 0.0),
    ("relu", Value.relu, 0.0, 0.0, 0.0),
    ("relu", Value.relu, -2.5, 0.0, 0.0),
    ("relu", Value.relu, NAN, NAN, NAN),
    ("sin", Value.sin, 0.0, 0.0, 1.0),
    ("sin", Value.sin, -0.0, -0.0, 1.0),
    ("sin", Value.sin, INF, NAN, NAN),
    ("sin", Value.sin, -INF, NAN, NAN),
    ("sin", Value.sin, NAN, NAN, NAN),
    ("sin", Value.sin, 1e300, math.sin(1e300), math.cos(1e300)),
    ("cos", Value.cos, 0.0, 1.0, -0.0),
    ("cos", Value.cos, -0.0, 1.0, 0.0),
    ("cos", Value.cos, INF, NAN, NAN),
    ("cos", Value.cos, -INF, NAN, NAN),
    ("cos", Value.cos, NAN, NAN, NAN),
    ("cos", Value.cos, 1e300, math.cos(1e300), -math.sin(1e300)),
    ("sqrt", Value.sqrt, 4.0, 2.0, 0.25),
    ("sqrt", Value.sqrt, 0.0, 0.0, INF),
    ("sqrt", Value.sqrt, -0.0, -0.0, -INF),  # 1 / (2 * -0.0), as PyTorch's sqrt backward
    ("sqrt", Value.sqrt, -1.0, NAN, NAN),
    ("sqrt", Value.sqrt, INF, INF, 0.0),
    ("sqrt", Value.sqrt, -INF, NAN, NAN),
    ("sqrt", Value.sqrt, NAN, NAN, NAN),
    ("sqrt", Value.sqrt, 5e-324, math.sqrt(5e-324), 0.5 / math.sqrt(5e-324)),
    ("abs", Value.abs, -2.0, 2.0, -1.0),
    ("abs", Value.abs, 0.0, 0.0, 0.0),  # the kink: 0, as PyTorch's sign(0)
    ("abs", Value.abs, -0.0, 0.0, 0.0),
    ("abs", Value.abs, INF, INF, 1.0),
    ("abs", Value.abs, -INF, INF, -1.0),
    ("abs", Value.abs, NAN, NAN, NAN),
    ("abs", Value.abs, -5e-324, 5e-324, -1.0),
]
WRITTEN_IDS = [f"{name}({x!r})" for name, _, x, _, _ in WRITTEN]


@pytest.mark.parametrize(("name", "build", "x", "value", "derivative"), WRITTEN, ids=WRITTEN_IDS)
def test_special_points_give_the_written_value_in_the_engine_and_the_oracle(
    name: str, build: Callable[[Value], Value], x: float, value: float, derivative: float
) -> None:
    leaf = Value(x, "x")
    y = build(leaf)
    (d,) = grad(y, leaf)
    assert same(y.data, value) and equal(d.data, derivative)
    with numpy_errors_ignored():
        oracle_value, (oracle_derivative,) = to_numpy(y, [leaf]).value_and_grad(np.array([x]))
    assert same(float(oracle_value[0]), value)
    assert equal(float(oracle_derivative[0]), derivative)


@pytest.mark.parametrize(("name", "build", "x", "value", "derivative"), WRITTEN, ids=WRITTEN_IDS)
def test_create_graph_gives_the_same_derivative_at_special_points(
    name: str, build: Callable[[Value], Value], x: float, value: float, derivative: float
) -> None:
    leaf = Value(x, "x")
    (first,) = grad(build(leaf), leaf, create_graph=True)
    assert equal(first.data, derivative)
    if not first.is_leaf:
        grad(first, leaf)  # a second derivative, also without an exception


@pytest.mark.parametrize(
    ("build", "value", "d_a"),
    [  # a number on the left builds the same operation over a constant leaf
        (lambda a: 1 + a, 3.5, 1.0),
        (lambda a: 1 - a, -1.5, -1.0),
        (lambda a: 3 * a, 7.5, 3.0),
        (lambda a: 1 / a, 0.4, -0.16),
        (lambda a: 2**a, 2.0**2.5, 2.0**2.5 * math.log(2.0)),
    ],
)
def test_a_number_on_either_side_gives_the_same_operation(
    build: Callable[[Value], Value], value: float, d_a: float
) -> None:
    a = Value(2.5, "a")
    out = build(a)
    (d,) = grad(out, a)
    assert out.data == pytest.approx(value, rel=1e-15)
    assert d.data == pytest.approx(d_a, rel=1e-14)
