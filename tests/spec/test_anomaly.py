"""detect_anomaly(): the first nan/inf raises AnomalyError pointing at its origin."""

from __future__ import annotations

import gc
import math
import sys

import pytest
from two_one_network import numpy_reference

from tinygrad_lite import (
    AnomalyError,
    Value,
    backward_steps,
    detect_anomaly,
    grad,
    no_grad,
    topological_order,
)
from tinygrad_lite.autograd_machinery import hooks
from tinygrad_lite.seed.network import build_network


def _next_line() -> int:
    """The line number after the caller's line (where the operation under test is created)."""
    return sys._getframe(1).f_lineno + 1


def test_forward_nan_names_the_operation_operands_and_the_users_line() -> None:
    nodes = build_network(labels="text")
    with detect_anomaly(), pytest.raises(AnomalyError) as caught:
        difference = nodes["z1"] - nodes["z1"]
        line = _next_line()
        ratio = difference / difference
        del ratio
    error = caught.value
    message = str(error)
    assert error.phase == "forward"
    assert error.node.op == "/"
    assert error.site is not None
    assert (error.site.filename, error.site.lineno) == (__file__, line)
    assert error.site.function == "test_forward_nan_names_the_operation_operands_and_the_users_line"
    assert message.startswith("detect_anomaly: '/' produced nan from finite operands")
    assert "operand 0: (z1-z1) = 0.0" in message
    assert "operand 1: (z1-z1) = 0.0" in message
    assert f"created at {__file__}:{line}" in message
    assert "ratio = difference / difference" in message  # the source line itself


def test_labels_and_values_of_the_operands_are_named() -> None:
    x = Value(-2.0, label="x")
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"'log' produced nan") as caught:
        x.log()
    assert "operand 0: 'x' = -2.0" in str(caught.value)
    assert "log(x) = nan" in str(caught.value)


def test_outside_the_block_ieee_semantics_are_silent_and_hooks_are_off() -> None:
    x = Value(0.0, label="x")
    assert x.log().data == -math.inf
    assert math.isnan((x / x).data)
    with detect_anomaly():
        assert hooks.on_new_node is not None and hooks.on_backward_step is not None
    assert hooks.on_new_node is None and hooks.on_backward_step is None
    with pytest.raises(AnomalyError), detect_anomaly():
        x.log()
    assert hooks.on_new_node is None and hooks.on_backward_step is None
    assert x.log().data == -math.inf


def test_a_reported_nan_is_not_reported_again_downstream() -> None:
    x = Value(0.0, label="x")
    a = Value(3.0, label="a")
    with detect_anomaly():
        with pytest.raises(AnomalyError) as caught:
            x.log()
        # a learner in a REPL carries on with the node the error names
        log_x = caught.value.node
        assert log_x.data == -math.inf
        product = log_x * a
        total = product + a
        total.backward()  # only carries that -inf along: silent
    assert total.data == -math.inf
    assert a.grad == -math.inf + 1.0


def test_a_value_made_before_the_block_is_reported_as_the_origin_once() -> None:
    x = Value(0.0, label="x")
    a = Value(3.0, label="a")
    early = x.log()  # -inf, made outside detect_anomaly: silently
    with detect_anomaly():
        with pytest.raises(AnomalyError) as caught:
            early * a
        product = early * a  # the origin was reported: silent from now on
    message = str(caught.value)
    assert "operand 0 (log(x)) of '*' is already -inf" in message
    assert "computed by 'log' before detect_anomaly() was entered" in message
    assert product.data == -math.inf


def test_a_nan_input_is_reported_once_as_the_origin() -> None:
    data = Value(math.nan, label="data")
    w = Value(0.5, label="w")
    with detect_anomaly():
        with pytest.raises(AnomalyError) as caught:
            w * data
        message = str(caught.value)
        assert "operand 1 ('data') of '*' is already nan" in message
        assert "an input (a leaf), so it came in as data" in message
        assert "created before detect_anomaly() was entered" not in message
        out = (w * data).sigmoid() + w  # already reported: no error
    assert math.isnan(out.data)


def test_backward_local_derivative_infinite_at_finite_values() -> None:
    w = Value(0.0, label="w")
    with detect_anomaly():
        line = _next_line()
        root = w**0.5
        root.label = "r"
        loss = root * 3.0
        with pytest.raises(AnomalyError) as caught:
            loss.backward()
    error = caught.value
    assert error.phase == "backward"
    assert error.node is root
    message = str(error)
    assert message.startswith(
        "detect_anomaly: the local derivative of '**0.5' with respect to operand 0 ('w') is inf"
    )
    assert "operand 0: 'w' = 0.0" in message
    assert "gradient arriving at the node: 3.0" in message
    assert f"created at {__file__}:{line}" in message
    assert w.grad == 0.0  # the pass stopped before w's step
    assert loss.grad == 1.0 and root.grad == 3.0  # visited nodes keep this pass (partial state)


