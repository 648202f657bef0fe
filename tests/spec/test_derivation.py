"""check_derivation: a learner's hand-derived gradients checked against autograd, each kind of
mistake recognised and named, on a small network of its own (not the seed's)."""

from __future__ import annotations

import doctest
import math
import sys
from pathlib import Path

import pytest

import tinygrad_lite as tl
from tinygrad_lite import Value, check_derivation, grad

EPS = sys.float_info.epsilon
DOCS_PAGE = Path(__file__).resolve().parents[2] / "docs" / "check_derivation.md"


def network() -> dict[str, Value]:
    """z = w*x + b, a = sigmoid(z), p = v*a, s = p + a (a used twice), e = s - y, L = e**2."""
    nodes = {
        name: Value(number, label=name)
        for name, number in [("x", 1.5), ("w", 0.8), ("b", -0.3), ("v", -1.2), ("y", 0.25)]
    }
    wx = nodes["w"] * nodes["x"]
    wx.label = "wx"
    z = wx + nodes["b"]
    z.label = "z"
    a = z.sigmoid()
    a.label = "a"
    p = nodes["v"] * a
    p.label = "p"
    s = p + a
    s.label = "s"
    e = s - nodes["y"]
    e.label = "e"
    loss = e**2
    loss.label = "L"
    nodes.update(wx=wx, z=z, a=a, p=p, s=s, e=e, L=loss)
    return nodes


NAMES = ["e", "s", "p", "a", "z", "wx", "w", "b", "v", "x"]


@pytest.fixture
def net() -> dict[str, Value]:
    return network()


@pytest.fixture
def true(net: dict[str, Value]) -> dict[str, float]:
    grads = grad(net["L"], [net[name] for name in NAMES])
    return {name: float(g) for name, g in zip(NAMES, grads, strict=True)}


def test_right_claims_agree_and_the_report_says_so(
    net: dict[str, Value], true: dict[str, float]
) -> None:
    report = check_derivation(net["L"], true)
    assert report.ok and report.first_wrong is None
    assert [row.verdict for row in report.rows] == ["agrees"] * len(NAMES)
    assert "Every claimed gradient agrees with autograd." in str(report)
    for row in report.rows:
        assert math.isclose(row.central_difference, row.autograd, rel_tol=1e-6, abs_tol=1e-9)


def test_keys_may_be_labels_or_gradient_names(
    net: dict[str, Value], true: dict[str, float]
) -> None:
    report = check_derivation(net["L"], {"dL/da": true["a"], "z": true["z"]})
    assert report.ok
    assert [row.label for row in report.rows] == ["a", "z"]


def test_a_few_roundings_agree_a_whole_factor_does_not(
    net: dict[str, Value], true: dict[str, float]
) -> None:
    near = check_derivation(net["L"], {"w": true["w"] * (1 + 4 * EPS)})
    assert near.ok
    far = check_derivation(net["L"], {"w": true["w"] * 2})
    assert not far.ok and far.first_wrong == "w"
    assert not check_derivation(net["L"], {"w": true["w"] * (1 + 1e-9)}).ok


def test_the_finite_difference_never_decides(net: dict[str, Value], true: dict[str, float]) -> None:
    """A claim equal to the central difference but not to autograd is wrong."""
    report = check_derivation(net["L"], {"z": true["z"]})
    difference = report.row("z").central_difference
    assert difference != true["z"]
    assert not check_derivation(net["L"], {"z": difference}).ok


def test_sigmoid_derivative_taken_as_sigmoid(net: dict[str, Value], true: dict[str, float]) -> None:
    report = check_derivation(net["L"], {"a": true["a"], "z": true["a"] * net["a"].data})
    assert report.first_wrong == "z"
    assert report.row("z").verdict == "wrong"
    assert "wrong local derivative: sigmoid'(z) taken as sigmoid(z)" in report.row("z").diagnosis
    assert "The error entered at dL/dz." in str(report)


def test_product_derivative_taken_as_the_factor_itself(
    net: dict[str, Value], true: dict[str, float]
) -> None:
    report = check_derivation(net["L"], {"w": true["wx"] * net["w"].data})
    diagnosis = report.row("w").diagnosis
    assert "dwx/dw taken as w = 0.8" in diagnosis and "the other factor, x = 1.5" in diagnosis


def test_an_extra_factor_is_named(net: dict[str, Value], true: dict[str, float]) -> None:
    report = check_derivation(net["L"], {"s": true["s"] * net["v"].data})
    assert report.first_wrong == "s"
    assert "an extra factor" in report.row("s").diagnosis
    assert "times -1.2, which is " in report.row("s").diagnosis
    assert "the value of v" in report.row("s").diagnosis


