"""Workloads that run the same user code (`benchmarks.user_code`) on every engine.

``user_loop`` times a user's loop, ``loss = step()``, so each step builds its
graph while the previous one is still alive and frees it on assignment. With
``collector=True`` Python's cyclic garbage collector runs with its default
settings and the time it spends is measured too (``gc.callbacks``). With
``collector=False`` the worker calls ``gc.disable()`` and, so that the memory of
cyclic garbage stays bounded, an untimed ``gc.collect()`` after every step.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from benchmarks.engines import ENGINES
from benchmarks.user_code import TINY_GPT, TRAINERS, GPTConfig

Result = dict[str, Any]


@contextmanager
def collector_clock() -> Iterator[Callable[[], float]]:
    """Yield a function returning the seconds the cyclic collector has run so far."""
    spent = 0.0
    started = 0.0

    def callback(phase: str, info: dict[str, int]) -> None:
        nonlocal spent, started
        if phase == "start":
            started = time.perf_counter()
        else:
            spent += time.perf_counter() - started

    gc.callbacks.append(callback)
    try:
        yield lambda: spent
    finally:
        gc.callbacks.remove(callback)


def count_nodes(root: Any) -> int:
    """Nodes reached from ``root`` on any of the three engines (iterative)."""
    seen = {id(root)}
    stack = [root]
    while stack:
        node = stack.pop()
        for attribute in ("operands", "_prev", "_children"):
            if hasattr(node, attribute):
                break
        for child in getattr(node, attribute):
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


def user_loop(
    model: str,
    engine: str,
    steps: int,
    collector: bool = True,
    points: int = 200,
    tiny: bool = False,
) -> Result:
    """Per-step CPU and wall seconds of ``loss = step()`` over ``steps`` steps after
    one warm-up step, the collector's seconds per step, and every step's loss."""
    value_class = ENGINES[engine]()
    if model == "seed":
        step, _ = TRAINERS["seed"](value_class, points)
    else:
        step, _ = TRAINERS["gpt"](value_class, TINY_GPT if tiny else GPTConfig())
    if not collector:
        gc.disable()
    try:
        loss = step()  # warm-up
        nodes = count_nodes(loss)
        gc.collect()
        losses = []
        cpu = wall = 0.0
        with collector_clock() as collected:
            for _ in range(steps):
                cpu_start, wall_start = time.process_time(), time.perf_counter()
                loss = step()  # the previous graph is freed here
                wall += time.perf_counter() - wall_start
                cpu += time.process_time() - cpu_start
                losses.append(float(loss.data))
                if not collector:
                    gc.collect()  # untimed, outside the clocks
            collector_seconds = collected()
    finally:
        gc.enable()
    return {
        "cpu": cpu / steps,
        "wall": wall / steps,
        "collector": collector_seconds / steps if collector else 0.0,
        "losses": losses,
        "nodes": nodes,
    }
