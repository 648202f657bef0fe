"""Tests for tinygrad_lite.nn: modules, names, initialisation, state_dict, save/load,
and the proof that the scalar MLP's loss and gradients equal the seed's NumPy backprop."""

from __future__ import annotations

import math
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt
import pytest

from tinygrad_lite import Value, topological_order
from tinygrad_lite.datasets import seed_initial_weights, two_clusters
from tinygrad_lite.losses import squared_error
from tinygrad_lite.nn import MLP, Layer, Module, Neuron
from tinygrad_lite.seed.reference import seed_backprop, sigmoid
from tinygrad_lite.serialization import StateDictError

# ---------------------------------------------------------------- names and labels


def test_named_parameters_are_dotted_names_in_order_and_labels() -> None:
    model = MLP(2, [3, 1], seed=0)
    names = [name for name, _ in model.named_parameters()]
    expected = []
    for j in range(3):
        expected += [f"layers.0.neurons.{j}.w.0", f"layers.0.neurons.{j}.w.1"]
        expected.append(f"layers.0.neurons.{j}.b")
    expected += [f"layers.1.neurons.0.w.{i}" for i in range(3)] + ["layers.1.neurons.0.b"]
    assert names == expected
    for name, parameter in model.named_parameters():
        assert parameter.label == name
    assert model.parameters() == [p for _, p in model.named_parameters()]
    assert len(set(model.parameters())) == 13  # 13 distinct Value objects


def test_neuron_and_layer_names_when_standalone() -> None:
    neuron = Neuron(2, seed=0)
    assert [n for n, _ in neuron.named_parameters()] == ["w.0", "w.1", "b"]
    assert [p.label for p in neuron.parameters()] == ["w.0", "w.1", "b"]
    layer = Layer(1, 2, seed=0)
    assert [p.label for p in layer.parameters()] == [
        "neurons.0.w.0",
        "neurons.0.b",
        "neurons.1.w.0",
        "neurons.1.b",
    ]


def test_zero_grad_resets_every_parameter() -> None:
    model = MLP(2, [2, 1], seed=1)
    out = model([0.3, -0.2])
    assert isinstance(out, Value)
    out.backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


# ---------------------------------------------------------------- forward


def test_neuron_is_one_linear_node_then_the_activation() -> None:
    neuron = Neuron(3, "tanh", seed=5)
    x = [Value(0.5), Value(-1.0), Value(2.0)]
    out = neuron(x)
    assert out.op == "tanh"
    (weighted_sum,) = out.operands
    assert weighted_sum.op == "linear"
    assert weighted_sum.operands == (*neuron.w, *x, neuron.b)
    w = np.array([p.data for p in neuron.w])
    expected = math.tanh(float(np.dot(w, [0.5, -1.0, 2.0])) + neuron.b.data)
    assert out.data == pytest.approx(expected, rel=1e-15)


def test_seed_network_makes_34_nodes_per_example() -> None:
    model = MLP(2, [16, 1], seed=0)
    out = model([0.1, 0.2])
    assert isinstance(out, Value)
    computed = [node for node in topological_order(out) if not node.is_leaf]
    assert len(computed) == 2 * 17  # 17 neurons, each one linear node and one sigmoid node
    leaves = [node for node in topological_order(out) if node.is_leaf]
    assert len(leaves) == len(model.parameters()) + 2  # the weights and the two inputs


def test_neuron_with_given_weights_and_bias() -> None:
    neuron = Neuron(2, "linear", weights=[0.2, -0.3], bias=0.4)
    assert [p.data for p in neuron.parameters()] == [0.2, -0.3, 0.4]
    assert neuron([1.0, 2.0]).data == pytest.approx(0.2 - 0.6 + 0.4, abs=1e-16)
    with pytest.raises(ValueError, match=r"Neuron\(2\) needs 2 weights, got 3"):
        Neuron(2, weights=[1.0, 2.0, 3.0])


