"""Operations: everything the library knows about each kind of graph node.

An `Op` holds, side by side:

* ``forward(xs)``: the output float from the operand floats;
* ``derivatives(xs, out)``: d out / d xs[i] for each operand, written with
  ordinary arithmetic so the same formula runs on floats (a plain backward
  pass) and on `Value`s (``grad(..., create_graph=True)``, higher derivatives);
* ``numpy_forward`` / ``numpy_derivatives``: the same formulas over NumPy
  arrays, for the traced replay (`tinygrad_lite.trace`);
* how it is shown: ``name``, ``symbol``, ``infix`` and ``precedence``, read by
  `explain`, `formula`, the drawings and the player.

Adding an operation touches this module (and the independent test oracle in
`tinygrad_lite.testing.reference`, the tests and the docs), nothing else. A
named function of one operand (``x.exp()``, ``x.tanh()``) is also listed in
`FUNCTIONS`, from which the command-line parser and the property-test
strategies learn it; `Value` gets a one-line method calling it.

Floats follow IEEE-754 like NumPy: where Python raises (``1 / 0``,
``math.exp(1000)``, ``math.log(0)``) the helpers below return inf or nan.
This module is the lowest layer: it knows no `Value`, only objects that do
arithmetic (`Num`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from contextvars import ContextVar
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


Num = Any
"""A number in a derivative formula: a float, or a graph node (a `Value`) when
``grad(..., create_graph=True)`` asks for the derivative as a graph."""

# Precedence for display, Python's own (higher binds tighter).
ADDITIVE, MULTIPLICATIVE, UNARY, POWER, ATOM = 1, 2, 3, 4, 5


# --------------------------------------------------------------------------
# IEEE-754 float helpers: Python raises where NumPy returns inf or nan.
# --------------------------------------------------------------------------


def ieee_div(a: float, b: float) -> float:
    """``a / b`` with IEEE results for a zero divisor (``1/0 = inf``, ``0/0 = nan``)."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0.0:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def ieee_pow(a: float, b: float) -> float:
    """``a ** b`` as NumPy computes it: overflow gives inf, a negative base with a
    non-integer exponent gives nan, ``0 ** -1`` gives inf, and ``a ** 0.5`` is
    ``sqrt(a)``, so ``(-inf) ** 0.5`` is nan (C's ``pow`` would give inf)."""
    if b == 0.5:  # NumPy and PyTorch take a square root for this exponent
        return math.sqrt(a) if a >= 0.0 else math.nan  # nan < 0 is False: nan stays nan
    try:
        result: float | complex = a**b
    except (ZeroDivisionError, OverflowError):
        with np.errstate(all="ignore"):
            return float(np.power(np.float64(a), np.float64(b)))
    if isinstance(result, complex):  # Python turns (-8) ** 0.5 into a complex
        return math.nan
    return result


def ieee_exp(a: float) -> float:
    """``e ** a``; overflow gives inf instead of `OverflowError`."""
    try:
        return math.exp(a)
    except OverflowError:
        return math.inf


def ieee_log(a: float) -> float:
    """Natural log; ``log(0) = -inf`` and ``log(negative) = nan`` instead of `ValueError`."""
    if a > 0.0:
        return math.log(a)
    if a == 0.0:
        return -math.inf
    return math.nan


def ieee_sin(a: float) -> float:
    """Sine; ``sin(±inf) = nan`` instead of `ValueError`."""
    return math.sin(a) if math.isfinite(a) else math.nan


def ieee_cos(a: float) -> float:
    """Cosine; ``cos(±inf) = nan`` instead of `ValueError`."""
    return math.cos(a) if math.isfinite(a) else math.nan


def ieee_sqrt(a: float) -> float:
    """Square root; ``sqrt(negative) = nan`` instead of `ValueError` (``sqrt(-0.0) = -0.0``)."""
    return math.sqrt(a) if a >= 0.0 else math.nan


