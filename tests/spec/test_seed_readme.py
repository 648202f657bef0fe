"""The README shows the main command's real output, and the figures it embeds exist."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from seed_helpers import png_size

from tinygrad_lite.cli import main
from tinygrad_lite.datasets import two_clusters
from tinygrad_lite.seed import vanishing
from tinygrad_lite.testing.reference import mlp_backprop

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
MARKER = "<!-- seed-output: tinygrad-lite seed"


def shown_output() -> str:
    after = README[README.index(MARKER) :]
    block = re.search(r"```text\n\$ tinygrad-lite seed\n(.*?)```", after, re.DOTALL)
    assert block is not None, "no ```text block after the seed-output marker"
    return block.group(1)


def test_readme_shows_the_real_output_of_the_main_command(tmp_path, capsys):
    assert main(["seed", "--out", str(tmp_path)]) == 0
    real = capsys.readouterr().out.replace(str(tmp_path), "out")
    assert shown_output() == real


def test_main_command_runs_the_seed_network():
    run_sh = (ROOT / "demos" / "run.sh").read_text()
    assert "tinygrad-lite seed" in run_sh


def test_embedded_figures_exist_and_are_valid():
    images = re.findall(r"!\[[^\]]*\]\((docs/seed/[^)]+)\)", README)
    assert len(images) >= 11, images  # graph, 2 x 2 experiment figures, 5 exercises, appendix
    for image in images:
        path = ROOT / image
        assert path.exists(), image
        if path.suffix == ".png":
            png_size(path)
        else:
            assert path.read_text().lstrip().startswith("<?xml"), image


def numpy_first_over_last(activation: str) -> float:
    """Layer 1's mean |dL/dW| over the last layer's for the appendix's network, by the
    kit's NumPy backprop (not the engine that printed the README's numbers)."""
    X, y = two_clusters()
    params = vanishing.initial_weights(vanishing.DEPTH, vanishing.WIDTH, "scaled", vanishing.SEED)
    activations = [activation] * (vanishing.DEPTH - 1) + ["sigmoid"]
    _, grads = mlp_backprop(params, X, y.reshape(-1, 1), activations)
    last = grads[f"W{vanishing.DEPTH}"]
    return float(np.mean(np.abs(grads["W1"])) / np.mean(np.abs(last)))


def test_readme_claims_about_vanishing_gradients_hold():
    claim = re.search(
        r"first\nlayer gets about (\S+) times less gradient than its last, "
        r"tanh's about (\d+)x less,\nrelu's about (\d+)x less",
        README,
    )
    assert claim is not None, "the README's vanishing-gradient sentence is gone"
    sigmoid, tanh, relu = (float(number) for number in claim.groups())
    # The README rounds: two significant digits for sigmoid, whole numbers for the others.
    assert float(f"{1 / numpy_first_over_last('sigmoid'):.2g}") == sigmoid
    assert round(1 / numpy_first_over_last("tanh")) == tanh
    assert round(1 / numpy_first_over_last("relu")) == relu
