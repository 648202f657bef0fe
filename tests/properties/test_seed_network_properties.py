"""The seed network at any values: autograd equals the NumPy reference and the text's
diagnosis (dL/dw1 = (a1 + a2) * true dL/dw1, ...) holds."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from two_one_network import numpy_reference

from tinygrad_lite.seed import network
from tinygrad_lite.seed.network import build_network

# the gradients checked (x's two terms may cancel, so it is left out)
CHECKED_GRADIENTS = ("y_pred", "w3", "b3", "a1", "a2", "z1", "z2", "w1", "b1", "w2", "b2")


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-3, 3), min_size=8, max_size=8))
def test_autograd_and_the_diagnosis_for_any_values(numbers):
    values = dict(zip(network.LEAF_NAMES, numbers, strict=True))
    nodes = build_network(values)
    nodes["L"].backward()
    reference = numpy_reference(values)
    expected = {node: reference[node] for node in CHECKED_GRADIENTS}
    for node, gradient in expected.items():
        assert math.isclose(nodes[node].grad, gradient, rel_tol=1e-12, abs_tol=1e-300), node
    text = network.text_derivation(values)
    a1_plus_a2 = nodes["a1"].data + nodes["a2"].data
    for name in ("dL_dw1", "dL_db1", "dL_dw2", "dL_db2"):
        node = name.removeprefix("dL_d")
        assert math.isclose(
            text[name], a1_plus_a2 * nodes[node].grad, rel_tol=1e-12, abs_tol=1e-300
        )
