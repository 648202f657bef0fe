"""Checking a traced replay against the scalar engine, one example at a time, with
error bounds derived by the testing kit (used by tests/spec/test_trace.py and
tests/properties/test_trace_properties.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from tinygrad_lite import Value, topological_order, total
from tinygrad_lite.testing.numpy_graph import to_numpy
from tinygrad_lite.trace import Traced, trace

RTOL = 1e-12

Fn = Callable[[list[Value]], Value | Sequence[Value]]


def absolute_gradients(root: Value) -> dict[Value, float]:
    """d root / d node with every local derivative replaced by its absolute value: the
    sum over paths of |products|, the error scale for graphs whose operations the kit
    has no NumPy reference for (custom ops)."""
    scale: dict[Value, float] = {root: 1.0}
    for node in reversed(topological_order(root)):
        if not node.operands:
            continue
        data = [operand.data for operand in node.operands]
        for operand, local in zip(
            node.operands, node.operation.derivatives(data, node.data), strict=True
        ):
            scale[operand] = scale.get(operand, 0.0) + scale.get(node, 0.0) * abs(float(local))
    return scale


def _error_scales(
    root: Value, inputs: list[Value], leaves: list[Value], row: list[float]
) -> tuple[list[float], float]:
    """Each leaf's gradient error scale (inputs, then leaves) and the output's."""
    values = [*row, *(leaf.data for leaf in leaves)]
    try:
        reference = to_numpy(root, [*inputs, *leaves])
    except LookupError:  # a custom op: the sums over paths only
        scale = absolute_gradients(root)
        forward = sum(scale[node] * abs(node.data) for node in scale)
        return [scale.get(leaf, 0.0) for leaf in [*inputs, *leaves]], forward
    # the kit's first-order scales (tinygrad_lite.testing.numpy_graph): the roundings
    # along every path, of every local derivative formula, and of the forward values
    # feeding them (1 - tanh**2 turns one bit of tanh into many)
    gradients = [float(s) for s in reference.gradient_scale(*values)]
    return gradients, float(reference.forward_scale(*values))


def scalar_reference(
    fn: Fn, X: np.ndarray, leaves: list[Value]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """On the scalar engine, one example at a time: the outputs and input gradients per
    example, the leaf gradients summed over the examples, and the kit's error scales
    (`NumpyFunction.gradient_scale`, `forward_scale`) of the input gradients, of the summed
    leaf gradients and of the outputs."""
    for leaf in leaves:
        leaf.grad = 0.0
    outputs, input_grads, input_scales, output_scales = [], [], [], []
    leaf_scales = np.zeros(len(leaves))
    for row in X.tolist():
        inputs = [Value(x) for x in row]
        result = fn(inputs)
        outs = [result] if isinstance(result, Value) else list(result)
        root = total(outs)
        root.backward()
        scales, forward_scale = _error_scales(root, inputs, leaves, row)
        input_scales.append(scales[: len(inputs)])
        leaf_scales += scales[len(inputs) :]
        output_scales.append([forward_scale] * len(outs))
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
        np.array(output_scales),
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
    (
        expected_out,
        expected_input_grads,
        expected_leaf_grads,
        input_scale,
        leaf_scale,
        output_scale,
    ) = scalar_reference(fn, X, leaves)
    traced = trace(fn, X)
    for leaf in leaves:
        leaf.grad = 0.0
    out = traced.forward(X)
    traced.backward()
    assert_close(out.reshape(len(X), -1), expected_out, output_scale)
    assert traced.input_grads is not None
    # gradients are sums over paths (and examples), added in another order: their error
    # scale is the sum of the absolute terms, not the size of the result
    assert_close(traced.input_grads, expected_input_grads, input_scale)
    assert_close(np.array([leaf.grad for leaf in leaves]), expected_leaf_grads, leaf_scale)
    return traced
