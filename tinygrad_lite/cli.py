"""The `tinygrad-lite` command line (also `python -m tinygrad_lite`).

Each feature module that offers a subcommand defines
``register_cli(subparsers)``, which adds its parser and sets ``handler`` (a
function taking the parsed arguments and returning an exit code). Adding a
subcommand means adding its module's name to ``COMMAND_MODULES``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMAND_MODULES: list[str] = [
    "tinygrad_lite.seed",
    "tinygrad_lite.explain",
    "tinygrad_lite.draw_command",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinygrad-lite",
        description="A scalar autograd engine for learning, teaching and testing backpropagation.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register_cli(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    exit_code: int = handler(args)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