def test_linear_activation_adds_no_node() -> None:
    neuron = Neuron(2, "linear", seed=0)
    assert neuron([1.0, 2.0]).op == "linear"


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "linear"])
def test_mlp_forward_matches_numpy(activation: str) -> None:
    functions = {
        "sigmoid": sigmoid,
        "tanh": np.tanh,
        "relu": lambda z: np.maximum(z, 0.0),
        "linear": lambda z: z,
    }
    f = functions[activation]
    model = MLP(3, [4, 5, 2], activations=activation, seed=11)
    weights = model.state_dict()
    x = np.array([0.7, -1.3, 0.2])
    a = x.reshape(1, -1)
    for k in (1, 2, 3):
        a = f(a @ weights[f"W{k}"] + weights[f"b{k}"])
    out = model(x)
    assert isinstance(out, list)
    np.testing.assert_allclose([v.data for v in out], a.ravel(), rtol=1e-13, atol=1e-15)


def test_activation_forms_are_equivalent() -> None:
    by_name = Neuron(2, "tanh", seed=4)
    by_method = Neuron(2, Value.tanh, seed=4)
    by_lambda = Neuron(2, lambda v: v.tanh(), seed=4)
    assert by_method.activation_name == "tanh"
    values = {n([0.3, 0.9]).data for n in (by_name, by_method, by_lambda)}
    assert len(values) == 1


def test_layer_uses_each_neurons_own_activation() -> None:
    # Layer.forward writes out Neuron.forward's formula: it must still read each
    # neuron's activation, not the layer's, when one neuron's was changed afterwards.
    layer = Layer(2, 3, "sigmoid", seed=5)
    layer.neurons[1].activation = Value.tanh
    outputs = layer([0.4, -1.3])
    assert isinstance(outputs, list)
    assert [out.op for out in outputs] == ["sigmoid", "tanh", "sigmoid"]
    assert [out.data for out in outputs] == [n([0.4, -1.3]).data for n in layer.neurons]
    w, b = layer.neurons[1].w, layer.neurons[1].b
    assert outputs[1].data == math.tanh(w[0].data * 0.4 + w[1].data * -1.3 + b.data)


def test_per_layer_activations() -> None:
    model = MLP(2, [3, 1], activations=["relu", "linear"], seed=0)
    assert [layer.activation_name for layer in model.layers] == ["relu", "linear"]
    out = model([1.0, 1.0])
    assert isinstance(out, Value) and out.op == "linear"
    assert repr(model) == "MLP(2, [3, 1], activations=['relu', 'linear'])"


def test_output_shapes() -> None:
    assert isinstance(Neuron(2, seed=0)([1, 2]), Value)
    assert isinstance(Layer(2, 1, seed=0)([1, 2]), Value)
    layer_out = Layer(2, 3, seed=0)([1, 2])
    assert isinstance(layer_out, list) and len(layer_out) == 3
    assert isinstance(MLP(2, [3, 1], seed=0)(np.array([1.0, 2.0])), Value)
    mlp_out = MLP(2, [3, 2], seed=0)([1.0, 2.0])
    assert isinstance(mlp_out, list) and len(mlp_out) == 2


