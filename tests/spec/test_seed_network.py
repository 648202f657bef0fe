"""The seed's 2-1 network: forward bit for bit, three gradient columns, the update, the CLI."""

from __future__ import annotations

import html
import json
import math
import sys

import numpy as np
import pytest
from seed_helpers import png_size
from two_one_network import numpy_reference

from tinygrad_lite import Value, topological_order
from tinygrad_lite.cli import main
from tinygrad_lite.seed import network
from tinygrad_lite.seed.network import (
    FINITE_DIFFERENCE_STEP,
    GRADIENT_NAMES,
    TEXT_VALUES,
    build_network,
    run,
)


def sigmoid(x):  # the text's cell, verbatim
    return 1 / (1 + np.exp(-x))


def sigmoid_derivative(x):  # the text's cell, verbatim
    return sigmoid(x) * (1 - sigmoid(x))


def text_cells():
    """The seed notebook's 2-1 network cells, copied as the text writes them."""
    x = 0.5
    y = 0.8
    w1 = 0.2
    w2 = -0.3
    b1 = 0.4
    b2 = -0.5
    w3 = 0.1
    b3 = 0.2
    z1 = w1 * x + b1
    a1 = sigmoid(z1)
    z2 = w2 * x + b2
    a2 = sigmoid(z2)
    z3 = w3 * a1 + w3 * a2 + b3
    y_pred = sigmoid(z3)
    L = 0.5 * (y - y_pred) ** 2
    dL_dy_pred = y_pred - y
    dz3_dw3 = a1 + a2
    dL_dw3 = dL_dy_pred * sigmoid_derivative(z3) * dz3_dw3
    dz3_db3 = 1
    dL_db3 = dL_dy_pred * sigmoid_derivative(z3) * dz3_db3
    dz3_da1 = w3
    dL_da1 = dL_dw3 * dz3_da1 * sigmoid_derivative(z1)
    dz3_da2 = w3
    dL_da2 = dL_dw3 * dz3_da2 * sigmoid_derivative(z2)
    dz1_dw1 = x
    dL_dw1 = dL_da1 * dz1_dw1
    dz1_db1 = 1
    dL_db1 = dL_da1 * dz1_db1
    dz2_dw2 = x
    dL_dw2 = dL_da2 * dz2_dw2
    dz2_db2 = 1
    dL_db2 = dL_da2 * dz2_db2
    cells = dict(locals())
    learning_rate = 0.1
    w1 -= learning_rate * dL_dw1
    b1 -= learning_rate * dL_db1
    w2 -= learning_rate * dL_dw2
    b2 -= learning_rate * dL_db2
    w3 -= learning_rate * dL_dw3
    b3 -= learning_rate * dL_db3
    cells["updated"] = {"w1": w1, "b1": b1, "w2": w2, "b2": b2, "w3": w3, "b3": b3}
    return cells


EPS = sys.float_info.epsilon
# A handful of roundings separate two orders of evaluating one formula.
ROUNDING_RTOL = 16 * EPS


@pytest.fixture(scope="module")
def report():
    return run()


def test_forward_values_equal_the_text_bit_for_bit(report):
    cells = text_cells()
    for name in network.FORWARD_NAMES:
        assert report.forward[name] == cells[name], name
        assert report.nodes[name].data == cells[name], name


def test_text_column_is_the_texts_own_derivation(report):
    cells = text_cells()
    for row in report.gradients:
        assert row.text == cells[row.name], row.name


def test_every_node_carries_the_texts_name(report):
    labels = [node.label for node in topological_order(report.nodes["L"])]
    assert all(labels), labels
    assert len(labels) == len(set(labels))
    for name in (*network.LEAF_NAMES, *network.FORWARD_NAMES):
        assert report.nodes[name].label == name


def test_autograd_column_is_the_correct_chain_rule(report):
    expected = numpy_reference()
    for row in report.gradients:
        assert math.isclose(row.autograd, expected[row.node], rel_tol=ROUNDING_RTOL), row.name


