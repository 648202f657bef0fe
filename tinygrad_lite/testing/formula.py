"""Render a `Value` graph as a formula string, for assertion messages.

``formula(out)`` writes ``tanh(a*b + c)`` for the graph of ``out``. A node used
more than once is written once under a name, so shared subexpressions (and
graphs much bigger than their tree) stay readable::

    t1 + exp(t1)
      where t1 = a*b

Leaves are written by their label; unlabelled leaves passed in ``leaves`` as
``x0, x1, ...`` (by position); other unlabelled leaves are constants and show
their number.
"""

from __future__ import annotations

from collections.abc import Sequence

from tinygrad_lite import ops
from tinygrad_lite.autograd import topological_order
from tinygrad_lite.value import Value

# Binding strength: higher binds tighter. Python's own precedence.
_ADDITIVE, _MULTIPLICATIVE, _UNARY, _POWER, _ATOM = 1, 2, 3, 4, 5

_INFIX = {ops.Add: ("+", _ADDITIVE), ops.Sub: ("-", _ADDITIVE)}
_INFIX_MUL = {ops.Mul: ("*", _MULTIPLICATIVE), ops.Div: ("/", _MULTIPLICATIVE)}


def _number(x: float) -> tuple[str, int]:
    text = repr(x)
    return text, (_UNARY if text.startswith("-") else _ATOM)


def _wrap(text_and_strength: tuple[str, int], needed: int) -> str:
    text, strength = text_and_strength
    return f"({text})" if strength < needed else text


def formula(root: Value, leaves: Sequence[Value] = ()) -> str:
    """``root``'s graph as a formula; shared intermediate nodes get names t1, t2, ..."""
    leaf_names = {leaf: leaf.label or f"x{i}" for i, leaf in enumerate(leaves)}
    order = topological_order(root)
    uses: dict[Value, int] = {}
    for node in order:
        for operand in node.operands:
            uses[operand] = uses.get(operand, 0) + 1
    rendered: dict[Value, tuple[str, int]] = {}
    definitions: list[str] = []
    for node in order:
        if not node.operands:
            if node in leaf_names:
                rendered[node] = (leaf_names[node], _ATOM)
            elif node.label:
                rendered[node] = (node.label, _ATOM)
            else:
                rendered[node] = _number(node.data)
            continue
        text = _render_node(node, [rendered[operand] for operand in node.operands])
        if uses.get(node, 0) > 1 and node is not root:
            name = node.label or f"t{len(definitions) + 1}"
            definitions.append(f"{name} = {text[0]}")
            rendered[node] = (name, _ATOM)
        else:
            rendered[node] = text
    result = rendered[root][0]
    if definitions:
        result += "\n  where " + "\n        ".join(definitions)
    return result


def _render_node(node: Value, operands: list[tuple[str, int]]) -> tuple[str, int]:
    op = node.operation
    op_type = type(op)
    if op_type in _INFIX:
        symbol, strength = _INFIX[op_type]
        # a - (b + c) needs the brackets on the right: the right side must bind tighter
        return (
            f"{_wrap(operands[0], strength)} {symbol} {_wrap(operands[1], strength + 1)}",
            strength,
        )
    if op_type in _INFIX_MUL:
        symbol, strength = _INFIX_MUL[op_type]
        return f"{_wrap(operands[0], strength)}{symbol}{_wrap(operands[1], strength + 1)}", strength
    if isinstance(op, ops.Pow):
        return f"{_wrap(operands[0], _ATOM)}**{_wrap(operands[1], _POWER)}", _POWER
    if isinstance(op, ops.PowConst):
        short = format(op.exponent, "g")  # a**2 rather than a**2.0, as the op's name shows it
        number = short if float(short) == op.exponent else repr(op.exponent)
        strength = _UNARY if number.startswith("-") else _ATOM
        exponent = _wrap((number, strength), _POWER)
        return f"{_wrap(operands[0], _ATOM)}**{exponent}", _POWER
    if isinstance(op, ops.Neg):
        return f"-{_wrap(operands[0], _UNARY)}", _UNARY
    if isinstance(op, ops.Linear):
        n = (len(operands) - 1) // 2
        terms = [
            f"{_wrap(operands[i], _MULTIPLICATIVE)}*{_wrap(operands[n + i], _MULTIPLICATIVE + 1)}"
            for i in range(n)
        ]
        return " + ".join([*terms, _wrap(operands[-1], _ADDITIVE + 1)]), _ADDITIVE
    arguments = ", ".join(text for text, _ in operands)
    return f"{node.op}({arguments})", _ATOM
