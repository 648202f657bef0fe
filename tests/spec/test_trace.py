"""The traced fast path (tinygrad_lite.trace) gives the scalar engine's numbers.

Each check builds the same function twice: on the scalar engine one example at
a time (the reference), and traced and replayed over the whole batch. Values,
parameter gradients (summed over the batch) and input gradients (per example)
must agree to 1e-12 relative; the only differences are NumPy's exp/log/tanh
versus math's in the last bit and the order in which sums are added.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pytest
from trace_check import RTOL, assert_close, check_against_scalar, scalar_reference

from tinygrad_lite import (
    MLP,
    SGD,
    Adam,
    Op,
    Value,
    apply,
    fit,
    no_grad,
    total,
)
from tinygrad_lite.datasets import seed_initial_weights, two_clusters
from tinygrad_lite.losses import squared_error
from tinygrad_lite.seed.network import PARAMETER_NAMES, TEXT_VALUES, build_network
from tinygrad_lite.trace import TraceError, trace
from tinygrad_lite.training import TracedSteps

# (random graphs against the scalar engine: tests/properties/test_trace_properties.py)


# ---------------------------------------------------------------- the seed's networks


@pytest.mark.parametrize(
    "activations", [("sigmoid", "sigmoid"), ("tanh", "linear"), ("relu", "sigmoid")]
)
def test_seed_mlp_and_loss_match_the_scalar_engine(activations: tuple[str, str]) -> None:
    X, y = two_clusters()
    model = MLP(2, [16, 1], activations=list(activations))
    model.load_state_dict(seed_initial_weights())
    XY = np.column_stack((X, y))

    def example_loss(v: list[Value]) -> Value:
        return squared_error([model(v[:2])], [v[2]])

    traced = check_against_scalar(example_loss, XY, model.parameters())
    assert traced.n_groups < traced.n_nodes  # grouped, not node by node


def test_seed_two_one_network_matches() -> None:
    parameters = {name: Value(TEXT_VALUES[name]) for name in PARAMETER_NAMES}

    def network(v: list[Value]) -> Value:  # the course's builder, x and y traced inputs
        x, y = v
        return build_network({"x": x, "y": y, **parameters}, labels="text")["L"]

    X = np.array([[0.5, 0.8], [-1.0, 0.1], [2.0, 0.3]])
    check_against_scalar(network, X, list(parameters.values()))


@pytest.mark.parametrize(
    ("options", "make_optimizer"),
    [
        ({}, lambda params: SGD(params, lr=0.01)),
        ({"batch_size": 32, "shuffle": True, "seed": 5}, lambda params: SGD(params, 0.05, 0.9)),
        ({"loss": "mse"}, lambda params: Adam(params, lr=0.01)),
        ({"loss": "bce_with_logits", "batch_size": 50}, lambda params: SGD(params, lr=0.1)),
    ],
)
def test_fit_fast_ends_with_the_scalar_engines_parameters(
    options: dict[str, object], make_optimizer: Callable[[list[Value]], object]
) -> None:
    X, y = two_clusters()
    results = []
    for fast in (False, True):
        model = MLP(2, [16, 1], activations=["sigmoid", "sigmoid"])
        model.load_state_dict(seed_initial_weights())
        optimizer = make_optimizer(model.parameters())
        history = fit(
            model, X, y, epochs=12, optimizer=optimizer, fast=fast, progress=False, **options
        )  # type: ignore[arg-type]
        results.append((np.array([p.data for p in model.parameters()]), history))
    (slow_params, slow_history), (fast_params, fast_history) = results
    assert_close(fast_params, slow_params)
    assert_close(np.array(fast_history.loss), np.array(slow_history.loss))
    assert_close(np.array(fast_history.batch_loss), np.array(slow_history.batch_loss))
    assert fast_history.accuracy == slow_history.accuracy
    assert fast_history.updates == slow_history.updates


# ---------------------------------------------------------------- more shapes of function


def test_several_outputs_and_weighted_backward() -> None:
    w = Value(0.7, label="w")

    def fn(v: list[Value]) -> list[Value]:
        return [v[0] * w, (v[1] * w).exp()]

    X = np.array([[1.0, 0.5], [2.0, -0.5], [-1.0, 0.25]])
    traced = trace(fn, X)
    out = traced.forward(X)
    assert out.shape == (3, 2)
    weights = np.array([[1.0, 0.0], [0.5, 2.0], [0.0, 1.0]])
    traced.backward(weights)
    expected = sum(
        a * x0 + b * x1 * math.exp(x1 * 0.7) for (x0, x1), (a, b) in zip(X, weights, strict=True)
    )
    assert w.grad == pytest.approx(expected, rel=RTOL)


def test_backward_twice_adds_twice_like_the_engine() -> None:
    w = Value(1.5)
    traced = trace(lambda v: v[0] * w * w, [[2.0]])
    traced.forward([[2.0], [3.0]])
    traced.backward()
    first = w.grad
    traced.backward()
    assert first == 2 * 1.5 * (2.0 + 3.0)
    assert w.grad == 2 * first


def test_input_gradients_can_be_skipped_without_changing_the_others() -> None:
    w = Value(0.5)
    X = np.array([[1.0, 2.0], [3.0, -1.0]])
    traced = trace(lambda v: (v[0] * w + v[1] * v[0]).tanh(), X)
    traced.forward(X)
    traced.backward()
    with_inputs, input_grads = w.grad, traced.input_grads
    assert input_grads is not None and input_grads.shape == (2, 2)
    w.grad = 0.0
    traced.backward(input_grads=False)
    assert w.grad == with_inputs
    assert traced.input_grads is None


def test_forward_reads_updated_parameters() -> None:
    w = Value(1.0)
    traced = trace(lambda v: v[0] * w, [[2.0]])
    assert traced.forward([[2.0]]).tolist() == [2.0]
    w.data = 3.0
    assert traced.forward([[2.0]]).tolist() == [6.0]


class Softplus(Op):
    """log(1 + exp(a)); d/da = sigmoid(a) (a custom op with no NumPy kernel)."""

    name = "softplus"

    def forward(self, xs: Sequence[float]) -> float:
        return math.log1p(math.exp(xs[0]))

    def derivatives(self, xs: Sequence[object], out: object) -> tuple[object, ...]:
        a = xs[0]
        return (1.0 / (1.0 + (-a).exp()) if isinstance(a, Value) else 1.0 / (1.0 + math.exp(-a)),)


def test_custom_op_runs_element_by_element_with_the_same_numbers() -> None:
    w = Value(0.3)
    X = np.array([[0.5], [-1.0], [2.0]])
    check_against_scalar(lambda v: apply(Softplus(), v[0] * w) * w, X, [w])


def test_ieee_special_values_match_without_warnings() -> None:
    w = Value(1.0)

    def fn(v: list[Value]) -> Value:
        return (v[0] * w).log() + (v[0] * 1000.0).exp() + w / (v[0] - 1.0)

    X = np.array([[0.0], [-1.0], [1.0], [2.0]])
    expected_out, _, _, _, _, _ = scalar_reference(fn, X, [w])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        traced = trace(fn, X[:1])
        out = traced.forward(X)
        traced.backward()
    np.testing.assert_array_equal(out, expected_out[:, 0])  # -inf, nan, inf, finite


# ---------------------------------------------------------------- refusals


def test_branching_on_data_is_refused_with_the_differing_node() -> None:
    def fn(v: list[Value]) -> Value:
        return v[0] * 2.0 if v[0].data > 0 else v[0] + 1.0

    with pytest.raises(
        TraceError, match=r"different path.*node 2 is '\*' node .*but '\+' node .*example 1"
    ):
        trace(fn, [[1.0], [-1.0]])
    trace(fn, [[1.0], [2.0]])  # the same branch for every example given: traceable


def test_constant_computed_from_data_is_refused() -> None:
    with pytest.raises(TraceError, match=r"constant created inside fn is 2\.0 for example 0"):
        trace(lambda v: v[0] * Value(v[0].data * 2.0), [[1.0], [3.0]])


def test_branching_on_a_value_itself_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="truth value of a Value is ambiguous"):
        trace(lambda v: v[0] if v[0] else -v[0], [[1.0]])


def test_bad_functions_and_inputs_are_refused() -> None:
    with pytest.raises(TraceError, match="output 1 is float"):
        trace(lambda v: [v[0], 1.0], [[1.0]])  # type: ignore[list-item]
    with pytest.raises(TraceError, match="got float"):
        trace(lambda v: 1.0, [[1.0]])  # type: ignore[arg-type, return-value]
    with pytest.raises(TraceError, match="no outputs"):
        trace(lambda v: [], [[1.0]])
    with pytest.raises(ValueError, match="example_inputs must be"):
        trace(lambda v: v[0], np.zeros((0, 2)))
    with no_grad(), pytest.raises(TraceError, match="inside no_grad"):
        trace(lambda v: v[0] * 2.0, [[1.0]])
    traced = trace(lambda v: v[0] * v[1], [[1.0, 2.0]])
    with pytest.raises(RuntimeError, match="forward"):
        traced.backward()
    with pytest.raises(ValueError, match=r"shape \(batch, 2\), got shape \(3, 3\)"):
        traced.forward(np.zeros((3, 3)))
    traced.forward(np.ones((3, 2)))
    with pytest.raises(ValueError, match="grad_outputs of shape"):
        traced.backward(np.ones(4))


def test_fit_fast_refuses_a_loss_that_branches_per_example() -> None:
    X, y = two_clusters()
    model = MLP(2, [4, 1], activations=["tanh", "linear"], seed=0)
    before = [p.data for p in model.parameters()]

    def logistic_by_cases(logits: list[Value], targets: Sequence[float]) -> Value:
        # one formula for positive logits and another otherwise: a per-example path
        terms = [
            (1.0 - t) * z + (1.0 + (-z).exp()).log()
            if z.data > 0.0
            else -(t * z) + (1.0 + z.exp()).log()
            for z, t in zip(logits, targets, strict=True)
        ]
        return total(terms)

    with pytest.raises(TraceError, match="cannot trace this model and loss"):
        fit(model, X, y, loss=logistic_by_cases, epochs=1, fast=True, progress=False)
    assert [p.data for p in model.parameters()] == before


def test_fit_fast_refuses_a_loss_that_is_neither_sum_nor_mean() -> None:
    X, y = two_clusters()
    model = MLP(2, [2, 1], seed=0)

    def squared_sum(predictions: list[Value], targets: Sequence[float]) -> Value:
        return total([p - t for p, t in zip(predictions, targets, strict=True)]) ** 2

    with pytest.raises(TraceError, match="sum or a mean of per-example terms"):
        fit(model, X, y, loss=squared_sum, epochs=1, fast=True, progress=False)


def test_a_path_that_changes_with_the_parameters_is_caught_after_training() -> None:
    X, y = two_clusters()
    model = MLP(2, [1], activations=["linear"], seed=0)
    bias = model.parameters()[-1]

    def loss(predictions: list[Value], targets: Sequence[float]) -> Value:
        terms = [
            (p - t) ** 2 if bias.data >= 0.0 else (p - t) ** 4
            for p, t in zip(predictions, targets, strict=True)
        ]
        return total(terms)

    steps = TracedSteps(model, loss, SGD(model.parameters()), X, y.reshape(-1, 1))
    steps.check_path()  # unchanged parameters: the same path
    bias.data = -1.0
    with pytest.raises(TraceError, match="different graph than at the start of training"):
        steps.check_path()


def test_fit_fast_tells_a_mean_loss_even_when_the_first_examples_have_zero_loss() -> None:
    # relu outputs 0 on the first two rows and their targets are 0: their losses are 0,
    # which once made the probe call mse a sum (n-times-too-large steps, silently).
    X = np.array([[-1.0, -1.0], [-2.0, -1.0], [1.0, 2.0], [2.0, 0.5], [0.5, 0.5]])
    y = np.array([0.0, 0.0, 2.0, 3.0, 0.5])  # the last three rows are off: real updates
    start = {"W1": np.array([[1.0], [1.0]]), "b1": np.array([[0.0]])}
    finals = []
    for fast in (False, True):
        model = MLP(2, [1], activations=["relu"], seed=0)
        model.load_state_dict(start)
        history = fit(
            model,
            X,
            y,
            loss="mse",
            optimizer=SGD(model.parameters(), lr=0.05),
            epochs=3,
            fast=fast,
            progress=False,
        )
        finals.append((np.array([p.data for p in model.parameters()]), history.loss))
    (scalar_params, scalar_loss), (fast_params, fast_loss) = finals
    np.testing.assert_allclose(fast_params, scalar_params, rtol=1e-12, atol=0.0)
    np.testing.assert_allclose(fast_loss, scalar_loss, rtol=1e-12, atol=0.0)


def test_fit_fast_restores_the_weights_when_the_path_changed_during_training() -> None:
    X = np.zeros((5, 2))
    y = np.full(5, -1.0)
    model = MLP(2, [1], activations=["linear"], seed=0)
    model.load_state_dict({"W1": np.zeros((2, 1)), "b1": np.array([[0.01]])})
    bias = model.parameters()[-1]
    before = model.state_dict()

    def loss(predictions: list[Value], targets: Sequence[float]) -> Value:
        terms = [
            (p - t) ** 2 if bias.data >= 0.0 else (p - t) ** 4
            for p, t in zip(predictions, targets, strict=True)
        ]
        return total(terms)

    optimizer = SGD(model.parameters(), lr=0.1)  # one step takes the bias below zero
    with pytest.raises(TraceError, match="weights from before"):
        fit(model, X, y, loss=loss, optimizer=optimizer, epochs=2, fast=True, progress=False)
    after = model.state_dict()
    assert after.keys() == before.keys()
    for key in before:
        np.testing.assert_array_equal(after[key], before[key])


def test_the_buffers_kept_between_calls_stay_bounded_over_many_batch_sizes() -> None:
    model = MLP(3, [4, 1])
    traced = trace(lambda v: model(v), np.zeros((1, 3)))
    rng = np.random.default_rng(0)
    for batch in range(1, 60):
        X = rng.normal(size=(batch, 3))
        outputs = traced.forward(X)
        traced.backward()
        assert outputs.shape == (batch,)
        assert traced.input_grads is not None and traced.input_grads.shape == (batch, 3)
    assert len(traced._buffers) <= 4  # Traced.MAX_CACHED_BATCH_SIZES, not one pair per size
    # a size seen again, after others pushed it out, still gives the scalar engine's numbers
    X = rng.normal(size=(5, 3))
    for parameter in model.parameters():
        parameter.grad = 0.0
    traced.forward(X)
    traced.backward()
    traced_grads = [parameter.grad for parameter in model.parameters()]
    for parameter in model.parameters():
        parameter.grad = 0.0
    total([model([Value(x) for x in row]) for row in X.tolist()]).backward()
    np.testing.assert_allclose(
        traced_grads, [parameter.grad for parameter in model.parameters()], rtol=1e-12
    )
