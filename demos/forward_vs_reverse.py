"""Forward mode against reverse mode: who wins depends on the shape of the Jacobian.

Two functions of the same size n:

* a loss: n inputs, one output (the spread of n numbers around their mean);
* a trajectory: one input, n outputs (n steps of ``h = tanh(0.9*h + x)``, every
  step an output).

For each, the whole Jacobian is computed both ways with
`tinygrad_lite.forward.jacobian_run`, which counts the passes over the graph
and the nodes they visit, and the time is measured. Forward mode makes one pass
per input, reverse mode one per output, so reverse wins the loss (1 pass
against n) and forward wins the trajectory (1 pass against n).

    python demos/forward_vs_reverse.py            # n = 200
    python demos/forward_vs_reverse.py --size 20
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from tinygrad_lite import Value, total
from tinygrad_lite.forward import jacobian_run


def loss(*xs: Value) -> Value:
    """n inputs, one output: sum of (x_i - mean)**2."""
    mean = total(xs) / len(xs)
    return total([(x - mean) ** 2 for x in xs])


def trajectory(steps: int) -> Callable[[Value], tuple[Value, ...]]:
    """One input, ``steps`` outputs: h_k = tanh(0.9*h_(k-1) + x), h_0 = 0."""

    def run(x: Value) -> tuple[Value, ...]:
        h: Value | float = 0.0
        outputs = []
        for _ in range(steps):
            h = (0.9 * h + x).tanh()
            outputs.append(h)
        return tuple(outputs)

    return run


class Row(NamedTuple):
    """One line of the table: one function, one mode."""

    function: str
    inputs: int
    outputs: int
    mode: str
    passes: int
    nodes_visited: int
    seconds: float


def compare(name: str, f: Callable[..., object], point: Sequence[float]) -> list[Row]:
    """Both modes on ``f`` at ``point``; the two Jacobians must agree."""
    rows = []
    matrices = []
    for mode in ("forward", "reverse"):
        start = time.perf_counter()
        run = jacobian_run(f, point, mode=mode)
        seconds = time.perf_counter() - start
        matrices.append(run.matrix)
        outputs, inputs = run.matrix.shape
        rows.append(Row(name, inputs, outputs, mode, run.passes, run.nodes_visited, seconds))
    np.testing.assert_allclose(matrices[0], matrices[1], rtol=1e-9, atol=1e-12)
    return rows


def table(rows: Sequence[Row]) -> str:
    """The rows as a Markdown table, with the winner of each function marked."""
    lines = [
        "| function | inputs | outputs | mode | passes | nodes visited | time (ms) |",
        "|---|---:|---:|---|---:|---:|---:|",
    ]
    for row in rows:
        fastest = min(r.seconds for r in rows if r.function == row.function)
        mark = " (faster)" if row.seconds == fastest else ""
        lines.append(
            f"| {row.function} | {row.inputs} | {row.outputs} | {row.mode}{mark} | "
            f"{row.passes} | {row.nodes_visited} | {row.seconds * 1000:.1f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--size", type=int, default=200, help="n: inputs of the loss, outputs of the trajectory"
    )
    args = parser.parse_args(argv)
    n = args.size
    if n < 2:
        parser.error("--size must be at least 2")
    rng = np.random.default_rng(0)
    rows = [
        *compare("loss (n -> 1)", loss, rng.uniform(-1, 1, n).tolist()),
        *compare("trajectory (1 -> n)", trajectory(n), [0.3]),
    ]
    print(f"The whole Jacobian, both ways, n = {n}:\n")
    print(table(rows))
    print(
        "\nForward mode makes one pass per input, reverse mode one per output:"
        "\nreverse wins for the loss (many inputs, one output),"
        "\nforward wins for the trajectory (one input, many outputs)."
    )
    return rows


if __name__ == "__main__":
    main()
