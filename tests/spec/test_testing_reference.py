"""The NumPy reference (tinygrad_lite.testing.reference) where its formulas need care,
and the reference reverse mode `to_numpy`. (Every engine operation against the
reference, IEEE edge cases included: the table in test_operations.py.)"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from fractions import Fraction

import numpy as np
import pytest

from tinygrad_lite import Op, Value, apply, grad, linear, total
from tinygrad_lite.testing import (
    formula,
    reference_for,
    register_reference,
    to_numpy,
)
from tinygrad_lite.testing.reference import numpy_errors_ignored
from tinygrad_lite.value import Num

INF, NAN = math.inf, math.nan


def test_negative_infinity_to_the_half_follows_numpy() -> None:
    a = Value(-INF)
    with numpy_errors_ignored():
        expected = np.power(-INF, 0.5)
        value_at_three_halves = np.power(-INF, 1.5)
    assert math.isnan(expected)  # NumPy takes a square root
    assert value_at_three_halves == INF  # and C's pow for 1.5
    np.testing.assert_array_equal((a**0.5).data, expected)
    np.testing.assert_array_equal((a ** Value(0.5)).data, expected)
    # a derivative follows its value's rule: nan where the value is nan, and
    # 1.5 * (-inf)**0.5 with C's pow (inf) where the value (-inf)**1.5 is inf
    assert math.isnan(grad(a**0.5, a)[0].data)
    assert grad(a**1.5, a)[0].data == INF


def test_pow_derivatives_are_zero_where_the_power_does_not_move_like_the_engine() -> None:
    a, b = Value(0.0, "a"), Value(2.0, "b")
    f = to_numpy(a**b, [a, b])
    _, (d_a, d_b) = f.value_and_grad(np.array([0.0, 0.0, 2.0]), np.array([2.0, 0.0, 0.5]))
    np.testing.assert_array_equal(d_b, [0.0, 0.0, 2.0**0.5 * math.log(2.0)])
    np.testing.assert_array_equal(d_a, [0.0, 0.0, 0.5 * 2.0**-0.5])  # a**0 is 1: d/da = 0
    c, d = Value(0.0, "c"), Value(0.0, "d")
    assert [g.data for g in grad(c**d, [c, d])] == [0.0, 0.0]


@pytest.mark.parametrize("n", [0.0, 1.0])
def test_constant_power_derivative_follows_the_mathematics_where_the_formula_fails(
    n: float,
) -> None:
    """x**0 = 1 and x**1 = x for every x, so their derivatives are 0 and 1 everywhere,
    zeros and infinities included (n * x**(n-1) gives 0 * inf = nan for n = 0 at 0)."""
    x = Value(1.0, "x")
    points = np.array([0.0, -0.0, 1e-300, 2.0, -3.0, INF, -INF])
    _, (derivative,) = to_numpy(x**n, [x]).value_and_grad(points)
    np.testing.assert_array_equal(derivative, np.full(points.shape, n))


def test_division_derivative_is_minus_a_over_b_squared_correctly_rounded_or_nearly() -> None:
    """d/db (a/b) = -a/b**2 against exact rational arithmetic, also where b**2 overflows
    or underflows but the derivative is an ordinary number."""
    values = [1e-300, 3e-200, 1e-160, 0.7, 1.0, 3.0, 1e160, 2e200, 1e300, 5e-324]
    pairs = [(sa * a, sb * b) for a in values for b in values for sa in (1, -1) for sb in (1, -1)]
    a_column = np.array([a for a, _ in pairs])
    b_column = np.array([b for _, b in pairs])
    division = reference_for((Value(1.0) / Value(2.0)).operation)  # type: ignore[arg-type]
    with numpy_errors_ignored():
        _, d_b = division.derivatives([a_column, b_column], a_column / b_column)
    for a, b, got in zip(a_column, b_column, d_b, strict=True):
        exact = -Fraction(a) / Fraction(b) ** 2
        if abs(exact) > Fraction(sys.float_info.max):
            assert got == (INF if exact > 0 else -INF), (a, b, got)
            continue
        nearest = float(exact)  # correctly rounded (0.0 or a subnormal when it underflows)
        # two roundings (ma / mb**2) before the exact power of two; one more if subnormal
        assert abs(got - nearest) <= 2 * np.spacing(abs(nearest)) + 5e-324, (a, b, got, nearest)


# ---------------------------------------------------------------- to_numpy


def test_to_numpy_evaluates_many_samples_with_shared_subexpressions() -> None:
    x, y = Value(0.3, "x"), Value(-1.1, "y")
    t = x * y
    out = t.tanh() + t * 3.0 - (x / (y * y + 1.0)).exp()
    f = to_numpy(out, [x, y])
    xs, ys = np.array([0.3, 1.5, -2.0]), np.array([-1.1, 0.25, 4.0])
    value, (d_x, d_y) = f.value_and_grad(xs, ys)
    # written out by hand: t = xy, out = tanh t + 3t - exp(x / (y^2 + 1))
    tt, q = np.tanh(xs * ys), np.exp(xs / (ys * ys + 1))
    np.testing.assert_allclose(value, tt + 3 * xs * ys - q, rtol=1e-15)
    np.testing.assert_allclose(d_x, (1 - tt**2) * ys + 3 * ys - q / (ys * ys + 1), rtol=1e-14)
    np.testing.assert_allclose(
        d_y, (1 - tt**2) * xs + 3 * xs + q * xs * 2 * ys / (ys * ys + 1) ** 2, rtol=1e-14
    )
    assert f(0.3, -1.1) == out.data  # same operations at the leaves' own values


def test_to_numpy_treats_unlisted_leaves_as_constants_and_unused_leaves_get_zero() -> None:
    x, c, unused = Value(2.0, "x"), Value(5.0, "c"), Value(1.0, "u")
    f = to_numpy(x * c, [x, unused])
    value, (d_x, d_unused) = f.value_and_grad(np.array([1.0, 2.0]), np.array([9.0, 9.0]))
    assert value.tolist() == [5.0, 10.0] and d_x.tolist() == [5.0, 5.0]
    assert d_unused.tolist() == [0.0, 0.0]


def test_to_numpy_handles_a_deep_chain_without_recursion() -> None:
    x = Value(1.0, "x")
    v = x
    for _ in range(5000):
        v = v * 1.0001
    _, (d_x,) = to_numpy(v, [x]).value_and_grad(1.0)
    assert d_x == pytest.approx(1.0001**5000, rel=1e-12)


def test_to_numpy_rejects_bad_leaves_and_unknown_operations() -> None:
    x = Value(1.0, "x")
    y = x * 2
    with pytest.raises(ValueError, match="computed by '\\*'"):
        to_numpy(y * 3, [y])
    with pytest.raises(ValueError, match="distinct"):
        to_numpy(y, [x, x])
    with pytest.raises(TypeError, match="leaf 0 is float"):
        to_numpy(y, [1.0])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="one array per leaf \\(1\\), got 2"):
        to_numpy(y, [x])(1.0, 2.0)

    class Square(Op):
        name = "square"

        def forward(self, xs: Sequence[float]) -> float:
            return xs[0] * xs[0]

        def derivatives(self, xs: Sequence[object], out: object) -> tuple[Num, ...]:
            return (2.0 * xs[0],)  # type: ignore[operator]

    with pytest.raises(LookupError, match=r"'square'.*register_reference"):
        to_numpy(apply(Square(), x), [x])
    register_reference(Square, lambda xs: xs[0] ** 2, lambda xs, out: (2 * xs[0],))
    assert to_numpy(apply(Square(), x), [x]).grad(np.array([3.0]))[0].tolist() == [6.0]
    with pytest.raises(TypeError, match="Op subclass"):
        register_reference(int, lambda xs: xs[0], lambda xs, out: ())  # type: ignore[arg-type]


def test_forward_error_bound_covers_the_difference_from_exact_arithmetic() -> None:
    from fractions import Fraction

    x, y = Value(0.1, "x"), Value(0.7, "y")
    out = (x * y + x / y - y * y) * 3.0 + total([x, y, x * x])
    f = to_numpy(out, [x, y])
    fx, fy = Fraction(0.1), Fraction(0.7)
    exact = (fx * fy + fx / fy - fy * fy) * 3 + (fx + fy + fx * fx)
    error = abs(Fraction(float(f(0.1, 0.7))) - exact)
    bound = float(f.forward_error_bound(0.1, 0.7))
    assert 0 < error <= bound < 1e-14


# ---------------------------------------------------------------- formula


def test_formula_writes_precedence_and_names_shared_nodes() -> None:
    a, b, c = Value(1.0, "a"), Value(2.0, "b"), Value(3.0)
    assert formula(a - (b + c), [a, b, c]) == "a - (b + x2)"
    assert formula((a - b) * -c, [a, b, c]) == "(a - b)*-x2"
    assert formula((a * b) ** 2 / a.exp()) == "(a*b)**2/exp(a)"
    assert formula(-(a**b) + 2 ** (-a)) == "-a**b + 2.0**(-a)"
    assert formula(linear([a, b], [c, a], 1.5), [a, b, c]) == "a*x2 + b*a + 1.5"
    t = a * b
    assert formula(t.tanh() + t) == "tanh(t1) + t1\n  where t1 = a*b"
    t.label = "prod"
    assert formula(total([t, t, a])) == "sum(prod, prod, a)\n  where prod = a*b"
