"""One owner of node names: every message writes a node with `tinygrad_lite.naming`."""

from __future__ import annotations

from tinygrad_lite import Value, naming
from tinygrad_lite.explain import NodeNames


def test_describe_one_node_for_error_messages() -> None:
    a = Value(0.6, "a1")
    assert naming.describe(a) == "Value 'a1' (data=0.6)"
    assert naming.describe(Value(0.6)) == "Value (unlabelled) (data=0.6)"
    product = a * 2.0
    assert naming.describe(product, with_operation=True) == "'*' node (data=1.2)"
    assert naming.describe(a, with_operation=True) == "leaf 'a1' (data=0.6)"


def test_inputs_are_named_by_label_else_by_position() -> None:
    assert naming.input_name(3) == "x3"
    assert naming.leaf_name(Value(1.0, "w"), 0) == "w"
    assert naming.leaf_name(Value(1.0), 2) == "x2"
    assert naming.position_name(7) == "v7"


def test_labels_that_are_formulas_are_parenthesised() -> None:
    assert naming.readable_label("layers.0.neurons.1.w.0") == "layers.0.neurons.1.w.0"
    assert naming.readable_label("y - y_pred") == "(y - y_pred)"
    assert naming.readable_label("(a*b)") == "(a*b)"
    assert naming.readable_label("(a)*(b)") == "((a)*(b))"
    assert naming.quoted_label(Value(1.0)) == ""
    assert naming.quoted_label(Value(1.0, "it's")) == repr("it's")


def test_node_names_are_built_from_the_single_node_names() -> None:
    w, a = Value(0.5, "w3"), Value(0.2, "a1")
    out = (w * a).sigmoid()
    names = NodeNames(out)
    assert names(w * a) == naming.expression_name(w * a, ["w3", "a1"]) == "(w3*a1)"
    assert names(out) == "sigmoid((w3*a1))"
    assert NodeNames(out, max_length=5)(out) == naming.position_name(3)