def test_bad_construction_and_calls_raise_clear_errors() -> None:
    with pytest.raises(ValueError, match="unknown activation 'softmax'"):
        MLP(2, [1], activations="softmax")
    with pytest.raises(TypeError, match="activation must be a name or a callable"):
        Neuron(2, activation=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="activations has 1 entries for 2 layers"):
        MLP(2, [3, 1], activations=["relu"])
    with pytest.raises(ValueError, match="n_in must be a positive integer"):
        Neuron(0)
    with pytest.raises(ValueError, match=r"sizes\[1\] must be a positive integer"):
        MLP(2, [3, 0])
    with pytest.raises(ValueError, match="sizes must be a non-empty list"):
        MLP(2, [])
    with pytest.raises(ValueError, match="unknown init 'xavier'"):
        MLP(2, [1], init="xavier")
    with pytest.raises(ValueError, match="give rng or seed, not both"):
        MLP(2, [1], rng=np.random.default_rng(0), seed=0)
    with pytest.raises(ValueError, match="MLP expects 2 input"):
        MLP(2, [1], seed=0)([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"one example \(a 1-D input\), got shape \(2, 2\)"):
        MLP(2, [1], seed=0)(np.ones((2, 2)))


# ---------------------------------------------------------------- initialisation


def test_init_normal_draws_each_layer_as_one_matrix_from_the_generator() -> None:
    model = MLP(2, [16, 1], rng=np.random.default_rng(7))
    expected = np.random.default_rng(7)
    state = model.state_dict()
    np.testing.assert_array_equal(state["W1"], expected.standard_normal((2, 16)))
    np.testing.assert_array_equal(state["W2"], expected.standard_normal((16, 1)))
    np.testing.assert_array_equal(state["b1"], np.zeros((1, 16)))
    np.testing.assert_array_equal(state["b2"], np.zeros((1, 1)))


def test_seed_argument_is_default_rng_of_seed() -> None:
    a = MLP(3, [4, 2], seed=42).state_dict()
    b = MLP(3, [4, 2], rng=np.random.default_rng(42)).state_dict()
    c = MLP(3, [4, 2], seed=43).state_dict()
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["W1"], c["W1"])


def test_init_scaled_divides_by_sqrt_fan_in() -> None:
    normal = MLP(4, [3, 2], seed=1).state_dict()
    scaled = MLP(4, [3, 2], seed=1, init="scaled").state_dict()
    np.testing.assert_array_equal(scaled["W1"], normal["W1"] / 2.0)
    np.testing.assert_allclose(scaled["W2"], normal["W2"] / math.sqrt(3), rtol=1e-15)


def test_legacy_random_state_continues_the_seed_stream() -> None:
    # np.random.seed(0); data; W1 = randn(2, 16); W2 = randn(16, 1), with a private RandomState
    stream = np.random.RandomState(0)
    stream.randn(100, 2)
    stream.randn(100, 2)
    model = MLP(2, [16, 1], rng=stream)
    state = model.state_dict()
    expected = seed_initial_weights()
    assert all(np.array_equal(state[k], expected[k]) for k in expected)


# ---------------------------------------------------------------- state_dict


def test_state_dict_layout_matches_the_seed() -> None:
    model = MLP(3, [4, 2], seed=3)
    state = model.state_dict()
    assert {k: v.shape for k, v in state.items()} == {
        "W1": (3, 4),
        "b1": (1, 4),
        "W2": (4, 2),
        "b2": (1, 2),
    }
    assert all(v.dtype == np.float64 for v in state.values())
    for k, layer in enumerate(model.layers, start=1):
        for j, neuron in enumerate(layer.neurons):
            assert state[f"b{k}"][0, j] == neuron.b.data
            for i, weight in enumerate(neuron.w):
                assert state[f"W{k}"][i, j] == weight.data


def test_load_state_dict_round_trip_and_copies() -> None:
    model = MLP(3, [4, 2], seed=3)
    rng = np.random.default_rng(99)
    new = {k: rng.standard_normal(v.shape) for k, v in model.state_dict().items()}
    model.load_state_dict(new)
    got = model.state_dict()
    assert all(np.array_equal(got[k], new[k]) for k in new)
    got["W1"][0, 0] = 123.0  # state_dict returns copies
    new["W2"][0, 0] = 456.0  # load_state_dict copies too
    assert model.layers[0].neurons[0].w[0].data != 123.0
    assert model.layers[1].neurons[0].w[0].data != 456.0
    assert all(type(p.data) is float for p in model.parameters())


