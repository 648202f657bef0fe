"""The scalar autograd engine: `Value`, its operations, and the backward loop.

Design (see the forces in the project notes):

* A node stores plain data: ``data``, ``grad``, ``label``, the operation that
  made it (``_op``, an `Op` class or instance shared by many nodes) and its
  operands as a tuple, in order. There are no closures, so no node refers back
  to itself: graphs are freed by reference counting, not by the cyclic
  garbage collector, and tracing, drawing and NumPy replay can read the graph
  as data.
* Each operation is one `Op` subclass holding its forward formula and its
  local derivatives side by side. The derivatives are written with ordinary
  arithmetic, so the same formula runs on floats (plain backward) and on
  `Value`s (``grad(..., create_graph=True)`` for higher-order derivatives).
* Gradients flowing within one backward pass live in ``_pending``, apart from
  the ``grad`` a learner reads, so repeated passes simply add the same
  gradients again (idempotent), as in PyTorch.
* The topological order is built with an explicit stack (no recursion limit)
  and follows operand order, so every traversal is the same on every run.
* `backward()`, `backward_steps()` and `grad()` are views of one loop,
  `_backward_loop`, so they cannot drift apart.
* Floats follow IEEE-754 like NumPy: no Python arithmetic exception escapes an
  operation; overflow gives ``inf`` and invalid operations give ``nan``.
* Speed (profiled; measured by ``python -m benchmarks``) comes from doing less
  per node, never from obscure code: ``__slots__`` nodes built without
  ``__init__``'s checks, operand floats collected directly, local derivatives
  computed as numbers only when the gradient is pushed, a topological sort
  that allocates nothing per node, no keyword arguments or ``typing.cast`` in
  per-node calls. Each trick has a comment saying what it buys.
"""

from __future__ import annotations

import math
import numbers
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, ClassVar, Union

import numpy as np

from tinygrad_lite._frames import first_user_frame

Num = Union[float, "Value"]
"""A number that is either a plain float or a graph node."""

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


def _div(a: Num, b: Num) -> Num:
    """Division that works on floats and Values alike (used by derivatives)."""
    if isinstance(a, Value) or isinstance(b, Value):
        return a / b
    return ieee_div(a, b)


def _pow(a: Num, b: Num) -> Num:
    """Power that works on floats and Values alike (used by derivatives)."""
    if isinstance(a, Value) or isinstance(b, Value):
        return a**b
    return ieee_pow(a, b)


def _log(a: Num) -> Num:
    """Natural log that works on floats and Values alike (used by derivatives)."""
    if isinstance(a, Value):
        return a.log()
    return ieee_log(a)


def _data(x: Num) -> float:
    """The float inside a Value, or the float itself."""
    return x.data if isinstance(x, Value) else x


# --------------------------------------------------------------------------
# Operations: forward formula and local derivatives, side by side.
# --------------------------------------------------------------------------


class Op:
    """One kind of graph node.

    ``forward(xs)`` maps operand floats to the output float.
    ``derivatives(xs, out)`` returns d out / d xs[i] for each operand, written
    with arithmetic that works on floats *and* on `Value`s, so the same
    formula serves plain backward and graph-building backward.
    Subclasses set ``name`` (shown in drawings and ``Value.op``).
    """

    name: str = ""

    def forward(self, xs: Sequence[float]) -> float:
        raise NotImplementedError

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


class Add(Op):
    """out = a + b;  d/da = 1,  d/db = 1"""

    name = "+"

    def forward(self, xs: Sequence[float]) -> float:
        return xs[0] + xs[1]

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        return (1.0, 1.0)


ADD = Add()


class Sub(Op):
    """out = a - b;  d/da = 1,  d/db = -1"""

    name = "-"

    def forward(self, xs: Sequence[float]) -> float:
        return xs[0] - xs[1]

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        return (1.0, -1.0)


SUB = Sub()


class Mul(Op):
    """out = a * b;  d/da = b,  d/db = a"""

    name = "*"

    def forward(self, xs: Sequence[float]) -> float:
        return xs[0] * xs[1]

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        a, b = xs
        return (b, a)


MUL = Mul()


class Div(Op):
    """out = a / b;  d/da = 1 / b,  d/db = -a / b**2 = -out / b"""

    name = "/"

    def forward(self, xs: Sequence[float]) -> float:
        return ieee_div(xs[0], xs[1])

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        _, b = xs
        return (_div(1.0, b), -_div(out, b))


DIV = Div()


