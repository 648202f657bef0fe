"""Stepping through backprop on the kit's random expressions: a pass taken step by step
equals `backward`, and a pass stopped half way leaves the documented partial state."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_lite import backward_steps, topological_order
from tinygrad_lite.testing.expression import Expression
from tinygrad_lite.testing.strategies import ALL_OPS, expressions

# long programs over shared subexpressions, kinks (relu, abs) included
graphs = expressions(n_leaves=(1, 5), max_depth=8, ops=ALL_OPS, max_steps=25)


@settings(max_examples=60)
@given(graphs, st.floats(-2, 2))
def test_stepping_fully_equals_backward(expression: Expression, seed: float) -> None:
    out, leaves = expression.build()
    nodes = [*leaves, *topological_order(out)]
    out.backward(seed)
    out.backward(seed)  # two passes: the steps must accumulate the same way
    expected = [node.grad for node in nodes]
    out.zero_grad()
    for leaf in leaves:
        leaf.grad = 0.0
    for _ in range(2):
        steps = list(backward_steps(out, seed))
        assert len(steps) == len(topological_order(out))
    assert [node.grad for node in nodes] == expected


@settings(max_examples=40)
@given(graphs, st.data())
def test_stopping_half_way_leaves_the_documented_partial_state(
    expression: Expression, data: st.DataObject
) -> None:
    out, _ = expression.build()
    out.backward()
    order = list(reversed(topological_order(out)))
    full = {node: node.grad for node in order}
    out.zero_grad()
    stop_after = data.draw(st.integers(0, len(order)))
    steps = backward_steps(out)
    for _ in range(stop_after):
        next(steps)
    steps.close()
    # visited nodes hold this pass's complete gradient; the others are untouched
    for position, node in enumerate(order):
        assert node.grad == (full[node] if position < stop_after else 0.0)
    # no contribution was left pending: a full pass afterwards adds exactly one pass
    out.backward()
    for position, node in enumerate(order):
        assert node.grad == (full[node] + full[node] if position < stop_after else full[node])