def ieee_power_derivative(a: float, n: float, out: float) -> float:
    """``n * a**(n - 1)``, the derivative of ``out = a**n`` (`ieee_pow`), following the
    same rule as ``out``: nan exactly where ``out`` is nan. ``(-inf)**0.5`` is nan (a
    square root), so its derivative is nan too, not ``0.5 * (-inf)**-0.5 = 0``; and
    ``(-inf)**1.5`` is inf as C's pow gives, so the ``(-inf)**0.5`` inside its derivative
    is taken as C's pow too (inf), not as a square root (nan)."""
    if out != out:
        return math.nan
    if a == -math.inf and n - 1.0 == 0.5:
        return n * math.inf
    return n * ieee_pow(a, n - 1.0)


def numpy_power_derivative(a: FloatArray, n: Any, out: FloatArray) -> FloatArray:
    """`ieee_power_derivative` over arrays (``n`` an array or a number)."""
    d = n * numpy_power(a, n - 1.0)
    d = np.where((a == -np.inf) & (n - 1.0 == 0.5), n * np.inf, d)
    return np.where(np.isnan(out), np.nan, d)


# Derivative formulas call these on floats or on Values alike.


def div(a: Num, b: Num) -> Num:
    """``a / b`` for floats (IEEE) or Values."""
    if type(a) is float and type(b) is float:
        return ieee_div(a, b)
    return a / b


def power(a: Num, b: Num) -> Num:
    """``a ** b`` for floats (IEEE) or Values."""
    if type(a) is float and type(b) is float:
        return ieee_pow(a, b)
    return a**b


def log(a: Num) -> Num:
    """Natural log of a float (IEEE) or a Value."""
    return ieee_log(a) if type(a) is float else a.log()


def sin(a: Num) -> Num:
    """Sine of a float (IEEE) or a Value."""
    return ieee_sin(a) if type(a) is float else a.sin()


def cos(a: Num) -> Num:
    """Cosine of a float (IEEE) or a Value."""
    return ieee_cos(a) if type(a) is float else a.cos()


def value_of(x: Num) -> float:
    """The float inside a Value, or the float itself (for branches in derivatives)."""
    return x if type(x) is float else float(x.data)


def sign(a: Num) -> float:
    """The sign of a float or of a Value's number: 1.0 or -1.0, 0.0 at either zero (as
    PyTorch's sign), nan for nan. A float for a Value too: the sign is constant wherever
    it has a derivative, so the constant is its exact graph (its derivative is 0)."""
    x = value_of(a)
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return -1.0
    return 0.0 if x == 0.0 else math.nan


# --------------------------------------------------------------------------
# The Op interface
# --------------------------------------------------------------------------


class Op:
    """One kind of graph node; subclass it for a custom operation (see `apply`).

    Override ``forward`` and ``derivatives`` (and set ``name``); the NumPy
    kernels default to calling them element by element, and the display
    defaults to a function call ``name(a, b)``.
    """

    name: str = ""
    """Shown in drawings and as ``Value.op``."""
    symbol: str = ""
    """The text shown between or before the operands ("" means: use ``name``)."""
    infix: bool = False
    """True for ``a + b`` style display, False for ``name(a, b)``."""
    precedence: int = ATOM
    """How tightly the displayed expression binds (`ADDITIVE` ... `ATOM`)."""

    def forward(self, xs: Sequence[float]) -> float:
        """The output float from the operand floats."""
        raise NotImplementedError

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        """d out / d xs[i] for each operand, on floats or on Values alike."""
        raise NotImplementedError

    def numpy_forward(self, xs: FloatArray) -> FloatArray:
        """``forward`` over a block ``xs`` of shape (nodes, operands, examples)."""
        out = np.empty((xs.shape[0], xs.shape[2]))
        for node in range(xs.shape[0]):
            for example in range(xs.shape[2]):
                out[node, example] = self.forward(xs[node, :, example].tolist())
        return out

    def numpy_derivatives(self, xs: FloatArray, out: FloatArray) -> FloatArray | None:
        """``derivatives`` over a block: shape (nodes, operands, examples), or
        anything that broadcasts to it; None means every local derivative is 1."""
        grads = np.empty_like(xs)
        for node in range(xs.shape[0]):
            for example in range(xs.shape[2]):
                operands = xs[node, :, example].tolist()
                local = self.derivatives(operands, float(out[node, example]))
                grads[node, :, example] = [float(d) for d in local]
        return grads

    def format(self, operands: Sequence[str], style: str = "formula") -> str:
        """The expression of this op applied to operands already written as text.

        ``style`` is how tools want it: "formula" as Python would print it
        (``a + b``, ``a*b``, ``a**2``, ``-a``, ``exp(a)``), "spaced" with spaces
        around every binary operator (``a * b``, the player), "compact" with none
        (``a*b``, the short names of `explain`). Operands that bind more loosely
        than `operand_precedence` asks must already be in brackets (`bracketed`)."""
        symbol = self.symbol or self.name
        if self.infix and len(operands) == 2:
            spaced = style == "spaced" or (style == "formula" and self.precedence == ADDITIVE)
            space = " " if spaced else ""
            return f"{operands[0]}{space}{symbol}{space}{operands[1]}"
        if self.infix and len(operands) == 1:
            return f"{symbol}{operands[0]}"
        return f"{symbol}({', '.join(operands)})"

    def operand_precedence(self, position: int, count: int) -> int:
        """The least precedence operand ``position`` (of ``count``) needs to be shown
        without brackets: ``a - (b - c)`` needs them on the right, ``(a - b) - c`` not."""
        if not self.infix:
            return 0  # a function call's arguments never need brackets
        if count == 1:
            return self.precedence
        return self.precedence + 1 if position == count - 1 else self.precedence

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


