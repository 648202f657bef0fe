"""The seed's exercises and appendix, in short runs whose numbers are checked independently."""

from __future__ import annotations

import json
import math
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest
from seed_helpers import png_size

from tinygrad_lite.cli import main
from tinygrad_lite.cli import seed as seed_cli
from tinygrad_lite.datasets import seed_initial_weights, two_clusters
from tinygrad_lite.seed import exercises, text_cells, vanishing
from tinygrad_lite.testing.reference import mlp_backprop

LOSS_RTOL = 1e-12  # scalar engine vs NumPy, same formulas, different summation order


def text_losses_after_each_epoch(lr, epochs, hidden=16):
    """The text's loop: the loss after epoch k is its loss before update k + 1."""
    X, y = two_clusters()
    run = text_cells.train_sigmoid(X, y, seed_initial_weights(hidden), lr, epochs + 1)
    return run.losses[1:]


def test_epochs_exercise(tmp_path):
    result = exercises.epochs_exercise(tmp_path, full_epochs=15)
    short, full = result.runs["10 epochs"], result.runs["15 epochs"]
    np.testing.assert_allclose(short.loss, text_losses_after_each_epoch(0.01, 10), rtol=LOSS_RTOL)
    np.testing.assert_allclose(full.loss, text_losses_after_each_epoch(0.01, 15), rtol=LOSS_RTOL)
    assert full.loss[-1] < short.loss[-1]
    assert len(result.observation) == 2
    assert f"{short.loss[-1]:.4g}" in result.observation[0]
    png_size(result.figures["boundaries"])


def test_learning_rate_exercise(tmp_path):
    result = exercises.learning_rate_exercise(tmp_path, epochs=8)
    assert len(result.runs) >= 4
    for lr in exercises.LEARNING_RATES:
        history = result.runs[f"lr={lr:g}"]
        np.testing.assert_allclose(
            history.loss, text_losses_after_each_epoch(lr, 8), rtol=LOSS_RTOL
        )
    finals = {label: h.loss[-1] for label, h in result.runs.items()}
    assert f"{min(finals, key=finals.__getitem__)} ends lowest" in result.observation[0]
    png_size(result.figures["loss"])


def test_hidden_size_exercise(tmp_path):
    result = exercises.hidden_size_exercise(tmp_path, epochs=5)
    assert len(result.runs) >= 4
    for size in exercises.HIDDEN_SIZES:
        history = result.runs[f"{size} hidden"]
        expected = text_losses_after_each_epoch(0.01, 5, hidden=size)
        np.testing.assert_allclose(history.loss, expected, rtol=LOSS_RTOL)
    png_size(result.figures["boundaries"])


