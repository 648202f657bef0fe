"""Tests for engine.apply: recording a node of a custom Op."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from tinygrad_lite import Op, Value, apply, grad
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