def bracketed(text: str, precedence: int, needed: int) -> str:
    """``text`` in brackets when it binds more loosely than ``needed``."""
    return f"({text})" if precedence < needed else text


class UnaryOp(Op):
    """An op of one operand: its NumPy kernels are ``numpy_function(x)`` and
    ``numpy_derivative(x, out)`` over (nodes, examples) arrays."""

    def numpy_function(self, x: FloatArray) -> FloatArray:
        return Op.numpy_forward(self, x[:, None, :])

    def numpy_derivative(self, x: FloatArray, out: FloatArray) -> FloatArray:
        grads = Op.numpy_derivatives(self, x[:, None, :], out)
        assert grads is not None
        return grads[:, 0, :]

    def numpy_forward(self, xs: FloatArray) -> FloatArray:
        return self.numpy_function(xs[:, 0])

    def numpy_derivatives(self, xs: FloatArray, out: FloatArray) -> FloatArray | None:
        return self.numpy_derivative(xs[:, 0], out)[:, None, :]


# When set, a create_graph pass is asking this op for derivatives as Values:
# turning a Value into a float there (math.cos(x)) would silently cut the graph.
deriving_as_graph: ContextVar[Op | None] = ContextVar("deriving_as_graph", default=None)


# --------------------------------------------------------------------------
# Arithmetic
# --------------------------------------------------------------------------


class Add(Op):
    """out = a + b;  d/da = 1,  d/db = 1"""

    name, infix, precedence = "+", True, ADDITIVE

    def forward(self, xs: Sequence[float]) -> float:
        return xs[0] + xs[1]

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        return (1.0, 1.0)

    def numpy_forward(self, xs: FloatArray) -> FloatArray:
        return xs[:, 0] + xs[:, 1]

    def numpy_derivatives(self, xs: FloatArray, out: FloatArray) -> FloatArray | None:
        return None


class Sub(Op):
    """out = a - b;  d/da = 1,  d/db = -1"""

    name, infix, precedence = "-", True, ADDITIVE

    def forward(self, xs: Sequence[float]) -> float:
        return xs[0] - xs[1]

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        return (1.0, -1.0)

    def numpy_forward(self, xs: FloatArray) -> FloatArray:
        return xs[:, 0] - xs[:, 1]

    def numpy_derivatives(self, xs: FloatArray, out: FloatArray) -> FloatArray | None:
        return np.array([1.0, -1.0])[None, :, None]


