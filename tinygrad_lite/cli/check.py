"""``tinygrad-lite check``: a hand derivation, written as a small Python file, checked
against autograd on a graph given as ``draw`` takes it (`tinygrad_lite.derivation`).

    tinygrad-lite check mine.py "(a*b + c).tanh()" a=2 b=-3 c=10
    tinygrad-lite check mine.py expression           # a demo graph (see draw --list)

The file holds assignments, one a line, such as::

    dout_dd = 1 - 0.9640275800758169**2
    dout_da = dout_dd * b

A target ``d<output>_d<label>`` (the output of an expression is labelled ``out``)
is a claimed gradient; any other target is a helper name. A right-hand side is an
arithmetic expression of numbers, the NAME=NUMBER values, earlier targets and the
functions ``draw`` allows (``sigmoid(z)``, ``tanh(x)``), built with the same
whitelist as ``draw``'s expressions: the file is parsed with `ast`, never run.

Exit codes: 0 every claim agrees, 1 some claim is wrong, 2 bad input.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path
from typing import Any

from tinygrad_lite.cli.draw import build_graph
from tinygrad_lite.derivation import check_derivation
from tinygrad_lite.expression import ExpressionError, build_expression, parse_assignments

USAGE_ERROR = 2
WRONG = 1
MAX_FILE_SIZE = 100_000  # a derivation by hand: a few dozen lines


def register(subparsers: Any) -> None:
    """Add ``check DERIVATION EXPR_OR_DEMO [NAME=NUMBER ...]``."""
    parser = subparsers.add_parser(
        "check",
        help="check a hand derivation (a file of assignments) against autograd",
        description=(
            "Check the gradients claimed in DERIVATION (assignments such as "
            "dout_da = -1.5, parsed, never run) against autograd on the graph of "
            "EXPR_OR_DEMO, given as `tinygrad-lite draw` takes it, and explain the wrong ones."
        ),
    )
    parser.add_argument("derivation", metavar="DERIVATION", help="a .py file of assignments")
    parser.add_argument("what", metavar="EXPR_OR_DEMO")
    parser.add_argument("assignments", nargs="*", metavar="NAME=NUMBER")
    parser.set_defaults(handler=run)


def _fail(message: str) -> int:
    print(f"tinygrad-lite check: error: {message}", file=sys.stderr)
    return USAGE_ERROR


def read_claims(text: str, output_label: str, values: dict[str, float]) -> dict[str, float]:
    """The claimed gradients of a derivation file, ``{"d<out>/d<label>": number}``.

    Every statement must be ``NAME = EXPRESSION``; names in an expression are the
    ``values`` or earlier targets. Raises `ExpressionError` naming the line."""
    try:
        module = ast.parse(text)
    except SyntaxError as error:
        raise ExpressionError(f"line {error.lineno}: cannot parse: {error.msg}") from None
    known = dict(values)
    claims: dict[str, float] = {}
    prefix = f"d{output_label}_d"
    for statement in module.body:
        line = f"line {statement.lineno}"
        if not (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
        ):
            raise ExpressionError(f"{line}: only assignments NAME = EXPRESSION are allowed")
        target = statement.targets[0].id
        source = ast.get_source_segment(text, statement.value) or ""
        used = {node.id for node in ast.walk(statement.value) if isinstance(node, ast.Name)}
        given = {name: known[name] for name in used if name in known}
        try:
            number = float(build_expression(source, given).data)
        except ExpressionError as error:
            raise ExpressionError(f"{line}: {error}") from None
        known[target] = number
        if target.startswith(prefix) and len(target) > len(prefix):
            claims[f"d{output_label}/d{target[len(prefix) :]}"] = number
    if not claims:
        raise ExpressionError(f"no claimed gradient: name them {prefix}<label> = ...")
    return claims


def run(args: argparse.Namespace) -> int:
    path = Path(args.derivation)
    try:
        if path.stat().st_size > MAX_FILE_SIZE:
            return _fail(f"{path} is larger than {MAX_FILE_SIZE} bytes")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return _fail(f"cannot read {path}: {error}")
    try:
        values = parse_assignments(list(args.assignments))
        root = build_graph(args.what, list(args.assignments))
        claims = read_claims(text, root.label, values)
        report = check_derivation(root, claims)
    except (ExpressionError, ValueError, TypeError) as error:
        return _fail(str(error))
    print(report)
    return 0 if report.ok else WRONG
