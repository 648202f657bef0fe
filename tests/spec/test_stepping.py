"""Stepping through backprop: step records on the seed network,
partial passes, backward(break_at=...), and the messages for the usual mistakes."""

from __future__ import annotations

import math
import sys
import warnings
from typing import Any

import pytest
from two_one_network import numpy_reference

from tinygrad_lite import (
    GraphWarning,
    Value,
    backward_steps,
    is_grad_enabled,
    no_grad,
    topological_order,
)
from tinygrad_lite.seed.network import build_network


def _ulps(a: float, b: float) -> float:
    return abs(a - b) / math.ulp(max(abs(a), abs(b)))


def test_seed_step_records_match_the_hand_derivation() -> None:
    nodes = build_network(labels="text")
    ref = numpy_reference()
    steps = {step.node.label: step for step in backward_steps(nodes["L"]) if step.node.label}
    assert set(steps) == set(nodes)
    for name, step in steps.items():
        # only w3's gradient is summed in another order than the notebook's
        # (dL_dz3*a2 + dL_dz3*a1 against dL_dz3*(a1 + a2)): one rounding apart
        assert _ulps(float(step.grad), ref[name]) <= (1 if name == "w3" else 0), name
        assert step.node.grad == step.grad  # a single pass from zero
        for local_grad, contribution in zip(step.local_grads, step.contributions, strict=True):
            assert contribution == step.grad * local_grad
    sigmoid_derivative_z3 = ref["value:y_pred"] * (1 - ref["value:y_pred"])
    assert steps["y_pred"].local_grads == (sigmoid_derivative_z3,)
    assert steps["y_pred"].contributions == (ref["z3"],)
    assert steps["y_pred"].operands == (nodes["z3"],)
    assert steps["a1"].local_grads == (ref["value:a1"] * (1 - ref["value:a1"]),)
    assert steps["z1"].local_grads == (1.0, 1.0)
    assert steps["z1"].contributions == (ref["z1"], ref["b1"])
    assert steps["w1"].local_grads == () and steps["w1"].contributions == ()


def test_steps_visit_each_node_once_users_before_operands() -> None:
    loss = build_network(labels="text")["L"]
    visited = [step.node for step in backward_steps(loss)]
    assert visited == list(reversed(topological_order(loss)))
    position = {node: index for index, node in enumerate(visited)}
    for node in visited:
        for operand in node.operands:
            assert position[node] < position[operand]


# (stepping on random graphs: tests/properties/test_stepping_properties.py)


# ---------------------------------------------------------------- backward(break_at=...)


class _Recorder:
    """A stand-in for the user's own debugger (``sys.breakpointhook``): records the
    locals of the backward pass's frame, the one a debugger shows, at each stop."""

    def __init__(self) -> None:
        self.stops: list[dict[str, Any]] = []

    def __call__(self, *args: object, **kwargs: object) -> None:
        frame = sys._getframe(1)
        while frame.f_code.co_name != "backward_pass":
            assert frame.f_back is not None
            frame = frame.f_back
        loop_locals = frame.f_locals
        stop = {name: loop_locals.get(name) for name in ("node", "grad", "local_grads")}
        stop["node.grad"] = loop_locals["node"].grad  # as it is at the stop, before the push
        self.stops.append(stop)