class Pow(Op):
    """out = a ** b (both operands are Values);
    d/da = b * a**(b - 1)   (taken as 0 where b == 0 and a is 0 or nan: ``a ** 0`` is 1
    for every a, but the formula gives ``0 * inf`` or ``0 * nan``; PyTorch also gives 0),
    d/db = out * log(a)   (taken as 0 where a == 0 and b >= 0,
    where ``a ** b`` does not depend on b from the right, as PyTorch does)."""

    name = "**"

    def forward(self, xs: Sequence[float]) -> float:
        return ieee_pow(xs[0], xs[1])

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        a, b = xs
        a_data = _data(a)
        if _data(b) == 0.0 and (a_data == 0.0 or a_data != a_data):
            # Only there: elsewhere the formula gives the 0 itself, and with
            # create_graph its graph keeps d/db (d/da) = a**(b - 1), which is not 0.
            d_base: Num = 0.0
        else:
            d_base = b * _pow(a, b - 1.0)
        if a_data == 0.0 and _data(b) >= 0.0:
            d_exponent: Num = 0.0
        else:
            d_exponent = out * _log(a)
        return (d_base, d_exponent)


POW = Pow()


class PowConst(Op):
    """out = a ** n for a fixed number n;  d/da = n * a**(n - 1),
    written out as 0 for n == 0 and 1 for n == 1 (the formula would give
    ``0 * 0**-1 = 0 * inf = nan`` at a == 0, as PyTorch avoids too).

    The exponent is a number, not an operand, so it gets no gradient."""

    # One shared instance per exponent that graphs repeat: whole and half numbers
    # (x**2, x**-1, x**0.5) up to CACHED_EXPONENT_LIMIT. Any other exponent gets its
    # own instance, so the cache stays bounded (at most 257 entries) however many
    # different exponents a program uses.
    CACHED_EXPONENT_LIMIT: ClassVar[float] = 64.0
    _cache: ClassVar[dict[float, PowConst]] = {}

    def __init__(self, exponent: float) -> None:
        self.exponent = exponent
        self.name = f"**{exponent:g}"

    @classmethod
    def of(cls, exponent: float) -> PowConst:
        """The op for ``exponent``: shared for whole and half numbers up to
        ``CACHED_EXPONENT_LIMIT`` in size (avoids one object per node), new otherwise."""
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
        return (n * _pow(xs[0], n - 1.0),)


class Neg(Op):
    """out = -a;  d/da = -1"""

    name = "neg"

    def forward(self, xs: Sequence[float]) -> float:
        return -xs[0]

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        return (-1.0,)


NEG = Neg()


class Exp(Op):
    """out = exp(a);  d/da = exp(a) = out"""

    name = "exp"

    def forward(self, xs: Sequence[float]) -> float:
        return ieee_exp(xs[0])

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        return (out,)


EXP = Exp()


class Log(Op):
    """out = log(a) (natural);  d/da = 1 / a"""

    name = "log"

    def forward(self, xs: Sequence[float]) -> float:
        return ieee_log(xs[0])

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        return (_div(1.0, xs[0]),)


LOG = Log()


class Tanh(Op):
    """out = tanh(a);  d/da = 1 - out**2"""

    name = "tanh"

    def forward(self, xs: Sequence[float]) -> float:
        return math.tanh(xs[0])

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        return (1.0 - out * out,)


TANH = Tanh()


class Sigmoid(Op):
    """out = 1 / (1 + exp(-a));  d/da = out * (1 - out)

    Computed exactly as the seed notebook does, so its numbers match bit for bit."""

    name = "sigmoid"

    def forward(self, xs: Sequence[float]) -> float:
        try:  # math.exp inline rather than ieee_exp: one call less per node
            return 1.0 / (1.0 + math.exp(-xs[0]))
        except OverflowError:  # exp(-a) beyond the largest float: 1 / (1 + inf)
            return 0.0

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        return (out * (1.0 - out),)


SIGMOID = Sigmoid()


class Relu(Op):
    """out = max(a, 0);  d/da = 1 if a > 0 else 0  (0 at a == 0, as PyTorch; nan stays nan)"""

    name = "relu"

    def forward(self, xs: Sequence[float]) -> float:
        a = xs[0]
        return 0.0 if a <= 0.0 else a  # nan <= 0 is False, so nan passes through like np.maximum

    def derivatives(self, xs: Sequence[Any], out: Any) -> tuple[Num, ...]:
        a = _data(xs[0])
        if a > 0.0:
            return (1.0,)
        if a <= 0.0:
            return (0.0,)
        return (math.nan,)


RELU = Relu()


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


SUM = Sum()


class Linear(Op):
    """out = w1*x1 + ... + wn*xn + b, operands ordered (w1..wn, x1..xn, b);
    d/dwi = xi,  d/dxi = wi,  d/db = 1

    One node per neuron instead of 2n: a smaller graph to draw and to walk."""

    name = "linear"

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


LINEAR = Linear()


class NoGradResult(Op):
    """Marks a value computed inside `no_grad()`: a leaf whose graph was not recorded."""

    name = ""


NO_GRAD_RESULT = NoGradResult()


