"""Edge cases of the engine: derivatives where a formula meets 0 * inf, IEEE powers,
custom ops that break their contract, numbers no float can hold, and the
per-thread no_grad switch."""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from tinygrad_lite import Op, Value, apply, explain_lines, grad, no_grad
from tinygrad_lite.ops import PowConst
from tinygrad_lite.value import Num, is_grad_enabled

# ---------------------------------------------------------------- derivatives of powers at 0


def _derivatives(y: Value, x: Value, count: int) -> list[float]:
    """The first ``count`` derivatives of ``y`` with respect to ``x`` (repeated grad)."""
    found = []
    for _ in range(count):
        if y.is_leaf:  # a constant: its derivative is 0 (grad() would warn about a leaf)
            found.append(0.0)
            continue
        (y,) = grad(y, x, create_graph=True)
        found.append(y.data)
    return found


@pytest.mark.parametrize(
    ("power", "expected"),
    [  # d^k/dx^k x**n at 0 is n! where k == n, else 0
        (1, [1.0, 0.0, 0.0]),
        (2, [0.0, 2.0, 0.0, 0.0]),
        (3, [0.0, 0.0, 6.0, 0.0, 0.0]),
    ],
)
def test_repeated_derivatives_of_a_whole_power_at_zero(power: int, expected: list[float]) -> None:
    x = Value(0.0, "x")
    assert _derivatives(x**power, x, len(expected)) == expected


def test_repeated_derivatives_of_a_power_with_a_value_exponent_at_zero() -> None:
    x, n = Value(0.0, "x"), Value(3.0, "n")
    assert _derivatives(x**n, x, 5) == [0.0, 0.0, 6.0, 0.0, 0.0]


def test_power_zero_has_derivative_zero_everywhere() -> None:
    for point in [0.0, -0.0, 2.5, -3.0, math.inf, math.nan]:
        x = Value(point, "x")
        assert grad(x**0, x)[0].data == 0.0, point
        zero = Value(0.0, "b")
        d_base, _ = grad(x**zero, [x, zero])
        assert d_base.data == 0.0, point


@pytest.mark.parametrize("base", [5e-324, 1e-310, -5e-324, -1e-310])
@pytest.mark.parametrize("zero", [0.0, -0.0])
def test_power_zero_of_a_tiny_base_has_derivative_zero(base: float, zero: float) -> None:
    from tinygrad_lite.trace import trace

    # b * a**(b - 1) is 0 * inf there (1 / 5e-324 overflows); a**0 is 1, so d/da is 0
    a, b = Value(base, "a"), Value(zero, "b")
    assert grad(a**b, a)[0].data == 0.0
    (d_graph,) = grad(a**b, a, create_graph=True)
    assert d_graph.data == 0.0
    x = Value(base, "x")
    assert grad(x**zero, x)[0].data == 0.0  # PowConst with n == 0
    traced = trace(lambda v: v[0] ** v[1], [[base, zero]])
    traced.forward(np.array([[base, zero]]))
    traced.backward()
    assert traced.input_grads is not None and traced.input_grads[0, 0] == 0.0


def test_power_with_zero_base_and_exponent_has_zero_derivatives() -> None:
    a, b = Value(0.0, "a"), Value(0.0, "b")
    assert [g.data for g in grad(a**b, [a, b])] == [0.0, 0.0]


def test_the_zero_base_derivative_keeps_its_exponent_dependence() -> None:
    # d/db (d/da a**b) = a**(b-1) * (1 + b*log(a)), which is 1/a at b == 0, not 0:
    # only a == 0 (0 * inf) and a == nan are replaced by a constant 0.
    a, b = Value(2.0, "a"), Value(0.0, "b")
    (d_a,) = grad(a**b, a, create_graph=True)
    assert d_a.data == 0.0
    assert grad(d_a, b)[0].data == 0.5


def test_power_one_has_derivative_one_even_at_zero_and_nan() -> None:
    for point in [0.0, math.inf, math.nan]:
        x = Value(point, "x")
        assert grad(x**1, x)[0].data == 1.0


# ---------------------------------------------------------------- IEEE powers


def test_square_root_of_negative_infinity_is_nan_like_numpy() -> None:
    with np.errstate(invalid="ignore"):
        expected = np.power(np.float64(-math.inf), np.float64(0.5))
    assert math.isnan(expected)
    x = Value(-math.inf, "x")
    assert math.isnan((x**0.5).data)
    assert math.isnan((x ** Value(0.5)).data)
    assert grad(x**1.5, x)[0].data == math.inf  # (-inf)**1.5 is inf (C's pow), as 1.5 * inf
    negative_zero = (Value(-0.0) ** 0.5).data
    assert negative_zero == 0.0
    assert math.copysign(1.0, negative_zero) == math.copysign(1.0, np.sqrt(-0.0))