class Mul(Op):
    """out = a * b;  d/da = b,  d/db = a"""

    name, infix, precedence = "*", True, MULTIPLICATIVE

    def forward(self, xs: Sequence[float]) -> float:
        return xs[0] * xs[1]

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        a, b = xs
        return (b, a)

    def numpy_forward(self, xs: FloatArray) -> FloatArray:
        return xs[:, 0] * xs[:, 1]

    def numpy_derivatives(self, xs: FloatArray, out: FloatArray) -> FloatArray | None:
        return xs[:, ::-1]


class Div(Op):
    """out = a / b;  d/da = 1 / b,  d/db = -a / b**2 = -out / b"""

    name, infix, precedence = "/", True, MULTIPLICATIVE

    def forward(self, xs: Sequence[float]) -> float:
        return ieee_div(xs[0], xs[1])

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        _, b = xs
        return (div(1.0, b), -div(out, b))

    def numpy_forward(self, xs: FloatArray) -> FloatArray:
        return xs[:, 0] / xs[:, 1]

    def numpy_derivatives(self, xs: FloatArray, out: FloatArray) -> FloatArray | None:
        return np.stack((1.0 / xs[:, 1], -(out / xs[:, 1])), axis=1)


def numpy_power(a: FloatArray, b: FloatArray) -> FloatArray:
    """``ieee_pow`` over arrays: ``a ** 0.5`` is ``sqrt(a)``, so ``(-inf) ** 0.5`` is nan
    (``np.power`` of two arrays skips that square root)."""
    return np.where(b == 0.5, np.sqrt(a), np.power(a, b))


class Pow(Op):
    """out = a ** b (both operands are Values);
    d/da = b * a**(b - 1)   (taken as 0 where b == 0 and ``a**(b - 1)`` is not finite: at
    a = 0, nan, or a tiny a such as 5e-324 whose reciprocal overflows; ``a ** 0`` is 1 for
    every a, but the formula gives ``0 * inf`` or ``0 * nan``; PyTorch also gives 0),
    d/da is nan exactly where out is nan (see `ieee_power_derivative`),
    d/db = out * log(a)   (taken as 0 where a == 0 and b >= 0,
    where ``a ** b`` does not depend on b from the right, as PyTorch does)."""

    name, infix, precedence = "**", True, POWER

    def forward(self, xs: Sequence[float]) -> float:
        return ieee_pow(xs[0], xs[1])

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        a, b = xs
        a_data, b_data = value_of(a), value_of(b)
        if b_data == 0.0 and not math.isfinite(ieee_pow(a_data, b_data - 1.0)):
            # Only there: elsewhere the formula gives the 0 itself, and with
            # create_graph its graph keeps d/db (d/da) = a**(b - 1), which is not 0.
            d_base: Num = 0.0
        elif type(a) is float and type(b) is float:
            d_base = ieee_power_derivative(a, b, out)
        else:
            d_base = b * power(a, b - 1.0)
        if a_data == 0.0 and b_data >= 0.0:
            d_exponent: Num = 0.0
        else:
            d_exponent = out * log(a)
        return (d_base, d_exponent)

    def format(self, operands: Sequence[str], style: str = "formula") -> str:
        space = " " if style == "spaced" else ""
        return f"{operands[0]}{space}**{space}{operands[1]}"

    def operand_precedence(self, position: int, count: int) -> int:
        return ATOM if position == 0 else POWER  # a**b**c is a**(b**c)

    def numpy_forward(self, xs: FloatArray) -> FloatArray:
        return numpy_power(xs[:, 0], xs[:, 1])

    def numpy_derivatives(self, xs: FloatArray, out: FloatArray) -> FloatArray | None:
        a, b = xs[:, 0], xs[:, 1]
        d_base = np.where(b == 0.0, 0.0, numpy_power_derivative(a, b, out))
        d_exponent = np.where((a == 0.0) & (b >= 0.0), 0.0, out * np.log(a))
        return np.stack((d_base, d_exponent), axis=1)