# --------------------------------------------------------------------------
# Switches: graph recording (per thread) and debugging hooks (per process).
# --------------------------------------------------------------------------

# False inside no_grad(). A context variable, so each thread (and asyncio task) has
# its own switch, as in PyTorch; reading it costs no more than a class attribute.
_RECORDING: ContextVar[bool] = ContextVar("tinygrad_lite_recording", default=True)
_is_recording = _RECORDING.get  # bound once: one call, no attribute lookup, per node
_set_recording = _RECORDING.set


class _Mode:
    """Process-wide switches (graph recording is `_RECORDING`, per thread)."""

    # Backward passes started and not finished: paused backward_steps() generators or a
    # debugger stop inside backward(). Nonzero makes a new pass check that it shares no
    # node with them (they would mix their gradients in flight).
    passes_in_progress: int = 0
    # Set by tinygrad_lite's debugging tools (detect_anomaly); None means off.
    on_new_node: Callable[[Value], None] | None = None
    on_backward_step: Callable[[BackwardStep], None] | None = None


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block operations compute values but record no graph.

    Optimizer updates use it so that ``w - lr * w.grad`` does not become part of
    the next graph. Values made inside are leaves (``op == ""``). The switch
    belongs to the current thread (and asyncio task), as in PyTorch: other
    threads keep recording. ``grad()`` and ``explain()`` work inside it (they
    only read the graph); ``backward()`` refuses."""
    previous = _is_recording()
    _set_recording(False)
    try:
        yield
    finally:
        _set_recording(previous)


def is_grad_enabled() -> bool:
    """True unless inside `no_grad()` (in this thread)."""
    return _is_recording()


# --------------------------------------------------------------------------
# Value
# --------------------------------------------------------------------------

_new_value = object.__new__  # a bound global: a node is made without a class attribute lookup


def _to_float(data: object) -> float:
    """Convert the accepted kinds of number to float, or raise TypeError naming the type
    (ValueError for a number beyond the largest float, such as ``10**400``).

    bool and ``np.bool_`` are accepted as 1.0 and 0.0, as ``np.float64(True)`` does."""
    if isinstance(data, float):
        return float(data)  # also turns np.float64 (a float subclass) into a plain float
    if isinstance(data, (numbers.Real, np.bool_)):
        try:
            return float(data)
        except OverflowError:
            raise _too_large_error(data) from None
    if isinstance(data, np.ndarray) and data.size == 1 and data.dtype.kind in "biuf":
        return float(data.reshape(()))
    if isinstance(data, np.ndarray):
        raise TypeError(
            f"Value needs one real number, got numpy.ndarray of shape {data.shape} "
            f"and dtype {data.dtype}"
        )
    raise TypeError(
        f"Value needs a real number (int, float or NumPy real scalar), "
        f"got {type(data).__module__}.{type(data).__qualname__}: {data!r:.60}"
    )


def _check_label(label: object) -> None:
    if not isinstance(label, str):
        raise TypeError(f"label must be a str, got {type(label).__qualname__}: {label!r:.40}")


def _too_large_error(number: object) -> ValueError:
    """The error for a number no float can hold (Python, NumPy and PyTorch refuse it too)."""
    if isinstance(number, numbers.Integral):  # str() of a huge int is slow, and refused
        size = f"an int of about {math.floor(math.log10(abs(int(number)))) + 1} digits"
    else:
        size = f"{type(number).__qualname__} {number!r:.40}"
    return ValueError(
        f"Value needs a number a float can hold (at most about {sys.float_info.max:.3g}), "
        f"got {size}; write math.inf if infinity is meant"
    )


class Value:
    """A scalar that remembers how it was computed.

    ``Value(data, label)`` takes any real number: float, int, NumPy scalar or
    one-element array, and bool or ``np.bool_`` as 1.0 / 0.0 (as ``np.float64``
    does); arithmetic with a Value accepts the same. An int too large for a float
    (``10**400``) raises ValueError, as Python's ``float()`` refuses it.

    Attributes:
        data: the number, always a Python float.
        grad: d(output)/d(self), summed over every ``backward()`` so far; 0.0 until
            a backward pass reaches it. Kept on every node, intermediates included.
        label: a name for drawings and messages ("" if none); always a str,
            checked when set.
        op: the name of the operation that produced it ("" for a leaf).
        operands: the Values it was computed from, in order.
    """

    # __slots__ and no closures: about 5x less memory than a dict per node, and
    # no reference cycles, so the cyclic garbage collector has nothing to chase.
    __slots__ = ("_label", "_op", "_operands", "_pending", "data", "grad")

    # NumPy defers to our reflected operators (np.float64(2) * v gives a Value).
    __array_ufunc__ = None

    data: float
    grad: float
    _label: str
    _op: Op | None
    _operands: tuple[Value, ...]
    _pending: Num | None

    def __init__(self, data: object, label: str = "") -> None:
        _check_label(label)
        self.data = _to_float(data)
        self.grad = 0.0
        self._label = label
        self._op = None
        self._operands = ()
        self._pending = None

    # -- graph construction ------------------------------------------------

    @staticmethod
    def _make(op: Op, operands: tuple[Value, ...]) -> Value:
        """Run ``op`` forward on ``operands`` and return the new node."""
        return _node(op, operands, [operand.data for operand in operands])

    @property
    def label(self) -> str:
        """A name for drawings and messages ("" if none)."""
        return self._label

    @label.setter
    def label(self, label: str) -> None:
        # A property costs nothing on the hot path: new nodes set the slot _label directly.
        _check_label(label)
        self._label = label

    @property
    def op(self) -> str:
        """Name of the operation that produced this value ("" for a leaf)."""
        return self._op.name if self._op is not None else ""

    @property
    def operands(self) -> tuple[Value, ...]:
        """The Values this one was computed from, in order (empty for a leaf)."""
        return self._operands

    @property
    def operation(self) -> Op | None:
        """The `Op` that produced this value (None for a leaf)."""
        return self._op

    @property
    def is_leaf(self) -> bool:
        """True for values not computed from others in a recorded graph."""
        return not self._operands

    # -- arithmetic --------------------------------------------------------

    def __add__(self, other: object) -> Value:
        other_value = _operand(other, "+")
        return _node(ADD, (self, other_value), (self.data, other_value.data))

    def __radd__(self, other: object) -> Value:
        other_value = _operand(other, "+")
        return _node(ADD, (other_value, self), (other_value.data, self.data))

    def __sub__(self, other: object) -> Value:
        other_value = _operand(other, "-")
        return _node(SUB, (self, other_value), (self.data, other_value.data))

    def __rsub__(self, other: object) -> Value:
        other_value = _operand(other, "-")
        return _node(SUB, (other_value, self), (other_value.data, self.data))

    def __mul__(self, other: object) -> Value:
        other_value = _operand(other, "*")
        return _node(MUL, (self, other_value), (self.data, other_value.data))

    def __rmul__(self, other: object) -> Value:
        other_value = _operand(other, "*")
        return _node(MUL, (other_value, self), (other_value.data, self.data))

    def __truediv__(self, other: object) -> Value:
        other_value = _operand(other, "/")
        return _node(DIV, (self, other_value), (self.data, other_value.data))

    def __rtruediv__(self, other: object) -> Value:
        other_value = _operand(other, "/")
        return _node(DIV, (other_value, self), (other_value.data, self.data))

    def __pow__(self, exponent: object) -> Value:
        if isinstance(exponent, Value):
            return _node(POW, (self, exponent), (self.data, exponent.data))
        if type(exponent) is int and abs(exponent) <= 64:  # x**2: no constant leaf made to read 2.0
            return _node(PowConst.of(float(exponent)), (self,), (self.data,))
        op = PowConst.of(_operand(exponent, "**").data)
        return _node(op, (self,), (self.data,))

    def __rpow__(self, base: object) -> Value:
        base_value = _operand(base, "**")
        return _node(POW, (base_value, self), (base_value.data, self.data))

    def __neg__(self) -> Value:
        return _node(NEG, (self,), (self.data,))

    def __pos__(self) -> Value:
        return self

    def exp(self) -> Value:
        """e ** self."""
        return _node(EXP, (self,), (self.data,))

    def log(self) -> Value:
        """Natural logarithm."""
        return _node(LOG, (self,), (self.data,))

    def tanh(self) -> Value:
        """Hyperbolic tangent."""
        return _node(TANH, (self,), (self.data,))

    def sigmoid(self) -> Value:
        """1 / (1 + exp(-self)), as the seed notebook computes it."""
        return _node(SIGMOID, (self,), (self.data,))

    def relu(self) -> Value:
        """max(self, 0)."""
        return _node(RELU, (self,), (self.data,))

    def __bool__(self) -> bool:
        # Python branching on a Value would silently freeze one path into a graph
        # (and cannot be traced); ask for .data explicitly instead.
        raise TypeError(
            "the truth value of a Value is ambiguous: compare its .data instead "
            "(e.g. `if v.data > 0:`)"
        )

    def __float__(self) -> float:
        return self.data

    # -- backward ----------------------------------------------------------

    def backward(
        self,
        grad: float = 1.0,
        *,
        break_at: Value | str | None = None,
        explain: bool = False,
    ) -> None:
        """Add d(self)/d(node) to ``node.grad`` for every node of the graph.

        ``grad`` is the seed gradient of this output (1.0 by default). Gradients
        accumulate across calls, as in PyTorch: call ``zero_grad()`` first for a
        fresh pass. Each pass adds exactly that pass's gradients (calling it
        twice doubles every ``.grad``).

        Debugging: ``break_at`` (a Value, or a label matching one or more nodes)
        enters the debugger (``breakpoint()``) just before that node's gradient is
        pushed to its operands; the locals ``node``, ``grad``, ``operands`` and
        ``local_grads`` say what is about to happen. ``explain=True`` prints the
        chain rule of every step (see `tinygrad_lite.explain`).
        """
        seed = _seed_gradient(grad)
        if explain:
            from tinygrad_lite.explain import print_backward  # imported late: explain imports us

            print_backward(_backward_loop(self, seed, records=True, break_at=break_at), root=self)
            return
        for _ in _backward_loop(self, seed, break_at=break_at):
            pass

    def backward_steps(self, grad: float = 1.0) -> Iterator[BackwardStep]:
        """Run backward one node at a time; see `backward_steps`."""
        return backward_steps(self, grad)

    def zero_grad(self) -> None:
        """Set ``grad`` to 0.0 on every node of this value's graph."""
        for node in topological_order(self):
            node.grad = 0.0

    # -- identity and display ------------------------------------------------

    __hash__ = object.__hash__  # identity: usable in sets and as dict keys

    def __repr__(self) -> str:
        parts = [f"data={self.data!r}", f"grad={self.grad!r}"]
        if self.label:
            parts.insert(0, f"label={self.label!r}")
        if self._op is not None and self._op is not NO_GRAD_RESULT:
            parts.append(f"op={self.op!r}")
        return f"Value({', '.join(parts)})"


