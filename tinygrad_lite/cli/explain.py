"""``tinygrad-lite explain [--nodes LABEL ...] [--limit N]``: the chain rule of the seed
notebook's 2-1 network, one line per backward step (`tinygrad_lite.explain`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tinygrad_lite import explain
from tinygrad_lite.seed.network import build_network


def register(subparsers: Any) -> None:
    """Add ``explain [--nodes LABEL ...] [--limit N]``: the seed network's chain rule."""
    parser = subparsers.add_parser(
        "explain",
        help="print the chain rule of the seed notebook's 2-1 network, step by step",
        description=(
            "Run backward on the seed notebook's 2-1 network (x=0.5, y=0.8) and print "
            "one chain-rule line per node, in the order backward visits them."
        ),
    )
    parser.add_argument(
        "--nodes", nargs="+", metavar="LABEL", help="only these nodes (e.g. --nodes z3 w3)"
    )
    parser.add_argument("--limit", type=int, metavar="N", help="print at most N lines")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    loss = build_network()["L"]
    try:
        explain(loss, nodes=args.nodes, limit=args.limit)
    except ValueError as error:
        print(f"tinygrad-lite explain: {error}", file=sys.stderr)
        return 2
    return 0