@pytest.mark.parametrize(
    ("exponent", "value", "derivative"),
    [(0.5, math.nan, math.nan), (1.5, math.inf, math.inf), (2.5, math.inf, math.inf)],
)
def test_a_power_at_minus_infinity_has_a_derivative_by_the_rule_of_its_value(
    exponent: float, value: float, derivative: float
) -> None:
    from tinygrad_lite.trace import trace

    # (-inf)**0.5 is nan (a square root), so its derivative is nan, not 0.5 * (-inf)**-0.5 = 0;
    # (-inf)**1.5 is inf (C's pow), so its derivative 1.5 * (-inf)**0.5 is inf, not nan.
    x, b = Value(-math.inf, "x"), Value(exponent, "b")
    np.testing.assert_array_equal([(x**exponent).data, (x**b).data], [value, value])
    np.testing.assert_array_equal(
        [grad(x**exponent, x)[0].data, grad(x**b, x)[0].data], [derivative, derivative]
    )
    for function, row in [
        (lambda v: v[0] ** exponent, [-math.inf]),
        (lambda v: v[0] ** v[1], [-math.inf, exponent]),
    ]:
        traced = trace(function, [row])
        np.testing.assert_array_equal(traced.forward(np.array([row])), [value])
        traced.backward()
        assert traced.input_grads is not None
        np.testing.assert_array_equal(traced.input_grads[0, 0], derivative)


def test_power_op_cache_stays_bounded_and_shares_common_exponents() -> None:
    x = Value(1.5, "x")
    assert (x**2).operation is (x**2.0).operation
    assert (x**0.5).operation is (x**0.5).operation
    before = len(PowConst._cache)
    for k in range(2000):  # 2000 different exponents, none of them common
        x ** ((k + 0.5) / 2000)
    for _ in range(50):
        x**math.nan
    x**1e300
    assert len(PowConst._cache) == before
    assert all(exponent == exponent for exponent in PowConst._cache)
    # an exponent not shared still computes and differentiates normally
    y = x**0.3
    assert y.data == 1.5**0.3
    assert grad(y, x)[0].data == 0.3 * 1.5**-0.7


# ---------------------------------------------------------------- custom ops breaking the contract


class _TwoOperandsOneDerivative(Op):
    name = "half_done"

    def forward(self, xs: Sequence[float]) -> float:
        return xs[0] * xs[1]

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        return (xs[1],)


class _DerivativeNotATuple(Op):
    name = "bare"

    def forward(self, xs: Sequence[float]) -> float:
        return 2.0 * xs[0]

    def derivatives(self, xs: Sequence[Any], out: Any) -> Any:
        return 2.0


@pytest.mark.parametrize(
    ("op", "said"),
    [
        (_TwoOperandsOneDerivative(), "returned 1 values"),
        (_DerivativeNotATuple(), "returned a float, not a tuple"),
    ],
)
def test_wrong_number_of_derivatives_is_named_and_changes_no_grad(op: Op, said: str) -> None:
    a, b = Value(2.0, "a"), Value(3.0, "b")
    y = apply(op, a, b) if isinstance(op, _TwoOperandsOneDerivative) else apply(op, a)
    y.grad, a.grad = 0.25, 0.5
    with pytest.raises(TypeError, match=f"{type(op).__qualname__} \\(name '{op.name}'\\)") as info:
        y.backward()
    assert said in str(info.value)
    assert (y.grad, a.grad, b.grad) == (0.25, 0.5, 0.0)
    assert all(node.grad_in_flight == 0.0 for node in (y, a, b))
    with pytest.raises(TypeError, match=op.name):
        grad(y, a)


class _NumpyExp(Op):
    name = "np_exp"

    def forward(self, xs: Sequence[float]) -> float:
        return np.exp(xs[0])  # type: ignore[no-any-return]  # np.float64, as users write it

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        return (out,)


class _ComplexResult(Op):
    name = "complex_sqrt"

    def forward(self, xs: Sequence[float]) -> float:
        return xs[0] ** 0.5  # a complex for a negative operand

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        return (0.5 / out,)


def test_apply_makes_a_numpy_result_a_python_float() -> None:
    x = Value(1.0, "x")
    y = apply(_NumpyExp(), x)
    assert type(y.data) is float
    assert y.data == math.exp(1.0)
    y.backward()
    assert type(x.grad) is float


def test_apply_refuses_a_forward_result_that_is_not_a_real_number() -> None:
    with pytest.raises(TypeError, match=r"_ComplexResult \(name 'complex_sqrt'\).*complex"):
        apply(_ComplexResult(), -4.0)