class PowConst(UnaryOp):
    """out = a ** n for a fixed number n;  d/da = n * a**(n - 1),
    written out as 0 for n == 0 and 1 for n == 1 (the formula would give
    ``0 * 0**-1 = 0 * inf = nan`` at a == 0, as PyTorch avoids too).

    The exponent is a number, not an operand, so it gets no gradient."""

    infix, precedence = True, POWER
    # One shared instance per exponent that graphs repeat: whole and half numbers
    # (x**2, x**-1, x**0.5) up to CACHED_EXPONENT_LIMIT; any other exponent gets
    # its own instance, so the cache stays bounded (at most 257 entries).
    CACHED_EXPONENT_LIMIT: ClassVar[float] = 64.0
    _cache: ClassVar[dict[float, PowConst]] = {}

    def __init__(self, exponent: float) -> None:
        self.exponent = exponent
        self.name = f"**{exponent:g}"

    @classmethod
    def of(cls, exponent: float) -> PowConst:
        """The op for ``exponent``: shared for whole and half numbers up to
        ``CACHED_EXPONENT_LIMIT`` in size, new otherwise."""
        op = cls._cache.get(exponent)
        if op is None:
            op = cls(exponent)
            twice = 2.0 * float(exponent)
            if twice.is_integer() and abs(exponent) <= cls.CACHED_EXPONENT_LIMIT:
                cls._cache[exponent] = op  # never nan or inf: is_integer() is False for them
        return op

    def forward(self, xs: Sequence[float]) -> float:
        return ieee_pow(xs[0], self.exponent)

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        n = self.exponent
        if n == 0.0:
            return (0.0,)
        if n == 1.0:
            return (1.0,)
        if type(xs[0]) is float:
            return (ieee_power_derivative(xs[0], n, out),)
        return (n * power(xs[0], n - 1.0),)

    def exponent_text(self) -> str:
        """The exponent as shown: ``2`` rather than ``2.0``, in brackets when negative."""
        short = format(self.exponent, "g")
        number = short if float(short) == self.exponent else repr(self.exponent)
        return f"({number})" if number.startswith("-") else number

    def format(self, operands: Sequence[str], style: str = "formula") -> str:
        return f"{operands[0]}**{self.exponent_text()}"

    def operand_precedence(self, position: int, count: int) -> int:
        return ATOM

    def numpy_function(self, x: FloatArray) -> FloatArray:
        return np.power(x, self.exponent)

    def numpy_derivative(self, x: FloatArray, out: FloatArray) -> FloatArray:
        n = self.exponent
        if n == 0.0:  # x ** 0 is 1: derivative 0 (not 0 * inf at 0)
            return np.zeros_like(x)
        if n == 1.0:  # 1 even at nan, as the float formula
            return np.ones_like(x)
        return numpy_power_derivative(x, n, out)


class Neg(UnaryOp):
    """out = -a;  d/da = -1"""

    name, symbol, infix, precedence = "neg", "-", True, UNARY

    def forward(self, xs: Sequence[float]) -> float:
        return -xs[0]

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        return (-1.0,)

    def numpy_function(self, x: FloatArray) -> FloatArray:
        return -x

    def numpy_derivative(self, x: FloatArray, out: FloatArray) -> FloatArray:
        return -np.ones_like(x)


# --------------------------------------------------------------------------
# Functions
# --------------------------------------------------------------------------


class Exp(UnaryOp):
    """out = exp(a);  d/da = exp(a) = out"""

    name = "exp"

    def forward(self, xs: Sequence[float]) -> float:
        return ieee_exp(xs[0])

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        return (out,)

    def numpy_function(self, x: FloatArray) -> FloatArray:
        return np.exp(x)

    def numpy_derivative(self, x: FloatArray, out: FloatArray) -> FloatArray:
        return out


class Log(UnaryOp):
    """out = log(a) (natural);  d/da = 1 / a"""

    name = "log"

    def forward(self, xs: Sequence[float]) -> float:
        return ieee_log(xs[0])

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        return (div(1.0, xs[0]),)

    def numpy_function(self, x: FloatArray) -> FloatArray:
        return np.log(x)

    def numpy_derivative(self, x: FloatArray, out: FloatArray) -> FloatArray:
        return 1.0 / x