def test_neuron_and_layer_state_dicts() -> None:
    neuron = Neuron(3, seed=0)
    assert {k: v.shape for k, v in neuron.state_dict().items()} == {"w": (3,), "b": ()}
    neuron.load_state_dict({"w": np.array([1.0, 2.0, 3.0]), "b": np.array(0.5)})
    assert [p.data for p in neuron.parameters()] == [1.0, 2.0, 3.0, 0.5]
    layer = Layer(2, 3, seed=0)
    W = np.arange(6.0).reshape(2, 3)
    layer.load_state_dict({"W": W, "b": np.array([[7.0, 8.0, 9.0]])})
    assert [p.data for p in layer.neurons[1].parameters()] == [1.0, 4.0, 8.0]


def _snapshot(model: MLP) -> list[float]:
    return [p.data for p in model.parameters()]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.pop("b2"), r"missing key\(s\) \['b2'\]"),
        (lambda s: s.update(W3=np.zeros((1, 1))), r"unexpected key\(s\) \['W3'\]"),
        (lambda s: s.update(b2=np.zeros((1,))), r"'b2': expected shape \(1, 1\), got shape \(1,\)"),
        (
            lambda s: s.update(W1=np.zeros((16, 2))),
            r"'W1': expected shape \(2, 16\), got shape \(16, 2\)",
        ),
        (lambda s: s.update(W2=np.zeros((16, 1), complex)), "'W2': expected real numbers"),
        (lambda s: s.update(W2=np.full((16, 1), "a")), "'W2': expected real numbers"),
        (lambda s: s.update(b2=np.array([[True]])), "'b2': expected real numbers"),
        (lambda s: s.update(b2=np.array([[np.nan]])), "'b2': contains 1 non-finite"),
        (lambda s: s.update(W2=np.full((16, 1), np.inf)), "'W2': contains 16 non-finite"),
    ],
)
def test_load_state_dict_rejects_bad_state_and_changes_nothing(
    change: object, message: str
) -> None:
    model = MLP(2, [16, 1], seed=0)
    before = _snapshot(model)
    # Every other array is valid and different, so a partial load would show.
    state = {k: v + 1.0 for k, v in model.state_dict().items()}
    change(state)  # type: ignore[operator]
    with pytest.raises(StateDictError, match=message):
        model.load_state_dict(state)
    assert _snapshot(model) == before


def test_load_state_dict_allow_non_finite() -> None:
    model = MLP(1, [1], seed=0)
    model.load_state_dict(
        {"W1": np.array([[np.nan]]), "b1": np.array([[0.0]])}, allow_non_finite=True
    )
    assert math.isnan(model.parameters()[0].data)


def test_load_state_dict_accepts_integer_arrays_and_rejects_non_mappings() -> None:
    model = MLP(1, [1], seed=0)
    model.load_state_dict({"W1": np.array([[2]]), "b1": np.array([[3]])})
    assert _snapshot(model) == [2.0, 3.0]
    with pytest.raises(StateDictError, match="needs a mapping"):
        model.load_state_dict([("W1", 1)])  # type: ignore[arg-type]


# ---------------------------------------------------------------- save / load


def test_save_load_round_trip_at_the_exact_path(tmp_path: Path) -> None:
    source = MLP(2, [5, 1], seed=1)
    path = tmp_path / "weights.bin"  # no .npz suffix is added
    source.save(path)
    assert path.exists() and not (tmp_path / "weights.bin.npz").exists()
    target = MLP(2, [5, 1], seed=2)
    target.load(path)
    assert _snapshot(target) == _snapshot(source)
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["W1", "W2", "b1", "b2"]


def test_a_save_that_fails_part_way_leaves_the_old_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = MLP(2, [5, 1], seed=1)
    path = tmp_path / "weights.npz"
    old.save(path)
    real_savez = np.savez

    def disk_full_half_way(file: BinaryIO, **arrays: npt.NDArray[np.float64]) -> None:
        real_savez(file, **dict(list(arrays.items())[:1]))  # some bytes reach the file
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", disk_full_half_way)
    with pytest.raises(OSError, match="No space left"):
        MLP(2, [5, 1], seed=2).save(path)
    monkeypatch.undo()
    reloaded = MLP(2, [5, 1], seed=3)
    reloaded.load(path)
    assert _snapshot(reloaded) == _snapshot(old)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["weights.npz"]  # no partial file


