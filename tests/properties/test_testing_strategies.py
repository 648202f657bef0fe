"""The kit's hypothesis strategies: what they draw, and what they refuse."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import find, given, settings

from tinygrad_lite import topological_order
from tinygrad_lite.testing import Expression, MLPCase, expressions, finite_values, mlps
from tinygrad_lite.testing.expression import FUNCTION_REFERENCES
from tinygrad_lite.testing.strategies import (
    ALL_OPS,
    DOMAIN_MARGIN,
    KINK_MARGIN,
    MAGNITUDE_LIMIT,
    SMOOTH_OPS,
)


@given(finite_values(-2.0, 5.0, avoid=(0.0, 1.0), margin=0.1))
def test_finite_values_stay_in_range_and_away_from_the_avoided_points(x: float) -> None:
    assert -2.0 <= x <= 5.0
    assert abs(x) >= 0.1 and abs(x - 1.0) >= 0.1


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((1.0, 1.0), {}, "min_value < max_value"),
        ((0.0, float("inf")), {}, "max_value must be a finite number"),
        ((-1.0, 1.0), {"margin": -1.0}, "margin must be >= 0"),
        ((-1.0, 1.0), {"avoid": (0.0,), "margin": 2.0}, "nothing in"),
    ],
)
def test_finite_values_rejects_impossible_requests(
    args: tuple[float, float], kwargs: dict[str, object], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        finite_values(*args, **kwargs)  # type: ignore[arg-type]


def _depth(expression: Expression) -> int:
    depths = [0] * expression.n_leaves
    for step in expression.steps:
        slots = [] if step[0] == "const" else [int(s) for s in step[1:]]  # type: ignore[call-overload]
        depths.append(1 + max((depths[s] for s in slots), default=-1))
    return depths[-1]


@settings(max_examples=300)
@given(expressions(n_leaves=(2, 3), max_depth=3, ops=ALL_OPS))
def test_expressions_stay_where_every_operation_is_smooth(expression: Expression) -> None:
    root, leaves = expression.build()
    assert 2 <= len(leaves) <= 3 and not root.is_leaf
    assert _depth(expression) <= 3
    for node in topological_order(root):
        assert np.isfinite(node.data) and abs(node.data) <= MAGNITUDE_LIMIT
        if node.op == "**":
            assert node.operands[0].data >= DOMAIN_MARGIN
        if node.op == "/":
            assert abs(node.operands[1].data) >= DOMAIN_MARGIN
        reference = FUNCTION_REFERENCES.get(node.op)
        if reference is not None:  # log's argument >= 0.1, relu's at least 0.01 from 0, ...
            low, high = reference.smooth_on
            x = node.operands[0].data
            assert low + DOMAIN_MARGIN <= x <= high - DOMAIN_MARGIN
            assert all(abs(x - kink) >= KINK_MARGIN for kink in reference.kinks)
    assert float(expression.numpy(*expression.leaf_values)) == pytest.approx(root.data, rel=1e-12)


@given(expressions(ops=("+", "tanh")))
def test_expressions_use_only_the_operations_asked_for(expression: Expression) -> None:
    used = {str(step[0]) for step in expression.steps}
    assert used <= {"+", "tanh", "const", "neg"}  # neg: the fallback root -x0


def test_expressions_reuse_intermediate_results() -> None:
    def shares_an_intermediate(expression: Expression) -> bool:
        root, _ = expression.build()
        uses: dict[object, int] = {}
        for node in topological_order(root):
            for operand in node.operands:
                uses[operand] = uses.get(operand, 0) + 1
        return any(count > 1 and not node.is_leaf for node, count in uses.items())  # type: ignore[attr-defined]

    found = find(expressions(ops=SMOOTH_OPS), shares_an_intermediate)
    assert shares_an_intermediate(found)


def test_expression_repr_is_valid_python_for_example_decorators() -> None:
    expression = find(expressions(n_leaves=2), lambda e: len(e.steps) >= 3)
    assert eval(repr(expression)) == expression


@pytest.mark.parametrize(
    ("leaf_values", "steps", "match"),
    [
        ((), (("neg", 0),), "at least one leaf"),
        ((1.0,), (), "at least one step"),
        ((1.0,), (("erf", 0),), "'erf' is not an operation"),
        ((1.0,), (("+", 0),), "'\\+' takes 2 slots"),
        ((1.0,), (("neg", 1),), "slot 1 is not one of the 1 slots"),
        ((1.0,), (("linear", 0, 0),), "2n\\+1 slots"),
        ((1.0,), (("const", 2.0),), "root.*must be an operation"),
    ],
)
def test_expression_rejects_malformed_programs(
    leaf_values: tuple[float, ...], steps: tuple[tuple[object, ...], ...], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        Expression(leaf_values, steps)


def test_expressions_rejects_unknown_operations_and_bad_sizes() -> None:
    with pytest.raises(ValueError, match="unknown operations \\['erf'\\]"):
        expressions(ops=("erf",))
    with pytest.raises(ValueError, match="n_leaves"):
        expressions(n_leaves=0)


@given(mlps(hidden_layers=(1, 2), batch=3))
def test_mlps_draw_consistent_networks(case: MLPCase) -> None:
    sizes = case.sizes
    assert 3 <= len(sizes) <= 4 and case.inputs.shape == (3, sizes[0])
    for layer in range(1, len(sizes)):
        assert case.params[f"W{layer}"].shape == (sizes[layer - 1], sizes[layer])
        assert case.params[f"b{layer}"].shape == (1, sizes[layer])
    rebuilt = eval(repr(case), {"MLPCase": MLPCase, "np": np})
    assert all(np.array_equal(rebuilt.params[k], v) for k, v in case.params.items())


def test_mlps_and_mlp_case_reject_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown activation 'softmax'"):
        mlps(activations=("softmax",))
    with pytest.raises(ValueError, match="width must be >= 1"):
        mlps(width=0)
    with pytest.raises(ValueError, match="params\\['W1'\\] must have shape \\(2, 1\\)"):
        MLPCase(
            (2, 1),
            ("linear",),
            {"W1": np.zeros((1, 2)), "b1": np.zeros((1, 1))},
            np.zeros((1, 2)),
            np.zeros((1, 1)),
        )


def test_the_kit_imports_without_hypothesis_and_the_strategies_say_what_to_install() -> None:
    script = textwrap.dedent(
        """
        import sys
        sys.modules["hypothesis"] = None  # what Python sees when it is not installed
        import tinygrad_lite
        from tinygrad_lite.testing import *
        assert gradcheck(lambda x: x * x, [1.5])
        assert "expressions" not in dir()
        try:
            from tinygrad_lite.testing import finite_values
        except ImportError as error:
            print(error)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "needs hypothesis" in result.stdout and "tinygrad-lite[testing]" in result.stdout
