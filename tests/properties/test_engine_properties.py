"""The engine's IEEE-754 helpers against NumPy on any floats, specials included."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from tinygrad_lite.ops import ieee_div, ieee_exp, ieee_log, ieee_pow


@given(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.floats(allow_nan=True, allow_infinity=True, width=64),
)
@example(-math.inf, 0.5)  # NumPy's square-root path: nan, where C's pow gives inf
def test_ieee_helpers_match_numpy_exactly_on_special_values(a: float, b: float) -> None:
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(ieee_div(a, b), np.float64(a) / np.float64(b))
        expected_pow = np.power(np.float64(a), np.float64(b))
        np.testing.assert_allclose(ieee_pow(a, b), expected_pow, rtol=4e-16)
        np.testing.assert_allclose(ieee_exp(a), np.exp(np.float64(a)), rtol=4e-16)
        np.testing.assert_allclose(ieee_log(a), np.log(np.float64(a)), rtol=4e-16)
