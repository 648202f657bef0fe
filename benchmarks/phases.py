"""Where tinygrad_lite's time goes in the operator-style seed epoch, by phase.

Run: ``python -m benchmarks.phases``.

The user code is `benchmarks.user_code.seed_model`, in a user's loop that keeps
the previous graph alive until the next one is built. Each epoch is split into

* build: the forward pass, which builds the graph;
* sort: ``tinygrad_lite.topological_order(loss)``, timed on its own (not part of
  a user's step: ``loss.backward()`` sorts again, so backward includes a sort);
* backward: ``loss.backward()``;
* update: SGD on the parameters' floats;
* free: dropping the previous epoch's graph (``loss = new``);
* collector: the time Python's cyclic garbage collector ran, in any phase
  (``gc.callbacks``), taken out of the phase it interrupted.

Only the public API is used. Options: ``--repeats N`` (default 7), ``--points N``.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from typing import Any

from benchmarks.same_graph import collector_clock
from benchmarks.user_code import seed_model

PHASES = ("build", "sort", "backward", "update", "free")
"""In the order they run; each without the collector's time."""


def phases(repeats: int = 7, points: int = 200) -> dict[str, Any]:
    """Median seconds per epoch of each phase, of the collector, of a user's step
    (everything but the extra sort) and its CPU time; and the nodes per epoch."""
    from tinygrad_lite import Value, topological_order

    forward, update, _ = seed_model(Value, points)
    samples: dict[str, list[float]] = {
        name: [] for name in (*PHASES, "collector", "step", "step_cpu")
    }
    loss: Any = None
    nodes = 0
    gc.collect()
    with collector_clock() as collected:
        for epoch in range(repeats + 1):  # the first epoch is a warm-up
            marks = [(time.perf_counter(), collected(), time.process_time())]
            new = forward()
            marks.append((time.perf_counter(), collected(), time.process_time()))
            nodes = len(topological_order(new))
            marks.append((time.perf_counter(), collected(), time.process_time()))
            new.backward()
            marks.append((time.perf_counter(), collected(), time.process_time()))
            update()
            marks.append((time.perf_counter(), collected(), time.process_time()))
            loss, new = new, None  # frees the previous graph
            marks.append((time.perf_counter(), collected(), time.process_time()))
            if epoch == 0:
                continue
            for name, before, after in zip(PHASES, marks[:-1], marks[1:], strict=True):
                samples[name].append((after[0] - before[0]) - (after[1] - before[1]))
            samples["collector"].append(marks[-1][1] - marks[0][1])
            sort_wall = marks[2][0] - marks[1][0]
            sort_cpu = marks[2][2] - marks[1][2]
            samples["step"].append(marks[-1][0] - marks[0][0] - sort_wall)
            samples["step_cpu"].append(marks[-1][2] - marks[0][2] - sort_cpu)
    del loss
    result: dict[str, Any] = {name: statistics.median(xs) for name, xs in samples.items()}
    result["nodes"] = nodes
    return result


def phase_rows(result: dict[str, Any]) -> list[list[str]]:
    """The table's rows: phase, what it is, time per epoch, share of a user's step."""
    from benchmarks.__main__ import fmt_time

    step = result.get("step") or 0.0
    what = {
        "build": "forward pass: the graph is built",
        "sort": "`topological_order(loss)` alone (extra: backward sorts again)",
        "backward": "`loss.backward()`, its own sort included",
        "update": "SGD on the parameters' floats",
        "free": "dropping the previous epoch's graph",
        "collector": "Python's cyclic collector, in any phase",
    }
    rows = []
    for name, description in what.items():
        seconds = result.get(name)
        share = "(extra)" if name == "sort" else f"{100 * (seconds or 0.0) / step:.0f}%"
        rows.append([name, description, fmt_time(seconds), share if step else "-"])
    rows.append(
        [
            "**step**",
            "build + backward + update + free + collector (wall)",
            fmt_time(result.get("step")),
            "100%",
        ]
    )
    rows.append(
        ["step, CPU", "the same, `time.process_time`", fmt_time(result.get("step_cpu")), ""]
    )
    return rows


HEADER = ["phase", "what", "time / epoch", "share of step"]


def main(argv: list[str] | None = None) -> int:
    from benchmarks.__main__ import table

    parser = argparse.ArgumentParser(prog="python -m benchmarks.phases", description=__doc__)
    parser.add_argument("--repeats", type=int, default=7, help="measured epochs (default 7)")
    parser.add_argument("--points", type=int, default=200, help="data points (default 200)")
    args = parser.parse_args(argv)
    result = phases(args.repeats, args.points)
    print(
        f"tinygrad_lite, operator-style seed epoch ({args.points} points, "
        f"{result['nodes']:,} nodes), median of {args.repeats} epochs, collector on:"
    )
    print()
    print("\n".join(table(HEADER, phase_rows(result))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