def test_finite_difference_column_matches_autograd(report):
    h = FINITE_DIFFERENCE_STEP
    loss = report.forward["L"]
    third_derivative = 1e-3  # |d3L/dv3| < 1e-3 for every node here (measured by third differences)
    for row in report.gradients:
        v = report.nodes[row.node].data
        # Truncation h**2/6 * |d3L/dv3|, plus rounding: a few eps of L in each of the two
        # losses, and v + h itself rounded (moving the step by eps * |v|), both over 2h.
        bound = h**2 / 6 * third_derivative + 8 * EPS * (loss + abs(v * row.autograd)) / h
        assert abs(row.finite_difference - row.autograd) <= bound, row.name


def test_text_rows_that_agree_and_disagree(report):
    verdicts = {row.name: row.agrees for row in report.gradients}
    assert verdicts == {
        "dL_dy_pred": True,
        "dL_dw3": True,
        "dL_db3": True,
        "dL_da1": False,
        "dL_da2": False,
        "dL_dw1": False,
        "dL_db1": False,
        "dL_dw2": False,
        "dL_db2": False,
    }
    for row in report.gradients:
        if row.agrees:
            assert math.isclose(row.text, row.autograd, rel_tol=ROUNDING_RTOL)
            assert row.explanation == ""
        else:
            assert row.explanation.startswith("The ")


def test_the_diagnosis_holds_exactly(report):
    """Each wrong number is (a1 + a2) times the gradient the explanation names."""
    nodes = report.nodes
    a1_plus_a2 = nodes["a1"].data + nodes["a2"].data
    compared = {"dL_da1": "z1", "dL_da2": "z2"}
    for row in report.gradients:
        if row.agrees:
            continue
        truth = nodes[compared.get(row.name, row.node)].grad
        assert math.isclose(row.text / truth, a1_plus_a2, rel_tol=ROUNDING_RTOL), row.name
        assert f"a1 + a2 = {a1_plus_a2:.15g}" in row.explanation


def test_update_matches_the_texts_cell_bit_for_bit(report):
    cells = text_cells()
    update = report.update
    assert update.after_text == cells["updated"]
    for name in network.PARAMETER_NAMES:
        expected = TEXT_VALUES[name] - 0.1 * report.nodes[name].grad
        assert update.after_autograd[name] == expected


def test_loss_after_the_update(report):
    update = report.update
    for after, loss in (
        (update.after_text, update.loss_after_text),
        (update.after_autograd, update.loss_after_autograd),
    ):
        z1 = after["w1"] * 0.5 + after["b1"]
        z2 = after["w2"] * 0.5 + after["b2"]
        z3 = after["w3"] * sigmoid(z1) + after["w3"] * sigmoid(z2) + after["b3"]
        assert loss == 0.5 * (0.8 - sigmoid(z3)) ** 2
    # Both steps go downhill; the true gradient's step goes further.
    assert update.loss_after_autograd < update.loss_after_text < update.loss_before


def test_bad_values_are_refused():
    with pytest.raises(ValueError, match="missing: \\['b3'\\]"):
        build_network({k: v for k, v in TEXT_VALUES.items() if k != "b3"})
    with pytest.raises(ValueError, match="unknown: \\['w4'\\]"):
        build_network({**TEXT_VALUES, "w4": 1.0})
    with pytest.raises(ValueError, match="no node with that name"):
        network.finite_difference(TEXT_VALUES, "a3")


def test_cli_json(tmp_path, capsys):
    assert main(["seed", "--json", "--out", str(tmp_path)]) == 0
    data = json.loads(capsys.readouterr().out)
    cells = text_cells()
    assert [row["name"] for row in data["gradients"]] == list(GRADIENT_NAMES)
    for name, entry in data["forward"].items():
        assert entry["tinygrad_lite"] == cells[name] and entry["bit_for_bit"] is True
    assert data["update"]["after_text"] == cells["updated"]
    disagreeing = [row["name"] for row in data["gradients"] if not row["agrees"]]
    assert disagreeing == ["dL_da1", "dL_da2", "dL_dw1", "dL_db1", "dL_dw2", "dL_db2"]