def test_mini_batch_exercise_is_reproducible(tmp_path):
    first = exercises.mini_batch_exercise(tmp_path, epochs=3, seed=7)
    again = exercises.mini_batch_exercise(None, epochs=3, seed=7)
    other = exercises.mini_batch_exercise(None, epochs=3, seed=8)
    mini = first.runs[f"batches of {exercises.MINI_BATCH}"]
    assert mini.updates == [200 // exercises.MINI_BATCH] * 3
    assert len(mini.loss) == 3 and len(mini.batch_loss) == 3 * mini.updates[0]
    assert mini.loss == again.runs[f"batches of {exercises.MINI_BATCH}"].loss
    assert mini.loss != other.runs[f"batches of {exercises.MINI_BATCH}"].loss
    assert first.observation == again.observation
    png_size(first.figures["history"])


def test_batch_size_exercise(tmp_path):
    result = exercises.batch_size_exercise(tmp_path, epochs=3)
    sizes = exercises.BATCH_SIZES
    assert len(sizes) >= 3
    for size in sizes:
        assert result.runs[f"summed, batch {size}"].updates == [-(-200 // size)] * 3
    # The full batch with the mean loss at lr * n takes the same steps as the summed loss.
    full = max(sizes)
    np.testing.assert_allclose(
        result.runs[f"mean, batch {full}"].loss,
        result.runs[f"summed, batch {full}"].loss,
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        result.runs[f"summed, batch {full}"].loss, text_losses_after_each_epoch(0.01, 3), rtol=1e-12
    )
    png_size(result.figures["loss"])


def numpy_layer_gradients(activation, depth, width, init, examples):
    """Mean |dL/dW| per layer by the seed's NumPy backprop (the kit's `mlp_backprop`),
    for the same network and data."""
    X, y = two_clusters()
    chosen = np.linspace(0, len(X) - 1, examples).round().astype(int)
    X, y = X[chosen], y[chosen].reshape(-1, 1)
    state = vanishing.initial_weights(depth, width, init, vanishing.SEED)
    _, grads = mlp_backprop(state, X, y, [activation] * (depth - 1) + ["sigmoid"])
    return [float(np.mean(np.abs(grads[f"W{k}"]))) for k in range(1, depth + 1)]


@pytest.mark.parametrize("init", vanishing.INITS)
def test_vanishing_gradients_match_numpy_backprop(init):
    result = vanishing.measure(init=init, depth=8, examples=40)
    for activation in vanishing.ACTIVATIONS:
        ours = result.layers[activation].magnitudes
        assert len(ours) == 8
        expected = numpy_layer_gradients(activation, 8, vanishing.WIDTH, init, 40)
        np.testing.assert_allclose(ours, expected, rtol=1e-9)


def test_vanishing_gradients_with_scaled_init_sigmoid_vanishes_most():
    result = vanishing.measure(init="scaled", depth=8, examples=40)
    ratios = {a: result.layers[a].ratio for a in vanishing.ACTIVATIONS}
    assert ratios["sigmoid"] < 1e-3
    assert ratios["sigmoid"] < ratios["tanh"] and ratios["sigmoid"] < ratios["relu"]
    table = vanishing.format_table(result)
    assert "first/last" in table and f"{ratios['sigmoid']:.3e}" in table


def test_initial_weights_refuse_bad_arguments():
    with pytest.raises(ValueError, match="init must be one of"):
        vanishing.initial_weights(8, 16, "xavier", 0)
    with pytest.raises(ValueError, match="depth must be at least 2"):
        vanishing.initial_weights(1, 16, "scaled", 0)


def test_cli_vanishing_gradients_json(tmp_path, capsys):
    args = ["seed", "vanishing-gradients", "--quick", "--json", "--out", str(tmp_path)]
    assert main(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data["scaled"]) == set(vanishing.ACTIVATIONS)
    assert len(data["scaled"]["relu"]["magnitudes"]) == vanishing.DEPTH >= 8
    png_size(tmp_path / vanishing.FIGURE_NAME)


def test_exercises_script_quick(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(
        seed_cli, "QUICK_EPOCHS", {"experiment": 3, "full": 12, "sweep": 2, "batch": 1}
    )
    arguments = ["--quick", "--engine", "scalar", "--json", "--out", str(tmp_path)]
    monkeypatch.setattr(sys, "argv", ["exercises.py", *arguments])
    script = Path(__file__).resolve().parents[2] / "demos" / "exercises.py"
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(script), run_name="__main__")
    assert exit_info.value.code == 0
    data = json.loads(capsys.readouterr().out)
    assert [e["name"] for e in data] == [
        "epochs",
        "learning rate",
        "hidden size",
        "mini-batches",
        "batch size",
    ]
    for exercise in data:
        assert len(exercise["observation"]) == 2
        for path in exercise["figures"].values():
            png_size(path)


def test_cli_experiment_text(tmp_path, capsys):
    assert main(["seed", "no-activation", "--epochs", "4", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "largest |weight difference|" in out and ": OK" in out
    assert main(["seed", "sigmoid-activation", "--epochs", "0", "--out", str(tmp_path)]) == 2


@pytest.mark.parametrize(
    ("script", "part", "arguments"),
    [
        ("seed_network.py", "network", []),
        ("no_activation.py", "no-activation", ["--epochs", "2"]),
        ("sigmoid_activation.py", "sigmoid-activation", ["--epochs", "2", "--engine", "scalar"]),
        ("vanishing_gradients.py", "vanishing-gradients", ["--quick"]),
    ],
)
def test_demo_scripts_run_their_part(script, part, arguments, tmp_path, monkeypatch, capsys):
    """Each script is `tinygrad-lite seed PART` with the script's arguments passed on."""
    monkeypatch.setattr(
        seed_cli,
        "QUICK_EPOCHS",
        {"experiment": 3, "full": 11, "sweep": 1, "batch": 1, "examples": 20},
    )
    calls = []
    real_handle = seed_cli._handle

    def recording_handle(args):
        calls.append(args.part)
        return real_handle(args)

    monkeypatch.setattr(seed_cli, "_handle", recording_handle)
    demos = Path(__file__).resolve().parents[2] / "demos"
    monkeypatch.setattr(sys, "argv", [script, "--json", "--out", str(tmp_path), *arguments])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(demos / script), run_name="__main__")
    assert exit_info.value.code == 0
    assert calls == [part]
    json.loads(capsys.readouterr().out)  # the part's --json output


def test_vanishing_ratio_when_no_gradient_arrives():
    silent = vanishing.LayerGradients([0.0] * 8, output_slope=0.0)
    assert math.isnan(silent.ratio)
    result = vanishing.VanishingResult("normal", {"relu": silent})
    assert "no gradient reaches the last layer" in vanishing.format_table(result)