def test_break_at_stops_before_the_push_with_readable_locals(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    nodes = build_network(labels="text")
    ref = numpy_reference()
    recorder = _Recorder()
    monkeypatch.setattr(sys, "breakpointhook", recorder)
    nodes["L"].backward(break_at="z3")
    assert len(recorder.stops) == 1
    stop = recorder.stops[0]
    assert stop["node"] is nodes["z3"]
    assert stop["grad"] == ref["z3"]
    assert stop["local_grads"] == (1.0, 1.0)  # z3 = (w3*a1 + w3*a2) + b3
    # a Value works as well, leaves included, and the pass still completes
    nodes["L"].zero_grad()
    nodes["L"].backward(break_at=nodes["w3"])
    assert recorder.stops[1]["node"] is nodes["w3"]
    assert _ulps(recorder.stops[1]["grad"], ref["w3"]) <= 1
    # a leaf stops like any node: before this pass's gradient is added to its .grad
    assert recorder.stops[1]["node.grad"] == 0.0
    assert nodes["w3"].grad == recorder.stops[1]["grad"]
    assert nodes["b1"].grad == ref["b1"]


def test_break_at_a_label_used_twice_stops_at_each(monkeypatch: pytest.MonkeyPatch) -> None:
    a = Value(3.0, label="t")
    b = Value(4.0, label="t")
    recorder = _Recorder()
    monkeypatch.setattr(sys, "breakpointhook", recorder)
    (a * b).backward(break_at="t")
    assert [stop["node"] for stop in recorder.stops] == [b, a]


def test_break_at_that_would_never_stop_is_refused_before_any_change() -> None:
    nodes = build_network(labels="text")
    with pytest.raises(
        ValueError, match=r"break_at='z9' matches no node.*labels in the graph: L, a1, a2, b1"
    ):
        nodes["L"].backward(break_at="z9")
    with pytest.raises(ValueError, match="is not part of this graph"):
        nodes["L"].backward(break_at=Value(1.0, label="stranger"))
    with pytest.raises(TypeError, match="break_at must be a Value or a label"):
        nodes["L"].backward(break_at=3)  # type: ignore[arg-type]
    assert all(node.grad == 0.0 for node in nodes.values())


# ---------------------------------------------------------------- the usual mistakes


def test_backward_on_a_leaf_warns_at_the_callers_line() -> None:
    w = Value(0.3, label="w")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        w.backward()
        list(backward_steps(w))
    assert len(caught) == 2
    for warning in caught:
        assert warning.category is GraphWarning
        assert "leaf Value 'w'" in str(warning.message)
        assert "Call backward() on the output computed from it" in str(warning.message)
        assert warning.filename == __file__
    assert w.grad == 2.0


def test_backward_inside_no_grad_and_on_a_no_grad_value_say_what_happened() -> None:
    nodes = build_network(labels="text")
    with no_grad(), pytest.raises(RuntimeError, match="called inside no_grad"):
        nodes["L"].backward()
    with no_grad():
        detached = nodes["w1"] * 2.0
    with pytest.raises(RuntimeError, match="computed inside no_grad"):
        detached.backward()
    with pytest.raises(RuntimeError, match="computed inside no_grad"):
        next(backward_steps(detached))
    assert all(node.grad == 0.0 for node in nodes.values())


def test_a_seed_gradient_that_is_not_a_number_is_refused() -> None:
    loss = build_network(labels="text")["L"]
    with pytest.raises(TypeError, match=r"seed gradient .* must be a real number, got str"):
        loss.backward("1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="got Value"):
        backward_steps(loss, Value(1.0))  # type: ignore[arg-type]
    assert loss.grad == 0.0


def test_a_new_pass_while_one_is_paused_over_the_same_graph_is_refused() -> None:
    nodes = build_network(labels="text")
    ref = numpy_reference()
    loss = nodes["L"]
    steps = backward_steps(loss)
    for _ in range(5):  # paused with contributions in flight
        next(steps)
    with pytest.raises(RuntimeError, match="paused half way"):
        loss.backward()
    with pytest.raises(RuntimeError, match="paused half way"):
        list(backward_steps(nodes["z3"]))  # a subgraph shares the nodes in flight
    other = Value(2.0, label="other") * 3.0
    other.backward()  # an unrelated graph is fine
    assert other.operands[0].grad == 3.0
    for _ in steps:  # the paused pass, resumed, is unharmed by the refused ones
        pass
    assert nodes["w1"].grad == ref["w1"] and nodes["z1"].grad == ref["z1"]
    loss.backward()  # and once it is finished a new pass may start
    assert nodes["w1"].grad == 2 * ref["w1"]


def test_while_a_pass_is_paused_the_user_keeps_recording_graphs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    nodes = build_network(labels="text")
    steps = backward_steps(nodes["L"])
    next(steps)
    assert is_grad_enabled()
    probe = nodes["w1"] * 2.0  # a learner's side computation in the REPL
    assert probe.op == "*" and probe.operands[0] is nodes["w1"]
    steps.close()
    # the same at a debugger stop inside backward()
    seen: list[bool] = []
    monkeypatch.setattr(sys, "breakpointhook", lambda *a, **k: seen.append(is_grad_enabled()))
    nodes["L"].backward(break_at="z3")
    assert seen == [True]


def test_a_pass_whose_clean_up_is_interrupted_leaves_nothing_for_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A second Ctrl-C that lands in the clean-up of a pass stopped half way must not
    leave that pass's undelivered gradients for the next pass to pick up."""
    from tinygrad_lite import autograd_machinery
    from tinygrad_lite.autograd import backward_pass

    x = Value(3.0, label="x")
    y = x * x + x * 2.0
    y.backward()
    expected = x.grad  # 2x + 2 = 8
    y.zero_grad()
    steps = backward_pass(y, 1.0, autograd_machinery.Pass(records=True))
    next(steps)  # y pushed its gradient: x*x and x*2.0 hold it in flight
    discard = autograd_machinery._discard_leftovers
    calls = 0

    def interrupted_once() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise KeyboardInterrupt  # the second Ctrl-C, inside the clean-up
        discard()

    monkeypatch.setattr(autograd_machinery, "_discard_leftovers", interrupted_once)
    with pytest.raises(KeyboardInterrupt):
        steps.close()
    assert any(node.grad_in_flight != 0.0 for node in topological_order(y))  # left over
    monkeypatch.setattr(autograd_machinery, "_discard_leftovers", discard)
    y.zero_grad()
    y.backward()
    assert x.grad == expected  # not 8 plus the leftovers
    assert all(node.grad_in_flight == 0.0 for node in topological_order(y))
