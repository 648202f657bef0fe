"""User code, written once and run unchanged on every engine: the engine's Value class
is an argument. Each ``*_trainer`` returns ``step()``, one training step that builds
the graph, runs backward, updates the parameters' floats in plain Python (the same
arithmetic for every engine) and returns the loss, so a user's loop is
``loss = step()``: the previous graph lives until the next assignment.

* `seed_trainer`: the seed's operator-style epoch. 200 points, 2-16-1 sigmoid
  network, each neuron ``sum((w*x for w, x in zip(ws, xs)), b).sigmoid()``, loss
  ``sum(0.5 * (y - p)**2)``, full batch, SGD on the floats.
* `gpt_trainer`: one step of a character-level GPT on scalars, in the style of the
  public "microgpt" program: one layer, rmsnorm, 4-head attention with a KV cache,
  a relu MLP, a language-model head, softmax, the mean of ``-log p(target)`` over
  one name, and Adam on the floats. Only ``+ - * / **``, ``exp``, ``log``, ``relu``
  and Python's ``sum``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.workloads import LEARNING_RATE, seed_data

Step = Callable[[], Any]
"""One training step; returns the loss (a node of the engine's graph)."""


def seed_model(Value: Any, points: int = 200) -> tuple[Step, Callable[[], None], list[Any]]:
    """The seed's operator-style network on ``Value``: (forward, update, parameters).

    ``forward()`` builds the graph and returns the loss; ``update()`` is one SGD
    step on the parameters' floats (and zeroes their gradients)."""
    X, y, W1, W2 = seed_data(points)
    hidden = [([Value(float(W1[i, j])) for i in range(2)], Value(0.0)) for j in range(16)]
    output = ([Value(float(W2[j, 0])) for j in range(16)], Value(0.0))
    params = [p for ws, b in [*hidden, output] for p in (*ws, b)]
    rows, targets = X.tolist(), y.tolist()

    def neuron(ws: Sequence[Any], b: Any, xs: Sequence[Any]) -> Any:
        return sum((w * x for w, x in zip(ws, xs, strict=True)), b).sigmoid()

    def forward() -> Any:
        losses = []
        for row, target in zip(rows, targets, strict=True):
            h = [neuron(ws, b, row) for ws, b in hidden]
            prediction = neuron(*output, h)
            losses.append(0.5 * (target - prediction) ** 2)
        return sum(losses)

    def update() -> None:
        for p in params:
            p.data -= LEARNING_RATE * p.grad
            p.grad = 0.0

    return forward, update, params


def seed_trainer(Value: Any, points: int = 200) -> tuple[Step, list[Any]]:
    """The seed's operator-style epoch on ``Value``: (step, parameters)."""
    forward, update, params = seed_model(Value, points)

    def step() -> Any:
        loss = forward()
        loss.backward()
        update()
        return loss

    return step, params


# --------------------------------------------------------------------------
# a character-level GPT, microgpt-style
# --------------------------------------------------------------------------

_NAMES_TEXT = """
emma olivia ava isabella sophia mia amelia harper evelyn abigail emily ella
elizabeth camila luna sofia avery mila aria scarlett penelope layla chloe
victoria madison eleanor grace nora riley zoey hannah hazel lily ellie violet
liam noah oliver elijah james william benjamin lucas henry theodore jack levi
alexander jackson mateo daniel michael mason sebastian ethan logan owen samuel
"""
NAMES = _NAMES_TEXT.split()
"""The training set: one name per step, in this order (wrapping around)."""


@dataclass(frozen=True)
class GPTConfig:
    n_embd: int = 16
    n_head: int = 4
    block_size: int = 16
    mlp_width: int = 64
    learning_rate: float = 0.01
    beta1: float = 0.85
    beta2: float = 0.99
    eps: float = 1e-8


TINY_GPT = GPTConfig(n_embd=8, n_head=2, block_size=8, mlp_width=16)
"""For quick runs and tests."""


def gpt_parameters(config: GPTConfig, vocab_size: int) -> dict[str, list[list[float]]]:
    """The initial weights as floats, from ``random.Random(42).gauss(0, 0.08)``."""
    rng = random.Random(42)

    def matrix(rows: int, columns: int) -> list[list[float]]:
        return [[rng.gauss(0, 0.08) for _ in range(columns)] for _ in range(rows)]

    n, width = config.n_embd, config.mlp_width
    return {
        "wte": matrix(vocab_size, n),
        "wpe": matrix(config.block_size, n),
        "attn_wq": matrix(n, n),
        "attn_wk": matrix(n, n),
        "attn_wv": matrix(n, n),
        "attn_wo": matrix(n, n),
        "mlp_fc1": matrix(width, n),
        "mlp_fc2": matrix(n, width),
        "lm_head": matrix(vocab_size, n),
    }


def gpt_trainer(Value: Any, config: GPTConfig = GPTConfig()) -> tuple[Step, list[Any]]:
    """One training step per name of `NAMES` on ``Value``; (step, parameters)."""
    chars = sorted(set("".join(NAMES)))
    bos = len(chars)  # the token that starts and ends every name
    floats = gpt_parameters(config, len(chars) + 1)
    state = {key: [[Value(x) for x in row] for row in rows] for key, rows in floats.items()}
    params = [p for rows in state.values() for row in rows for p in row]
    head_dim = config.n_embd // config.n_head

    def linear(x: Sequence[Any], w: Sequence[Sequence[Any]]) -> list[Any]:
        return [sum(wi * xi for wi, xi in zip(row, x, strict=True)) for row in w]

    def softmax(logits: Sequence[Any]) -> list[Any]:
        m = max(v.data for v in logits)
        exps = [(v - m).exp() for v in logits]
        total = sum(exps)
        return [e / total for e in exps]

    def rmsnorm(x: Sequence[Any]) -> list[Any]:
        ms = sum(xi * xi for xi in x) / len(x)
        scale = (ms + 1e-5) ** -0.5
        return [xi * scale for xi in x]

    def gpt(token: int, position: int, keys: list[list[Any]], values: list[list[Any]]) -> list[Any]:
        x = [t + p for t, p in zip(state["wte"][token], state["wpe"][position], strict=True)]
        x = rmsnorm(x)
        residual = x
        x = rmsnorm(x)
        q = linear(x, state["attn_wq"])
        keys.append(linear(x, state["attn_wk"]))
        values.append(linear(x, state["attn_wv"]))
        attended: list[Any] = []
        for h in range(config.n_head):
            lo, hi = h * head_dim, (h + 1) * head_dim
            q_h = q[lo:hi]
            scores = [
                sum(qj * kj for qj, kj in zip(q_h, k[lo:hi], strict=True)) / head_dim**0.5
                for k in keys
            ]
            weights = softmax(scores)
            attended += [
                sum(w * v[j] for w, v in zip(weights, values, strict=True)) for j in range(lo, hi)
            ]
        x = [a + b for a, b in zip(linear(attended, state["attn_wo"]), residual, strict=True)]
        residual = x
        x = [xi.relu() for xi in linear(rmsnorm(x), state["mlp_fc1"])]
        x = [a + b for a, b in zip(linear(x, state["mlp_fc2"]), residual, strict=True)]
        return linear(x, state["lm_head"])

    m = [0.0] * len(params)
    v = [0.0] * len(params)
    steps_taken = 0

    def step() -> Any:
        nonlocal steps_taken
        name = NAMES[steps_taken % len(NAMES)]
        tokens = [bos, *(chars.index(c) for c in name), bos]
        n = min(config.block_size, len(tokens) - 1)
        keys: list[list[Any]] = []
        values: list[list[Any]] = []
        losses = []
        for position in range(n):
            probs = softmax(gpt(tokens[position], position, keys, values))
            losses.append(-probs[tokens[position + 1]].log())
        loss = (1 / n) * sum(losses)
        loss.backward()
        steps_taken += 1
        b1, b2 = config.beta1, config.beta2
        for i, p in enumerate(params):  # Adam, on the floats
            m[i] = b1 * m[i] + (1 - b1) * p.grad
            v[i] = b2 * v[i] + (1 - b2) * p.grad**2
            m_hat = m[i] / (1 - b1**steps_taken)
            v_hat = v[i] / (1 - b2**steps_taken)
            p.data -= config.learning_rate * m_hat / (v_hat**0.5 + config.eps)
            p.grad = 0.0
        return loss

    return step, params


TRAINERS: dict[str, Callable[..., tuple[Step, list[Any]]]] = {
    "seed": seed_trainer,
    "gpt": gpt_trainer,
}
