"""Smoke test: the benchmark suite's code runs end to end on tiny sizes.

It asserts that every tinygrad_lite case produced numbers and a report; it
does not look at the numbers (benchmarks are not tests: no test asserts a time).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TIME = r"\d+(\.\d+)? (µs|ms|s)"


@pytest.mark.slow  # about 15 s: some twenty short worker processes
def test_quick_benchmark_run_writes_a_report(tmp_path: Path) -> None:
    output = tmp_path / "RESULTS.md"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--no-install", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = output.read_text()
    assert "--quick run" in report
    for heading in ("## (a)", "## The targets", "## (b)", "## (c)", "## (d)", "## (e)"):
        assert heading in report
    rows = [line for line in report.splitlines() if line.startswith("| tinygrad_lite")]
    # (a) two formulations, (b), (c), (d) three chain sizes + paused collector + double size
    assert len(rows) >= 8, report
    for row in rows:
        assert re.search(TIME, row) or re.search(r"\d+ B", row), row
        assert "Error" not in row and "skipped" not in row, row
    numpy_epoch = next(line for line in report.splitlines() if line.startswith("| NumPy (the seed"))
    assert re.search(TIME, numpy_epoch)
    for run in ("| NumPy: the seed's loop", "| tinygrad_lite `trace`", "| tinygrad_lite `fit("):
        line = next(line for line in report.splitlines() if line.startswith(run))
        assert re.search(TIME, line), line
    # the traced runs end with the NumPy loop's weights
    for difference in re.findall(r"\| (\d\.\de-\d+) \|$", report, flags=re.M):
        assert float(difference) < 1e-12


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
