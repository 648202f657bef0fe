"""The shared argument checks: one wording for every size, count, rate and tolerance."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinygrad_lite import checks


@pytest.mark.parametrize(
    ("minimum", "bad", "message"),
    [
        (1, 0, "n must be a positive integer, got 0"),
        (1, True, "n must be a positive integer, got True"),
        (1, 2.0, "n must be a positive integer, got 2.0"),
        (0, -1, "n must be a non-negative integer, got -1"),
        (10, 3, "n must be an integer >= 10, got 3"),
        (2, "3", "n must be an integer >= 2, got '3'"),
    ],
)
def test_integer_refuses_bools_floats_and_small_values(
    minimum: int, bad: object, message: str
) -> None:
    with pytest.raises(ValueError) as caught:
        checks.integer("n", bad, minimum)
    assert str(caught.value) == message


def test_integer_accepts_numpy_integers_and_returns_a_python_int() -> None:
    result = checks.positive_integer("n", np.int64(3))
    assert result == 3 and type(result) is int
    assert checks.non_negative_integer("n", 0) == 0


def test_optional_integer_takes_none_and_says_so() -> None:
    assert checks.optional_integer("limit", None, 0) is None
    with pytest.raises(ValueError, match="limit must be a non-negative integer or None, got -1"):
        checks.optional_integer("limit", -1, 0)


def test_number_in_names_the_interval_with_its_open_ends() -> None:
    assert checks.number_in("lr", 1, 0.0, math.inf, high_open=True) == 1.0
    with pytest.raises(ValueError, match=r"lr must be in \[0, inf\), got -0.1"):
        checks.number_in("lr", -0.1, 0.0, math.inf, high_open=True)
    with pytest.raises(ValueError, match=r"factor must be in \(0, 1\), got 0"):
        checks.number_in("factor", 0, 0.0, 1.0, low_open=True, high_open=True)
    with pytest.raises(ValueError, match="got nan"):
        checks.number_in("momentum", math.nan, 0.0, 1.0)
    with pytest.raises(TypeError, match="lr must be a real number, got bool: True"):
        checks.number_in("lr", True, 0.0, 1.0)


def test_finite_number_refuses_infinity_nan_and_values_below_the_minimum() -> None:
    assert checks.finite_number("noise", 0, minimum=0.0) == 0.0
    for bad in (-1.0, math.inf, math.nan):
        with pytest.raises(ValueError, match="noise must be a finite number >= 0"):
            checks.finite_number("noise", bad, minimum=0.0)
    with pytest.raises(ValueError, match="eps must be a finite number > 0, got 0"):
        checks.finite_number("eps", 0, minimum=0.0, strict=True)
    with pytest.raises(ValueError, match="x must be a finite number, got inf"):
        checks.finite_number("x", math.inf)


def test_a_number_no_float_can_hold_is_one_value_error_everywhere() -> None:
    from tinygrad_lite import MLP, SGD, Value, fit

    model = MLP(2, [1], seed=0)
    calls = {
        "Value": lambda: Value(10**400),
        "lr": lambda: SGD(model.parameters(), lr=10**400),
        r"the seed gradient \(grad=...\)": lambda: (Value(2.0) * 3).backward(grad=10**400),
        "X": lambda: fit(model, [[10**400, 0]], [1]),
        "y": lambda: fit(model, [[1, 0]], [-(10**400)]),
    }
    for name, call in calls.items():
        with pytest.raises(
            ValueError, match=f"^{name} needs a number a float can hold .* 401 digits"
        ):
            call()
