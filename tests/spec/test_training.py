"""Tests for tinygrad_lite.training: fit follows the seed's update rule, batches,
history, determinism, progress bar, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinygrad_lite import Value
from tinygrad_lite.datasets import seed_initial_weights, two_clusters
from tinygrad_lite.losses import bce_with_logits, mean_squared_error, squared_error
from tinygrad_lite.nn import MLP
from tinygrad_lite.optim import SGD, Adam
from tinygrad_lite.seed import text_cells
from tinygrad_lite.seed.reference import seed_train
from tinygrad_lite.training import History, accuracy_score, fit, fraction_right, scores


def _seed_loop_verbatim(epochs: int) -> dict[str, np.ndarray]:
    """The seed notebook's sigmoid experiment as the text writes it (`text_cells`), on its
    data and initial weights (tests/spec/test_datasets.py holds those to its global-RNG draws)."""
    X, y = two_clusters()
    return text_cells.train_sigmoid(X, y, seed_initial_weights(), lr=0.01, epochs=epochs).weights


def test_reference_module_is_the_seed_loop_bit_for_bit() -> None:
    """seed_train (the kit's backprop with the notebook's signs) is the text's loop."""
    X, y = two_clusters()
    ours = seed_train(X, y, seed_initial_weights(), lr=0.01, epochs=3)
    verbatim = _seed_loop_verbatim(3)
    assert all(np.array_equal(ours[k], verbatim[k]) for k in verbatim)


def test_five_epochs_of_the_seed_experiment_end_with_the_seed_weights() -> None:
    X, y = two_clusters()
    model = MLP(2, [16, 1])
    model.load_state_dict(seed_initial_weights())
    history = fit(
        model, X, y, loss=squared_error, optimizer=SGD(model.parameters(), lr=0.01), epochs=5
    )
    expected = _seed_loop_verbatim(5)
    got = model.state_dict()
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-12, atol=0, err_msg=key)
    assert history.updates == [1] * 5
    # The weights moved: the test compares trained weights, not the starting ones.
    assert not np.allclose(got["W2"], seed_initial_weights()["W2"], rtol=1e-3)


def test_fit_defaults_are_the_seed_loss_and_learning_rate() -> None:
    X, y = two_clusters()
    model = MLP(2, [16, 1])
    model.load_state_dict(seed_initial_weights())
    fit(model, X, y, epochs=2)
    expected = _seed_loop_verbatim(2)
    for key, value in model.state_dict().items():
        np.testing.assert_allclose(value, expected[key], rtol=1e-12, atol=0)