def _node(op: Op, operands: tuple[Value, ...], operand_data: Sequence[float]) -> Value:
    """The node ``op(operands)``; ``operand_data`` holds the operands' floats in order.

    The callers pass ``operand_data`` because they build it directly, which is
    about 5x cheaper than collecting it here in a loop.
    """
    out = _new_value(Value)  # skips __init__'s type checks: the data is already a float
    out.data = op.forward(operand_data)
    out.grad = 0.0
    out._label = ""
    out._pending = None
    if _is_recording():
        out._op = op
        out._operands = operands
    else:
        out._op = NO_GRAD_RESULT
        out._operands = ()
    if _Mode.on_new_node is not None:
        _Mode.on_new_node(out)
    return out


def _operand(x: object, symbol: str) -> Value:
    """``x`` as a Value: numbers become constant leaves; anything else raises TypeError."""
    if isinstance(x, Value):
        return x
    # float and int listed first: the usual operands match without the slower ABC check.
    if isinstance(x, (float, int, numbers.Real)):
        try:
            return _constant(float(x))
        except OverflowError:  # an int beyond the largest float, e.g. 10**400
            raise _too_large_error(x) from None
    if isinstance(x, np.bool_):  # like Python's bool: 1.0 or 0.0 (as NumPy and PyTorch)
        return _constant(float(x))
    raise TypeError(
        f"unsupported operand for Value {symbol}: {type(x).__qualname__} ({x!r:.40}); "
        "use a number or a Value"
    )


