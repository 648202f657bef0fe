"""demos/forward_vs_reverse.py and docs/forward_mode.md: forward mode makes one pass per
input, reverse mode one per output, so each wins the function whose Jacobian has that few
columns or rows; the page's snippets run as doctests."""

from __future__ import annotations

import doctest
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from shared_helpers import load_demo

DEMO = Path(__file__).resolve().parents[2] / "demos" / "forward_vs_reverse.py"


def _demo() -> ModuleType:
    return load_demo("forward_vs_reverse")


def test_the_demo_counts_one_pass_per_input_forwards_and_per_output_backwards(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows = _demo().main(["--size", "6"])
    out = capsys.readouterr().out
    assert "| function | inputs | outputs | mode | passes | nodes visited | time (ms) |" in out
    passes = {(row.function, row.mode): row.passes for row in rows}
    assert passes == {
        ("loss (n -> 1)", "forward"): 6,
        ("loss (n -> 1)", "reverse"): 1,
        ("trajectory (1 -> n)", "forward"): 1,
        ("trajectory (1 -> n)", "reverse"): 6,
    }
    visited = {(row.function, row.mode): row.nodes_visited for row in rows}
    assert visited["loss (n -> 1)", "forward"] > visited["loss (n -> 1)", "reverse"]
    assert visited["trajectory (1 -> n)", "forward"] < visited["trajectory (1 -> n)", "reverse"]


def test_the_demo_runs_as_a_script() -> None:
    result = subprocess.run(
        [sys.executable, str(DEMO), "--size", "4"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "reverse wins for the loss" in result.stdout


def test_the_docs_page_snippets_run() -> None:
    page = Path(__file__).resolve().parents[2] / "docs" / "forward_mode.md"
    result = doctest.testfile(
        str(page), module_relative=False, optionflags=doctest.ELLIPSIS, verbose=False
    )
    assert result.attempted > 0, "docs/forward_mode.md has no runnable snippets"
    assert result.failed == 0, f"{result.failed} snippet(s) failed; run pytest -s to see"
