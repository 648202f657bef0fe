"""Run the benchmarks and print a markdown report: ``python -m benchmarks``.

Each case runs in its own worker process (``benchmarks.worker``), and the
engines of one comparison take turns (A B C A B C ...) for ``--rounds``
rounds, so slow drifts of a shared machine hit every engine alike. Ratios are
medians of within-round ratios. The report leads with the same-graph
comparisons (the same user code, `benchmarks.user_code`, run unchanged on
every engine, with Python's garbage collector on and then off, CPU and wall
time), then the rows that compare different graphs.

The report is printed; ``--write`` also rewrites benchmarks/RESULTS.md and
``--output PATH`` writes it elsewhere. ``--only seed,gpt`` runs some sections.
``--baseline-tree PATH`` adds the nn.MLP epoch of the tinygrad_lite checked out
at PATH (e.g. ``git worktree add /tmp/baseline 27c1d21``) as its own engine.

micrograd 0.1.0 is installed with pip when missing (it is small; or install
the ``bench`` extra). PyTorch is never installed by this command: its rows run
in this interpreter if it has torch, or in ``--torch-python PATH`` (or
``$BENCHMARKS_TORCH_PYTHON``), an interpreter with torch, numpy and graphviz;
otherwise they say why they are missing. ``--quick`` runs tiny sizes in one
round (a smoke test of the code, not a measurement) and installs nothing.
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
    seed_steps: int  # measured epochs of the same-graph seed loop
    gpt_steps: int  # measured GPT steps
    gpt_tiny: bool  # a smaller GPT (quick runs)
    phase_repeats: int
    epoch_repeats: int
    graph_nodes: int
    memory_nodes: int
    chains: list[int]
    torch_chains: list[int]
    epochs: int
    points: int


FULL = Sizes(
    rounds=3,
    seed_steps=7,
    gpt_steps=20,
    gpt_tiny=False,
    phase_repeats=7,
    epoch_repeats=7,
    graph_nodes=100_000,
    memory_nodes=1_000_000,
    chains=[10_000, 100_000, 1_000_000],
    torch_chains=[10_000, 100_000],
    epochs=10_000,
    points=200,
)
QUICK = Sizes(
    rounds=1,
    seed_steps=1,
    gpt_steps=2,
    gpt_tiny=True,
    phase_repeats=1,
    epoch_repeats=1,
    graph_nodes=300,
    memory_nodes=1_000,
    chains=[100, 1_000],
    torch_chains=[100],
    epochs=3,
    points=10,
)


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
    """One case in a fresh interpreter; its JSON result, or {"error": ...}.

    ``"python"`` in the case names another interpreter (e.g. one with torch);
    ``"tree"`` puts that checkout's tinygrad_lite first on the path."""
    case = dict(case)
    python = case.pop("python", None) or sys.executable
    paths = [case.get("tree", ""), str(ROOT), os.environ.get("PYTHONPATH", "")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path for path in paths if path))
    completed = subprocess.run(
        [python, "-m", "benchmarks.worker", json.dumps(case)],
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

SECTIONS = ("seed", "gpt", "phases", "mlp", "graph", "memory", "chain", "full")
"""The sections of the report, in its order (``--only`` picks some)."""

SAME_GRAPH_ENGINES = {
    "tinygrad_lite": "tinygrad_lite",
    "micrograd": "micrograd 0.1.0 (+ sigmoid, exp, log added)",
    "microgpt_style": "microgpt-style peer (benchmarks/engines.py)",
}
LOSS_TOLERANCE = 1e-9
"""Every engine's losses must agree to this relative difference, or the run fails."""


@dataclass
class Context:
    """What the sections share: sizes, which engines run, and what they measured."""

    quick: bool
    sizes: Sizes
    rounds: int
    skipped: dict[str, str | None]
    baseline_tree: Path | None = None
    torch_python: str | None = None
    measured: dict[str, float | None] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def available(self, engine: str) -> bool:
        return self.skipped.get(engine) is None

    def with_python(self, engine: str, case: dict[str, Any]) -> dict[str, Any]:
        """The case, run by the torch interpreter when it is a torch case."""
        if engine == "torch" and self.torch_python:
            return {**case, "python": self.torch_python}
        return case


def versus(relative: float | None) -> str:
    """How a time compares with tinygrad_lite's, from their within-round ratio."""
    if relative is None:
        return "-"
    if relative >= 1:
        return f"{relative:.1f}x slower"
    return f"{1 / relative:.1f}x faster"


def collector_name(engine: str, collector: bool) -> str:
    return f"{engine}, collector {'on' if collector else 'off'}"


def check_losses(ctx: Context, model: str, runs: dict[str, Runs]) -> None:
    """Every run of every engine must give the same losses; else a failure is recorded."""
    reference: list[float] | None = None
    for name, case_runs in runs.items():
        if case_runs.error:
            ctx.failures.append(f"{model}: {name} failed: {case_runs.error}")
        for result in case_runs.results:
            losses = result.get("losses", [])
            if reference is None:
                reference, reference_name = losses, name
                continue
            if len(losses) != len(reference):
                ctx.failures.append(
                    f"{model}: {name} ran {len(losses)} steps, not {len(reference)}"
                )
                continue
            for step, (a, b) in enumerate(zip(losses, reference, strict=True)):
                if abs(a - b) > LOSS_TOLERANCE * max(abs(a), abs(b)):
                    ctx.failures.append(
                        f"{model}: {name} gives loss {a!r} at measured step {step + 1}, "
                        f"{reference_name} gives {b!r} (more than {LOSS_TOLERANCE:g} relative)"
                    )
                    break


def same_graph_section(ctx: Context, model: str) -> list[str]:
    """Run the same user code on every engine, collector on then off; the table."""
    engines = [e for e in SAME_GRAPH_ENGINES if ctx.available(e)]
    steps = ctx.sizes.seed_steps if model == "seed" else ctx.sizes.gpt_steps
    cases: dict[str, dict[str, Any]] = {}
    for collector in (True, False):
        for engine in engines:
            case: dict[str, Any] = {
                "workload": "user_loop",
                "model": model,
                "engine": engine,
                "steps": steps,
                "collector": collector,
            }
            if model == "seed":
                case["points"] = ctx.sizes.points
            else:
                case["tiny"] = ctx.sizes.gpt_tiny
            cases[collector_name(engine, collector)] = case
    runs = run_alternating(cases, ctx.rounds)
    check_losses(ctx, model, runs)

    rows = []
    for collector in (True, False):
        for engine, label in SAME_GRAPH_ENGINES.items():
            name = collector_name(engine, collector)
            why = status(runs.get(name), ctx.skipped.get(engine))
            if why:
                rows.append([label, "on" if collector else "off", why, *["-"] * 6])
                continue
            reference = collector_name("tinygrad_lite", collector)
            cpu_ratio = paired_ratio(runs, name, reference, "cpu")
            wall_ratio = paired_ratio(runs, name, reference, "wall")
            ctx.measured[f"{model} {name} cpu"] = cpu_ratio
            ctx.measured[f"{model} {name} wall"] = wall_ratio
            wall = runs[name].median("wall")
            share = ratio(runs[name].median("collector"), wall)
            nodes = runs[name].median("nodes")
            rows.append(
                [
                    label,
                    "on" if collector else "off (`gc.disable()`)",
                    f"{nodes:,.0f}" if nodes else "-",
                    fmt_time(runs[name].median("cpu")),
                    fmt_range(runs[name].spread("cpu")),
                    fmt_time(wall),
                    f"{100 * share:.0f}%" if collector and share is not None else "-",
                    "1.0x (reference)" if engine == "tinygrad_lite" else versus(cpu_ratio),
                    "1.0x (reference)" if engine == "tinygrad_lite" else versus(wall_ratio),
                ]
            )
    header = [
        "engine",
        "collector",
        "nodes / step",
        "CPU / step",
        "CPU range",
        "wall / step",
        "collector's share of wall",
        "CPU vs tinygrad_lite",
        "wall vs tinygrad_lite",
    ]
    loss_note = (
        f"Every engine gave the same {steps} losses in every run (to {LOSS_TOLERANCE:g} relative)."
        if not any(f.startswith(f"{model}:") for f in ctx.failures)
        else "**The engines' losses differ or a run failed: see the failures below.**"
    )
    if model == "seed":
        intro = [
            "## (a) Same graph: the operator-style seed epoch",
            "",
            "`benchmarks/user_code.py` `seed_trainer`, one function run unchanged on every",
            f"engine: {ctx.sizes.points} points, 2-16-1 sigmoid network, each neuron",
            "`sum((w * x for w, x in zip(ws, xs)), b).sigmoid()`, loss `sum(0.5 * (y - p)**2)`,",
            "full batch, backward, SGD on the floats. A user's loop `loss = step()` keeps the",
            f"previous graph alive until the next assignment; {steps} epochs after a warm-up, per",
            "epoch.",
        ]
    else:
        from benchmarks.user_code import TINY_GPT, GPTConfig

        c = TINY_GPT if ctx.sizes.gpt_tiny else GPTConfig()
        intro = [
            "## (b) Same graph: one step of a character-level GPT",
            "",
            "`benchmarks/user_code.py` `gpt_trainer`, microgpt-style user code run unchanged on",
            f"every engine: one layer, n_embd {c.n_embd}, {c.n_head} heads of "
            f"{c.n_embd // c.n_head}, block size {c.block_size}, relu MLP of width {c.mlp_width},",
            "rmsnorm, attention over a KV cache, a language-model head, softmax, loss the mean",
            "of `-log p(next character)` over one name (BOS + characters + BOS); Adam (lr 0.01,",
            "betas 0.85/0.99) on the floats; weights from `random.Random(42).gauss(0, 0.08)`.",
            f"Only `+ - * / **`, `exp`, `log`, `relu` and `sum`. {steps} steps after a warm-up,",
            "one name per step; times are per step, nodes counted on the warm-up step.",
        ]
    return [
        *intro,
        "",
        "Collector *on*: Python's defaults, and the column *collector's share* is the time",
        "`gc.callbacks` saw it run. Collector *off*: `gc.disable()` in that worker only, with an",
        "untimed `gc.collect()` between steps (cyclic garbage is freed outside the clocks).",
        "Ratios are medians of within-round ratios (engines alternate in each round).",
        "",
        *table(header, rows),
        "",
        loss_note,
        "",
    ]


def phases_section(ctx: Context) -> list[str]:
    from benchmarks.phases import HEADER, PHASES, phase_rows

    runs = run_alternating(
        {
            "tinygrad_lite phases": {
                "workload": "phases",
                "repeats": ctx.sizes.phase_repeats,
                "points": ctx.sizes.points,
            }
        },
        ctx.rounds,
    )["tinygrad_lite phases"]
    intro = [
        "## (c) Where tinygrad_lite's time goes: the operator-style seed epoch by phase",
        "",
        "`python -m benchmarks.phases` prints this table alone. The user code of (a), collector",
        "on, the previous graph alive during the build; each phase without the collector's time,",
        "which has its own row. Only the public API: the sort is `topological_order(loss)` timed",
        "separately, and `loss.backward()` sorts again, so backward includes a sort. Median",
        f"over rounds of the median of {ctx.sizes.phase_repeats} epochs.",
        "",
    ]
    why = status(runs, None)
    if why:
        return [*intro, f"Not measured: {why}", ""]
    keys = (*PHASES, "collector", "step", "step_cpu", "nodes")
    result = {key: runs.median(key) for key in keys}
    return [
        *intro,
        f"Nodes per epoch: {result['nodes'] or 0:,.0f}.",
        "",
        *table(HEADER, phase_rows(result)),
        "",
    ]


EPOCH_ROWS = [
    (
        "tinygrad_lite",
        "tinygrad_lite",
        "nn.MLP: one `linear` + one sigmoid node per neuron; `total` loss",
    ),
    (
        "micrograd",
        "micrograd 0.1.0",
        "its own MLP formula (`sum` of products) + a one-node sigmoid added here",
    ),
    ("torch", "PyTorch 0-dim tensors", "the forward of (a)'s user code on float64 tensors"),
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
BASELINE = "tinygrad_lite@baseline"


def baseline_commit(tree: Path) -> str:
    return subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()


def mlp_section(ctx: Context) -> list[str]:
    rows_spec = list(EPOCH_ROWS)
    cases: dict[str, dict[str, Any]] = {}
    for key, _, _ in EPOCH_ROWS:
        if not ctx.available(key):
            continue
        case = {
            "workload": "seed_epoch",
            "engine": key,
            "repeats": ctx.sizes.epoch_repeats,
            "points": ctx.sizes.points,
        }
        cases[key] = ctx.with_python(key, case)
        if key == "tinygrad_lite" and ctx.baseline_tree is not None:
            cases[BASELINE] = {**case, "tree": str(ctx.baseline_tree)}
    if ctx.baseline_tree is not None:
        commit = baseline_commit(ctx.baseline_tree) or "unknown commit"
        rows_spec.insert(
            1,
            (
                BASELINE,
                f"tinygrad_lite at {commit} (`--baseline-tree`)",
                "the same nn.MLP code, engine imported from that checkout",
            ),
        )
    epochs = run_alternating(cases, ctx.rounds)
    ctx.measured["mlp baseline"] = paired_ratio(epochs, BASELINE, "tinygrad_lite")

    rows = []
    for key, engine, formulation in rows_spec:
        runs = epochs.get(key)
        why = status(runs, ctx.skipped.get(key))
        if why or runs is None:
            rows.append([engine, formulation, "-", why or "-", "-", "-"])
            continue
        nodes = runs.median("nodes")
        relative = paired_ratio(epochs, key, "tinygrad_lite")
        rows.append(
            [
                engine,
                formulation,
                f"{nodes:,.0f}" if nodes else "-",
                fmt_time(runs.median("seconds")),
                fmt_range(runs.spread("seconds")),
                "1.0x (reference)" if key == "tinygrad_lite" else versus(relative),
            ]
        )
    return [
        "## (d) Different graphs: one epoch of the seed's experiment, each engine's own way",
        "",
        "**These rows compare different graphs**: tinygrad_lite's nn.MLP builds one `linear`",
        "node per neuron, micrograd and PyTorch a `*` and a `+` per product (see the node",
        "counts); (a) is the same-graph comparison. Same experiment as (a) (points, network,",
        "loss, SGD); wall time, the median of "
        f"{ctx.sizes.epoch_repeats} epochs after a warm-up (each graph freed before the next).",
        "",
        *table(
            ["engine", "formulation", "nodes / epoch", "time / epoch", "range", "vs tinygrad_lite"],
            rows,
        ),
        "",
        "The *lower bound* rows time `benchmarks/floor.py`: not an engine, but about the least",
        "work plain Python does for this epoch on tinygrad_lite's graph (every formula inlined,",
        "no `Op` objects, checks or debugging support); the second runs its backward through",
        "one local-derivative function per operation, the third folds each sigmoid into its",
        "neuron's node. All three train exactly like the seed's loop",
        "(tests/spec/test_benchmarks.py).",
        "",
    ]


def graph_section(ctx: Context) -> list[str]:
    engines = [e for e in ("tinygrad_lite", "micrograd", "torch") if ctx.available(e)]
    graphs = run_alternating(
        {
            e: ctx.with_python(
                e, {"workload": "random_graph", "engine": e, "n_nodes": ctx.sizes.graph_nodes}
            )
            for e in engines
        },
        ctx.rounds,
    )
    rows = []
    for engine in ("tinygrad_lite", "micrograd", "torch"):
        runs = graphs.get(engine)
        why = status(runs, ctx.skipped.get(engine))
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
    return [
        "## (e) Time per node on a large random expression graph",
        "",
        f"{ctx.sizes.graph_nodes:,} nodes: 1% leaves, then `a + b` (40%), `a * b` (40%),",
        "`relu(a)` (20%) of operands drawn uniformly from earlier nodes (the same seeded graph",
        "for every engine, drawn before the clock starts); the root adds up every unused node as",
        "a balanced tree (counted too). Forward = building the graph; backward = one",
        "`backward()` from the root; both per node, wall time.",
        "",
        *table(["engine", "nodes", "forward / node", "backward / node"], rows),
        "",
    ]


def memory_section(ctx: Context) -> list[str]:
    engines = [e for e in ("tinygrad_lite", "micrograd") if ctx.available(e)]
    memory = run_alternating(
        {
            e: {"workload": "memory_per_node", "engine": e, "n_nodes": ctx.sizes.memory_nodes}
            for e in engines
        },
        1,  # deterministic: one run each
    )
    rows = []
    for engine in ("tinygrad_lite", "micrograd"):
        runs = memory.get(engine)
        why = status(runs, ctx.skipped.get(engine))
        value = runs.median("bytes_per_node") if runs else None
        nodes = runs.median("nodes") if runs else None
        rows.append([engine, "-" if why else f"{nodes or 0:,.0f}", why or f"{value:.0f} B"])
    ctx.measured["memory"] = ratio(
        memory["tinygrad_lite"].median("bytes_per_node") if "tinygrad_lite" in memory else None,
        memory["micrograd"].median("bytes_per_node") if "micrograd" in memory else None,
    )
    return [
        "## (f) Memory per node",
        "",
        f"The graph of (e), built from {ctx.sizes.memory_nodes:,} random nodes (plus the tree",
        "of additions, counted too) under `tracemalloc`: bytes still allocated once it is built",
        "(nodes, their floats, operand tuples or sets, closures), divided by the node count.",
        "",
        *table(["engine", "nodes", "bytes / node"], rows),
        "",
    ]


def chain_section(ctx: Context) -> list[str]:
    def case(engine: str, n: int, **options: Any) -> dict[str, Any]:
        base = {"workload": "chain", "engine": engine, "n_operations": n}
        return ctx.with_python(engine, {**base, "multiply_only": True, **options})

    top = ctx.sizes.chains[-1]
    cases = {f"tinygrad_lite, {n:,} `*`": case("tinygrad_lite", n) for n in ctx.sizes.chains}
    cases[f"tinygrad_lite, {top:,} `*`, collector paused"] = case(
        "tinygrad_lite", top, collector=False
    )
    for n in ctx.sizes.chains[:2]:  # the earlier chain, `* 1.0000001 + 0.0`
        cases[f"tinygrad_lite, {n:,} `*` and `+ 0.0`"] = case(
            "tinygrad_lite", n, multiply_only=False
        )
    if ctx.available("micrograd"):
        n = ctx.sizes.chains[0]
        cases[f"micrograd, {n:,} `*`"] = case("micrograd", n)
    if ctx.available("torch"):
        for n in ctx.sizes.torch_chains:
            cases[f"torch, {n:,} `*`"] = case("torch", n)
    chains = run_alternating(cases, ctx.rounds)
    top_runs = chains[f"tinygrad_lite, {top:,} `*`"]
    failed = top_runs.error is not None  # no target figure from a chain that failed once
    ctx.measured["chain"] = None if failed else top_runs.median("total")
    ctx.measured["chain cpu"] = None if failed else top_runs.median("cpu")

    rows = []
    for name, runs in chains.items():
        why = status(runs, None)
        if why:
            rows.append([name, why, *["-"] * 5])
            continue
        if runs.error:  # built, then failed in backward (micrograd's recursion)
            rows.append([name, fmt_time(runs.median("build")), runs.error, *["-"] * 4])
            continue
        ok = all(r.get("grad_ok", False) for r in runs.results)
        rows.append(
            [
                name,
                fmt_time(runs.median("build")),
                fmt_time(runs.median("backward")),
                fmt_time(runs.median("total")),
                fmt_time(runs.median("cpu")),
                fmt_range(runs.spread("total")),
                "yes" if ok else "**no**",
            ]
        )
    return [
        "## (g) Deep chains: build + backward",
        "",
        "`v = v * 1.0000001` repeated n times (n operations deep), then `backward()`; the rows",
        "marked `+ 0.0` are the earlier chain `v = v * 1.0000001 + 0.0` (n operations in n/2",
        "rounds). Python's cyclic garbage collector is on except in the row marked *collector",
        "paused* (`gc.disable()` around build and backward). micrograd sorts recursively and",
        "stops at Python's default recursion limit.",
        "",
        *table(
            ["engine, chain", "build", "backward", "total (wall)", "total CPU", "range", "grad ok"],
            rows,
        ),
        "",
    ]


def full_section(ctx: Context) -> list[str]:
    full = run_alternating(
        {
            e: {"workload": "full_run", "engine": e, "epochs": ctx.sizes.epochs}
            for e in ("numpy", "traced", "fit_fast")
        },
        ctx.rounds,
    )
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
        difference = runs.median("max_rel_diff_vs_numpy")
        rows.append(
            [
                label,
                fmt_time(runs.median("seconds")),
                fmt_range(runs.spread("seconds")),
                fmt_ratio(paired_ratio(full, engine, "numpy")),
                "-" if difference is None else f"{difference:.1e}",
            ]
        )
    return [
        f"## (h) The full experiment: {ctx.sizes.epochs:,} epochs",
        "",
        "Wall time of the whole run, set-up and tracing included. The last column compares the",
        "final `W1` with the NumPy loop's (max relative difference): the same training.",
        "",
        *table(["run", "wall time", "range", "vs NumPy", "W1 vs NumPy"], rows),
        "",
    ]


def targets(ctx: Context, ran: set[str]) -> list[str]:
    def verdict(ok: bool | None) -> str:
        if ctx.quick or ok is None:  # tiny sizes say nothing about the targets
            return "-"
        return "met" if ok else "**not met**"

    def speed_row(section: str, label: str, key: str, goal: float | None) -> list[str]:
        if section not in ran:
            return [label, f">= {goal:g}x" if goal else "-", "not run", "-"]
        cpu, wall = ctx.measured.get(f"{key} cpu"), ctx.measured.get(f"{key} wall")
        ok = None if cpu is None or goal is None else cpu >= goal
        measured = f"{fmt_ratio(cpu)} CPU, {fmt_ratio(wall)} wall"
        return [label, f">= {goal:g}x (CPU)" if goal else "(for comparison)", measured, verdict(ok)]

    on, off = (
        collector_name("{}", True).format,
        collector_name("{}", False).format,
    )
    baseline = ctx.measured.get("mlp baseline")
    memory = ctx.measured.get("memory")
    chain = ctx.measured.get("chain")
    top = ctx.sizes.chains[-1]
    rows = [
        speed_row(
            "seed",
            "(a) seed epoch, collector on: micrograd / tinygrad_lite",
            f"seed {on('micrograd')}",
            12,
        ),
        speed_row(
            "seed",
            "(a) seed epoch, collector off: micrograd / tinygrad_lite",
            f"seed {off('micrograd')}",
            None,
        ),
        speed_row(
            "gpt",
            "(b) GPT step, collector on: microgpt-style / tinygrad_lite",
            f"gpt {on('microgpt_style')}",
            2,
        ),
        speed_row(
            "gpt",
            "(b) GPT step, collector on: micrograd / tinygrad_lite",
            f"gpt {on('micrograd')}",
            12,
        ),
        speed_row(
            "gpt",
            "(b) GPT step, collector off: microgpt-style / tinygrad_lite",
            f"gpt {off('microgpt_style')}",
            None,
        ),
        speed_row(
            "gpt",
            "(b) GPT step, collector off: micrograd / tinygrad_lite",
            f"gpt {off('micrograd')}",
            None,
        ),
        [
            "(d) nn.MLP epoch: previous engine (`--baseline-tree`) / tinygrad_lite",
            ">= 1.0x (no slower)",
            fmt_ratio(baseline)
            if "mlp" in ran and ctx.baseline_tree
            else ("not run" if "mlp" not in ran else "no --baseline-tree"),
            verdict(None if baseline is None else baseline >= 1.0),
        ],
        [
            f"(g) chain of {top:,} multiplications, build + backward",
            "< 2 s (wall)",
            f"{fmt_time(chain)} wall, {fmt_time(ctx.measured.get('chain cpu'))} CPU"
            if "chain" in ran
            else "not run",
            verdict(None if chain is None else chain < 2.0),
        ],
        [
            "(f) memory per node: tinygrad_lite / micrograd",
            "<= 1/3 (0.33)",
            f"{memory:.2f}" if memory is not None else ("not run" if "memory" not in ran else "-"),
            verdict(None if memory is None else memory <= 1 / 3),
        ],
    ]
    return [
        "## The targets",
        "",
        "A ratio is the slower engine's time over tinygrad_lite's (the median of within-round",
        "ratios); the speed targets are judged on CPU time (`time.process_time`), which other",
        "processes on a shared machine disturb less than wall time. The *collector off* rows",
        "show how much of each ratio is Python's garbage collector.",
        "",
        *table(["measure", "target", "measured", ""], rows),
        "",
    ]


RUNNERS = {
    "seed": lambda ctx: same_graph_section(ctx, "seed"),
    "gpt": lambda ctx: same_graph_section(ctx, "gpt"),
    "phases": phases_section,
    "mlp": mlp_section,
    "graph": graph_section,
    "memory": memory_section,
    "chain": chain_section,
    "full": full_section,
}


def parse_sections(text: str | None) -> list[str]:
    if not text:
        return list(SECTIONS)
    chosen = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        raise SystemExit(f"--only: unknown section(s) {', '.join(unknown)}; choose from {SECTIONS}")
    return [s for s in SECTIONS if s in chosen]


def fmt_load(load: tuple[float, float, float]) -> str:
    return ", ".join(f"{x:.2f}" for x in load)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one round (smoke test)")
    parser.add_argument("--rounds", type=int, help="rounds of alternating runs (default 3)")
    parser.add_argument("--write", action="store_true", help=f"also rewrite {DEFAULT_OUTPUT}")
    parser.add_argument("--output", type=Path, help="also write the report to this file")
    parser.add_argument("--only", metavar="SECTION[,SECTION]", help=f"from {', '.join(SECTIONS)}")
    parser.add_argument("--baseline-tree", type=Path, help="a checkout with an earlier engine")
    parser.add_argument(
        "--torch-python",
        default=os.environ.get("BENCHMARKS_TORCH_PYTHON"),
        help="an interpreter with torch, numpy, graphviz (default $BENCHMARKS_TORCH_PYTHON)",
    )
    parser.add_argument("--no-install", action="store_true", help="never pip-install micrograd")
    args = parser.parse_args(argv)
    sections = parse_sections(args.only)
    sizes = QUICK if args.quick else FULL
    outputs = [path for path in (args.output, DEFAULT_OUTPUT if args.write else None) if path]
    if args.baseline_tree is not None and not (args.baseline_tree / "tinygrad_lite").is_dir():
        raise SystemExit(f"--baseline-tree: no tinygrad_lite package in {args.baseline_tree}")

    if args.torch_python:
        torch_missing = subprocess.run(
            [args.torch_python, "-c", "import torch, numpy, graphviz"],
            capture_output=True,
            check=False,
        ).returncode
        torch_why = f"{args.torch_python} cannot import torch, numpy and graphviz"
    else:
        torch_missing = importlib.util.find_spec("torch") is None
        torch_why = f"torch not installed ({TORCH_HINT}, or --torch-python)"
    ctx = Context(
        quick=args.quick,
        sizes=sizes,
        rounds=args.rounds or sizes.rounds,
        skipped={
            "micrograd": ensure_micrograd(install=not (args.quick or args.no_install)),
            "torch": torch_why if torch_missing else None,
        },
        baseline_tree=args.baseline_tree.resolve() if args.baseline_tree else None,
        torch_python=args.torch_python,
    )
    load_start = os.getloadavg()
    started = time.perf_counter()
    parts: dict[str, list[str]] = {}
    for section in sections:
        print(f"({section})", flush=True)
        parts[section] = RUNNERS[section](ctx)
    load_end = os.getloadavg()

    lines = ["# Benchmark results", ""]
    if args.quick:
        lines += ["**--quick run: tiny sizes, one round. These numbers measure nothing.**", ""]
    lines += [
        "Regenerate with `python -m benchmarks --write` (from the repository root, in the",
        f"project's venv). Every case ran in its own process; engines alternated, {ctx.rounds}",
        "round(s); each figure is the median over rounds, with the range over rounds beside it.",
        f"Sections run: {', '.join(sections)}.",
        "",
        *machine(),
        f"- Load average (1, 5, 15 min): {fmt_load(load_start)} at the start, "
        f"{fmt_load(load_end)} at the end",
    ]
    for engine, why in ctx.skipped.items():
        if why:
            lines.append(f"- **{engine} skipped**: {why}")
    lines.append("")
    same_graph = [s for s in ("seed", "gpt", "phases") if s in parts]
    different = [s for s in ("mlp", "graph", "memory", "chain", "full") if s in parts]
    for section in same_graph:
        lines += parts[section]
    lines += targets(ctx, set(sections))
    for section in different:
        lines += parts[section]
    if ctx.failures:
        lines += ["## FAILED", "", *[f"- {failure}" for failure in ctx.failures], ""]
    lines.append(f"The run took {time.perf_counter() - started:.0f} s.")
    text = "\n".join(lines) + "\n"
    print()
    print(text)
    for path in outputs:
        path.write_text(text)
        print(f"written to {path}")
    if ctx.failures:
        print("BENCHMARK FAILED:", *ctx.failures, sep="\n  ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
