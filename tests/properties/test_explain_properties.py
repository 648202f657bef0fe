"""explain on the kit's random expressions: each leaf's line states the gradient that
backward() leaves, and its printed terms add up to it."""

from __future__ import annotations

import re

from hypothesis import given, settings

from tinygrad_lite import explain_lines
from tinygrad_lite.explain import NodeNames
from tinygrad_lite.testing.expression import Expression
from tinygrad_lite.testing.strategies import expressions

OPS = ("+", "-", "*", "tanh", "sigmoid", "exp", "**2", "neg")


@settings(max_examples=40)
@given(expressions(n_leaves=(2, 4), max_depth=6, ops=OPS, max_steps=12))
def test_line_numbers_agree_with_the_gradients(expression: Expression) -> None:
    out, leaves = expression.build()
    lines = explain_lines(out)
    out.backward()
    by_head = {line.split(" = ", 1)[0]: line for line in lines}
    for leaf in leaves:
        head = f"d{NodeNames(out)(out)}/d{leaf.label}"
        if leaf.grad == 0.0 and head not in by_head:
            continue  # not part of out's graph
        line = by_head[head]
        # the stated total is the gradient backward() leaves, and each term's product
        # adds up to it (to the 4 digits printed)
        # (compared as numbers: a pass's -0.0 is 0.0 once added to a .grad of 0.0)
        assert float(line.rsplit(" = ", 1)[1]) == float(f"{leaf.grad:.4g}")
        products = re.findall(
            r"\(?(-?[\d.e+-]+|-?inf|nan)\)? \* \(?(-?[\d.e+-]+|-?inf|nan)\)?", line
        )
        terms = [float(u) * float(v) for u, v in products]
        # each printed factor is within 5e-4 (relative) of the true one, so each printed
        # product is within about 1e-3 of its term: the bound scales with sum(|term|), not
        # with the total, which may cancel to 0
        bound = 1.001e-3 * sum(abs(term) for term in terms) / (1 - 1e-3) + 1e-300
        assert abs(sum(terms) - leaf.grad) <= bound