def test_a_missing_factor_is_named(net: dict[str, Value], true: dict[str, float]) -> None:
    report = check_derivation(net["L"], {"e": 1.0})
    assert "a missing factor" in report.row("e").diagnosis
    assert "which is the local derivative dL/de" in report.row("e").diagnosis


def test_a_reused_node_whose_paths_were_not_summed(
    net: dict[str, Value], true: dict[str, float]
) -> None:
    report = check_derivation(net["L"], {"a": true["p"] * net["v"].data})
    diagnosis = report.row("a").diagnosis
    assert "only the path through p is counted" in diagnosis
    assert "add the path(s) through s" in diagnosis


def test_an_error_is_inherited_not_reported_again(
    net: dict[str, Value], true: dict[str, float]
) -> None:
    wrong_z = true["a"] * net["a"].data
    claimed = {"a": true["a"], "z": wrong_z, "w": wrong_z * net["x"].data, "b": wrong_z}
    report = check_derivation(net["L"], claimed)
    assert report.first_wrong == "z"
    assert [report.row(name).verdict for name in ("a", "z", "w", "b")] == [
        "agrees",
        "wrong",
        "inherited",
        "inherited",
    ]
    assert report.row("w").diagnosis.startswith("inherited from dL/dz")
    assert "The error entered at dL/dz." in str(report)


def test_a_new_mistake_on_top_of_an_inherited_one(
    net: dict[str, Value], true: dict[str, float]
) -> None:
    wrong_z = true["a"] * net["a"].data
    report = check_derivation(net["L"], {"z": wrong_z, "w": wrong_z * net["w"].data})
    assert report.first_wrong == "z"
    assert report.row("w").verdict == "wrong"
    assert "dwx/dw taken as w" in report.row("w").diagnosis
    assert "from your upstream numbers it would be" in report.row("w").diagnosis


def test_the_activation_gradient_given_for_its_input(
    net: dict[str, Value], true: dict[str, float]
) -> None:
    report = check_derivation(net["L"], {"z": true["a"]})
    assert "this is dL/da, the gradient of the activation's output, given for its input z" in (
        report.row("z").diagnosis
    )


def test_the_input_gradient_given_for_the_activation(
    net: dict[str, Value], true: dict[str, float]
) -> None:
    report = check_derivation(net["L"], {"a": true["z"]})
    assert "this is dL/dz, the gradient of the activation's input, given for its output a" in (
        report.row("a").diagnosis
    )


def test_an_unrecognised_mistake_shows_the_chain_rule(net: dict[str, Value]) -> None:
    report = check_derivation(net["L"], {"s": 12345.0})
    assert "not one of the usual mistakes: the chain rule gives dL/de * de/ds" in (
        report.row("s").diagnosis
    )


def test_bad_claims_are_refused_clearly(net: dict[str, Value]) -> None:
    with pytest.raises(ValueError, match="no node of the graph is labelled 'q'"):
        check_derivation(net["L"], {"q": 1.0})
    with pytest.raises(ValueError, match="gradient of 'K', but the output is 'L'"):
        check_derivation(net["L"], {"dK/da": 1.0})
    with pytest.raises(TypeError, match="must be a real number"):
        check_derivation(net["L"], {"a": "0.5"})
    with pytest.raises(ValueError, match="claimed twice"):
        check_derivation(net["L"], {"a": 1.0, "dL/da": 1.0})
    twin = Value(1.0, label="t") * Value(2.0, label="t")
    with pytest.raises(ValueError, match="2 nodes are labelled 't'"):
        check_derivation(twin, {"t": 1.0})


def test_read_only(net: dict[str, Value], true: dict[str, float]) -> None:
    check_derivation(net["L"], {"a": 0.0, "w": true["w"]})
    assert all(node.grad == 0.0 for node in net.values())


def test_exported_from_the_package_root() -> None:
    assert tl.check_derivation is check_derivation
    assert "check_derivation" in tl.__all__


def test_the_docs_page_runs() -> None:
    result = doctest.testfile(
        str(DOCS_PAGE), module_relative=False, optionflags=doctest.ELLIPSIS, verbose=False
    )
    assert result.attempted > 0, "docs/check_derivation.md has no runnable snippets"
    assert result.failed == 0, f"{result.failed} snippet(s) failed; run pytest -s to see"


def test_the_input_gradient_times_a_reused_nodes_summed_locals(
    net: dict[str, Value], true: dict[str, float]
) -> None:
    """The seed text's slip: dL/da given as dL/dz times a reused node's summed locals."""
    summed = net["v"].data + 1.0  # dp/da + ds/da
    report = check_derivation(net["L"], {"a": true["z"] * summed})
    diagnosis = report.row("a").diagnosis
    assert "this is dL/dz, the gradient of the activation's input, given for its output a" in (
        diagnosis
    )
    assert "with an extra factor -0.2, which is ds/da + dp/da, summed over the uses of a" in (
        diagnosis
    )
