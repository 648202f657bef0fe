"""Tests for apply: recording a node of a custom Op, and its derivatives as floats and as graphs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pytest

from tinygrad_lite import Op, Value, apply, grad, ops
from tinygrad_lite.value import Num


class Cube(Op):
    """out = a**3;  d/da = 3 * a * a (written with arithmetic, so Values work too)"""

    name = "cube"

    def forward(self, xs: Sequence[float]) -> float:
        return xs[0] ** 3

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        return (3.0 * xs[0] * xs[0],)


def test_apply_records_a_node_that_backward_and_grad_understand() -> None:
    x = Value(2.0, "x")
    y = apply(Cube(), x)
    assert (y.data, y.op, y.operands) == (8.0, "cube", (x,))
    y.backward()
    assert x.grad == 12.0
    (dy,) = grad(apply(Cube(), x), [x], create_graph=True)
    (d2y,) = grad(dy, [x])
    assert (dy.data, d2y.data) == (12.0, 12.0)


def test_apply_turns_numbers_into_constant_leaves() -> None:
    y = apply(Cube(), 3)
    assert y.data == 27.0 and y.operands[0].is_leaf and y.operands[0].data == 3.0


def test_apply_rejects_what_is_not_an_op_or_has_no_operands() -> None:
    with pytest.raises(TypeError, match="Op instance, got type"):
        apply(Cube, Value(1.0))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one operand"):
        apply(Cube())
    with pytest.raises(TypeError, match="str"):
        apply(Cube(), "x")


class MathSin(Op):
    """out = sin(a);  d/da = cos(a), written with math.cos: right on floats only."""

    name = "math_sin"

    def forward(self, xs: Sequence[float]) -> float:
        return math.sin(xs[0])

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        return (math.cos(xs[0]),)


class HelperSin(MathSin):
    """The same derivative written with ops.cos, which works on floats and Values."""

    name = "helper_sin"

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        return (ops.cos(xs[0]),)


def test_a_derivative_written_with_math_works_on_floats_and_is_refused_as_a_graph() -> None:
    x = Value(0.5, "x")
    apply(MathSin(), x).backward()
    assert x.grad == math.cos(0.5)
    assert grad(apply(MathSin(), x), x)[0].data == math.cos(0.5)
    # as a graph, math.cos(x) would turn the Value into a float and the second
    # derivative would silently be 0: refused, with the op named and the fix said
    with pytest.raises(TypeError) as info:
        grad(apply(MathSin(), x), x, create_graph=True)
    message = str(info.value)
    assert message.startswith("MathSin (name 'math_sin'): derivatives() turned a Value")
    assert "create_graph=True" in message
    assert "Write the derivative with Value operations (x.cos(), or" in message
    assert "ops.cos(x)" in message
    assert x.grad_in_flight == 0.0 and x.grad == math.cos(0.5)
    # written with the helper, the same formula gives the second derivative
    (first,) = grad(apply(HelperSin(), x), x, create_graph=True)
    (second,) = grad(first, x)
    assert (first.data, second.data) == (math.cos(0.5), -math.sin(0.5))
