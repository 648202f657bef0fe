"""How a node is named and printed: the one owner of every node's name in a message.

Everything that prints a node (error messages, warnings, the debugger, the trace
checks, the anomaly report, the drawing's captions, gradcheck reports) writes it
with the functions here, so a node reads the same in every message:

* `describe`: one node on its own, for error messages: ``Value 'a1' (data=0.6)``,
  ``Value (unlabelled) (data=0.6)``, or with its operation
  ``'*' node 'a1' (data=0.6)`` / ``leaf 'x0' (data=2.0)``.
* `quoted_label`: a label as messages quote it (``'a1'``; empty when there is none).
* `readable_label`: a label as a name inside notation, parenthesised when it is a
  formula, so that ``dL/d(y - y_pred)`` reads as one name.
* `input_name` and `leaf_name`: the inputs of a function, ``x0, x1, ...`` by
  position unless labelled (gradcheck, `formula`, `trace`'s input leaves).
* `position_name`: a node named by its position in the topological order, ``v7``
  (explain's fallback for long expressions, the drawing's unlabelled values).
* `expression_name`: an unlabelled operation written from its operands' names,
  ``(w3*a1)`` or ``sigmoid(z3)``, as the `Op` writes itself.

Names that must be unique across one whole graph (explain's chain-rule lines,
the backward player, the anomaly report) are `tinygrad_lite.explain.NodeNames`,
built from these functions: it needs the graph's topological order, which lives
above this module (`tinygrad_lite.autograd` imports the machinery that imports
this module), so it sits in the tools layer.

This module is at the bottom of the core layer and is written against the
fields every node has (``label``, ``data``, ``op``, ``operation``), not against
`tinygrad_lite.value.Value`, so the autograd machinery can use it too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

__all__ = [
    "describe",
    "expression_name",
    "input_name",
    "leaf_name",
    "position_name",
    "quoted_label",
    "readable_label",
]


def quoted_label(node: Any) -> str:
    """``'a1'`` for a node labelled ``a1``; "" for an unlabelled one."""
    label: str = node.label
    return repr(label) if label else ""


def describe(node: Any, *, with_operation: bool = False) -> str:
    """One node for an error message.

    ``Value 'a1' (data=0.6)`` or ``Value (unlabelled) (data=0.6)``; with
    ``with_operation`` the operation replaces "Value" (``'*' node 'a1'
    (data=0.6)``, ``leaf (data=2.0)``), for messages comparing two graphs."""
    label = quoted_label(node)
    if with_operation:
        kind = f"{node.op!r} node" if node.op else "leaf"
        return f"{kind}{' ' + label if label else ''} (data={node.data!r})"
    return f"Value {label or '(unlabelled)'} (data={node.data!r})"


def input_name(position: int) -> str:
    """The name of an unlabelled input by its position: ``x0``, ``x1``, ..."""
    return f"x{position}"


def leaf_name(leaf: Any, position: int) -> str:
    """An input's name: its label, else `input_name` of its position."""
    label: str = leaf.label
    return label or input_name(position)


def position_name(position: int) -> str:
    """A node named by its position in the topological order: ``v0``, ``v1``, ..."""
    return f"v{position}"


_SIMPLE_LABEL = re.compile(r"[A-Za-z_][\w.]*|[-+]?[\d.]+(e[-+]?\d+)?")


def readable_label(label: str) -> str:
    """A label as written, parenthesised when it is a formula (``y - y_pred`` becomes
    ``(y - y_pred)``) so that ``dL/d(y - y_pred)`` reads as one name."""
    if _SIMPLE_LABEL.fullmatch(label) or _enclosed_in_parentheses(label):
        return label
    return f"({label})"


def _enclosed_in_parentheses(text: str) -> bool:
    """True for ``(a*b)``; false for ``(a)*(b)``, whose first parenthesis closes early."""
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depth = 0
    for index, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and index < len(text) - 1:
            return False
    return depth == 0


def expression_name(node: Any, operand_names: Sequence[str]) -> str:
    """An unlabelled operation named by the expression of its operands' names, in
    the compact style of its `Op`: ``(w3*a1)``, ``(-x)``, ``sigmoid(z3)``. Infix
    expressions of one or two operands are parenthesised so each name stands alone."""
    op = node.operation
    expression: str = op.format(list(operand_names), "compact")
    if op.infix and len(operand_names) <= 2:
        expression = f"({expression})"
    return expression