def _valid_file(tmp_path: Path) -> Path:
    path = tmp_path / "valid.npz"
    MLP(2, [5, 1], seed=1).save(path)
    return path


def _write_truncated(tmp_path: Path) -> Path:
    data = _valid_file(tmp_path).read_bytes()
    path = tmp_path / "truncated.npz"
    path.write_bytes(data[: len(data) // 2])
    return path


def _write_flipped(tmp_path: Path) -> Path:
    # Same length, a few bytes of array data changed: the zip's CRC check catches it.
    data = bytearray(_valid_file(tmp_path).read_bytes())
    for position in range(200, 210):
        data[position] ^= 0xFF
    path = tmp_path / "flipped.npz"
    path.write_bytes(bytes(data))
    return path


def _write_compressed_corrupt(tmp_path: Path) -> Path:
    path = tmp_path / "compressed.npz"
    np.savez_compressed(path, **MLP(2, [5, 1], seed=1).state_dict())
    data = bytearray(path.read_bytes())
    for position in range(60, 90):
        data[position] ^= 0x5A
    path.write_bytes(bytes(data))
    return path


def _write_bytes(tmp_path: Path) -> Path:
    path = tmp_path / "garbage.npz"
    path.write_bytes(bytes(range(256)) * 4)
    return path


def _write_text(tmp_path: Path) -> Path:
    path = tmp_path / "notes.npz"
    path.write_text("W1 = [[1, 2]]\n")
    return path


def _write_corrupt_member(tmp_path: Path) -> Path:
    # A well-formed zip whose member is not a valid .npy array.
    path = tmp_path / "bad_member.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for key in ("W1", "b1", "W2", "b2"):
            archive.writestr(f"{key}.npy", b"\x93NUMPY garbage")
    return path


def _write_pickled(tmp_path: Path) -> Path:
    path = tmp_path / "pickled.npz"
    state = MLP(2, [5, 1], seed=1).state_dict()
    np.savez(path, **{**state, "W1": np.array([object()] * 10, dtype=object).reshape(2, 5)})
    return path


def _write_npy(tmp_path: Path) -> Path:
    path = tmp_path / "single.npy"
    np.save(path, np.zeros((2, 5)))
    return path


def _write_missing_key(tmp_path: Path) -> Path:
    path = tmp_path / "missing.npz"
    state = MLP(2, [5, 1], seed=1).state_dict()
    del state["b2"]
    np.savez(path, **state)
    return path


def _write_extra_key(tmp_path: Path) -> Path:
    path = tmp_path / "extra.npz"
    np.savez(path, **MLP(2, [5, 1], seed=1).state_dict(), W3=np.zeros((1, 1)))
    return path


def _write_wrong_shape(tmp_path: Path) -> Path:
    path = tmp_path / "shape.npz"
    np.savez(path, **MLP(2, [6, 1], seed=1).state_dict())  # 6 hidden instead of 5
    return path


@pytest.mark.parametrize(
    ("make_file", "message"),
    [
        (lambda d: d / "absent.npz", "absent.npz: no such file"),
        (lambda d: d, "is a directory"),
        (_write_truncated, "truncated.npz: not a readable .npz archive"),
        (_write_bytes, "garbage.npz: not a readable .npz archive"),
        (_write_flipped, "flipped.npz: not a readable .npz archive"),
        (_write_compressed_corrupt, "compressed.npz: not a readable .npz archive"),
        (_write_text, "notes.npz: not a readable .npz archive"),
        (_write_corrupt_member, "bad_member.npz: not a readable .npz archive"),
        (_write_pickled, "pickled.npz: 'W1': expected real numbers .* got dtype object"),
        (_write_npy, "single.npy: holds a single .npy array"),
        (_write_missing_key, r"missing.npz: MLP state does not match: missing key\(s\) \['b2'\]"),
        (_write_extra_key, r"extra.npz: MLP state does not match: unexpected key\(s\) \['W3'\]"),
        (_write_wrong_shape, r"shape.npz: 'W1': expected shape \(2, 5\), got shape \(2, 6\)"),
    ],
)
def test_load_bad_files_raise_clear_errors_and_change_nothing(
    tmp_path: Path, make_file: object, message: str
) -> None:
    path = make_file(tmp_path)  # type: ignore[operator]
    model = MLP(2, [5, 1], seed=2)
    before = _snapshot(model)
    with pytest.raises(StateDictError, match=message):
        model.load(path)
    assert _snapshot(model) == before


# ---------------------------------------------------------------- proof against the seed's NumPy


def _scalar_loss_and_grads(
    X: np.ndarray, y: np.ndarray, weights: dict[str, np.ndarray]
) -> tuple[float, dict[str, np.ndarray]]:
    model = MLP(X.shape[1], [weights["W1"].shape[1], 1])
    model.load_state_dict(weights)
    predictions = [model(row) for row in X]
    loss = squared_error(predictions, y)  # type: ignore[arg-type]
    loss.backward()
    # Read the gradients in the state_dict layout by loading them as weights of a twin.
    twin = MLP(X.shape[1], [weights["W1"].shape[1], 1])
    for target, source in zip(twin.parameters(), model.parameters(), strict=True):
        target.data = source.grad
    return loss.data, twin.state_dict()


def test_seed_experiment_gradients_match_elementwise_relative() -> None:
    """On the seed's own data and initial weights nothing cancels badly: plain
    elementwise relative agreement to 1e-12. (Random networks of every activation
    and depth are checked against the same backprop, with derived bounds, in
    test_autograd_properties.py.)"""
    X, y = two_clusters()
    weights = seed_initial_weights()
    reference = seed_backprop(X, y, weights)
    loss, grads = _scalar_loss_and_grads(X, y, weights)
    assert loss == pytest.approx(reference.loss, rel=1e-12, abs=0)
    for key, expected in reference.gradients().items():
        np.testing.assert_allclose(grads[key], expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize(
    "make", [lambda f: Neuron(2, f), lambda f: Layer(2, 3, f), lambda f: MLP(2, [2, 1], f)]
)
def test_an_activation_that_returns_no_value_is_named_at_the_first_call(
    make: Callable[[Callable[[Value], object]], Module],
) -> None:
    model = make(lambda z: 2.0)
    with pytest.raises(
        TypeError, match=r"the activation <lambda> returned float \(2.0\), not a Value"
    ):
        model([1.0, 2.0])
    assert make(lambda z: 2.0 * z)([1.0, 2.0]) is not None  # Value arithmetic is fine


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: MLP(2, [1], seed=-1), "seed must be a non-negative integer or None, got -1"),
        (lambda: Neuron(2, seed="1"), "seed must be a non-negative integer or None, got '1'"),
        (lambda: Layer(2, 1, seed=1.5), "seed must be a non-negative integer or None, got 1.5"),
        (lambda: MLP(2, None), "sizes must be a non-empty list of layer sizes, got None"),
        (lambda: MLP(2, 3), "sizes must be a non-empty list of layer sizes, got 3"),
        (lambda: MLP(2, "16"), "sizes must be a non-empty list of layer sizes, got '16'"),
    ],
)
def test_a_bad_seed_or_sizes_names_the_argument(make: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_sizes_may_be_any_sequence_of_integers() -> None:
    assert MLP(2, np.array([3, 1]), seed=0).sizes == MLP(2, (3, 1), seed=0).sizes == [3, 1]
