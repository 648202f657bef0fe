"""Tests for the engine (value, autograd, ops): values, operations, backward, grad, no_grad."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import warnings
from fractions import Fraction

import numpy as np
import pytest

from tinygrad_lite import GraphWarning, Value, backward_steps, grad, no_grad, topological_order
from tinygrad_lite.value import linear, total

# ---------------------------------------------------------------- construction


@pytest.mark.parametrize(
    "data",
    [3, 3.5, -0.0, True, np.float64(1.25), np.float32(0.5), np.int64(7), Fraction(1, 4)],
)
def test_value_accepts_real_numbers_as_float(data: object) -> None:
    v = Value(data, label="v")
    assert type(v.data) is float
    assert v.data == float(data)  # type: ignore[arg-type]
    assert v.grad == 0.0 and type(v.grad) is float
    assert v.label == "v" and v.op == "" and v.operands == ()


def test_value_accepts_one_element_array() -> None:
    assert Value(np.array([2.5])).data == 2.5
    assert Value(np.array(4)).data == 4.0


@pytest.mark.parametrize(
    ("data", "type_name"),
    [
        ("1.0", "str"),
        (None, "NoneType"),
        (1 + 2j, "complex"),
        ([1.0], "list"),
        (np.array([1.0, 2.0]), "ndarray"),
        (np.complex128(1), "complex128"),
    ],
)
def test_value_rejects_non_real_with_type_in_message(data: object, type_name: str) -> None:
    with pytest.raises(TypeError, match=type_name):
        Value(data)


def test_label_must_be_str() -> None:
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)  # type: ignore[arg-type]


def test_bad_operand_raises_type_error_and_leaves_operands_unchanged() -> None:
    a = Value(2.0, "a")
    with pytest.raises(TypeError, match="str"):
        a * "x"  # type: ignore[operator]
    with pytest.raises(TypeError):
        a + None  # type: ignore[operator]
    with pytest.raises(TypeError):
        a ** [2]  # type: ignore[operator]
    assert a.data == 2.0 and a.grad == 0.0 and a.operands == () and a.op == ""


def test_operations_record_op_and_operands_in_order() -> None:
    a, b = Value(2.0, "a"), Value(5.0, "b")
    for result, op in [
        (a + b, "+"),
        (a - b, "-"),
        (a * b, "*"),
        (a / b, "/"),
        (a**b, "**"),
    ]:
        assert result.op == op
        assert result.operands == (a, b)
    reflected = 1 - a
    assert reflected.op == "-" and reflected.operands[1] is a
    assert reflected.operands[0].data == 1.0
    assert (a**2).op == "**2" and (a**2).operands == (a,)
    assert (2**a).op == "**" and (2**a).operands[1] is a
    for method, op in [
        (Value.exp, "exp"),
        (Value.log, "log"),
        (Value.tanh, "tanh"),
        (Value.sigmoid, "sigmoid"),
        (Value.relu, "relu"),
    ]:
        result = method(a)
        assert result.op == op and result.operands == (a,)
    assert (-a).op == "neg"


def test_numpy_scalar_on_the_left_gives_a_value() -> None:
    a = Value(2.0)
    result = np.float64(3.0) * a
    assert isinstance(result, Value) and result.data == 6.0


def test_repr_shows_label_data_grad_op() -> None:
    a = Value(2.0, "a")
    b = a * 3
    b.label = "b"
    assert repr(a) == "Value(label='a', data=2.0, grad=0.0)"
    assert repr(b) == "Value(label='b', data=6.0, grad=0.0, op='*')"


def test_values_hash_by_identity() -> None:
    a, b = Value(1.0), Value(1.0)
    assert len({a, b, a}) == 2
    assert {a: 1, b: 2}[a] == 1


def test_truth_value_is_refused() -> None:
    with pytest.raises(TypeError, match=r"\.data"):
        bool(Value(1.0))


# ---------------------------------------------------------------- each operation
# (value and local derivatives of every operation: the table in test_operations.py)


def test_pow_exponent_gradient_at_zero_base_is_zero() -> None:
    a, b = Value(0.0), Value(2.0)
    (a**b).backward()
    assert b.grad == 0.0 and a.grad == 0.0


def test_total_and_linear_are_single_nodes_with_right_gradients() -> None:
    xs = [Value(v) for v in (1.0, 2.0, 3.0)]
    s = total(xs)
    s.backward()
    assert s.data == 6.0 and s.op == "sum" and [x.grad for x in xs] == [1.0, 1.0, 1.0]
    w = [Value(0.5), Value(-2.0)]
    x = [Value(3.0), Value(4.0)]
    b = Value(0.25)
    out = linear(w, x, b)
    out.backward()
    assert out.data == 0.5 * 3.0 + -2.0 * 4.0 + 0.25
    assert out.operands == (*w, *x, b)
    assert [v.grad for v in w] == [3.0, 4.0]
    assert [v.grad for v in x] == [0.5, -2.0]
    assert b.grad == 1.0
    with pytest.raises(ValueError, match="2 weights and 1 inputs"):
        linear(w, x[:1], b)
    with pytest.raises(ValueError, match="at least one"):
        total([])


# ---------------------------------------------------------------- IEEE edge cases
# (the written-out special points of every operation: test_operations.py)


# (the IEEE helpers against NumPy on any floats: tests/properties/test_engine_properties.py)


# ---------------------------------------------------------------- backward semantics


def test_reused_leaf_accumulates_all_contributions() -> None:
    # The seed network uses w3 twice: z3 = w3*a1 + w3*a2 + b3.
    w3, a1, a2, b3 = Value(0.1, "w3"), Value(0.6, "a1"), Value(0.3, "a2"), Value(0.2, "b3")
    z3 = w3 * a1 + w3 * a2 + b3
    z3.backward()
    assert w3.grad == 0.6 + 0.3
    assert a1.grad == 0.1 and a2.grad == 0.1 and b3.grad == 1.0


def test_shared_subexpression_gets_gradient_from_every_use() -> None:
    x = Value(1.5, "x")
    s = x * x  # used three times below
    out = s * s + s.exp() - s
    out.backward()
    sv = 1.5 * 1.5
    d_out_ds = 2 * sv + math.exp(sv) - 1
    assert s.grad == pytest.approx(d_out_ds, rel=1e-15)
    assert x.grad == pytest.approx(d_out_ds * 2 * 1.5, rel=1e-15)


def test_backward_twice_adds_the_same_gradients_like_pytorch() -> None:
    a = Value(3.0, "a")
    b = a * a
    c = b * 2
    c.backward()
    assert (a.grad, b.grad, c.grad) == (12.0, 2.0, 1.0)
    c.backward()
    assert (a.grad, b.grad, c.grad) == (24.0, 4.0, 2.0)


def test_zero_grad_resets_every_node_of_the_graph_to_float_zero() -> None:
    a = Value(3.0, "a")
    b = a * a
    c = b.tanh()
    c.backward()
    c.zero_grad()
    for node in (a, b, c):
        assert node.grad == 0.0 and type(node.grad) is float


def test_seed_gradient() -> None:
    a = Value(3.0)
    out = a * 2
    out.backward(0.5)
    assert a.grad == 1.0 and out.grad == 0.5


def test_intermediate_gradients_are_kept() -> None:
    x = Value(0.5)
    h = x * 4
    y = h.sigmoid()
    y.backward()
    s = 1 / (1 + math.exp(-2.0))
    assert h.grad == s * (1 - s)
    assert x.grad == s * (1 - s) * 4


def test_million_deep_chain_under_default_recursion_limit() -> None:
    # Run in a fresh interpreter: build, backward and free a 1,000,000-op chain.
    script = (
        "import sys\n"
        "from tinygrad_lite import Value\n"
        "assert sys.getrecursionlimit() == 1000\n"
        "x = Value(1.0, 'x')\n"
        "v = x\n"
        "for _ in range(1_000_000):\n"
        "    v = v + x\n"
        "v.backward()\n"
        "assert v.data == 1_000_001.0, v.data\n"
        "assert x.grad == 1_000_001.0, x.grad\n"
        "del v\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"


def test_topological_order_is_operands_first_in_operand_order() -> None:
    a, b = Value(1.0, "a"), Value(2.0, "b")
    c = a * b
    d = c + a
    e = d * c  # c is reached twice; it appears once, before its first user
    assert topological_order(e) == [a, b, c, d, e]
    assert topological_order([d, b]) == [a, b, c, d]


def test_topological_order_is_the_same_under_any_hash_seed() -> None:
    script = (
        "from tinygrad_lite import Value, topological_order\n"
        "leaves = [Value(float(i), f'x{i}') for i in range(30)]\n"
        "out = leaves[0]\n"
        "for i, leaf in enumerate(leaves[1:]):\n"
        "    out = (out * leaf + leaves[(7 * i) % 30]).tanh()\n"
        "    out.label = f'n{i}'\n"
        "print(' '.join(v.label or v.op for v in topological_order(out)))\n"
    )
    outputs = set()
    for hash_seed in ("0", "1", "12345"):
        result = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            check=True,
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1


# ---------------------------------------------------------------- backward_steps


def test_backward_steps_fully_consumed_equals_backward() -> None:
    def build() -> tuple[Value, list[Value]]:
        x, y = Value(0.7, "x"), Value(-1.2, "y")
        z = (x * y + x.exp()).tanh() * y
        return z, [x, y]

    z1, leaves1 = build()
    z1.backward()
    z2, leaves2 = build()
    steps = list(backward_steps(z2))
    assert [v.grad for v in leaves1] == [v.grad for v in leaves2]
    assert len(steps) == len(topological_order(z2))
    first = steps[0]
    assert first.node is z2 and first.grad == 1.0
    assert first.contributions == tuple(1.0 * g for g in first.local_grads)


def test_backward_steps_stopped_half_way_leaves_no_stale_contributions() -> None:
    x = Value(2.0, "x")
    y = x * x
    z = y * 3
    steps = backward_steps(z)
    next(steps)  # only z visited: its contribution to y is pending
    steps.close()
    assert z.grad == 1.0 and y.grad == 0.0 and x.grad == 0.0
    z.zero_grad()
    z.backward()
    assert x.grad == 12.0 and y.grad == 3.0


# ---------------------------------------------------------------- grad()


def test_grad_does_not_touch_dot_grad() -> None:
    x = Value(2.0)
    y = x**3
    (g,) = grad(y, [x])
    assert g.data == 12.0 and x.grad == 0.0


def test_second_derivative_of_cube() -> None:
    x = Value(2.0, "x")
    (dy,) = grad(x**3, [x], create_graph=True)
    (d2y,) = grad(dy, [x])
    assert dy.data == 12.0
    assert d2y.data == 12.0


def test_hessian_of_two_variable_function() -> None:
    x, y = Value(1.5, "x"), Value(-0.5, "y")
    f = x * x * y + (x * y).tanh()
    gx, gy = grad(f, [x, y], create_graph=True)
    hxx, hxy = (g.data for g in grad(gx, [x, y]))
    hyx, hyy = (g.data for g in grad(gy, [x, y]))
    t = math.tanh(1.5 * -0.5)
    sech2 = 1 - t * t
    # f = x^2 y + tanh(xy); d/dx tanh(u) = sech^2(u) * u_x, sech^2' = -2 tanh sech^2
    assert hxx == pytest.approx(2 * -0.5 + (-2 * t * sech2) * 0.25, rel=1e-14)
    assert hxy == pytest.approx(2 * 1.5 + sech2 + (-2 * t * sech2) * 1.5 * -0.5, rel=1e-14)
    assert hyx == pytest.approx(hxy, rel=1e-14)
    assert hyy == pytest.approx((-2 * t * sech2) * 1.5 * 1.5, rel=1e-14)


def test_grad_of_unrelated_input_is_zero_and_inputs_are_checked() -> None:
    x, unrelated = Value(1.0), Value(5.0)
    assert [g.data for g in grad(x * 2, [x, unrelated])] == [2.0, 0.0]
    with pytest.raises(TypeError, match="input 0 is float"):
        grad(x * 2, [1.0])  # type: ignore[list-item]


# (second derivatives of random graphs: tests/properties/test_autograd_properties.py)


# ---------------------------------------------------------------- no_grad and mistakes


def test_no_grad_records_nothing_and_restores() -> None:
    a = Value(2.0)
    with no_grad():
        b = a * 3
    assert b.data == 6.0 and b.operands == () and b.op == ""
    c = a * 3
    assert c.operands[0] is a


def test_backward_on_value_made_under_no_grad_says_so() -> None:
    a = Value(2.0, "a")
    with no_grad():
        b = a * 3
    with pytest.raises(RuntimeError, match="inside no_grad"):
        b.backward()


def test_backward_inside_no_grad_says_so() -> None:
    a = Value(2.0)
    b = a * 3
    with no_grad(), pytest.raises(RuntimeError, match="inside no_grad"):
        b.backward()
    assert a.grad == 0.0


def test_backward_on_leaf_warns() -> None:
    a = Value(2.0, "a")
    with pytest.warns(GraphWarning, match="leaf Value 'a'"):
        a.backward()
    assert a.grad == 1.0


def test_no_warning_for_ordinary_backward() -> None:
    a = Value(2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (a * a).backward()


def test_topological_order_takes_one_root_or_any_iterable_of_roots() -> None:
    a = Value(1.0, label="a")
    b = a * 2.0
    c = b + a
    expected = topological_order(c)
    assert topological_order([c]) == expected
    assert topological_order((c,)) == expected
    assert topological_order(node for node in [c]) == expected  # a generator too
    assert topological_order([b, c]) == expected  # shared nodes once, operands first
