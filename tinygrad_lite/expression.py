"""Safely turn a small arithmetic expression typed on the command line into a graph.

``build_expression("(a*b + c).tanh()", {"a": 2, "b": -3, "c": 10})`` parses the
text with `ast` and builds the graph from a whitelist of syntax: numbers, names
given values, ``+ - * / **``, unary ``-`` and ``+``, and the named functions
of one operand, `tinygrad_lite.ops.FUNCTIONS` (exp, log, tanh, sigmoid, relu,
...), as ``x.tanh()`` or ``tanh(x)``. Nothing is ever passed to `eval`;
anything else raises `ExpressionError` naming the part of the text that is not
allowed.
"""

from __future__ import annotations

import ast
import math
import unicodedata
import warnings
from collections.abc import Mapping, Sequence

from tinygrad_lite import ops
from tinygrad_lite.value import Value, apply

__all__ = ["FUNCTIONS", "ExpressionError", "build_expression", "parse_assignments"]

FUNCTIONS = tuple(ops.FUNCTIONS)
"""The names of the functions an expression may call, from the ops registry."""
MAX_EXPRESSION_LENGTH = 2000  # a command-line expression; keeps parsing and drawing small

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_ALLOWED = "numbers, names given values (a=2), + - * / **, unary -, and " + ", ".join(
    f"{name}()" for name in FUNCTIONS
)


class ExpressionError(ValueError):
    """The expression or an assignment is not something this parser accepts."""


def parse_assignments(items: Sequence[str]) -> dict[str, float]:
    """``["a=2", "b=-3.5"]`` -> ``{"a": 2.0, "b": -3.5}``; names are NFKC-normalised
    as Python normalises the expression's (a full-width x, U+FF58, is x on both sides)."""
    values: dict[str, float] = {}
    for item in items:
        _check_text("the assignment", item)
        name, equals, number = item.partition("=")
        # Python's parser NFKC-normalises the expression's names (full-width x, U+FF58, is x):
        # the assignments' names are normalised the same way, so both sides meet.
        name = unicodedata.normalize("NFKC", name.strip())
        if not equals:
            raise ExpressionError(f"expected NAME=NUMBER, got {item!r}")
        if not name.isidentifier():
            raise ExpressionError(f"{name!r} in {item!r} is not a valid name")
        if name in values:
            raise ExpressionError(f"{name!r} is given a value twice")
        try:
            values[name] = float(number)
        except ValueError:
            raise ExpressionError(f"{number.strip()!r} in {item!r} is not a number") from None
    return values


def _check_text(what: str, text: str) -> None:
    """Refuse text holding a byte that is not UTF-8 (the shell passes it on as a lone
    surrogate, ``'\\udcff'``, which the parser cannot encode)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ExpressionError(
            f"{what} {text!r} holds a byte that is not UTF-8 text at character {error.start + 1}"
        ) from None


def build_expression(text: str, values: Mapping[str, float]) -> Value:
    """The graph of ``text``, each name a leaf `Value` labelled with the name.

    Raises `ExpressionError` for syntax errors, anything outside the whitelist,
    names without a value, and values given for names the text does not use
    (usually a typo)."""
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(
            f"expression is {len(text)} characters long; the limit is {MAX_EXPRESSION_LENGTH}"
        )
    _check_text("the expression", text)
    try:
        with warnings.catch_warnings():
            # A SyntaxWarning ("invalid decimal literal" in "2lambda") becomes the error
            # itself: one message, instead of a warning line on stderr before it.
            warnings.simplefilter("error", SyntaxWarning)
            tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        column = f" at column {error.offset}" if error.offset else ""
        raise ExpressionError(f"cannot parse {text!r}: {error.msg}{column}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError("expression is nested too deeply") from None
    builder = _Builder(text.strip(), values)
    try:
        result = builder.build(tree.body)
    except RecursionError:
        raise ExpressionError("expression is nested too deeply") from None
    unused = [name for name in values if name not in builder.leaves]
    if unused:
        raise ExpressionError(
            f"{', '.join(map(repr, unused))} given a value but not used in {text!r}"
        )
    return result


class _Builder:
    def __init__(self, text: str, values: Mapping[str, float]) -> None:
        self.text = text
        self.values = values
        self.leaves: dict[str, Value] = {}  # one leaf per name, however often it is used

    def fragment(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.text, node) or type(node).__name__

    def build(self, node: ast.expr) -> Value:
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = self.build(node.left), self.build(node.right)
            symbol = _BINARY[type(node.op)]
            if symbol == "+":
                return left + right
            if symbol == "-":
                return left - right
            if symbol == "*":
                return left * right
            if symbol == "/":
                return left / right
            return left**right
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.build(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.Call):
            return self.call(node)
        raise ExpressionError(f"{self.fragment(node)!r} is not allowed; use {_ALLOWED}")

    def constant(self, node: ast.Constant) -> Value:
        number = node.value
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            raise ExpressionError(f"{self.fragment(node)!r} is not a number")
        try:
            as_float = float(number)
        except OverflowError:
            as_float = math.inf  # an integer literal too big for a float, as NumPy would
        return Value(as_float)

    def name(self, node: ast.Name) -> Value:
        leaf = self.leaves.get(node.id)
        if leaf is None:
            if node.id not in self.values:
                raise ExpressionError(
                    f"{node.id!r} has no value; give it one after the expression, "
                    f"e.g. {node.id}=1.5"
                )
            leaf = self.leaves[node.id] = Value(self.values[node.id], label=node.id)
        return leaf

    def call(self, node: ast.Call) -> Value:
        function = node.func
        is_method = isinstance(function, ast.Attribute) and function.attr in FUNCTIONS
        is_function = isinstance(function, ast.Name) and function.id in FUNCTIONS
        if not (is_method or is_function):
            raise ExpressionError(
                f"{self.fragment(function)!r} cannot be called; only "
                + ", ".join(FUNCTIONS)
                + " can"
            )
        if node.keywords:
            raise ExpressionError(f"{self.fragment(node)!r}: keyword arguments are not allowed")
        if isinstance(function, ast.Attribute):
            if node.args:
                raise ExpressionError(f"{self.fragment(node)!r}: the methods take no arguments")
            operand, name = self.build(function.value), function.attr
        else:
            assert isinstance(function, ast.Name)
            if len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
                raise ExpressionError(f"{self.fragment(node)!r}: {function.id}() takes one value")
            operand, name = self.build(node.args[0]), function.id
        return apply(ops.FUNCTIONS[name], operand)
