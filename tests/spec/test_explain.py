"""Tests for tinygrad_lite.explain: chain-rule lines in the seed notebook's notation."""

from __future__ import annotations

import io
import math

import pytest
from two_one_network import numpy_reference

from tinygrad_lite import Value, explain, explain_lines, no_grad, topological_order
from tinygrad_lite.explain import ChainRule, NodeNames, Term, chain_rule_line, format_number
from tinygrad_lite.seed.network import build_network


def _g(x: float) -> str:
    return f"{x:.4g}"


def _by_head(lines: list[str]) -> dict[str, str]:
    return {line.split(" = ", 1)[0]: line for line in lines}


def test_the_issue_example_line_appears_for_the_seed_network() -> None:
    lines = explain_lines(build_network(labels="text")["L"])
    assert "dL/dz3 = dL/dy_pred * dy_pred/dz3 = -0.2264 * 0.2446 = -0.05537" in lines


def test_seed_lines_carry_the_numpy_quantities() -> None:
    ref = numpy_reference()
    sigmoid_derivative = {
        name: ref[f"value:{name}"] * (1 - ref[f"value:{name}"]) for name in ("a1", "a2", "y_pred")
    }
    lines = _by_head(explain_lines(build_network(labels="text")["L"]))
    assert lines["dL/dL"] == "dL/dL = 1"
    expected = {
        "dL/dz3": f"dL/dz3 = dL/dy_pred * dy_pred/dz3 = {_g(ref['y_pred'])} * "
        f"{_g(sigmoid_derivative['y_pred'])} = {_g(ref['z3'])}",
        "dL/db3": f"dL/db3 = dL/dz3 * dz3/db3 = {_g(ref['z3'])} * 1 = {_g(ref['b3'])}",
        "dL/dz1": f"dL/dz1 = dL/da1 * da1/dz1 = {_g(ref['a1'])} * "
        f"{_g(sigmoid_derivative['a1'])} = {_g(ref['z1'])}",
        "dL/dz2": f"dL/dz2 = dL/da2 * da2/dz2 = {_g(ref['a2'])} * "
        f"{_g(sigmoid_derivative['a2'])} = {_g(ref['z2'])}",
        "dL/da1": f"dL/da1 = dL/d(w3*a1) * d(w3*a1)/da1 = {_g(ref['z3'])} * 0.1 = {_g(ref['a1'])}",
        "dL/dw1": f"dL/dw1 = dL/d(w1*x) * d(w1*x)/dw1 = {_g(ref['z1'])} * 0.5 = {_g(ref['w1'])}",
        "dL/dy_pred": f"dL/dy_pred = dL/d(y-y_pred) * d(y-y_pred)/dy_pred = "
        f"{_g(-ref['y_pred'])} * (-1) = {_g(ref['y_pred'])}",
    }
    for head, line in expected.items():
        assert lines[head] == line


def test_a_node_used_twice_shows_the_sum_of_its_contributions() -> None:
    ref = numpy_reference()
    line = _by_head(explain_lines(build_network(labels="text")["L"]))["dL/dw3"]
    symbols, numbers, total = line.split(" = ")[1:]
    assert sorted(symbols.split(" + ")) == [
        "dL/d(w3*a1) * d(w3*a1)/dw3",
        "dL/d(w3*a2) * d(w3*a2)/dw3",
    ]
    # visit order is a2's product first (reverse topological order); negative factors
    # after the first are parenthesised
    a1, a2 = ref["value:a1"], ref["value:a2"]
    assert numbers == f"{_g(ref['z3'])} * {_g(a2)} + ({_g(ref['z3'])}) * {_g(a1)}"
    assert total == _g(ref["w3"])
    # the input x feeds two neurons: two terms as well
    x_line = _by_head(explain_lines(build_network(labels="text")["L"]))["dL/dx"]
    assert x_line.count(" + ") == 2 and x_line.endswith(f"= {_g(ref['x'])}")


def test_explain_is_read_only_and_backward_explain_prints_the_same_lines() -> None:
    nodes = build_network(labels="text")
    loss = nodes["L"]
    lines = explain_lines(loss)
    assert all(node.grad == 0.0 for node in nodes.values())
    buffer = io.StringIO()
    explain(loss, file=buffer)
    assert buffer.getvalue().splitlines() == lines

    reference = build_network(labels="text")
    reference["L"].backward()
    import contextlib

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        loss.backward(explain=True)
    assert printed.getvalue().splitlines() == lines
    for name, node in nodes.items():
        assert node.grad == reference[name].grad


def test_every_non_constant_node_gets_one_line_in_backward_order() -> None:
    loss = build_network(labels="text")["L"]
    lines = explain_lines(loss)
    heads = [line.split(" = ", 1)[0] for line in lines]
    assert len(heads) == len(set(heads))
    # 23 nodes: 9 leaves (8 labelled, the constant 0.5) and 14 operations;
    # the unlabelled constant gets no line
    assert len(topological_order(loss)) == 23
    assert len(lines) == 22
    assert heads[0] == "dL/dL"
    assert heads.index("dL/dz3") < heads.index("dL/da1") < heads.index("dL/dz1")
    assert heads.index("dL/dz1") < heads.index("dL/dw1")


