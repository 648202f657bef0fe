"""The engine's autograd against the property-test kit: random graphs, random MLPs,
second derivatives. Tolerances are derived, not chosen (see each test).

Failing examples hypothesis has found are kept below as explicit ``@example``s,
so they are checked on every run, whatever the database holds.
"""

from __future__ import annotations

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st
from shared_helpers import differences_with_tolerance

from tinygrad_lite import Value, grad, total
from tinygrad_lite.nn import MLP
from tinygrad_lite.testing import (
    Expression,
    MLPCase,
    assert_grads_close,
    assert_matches_reference,
    central_difference,
    expressions,
    mlps,
    to_numpy,
)
from tinygrad_lite.testing.mlp import flatten, flatten_arrays
from tinygrad_lite.testing.strategies import ALL_OPS, SMOOTH_OPS
from tinygrad_lite.trace import trace

EXAMPLES = settings().max_examples  # from the profile loaded in conftest.py
RTOL = 1e-12


@settings(max_examples=20 * EXAMPLES)
@given(expressions(ops=ALL_OPS, max_steps=10, max_depth=6))
def test_random_graphs_match_the_numpy_function_and_reverse_mode(expression: Expression) -> None:
    root, leaves = expression.build()
    point = [leaf.data for leaf in leaves]
    # the value: against the NumPy function drawn with the expression (same formula,
    # NumPy formulas), relative to the size of the numbers it is computed from
    scale = float(to_numpy(root, leaves).forward_scale(*point))
    numpy_value = float(expression.numpy(*point))
    assert abs(root.data - numpy_value) <= RTOL * scale, (expression, root.data, numpy_value)
    # the gradient: against reverse mode over arrays with the NumPy reference formulas
    assert_matches_reference(root, leaves, rtol=RTOL)


@settings(max_examples=10 * EXAMPLES)
@given(expressions(ops=ALL_OPS, max_steps=10, max_depth=6))
# the rounding error at x +- h is far larger than at x (x0 = 0 makes the x0*x0 term vanish)
@example(Expression(leaf_values=(0.0, 2.286776223673524e-192), steps=(("linear", 1, 0, 0, 0, 1),)))
# x + h rounds to h when |x| << h: the difference is centred on 0, not on x
@example(Expression(leaf_values=(3.6934198979853936e-148,), steps=(("*", 0, 0),)))
# values and derivatives that underflow to subnormals: rounding errors become absolute
@example(
    Expression(
        leaf_values=(4.0240601055102614e-302, 1.0, 1e-05),
        steps=(
            ("/", 2, 1),
            ("neg", 3),
            ("+", 4, 0),
            ("*", 5, 0),
            ("+", 6, 0),
            ("neg", 7),
            ("/", 6, 1),
            ("*", 9, 2),
        ),
    )
)
def test_random_graphs_match_central_differences(expression: Expression) -> None:
    """Tolerance: the derived error bound of the central difference (truncation estimated
    by Richardson from steps h and 2h, rounding from the forward error bound of the
    graph; see `central_difference`) plus the rounding of autograd itself."""
    root, leaves, estimate, tolerance = differences_with_tolerance(expression, RTOL)
    assert_grads_close(
        root,
        leaves,
        list(estimate),
        rtol=1.0,
        scale=list(tolerance),
        expected_name="central difference",
    )


@settings(max_examples=3 * EXAMPLES)
@given(expressions(n_leaves=(1, 3), ops=SMOOTH_OPS, max_steps=6, max_depth=4))
# the first-derivative graph holds x0**1, whose formula n*x**(n-1) for the second derivative
# would give 0 * inf at 0 (the engine writes it out as the constant 1)
@example(Expression(leaf_values=(0.0,), steps=(("**2", 0), ("exp", 1))))
def test_second_derivatives_match_differences_of_first_derivatives(
    expression: Expression,
) -> None:
    """grad(grad(f, create_graph=True)[i], x) against central differences of the first
    derivative's graph evaluated by the NumPy reference, with its derived error bound."""
    root, leaves = expression.build()
    point = [leaf.data for leaf in leaves]
    first = grad(root, leaves, create_graph=True)
    _, reference_first = to_numpy(root, leaves).value_and_grad(*point)
    for i, derivative in enumerate(first):
        assert derivative.data == reference_first[i] or abs(
            derivative.data - reference_first[i]
        ) <= RTOL * float(to_numpy(root, leaves).gradient_scale(*point)[i])
        if derivative.is_leaf:  # constant first derivative: its own derivatives are 0
            continue
        first_graph = to_numpy(derivative, leaves)
        difference = central_difference(
            first_graph, point, evaluation_error=first_graph.forward_error_bound
        )
        tolerance = difference.error_bound + RTOL * np.array(first_graph.gradient_scale(*point))
        assert_grads_close(
            derivative,
            leaves,
            list(difference.estimate),
            rtol=1.0,
            scale=list(tolerance),
            expected_name=f"central difference of d/d{leaves[i].label}",
        )


