"""The registry of named functions (`ops.FUNCTIONS`) and the places that learn from it:
each function has its Value method, its independent NumPy reference, its row in
docs/operations.md, and the command-line parser and the strategies know it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tinygrad_lite import Value, ops
from tinygrad_lite.expression import build_expression
from tinygrad_lite.testing import reference_for
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