def _constant(data: float) -> Value:
    """A new unlabelled leaf holding ``data`` (already a float)."""
    out = _new_value(Value)  # skips __init__'s checks: about 3x cheaper per constant
    out.data = data
    out.grad = 0.0
    out._label = ""
    out._op = None
    out._operands = ()
    out._pending = None
    return out


def as_value(x: object, label: str = "") -> Value:
    """Return ``x`` if it is a Value, else a new leaf ``Value(x, label)``."""
    if isinstance(x, Value):
        return x
    if type(x) is float and not label:  # the common case (network inputs): skip the checks
        return _constant(x)
    return Value(x, label)


def apply(op: Op, *operands: object) -> Value:
    """One node ``op(operands)``: the public way to use a custom `Op`.

    Subclass `Op` with ``name``, ``forward`` and ``derivatives``, then
    ``apply(MyOp(), x)`` records a node exactly as the built-in operations do
    (numbers become constant leaves). The same node works with ``backward()``,
    ``grad(..., create_graph=True)`` and every tool that reads the graph.

    ``forward`` may return any real number (``np.exp`` gives ``np.float64``): the
    node's ``data`` is made a Python float once, here. Anything else (a complex,
    an array, None) raises TypeError naming the op. ``derivatives`` must return
    one local derivative per operand; backward checks that before it changes the
    node's ``.grad`` and raises TypeError naming the op.
    """
    if not isinstance(op, Op):
        raise TypeError(f"apply() needs an Op instance, got {type(op).__qualname__}")
    if not operands:
        raise ValueError(f"apply({op!r}) needs at least one operand")
    node = Value._make(op, tuple(as_value(x) for x in operands))
    if type(node.data) is not float:  # checked here, not in _node: built-in ops give floats
        try:
            node.data = _to_float(node.data)
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"{type(op).__qualname__} (name {op.name!r}): forward() must return a real "
                f"number; {error}"
            ) from None
    return node