def test_mlp_case_builds_the_seeds_2_16_1_sigmoid_network() -> None:
    rng = np.random.default_rng(0)
    params = {
        "W1": rng.standard_normal((2, 16)),
        "b1": np.zeros((1, 16)),
        "W2": rng.standard_normal((16, 1)),
        "b2": np.zeros((1, 1)),
    }
    inputs, targets = rng.standard_normal((5, 2)), rng.integers(0, 2, (5, 1)).astype(float)
    case = MLPCase((2, 16, 1), ("sigmoid", "sigmoid"), params, inputs, targets)
    loss, value_params = case.engine_loss()
    _, leaves = flatten(value_params)
    _, numpy_grads = case.numpy_backprop()
    # the seed's loop, as written in the notebook (error = y - y_pred; W += lr * dW)
    z1 = inputs @ params["W1"] + params["b1"]
    a1 = 1 / (1 + np.exp(-z1))
    z2 = a1 @ params["W2"] + params["b2"]
    error = targets - 1 / (1 + np.exp(-z2))
    delta2 = error * (1 / (1 + np.exp(-z2))) * (1 - 1 / (1 + np.exp(-z2)))
    seed_dw2 = a1.T @ delta2
    np.testing.assert_allclose(-numpy_grads["W2"], seed_dw2, rtol=1e-14)
    (d_w2_first,) = grad(loss, [value_params["W2"][0][0]])
    assert d_w2_first.data == np.float64(-seed_dw2[0, 0]) or abs(
        d_w2_first.data + seed_dw2[0, 0]
    ) <= 1e-13 * abs(seed_dw2[0, 0])
    assert len(leaves) == 2 * 16 + 16 + 16 + 1


def test_a_scalar_graph_reused_many_times_keeps_every_contribution() -> None:
    x = Value(0.7, "x")
    shared = (x * x).tanh()
    out = shared * shared + shared.exp() - shared / (shared + 2.0)
    assert_matches_reference(out, [x])


# ---------------------------------------------------------------- the other engines of the project


def _state_dict_position(name: str) -> tuple[str, tuple[int, int]]:
    """Where an MLP parameter sits in the state_dict: ``layers.k.neurons.j.w.i`` is
    ``W{k+1}[i, j]``, ``layers.k.neurons.j.b`` is ``b{k+1}[0, j]``."""
    parts = name.split(".")
    layer, neuron = int(parts[1]) + 1, int(parts[3])
    if parts[4] == "w":
        return f"W{layer}", (int(parts[5]), neuron)
    return f"b{layer}", (0, neuron)


def _nn_mlp_loss(case: MLPCase) -> tuple[Value, list[Value]]:
    """The case as a `tinygrad_lite.nn.MLP` and the seed's loss; the parameters in the
    kit's `flatten` order (state_dict order, row by row)."""
    model = MLP(case.sizes[0], list(case.sizes[1:]), list(case.activations))
    model.load_state_dict(case.state_dict())
    squared_errors = []
    for sample, target in zip(case.inputs, case.targets, strict=True):
        outputs = model.forward([Value(float(x)) for x in sample])
        squared_errors += [
            (float(t) - y) * (float(t) - y) for y, t in zip(outputs, target, strict=True)
        ]
    by_position = {_state_dict_position(name): p for name, p in model.named_parameters()}
    ordered = [
        by_position[key, index]
        for key, array in case.params.items()
        for index in np.ndindex(array.shape)
    ]
    return 0.5 * total(squared_errors), ordered


@settings(max_examples=2 * EXAMPLES)
@given(mlps())
def test_random_mlps_match_the_seeds_numpy_backprop(case: MLPCase) -> None:
    """Two graphs of the same network, the kit's (`MLPCase.engine_loss`, one linear node
    per neuron) and `nn.MLP`'s: loss and every gradient equal the seed's NumPy backprop
    to RTOL relative to the size of the numbers each is computed from."""
    numpy_loss, numpy_grads = case.numpy_backprop()
    expected = list(flatten_arrays(numpy_grads))
    kit_loss, params = case.engine_loss()
    names, kit_leaves = flatten(params)
    assert names[0] == "W1[0,0]"
    for loss, leaves in ((kit_loss, kit_leaves), _nn_mlp_loss(case)):
        loss.backward()
        point = [leaf.data for leaf in leaves]
        reference = to_numpy(loss, leaves)
        assert abs(loss.data - numpy_loss) <= RTOL * float(reference.forward_scale(*point))
        scale = reference.gradient_scale(*point)
        assert_grads_close(
            loss, leaves, expected, rtol=RTOL, scale=list(scale), expected_name="seed backprop"
        )
        # backward() leaves the same numbers on .grad as grad() computes
        assert [leaf.grad for leaf in leaves] == [g.data for g in grad(loss, leaves)]


@settings(max_examples=2 * EXAMPLES)
@given(expressions(ops=ALL_OPS, max_steps=8, max_depth=5), st.floats(1e-6, 1e-3))
def test_traced_fast_path_matches_the_numpy_reference(
    expression: Expression, spread: float
) -> None:
    """trace() replays a graph over a batch; check its values and input gradients on a
    batch of nearby points against the reference reverse mode, to 1e-12 relative."""
    point = np.array(expression.leaf_values)
    offsets = np.linspace(-1.0, 1.0, 5)[:, None] * spread * np.maximum(1.0, np.abs(point))
    batch = point + offsets  # (5, n_leaves), close enough to stay where every op is smooth
    traced = trace(lambda inputs: expression.apply(inputs), batch)
    values = traced.forward(batch)
    traced.backward()
    root, leaves = expression.build()
    reference = to_numpy(root, leaves)
    columns = list(batch.T)
    expected_values, expected_grads = reference.value_and_grad(*columns)
    assert np.all(np.abs(values - expected_values) <= RTOL * reference.forward_scale(*columns))
    scales = reference.gradient_scale(*columns)
    assert traced.input_grads is not None
    for k in range(len(leaves)):
        error = np.abs(traced.input_grads[:, k] - expected_grads[k])
        assert np.all(error <= RTOL * scales[k]), (k, traced.input_grads[:, k], expected_grads[k])