def _small_problem(n: int = 10) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    X = rng.standard_normal((n, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(float)
    return X, y


class CountingSGD(SGD):
    """SGD that counts its own steps independently of fit's bookkeeping."""

    calls = 0

    def step(self) -> None:
        self.calls += 1
        super().step()


@pytest.mark.parametrize(("n", "batch_size"), [(10, 3), (10, 10), (10, 1), (10, 25), (7, 2)])
def test_an_epoch_makes_ceil_n_over_b_updates(n: int, batch_size: int) -> None:
    X, y = _small_problem(n)
    model = MLP(2, [3, 1], seed=0)
    optimizer = CountingSGD(model.parameters(), lr=0.1)
    history = fit(model, X, y, optimizer=optimizer, epochs=3, batch_size=batch_size)
    per_epoch = math.ceil(n / batch_size)
    assert optimizer.calls == 3 * per_epoch
    assert history.updates == [per_epoch] * 3
    assert len(history.batch_loss) == 3 * per_epoch
    assert history.epochs == 3 and len(history.loss) == 3
    assert history.accuracy is not None and len(history.accuracy) == 3


def test_minibatches_follow_the_seed_rule_on_each_slice() -> None:
    X, y = _small_problem(10)
    model = MLP(2, [4, 1], seed=3)
    start = model.state_dict()
    fit(model, X, y, optimizer=SGD(model.parameters(), lr=0.5), epochs=4, batch_size=3)
    expected = seed_train(X, y, start, lr=0.5, epochs=4, batch_size=3)
    for key, value in model.state_dict().items():
        np.testing.assert_allclose(value, expected[key], rtol=1e-12, atol=0, err_msg=key)


def test_history_loss_is_the_whole_set_loss_after_each_epoch() -> None:
    X, y = _small_problem(10)
    model = MLP(2, [4, 1], seed=3)
    history = fit(model, X, y, optimizer=SGD(model.parameters(), lr=0.5), epochs=2, batch_size=4)
    predictions = [model(row) for row in X]
    assert history.loss[-1] == squared_error(predictions, y).data  # type: ignore[arg-type]
    right = sum((p.data >= 0.5) == (t == 1.0) for p, t in zip(predictions, y, strict=True))  # type: ignore[union-attr]
    assert history.accuracy is not None and history.accuracy[-1] == right / 10
    assert accuracy_score(model, X, y) == right / 10


def test_full_batch_history_batch_loss_is_the_loss_before_each_update() -> None:
    X, y = _small_problem(10)
    model = MLP(2, [4, 1], seed=3)
    history = fit(model, X, y, optimizer=SGD(model.parameters(), lr=0.5), epochs=3)
    # With one update per epoch, the loss before update k+1 is the loss after epoch k.
    assert history.batch_loss[1:] == history.loss[:-1]


def test_same_seed_same_history_and_shuffle_changes_the_order() -> None:
    X, y = _small_problem(10)

    def run(seed: int, shuffle: bool = True) -> History:
        model = MLP(2, [3, 1], seed=0)
        return fit(
            model,
            X,
            y,
            optimizer=SGD(model.parameters(), lr=0.3),
            epochs=4,
            batch_size=3,
            shuffle=shuffle,
            seed=seed,
        )

    first, again, other, unshuffled = run(1), run(1), run(2), run(1, shuffle=False)
    assert first == again
    assert first.batch_loss != other.batch_loss
    assert first.batch_loss != unshuffled.batch_loss


def test_multi_output_regression_with_adam_and_mse() -> None:
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (12, 2))
    y = np.column_stack((X[:, 0] * 0.5, X[:, 0] - X[:, 1]))
    model = MLP(2, [8, 2], activations=["tanh", "linear"], seed=0, init="scaled")
    history = fit(model, X, y, loss="mse", optimizer=Adam(model.parameters(), lr=0.05), epochs=60)
    assert history.accuracy is None
    assert history.loss[-1] < 0.1 * history.loss[0]
    predictions = [v for row in X for v in model(row)]  # type: ignore[union-attr]
    assert history.loss[-1] == mean_squared_error(predictions, y.ravel()).data


def test_logits_model_uses_threshold_zero_for_accuracy() -> None:
    X, y = _small_problem(10)
    model = MLP(2, [3, 1], activations=["tanh", "linear"], seed=2)
    history = fit(
        model, X, y, loss="bce_with_logits", epochs=1, optimizer=SGD(model.parameters(), lr=0.0)
    )
    predictions = [model(row) for row in X]
    right = sum((p.data >= 0.0) == (t == 1.0) for p, t in zip(predictions, y, strict=True))  # type: ignore[union-attr]
    assert history.accuracy == [right / 10]
    assert history.loss == [bce_with_logits(predictions, y).data]  # type: ignore[arg-type]


def test_custom_loss_callable() -> None:
    X, y = _small_problem(6)
    model = MLP(2, [2, 1], seed=0)
    before = model.state_dict()

    def fourth_power(predictions: list[Value], targets: list[float]) -> Value:
        return sum(((p - t) ** 4 for p, t in zip(predictions, targets, strict=True)), Value(0.0))

    history = fit(model, X, y, loss=fourth_power, epochs=1, optimizer=SGD(model.parameters(), 0.1))

    # One full-batch step by hand: L = sum((p - t)**4), so dL/dp = 4 (p - t)**3,
    # then back through the two sigmoid layers (sigmoid' = s (1 - s)).
    def forward(
        W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        a1 = 1 / (1 + np.exp(-(X @ W1 + b1)))
        p = 1 / (1 + np.exp(-(a1 @ W2 + b2)))[:, 0]
        return a1, p

    W1, b1, W2, b2 = (before[key] for key in ("W1", "b1", "W2", "b2"))
    a1, p = forward(W1, b1, W2, b2)
    delta2 = (4 * (p - y) ** 3 * p * (1 - p))[:, None]
    delta1 = (delta2 @ W2.T) * a1 * (1 - a1)
    expected = {
        "W1": W1 - 0.1 * (X.T @ delta1),
        "b1": b1 - 0.1 * delta1.sum(axis=0, keepdims=True),
        "W2": W2 - 0.1 * (a1.T @ delta2),
        "b2": b2 - 0.1 * delta2.sum(axis=0, keepdims=True),
    }
    after = model.state_dict()
    for key, value in expected.items():
        np.testing.assert_allclose(after[key], value, rtol=0, atol=1e-12, err_msg=key)
    assert history.batch_loss[0] == pytest.approx(np.sum((p - y) ** 4), rel=1e-12)
    _, p_after = forward(*(expected[key] for key in ("W1", "b1", "W2", "b2")))
    assert history.loss[0] == pytest.approx(np.sum((p_after - y) ** 4), rel=1e-12)


def test_zero_epochs_changes_nothing() -> None:
    X, y = _small_problem(6)
    model = MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    history = fit(model, X, y, epochs=0)
    assert history.loss == [] and history.updates == []
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"X": np.zeros((4, 3))}, r"X must have shape \(n, 2\)"),
        ({"X": np.zeros(4)}, r"X must have shape \(n, 2\)"),
        ({"y": np.zeros(5)}, r"y must have shape \(4,\) or \(4, 1\)"),
        ({"y": np.array([0, 1, np.nan, 1])}, "y contains nan or inf"),
        ({"X": np.full((4, 2), np.inf)}, "X contains nan or inf"),
        ({"epochs": -1}, "epochs must be a non-negative integer"),
        ({"batch_size": 0}, "batch_size must be a positive integer or None"),
        ({"loss": "hinge"}, "unknown loss 'hinge'"),
    ],
)
def test_bad_fit_arguments_raise_and_leave_the_model_untouched(
    kwargs: dict[str, object], message: str
) -> None:
    model = MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    arguments: dict[str, object] = {"X": np.zeros((4, 2)), "y": np.array([0, 1, 0, 1]), **kwargs}
    X, y = arguments.pop("X"), arguments.pop("y")
    with pytest.raises(ValueError, match=message):
        fit(model, X, y, **arguments)  # type: ignore[arg-type]
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())