class Tanh(UnaryOp):
    """out = tanh(a);  d/da = 1 - out**2"""

    name = "tanh"

    def forward(self, xs: Sequence[float]) -> float:
        return math.tanh(xs[0])

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        return (1.0 - out * out,)

    def numpy_function(self, x: FloatArray) -> FloatArray:
        return np.tanh(x)

    def numpy_derivative(self, x: FloatArray, out: FloatArray) -> FloatArray:
        return 1.0 - out * out


class Sigmoid(UnaryOp):
    """out = 1 / (1 + exp(-a));  d/da = out * (1 - out)

    Computed exactly as the seed notebook does, so its numbers match bit for bit."""

    name = "sigmoid"

    def forward(self, xs: Sequence[float]) -> float:
        try:
            return 1.0 / (1.0 + math.exp(-xs[0]))
        except OverflowError:  # exp(-a) beyond the largest float: 1 / (1 + inf)
            return 0.0

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        return (out * (1.0 - out),)

    def numpy_function(self, x: FloatArray) -> FloatArray:
        return 1.0 / (1.0 + np.exp(-x))

    def numpy_derivative(self, x: FloatArray, out: FloatArray) -> FloatArray:
        return out * (1.0 - out)


class Relu(UnaryOp):
    """out = max(a, 0);  d/da = 1 if a > 0 else 0  (0 at a == 0, as PyTorch; nan stays nan)"""

    name = "relu"

    def forward(self, xs: Sequence[float]) -> float:
        a = xs[0]
        return 0.0 if a <= 0.0 else a  # nan <= 0 is False, so nan passes through like np.maximum

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        a = value_of(xs[0])
        if a > 0.0:
            return (1.0,)
        if a <= 0.0:
            return (0.0,)
        return (math.nan,)

    def numpy_function(self, x: FloatArray) -> FloatArray:
        return np.where(x <= 0.0, 0.0, x)

    def numpy_derivative(self, x: FloatArray, out: FloatArray) -> FloatArray:
        return np.where(x > 0.0, 1.0, np.where(x <= 0.0, 0.0, np.nan))


class Sin(UnaryOp):
    """out = sin(a);  d/da = cos(a)  (sin(±inf) = nan, with derivative nan)"""

    name = "sin"

    def forward(self, xs: Sequence[float]) -> float:
        return ieee_sin(xs[0])

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        return (cos(xs[0]),)

    def numpy_function(self, x: FloatArray) -> FloatArray:
        return np.sin(x)

    def numpy_derivative(self, x: FloatArray, out: FloatArray) -> FloatArray:
        return np.cos(x)


class Cos(UnaryOp):
    """out = cos(a);  d/da = -sin(a)  (cos(±inf) = nan, with derivative nan)"""

    name = "cos"

    def forward(self, xs: Sequence[float]) -> float:
        return ieee_cos(xs[0])

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        return (-sin(xs[0]),)

    def numpy_function(self, x: FloatArray) -> FloatArray:
        return np.cos(x)

    def numpy_derivative(self, x: FloatArray, out: FloatArray) -> FloatArray:
        return -np.sin(x)


class Sqrt(UnaryOp):
    """out = sqrt(a);  d/da = 1 / (2 sqrt(a)) = 0.5 / out

    sqrt of a negative number is nan and sqrt(-0.0) = -0.0 (IEEE). The derivative is
    inf at 0, and -inf at -0.0, where 0.5 / out divides by -0.0 (as PyTorch computes it)."""

    name = "sqrt"

    def forward(self, xs: Sequence[float]) -> float:
        return ieee_sqrt(xs[0])

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        return (div(0.5, out),)

    def numpy_function(self, x: FloatArray) -> FloatArray:
        return np.sqrt(x)

    def numpy_derivative(self, x: FloatArray, out: FloatArray) -> FloatArray:
        return 0.5 / out


class Abs(UnaryOp):
    """out = |a|;  d/da = sign(a): 1 for a > 0, -1 for a < 0, and 0 at a == 0 (the kink,
    as PyTorch); abs(-0.0) = 0.0"""

    name = "abs"

    def forward(self, xs: Sequence[float]) -> float:
        return abs(xs[0])

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        return (sign(xs[0]),)

    def numpy_function(self, x: FloatArray) -> FloatArray:
        return np.abs(x)

    def numpy_derivative(self, x: FloatArray, out: FloatArray) -> FloatArray:
        return np.sign(x)