# ---------------------------------------------------------------- numbers a float cannot hold


@pytest.mark.parametrize(
    "make",
    [
        lambda v: Value(10**400),
        lambda v: v + 10**400,
        lambda v: 10**400 - v,
        lambda v: v * -(10**400),
        lambda v: v**10**400,
    ],
)
def test_an_int_beyond_the_largest_float_is_refused_by_name(make: Any) -> None:
    v = Value(2.0, "v")
    with pytest.raises(ValueError, match="about 401 digits"):
        make(v)
    assert (v.data, v.grad, v.operands) == (2.0, 0.0, ())


def test_largest_float_as_an_int_is_still_accepted() -> None:
    biggest = int(np.finfo(np.float64).max)
    assert Value(biggest).data == np.finfo(np.float64).max


# ---------------------------------------------------------------- seeds, no_grad, threads


@pytest.mark.parametrize("seed", ["2", True, np.True_, None, [1.0]])
def test_grad_refuses_a_seed_that_is_not_a_number(seed: object) -> None:
    x = Value(3.0, "x")
    y = x * x
    for create_graph in (False, True):
        with pytest.raises(TypeError, match="seed gradient"):
            grad(y, x, seed, create_graph=create_graph)  # type: ignore[arg-type]


def test_grad_and_explain_work_inside_no_grad_and_backward_still_refuses() -> None:
    x = Value(3.0, "x")
    y = x * x
    lines = explain_lines(y)
    with no_grad():
        assert grad(y, x)[0].data == 6.0
        (d,) = grad(y, x, create_graph=True)
        assert d.data == 6.0
        assert explain_lines(y) == lines
        with pytest.raises(RuntimeError, match="inside no_grad"):
            y.backward()
        assert not is_grad_enabled()
    assert (x.grad, y.grad) == (0.0, 0.0)
    assert grad(d, x)[0].data == 2.0  # create_graph built the graph of the derivative


def test_no_grad_in_one_thread_leaves_other_threads_recording() -> None:
    inside = threading.Event()
    done = threading.Event()
    seen: list[bool] = []

    def worker() -> None:
        with no_grad():
            inside.set()
            done.wait(timeout=10)
            seen.append(is_grad_enabled())
            seen.append((Value(1.0) * 2.0).is_leaf)

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert inside.wait(timeout=10)
        enabled_here = is_grad_enabled()
        recorded = Value(1.0) * 2.0
    finally:  # let the worker leave its no_grad() block whatever happened here
        done.set()
        thread.join(timeout=10)
    assert enabled_here
    assert not recorded.is_leaf
    assert seen == [False, True]


# ---------------------------------------------------------------- labels and bools


def test_label_is_checked_when_assigned_and_left_unchanged_on_error() -> None:
    v = Value(1.0, "v")
    with pytest.raises(TypeError, match="label must be a str, got int"):
        v.label = 3  # type: ignore[assignment]
    assert v.label == "v"
    w = v * 2.0
    w.label = "w"
    assert w.label == "w"


def test_numpy_bools_count_like_python_bools() -> None:
    for flag in (True, np.True_):
        assert Value(flag).data == 1.0
        v = Value(2.0, "v")
        y = v * flag + flag
        assert y.data == 3.0
        y.backward()
        assert v.grad == 1.0
    assert Value(np.False_).data == 0.0


# ---------------------------------------------------------------- the traced NumPy replay agrees


@pytest.mark.parametrize(
    ("function", "points"),
    [
        (lambda v: v[0] ** 0, [[0.0], [2.0], [math.nan]]),
        (lambda v: v[0] ** 1, [[0.0], [math.inf]]),
        (lambda v: v[0] ** 0.5, [[-math.inf], [-0.0], [4.0]]),
        (lambda v: v[0] ** 1.5, [[-math.inf], [0.0], [4.0]]),
        (lambda v: v[0] ** v[1], [[0.0, 0.0], [-math.inf, 0.5], [2.0, 0.0], [math.nan, 0.0]]),
    ],
)
def test_traced_replay_agrees_with_the_engine_at_power_edge_cases(
    function: Any, points: list[list[float]]
) -> None:
    from tinygrad_lite.trace import trace

    X = np.array(points)
    traced = trace(function, X)
    outputs = traced.forward(X)
    traced.backward()
    assert traced.input_grads is not None
    for row, output, input_grads in zip(points, outputs, traced.input_grads, strict=True):
        inputs = [Value(x) for x in row]
        y = function(inputs)
        np.testing.assert_array_equal(np.ravel(output), [y.data])
        np.testing.assert_array_equal(input_grads, [g.data for g in grad(y, inputs)])