def test_no_progress_output_when_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    X, y = _small_problem(6)
    fit(MLP(2, [2, 1], seed=0), X, y, epochs=3)  # progress=None: stderr is not a terminal here
    fit(MLP(2, [2, 1], seed=0), X, y, epochs=3, progress=False)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_progress_true_draws_a_tqdm_bar(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tqdm")
    X, y = _small_problem(6)
    fit(MLP(2, [2, 1], seed=0), X, y, epochs=3, progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "3/3" in captured.err and "epoch" in captured.err and "loss=" in captured.err


def test_auto_progress_decision(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("tqdm")
    from tinygrad_lite.training import _progress_bar

    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    assert _progress_bar(5, None) is None  # a terminal, but pytest is running
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    bar = _progress_bar(5, None)  # a terminal outside tests: a bar (shown after 1 s)
    assert bar is not None and bar.delay == 1.0
    bar.close()
    monkeypatch.setattr("sys.stderr.isatty", lambda: False)
    assert _progress_bar(5, None) is None
    assert _progress_bar(5, False) is None


def test_fit_a_single_neuron_on_nested_lists() -> None:
    from tinygrad_lite.nn import Neuron

    neuron = Neuron(2, "sigmoid", weights=[0.0, 0.0])
    X = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]]
    y = [1.0, 0.0, 1.0, 0.0]
    history = fit(neuron, X, y, optimizer=SGD(neuron.parameters(), lr=1.0), epochs=30)
    assert history.accuracy is not None and history.accuracy[-1] == 1.0
    assert neuron.w[0].data > 0 > neuron.w[1].data


def test_accuracy_on_request_needs_binary_targets_and_loss_must_return_a_value() -> None:
    X, _ = _small_problem(4)
    model = MLP(2, [2, 1], seed=0)
    with pytest.raises(ValueError, match="targets that are 0 or 1"):
        fit(model, X, [0.5, 1.0, 0.0, 1.0], accuracy=True)
    regression = fit(model, X, [0.5, 1.0, 0.0, 1.0], epochs=1)
    assert regression.accuracy is None
    before = model.state_dict()
    with pytest.raises(TypeError, match="returned float, not a Value"):
        fit(model, X, [0, 1, 0, 1], loss=lambda p, t: 0.0)
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())


@pytest.mark.parametrize("enabled_before", [True, False])
def test_fit_pauses_the_collector_during_epochs_and_restores_it(enabled_before: bool) -> None:
    import gc

    seen: list[bool] = []

    def watched_loss(predictions: list[Value], targets: list[float]) -> Value:
        seen.append(gc.isenabled())
        return squared_error(predictions, targets)

    X, y = two_clusters()
    X, y = X[::10], y[::10]
    model = MLP(2, [3, 1], seed=0)
    if not enabled_before:
        gc.disable()
    try:
        fit(model, X, y, loss=watched_loss, epochs=2)
        assert gc.isenabled() is enabled_before  # as it was before fit()
    finally:
        gc.enable()
    assert seen and not any(seen)  # every forward and loss ran with the collector paused
    # an error inside an epoch restores it too
    with pytest.raises(ZeroDivisionError):
        fit(model, X, y, loss=lambda p, t: 1 / 0, epochs=1)
    assert gc.isenabled()


