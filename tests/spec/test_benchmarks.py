"""The benchmark suite's code: a smoke run on tiny sizes, and the correctness the
timings rely on (the same losses on every engine, the peer's gradients, the floor).

No test here asserts a time: benchmarks measure, tests check that the code runs
and computes the right thing.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TIME = r"\d+(\.\d+)? (µs|ms|s)"


@pytest.mark.slow  # about 15 s: some thirty short worker processes
def test_quick_benchmark_run_writes_a_report(tmp_path: Path) -> None:
    output = tmp_path / "RESULTS.md"
    committed = (ROOT / "benchmarks" / "RESULTS.md").read_text()
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--no-install", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert (ROOT / "benchmarks" / "RESULTS.md").read_text() == committed  # no --write
    report = output.read_text()
    lines = report.splitlines()
    assert "--quick run" in report
    assert "Load average" in report
    headings = ["## (a)", "## (b)", "## (c)", "## The targets", "## (d)", "## (e)", "## (f)"]
    headings += ["## (g)", "## (h)"]
    positions = [report.index(heading) for heading in headings]
    assert positions == sorted(positions)  # same-graph sections first
    assert "## FAILED" not in report

    # (a) and (b): every engine, collector on and off, CPU and wall times and a ratio
    for section in ("## (a)", "## (b)"):
        start = report.index(section)
        body = report[start : report.index("\n## ", start + 1)]
        rows = [line for line in body.splitlines() if line.startswith("| ")][1:]  # no header
        engines = [row.split(" | ")[0].lstrip("| ") for row in rows]
        assert sorted(engines) == sorted(
            ["tinygrad_lite", "micrograd 0.1.0 (+ sigmoid, exp, log added)"] * 2
            + ["microgpt-style peer (benchmarks/engines.py)"] * 2
        ), body
        for row in rows:
            assert len(re.findall(TIME, row)) >= 4, row  # CPU, range (two), wall
            assert "x (reference)" in row or re.search(r"\d\.\dx (slower|faster)", row), row
        assert "Every engine gave the same" in body

    # (c): every phase has a time
    start = report.index("## (c)")
    body = report[start : report.index("\n## ", start + 1)]
    for phase in ("build", "sort", "backward", "update", "free", "collector", "**step**"):
        row = next(line for line in body.splitlines() if line.startswith(f"| {phase} |"))
        assert re.search(TIME, row), row

    # the targets table names every target
    for measure in ("(a) seed epoch", "(b) GPT step", "(d) nn.MLP", "(g) chain", "(f) memory"):
        assert any(line.startswith(f"| {measure}") for line in lines), measure

    rows = [line for line in lines if line.startswith("| tinygrad_lite")]
    assert len(rows) >= 10, report
    for row in rows:
        assert re.search(TIME, row) or re.search(r"\d+ B", row), row
        assert "Error" not in row and "skipped" not in row, row
    numpy_epoch = next(line for line in lines if line.startswith("| NumPy (the seed"))
    assert re.search(TIME, numpy_epoch)
    for run in ("| NumPy: the seed's loop", "| tinygrad_lite `trace`", "| tinygrad_lite `fit("):
        line = next(line for line in lines if line.startswith(run))
        assert re.search(TIME, line), line
    # the traced runs end with the NumPy loop's weights
    for difference in re.findall(r"\| (\d\.\de-\d+) \|$", report, flags=re.M):
        assert float(difference) < 1e-12


@pytest.mark.parametrize("model", ["seed", "gpt"])
def test_the_user_code_gives_the_same_losses_on_every_engine(model: str) -> None:
    pytest.importorskip("micrograd")
    from benchmarks.engines import ENGINES
    from benchmarks.user_code import TINY_GPT, gpt_trainer, seed_trainer

    losses: dict[str, list[float]] = {}
    for engine, value_class in ENGINES.items():
        if model == "seed":
            step, _ = seed_trainer(value_class(), 10)
        else:
            step, _ = gpt_trainer(value_class(), TINY_GPT)
        losses[engine] = [float(step().data) for _ in range(2)]
    reference = losses["tinygrad_lite"]
    assert reference[0] != reference[1]  # the parameters moved
    for engine, values in losses.items():
        for got, expected in zip(values, reference, strict=True):
            assert math.isclose(got, expected, rel_tol=1e-9), (engine, values, reference)


def test_the_microgpt_style_peer_gives_tinygrad_lites_gradients() -> None:
    from benchmarks.engines import PeerValue
    from tinygrad_lite import Value

    def expression(value_class: Any) -> tuple[Any, Any, Any]:
        a, b = value_class(0.7), value_class(-1.3)
        c = a * b + a / b - b**2 + (a - b).relu() + (-a).relu()
        d = (c.exp() + 2.0 - a).log() * 3.0 + 1.0 / (a * a + 1.0) + (a - 4.0) / 2.0
        e = d.sigmoid() * d + (b - a) * (1 - b)
        return a, b, e

    a, b, e = expression(Value)
    e.backward()
    pa, pb, pe = expression(PeerValue)
    pe.backward()
    assert math.isclose(pe.data, e.data, rel_tol=1e-12)
    assert math.isclose(pa.grad, a.grad, rel_tol=1e-12)
    assert math.isclose(pb.grad, b.grad, rel_tol=1e-12)


def test_different_losses_fail_the_run() -> None:
    from benchmarks.__main__ import QUICK, Context, Runs, check_losses

    ctx = Context(quick=True, sizes=QUICK, rounds=1, skipped={})
    same = {
        "a": Runs(results=[{"losses": [3.0, 2.5]}]),
        "b": Runs(results=[{"losses": [3.0, 2.5 * (1 + 1e-12)]}]),
    }
    check_losses(ctx, "gpt", same)
    assert ctx.failures == []
    check_losses(ctx, "gpt", {**same, "c": Runs(results=[{"losses": [3.0, 2.6]}])})
    assert len(ctx.failures) == 1 and "c gives loss 2.6 at measured step 2" in ctx.failures[0]


@pytest.mark.parametrize(
    ("fused", "through_derivatives"), [(False, False), (False, True), (True, False)]
)
def test_floor_engine_trains_like_the_seed_loop(fused: bool, through_derivatives: bool) -> None:
    # The lower bound of benchmarks/floor.py times real work only if it computes the right
    # gradients: five epochs must end on the seed loop's weights.
    import numpy as np

    from benchmarks import floor
    from benchmarks.workloads import LEARNING_RATE, seed_data
    from tinygrad_lite.seed.text_cells import sigmoid_epoch

    X, y, W1, W2 = seed_data(200)
    b1, b2 = np.zeros((1, 16)), np.zeros((1, 1))
    for _ in range(5):
        sigmoid_epoch(X, y, W1, b1, W2, b2, LEARNING_RATE)
    expected = np.concatenate([W1.ravel(), b1.ravel(), W2.ravel(), b2.ravel()])
    assert not np.allclose(expected[:32], seed_data(200)[2].ravel())  # the weights moved
    got = np.array(floor.train(200, fused, epochs=5, through_derivatives=through_derivatives))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)