def total(values: Iterable[object]) -> Value:
    """One n-ary node ``x1 + x2 + ... + xn`` (left to right); n must be >= 1."""
    operands = _as_values(tuple(values))
    if not operands:
        raise ValueError("total() needs at least one value")
    return _node(SUM, operands, [operand.data for operand in operands])


def linear(weights: Sequence[object], inputs: Sequence[object], bias: object) -> Value:
    """One node ``w1*x1 + ... + wn*xn + b`` with operands (w1..wn, x1..xn, b)."""
    if len(weights) != len(inputs):
        raise ValueError(
            f"linear() needs as many weights as inputs, got {len(weights)} weights "
            f"and {len(inputs)} inputs"
        )
    operands: tuple[Any, ...] = (*weights, *inputs, bias)
    # _as_values' check written out here: one Python call less per neuron.
    for operand in operands:
        if type(operand) is not Value:
            operands = tuple(map(as_value, operands))
            break
    return _node(LINEAR, operands, [operand.data for operand in operands])


def _as_values(items: tuple[Any, ...]) -> tuple[Value, ...]:
    """``items`` with numbers turned into constant leaves."""
    # Checking first and converting only when needed saves a Python call per
    # operand in the usual case where all are Values already; this plain loop
    # measured faster than all(map(isinstance, ...)) for 5 to 33 operands.
    for item in items:
        if type(item) is not Value:
            return tuple(map(as_value, items))
    # `items` typed Any instead of typing.cast(): cast would cost a Python call
    # and build a tuple[Value, ...] alias object on every call.
    return items


# --------------------------------------------------------------------------
# Traversal and the backward loop
# --------------------------------------------------------------------------


def topological_order(roots: Value | Iterable[Value]) -> list[Value]:
    """Every node reachable from ``roots``, each after all of its operands.

    Iterative depth-first search (no recursion limit). The order depends only
    on the graph's structure and operand order, never on ``id()``.
    """
    root_list = [roots] if isinstance(roots, Value) else list(roots)
    order: list[Value] = []
    visited: set[Value] = set()
    # The stack holds nodes to visit. `_EMIT` on top of a node means "its
    # operands are done: emit it". A marker instead of (node, flag) tuples
    # allocates nothing per node, so the garbage collector is never triggered.
    stack: list[Any] = list(reversed(root_list))  # Values, each maybe topped by _EMIT
    while stack:
        node = stack.pop()
        if node is _EMIT:
            order.append(stack.pop())
            continue
        if node in visited:
            continue
        visited.add(node)
        if not node._operands:  # a leaf is done at once: skips its _EMIT round trip
            order.append(node)
            continue
        stack.append(node)
        stack.append(_EMIT)
        for operand in reversed(node._operands):
            if operand not in visited:
                stack.append(operand)
    return order


_EMIT = object()
"""Stack marker used by `topological_order`."""

_NOT_RECORDED: list[Any] = []
"""The backward loop's ``contributions`` when no step is recorded (never appended to)."""


@dataclass(frozen=True, slots=True)
class BackwardStep:
    """What one step of the backward pass did.

    Attributes:
        node: the node whose gradient is now complete for this pass.
        grad: d(output)/d(node) for this pass (the sum of everything pushed to it).
        local_grads: d(node)/d(operand) for each operand, in operand order.
        contributions: ``grad * local_grad`` added to each operand's gradient.
    """

    node: Value
    grad: Num
    local_grads: tuple[Num, ...]
    contributions: tuple[Num, ...]

    @property
    def operands(self) -> tuple[Value, ...]:
        return self.node._operands