# --------------------------------------------------------------------------
# Many operands: one node instead of a chain of binary ones
# --------------------------------------------------------------------------


class Sum(Op):
    """out = x1 + x2 + ... + xn (summed left to right);  d/dxi = 1"""

    name = "sum"

    def forward(self, xs: Sequence[float]) -> float:
        total = 0.0
        for x in xs:
            total += x
        return total

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        return (1.0,) * len(xs)

    def numpy_forward(self, xs: FloatArray) -> FloatArray:
        result: FloatArray = xs.sum(axis=1)
        return result

    def numpy_derivatives(self, xs: FloatArray, out: FloatArray) -> FloatArray | None:
        return None


class Linear(Op):
    """out = w1*x1 + ... + wn*xn + b, operands ordered (w1..wn, x1..xn, b);
    d/dwi = xi,  d/dxi = wi,  d/db = 1

    One node per neuron instead of 2n: a smaller graph to draw and to walk."""

    name, infix, precedence = "linear", True, ADDITIVE

    def forward(self, xs: Sequence[float]) -> float:
        n = (len(xs) - 1) // 2
        total = 0.0
        for i in range(n):
            total += xs[i] * xs[n + i]
        return total + xs[-1]

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        n = len(xs) // 2  # len(xs) is 2n + 1
        weights, inputs = xs[:n], xs[n:-1]
        return (*inputs, *weights, 1.0)

    def format(self, operands: Sequence[str], style: str = "formula") -> str:
        if style != "formula":  # in short forms one neuron is a function call
            return f"{self.name}({', '.join(operands)})"
        n = (len(operands) - 1) // 2
        terms = [f"{operands[i]}*{operands[n + i]}" for i in range(n)]
        return " + ".join([*terms, operands[-1]])

    def operand_precedence(self, position: int, count: int) -> int:
        n = (count - 1) // 2
        if position == count - 1:
            return ADDITIVE + 1  # the bias: b in "... + b"
        return MULTIPLICATIVE if position < n else MULTIPLICATIVE + 1

    def numpy_forward(self, xs: FloatArray) -> FloatArray:
        n = (xs.shape[1] - 1) // 2
        # Summing over axis 1 adds the products left to right, like forward's loop.
        products: FloatArray = xs[:, :n] * xs[:, n : 2 * n]
        result: FloatArray = products.sum(axis=1) + xs[:, -1]
        return result

    def numpy_derivatives(self, xs: FloatArray, out: FloatArray) -> FloatArray | None:
        n = (xs.shape[1] - 1) // 2
        ones = np.ones_like(xs[:, -1:])
        return np.concatenate((xs[:, n : 2 * n], xs[:, :n], ones), axis=1)


class Leaf(Op):
    """The op of a leaf: a value not computed from others. No operands, nothing to push."""

    name = ""

    def forward(self, xs: Sequence[float]) -> float:
        raise TypeError("a leaf is not computed: it has no forward formula")

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        return ()


class NoGradResult(Leaf):
    """Marks a value computed inside `no_grad()`: a leaf whose graph was not recorded."""


ADD, SUB, MUL, DIV, POW, NEG = Add(), Sub(), Mul(), Div(), Pow(), Neg()
EXP, LOG, TANH, SIGMOID, RELU = Exp(), Log(), Tanh(), Sigmoid(), Relu()
SIN, COS, SQRT, ABS = Sin(), Cos(), Sqrt(), Abs()
SUM, LINEAR, LEAF, NO_GRAD_RESULT = Sum(), Linear(), Leaf(), NoGradResult()


FUNCTIONS: dict[str, UnaryOp] = {
    op.name: op for op in (EXP, LOG, TANH, SIGMOID, RELU, SIN, COS, SQRT, ABS)
}
"""Every named function of one operand, by name: ``x.<name>()`` is its `Value` method.

The tools that list functions read this registry (the command-line expression
parser, the property-test strategies), so a new function added here reaches
them without changes of their own."""
