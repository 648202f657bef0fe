"""gradcheck, gradgradcheck, central_difference and the readable assertions of the kit."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from tinygrad_lite import Op, Value, apply
from tinygrad_lite.testing import (
    GradcheckError,
    assert_grads_close,
    assert_matches_reference,
    central_difference,
    gradcheck,
    gradgradcheck,
    register_reference,
)
from tinygrad_lite.value import Num


class Cube(Op):
    """out = a**3 with a chosen derivative, to make right and wrong versions."""

    name = "cube"

    def __init__(self, derivative_factor: float = 3.0, detach: bool = False) -> None:
        self.factor = derivative_factor
        self.detach = detach

    def forward(self, xs: Sequence[float]) -> float:
        return xs[0] ** 3

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        (a,) = xs
        if self.detach and isinstance(a, Value):  # a classic bug: the derivative is a constant
            return (Value(self.factor * a.data * a.data),)
        return (self.factor * a * a,)


def test_gradcheck_passes_on_correct_gradients_and_returns_true() -> None:
    assert gradcheck(lambda x, y: (x * y).tanh() + x**3 / y.exp(), [0.3, -0.7]) is True
    assert gradcheck(lambda x: apply(Cube(), x) * x.sigmoid(), [1.3]) is True


def test_gradcheck_reports_each_input_with_both_values_and_the_formula() -> None:
    wrong = Cube(derivative_factor=2.0)
    with pytest.raises(GradcheckError) as failure:
        gradcheck(lambda x, y: apply(wrong, x) + x * y, [Value(1.5, "a"), 0.25])
    message = str(failure.value)
    assert "gradcheck failed for 1 of 2 derivatives" in message
    assert "f = cube(a) + a*x1" in message
    assert "at a = 1.5, x1 = 0.25" in message
    rows = {row.name: row for row in failure.value.rows}
    # autograd uses the wrong 2a^2 + y; the central difference sees 3a^2 + y
    assert rows["d f/d a"].analytic == 2 * 1.5**2 + 0.25
    assert rows["d f/d a"].numeric == pytest.approx(3 * 1.5**2 + 0.25, rel=1e-8)
    assert not rows["d f/d a"].ok and rows["d f/d x1"].ok
    line = next(ln for ln in message.splitlines() if ln.strip().startswith("d f/d a "))
    assert "4.75" in line and "6.9999999" in line and "3.21e-01" in line and "<-- mismatch" in line
    assert gradcheck(lambda x: apply(wrong, x), [1.5], raise_exception=False) is False


def test_gradcheck_does_not_flag_small_differences_below_its_tolerance() -> None:
    # f(x) = x * 1e-7 has an exact derivative; a wrong one off by 1e-6 absolute
    # is inside atol=1e-5 (PyTorch's default), off by 1e-4 it is not
    class Scale(Op):
        name = "scale"

        def __init__(self, error: float) -> None:
            self.error = error

        def forward(self, xs: Sequence[float]) -> float:
            return xs[0] * 1e-7

        def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
            return (1e-7 + self.error,)

    assert gradcheck(lambda x: apply(Scale(1e-6), x), [2.0])
    assert not gradcheck(lambda x: apply(Scale(1e-4), x), [2.0], raise_exception=False)


def test_gradgradcheck_catches_a_derivative_that_is_not_itself_differentiable() -> None:
    assert gradgradcheck(lambda x, y: apply(Cube(), x) * y + (x * y).tanh(), [0.4, 1.2])
    # first derivatives are right, so gradcheck passes ...
    assert gradcheck(lambda x: apply(Cube(detach=True), x), [0.8])
    # ... but with create_graph the derivative is a constant: d2/dx2 comes out 0, not 6x
    with pytest.raises(GradcheckError, match=r"d2 f/d x0 d x0 .* <-- mismatch"):
        gradgradcheck(lambda x: apply(Cube(detach=True), x), [0.8])


def test_gradcheck_and_gradgradcheck_accept_functions_that_return_an_input() -> None:
    assert gradcheck(lambda x, y: y, [1.0, 2.0])
    assert gradgradcheck(lambda x, y: x * y, [1.0, 2.0])


@pytest.mark.parametrize(
    ("inputs", "kwargs", "error", "match"),
    [
        ([], {}, ValueError, "at least one input"),
        ([math.nan], {}, ValueError, "input 0 is nan"),
        (["1"], {}, TypeError, "input 0 must be a float"),
        ([1.0], {"eps": 0.0}, ValueError, "eps must be a finite number > 0"),
        ([1.0], {"rtol": -1.0}, ValueError, r"rtol must be in \[0, inf\]"),
    ],
)
def test_gradcheck_rejects_bad_arguments(
    inputs: list[Any], kwargs: dict[str, float], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        gradcheck(lambda *xs: xs[0] * 2, inputs, **kwargs)


def test_gradcheck_needs_a_value_back() -> None:
    with pytest.raises(TypeError, match="must return a Value, got float"):
        gradcheck(lambda x: 2.0, [1.0])  # type: ignore[arg-type, return-value]


def test_central_difference_error_bound_holds_and_is_tight() -> None:
    def f(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.exp(x) * np.sin(y) + x**5

    x, y = 1.3, -0.4
    exact = np.array([np.exp(x) * np.sin(y) + 5 * x**4, np.exp(x) * np.cos(y)])
    u = 2.0**-53
    result = central_difference(f, [x, y], evaluation_error=8 * u * 20.0)
    error = np.abs(result.estimate - exact)
    assert np.all(error <= result.error_bound)
    assert np.all(result.error_bound < 1e-8 * np.abs(exact))  # a bound that still discriminates
    assert result.step.tolist() == pytest.approx([4.806e-6 * 1.3, 4.806e-6], rel=1e-3)  # u**(1/3)


def test_central_difference_bound_counts_a_point_lost_in_rounding() -> None:
    # x + h rounds to h when |x| << h: the difference is centred on 0, not on x
    x = 3.7e-148
    result = central_difference(lambda v: v * v, [x])
    assert result.estimate[0] == 0.0 and abs(result.estimate[0] - 2 * x) <= result.error_bound[0]


def test_assert_grads_close_explains_itself() -> None:
    a, b = Value(0.5, "a"), Value(-2.0, "b")
    t = a * b
    out = t.exp() + t
    assert_grads_close(out, [a, b], [b.data * (math.exp(-1.0) + 1), a.data * (math.exp(-1.0) + 1)])
    with pytest.raises(GradcheckError) as failure:
        assert_grads_close(out, [a, b], [0.0, 0.0], expected_name="hand derivation")
    message = str(failure.value)
    assert "out = exp(t1) + t1\n    where t1 = a*b" in message
    assert "at a = 0.5, b = -2.0 (out = " in message
    assert "hand derivation" in message and message.count("<-- mismatch") == 2
    with pytest.raises(ValueError, match="2 leaves but 1 expected"):
        assert_grads_close(out, [a, b], [0.0])


class Softplus(Op):
    name = "softplus_test"

    def __init__(self, right: bool) -> None:
        self.right = right

    def forward(self, xs: Sequence[float]) -> float:
        return math.log1p(math.exp(xs[0]))

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        x = xs[0]
        if self.right:
            return (1.0 / (1.0 + math.exp(-x)),)
        return (1.0 / (1.0 + math.exp(x)),)  # forgot the inner derivative e**x


def test_assert_matches_reference_finds_a_wrong_custom_derivative() -> None:
    register_reference(
        Softplus,
        lambda xs: np.logaddexp(0.0, xs[0]),
        lambda xs, out: (1.0 / (1.0 + np.exp(-xs[0])),),
    )
    x = Value(0.7, "x")
    assert_matches_reference(apply(Softplus(right=True), x) * x, [x])
    with pytest.raises(GradcheckError, match=r"(?s)softplus_test\(x\)\*x.*d out/d x"):
        assert_matches_reference(apply(Softplus(right=False), x) * x, [x])


def test_nan_agrees_with_nan_only_where_the_derivative_is_undefined() -> None:
    # 0/0 is undefined: both sides give nan for the value and both gradients, and that passes.
    a, b = Value(0.0, "a"), Value(0.0, "b")
    assert_matches_reference(a / b, [a, b])
    # relu(-sqrt(x)) is 0 for every x >= 0, so its derivative at 0 is 0; reverse mode
    # multiplies relu's 0 by sqrt's inf there and gets nan, which is not the derivative.
    x = Value(0.0, "x")
    f = (-(x**0.5)).relu()
    f.backward()
    assert math.isnan(x.grad)
    with pytest.raises(GradcheckError, match="d out/d x"):
        assert_matches_reference(f, [x])


def test_a_removable_zero_times_infinity_in_a_local_derivative_is_caught(monkeypatch) -> None:
    """An engine whose d/dx x**n is n * x**(n-1) gives 0 * inf = nan for x**0 at 0; the
    reference derives that case from the mathematics (x**0 = 1: derivative 0)."""
    import tinygrad_lite.ops as engine_module

    def formula_only(self, xs, out):  # type: ignore[no-untyped-def]
        return (self.exponent * engine_module.ieee_pow(xs[0], self.exponent - 1.0),)

    monkeypatch.setattr(engine_module.PowConst, "derivatives", formula_only)
    x = Value(0.0, "x")
    with pytest.raises(GradcheckError, match="d out/d x"):
        assert_matches_reference(x**0, [x])