def _backward_loop(
    root: Value,
    seed_grad: Num,
    *,
    records: bool = False,
    create_graph: bool = False,
    accumulate: bool = True,
    break_at: Value | str | None = None,
) -> Iterator[BackwardStep]:
    """The one backward loop behind backward(), backward_steps() and grad().

    Visits nodes in reverse topological order. Each node's gradient for this
    pass is complete when it is visited (every node that uses it came
    earlier); it is added to ``node.grad`` (if ``accumulate``) and pushed to the
    operands through the chain rule. Yields a `BackwardStep` per node when
    ``records`` is true. With ``create_graph`` the arithmetic runs on Values, so
    the gradients are graphs themselves.
    """
    _check_backward_root(root, accumulate)
    order = topological_order(root)
    if break_at is not None:
        _check_break_at(break_at, order)
    if _Mode.passes_in_progress and any(node._pending is not None for node in order):
        raise RuntimeError(
            "another backward pass over this graph is paused half way (a backward_steps() "
            "generator not run to the end, or a debugger stop inside backward()); finish it "
            "or call close() on the generator before starting a new pass"
        )
    want_records = records or _Mode.on_backward_step is not None
    # Arithmetic on floats records nothing whatever the switch says, so only a
    # create_graph pass inside no_grad() turns recording on, and gives the user's
    # no_grad() back at every pause (debugger stop, yield).
    switch_at_pauses = create_graph and not _is_recording()
    if switch_at_pauses:
        _set_recording(True)
    root._pending = seed_grad
    finished = False
    _Mode.passes_in_progress += 1
    try:
        # Read in debuggers (README "Stepping through backprop", tests/test_pdb.py): keep the
        # locals `node`, `grad`, `operands` and `local_grads` named and computed like this.
        for node in reversed(order):
            grad = node._pending
            node._pending = None
            assert grad is not None  # every node in order got a contribution
            operands = node._operands
            op = node._op
            if not operands or op is None:
                local_grads: Sequence[Num] = ()  # a leaf: nothing to push its gradient to
            elif create_graph:
                local_grads = op.derivatives(operands, node)
            elif len(operands) == 1:  # most nodes: a tuple display, no list comprehension call
                local_grads = op.derivatives((operands[0].data,), node.data)
            else:
                local_grads = op.derivatives([operand.data for operand in operands], node.data)
            if break_at is not None and _is_break_node(node, break_at):
                # Debugger stop (backward(break_at=...)): `node`, `grad`, `operands` and
                # `local_grads` are known; the loop below pushes grad * local_grad to each
                # operand, then adds grad to node.grad.
                with _paused(switch_at_pauses):
                    breakpoint()
            contributions: list[Num] = [] if want_records else _NOT_RECORDED  # no list per node
            # An Op whose derivatives() gives a wrong count fails here, before any gradient
            # moves (the except clause below names it). Checked with len(): zip(strict=True)
            # is slower per node (a call with a keyword), about 12% of the seed epoch.
            if len(local_grads) != len(operands):
                raise ValueError("derivatives() gave a wrong number of local derivatives")
            for operand, local_grad in zip(operands, local_grads):  # noqa: B905 (counted above)
                contribution = grad * local_grad
                pending = operand._pending
                operand._pending = contribution if pending is None else pending + contribution
                if want_records:
                    contributions.append(contribution)
            if accumulate:
                node.grad += grad.data if isinstance(grad, Value) else grad
            if want_records:
                step = BackwardStep(node, grad, tuple(local_grads), tuple(contributions))
                _notify_step(step)
                with _paused(switch_at_pauses):
                    yield step
        finished = True
    except (TypeError, ValueError) as error:
        # Name the Op whose derivatives() failed the count check above, instead of a bare
        # message. Worked out only here, after a failure: it costs nothing per node.
        count_error = _derivative_count_error(node, create_graph)
        if count_error is None:
            raise
        raise count_error from error
    finally:
        _Mode.passes_in_progress -= 1
        if switch_at_pauses:
            _set_recording(False)
        # A pass stopped half way leaves no stale contributions. A finished pass has
        # already reset each node as it went: skipping this walk saves a pass over the graph.
        if not finished:
            for node in order:
                node._pending = None


@contextmanager
def _paused(switch: bool) -> Iterator[None]:
    """A pause of the backward loop (a debugger stop or a yielded step).

    Only ``switch`` (a create_graph pass run inside no_grad()) changes anything: the
    user's no_grad() holds while their code runs, and the pass records again after."""
    if not switch:
        yield
        return
    _set_recording(False)
    try:
        yield
    finally:
        _set_recording(True)


def _derivative_count_error(node: Value, create_graph: bool) -> TypeError | None:
    """The error to raise if ``node``'s `Op` does not give one local derivative per
    operand (None if it does, or if its derivatives() fails by itself)."""
    op, operands = node._op, node._operands
    if op is None or not operands:
        return None
    try:
        if create_graph:
            local_grads: object = op.derivatives(operands, node)
        else:
            local_grads = op.derivatives([operand.data for operand in operands], node.data)
    except Exception:  # derivatives() itself fails: its own error is the one to see
        return None
    try:
        count = len(local_grads)  # type: ignore[arg-type]
    except TypeError:
        got = f"a {type(local_grads).__qualname__}, not a tuple"
    else:
        if count == len(operands):
            return None
        got = f"{count} values"
    return TypeError(
        f"{type(op).__qualname__} (name {op.name!r}): derivatives() must return one local "
        f"derivative per operand, a tuple of {len(operands)}; it returned {got}"
    )


def _seed_gradient(grad: object) -> float:
    """The seed gradient as a float, or a TypeError naming what was passed instead."""
    if isinstance(grad, bool) or not isinstance(grad, numbers.Real):
        raise TypeError(
            f"the seed gradient (grad=...) must be a real number, "
            f"got {type(grad).__qualname__}: {grad!r:.40}"
        )
    return float(grad)