def test_cli_text_output(tmp_path, capsys):
    assert main(["seed", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "bit for bit" in out and "TEXT IS WRONG" in out
    assert out.count(" yes\n") == len(network.FORWARD_NAMES)
    assert f"svg: {tmp_path / 'seed_network.svg'}" in out


def test_graph_is_drawn_with_the_texts_labels(tmp_path, capsys):
    assert main(["seed", "--json", "--out", str(tmp_path)]) == 0
    files = json.loads(capsys.readouterr().out)["files"]
    assert files == {
        "svg": str(tmp_path / "seed_network.svg"),
        "png": str(tmp_path / "seed_network.png"),
    }
    svg = html.unescape((tmp_path / "seed_network.svg").read_text())
    for name in (*network.LEAF_NAMES, *network.FORWARD_NAMES):
        assert f">{name}<" in svg, name
    # data and gradient as drawn (format .6g): y_pred's and w1's
    assert "data 0.573598" in svg and f"grad {report_value('w1'):.6g}" in svg
    width, height = png_size(tmp_path / "seed_network.png")
    assert width > 500 and height > 500


def report_value(name):
    return run().nodes[name].grad


def test_without_graphviz_the_tables_still_print(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no `dot` anywhere
    assert main(["seed", "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "TEXT IS WRONG" in captured.out
    assert f"dot: {tmp_path / 'seed_network.dot'}" in captured.out
    assert "sudo apt-get install graphviz" in captured.err
    assert (tmp_path / "seed_network.dot").read_text().startswith("digraph")
    assert not (tmp_path / "seed_network.svg").exists()


def test_out_must_be_a_directory(tmp_path, capsys):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep me")
    assert main(["seed", "--out", str(a_file)]) == 2
    assert "is not a directory" in capsys.readouterr().err
    assert a_file.read_text() == "keep me"


def test_local_derivatives_are_the_texts_and_all_right(report):
    cells = text_cells()
    cells["sigmoid_derivative(z1)"] = sigmoid_derivative(cells["z1"])
    cells["sigmoid_derivative(z2)"] = sigmoid_derivative(cells["z2"])
    cells["sigmoid_derivative(z3)"] = sigmoid_derivative(cells["z3"])
    names = [local.name for local in report.local_derivatives]
    assert names == list(network.LOCAL_DERIVATIVES)
    for local in report.local_derivatives:
        assert local.text == cells[local.name], local.name
        assert math.isclose(local.autograd, local.text, rel_tol=ROUNDING_RTOL), local.name
        assert local.agrees
    # dz3/dw3 counts both uses of w3: a1 + a2, exactly as the text writes it.
    by_name = {local.name: local.autograd for local in report.local_derivatives}
    assert by_name["dz3_dw3"] == cells["a1"] + cells["a2"]


def test_verdict_tolerance_is_a_few_rounding_errors(report):
    """A row the text got right agrees; one wrong by far less than the finite difference
    can resolve (1e-12 relative) is called wrong, and so is a row off by 1e-10."""
    text = network.text_derivation(TEXT_VALUES)
    right = [row.name for row in report.gradients if row.agrees]
    assert right == ["dL_dy_pred", "dL_dw3", "dL_db3"]
    for relative_error in (1e-10, 1e-12):
        nudged = {name: text[name] * (1 + relative_error) for name in right}
        rows = network.compare_gradients(report.nodes, {**text, **nudged}, TEXT_VALUES)
        assert [row.agrees for row in rows if row.name in right] == [False] * 3, relative_error
    # Four roundings away from autograd's number is still "agrees".
    ulps = {name: report.nodes[network.GRADIENT_TARGETS[name]].grad for name in right}
    for name, autograd in ulps.items():
        ulps[name] = autograd + 4 * math.ulp(autograd)
    rows = network.compare_gradients(report.nodes, {**text, **ulps}, TEXT_VALUES)
    assert all(row.agrees for row in rows if row.name in right)


def test_the_one_builder_labels_the_text_names_only_and_takes_values_as_leaves():
    full, text = build_network(), build_network(labels="text")
    assert set(text) == {*network.LEAF_NAMES, *network.FORWARD_NAMES}
    full_order, text_order = topological_order(full["L"]), topological_order(text["L"])
    assert [(n.op, n.data) for n in full_order] == [(n.op, n.data) for n in text_order]
    assert len(text_order) == 23
    assert sum(not node.label for node in text_order) == 8  # 7 sub-expressions and the 0.5
    x = Value(0.5, label="input")
    given = build_network({**TEXT_VALUES, "x": x}, labels="text")
    assert given["x"] is x and x.label == "input" and given["L"].data == full["L"].data
    nudged = build_network(nudge=("w1*x", 1e-3), labels="text")
    assert nudged["z1"].data == pytest.approx(full["z1"].data + 1e-3, rel=1e-12)
