"""Comparing IEEE-754 results in tests, where nan and the sign of zero matter."""

from __future__ import annotations

import math


def same(got: float, expected: float) -> bool:
    """Equal as IEEE values: nan to nan (whatever its sign bit), zeros with the same sign."""
    if math.isnan(expected):
        return math.isnan(got)
    return got == expected and math.copysign(1.0, got) == math.copysign(1.0, expected)


def equal(got: float, expected: float) -> bool:
    """Equal, nan to nan. (For gradients: adding into a gradient that starts at 0.0 turns
    a -0.0 into 0.0, so the sign of a zero gradient means nothing.)"""
    return math.isnan(got) if math.isnan(expected) else got == expected