def test_backward_overflow_of_a_product_and_of_a_sum_and_a_bad_seed() -> None:
    a = Value(1e200, label="a")
    b = Value(1e-200, label="b")
    with detect_anomaly():
        product = a * b  # 1.0, finite
        with pytest.raises(AnomalyError, match=r"grad \* local_grad of '\*' to operand 1 \('b'\)"):
            product.backward(1e300)  # d/db = 1e200, times 1e300 overflows
        twice = b + b
        with pytest.raises(AnomalyError, match="gradient of 'b' is inf: the sum of its finite"):
            twice.backward(1.5e308)
        with pytest.raises(AnomalyError, match=r"seed gradient passed to backward\(\) of \(b\+b\)"):
            list(backward_steps(twice, math.nan))


def test_no_anomaly_on_the_seed_network_including_second_order() -> None:
    ref = numpy_reference()
    with detect_anomaly():
        nodes = build_network(labels="text")
        nodes["L"].backward()
        (dL_dw1,) = grad(nodes["L"], [nodes["w1"]], create_graph=True)
        (second,) = grad(dL_dw1, [nodes["w1"]])
    assert nodes["w1"].grad == ref["w1"]
    assert dL_dw1.data == ref["w1"]
    assert math.isfinite(second.data)


def test_an_update_inside_no_grad_is_checked_too() -> None:
    w = Value(1e308, label="w")
    with detect_anomaly(), no_grad(), pytest.raises(AnomalyError) as caught:
        w * 10.0
    assert "operation inside no_grad()" in str(caught.value)
    assert "produced inf" in str(caught.value)


def test_blocks_nest_and_restore_the_outer_hooks() -> None:
    x = Value(0.0, label="x")
    with detect_anomaly():
        outer = (hooks.on_new_node, hooks.on_backward_step)
        with detect_anomaly(), pytest.raises(AnomalyError):
            x.log()
        assert (hooks.on_new_node, hooks.on_backward_step) == outer
        with pytest.raises(AnomalyError):
            (x * 1.0).log()


def _chain(start: Value, depth: int) -> Value:
    """``depth`` operations deep: every inner node is referenced only by the next one."""
    x = start
    for _ in range(depth):
        x = x * 0.999 + 0.001
    return x


def test_sites_of_dropped_deep_graphs_are_forgotten_and_live_ones_kept() -> None:
    w = Value(0.0, label="w")
    with detect_anomaly():
        detector = hooks.on_new_node.__self__  # type: ignore[union-attr]
        line = _next_line()
        kept = w**0.5
        kept_chain = _chain(kept, 500)  # 1 000 nodes the test holds on to (through its end)
        held_operands = _chain(Value(1.0), 500).operands  # this tuple keeps 999 nodes alive
        sizes = []
        for _ in range(40):
            _chain(Value(2.0), 500)  # 1 000 nodes, dropped at once
            sizes.append(len(detector.sites))
        # A prune runs when the table reaches max(4096, twice what the last one kept), and
        # keeps only live graphs (the two above and the chain being built: at most 3 000).
        assert max(sizes) < 8192, sizes
        gc.collect()
        detector._prune()
        live = topological_order([kept_chain, *held_operands])
        assert set(detector.sites) == {node for node in live if not node.is_leaf}
        with pytest.raises(AnomalyError) as caught:
            kept_chain.backward()  # d/dw sqrt(w) at 0: reported at the node made on `line`
    assert caught.value.site is not None and caught.value.site.lineno == line


def test_sites_of_dropped_graphs_are_forgotten_and_live_ones_kept() -> None:
    w = Value(0.0, label="w")
    with detect_anomaly():
        line = _next_line()
        kept = w**0.5
        detector = hooks.on_new_node.__self__  # type: ignore[union-attr]
        for step in range(20_000):
            (Value(float(step)) * 2.0 + 1.0).tanh()  # 3 nodes, dropped at once
        gc.collect()
        assert len(detector.sites) < 10_000
        with pytest.raises(AnomalyError) as caught:
            (kept * 1.0).backward()
    assert caught.value.site is not None and caught.value.site.lineno == line


def test_blocks_left_in_another_order_than_entered_leave_nothing_installed() -> None:
    import asyncio

    first, second = detect_anomaly(), detect_anomaly()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the outer block leaves first, as another task's may
    with pytest.raises(AnomalyError):
        Value(0.0) / Value(0.0)  # the second block is still open
    second.__exit__(None, None, None)
    assert hooks.on_new_node is None and hooks.on_backward_step is None
    assert math.isnan((Value(0.0) / Value(0.0)).data)  # outside every block: IEEE, silently

    async def block(enter: asyncio.Event, leave: asyncio.Event) -> None:
        with detect_anomaly():
            enter.set()
            await leave.wait()

    async def two_tasks() -> None:
        a_in, a_out, b_in, b_out = (asyncio.Event() for _ in range(4))
        a = asyncio.create_task(block(a_in, a_out))
        await a_in.wait()
        b = asyncio.create_task(block(b_in, b_out))
        await b_in.wait()
        a_out.set()  # a entered first and leaves first
        await a
        b_out.set()
        await b

    asyncio.run(two_tasks())
    assert hooks.on_new_node is None and hooks.on_backward_step is None
    assert math.isnan((Value(0.0) / Value(0.0)).data)