def test_nodes_and_limit_select_lines() -> None:
    nodes = build_network(labels="text")
    loss = nodes["L"]
    full = explain_lines(loss)
    selected = explain_lines(loss, nodes=["w3", nodes["b1"]])
    # the selected lines, in backward order, identical to the full explanation's
    assert selected == [line for line in full if line.split(" = ")[0] in ("dL/dw3", "dL/db1")]
    assert len(selected) == 2
    limited = explain_lines(loss, limit=3)
    assert limited[:3] == explain_lines(loss)[:3]
    assert limited[3] == "... 19 more line(s) not shown (limit=3)"
    assert len(limited) == 4
    # a constant can be asked for explicitly: it is named by its value
    constant = loss.operands[0]
    assert explain_lines(loss, nodes=[constant])[0].startswith("dL/d0.5 = dL/dL * dL/d0.5 = 1 * ")


def test_bad_selection_is_refused_before_anything_runs() -> None:
    loss = build_network(labels="text")["L"]
    with pytest.raises(ValueError, match="'nope' is not a node of this graph"):
        explain_lines(loss, nodes=["nope"])
    with pytest.raises(ValueError, match="not a node of this graph"):
        explain_lines(loss, nodes=[Value(1.0)])
    with pytest.raises(TypeError, match="nodes= takes Values or labels"):
        explain_lines(loss, nodes=[3])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="limit must be a non-negative int"):
        explain_lines(loss, limit=-1)
    with pytest.raises(TypeError, match="seed gradient"):
        explain_lines(loss, "1")  # type: ignore[arg-type]
    with no_grad():
        detached = loss * 2
    with pytest.raises(RuntimeError, match="inside no_grad"):
        explain_lines(detached)


def test_unlabelled_nodes_get_expression_names_or_their_position() -> None:
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    product = a * b
    squashed = product.tanh()
    negated = -squashed
    squared = negated**2
    names = NodeNames(squared)
    assert names(product) == "(a*b)"
    assert names(squashed) == "tanh((a*b))"
    assert names(negated) == "(-tanh((a*b)))"
    # "((-tanh((a*b)))**2)" is 19 characters: still an expression
    assert names(squared) == "((-tanh((a*b)))**2)"
    short = NodeNames(squared, max_length=9)
    assert short(squared) == "v5" and short(negated) == "(-v3)" and short(product) == "(a*b)"
    # positions follow topological_order: a, b, product, squashed, negated, squared
    assert short(squashed) == "v3"  # "tanh((a*b))" is too long
    assert NodeNames(squared, max_length=10)(squared) == "((-v3)**2)"  # names nest


def test_chain_rule_line_is_usable_on_its_own() -> None:
    a = Value(2.0, label="a")
    out = a * a
    out.label = "out"
    names = NodeNames(out)
    terms = [Term(out, 1.0, 2.0, 2.0), Term(out, 1.0, 2.0, 2.0)]
    assert (
        chain_rule_line(a, 4.0, terms, names, out)
        == "dout/da = dout/dout * dout/da + dout/dout * dout/da = 1 * 2 + 1 * 2 = 4"
    )
    rule = ChainRule(out)
    steps = list(out.backward_steps())
    assert rule.line(steps[0]) == "dout/dout = 1"
    assert len(rule.terms(a)) == 2
    assert rule.line(steps[1]) == chain_rule_line(a, 4.0, terms, names, out)


def test_format_number_uses_four_significant_digits() -> None:
    assert format_number(-0.055374247) == "-0.05537"
    assert format_number(1.0) == "1"
    assert format_number(math.inf) == "inf"
    assert format_number(Value(0.5)) == "0.5"


# (explain on random graphs: tests/properties/test_explain_properties.py)


def test_formula_labels_are_parenthesised_so_they_read_as_one_name() -> None:
    y, y_pred = Value(0.8, label="y"), Value(0.6, label="y_pred")
    error = y - y_pred
    error.label = "y - y_pred"
    weight = Value(2.0, label="layers.0.neurons.1.w.0")
    loss = error * weight
    loss.label = "(y - y_pred)*w"
    lines = explain_lines(loss)
    assert lines[1] == (
        "d((y - y_pred)*w)/dlayers.0.neurons.1.w.0 = "
        "d((y - y_pred)*w)/d((y - y_pred)*w) * d((y - y_pred)*w)/dlayers.0.neurons.1.w.0 "
        "= 1 * 0.2 = 0.2"
    )
    assert lines[2].startswith("d((y - y_pred)*w)/d(y - y_pred) = ")
    already_enclosed = y * 1.0
    already_enclosed.label = "(y*1)"
    assert NodeNames(already_enclosed)(already_enclosed) == "(y*1)"


def test_the_explain_command_prints_the_seed_networks_chain_rule(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tinygrad_lite.cli import main

    assert main(["explain", "--nodes", "z3"]) == 0
    assert capsys.readouterr().out == (
        "dL/dz3 = dL/dy_pred * dy_pred/dz3 = -0.2264 * 0.2446 = -0.05537\n"
    )
    assert main(["explain", "--nodes", "z9"]) == 2
    assert "'z9' is not a node of this graph" in capsys.readouterr().err
    assert main(["explain", "--limit", "2"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "dL/dL = 1" and len(printed) == 3
    assert printed[2].startswith("... ") and printed[2].endswith("(limit=2)")
