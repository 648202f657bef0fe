"""``tinygrad-lite draw``: draw an expression typed on the command line, or a named demo graph.

    tinygrad-lite draw "(a*b + c).tanh()" a=2 b=-3 c=10 -o graph.svg
    tinygrad-lite draw neuron -o neuron.png
    tinygrad-lite draw expression --player steps/    # the backward pass, step by step
    tinygrad-lite draw --list                        # the demo graphs

Without ``-o`` the DOT text is printed (no Graphviz needed). Bad input gives a
one-line error and exit code 2.

An expression that starts with ``-`` goes after ``--`` (otherwise it reads as
an option); options may still follow it::

    tinygrad-lite draw -- "-x**2" x=3 -o neg.png
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from typing import Any

from tinygrad_lite.demo_graphs import DEMO_GRAPHS
from tinygrad_lite.expression import (
    FUNCTIONS,
    ExpressionError,
    build_expression,
    parse_assignments,
)
from tinygrad_lite.player import draw_backward
from tinygrad_lite.value import Value
from tinygrad_lite.viz import (
    COLOR_MODES,
    DEFAULT_MAX_NODES,
    RANKDIRS,
    GraphvizNotFoundError,
    draw,
    save,
)

USAGE_ERROR = 2
RENDER_ERROR = 1


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "draw",
        help="draw the computation graph of an expression or a demo graph",
        description=(
            "Draw the computation graph of EXPR (with NAME=NUMBER values for its names) "
            "or of a demo graph, after one backward pass so gradients show. Expressions "
            "allow numbers, names, + - * / **, unary -, and "
            + ", ".join(FUNCTIONS)
            + " (x.tanh() or tanh(x)). Demo graphs: "
            + ", ".join(DEMO_GRAPHS)
            + "."
        ),
    )
    parser.add_argument(
        "what", nargs="?", metavar="EXPR_OR_DEMO", help="put -- before an EXPR that starts with -"
    )
    parser.add_argument("assignments", nargs="*", metavar="NAME=NUMBER")
    parser.add_argument(
        "-o", "--output", help="file to write: .svg, .png, .pdf or .dot (default: DOT to stdout)"
    )
    parser.add_argument("--player", metavar="DIR", help="also write a step-by-step backward player")
    parser.add_argument("--rankdir", choices=RANKDIRS, default="LR")
    parser.add_argument("--color-by", choices=COLOR_MODES, default="kind")
    parser.add_argument("--fmt", default=".4g", help="number format (default .4g)")
    parser.add_argument("--max-nodes", type=int, default=DEFAULT_MAX_NODES)
    parser.add_argument("--no-backward", action="store_true", help="draw without gradients")
    parser.add_argument("--list", action="store_true", help="list the demo graphs and exit")
    parser.set_defaults(
        handler=partial(_run_with_late_options, parser),
        unrecognized_hint=(
            'an expression that starts with - goes after --: tinygrad-lite draw -- "-x**2" x=3'
        ),
    )


def late_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.Namespace:
    """Parse the options that came after ``--`` (``draw -- "-x**2" x=3 -o neg.png``).

    argparse takes every word after ``--`` as a positional, so ``-o neg.png`` lands
    among the NAME=NUMBER values. A NAME=NUMBER never starts with ``-``: from the
    first word that does, the words are parsed again as the subcommand's options
    (with argparse's usual messages and exit code 2 when they are wrong), and
    positionals among them are NAME=NUMBER values too."""
    assignments = list(args.assignments)
    first_option = next(
        (i for i, word in enumerate(assignments) if word.startswith("-") and word != "--"), None
    )
    if first_option is None:
        return args
    late = parser.parse_args(assignments[first_option:])
    merged = argparse.Namespace(**vars(args))
    merged.assignments = assignments[:first_option]
    merged.assignments += [late.what] if late.what is not None else []
    merged.assignments += late.assignments
    for name, value in vars(late).items():
        if name in ("what", "assignments", "handler", "unrecognized_hint"):
            continue
        if value != parser.get_default(name):
            setattr(merged, name, value)
    return merged


def _run_with_late_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    return run(late_options(parser, args))


def _fail(message: str, code: int = USAGE_ERROR) -> int:
    print(f"tinygrad-lite draw: error: {message}", file=sys.stderr)
    return code


def build_graph(what: str, assignments: list[str]) -> Value:
    """The graph ``draw`` (and ``check``) takes: a demo graph by name, or an expression
    with its NAME=NUMBER values (its output labelled ``out`` unless labelled already)."""
    if what in DEMO_GRAPHS:
        if assignments:
            raise ExpressionError(f"the demo graph {what!r} takes no NAME=NUMBER values")
        return DEMO_GRAPHS[what]()
    root = build_expression(what, parse_assignments(assignments))
    if not root.label:
        root.label = "out"
    return root


def run(args: argparse.Namespace) -> int:
    if args.list:
        for name, builder in DEMO_GRAPHS.items():
            summary = (builder.__doc__ or "").strip().splitlines()[0] if builder.__doc__ else ""
            print(f"{name:14} {summary}")
        return 0
    if not args.what:
        return _fail("give an expression (with NAME=NUMBER values) or a demo name; see --list")
    try:
        root = build_graph(args.what, list(args.assignments))
    except ExpressionError as error:
        return _fail(str(error))
    if not args.no_backward and not root.is_leaf:
        root.backward()
    try:
        drawing = draw(
            root,
            rankdir=args.rankdir,
            color_by=args.color_by,
            fmt=args.fmt,
            max_nodes=args.max_nodes,
        )
    except ValueError as error:
        return _fail(str(error))
    try:
        if args.output:
            written = save(drawing, args.output)
            print(f"wrote {written}")
            for message in drawing.collapsed:
                print(f"collapsed: {message}")
        else:
            sys.stdout.write(drawing.source)
    except GraphvizNotFoundError as error:
        return _fail(str(error), RENDER_ERROR)
    except ValueError as error:
        return _fail(str(error))
    except OSError as error:  # the error's own file name may be the temporary file, or None
        return _fail(f"cannot write {args.output}: {_reason(error)}", RENDER_ERROR)
    if args.player:
        try:
            root.zero_grad()
            page = draw_backward(root, args.player, rankdir=args.rankdir, fmt=args.fmt)
        except GraphvizNotFoundError as error:
            return _fail(str(error), RENDER_ERROR)
        except ValueError as error:
            return _fail(str(error))
        except OSError as error:
            return _fail(
                f"cannot write {error.filename or args.player}: {_reason(error)}", RENDER_ERROR
            )
        print(f"wrote {page} (open it in a browser)")
    return 0


def _reason(error: OSError) -> str:
    return error.strerror or str(error)
