"""Run every benchmark and write a markdown report: ``python -m benchmarks``.

Each case runs in its own worker process (``benchmarks.worker``), and the
engines of one comparison take turns (A B C A B C ...) for ``--rounds``
rounds, so slow drifts of a shared machine hit every engine alike. The report
gives the median over rounds (and the range), ratios, and the machine.

micrograd 0.1.0 is installed with pip when missing (it is small; or install
the ``bench`` extra). PyTorch is never installed by this command: with it
absent, its rows say so. ``--quick`` runs tiny sizes in one round (a smoke
test of the code, not a measurement) and installs nothing.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = ROOT / "benchmarks" / "RESULTS.md"
MICROGRAD_REQUIREMENT = "micrograd==0.1.0"
TORCH_HINT = "pip install torch==2.13.0 (the CPU build is enough)"


@dataclass
class Sizes:
    rounds: int
    epoch_repeats: int
    graph_nodes: int
    memory_nodes: int
    chains: list[int]
    torch_chains: list[int]
    epochs: int
    points: int


FULL = Sizes(3, 7, 100_000, 1_000_000, [10_000, 100_000, 1_000_000], [10_000, 100_000], 10_000, 200)
QUICK = Sizes(1, 1, 300, 1_000, [100, 1_000], [100], 3, 10)


@dataclass
class Runs:
    """The results of one case over the rounds."""

    results: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def median(self, key: str) -> float | None:
        values = [r[key] for r in self.results if isinstance(r.get(key), (int, float))]
        return statistics.median(values) if values else None

    def spread(self, key: str) -> tuple[float, float] | None:
        values = [r[key] for r in self.results if isinstance(r.get(key), (int, float))]
        return (min(values), max(values)) if values else None


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """One case in a fresh interpreter; its JSON result, or {"error": ...}."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.worker", json.dumps(case)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    if completed.returncode != 0:
        last_line = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": last_line}
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def run_alternating(cases: dict[str, dict[str, Any]], rounds: int) -> dict[str, Runs]:
    """Run the cases in turn, ``rounds`` times: A B C A B C ..."""
    runs = {name: Runs() for name in cases}
    for round_number in range(rounds):
        for name, case in cases.items():
            if runs[name].error is not None:
                continue  # a case that failed once (e.g. RecursionError) is not retried
            started = time.perf_counter()
            result = run_case(case)
            took = time.perf_counter() - started
            print(f"  round {round_number + 1}/{rounds}  {name:<40} {took:6.1f} s", flush=True)
            if "error" in result and len(result) == 1:
                runs[name].error = result["error"]
            else:
                runs[name].results.append(result)
                if "error" in result:
                    runs[name].error = result["error"]
    return runs


def ensure_micrograd(install: bool) -> str | None:
    """None if micrograd is importable (installing it when allowed), else why not."""
    if importlib.util.find_spec("micrograd") is not None:
        return None
    if not install:
        return (
            f"micrograd not installed ({MICROGRAD_REQUIREMENT}; --quick and --no-install skip it)"
        )
    print(f">> installing {MICROGRAD_REQUIREMENT} for the comparison", flush=True)
    command = [sys.executable, "-m", "pip", "install", "-q", MICROGRAD_REQUIREMENT]
    if subprocess.run(command, check=False).returncode != 0:
        return f"micrograd could not be installed (pip install {MICROGRAD_REQUIREMENT} failed)"
    importlib.invalidate_caches()
    return None if importlib.util.find_spec("micrograd") else "micrograd not importable"


def version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine() -> list[str]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    ).stdout.strip()
    return [
        f"- Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- CPU: {cpu}, {os.cpu_count()} logical cores; {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()} ({platform.python_implementation()}), "
        f"NumPy {version('numpy')}, micrograd {version('micrograd')}, torch {version('torch')}",
        f"- tinygrad_lite commit {commit or 'unknown'}",
    ]


# --------------------------------------------------------------------------
# formatting
# --------------------------------------------------------------------------


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 1e-5:
        return f"{seconds * 1e6:.2f} µs"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1.0:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def fmt_range(spread: tuple[float, float] | None) -> str:
    if spread is None:
        return "-"
    return f"{fmt_time(spread[0])} to {fmt_time(spread[1])}"


