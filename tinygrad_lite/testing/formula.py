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

from tinygrad_lite.autograd import topological_order
from tinygrad_lite.naming import leaf_name
from tinygrad_lite.ops import ATOM, UNARY, bracketed
from tinygrad_lite.value import Value


def _number(x: float) -> tuple[str, int]:
    text = repr(x)
    return text, (UNARY if text.startswith("-") else ATOM)


def formula(root: Value, leaves: Sequence[Value] = ()) -> str:
    """``root``'s graph as a formula; shared intermediate nodes get names t1, t2, ..."""
    leaf_names = {leaf: leaf_name(leaf, i) for i, leaf in enumerate(leaves)}
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
                rendered[node] = (leaf_names[node], ATOM)
            elif node.label:
                rendered[node] = (node.label, ATOM)
            else:
                rendered[node] = _number(node.data)
            continue
        text = _render_node(node, [rendered[operand] for operand in node.operands])
        if uses.get(node, 0) > 1 and node is not root:
            name = node.label or f"t{len(definitions) + 1}"
            definitions.append(f"{name} = {text[0]}")
            rendered[node] = (name, ATOM)
        else:
            rendered[node] = text
    result = rendered[root][0]
    if definitions:
        result += "\n  where " + "\n        ".join(definitions)
    return result


def _render_node(node: Value, operands: list[tuple[str, int]]) -> tuple[str, int]:
    """The node's expression (as its `Op` writes it) and how tightly it binds."""
    op = node.operation
    count = len(operands)
    texts = [
        bracketed(text, strength, op.operand_precedence(position, count))
        for position, (text, strength) in enumerate(operands)
    ]
    return op.format(texts), op.precedence
