"""What detect_anomaly() costs: one epoch of the seed's 2-16-1 sigmoid network
(200 points, forward + backward through one graph), outside and inside the block.

Run: .venv/bin/python benchmarks/anomaly_overhead.py [--repeat 5]
Prints the best of --repeat runs for each case, and the cost per graph node.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

import numpy as np

from tinygrad_lite import MLP, Value, detect_anomaly, topological_order, total


def one_epoch(model: MLP, points: np.ndarray, targets: np.ndarray) -> Value:
    errors = []
    for point, target in zip(points, targets, strict=True):
        prediction = model(list(point))
        assert isinstance(prediction, Value)
        errors.append((prediction - float(target)) ** 2)
    loss = total(errors) * (1.0 / len(errors))
    loss.backward()
    return loss


def best_time(
    run: Callable[[], Value], block: Callable[[], AbstractContextManager[object]], repeat: int
) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        with block():
            run()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    points = np.concatenate(
        [rng.standard_normal((100, 2)) * 0.5, rng.standard_normal((100, 2)) * 1.5 + [0, 3]]
    )
    targets = np.concatenate([np.zeros(100), np.ones(100)])
    model = MLP(2, [16, 1], seed=0)

    def run() -> Value:
        return one_epoch(model, points, targets)

    nodes = len(topological_order(run()))
    plain = best_time(run, nullcontext, args.repeat)
    anomaly = best_time(run, detect_anomaly, args.repeat)
    print(f"graph: {nodes} nodes (forward + backward of one epoch)")
    print(f"outside detect_anomaly: {plain * 1e3:8.1f} ms  ({plain / nodes * 1e6:.2f} us/node)")
    print(f"inside detect_anomaly:  {anomaly * 1e3:8.1f} ms  ({anomaly / nodes * 1e6:.2f} us/node)")
    print(f"ratio inside/outside:   {anomaly / plain:8.2f}")


if __name__ == "__main__":
    main()
