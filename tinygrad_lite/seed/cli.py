"""The ``tinygrad-lite seed`` subcommand: the seed notebook, part by part."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tinygrad_lite.seed import network, report

DEFAULT_OUT = "out"


def run_network(args: argparse.Namespace) -> int:
    """The 2-1 network: tables of values and gradients, the update, the graph files."""
    result = network.run()
    files: dict[str, str] = {}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.json:
        json.dump(report.report_json(result, files), sys.stdout, indent=2)
        print()
    else:
        print(report.format_report(result, files))
    return 0


PARTS = {"network": run_network}


def _handle(args: argparse.Namespace) -> int:
    return PARTS[args.part](args)


def register_cli(subparsers: Any) -> None:
    """Add ``seed [PART] [--json] [--out DIR]`` to the command line."""
    parser = subparsers.add_parser(
        "seed",
        help="reproduce the seed notebook (the 2-1 network by default)",
        description="Reproduce the seed notebook with tinygrad_lite, one part at a time.",
    )
    parser.add_argument(
        "part",
        nargs="?",
        default="network",
        choices=sorted(PARTS),
        help="which part of the notebook to run (default: network)",
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument(
        "--out",
        default=DEFAULT_OUT,
        metavar="DIR",
        help=f"directory for figures and graph files (default: {DEFAULT_OUT}/)",
    )
    parser.set_defaults(handler=_handle)
