"""Checking a traced replay against the scalar engine, one example at a time, with
error bounds from the sums over paths (used by tests/spec/test_trace.py and
tests/properties/test_trace_properties.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from tinygrad_lite import Value, topological_order, total
from tinygrad_lite.trace import Traced, trace

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