def _is_break_node(node: Value, break_at: Value | str) -> bool:
    """True if ``node`` is the debugger stop asked for by ``backward(break_at=...)``."""
    if isinstance(break_at, str):
        return node.label == break_at
    return node is break_at


def _check_break_at(break_at: object, order: list[Value]) -> None:
    """Refuse a ``break_at`` that is of the wrong type or matches no node (it would never stop)."""
    if isinstance(break_at, str):
        if any(node.label == break_at for node in order):
            return
        labels = sorted({node.label for node in order if node.label})
        raise ValueError(
            f"break_at={break_at!r} matches no node of this graph, so the debugger would "
            f"never stop; labels in the graph: {', '.join(labels) or '(none)'}"
        )
    if isinstance(break_at, Value):
        if any(node is break_at for node in order):
            return
        raise ValueError(
            f"break_at={_describe(break_at)} is not part of this graph (the output does not "
            "depend on it), so the debugger would never stop"
        )
    raise TypeError(f"break_at must be a Value or a label (str), got {type(break_at).__qualname__}")


def _notify_step(step: BackwardStep) -> None:
    hook = _Mode.on_backward_step
    if hook is not None:
        hook(step)


class GraphWarning(UserWarning):
    """A backward call that is legal but probably not what was meant."""


def _check_backward_root(root: Value, accumulate: bool) -> None:
    if not isinstance(root, Value):
        raise TypeError(f"backward needs a Value, got {type(root).__qualname__}")
    if root._op is NO_GRAD_RESULT:
        raise RuntimeError(
            f"{_describe(root)} was computed inside no_grad(), so no graph was recorded "
            "and backward() cannot reach anything. Compute it outside no_grad()."
        )
    if accumulate and not _is_recording():  # grad() and explain() only read the graph
        raise RuntimeError(
            "backward() was called inside no_grad(). no_grad() is for updates that "
            "must not be recorded (optimizer steps); leave the with-block before "
            "calling backward()."
        )
    if root.is_leaf:
        warnings.warn(
            f"backward() on the leaf {_describe(root)}: no operation produced it, so "
            "there is no graph behind it and only its own grad changes (by the seed "
            "gradient). Call backward() on the output computed from it (e.g. the loss).",
            GraphWarning,
            stacklevel=_caller_stacklevel(),
        )


def _caller_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning point at the first frame outside this package."""
    _, skipped = first_user_frame(sys._getframe(1))
    return 1 + skipped


def _describe(value: Value) -> str:
    name = f"'{value.label}'" if value.label else "(unlabelled)"
    return f"Value {name} (data={value.data!r})"


def backward_steps(root: Value, grad: float = 1.0) -> Iterator[BackwardStep]:
    """Run ``root.backward(grad)`` one node at a time, yielding a `BackwardStep` per node.

    Consuming it fully leaves every ``.grad`` exactly as ``root.backward(grad)``
    does; ``backward()`` runs the same loop. When a step is yielded, its node's
    ``.grad`` already includes this pass and its contributions have been
    pushed to its operands. Stopping half way (``break`` or ``close()``)
    leaves the visited nodes' ``.grad`` updated, the unvisited ones as they were,
    and discards the contributions not yet delivered, so a later pass starts clean.
    While it is paused, graph recording is as outside it, and another pass over
    any of the same nodes raises RuntimeError until this one finishes or is closed.
    """
    return _backward_loop(root, _seed_gradient(grad), records=True)


def grad(
    output: Value,
    inputs: Value | Sequence[Value],
    grad_output: float = 1.0,
    *,
    create_graph: bool = False,
) -> list[Value]:
    """d(output)/d(input) for each input, as Values, like ``torch.autograd.grad``.

    Does not touch any ``.grad``. With ``create_graph=True`` the results are
    nodes of a new graph built from the original one, so they can be
    differentiated again (second derivatives, Hessians). Inputs that
    ``output`` does not depend on get 0.0.
    """
    input_list = [inputs] if isinstance(inputs, Value) else list(inputs)
    for position, item in enumerate(input_list):
        if not isinstance(item, Value):
            raise TypeError(
                f"grad() inputs must be Values, input {position} is {type(item).__qualname__}"
            )
    wanted = set(input_list)
    found: dict[Value, Num] = {}
    seed_float = _seed_gradient(grad_output)
    seed: Num = Value(seed_float) if create_graph else seed_float
    for step in _backward_loop(
        output, seed, records=True, create_graph=create_graph, accumulate=False
    ):
        if step.node in wanted:
            found[step.node] = step.grad
    results = []
    for item in input_list:
        derivative = found.get(item, 0.0)
        results.append(derivative if isinstance(derivative, Value) else Value(derivative))
    return results
