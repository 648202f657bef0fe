"""NumPy reference versions of every engine operation, vectorised over samples.

Each operation has a forward function and its analytic local derivatives,
written here from the mathematics, not taken from `tinygrad_lite.ops`: a
reference that reused the engine's formulas could not catch a mistake in
them. Arrays hold one entry per sample, so one call checks many points.

Floating point follows IEEE-754 as NumPy computes it, exactly like the
engine promises: ``exp`` overflow gives ``inf``, ``log(0) = -inf``,
``log(-1) = nan``, ``0/0 = nan``, ``1/0 = inf``, ``relu'(0) = 0``,
``sin(+-inf) = cos(+-inf) = nan``, ``sqrt(-1) = nan``, ``sqrt(-0.0) = -0.0``,
``sqrt'(0) = inf``, ``|-0.0| = 0.0``, ``abs'(0) = 0``, and for ``a ** b`` with a
`Value` exponent, ``d/db = 0`` where ``a == 0`` and ``b >= 0``.
Callers evaluate under ``np.errstate(all="ignore")`` (see `numpy_errors_ignored`).

`reference_for(op)` returns the `Reference` of an engine `Op`;
`register_reference` adds one for a custom `Op` subclass.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tinygrad_lite import ops

Array = NDArray[np.float64]
Forward = Callable[[Sequence[Array]], Array]
Derivatives = Callable[[Sequence[Array], Array], tuple[Array, ...]]


def numpy_errors_ignored() -> Any:
    """``np.errstate`` that lets IEEE results (inf, nan) through silently, as the engine does."""
    return np.errstate(all="ignore")


@dataclass(frozen=True)
class Reference:
    """The NumPy version of one operation.

    Attributes:
        name: the operation's name, as ``Value.op`` shows it.
        forward: ``forward(xs) -> out`` on arrays, one array per operand.
        derivatives: ``derivatives(xs, out) -> (d out/d xs[0], d out/d xs[1], ...)``.
        smooth_on: for a function of one operand, the open interval where it is
            infinitely differentiable, apart from ``kinks`` (log's is (0, inf)).
        kinks: points inside ``smooth_on`` where it is continuous but has no
            derivative (relu's 0).
    """

    name: str
    forward: Forward
    derivatives: Derivatives
    smooth_on: tuple[float, float] = (-math.inf, math.inf)
    kinks: tuple[float, ...] = ()


# -- the formulas, one pair per operation ------------------------------------


def add(a: Array, b: Array) -> Array:
    """a + b"""
    return a + b


def sub(a: Array, b: Array) -> Array:
    """a - b"""
    return a - b


def mul(a: Array, b: Array) -> Array:
    """a * b"""
    return a * b


def div(a: Array, b: Array) -> Array:
    """a / b"""
    return a / b


def div_derivatives(a: Array, b: Array) -> tuple[Array, Array]:
    """d/da (a/b) = 1/b;  d/db (a/b) = -a / b**2.

    ``b**2`` and ``a / b**2`` can overflow or underflow where the result is an
    ordinary number, so both operands are split into mantissa and exponent
    (``a = ma * 2**ea``, ``b = mb * 2**eb``, ``0.5 <= |m| < 1``): then
    ``-a / b**2 = -(ma / mb**2) * 2**(ea - 2 eb)``, where ``ma / mb**2`` lies between
    0.5 and 4 and the power of two is applied exactly (`np.ldexp`). Zeros,
    infinities and nan keep their IEEE meaning: 1/0 gives -inf, 0/0 and inf/inf nan.
    """
    a_mantissa, a_exponent = np.frexp(a)
    b_mantissa, b_exponent = np.frexp(b)
    d_b = np.ldexp(-a_mantissa / (b_mantissa * b_mantissa), a_exponent - 2 * b_exponent)
    return 1.0 / b, d_b


def power(a: Array, b: Array) -> Array:
    """a ** b (NumPy's float power: negative base with non-integer exponent gives nan),
    elementwise as NumPy's scalars compute it: ``a ** 0.5`` is ``sqrt(a)``, so
    ``(-inf) ** 0.5`` is nan. (``np.power`` of two arrays skips that square root
    and gives inf there; with a scalar exponent it takes it, as PyTorch does.)"""
    return np.where(b == 0.5, np.sqrt(a), np.power(a, b))


def power_derivatives(a: Array, b: Array) -> tuple[Array, Array]:
    """d/da a**b = b * a**(b-1), except where b == 0: there a**b = 1 for every a, so
    d/da = 0 (also at a = 0, where the formula would give 0 * inf);
    d/db a**b = a**b * ln(a), taken as 0 where a == 0 and b >= 0 (there a**b does not
    change as b moves up from b). d/da is nan where a**b is nan (`power_rule`)."""
    d_base = np.where(b == 0.0, 0.0, _power_factor(a, b))
    d_exponent = np.where((a == 0.0) & (b >= 0.0), 0.0, power(a, b) * np.log(a))
    return d_base, d_exponent


def neg(a: Array) -> Array:
    """-a"""
    return -a


def exp(a: Array) -> Array:
    """e**a"""
    return np.exp(a)


def log(a: Array) -> Array:
    """ln(a)"""
    return np.log(a)


def tanh(a: Array) -> Array:
    """tanh(a)"""
    return np.tanh(a)


def tanh_derivative(a: Array) -> Array:
    """d/da tanh(a) = 1 - tanh(a)**2 = sech(a)**2"""
    t = np.tanh(a)
    return 1.0 - t * t


def sigmoid(a: Array) -> Array:
    """1 / (1 + e**-a)"""
    return 1.0 / (1.0 + np.exp(-a))


def sigmoid_derivative(a: Array) -> Array:
    """d/da sigmoid(a) = sigmoid(a) * (1 - sigmoid(a))"""
    s = sigmoid(a)
    return s * (1.0 - s)


def relu(a: Array) -> Array:
    """max(a, 0); nan stays nan"""
    return np.where(a <= 0.0, 0.0, a)


def relu_derivative(a: Array) -> Array:
    """1 where a > 0, 0 where a <= 0 (0 at the kink, as PyTorch), nan where a is nan"""
    return np.where(a > 0.0, 1.0, np.where(a <= 0.0, 0.0, np.nan))


def sin(a: Array) -> Array:
    """sin(a), a in radians; nan at +-inf"""
    return np.sin(a)


def sin_derivative(a: Array) -> Array:
    """d/da sin(a) = cos(a)"""
    return np.cos(a)


def cos(a: Array) -> Array:
    """cos(a), a in radians; nan at +-inf"""
    return np.cos(a)


def cos_derivative(a: Array) -> Array:
    """d/da cos(a) = -sin(a)"""
    return -np.sin(a)


def sqrt(a: Array) -> Array:
    """The square root: nan for a < 0, sqrt(-0.0) = -0.0"""
    return np.sqrt(a)


def sqrt_derivative(a: Array) -> Array:
    """d/da a**(1/2) = 1 / (2 sqrt(a)): inf at 0 (-inf at -0.0, where sqrt gives -0.0),
    0 at inf, nan for a < 0"""
    return 1.0 / (2.0 * np.sqrt(a))


def absolute(a: Array) -> Array:
    """|a|; |-0.0| = 0.0"""
    return np.abs(a)


def absolute_derivative(a: Array) -> Array:
    """d/da |a| = 1 where a > 0, -1 where a < 0, 0 at the kink a = 0 (as PyTorch), nan
    where a is nan"""
    return np.where(a > 0.0, 1.0, np.where(a < 0.0, -1.0, np.where(a == 0.0, 0.0, np.nan)))


def n_ary_sum(xs: Sequence[Array]) -> Array:
    """x1 + x2 + ... + xn, added left to right starting from 0.0"""
    out = np.zeros(np.broadcast(*xs).shape)
    for x in xs:
        out = out + x
    return out


def linear_form(xs: Sequence[Array]) -> Array:
    """w1*x1 + ... + wn*xn + b for operands (w1..wn, x1..xn, b)"""
    n = (len(xs) - 1) // 2
    out = np.zeros(np.broadcast(*xs).shape)
    for i in range(n):
        out = out + xs[i] * xs[n + i]
    return out + xs[-1]


def linear_form_derivatives(xs: Sequence[Array]) -> tuple[Array, ...]:
    """d/dwi = xi, d/dxi = wi, d/db = 1"""
    n = (len(xs) - 1) // 2
    ones = np.ones_like(xs[-1])
    return (*xs[n : 2 * n], *xs[:n], ones)


def _ones(x: Array) -> Array:
    return np.ones_like(x)


# -- the table: engine Op type -> Reference ---------------------------------

ReferenceFactory = Callable[[ops.Op], Reference]

_FACTORIES: dict[type[ops.Op], ReferenceFactory] = {
    ops.Add: lambda op: Reference(
        "+", lambda xs: add(xs[0], xs[1]), lambda xs, out: (_ones(xs[0]), _ones(xs[1]))
    ),
    ops.Sub: lambda op: Reference(
        "-", lambda xs: sub(xs[0], xs[1]), lambda xs, out: (_ones(xs[0]), -_ones(xs[1]))
    ),
    ops.Mul: lambda op: Reference(
        "*", lambda xs: mul(xs[0], xs[1]), lambda xs, out: (xs[1], xs[0])
    ),
    ops.Div: lambda op: Reference(
        "/", lambda xs: div(xs[0], xs[1]), lambda xs, out: div_derivatives(xs[0], xs[1])
    ),
    ops.Pow: lambda op: Reference(
        "**", lambda xs: power(xs[0], xs[1]), lambda xs, out: power_derivatives(xs[0], xs[1])
    ),
    ops.PowConst: lambda op: _power_constant(op),
    ops.Neg: lambda op: Reference("neg", lambda xs: neg(xs[0]), lambda xs, out: (-_ones(xs[0]),)),
    ops.Exp: lambda op: Reference("exp", lambda xs: exp(xs[0]), lambda xs, out: (exp(xs[0]),)),
    ops.Log: lambda op: Reference(
        "log", lambda xs: log(xs[0]), lambda xs, out: (1.0 / xs[0],), smooth_on=(0.0, math.inf)
    ),
    ops.Tanh: lambda op: Reference(
        "tanh", lambda xs: tanh(xs[0]), lambda xs, out: (tanh_derivative(xs[0]),)
    ),
    ops.Sigmoid: lambda op: Reference(
        "sigmoid", lambda xs: sigmoid(xs[0]), lambda xs, out: (sigmoid_derivative(xs[0]),)
    ),
    ops.Relu: lambda op: Reference(
        "relu", lambda xs: relu(xs[0]), lambda xs, out: (relu_derivative(xs[0]),), kinks=(0.0,)
    ),
    ops.Sin: lambda op: Reference(
        "sin", lambda xs: sin(xs[0]), lambda xs, out: (sin_derivative(xs[0]),)
    ),
    ops.Cos: lambda op: Reference(
        "cos", lambda xs: cos(xs[0]), lambda xs, out: (cos_derivative(xs[0]),)
    ),
    ops.Sqrt: lambda op: Reference(
        "sqrt",
        lambda xs: sqrt(xs[0]),
        lambda xs, out: (sqrt_derivative(xs[0]),),
        smooth_on=(0.0, math.inf),
    ),
    ops.Abs: lambda op: Reference(
        "abs",
        lambda xs: absolute(xs[0]),
        lambda xs, out: (absolute_derivative(xs[0]),),
        kinks=(0.0,),
    ),
    ops.Sum: lambda op: Reference("sum", n_ary_sum, lambda xs, out: tuple(_ones(x) for x in xs)),
    ops.Linear: lambda op: Reference(
        "linear", linear_form, lambda xs, out: linear_form_derivatives(xs)
    ),
}


def _power_constant(op: ops.Op) -> Reference:
    """a ** n for the op's fixed number n;  d/da = n * a**(n-1) (see `power_rule`)."""
    if not isinstance(op, ops.PowConst):
        raise TypeError(f"expected a PowConst operation, got {op!r}")
    n = float(op.exponent)
    return Reference(
        op.name, lambda xs: np.power(xs[0], n), lambda xs, out: (power_rule(xs[0], n),)
    )


def power_rule(a: Array, n: float) -> Array:
    """d/da a**n for a fixed n, case by case as the mathematics has it: a**0 = 1 is
    constant, so 0 everywhere (at a = 0 too, where n * a**(n-1) is 0 * inf); a**1 = a
    has derivative 1 everywhere; otherwise n * a**(n-1), nan wherever the value a**n is
    nan (``(-inf)**0.5``, a square root) and with a**(n-1) as C's pow otherwise, as the
    value is (``(-inf)**1.5`` is inf, and so is its derivative)."""
    if n == 0.0:
        return np.zeros_like(a)
    if n == 1.0:
        return np.ones_like(a)
    return _power_factor(a, np.full_like(a, n))


def _power_factor(a: Array, n: Array) -> Array:
    """n * a**(n-1) with C's pow for a**(n-1) (an array exponent: no square root), nan
    where `power` gives a**n as nan."""
    n = np.broadcast_to(n, np.shape(a))
    c_pow = np.power(np.asarray(a, dtype=np.float64), np.asarray(n - 1.0, dtype=np.float64))
    result: Array = np.where(np.isnan(power(a, n)), np.nan, n * c_pow)
    return result


def reference_for(op: ops.Op) -> Reference:
    """The NumPy `Reference` of an engine operation.

    Raises `LookupError` naming the operation when none is known; add one
    with `register_reference`.
    """
    for op_type in type(op).__mro__:
        factory = _FACTORIES.get(op_type)
        if factory is not None:
            return factory(op)
    raise LookupError(
        f"no NumPy reference for operation {op.name!r} ({type(op).__qualname__}); "
        "register one with tinygrad_lite.testing.register_reference("
        f"{type(op).__qualname__}, forward, derivatives)"
    )


def register_reference(op_type: type[ops.Op], forward: Forward, derivatives: Derivatives) -> None:
    """Give a custom `Op` subclass its NumPy reference.

    ``forward(xs)`` and ``derivatives(xs, out)`` take a list of arrays (one per
    operand) like the `Op` methods take floats. Registering again replaces
    the previous reference of ``op_type``.
    """
    if not (isinstance(op_type, type) and issubclass(op_type, ops.Op)):
        raise TypeError(f"register_reference() needs an Op subclass, got {op_type!r}")
    if not callable(forward) or not callable(derivatives):
        raise TypeError("register_reference() needs callable forward and derivatives")
    name = op_type.name or op_type.__qualname__
    _FACTORIES[op_type] = lambda op: Reference(op.name or name, forward, derivatives)


# -- the seed notebook's network, in NumPy -----------------------------------

ACTIVATIONS: dict[str, tuple[Callable[[Array], Array], Callable[[Array], Array]]] = {
    "sigmoid": (sigmoid, sigmoid_derivative),
    "tanh": (tanh, tanh_derivative),
    "relu": (relu, relu_derivative),
    "linear": (lambda z: z, _ones),
}
"""Activation name -> (function, derivative), both of the pre-activation z."""


@dataclass(frozen=True)
class MLPBackprop:
    """Everything one pass of the seed's backprop computes (see `mlp_backprop_steps`).

    Attributes:
        loss: ``0.5 * sum((targets - a_L)**2)``.
        outputs: ``[a_0, a_1, ..., a_L]``: the inputs, then each layer's activation.
        deltas: ``[delta_1, ..., delta_L]``, ``delta_l = dL/dz_l`` of shape (batch, width_l).
        grads: dL/d(parameter) in the state_dict layout.
    """

    loss: float
    outputs: list[Array]
    deltas: list[Array]
    grads: dict[str, Array]


def mlp_backprop_steps(
    params: dict[str, Array],
    inputs: Array,
    targets: Array,
    activations: Sequence[str],
) -> MLPBackprop:
    """Loss, gradients and every intermediate of a fully connected network, by the seed
    notebook's backprop.

    Layer l computes ``z_l = a_{l-1} @ W_l + b_l`` and ``a_l = act_l(z_l)`` with
    ``a_0 = inputs`` (shape (batch, n_in)); params use the state_dict layout
    ``W1`` (n_in, hidden), ``b1`` (1, hidden), ``W2``, ``b2``, ... The loss is
    ``L = 0.5 * sum((targets - a_L)**2)``. Backward, as the seed writes it:
    ``delta_L = (a_L - targets) * act_L'(z_L)``,
    ``dW_l = a_{l-1}.T @ delta_l``, ``db_l = sum(delta_l, axis=0)``,
    ``delta_{l-1} = (delta_l @ W_l.T) * act_{l-1}'(z_{l-1})``.
    (The seed's ``error = y - y_pred`` with ``W += lr * dW`` is the same step with
    the sign moved; here the deltas and gradients are of L itself.)
    """
    n_layers = len(activations)
    with numpy_errors_ignored():
        a = [np.asarray(inputs, dtype=np.float64)]
        z: list[Array] = []
        for layer in range(1, n_layers + 1):
            function, _ = ACTIVATIONS[activations[layer - 1]]
            z.append(a[-1] @ params[f"W{layer}"] + params[f"b{layer}"])
            a.append(function(z[-1]))
        error = np.asarray(targets, dtype=np.float64) - a[-1]
        loss = float(0.5 * np.sum(error * error))
        grads: dict[str, Array] = {}
        _, derivative = ACTIVATIONS[activations[-1]]
        deltas = [-error * derivative(z[-1])]
        for layer in range(n_layers, 0, -1):
            delta = deltas[0]
            grads[f"W{layer}"] = a[layer - 1].T @ delta
            grads[f"b{layer}"] = np.sum(delta, axis=0, keepdims=True)
            if layer > 1:
                _, derivative = ACTIVATIONS[activations[layer - 2]]
                deltas.insert(0, (delta @ params[f"W{layer}"].T) * derivative(z[layer - 2]))
    ordered = {name: grads[name] for name in params if name in grads}
    return MLPBackprop(loss, a, deltas, ordered)


def mlp_backprop(
    params: dict[str, Array],
    inputs: Array,
    targets: Array,
    activations: Sequence[str],
) -> tuple[float, dict[str, Array]]:
    """Loss and gradients of `mlp_backprop_steps`: ``(L, {"W1": dL/dW1, "b1": ..., ...})``."""
    steps = mlp_backprop_steps(params, inputs, targets, activations)
    return steps.loss, steps.grads
