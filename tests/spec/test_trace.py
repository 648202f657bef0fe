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
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_lite import (
    MLP,
    SGD,
    Adam,
    Op,
    Value,
    apply,
    fit,
    linear,
    no_grad,
    topological_order,
    total,
)
from tinygrad_lite.datasets import seed_initial_weights, two_clusters
from tinygrad_lite.losses import squared_error
from tinygrad_lite.seed.network import PARAMETER_NAMES, TEXT_VALUES, build_network
from tinygrad_lite.trace import Traced, TraceError, trace
from tinygrad_lite.training import TracedSteps

RTOL = 1e-12

Fn = Callable[[list[Value]], Value | Sequence[Value]]


def absolute_gradients(root: Value) -> dict[Value, float]:
    """d root / d node with every local derivative replaced by its absolute value: the sum
    over paths of |products|, the scale of the rounding error any order of summing allows."""
    scale: dict[Value, float] = {root: 1.0}
    for node in reversed(topological_order(root)):
        if not node.operands or node.operation is None:
            continue
        data = [operand.data for operand in node.operands]
        for operand, local in zip(
            node.operands, node.operation.derivatives(data, node.data), strict=True
        ):
            scale[operand] = scale.get(operand, 0.0) + scale.get(node, 0.0) * abs(float(local))  # type: ignore[arg-type]
    return scale


def scalar_reference(
    fn: Fn, X: np.ndarray, leaves: list[Value]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """On the scalar engine, one example at a time: the outputs and input gradients per
    example, the leaf gradients summed over the examples, and the error scales
    (`absolute_gradients`) of the input and of the summed leaf gradients."""
    for leaf in leaves:
        leaf.grad = 0.0
    outputs, input_grads, input_scales = [], [], []
    leaf_scales = np.zeros(len(leaves))
    for row in X.tolist():
        inputs = [Value(x) for x in row]
        result = fn(inputs)
        outs = [result] if isinstance(result, Value) else list(result)
        root = total(outs)
        root.backward()
        scale = absolute_gradients(root)
        leaf_scales += [scale.get(leaf, 0.0) for leaf in leaves]
        input_scales.append([scale.get(x, 0.0) for x in inputs])
        outputs.append([out.data for out in outs])
        input_grads.append([x.grad for x in inputs])
    leaf_grads = np.array([leaf.grad for leaf in leaves])
    for leaf in leaves:
        leaf.grad = 0.0
    return (
        np.array(outputs),
        np.array(input_grads),
        leaf_grads,
        np.array(input_scales),
        leaf_scales,
    )


def assert_close(actual: np.ndarray, expected: np.ndarray, scale: np.ndarray | None = None) -> None:
    """|actual - expected| <= RTOL * scale elementwise (scale: |expected| by default);
    non-finite entries must match exactly (same inf, nan where nan)."""
    actual, expected = np.asarray(actual, float), np.asarray(expected, float)
    assert actual.shape == expected.shape
    finite = np.isfinite(expected)
    np.testing.assert_array_equal(actual[~finite], expected[~finite])
    bound = RTOL * (np.abs(expected) if scale is None else np.asarray(scale, float))
    error = np.abs(actual - expected)
    assert np.all(error[finite] <= bound[finite] + 1e-300), (
        f"max error {np.max(error[finite])}, bound {bound[finite][np.argmax(error[finite])]}"
    )


def check_against_scalar(fn: Fn, X: np.ndarray, leaves: list[Value]) -> Traced:
    expected_out, expected_input_grads, expected_leaf_grads, input_scale, leaf_scale = (
        scalar_reference(fn, X, leaves)
    )
    traced = trace(fn, X)
    for leaf in leaves:
        leaf.grad = 0.0
    out = traced.forward(X)
    traced.backward()
    assert_close(out.reshape(len(X), -1), expected_out)
    assert traced.input_grads is not None
    # gradients are sums over paths (and examples), added in another order: their error
    # scale is the sum of the absolute terms, not the size of the result
    assert_close(traced.input_grads, expected_input_grads, input_scale)
    assert_close(np.array([leaf.grad for leaf in leaves]), expected_leaf_grads, leaf_scale)
    return traced


# ---------------------------------------------------------------- random graphs

UNARY = ["exp", "tanh", "sigmoid", "relu", "neg", "square", "log1p_sq", "cube"]
BINARY = ["+", "-", "*", "/", "pow"]


def build(recipe: list[tuple[str, int, int]], inputs: list[Value], params: list[Value]) -> Value:
    """Apply ``recipe`` (op, operand index, operand index) to a pool of inputs and params;
    every step appends a node, so later steps can reuse earlier ones (shared subgraphs)."""
    pool: list[Value] = [*inputs, *params]
    for name, i, j in recipe:
        a, b = pool[i % len(pool)], pool[j % len(pool)]
        if name == "+":
            node = a + b
        elif name == "-":
            node = a - b
        elif name == "*":
            node = a * b
        elif name == "/":
            node = a / (b * b + 1.0)
        elif name == "pow":
            node = (a * a + 0.5) ** (b.tanh())
        elif name == "neg":
            node = -a
        elif name == "square":
            node = a**2
        elif name == "cube":
            node = a.tanh() ** 3
        elif name == "log1p_sq":
            node = (a * a + 1.0).log()
        elif name == "sum3":
            node = total([a, b, a])
        elif name == "linear":
            node = linear([a, b], [b, pool[(i + j) % len(pool)]], a)
        else:
            node = getattr(a, name)()
        pool.append(node)
    return total(pool[len(inputs) + len(params) :])


recipes = st.lists(
    st.tuples(
        st.sampled_from([*UNARY, *BINARY, "sum3", "linear"]),
        st.integers(0, 50),
        st.integers(0, 50),
    ),
    min_size=1,
    max_size=14,
)


@settings(max_examples=60, deadline=None)
@given(
    recipe=recipes,
    n_inputs=st.integers(1, 3),
    param_data=st.lists(st.floats(-1.5, 1.5), min_size=1, max_size=3),
    seed=st.integers(0, 2**16),
)
def test_random_graphs_match_the_scalar_engine(
    recipe: list[tuple[str, int, int]], n_inputs: int, param_data: list[float], seed: int
) -> None:
    params = [Value(p, label=f"p{k}") for k, p in enumerate(param_data)]
    X = np.random.default_rng(seed).uniform(-2.0, 2.0, size=(7, n_inputs))
    check_against_scalar(lambda v: build(recipe, v, params), X, params)


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
    expected_out, _, _, _, _ = scalar_reference(fn, X, [w])
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
