"""The ``tinygrad-lite seed`` subcommand: the seed notebook, part by part.

``tinygrad-lite seed`` (part ``network``) is the 2-1 network; the other parts
are the two 2-D experiments, the exercises and the appendix. Every part
writes its figures into ``--out`` (default ``out/``) and prints where.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tinygrad_lite.seed import exercises, experiments, network, report, vanishing

DEFAULT_OUT = "out"

QUICK_EPOCHS = {"experiment": 50, "full": 100, "sweep": 50, "batch": 10, "examples": 50}
"""Epoch counts (and examples for the appendix) of ``--quick``: a tour that runs in seconds."""


def _emit(args: argparse.Namespace, text: str, data: Any) -> None:
    if args.json:
        json.dump(data, sys.stdout, indent=2)
        print()
    else:
        print(text)


def run_network(args: argparse.Namespace) -> int:
    """The 2-1 network: tables of values and gradients, the update, the graph files."""
    result = network.run()
    files = {fmt: str(path) for fmt, path in network.draw_graph(result, Path(args.out)).items()}
    if "svg" not in files:
        print(
            "note: Graphviz's `dot` program was not found, so the graph was written as DOT "
            "text only; install Graphviz (Debian/Ubuntu: sudo apt-get install graphviz) "
            "for the SVG and PNG.",
            file=sys.stderr,
        )
    _emit(args, report.format_report(result, files), report.report_json(result, files))
    return 0


def _experiment_part(name: str) -> Callable[[argparse.Namespace], int]:
    def run_part(args: argparse.Namespace) -> int:
        experiment = experiments.EXPERIMENTS[name]
        epochs = args.epochs or (QUICK_EPOCHS["experiment"] if args.quick else None)
        fast = {"auto": None, "scalar": False, "fast": True}[args.engine]
        result = experiments.run_experiment(
            experiment, epochs=epochs, out=Path(args.out), fast=fast
        )
        _emit(args, experiments.format_result(result), experiments.result_json(result))
        return 0 if result.agrees else 1

    run_part.__doc__ = f"The text's {name.replace('_', ' ')} experiment, side by side with NumPy."
    return run_part


def run_exercises(args: argparse.Namespace) -> int:
    """The text's five exercises, each with a figure and a two-line observation."""
    out = Path(args.out)
    fast = args.engine != "scalar"  # dozens of runs: the scalar engine would take an hour
    if args.quick:
        settings = exercises.ExerciseSettings(
            full_epochs=QUICK_EPOCHS["full"],
            sweep_epochs=QUICK_EPOCHS["sweep"],
            batch_epochs=QUICK_EPOCHS["batch"],
            seed=args.seed,
            fast=fast,
        )
    else:
        settings = exercises.ExerciseSettings(seed=args.seed, fast=fast)
    results = exercises.run_all(out, settings)
    _emit(
        args,
        "\n\n".join(result.format() for result in results),
        [exercises.result_json(result) for result in results],
    )
    return 0


def run_vanishing(args: argparse.Namespace) -> int:
    """The appendix: gradient magnitude per layer in a deep MLP."""
    examples = QUICK_EPOCHS["examples"] if args.quick else 200
    results, text = vanishing.run(Path(args.out), examples=examples)
    _emit(args, text, vanishing.results_json(results, Path(args.out)))
    return 0


PARTS: dict[str, Callable[[argparse.Namespace], int]] = {
    "network": run_network,
    "no-activation": _experiment_part("no_activation"),
    "sigmoid-activation": _experiment_part("sigmoid_activation"),
    "exercises": run_exercises,
    "vanishing-gradients": run_vanishing,
}


def run_all(args: argparse.Namespace) -> int:
    """Every part in the text's order; the exit code is the worst part's."""
    worst = 0
    for name, part in PARTS.items():
        if not args.json:
            print(f"\n=== tinygrad-lite seed {name} ===\n")
        worst = max(worst, part(args))
    return worst


def _handle(args: argparse.Namespace) -> int:
    if args.epochs is not None and args.epochs < 1:
        print(f"error: --epochs must be at least 1, got {args.epochs}", file=sys.stderr)
        return 2
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        print(f"error: --out {args.out!r} exists and is not a directory", file=sys.stderr)
        return 2
    if args.part == "all":
        return run_all(args)
    return PARTS[args.part](args)


def register(subparsers: Any) -> None:
    """Add ``seed [PART] [--json] [--out DIR] [--quick] [--epochs N] [--seed S]``."""
    parser = subparsers.add_parser(
        "seed",
        help="reproduce the seed notebook (the 2-1 network by default)",
        description=(
            "Reproduce the seed notebook with tinygrad_lite, one part at a time: "
            "the 2-1 network (default), the experiments without and with an activation, "
            "the exercises, the appendix's vanishing gradients, or all of them."
        ),
    )
    parser.add_argument(
        "part",
        nargs="?",
        default="network",
        choices=[*PARTS, "all"],
        help="which part of the notebook to run (default: network)",
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument(
        "--out",
        default=DEFAULT_OUT,
        metavar="DIR",
        help=f"directory for figures and graph files (default: {DEFAULT_OUT}/)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="shortened runs (seconds instead of minutes) for a first look",
    )
    parser.add_argument(
        "--epochs",
        type=int,
        metavar="N",
        help="epochs for no-activation / sigmoid-activation (default: the text's)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="S",
        help="seed of the mini-batch order in the exercises (default: 0)",
    )
    parser.add_argument(
        "--engine",
        choices=["auto", "scalar", "fast"],
        default="auto",
        help=(
            "how the 2-D networks train: the scalar engine, or fit(fast=True), which "
            "replays the traced scalar graph with NumPy (same updates to ~1e-15). "
            "auto (default): scalar for no-activation, fast for sigmoid-activation "
            "and the exercises"
        ),
    )
    parser.set_defaults(handler=_handle)
