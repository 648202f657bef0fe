"""The measured workloads, one function per (workload, engine).

Each function runs in a fresh worker process (see `benchmarks.worker`) and
returns a dict of numbers. Nothing here compares engines: the runner does.

The seed's sigmoid experiment (workloads ``seed_epoch`` and ``full_run``):
200 points, a 2-16-1 network with sigmoid activations, the loss
``0.5 * sum((y - y_pred)**2)``, full-batch gradient descent with lr = 0.01,
from the seed notebook's data and initial weights. Each engine is written the
way its users would write it:

* ``tinygrad_lite``: `tinygrad_lite.nn.MLP` (one `linear` node and one
  activation node per neuron), `squared_error` (one `total` node), `SGD`.
* ``micrograd``: micrograd 0.1.0 with its own `MLP`'s neuron formula
  (``sum(w*x for ...) + b`` from binary ``*`` and ``+`` nodes, then the
  activation), a one-node sigmoid ADDED for the benchmark (`benchmarks.engines`),
  and Python's ``sum`` of per-example terms: `benchmarks.user_code.seed_trainer`.
  That user code on tinygrad_lite is the same-graph comparison
  (`benchmarks.same_graph`), reported first.
* ``torch``: PyTorch 0-dim float64 tensors, the forward of the same user code
  (``Tensor.sigmoid`` per neuron), torch's own in-place update.
* ``numpy``: the seed notebook's own loop body.
* ``floor`` and ``floor_fused``: not an engine, a lower bound (`benchmarks.floor`):
  tinygrad_lite's graph built and differentiated by stripped-down code with
  no Op objects, checks or debugging support; ``floor_derivatives`` runs its
  backward through one local-derivative function per operation (the shape of
  tinygrad_lite's `Op` interface); ``floor_fused`` folds each sigmoid into its
  neuron's node.
"""

from __future__ import annotations

import gc
import math
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

Result = dict[str, Any]

LEARNING_RATE = 0.01