def paired_ratio(
    runs: dict[str, Runs], slower: str, faster: str, key: str = "seconds"
) -> float | None:
    """The median over rounds of ``slower / faster`` within each round.

    Both cases of a round ran one right after the other, so a load that drifts
    over minutes on a shared machine cancels out of each round's ratio."""
    if slower not in runs or faster not in runs:
        return None
    pairs = zip(runs[slower].results, runs[faster].results, strict=False)
    ratios = [a[key] / b[key] for a, b in pairs if a.get(key) and b.get(key)]
    return statistics.median(ratios) if ratios else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}x"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def status(runs: Runs | None, skipped: str | None) -> str | None:
    """Why a case has no number, or None when it has one."""
    if skipped:
        return f"skipped: {skipped}"
    if runs is None:
        return "not run"
    if runs.error and not runs.results:
        return runs.error
    return None


# --------------------------------------------------------------------------
# the suite
# --------------------------------------------------------------------------

EPOCH_ROWS = [
    (
        "tinygrad_lite",
        "tinygrad_lite",
        "nn.MLP: one `linear` + one sigmoid node per neuron; `total` loss",
    ),
    (
        "tinygrad_lite_products",
        "tinygrad_lite",
        "micrograd's formulation: binary `*`/`+` per product, Python `sum` loss",
    ),
    (
        "micrograd",
        "micrograd 0.1.0",
        "its own MLP formula (`sum` of products) + a one-node sigmoid added here",
    ),
    ("torch", "PyTorch 0-dim tensors", "the same scalar formulation as micrograd, float64"),
    ("numpy", "NumPy (the seed's loop)", "whole-batch matrices, hand-written backprop"),
    (
        "floor",
        "lower bound (benchmarks/floor.py)",
        "tinygrad_lite's graph, stripped-down code: no Op objects, checks or debugging",
    ),
    (
        "floor_derivatives",
        "lower bound, derivative functions",
        "the same, backward through one local-derivative function per operation",
    ),
    (
        "floor_fused",
        "lower bound, fused",
        "the same, one node per neuron (sigmoid folded in: no `z` node)",
    ),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one round (smoke test)")
    parser.add_argument("--rounds", type=int, help="rounds of alternating runs (default 3)")
    parser.add_argument("--output", type=Path, help=f"report file (default {DEFAULT_OUTPUT})")
    parser.add_argument("--no-install", action="store_true", help="never pip-install micrograd")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    rounds = args.rounds or sizes.rounds
    output = args.output or (None if args.quick else DEFAULT_OUTPUT)

    skipped: dict[str, str | None] = {
        "micrograd": ensure_micrograd(install=not (args.quick or args.no_install)),
        "torch": None
        if importlib.util.find_spec("torch")
        else f"torch not installed ({TORCH_HINT})",
    }
    started = time.perf_counter()

    def available(engine: str) -> bool:
        return skipped.get(engine) is None

    print("(a) one epoch of the seed's experiment", flush=True)
    epoch_cases = {
        engine: {
            "workload": "seed_epoch",
            "engine": engine,
            "repeats": sizes.epoch_repeats,
            "points": sizes.points,
        }
        for engine, _, _ in EPOCH_ROWS
        if available(engine)
    }
    epochs = run_alternating(epoch_cases, rounds)

    print("(b) a random expression graph", flush=True)
    graph_engines = [e for e in ("tinygrad_lite", "micrograd", "torch") if available(e)]
    graphs = run_alternating(
        {
            e: {"workload": "random_graph", "engine": e, "n_nodes": sizes.graph_nodes}
            for e in graph_engines
        },
        rounds,
    )

    print("(c) memory per node", flush=True)
    memory_engines = [e for e in ("tinygrad_lite", "micrograd") if available(e)]
    memory = run_alternating(
        {
            e: {"workload": "memory_per_node", "engine": e, "n_nodes": sizes.memory_nodes}
            for e in memory_engines
        },
        1,  # deterministic: one run each
    )

    print("(d) deep chains", flush=True)
    chain_cases: dict[str, dict[str, Any]] = {}
    for n in sizes.chains:
        chain_cases[f"tinygrad_lite {n}"] = {
            "workload": "chain",
            "engine": "tinygrad_lite",
            "n_operations": n,
        }
    top = sizes.chains[-1]
    chain_cases[f"tinygrad_lite {top} collector paused"] = {
        "workload": "chain",
        "engine": "tinygrad_lite",
        "n_operations": top,
        "collector": False,
    }
    chain_cases[f"tinygrad_lite {2 * top}"] = {
        "workload": "chain",
        "engine": "tinygrad_lite",
        "n_operations": 2 * top,
    }
    if available("micrograd"):
        chain_cases[f"micrograd {sizes.chains[0]}"] = {
            "workload": "chain",
            "engine": "micrograd",
            "n_operations": sizes.chains[0],
        }
    if available("torch"):
        for n in sizes.torch_chains:
            chain_cases[f"torch {n}"] = {"workload": "chain", "engine": "torch", "n_operations": n}
    chains = run_alternating(chain_cases, rounds)

    print("(e) the full experiment", flush=True)
    full = run_alternating(
        {
            e: {"workload": "full_run", "engine": e, "epochs": sizes.epochs}
            for e in ("numpy", "traced", "fit_fast")
        },
        rounds,
    )

    report = build_report(args.quick, rounds, sizes, skipped, epochs, graphs, memory, chains, full)
    report.append("")
    report.append(f"The suite took {time.perf_counter() - started:.0f} s.")
    text = "\n".join(report) + "\n"
    print()
    print(text)
    if output is not None:
        output.write_text(text)
        print(f"written to {output}")
    return 0


def build_report(
    quick: bool,
    rounds: int,
    sizes: Sizes,
    skipped: dict[str, str | None],
    epochs: dict[str, Runs],
    graphs: dict[str, Runs],
    memory: dict[str, Runs],
    chains: dict[str, Runs],
    full: dict[str, Runs],
) -> list[str]:
    lines = ["# Benchmark results", ""]
    if quick:
        lines += ["**--quick run: tiny sizes, one round. These numbers measure nothing.**", ""]
    lines += [
        "Regenerate with `python -m benchmarks` (from the repository root, in the project's",
        f"venv). Every case ran in its own process; engines alternated, {rounds} round(s);",
        "each figure is the median over rounds, with the range over rounds beside it.",
        "",
        *machine(),
        "",
    ]
    for engine, why in skipped.items():
        if why:
            lines += [f"- **{engine} skipped**: {why}"]
    lines.append("")

    # (a)
    rows = []
    for key, engine, formulation in EPOCH_ROWS:
        runs = epochs.get(key)
        why = status(runs, skipped.get(key))
        if why or runs is None:
            rows.append([engine, formulation, "-", why or "-", "-", "-"])
            continue
        seconds = runs.median("seconds")
        nodes = runs.median("nodes")
        relative = paired_ratio(epochs, key, "tinygrad_lite")
        versus = (
            "1.0x (baseline)"
            if key == "tinygrad_lite"
            else (
                f"{relative:.1f}x slower"
                if relative and relative >= 1
                else f"{1 / relative:.1f}x faster"
                if relative
                else "-"
            )
        )
        rows.append(
            [
                engine,
                formulation,
                f"{nodes:,.0f}" if nodes else "-",
                fmt_time(seconds),
                fmt_range(runs.spread("seconds")),
                versus,
            ]
        )
    lines += [
        "## (a) One epoch of the seed's sigmoid experiment",
        "",
        f"{sizes.points} points, 2-16-1 sigmoid network, loss `0.5 * sum((y - y_pred)**2)`,",
        "full batch: forward over all points, loss, backward, SGD update (lr 0.01), from the",
        "seed's data and initial weights. Nodes per epoch counts every node the loss reaches,",
        "leaves included.",
        "",
        *table(
            ["engine", "formulation", "nodes / epoch", "time / epoch", "range", "vs tinygrad_lite"],
            rows,
        ),
        "",
    ]

    # targets
    tiny_memory = (
        memory["tinygrad_lite"].median("bytes_per_node") if "tinygrad_lite" in memory else None
    )
    micro_memory = memory["micrograd"].median("bytes_per_node") if "micrograd" in memory else None
    chain_key = f"tinygrad_lite {sizes.chains[-1]}"
    chain_total = chains[chain_key].median("total") if chain_key in chains else None

    def verdict(ok: bool | None) -> str:
        if quick or ok is None:  # tiny sizes say nothing about the targets
            return "-"
        return "met" if ok else "**not met**"

    def at_least(value: float | None, goal: float) -> bool | None:
        return None if value is None else value >= goal

    def at_most(value: float | None, goal: float) -> bool | None:
        return None if value is None else value <= goal

    speed_micrograd = paired_ratio(epochs, "micrograd", "tinygrad_lite")
    speed_torch = paired_ratio(epochs, "torch", "tinygrad_lite")
    memory_share = ratio(tiny_memory, micro_memory)
    full_ratio = paired_ratio(full, "traced", "numpy")
    target_rows = [
        [
            "epoch (a): micrograd time / tinygrad_lite time",
            ">= 10x",
            fmt_ratio(speed_micrograd),
            verdict(at_least(speed_micrograd, 10)),
        ],
        [
            "epoch (a): micrograd time / tinygrad_lite per-product time",
            "(engine alone)",
            fmt_ratio(paired_ratio(epochs, "micrograd", "tinygrad_lite_products")),
            "-",
        ],
        [
            "epoch (a): PyTorch 0-dim time / tinygrad_lite time",
            ">= 20x",
            fmt_ratio(speed_torch),
            verdict(at_least(speed_torch, 20)),
        ],
        [
            "epoch (a): PyTorch 0-dim time / tinygrad_lite per-product time",
            "(engine alone)",
            fmt_ratio(paired_ratio(epochs, "torch", "tinygrad_lite_products")),
            "-",
        ],
        [
            "epoch (a): PyTorch 0-dim time / lower bound, same graph",
            "(stripped-down bound)",
            fmt_ratio(paired_ratio(epochs, "torch", "floor")),
            "-",
        ],
        [
            "epoch (a): PyTorch 0-dim time / lower bound, derivative functions",
            "(bound with the Op interface)",
            fmt_ratio(paired_ratio(epochs, "torch", "floor_derivatives")),
            "-",
        ],
        [
            "epoch (a): PyTorch 0-dim time / lower bound, one node per neuron",
            "(bound without `z` nodes)",
            fmt_ratio(paired_ratio(epochs, "torch", "floor_fused")),
            "-",
        ],
        [
            "memory per node (c): tinygrad_lite / micrograd",
            "<= 1/3 (0.33)",
            "-" if memory_share is None else f"{memory_share:.2f}",
            verdict(at_most(memory_share, 1 / 3)),
        ],
        [
            f"chain of {sizes.chains[-1]:,} operations (d), build + backward",
            "< 3 s",
            fmt_time(chain_total),
            verdict(at_most(chain_total, 3.0)),
        ],
        [
            f"full experiment (e), {sizes.epochs:,} epochs: traced / NumPy",
            "<= 3x",
            fmt_ratio(full_ratio),
            verdict(at_most(full_ratio, 3.0)),
        ],
        [
            "full experiment (e): fit(fast=True) / NumPy",
            "(with history)",
            fmt_ratio(paired_ratio(full, "fit_fast", "numpy")),
            "-",
        ],
    ]
    lines += [
        "## The targets (issue 8)",
        "",
        *table(["measure", "target", "measured", ""], target_rows),
        "",
        "The *lower bound* rows time `benchmarks/floor.py`: not an engine, but the least",
        "work plain Python can do for this epoch. It builds tinygrad_lite's graph (a gradient on",
        "every node, inputs and targets as leaves, a topological backward) with every",
        "operation's formulas inlined in two functions, and none of the engine's checks, `Op`",
        "objects, labels, no_grad switch or debugging support. An engine that builds this",
        "graph does at least this work per node and edge, so the first bound says about how",
        "fast plain Python gets on it. The second runs the same backward through one",
        "local-derivative function per operation, the shape of tinygrad_lite's `Op` interface",
        "(the formula written once, next to the forward, for floats and Values alike): what",
        "that interface alone costs. The third folds each sigmoid into its neuron's node",
        "(losing the `z` nodes learners step through). All three are checked to train exactly",
        "like the seed's loop (tests/test_benchmarks.py).",
        "",
    ]

    # (b)
    rows = []
    for engine in ("tinygrad_lite", "micrograd", "torch"):
        runs = graphs.get(engine)
        why = status(runs, skipped.get(engine))
        if why or runs is None:
            rows.append([engine, "-", why or "-", "-"])
            continue
        rows.append(
            [
                engine,
                f"{runs.median('nodes') or 0:,.0f}",
                fmt_time(runs.median("forward_per_node")),
                fmt_time(runs.median("backward_per_node")),
            ]
        )
    lines += [
        "## (b) Time per node on a large random expression graph",
        "",
        f"{sizes.graph_nodes:,} nodes: 1% leaves, then `a + b` (40%), `a * b` (40%), `relu(a)`",
        "(20%) of operands drawn uniformly from earlier nodes (the same seeded graph for every",
        "engine, drawn before the clock starts); the root adds up every unused node as a balanced",
        "tree (so the graph has more nodes than the random part: the count below). Forward =",
        "building the graph; backward = one `backward()` from the root; both per node.",
        "",
        *table(["engine", "nodes", "forward / node", "backward / node"], rows),
        "",
    ]

    # (c)
    rows = []
    for engine in ("tinygrad_lite", "micrograd"):
        runs = memory.get(engine)
        why = status(runs, skipped.get(engine))
        value = runs.median("bytes_per_node") if runs else None
        nodes = runs.median("nodes") if runs else None
        rows.append([engine, "-" if why else f"{nodes or 0:,.0f}", why or f"{value:.0f} B"])
    lines += [
        "## (c) Memory per node",
        "",
        f"The graph of (b), built from {sizes.memory_nodes:,} random nodes (plus the tree of",
        "additions, counted too) under `tracemalloc`: bytes still allocated once it is built",
        "(nodes, their floats, operand tuples or sets, closures), divided by the node count.",
        "",
        *table(["engine", "nodes", "bytes / node"], rows),
        "",
    ]

    # (d)
    rows = []
    for name, runs in chains.items():
        why = status(runs, None)
        if why:
            rows.append([name, why, "-", "-", "-", "-"])
            continue
        if runs.error:  # built, then failed in backward (micrograd's recursion)
            rows.append([name, fmt_time(runs.median("build")), runs.error, "-", "-", "-"])
            continue
        ok = all(r.get("grad_ok", False) for r in runs.results)
        rows.append(
            [
                name,
                fmt_time(runs.median("build")),
                fmt_time(runs.median("backward")),
                fmt_time(runs.median("total")),
                fmt_range(runs.spread("total")),
                "yes" if ok else "**no**",
            ]
        )
    lines += [
        "## (d) Deep chains: build + backward",
        "",
        "`v = v * 1.0000001 + 0.0`, repeated n/2 times: n operations deep, 2n nodes with the",
        "constant leaves. Python's cyclic garbage collector is on (the default) except in the row",
        "marked *collector paused* (`gc.disable()` around build and backward). micrograd sorts",
        "recursively and stops at Python's default recursion limit.",
        "",
        *table(
            [
                "engine, operations",
                "build",
                "backward",
                "total",
                "range of total",
                "gradient right",
            ],
            rows,
        ),
        "",
    ]

    # (e)
    rows = []
    labels = {
        "numpy": "NumPy: the seed's loop",
        "traced": "tinygrad_lite `trace`: forward, backward, `SGD.step` per epoch",
        "fit_fast": "tinygrad_lite `fit(..., fast=True)` (also loss + accuracy per epoch)",
    }
    for engine, label in labels.items():
        runs = full.get(engine)
        why = status(runs, None)
        if why or runs is None:
            rows.append([label, why or "-", "-", "-", "-"])
            continue
        seconds = runs.median("seconds")
        difference = runs.median("max_rel_diff_vs_numpy")
        rows.append(
            [
                label,
                fmt_time(seconds),
                fmt_range(runs.spread("seconds")),
                fmt_ratio(paired_ratio(full, engine, "numpy")),
                "-" if difference is None else f"{difference:.1e}",
            ]
        )
    lines += [
        f"## (e) The full experiment: {sizes.epochs:,} epochs",
        "",
        "Wall time of the whole run, set-up and tracing included. The last column compares the",
        "final `W1` with the NumPy loop's (max relative difference): the same training.",
        "",
        *table(["run", "wall time", "range", "vs NumPy", "W1 vs NumPy"], rows),
        "",
    ]
    return lines


if __name__ == "__main__":
    sys.exit(main())