def test_both_engines_score_through_one_function() -> None:
    assert scores(0.25, [0.7, 0.2], [1.0, 1.0], None) == (0.25, None)
    assert scores(0.25, np.array([0.7, 0.2, 0.5]), np.array([1.0, 1.0, 0.0]), 0.5) == (
        0.25,
        fraction_right([0.7, 0.2, 0.5], [1.0, 1.0, 0.0], 0.5),
    )
    assert fraction_right([0.7, 0.2, 0.5], [1.0, 1.0, 0.0], 0.5) == 1 / 3
    X, y = _small_problem(8)
    slow = fit(MLP(2, [3, 1], seed=1), X, y, epochs=3, accuracy=True)
    fast = fit(MLP(2, [3, 1], seed=1), X, y, epochs=3, accuracy=True, fast=True)
    assert slow.accuracy == fast.accuracy


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"threshold": "0.5"}, TypeError, "threshold must be a real number, got str"),
        ({"threshold": math.nan}, ValueError, "threshold must be a finite number"),
        ({"optimizer": "sgd"}, TypeError, "optimizer must be an Optimizer .* got str: 'sgd'"),
        ({"loss": 3}, TypeError, "loss must be a name or a callable, got int"),
        ({"epochs": 2.0}, ValueError, "epochs must be a non-negative integer, got 2.0"),
        ({"batch_size": "2"}, ValueError, "batch_size must be a positive integer or None"),
        ({"shuffle": "yes"}, TypeError, "shuffle must be True or False, got str"),
        ({"seed": -1}, ValueError, "seed must be a non-negative integer or None, got -1"),
        ({"seed": "1"}, ValueError, "seed must be a non-negative integer or None"),
        ({"progress": "no"}, TypeError, "progress must be True, False or None, got str"),
        ({"accuracy": 1}, TypeError, "accuracy must be True, False or None, got int"),
        ({"fast": "no"}, TypeError, "fast must be True or False, got str"),
    ],
)
def test_every_fit_argument_is_checked_before_the_first_update(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    X, y = _small_problem(4)
    model = MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(error, match=message):
        fit(model, X, y, **{"epochs": 2, "progress": False, **kwargs})  # type: ignore[arg-type]
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())


def test_fit_names_a_model_that_is_not_a_module() -> None:
    X, y = _small_problem(4)
    with pytest.raises(TypeError, match=r"model must be a Module .* got str: 'model'"):
        fit("model", X, y)  # type: ignore[arg-type]


def test_fit_on_numpy_scalar_targets_of_a_custom_loss() -> None:
    X, y = _small_problem(4)
    model = MLP(2, [2, 1], seed=0)
    history = fit(model, X, y, loss=lambda p, t: squared_error(p[0], np.int64(t[0])), batch_size=1)
    assert len(history.batch_loss) == 4


def test_fit_refuses_an_optimizer_over_another_models_parameters() -> None:
    X, y = _small_problem(4)
    model, other = MLP(2, [2, 1], seed=0), MLP(2, [2, 1], seed=1)
    before = model.state_dict()
    with pytest.raises(ValueError, match="the optimizer updates none of the model's parameters"):
        fit(model, X, y, optimizer=SGD(other.parameters(), lr=0.1))
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())
    first_layer = model.layers[0].parameters()  # training part of the model stays allowed
    fit(model, X, y, optimizer=SGD(first_layer, lr=0.1))
    assert not np.array_equal(before["W1"], model.state_dict()["W1"])


@pytest.mark.parametrize(
    "X",
    [
        np.array([[1 + 2j, 0], [0, 1], [1, 1], [0, 0]]),
        [[1 + 0j, 0], [0, 1], [1, 1], [0, 0]],
        [[1.0, 0.0], [0.0, 1.0], [1.0, np.complex64(1)], [0.0, 0.0]],
    ],
)
def test_fit_refuses_complex_data_as_value_does(X: object) -> None:
    import warnings

    model = MLP(2, [2, 1], seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning either: refused before NumPy casts
        with pytest.raises(TypeError, match="X must hold real numbers, got complex numbers"):
            fit(model, X, [0, 1, 0, 1])  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="y must hold real numbers"):
            fit(model, np.zeros((4, 2)), np.array([0, 1, 0, 1j]))
    with pytest.raises(TypeError):
        Value(1 + 2j)
