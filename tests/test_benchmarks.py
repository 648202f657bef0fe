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
