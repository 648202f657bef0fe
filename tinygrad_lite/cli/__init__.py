"""The `tinygrad-lite` command line (also `python -m tinygrad_lite`).

One module per subcommand, each with ``register(subparsers)``, which adds its
parser and sets ``handler`` (a function taking the parsed arguments and
returning an exit code), and may set ``unrecognized_hint``, a sentence added to
argparse's "unrecognized arguments" error for that subcommand):

* `tinygrad_lite.cli.seed`: ``tinygrad-lite seed``, the seed notebook, part by part;
* `tinygrad_lite.cli.explain`: ``tinygrad-lite explain``, the chain rule of its 2-1 network;
* `tinygrad_lite.cli.draw`: ``tinygrad-lite draw``, a graph typed on the command line;
* `tinygrad_lite.cli.check`: ``tinygrad-lite check``, a hand derivation checked against autograd.

Adding a subcommand means adding its module to `SUBCOMMANDS`. The command line
sits in the top layer with the course (see `tinygrad_lite.layers`): it may use
every module below it, and nothing in the library imports it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from tinygrad_lite.cli import check, draw, explain, seed

SUBCOMMANDS = (seed, explain, draw, check)
"""The subcommand modules, in the order ``--help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinygrad-lite",
        description="A scalar autograd engine for learning, teaching and testing backpropagation.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in SUBCOMMANDS:
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, unrecognized = parser.parse_known_args(argv)
    if unrecognized:  # what parse_args says, plus the subcommand's hint
        message = f"unrecognized arguments: {' '.join(unrecognized)}"
        hint = getattr(args, "unrecognized_hint", None)
        parser.error(f"{message} ({hint})" if hint else message)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    exit_code: int = handler(args)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
