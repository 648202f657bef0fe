"""The traced fast path on the kit's random expressions: some leaves are inputs,
replayed over a batch of nearby examples, the others parameters whose gradients
are summed over the batch; all as the scalar engine gives them, to 1e-12 relative
of the sums over paths (see tests/trace_check.py)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from trace_check import check_against_scalar

from tinygrad_lite import Value
from tinygrad_lite.testing.expression import Expression
from tinygrad_lite.testing.strategies import ALL_OPS, expressions


@settings(max_examples=60)
@given(expressions(n_leaves=(2, 5), max_depth=6, ops=ALL_OPS, max_steps=14), st.data())
def test_random_graphs_match_the_scalar_engine(expression: Expression, data: st.DataObject) -> None:
    n_inputs = data.draw(st.integers(1, expression.n_leaves - 1), label="n_inputs")
    point = np.array(expression.leaf_values[:n_inputs])
    params = [Value(p, label=f"p{k}") for k, p in enumerate(expression.leaf_values[n_inputs:])]
    spread = data.draw(st.floats(1e-6, 1e-3), label="spread")
    # seven examples close enough to the drawn point to stay where every operation is smooth
    X = point + np.linspace(-1.0, 1.0, 7)[:, None] * spread * np.maximum(1.0, np.abs(point))
    check_against_scalar(lambda inputs: expression.apply([*inputs, *params]), X, params)
