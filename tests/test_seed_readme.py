"""The README shows the main command's real output, and the figures it embeds exist."""

from __future__ import annotations

import re
from pathlib import Path

from seed_helpers import png_size

from tinygrad_lite.cli import main
from tinygrad_lite.seed import vanishing

ROOT = Path(__file__).resolve().parents[1]
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


def test_readme_claims_about_vanishing_gradients_hold():
    result = vanishing.measure(init="scaled")
    less = {name: 1 / layers.ratio for name, layers in result.layers.items()}
    claim = (
        "first\nlayer gets about 5.7e5 times less gradient than its last, "
        "tanh's about 9x less,\nrelu's about 3x less"
    )
    assert claim in README
    assert round(less["sigmoid"], -4) == 570000
    assert round(less["tanh"]) == 9 and round(less["relu"]) == 3