def seed_data(points: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The seed notebook's X, y and initial W1, W2 (biases start at zero), from
    `tinygrad_lite.datasets` (bit for bit the notebook's draws, global RNG untouched).

    ``points < 200`` keeps the first ``points // 2`` of each class (for quick runs)."""
    from tinygrad_lite.datasets import seed_initial_weights, two_clusters

    X, y = two_clusters()
    weights = seed_initial_weights()
    if points < 200:
        keep = np.r_[0 : points // 2, 100 : 100 + points // 2]
        X, y = X[keep], y[keep]
    return X, y, weights["W1"], weights["W2"]


def _median_time(step: Callable[[], object], repeats: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# --------------------------------------------------------------------------
# (a) one epoch of the seed's experiment
# --------------------------------------------------------------------------


def _epoch_tinygrad_lite(points: int) -> tuple[Callable[[], object], int]:
    from tinygrad_lite import MLP, SGD, topological_order
    from tinygrad_lite.datasets import seed_initial_weights
    from tinygrad_lite.losses import squared_error

    X, y, _, _ = seed_data(points)
    model = MLP(2, [16, 1], activations=["sigmoid", "sigmoid"])
    model.load_state_dict(seed_initial_weights())  # the same W1, W2 as seed_data's
    optimizer = SGD(model.parameters(), lr=LEARNING_RATE)
    rows, targets = X.tolist(), y.tolist()

    def epoch() -> object:
        optimizer.zero_grad()
        loss = squared_error([model(row) for row in rows], targets)
        loss.backward()
        optimizer.step()
        return loss

    nodes = len(topological_order(epoch()))  # type: ignore[arg-type]
    return epoch, nodes


def _epoch_micrograd(points: int) -> tuple[Callable[[], object], int]:
    # micrograd's own MLP formula (`sum` of products, then the activation), with a
    # one-node sigmoid added in micrograd's style: the user code of benchmarks.user_code
    from benchmarks.engines import micrograd_value
    from benchmarks.user_code import seed_trainer

    epoch, _ = seed_trainer(micrograd_value(), points)
    return epoch, _micrograd_node_count(epoch())


def _micrograd_node_count(root: Any) -> int:
    seen = {id(root)}
    stack = [root]
    while stack:
        node = stack.pop()
        for child in node._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


def _epoch_torch(points: int) -> tuple[Callable[[], object], int]:
    import torch

    from benchmarks.user_code import seed_model

    def parameter(value: float) -> Any:
        return torch.tensor(value, dtype=torch.float64, requires_grad=True)

    # the user code of benchmarks.user_code (a tensor has .sigmoid()); torch's own update
    forward, _, params = seed_model(parameter, points)

    def epoch() -> object:
        loss = forward()
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LEARNING_RATE * p.grad
                p.grad = None
        return loss

    epoch()
    return epoch, 0  # torch does not expose its graph as nodes to count


def _epoch_numpy(points: int) -> tuple[Callable[[], object], int]:
    from tinygrad_lite.seed.text_cells import sigmoid_epoch

    X, y, W1, W2 = seed_data(points)
    b1 = np.zeros((1, 16))
    b2 = np.zeros((1, 1))

    def epoch() -> object:
        # the notebook's loop body, as the text writes it (updates W1, b1, W2, b2 in place)
        return sigmoid_epoch(X, y, W1, b1, W2, b2, LEARNING_RATE)

    return epoch, 0


def _epoch_floor(points: int) -> tuple[Callable[[], object], int]:
    from benchmarks import floor

    return floor.seed_epoch(points, fused=False)


def _epoch_floor_derivatives(points: int) -> tuple[Callable[[], object], int]:
    from benchmarks import floor

    return floor.seed_epoch(points, fused=False, through_derivatives=True)


def _epoch_floor_fused(points: int) -> tuple[Callable[[], object], int]:
    from benchmarks import floor

    return floor.seed_epoch(points, fused=True)


EPOCH_ENGINES: dict[str, Callable[[int], tuple[Callable[[], object], int]]] = {
    "tinygrad_lite": _epoch_tinygrad_lite,
    "micrograd": _epoch_micrograd,
    "torch": _epoch_torch,
    "numpy": _epoch_numpy,
    "floor": _epoch_floor,
    "floor_derivatives": _epoch_floor_derivatives,
    "floor_fused": _epoch_floor_fused,
}


def seed_epoch(engine: str, repeats: int, points: int = 200) -> Result:
    """Seconds for one epoch (median of ``repeats`` epochs after a warm-up)."""
    epoch, nodes = EPOCH_ENGINES[engine](points)
    repeats = repeats * 20 if engine == "numpy" else repeats  # microseconds: more samples
    return {"seconds": _median_time(epoch, repeats), "nodes": nodes}


# --------------------------------------------------------------------------
# (b) a large random expression graph, (c) memory per node
# --------------------------------------------------------------------------


def _random_graph(
    engine: str, n_nodes: int
) -> tuple[Callable[[], Any], Callable[[Any], None], int]:
    """``build()`` and ``backward(root)`` for a random DAG of ``n_nodes`` nodes.

    1% of the nodes are leaves; each other node is ``a + b`` (40%), ``a * b``
    (40%) or ``relu(a)`` (20%) of operands drawn uniformly from the nodes made
    so far (seeded: the same graph for every engine). The root sums every
    node nobody used, as a balanced tree of ``+`` (no engine recurses deeply).
    """
    if engine.startswith("tinygrad_lite"):
        from tinygrad_lite import Value

        leaf: Callable[[float], Any] = Value
        relu: Callable[[Any], Any] = Value.relu

        def backward(root: Any) -> None:
            root.backward()
    elif engine == "micrograd":
        from micrograd.engine import Value as MicrogradValue

        leaf = MicrogradValue
        relu = MicrogradValue.relu

        def backward(root: Any) -> None:
            root.backward()
    else:
        import torch

        def leaf(value: float) -> Any:
            return torch.tensor(value, dtype=torch.float64, requires_grad=True)

        relu = torch.relu

        def backward(root: Any) -> None:
            root.backward()

    # The random choices are drawn before anything is timed: (kind, i, j) per node.
    rng = random.Random(1)
    n_leaves = max(2, n_nodes // 100)
    leaf_data = [rng.uniform(-1.0, 1.0) for _ in range(n_leaves)]
    plan = []
    used = [False] * n_nodes
    for made in range(n_leaves, n_nodes):
        kind, i, j = rng.random(), rng.randrange(made), rng.randrange(made)
        used[i] = True
        if kind >= 0.2:
            used[j] = True
        plan.append((kind, i, j))
    unused = [k for k in range(n_nodes) if not used[k]]

    def build() -> Any:
        nodes = [leaf(x) for x in leaf_data]
        for kind, i, j in plan:
            if kind < 0.2:
                nodes.append(relu(nodes[i]))
            elif kind < 0.6:
                nodes.append(nodes[i] + nodes[j])
            else:
                nodes.append(nodes[i] * nodes[j])
        level = [nodes[k] for k in unused]
        del nodes
        while len(level) > 1:
            paired = [level[k] + level[k + 1] for k in range(0, len(level) - 1, 2)]
            level = paired + ([level[-1]] if len(level) % 2 else [])
        return level[0]

    total_nodes = n_nodes + max(len(unused) - 1, 0)  # with the tree of additions
    return build, backward, total_nodes


def random_graph(engine: str, n_nodes: int) -> Result:
    """Forward (build) and backward seconds per node of one random graph."""
    build, backward, total_nodes = _random_graph(engine, n_nodes)
    start = time.perf_counter()
    root = build()
    built = time.perf_counter()
    backward(root)
    done = time.perf_counter()
    return {
        "forward_per_node": (built - start) / total_nodes,
        "backward_per_node": (done - built) / total_nodes,
        "nodes": total_nodes,
    }


def memory_per_node(engine: str, n_nodes: int) -> Result:
    """Bytes per node (tracemalloc) held by a random graph of ``n_nodes`` nodes."""
    build, _, total_nodes = _random_graph(engine, n_nodes)
    gc.collect()
    tracemalloc.start()
    root = build()
    gc.collect()
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del root
    return {"bytes_per_node": held / total_nodes, "nodes": total_nodes}


# --------------------------------------------------------------------------
# (d) deep chains
# --------------------------------------------------------------------------


def chain(
    engine: str, n_operations: int, collector: bool = True, multiply_only: bool = False
) -> Result:
    """Build a chain ``n_operations`` operations deep, then backward. With
    ``multiply_only``, ``v = v * 1.0000001`` repeated; else ``v = v * 1.0000001 + 0.0``
    for ``n_operations / 2`` rounds (twice as many nodes with the constants).
    ``collector=False`` pauses Python's cyclic garbage collector."""
    if engine == "tinygrad_lite":
        from tinygrad_lite import Value

        v: Any = Value(1.0)
    elif engine == "micrograd":
        from micrograd.engine import Value as MicrogradValue

        v = MicrogradValue(1.0)
        sys.setrecursionlimit(1000)  # micrograd's recursive sort meets Python's default
    else:
        import torch

        v = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    first = v
    if not collector:
        gc.disable()
    try:
        cpu_start, start = time.process_time(), time.perf_counter()
        if multiply_only:
            for _ in range(n_operations):
                v = v * 1.0000001
        else:
            for _ in range(n_operations // 2):
                v = v * 1.0000001 + 0.0
        built = time.perf_counter()
        try:
            v.backward()
        except RecursionError:
            return {"error": "RecursionError", "build": built - start}
        done = time.perf_counter()
        cpu = time.process_time() - cpu_start
    finally:
        gc.enable()
    expected = 1.0000001 ** (n_operations if multiply_only else n_operations // 2)
    return {
        "build": built - start,
        "backward": done - built,
        "total": done - start,
        "cpu": cpu,
        "grad_ok": math.isclose(float(first.grad), expected, rel_tol=1e-9),
    }


# --------------------------------------------------------------------------
# (e) the full 10,000-epoch experiment
# --------------------------------------------------------------------------


def full_run(engine: str, epochs: int) -> Result:
    """Wall time of the seed's whole experiment, set-up and tracing included."""
    if engine == "numpy":
        start = time.perf_counter()
        seed_numpy_loop(epochs)
        return {"seconds": time.perf_counter() - start, "epochs": epochs}

    from tinygrad_lite import MLP, SGD, fit
    from tinygrad_lite.datasets import seed_initial_weights
    from tinygrad_lite.losses import squared_error
    from tinygrad_lite.trace import trace

    X, y, _, _ = seed_data()
    start = time.perf_counter()
    model = MLP(2, [16, 1], activations=["sigmoid", "sigmoid"])
    model.load_state_dict(seed_initial_weights())
    if engine == "traced":  # the low-level API: trace once, then forward/backward/step
        optimizer = SGD(model.parameters(), lr=LEARNING_RATE)
        examples = np.column_stack((X, y))
        traced = trace(lambda v: squared_error([model(v[:2])], [v[2]]), examples)
        for _ in range(epochs):
            optimizer.zero_grad()
            traced.forward(examples)
            traced.backward(input_grads=False)  # only the parameters' gradients
            optimizer.step()
    else:  # "fit_fast": fit(..., fast=True), which also records loss and accuracy per epoch
        fit(model, X, y, epochs=epochs, fast=True, progress=False)
    seconds = time.perf_counter() - start
    reference = seed_numpy_loop(epochs)  # the same experiment: compare the final weights
    final_W1 = model.state_dict()["W1"]
    difference = float(np.max(np.abs(final_W1 - reference) / np.abs(reference)))
    return {"seconds": seconds, "epochs": epochs, "max_rel_diff_vs_numpy": difference}


def seed_numpy_loop(epochs: int) -> np.ndarray:
    """The seed notebook's training loop, as the text writes it; returns the final W1."""
    from tinygrad_lite.seed.text_cells import sigmoid_epoch

    X, y, W1, W2 = seed_data()
    b1 = np.zeros((1, 16))
    b2 = np.zeros((1, 1))
    for _ in range(epochs):
        sigmoid_epoch(X, y, W1, b1, W2, b2, LEARNING_RATE)
    return W1


WORKLOADS: dict[str, Callable[..., Result]] = {
    "seed_epoch": seed_epoch,
    "random_graph": random_graph,
    "memory_per_node": memory_per_node,
    "chain": chain,
    "full_run": full_run,
}
