"""How large float64 rounding errors in a local derivative can be, per operation.

Two float64 implementations of the same reverse mode (the engine and the
NumPy reference) differ by rounding: C-library ``math.tanh`` and NumPy's
``np.tanh`` may disagree in the last bit, and ``1 - tanh(x)**2`` turns one bit
of ``tanh(x)`` into many bits of the derivative when ``|x|`` is large. To say
"equal up to 1e-12 relative" honestly, the comparison must be relative to the
size of the numbers the gradient was computed from, not to the gradient
alone. `NumpyFunction.gradient_scale` builds that size from two facts per
operation, given here:

* ``magnitude``: the rounding error of evaluating the local derivative formula
  itself is at most about ``u * magnitude`` (``|1/b|`` for 1/b; ``1 + tanh**2``
  for ``1 - tanh**2``, whose terms cancel);
* ``curvature``: ``|d local_i / d x_j|``, so an error ``e_j`` already in operand
  j moves local derivative i by about ``curvature[i][j] * e_j`` (these are
  the second derivatives of the operation).

Operations this module does not know (custom ops) get ``magnitude = |local|``
and zero curvature: errors from their operands' rounding are not counted.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tinygrad_lite import ops
from tinygrad_lite.testing.reference import Array

Sensitivity = tuple[tuple[Array, ...], tuple[tuple[Array, ...], ...]]
"""(magnitude per operand, curvature[i][j] per pair of operands)."""


def _zeros(count: int, like: Array) -> tuple[tuple[Array, ...], ...]:
    zero = np.zeros_like(like)
    return tuple(tuple(zero for _ in range(count)) for _ in range(count))


def sensitivity(op: ops.Op, xs: Sequence[Array], out: Array, local: Sequence[Array]) -> Sensitivity:
    """Rounding magnitude of each local derivative and its curvature (see the module doc)."""
    n = len(xs)
    zero = np.zeros_like(out)
    if isinstance(op, (ops.Add, ops.Sub, ops.Neg, ops.Sum, ops.Relu, ops.Abs)):
        return tuple(zero for _ in xs), _zeros(n, out)  # exact constant derivatives
    if isinstance(op, ops.Mul):
        one = np.ones_like(out)
        return (zero, zero), ((zero, one), (one, zero))  # d/da = b exactly, d/db = a
    if isinstance(op, ops.Linear):
        k = (n - 1) // 2
        curvature = [[zero] * n for _ in range(n)]
        for i in range(k):  # d/dwi = xi and d/dxi = wi: each moves with the other
            curvature[i][k + i] = np.ones_like(out)
            curvature[k + i][i] = np.ones_like(out)
        return tuple(zero for _ in xs), tuple(tuple(row) for row in curvature)
    if isinstance(op, ops.Div):
        a, b = xs
        inv_b2 = 1.0 / (b * b)
        return (
            (np.abs(1.0 / b), 2.0 * np.abs(a) * inv_b2),
            ((zero, inv_b2), (inv_b2, 2.0 * np.abs(a) * inv_b2 / np.abs(b))),
        )
    if isinstance(op, ops.Pow):
        a, b = xs
        log_a = np.log(np.abs(a))
        mixed = np.abs(np.power(a, b - 1.0) * (1.0 + b * log_a))
        return (
            (
                np.abs(local[0]) * (3.0 + np.abs(log_a * (b - 1.0))),
                np.abs(local[1]) * 3.0,
            ),
            (
                (np.abs(b * (b - 1.0) * np.power(a, b - 2.0)), mixed),
                (mixed, np.abs(np.power(a, b) * log_a * log_a)),
            ),
        )
    if isinstance(op, ops.PowConst):
        p = op.exponent
        if p * (p - 1.0) == 0.0:  # a**0 and a**1: constant derivative (avoid 0 * inf at a = 0)
            return (3.0 * np.abs(local[0]),), ((zero,),)
        return (3.0 * np.abs(local[0]),), ((np.abs(p * (p - 1.0) * np.power(xs[0], p - 2.0)),),)
    if isinstance(op, ops.Exp):
        return (np.abs(local[0]),), ((np.abs(np.exp(xs[0])),),)
    if isinstance(op, ops.Log):
        return (np.abs(local[0]),), ((1.0 / (xs[0] * xs[0]),),)
    if isinstance(op, ops.Tanh):
        t = np.tanh(xs[0])
        return (1.0 + 5.0 * t * t,), ((np.abs(2.0 * t * (1.0 - t * t)),),)
    if isinstance(op, ops.Sigmoid):
        s = 1.0 / (1.0 + np.exp(-xs[0]))
        return (s * (1.0 + 2.0 * s) + np.abs(local[0]),), (
            (np.abs(s * (1.0 - s) * (1.0 - 2.0 * s)),),
        )
    if isinstance(op, ops.Sin):  # d/da = cos(a), whose own derivative is -sin(a)
        return (np.abs(local[0]),), ((np.abs(np.sin(xs[0])),),)
    if isinstance(op, ops.Cos):  # d/da = -sin(a), whose own derivative is -cos(a)
        return (np.abs(local[0]),), ((np.abs(np.cos(xs[0])),),)
    if isinstance(op, ops.Sqrt):  # d/da = 1/(2 sqrt(a)): two roundings; its derivative
        # is -1/(4 a sqrt(a)), |local| / (2 |a|) in size
        return (2.0 * np.abs(local[0]),), ((np.abs(local[0]) / (2.0 * np.abs(xs[0])),),)
    return tuple(np.abs(d) for d in local), _zeros(n, out)
