"""Add your own operation to tinygrad_lite and let hypothesis check its derivative.

The operation is softplus(x) = log(1 + e**x), a smooth relu. Its derivative is
the sigmoid, 1 / (1 + e**-x). A first attempt forgets the chain rule's inner
factor e**x and writes 1 / (1 + e**x); the property test finds it, shrinks
the input and explains the mismatch; the corrected op passes.

Run with ``python demos/property_test_your_op.py`` (needs hypothesis, in the
``testing`` or ``dev`` extra).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import Phase, given, settings

from tinygrad_lite import Op, Value, apply
from tinygrad_lite.testing import GradcheckError, finite_values, gradcheck
from tinygrad_lite.value import Num


def _exp(x: Num) -> Num:
    """e**x for a float or a Value, so one derivative formula serves both kinds of backward."""
    return x.exp() if isinstance(x, Value) else math.exp(x)


class Softplus(Op):
    """out = log(1 + e**x);  d/dx = 1 / (1 + e**-x)  (the sigmoid)"""

    name = "softplus"

    def forward(self, xs: Sequence[float]) -> float:
        x = xs[0]
        return max(x, 0.0) + math.log1p(math.exp(-abs(x)))  # no overflow for large |x|

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        return (1.0 / (1.0 + _exp(-xs[0])),)


class SoftplusWithABug(Softplus):
    """The first attempt: d/dx log(1 + e**x) taken as 1 / (1 + e**x), forgetting the
    inner derivative e**x."""

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        return (1.0 / (1.0 + _exp(xs[0])),)


def softplus(x: Value, op: Op | None = None) -> Value:
    """One graph node softplus(x)."""
    return apply(op or Softplus(), x)


PHASES = (Phase.explicit, Phase.generate, Phase.shrink)  # no database, no coverage notes


def property_test(op: Op) -> Callable[[], None]:
    """The ten-line property test: for any x in [-5, 5] and any weight w, the gradient of
    w * softplus(x) + x from autograd matches central differences."""

    @settings(max_examples=50, deadline=None, database=None, phases=PHASES)
    @given(x=finite_values(-5.0, 5.0), w=finite_values(-2.0, 2.0, avoid=()))
    def test_softplus_gradient(x: float, w: float) -> None:
        gradcheck(lambda x, w: w * softplus(x, op) + x, [Value(x, "x"), Value(w, "w")])

    return test_softplus_gradient


def main() -> None:
    print("1. softplus with d/dx = 1 / (1 + e**x):")
    try:
        property_test(SoftplusWithABug())()
    except GradcheckError as failure:
        print("   the property test FAILED, as it should:\n")
        for note in getattr(failure, "__notes__", []):  # hypothesis adds the shrunk example
            print(note)
        print(f"{failure}\n")
    else:
        raise SystemExit("the buggy derivative was not caught")

    print("2. softplus with d/dx = 1 / (1 + e**-x):")
    property_test(Softplus())()
    print("   the property test passed: 50 random points, every derivative matches.")


if __name__ == "__main__":
    main()
