"""`Value`: a scalar that remembers how it was computed.

Every arithmetic operation on Values returns a new Value that records its
`Op` (``operation``) and its operands. ``loss.backward()`` then runs the
autograd pass (`tinygrad_lite.autograd`) over that recorded graph and adds
d(loss)/d(node) to every node's ``grad``.

Design, in short (the measurements are in docs/engine.md):

* A node is plain data in ``__slots__``: its float, its grad, the gradient in
  flight during a pass, its label, its `Op` and its operands. The operands of
  one- and two-operand nodes sit in two slots, not in a tuple, so a node is
  one object for the garbage collector, and no node refers back to itself:
  graphs are freed by reference counting alone.
* Each pass adds exactly that pass's gradients (the ones in flight are kept
  apart from ``grad``), so calling ``backward()`` twice doubles every grad.
* A Python number in an expression (``w * 1.5``) becomes an unlabelled leaf,
  a constant, which drawings show as its number.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Union

import numpy as np

from tinygrad_lite.autograd import backward_pass, topological_order
from tinygrad_lite.autograd_machinery import (
    BackwardStep,
    Pass,
    float_conversion_error,
    hooks,
    recording,
    seed_gradient,
)
from tinygrad_lite.checks import too_large_error
from tinygrad_lite.ops import (
    ABS,
    ADD,
    COS,
    DIV,
    EXP,
    LEAF,
    LINEAR,
    LOG,
    MUL,
    NEG,
    NO_GRAD_RESULT,
    POW,
    RELU,
    SIGMOID,
    SIN,
    SQRT,
    SUB,
    SUM,
    TANH,
    Op,
    PowConst,
    deriving_as_graph,
)

Num = Union[float, "Value"]
"""A number that is either a plain float or a graph node."""


class Value:
    """A scalar that remembers how it was computed.

    ``Value(data, label)`` takes any real number: float, int, NumPy scalar or
    one-element array, and bool or ``np.bool_`` as 1.0 / 0.0 (as ``np.float64``
    does); arithmetic with a Value accepts the same.

    Attributes:
        data: the number, always a Python float.
        grad: d(output)/d(self), summed over every ``backward()`` so far; 0.0 until
            a backward pass reaches it. Kept on every node, intermediates included.
        grad_in_flight: while a backward pass runs, the part of d(output)/d(self)
            that the nodes using it have pushed so far; 0.0 otherwise.
        label: a name for drawings and messages ("" if none).
        operation: the `Op` that produced it (`ops.LEAF` for a leaf).
        operands: the Values it was computed from, in order.
    """

    __slots__ = ("_label", "_x", "_xs", "_y", "data", "grad", "grad_in_flight", "operation")

    # NumPy defers to our reflected operators (np.float64(2) * v gives a Value).
    __array_ufunc__ = None

    data: float
    grad: float
    grad_in_flight: Any
    operation: Op
    _label: str
    _x: Value | None  # the first operand (None for a leaf or a node of 3+ operands)
    _y: Value | None  # the second operand (None for fewer than two)
    _xs: tuple[Value, ...] | None  # all operands of a node of 3 or more

    def __init__(self, data: object, label: str = "") -> None:
        _check_label(label)
        self.data = _to_float(data)
        self.grad = 0.0
        self.grad_in_flight = 0.0
        self._label = label
        self.operation = LEAF
        self._x = self._y = self._xs = None

    @property
    def operands(self) -> tuple[Value, ...]:
        """The Values this one was computed from, in order (empty for a leaf)."""
        if self._xs is not None:
            return self._xs
        if self._y is not None:
            return (self._x, self._y)  # type: ignore[return-value]
        if self._x is not None:
            return (self._x,)
        return ()

    # -- arithmetic: each operation records one node ---------------------------

    def __add__(self, other: object) -> Value:
        if type(other) is not Value:  # speed: no call for the usual Value operand
            other = _operand(other, "+")
        return _binary(ADD, self, other)

    def __radd__(self, other: object) -> Value:
        return _binary(ADD, _operand(other, "+"), self)

    def __sub__(self, other: object) -> Value:
        if type(other) is not Value:  # speed: no call for the usual Value operand
            other = _operand(other, "-")
        return _binary(SUB, self, other)

    def __rsub__(self, other: object) -> Value:
        return _binary(SUB, _operand(other, "-"), self)

    def __mul__(self, other: object) -> Value:
        if type(other) is not Value:  # speed: no call for the usual Value operand
            other = _operand(other, "*")
        return _binary(MUL, self, other)

    def __rmul__(self, other: object) -> Value:
        return _binary(MUL, _operand(other, "*"), self)

    def __truediv__(self, other: object) -> Value:
        if type(other) is not Value:  # speed: no call for the usual Value operand
            other = _operand(other, "/")
        return _binary(DIV, self, other)

    def __rtruediv__(self, other: object) -> Value:
        return _binary(DIV, _operand(other, "/"), self)

    def __pow__(self, exponent: object) -> Value:
        if isinstance(exponent, Value):
            return _binary(POW, self, exponent)
        # a number exponent is part of the op (x**2 squares), not an operand
        if type(exponent) is int and -64 <= exponent <= 64:  # speed: no constant leaf
            return _unary(PowConst.of(float(exponent)), self)
        return _unary(PowConst.of(_operand(exponent, "**").data), self)

    def __rpow__(self, base: object) -> Value:
        return _binary(POW, _operand(base, "**"), self)

    def __neg__(self) -> Value:
        return _unary(NEG, self)

    def __pos__(self) -> Value:
        return self

    def exp(self) -> Value:
        """e ** self."""
        return _unary(EXP, self)

    def log(self) -> Value:
        """Natural logarithm."""
        return _unary(LOG, self)

    def tanh(self) -> Value:
        """Hyperbolic tangent."""
        return _unary(TANH, self)

    def sigmoid(self) -> Value:
        """1 / (1 + exp(-self)), as the seed notebook computes it."""
        return _unary(SIGMOID, self)

    def relu(self) -> Value:
        """max(self, 0)."""
        return _unary(RELU, self)

    def sin(self) -> Value:
        """Sine (of an angle in radians)."""
        return _unary(SIN, self)

    def cos(self) -> Value:
        """Cosine (of an angle in radians)."""
        return _unary(COS, self)

    def sqrt(self) -> Value:
        """Square root (nan for a negative number)."""
        return _unary(SQRT, self)

    def abs(self) -> Value:
        """|self|; also Python's ``abs(value)``."""
        return _unary(ABS, self)

    __abs__ = abs

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
        opens the debugger in the backward pass on that node's chain rule: the
        locals ``node``, ``grad``, ``operands`` and ``local_grads`` are this
        node's, ``operand.grad_in_flight`` shows what has arrived so far, and
        the ``chain`` command prints the step in words. ``explain=True`` prints
        the chain rule of every step (see `tinygrad_lite.explain`).
        """
        steps = backward_pass(self, seed_gradient(grad), Pass(break_at=break_at, records=explain))
        if explain and hooks.print_backward is not None:
            hooks.print_backward(_notified(steps), self)
            return
        for step in steps:
            _notify(step)

    def backward_steps(self, grad: float = 1.0) -> Iterator[BackwardStep]:
        """Run backward one node at a time; see `backward_steps`."""
        return backward_steps(self, grad)

    def zero_grad(self) -> None:
        """Set ``grad`` to 0.0 on every node of this value's graph."""
        for node in topological_order(self):
            node.grad = 0.0

    # -- names and display ----------------------------------------------------

    @property
    def label(self) -> str:
        """A name for drawings and messages ("" if none)."""
        return self._label

    @label.setter
    def label(self, label: str) -> None:
        _check_label(label)
        self._label = label

    @property
    def op(self) -> str:
        """Name of the operation that produced this value ("" for a leaf)."""
        return self.operation.name

    @property
    def is_leaf(self) -> bool:
        """True for values not computed from others in a recorded graph."""
        return self._x is None and self._xs is None

    def __bool__(self) -> bool:
        # Python branching on a Value would silently freeze one path into a graph
        # (and cannot be traced); ask for .data explicitly instead.
        raise TypeError(
            "the truth value of a Value is ambiguous: compare its .data instead "
            "(e.g. `if v.data > 0:`)"
        )

    def __float__(self) -> float:
        op = deriving_as_graph.get()
        if op is not None:  # a derivative formula is cutting the gradient graph
            raise float_conversion_error(op)
        return self.data

    __hash__ = object.__hash__  # identity: usable in sets and as dict keys

    def __repr__(self) -> str:
        parts = [f"data={self.data!r}", f"grad={self.grad!r}"]
        if self.label:
            parts.insert(0, f"label={self.label!r}")
        if self.grad_in_flight is not None and self.grad_in_flight != 0.0:
            parts.append(f"grad_in_flight={self.grad_in_flight!r}")
        if self.operation.name:
            parts.append(f"op={self.op!r}")
        return f"Value({', '.join(parts)})"


# --------------------------------------------------------------------------
# Recording nodes
# --------------------------------------------------------------------------

_new_value = object.__new__  # speed: a node skips __init__'s checks (its data is a float)
is_recording = recording.get


def _unary(op: Op, x: Value) -> Value:
    """The node ``op(x)``."""
    out = _new_value(Value)
    out.data = op.forward((x.data,))
    out.grad = out.grad_in_flight = 0.0
    out._label = ""
    out._y = out._xs = None
    if is_recording():
        out.operation, out._x = op, x
    else:
        out.operation, out._x = NO_GRAD_RESULT, None
    if hooks.on_new_node is not None:
        hooks.on_new_node(out)
    return out


def _binary(op: Op, x: Value, y: Value) -> Value:
    """The node ``op(x, y)``."""
    out = _new_value(Value)
    out.data = op.forward((x.data, y.data))
    out.grad = out.grad_in_flight = 0.0
    out._label = ""
    out._xs = None
    if is_recording():
        out.operation, out._x, out._y = op, x, y
    else:
        out.operation, out._x, out._y = NO_GRAD_RESULT, None, None
    if hooks.on_new_node is not None:
        hooks.on_new_node(out)
    return out


def _n_ary(op: Op, xs: tuple[Value, ...]) -> Value:
    """The node ``op(*xs)`` for any number of operands."""
    if len(xs) == 1:
        return _unary(op, xs[0])
    if len(xs) == 2:
        return _binary(op, xs[0], xs[1])
    out = _new_value(Value)
    out.data = op.forward([x.data for x in xs])
    out.grad = out.grad_in_flight = 0.0
    out._label = ""
    out._x = out._y = None
    if is_recording():
        out.operation, out._xs = op, xs
    else:
        out.operation, out._xs = NO_GRAD_RESULT, None
    if hooks.on_new_node is not None:
        hooks.on_new_node(out)
    return out


def _constant(data: float) -> Value:
    """A new unlabelled leaf holding ``data`` (already a float)."""
    out = _new_value(Value)
    out.data = data
    out.grad = out.grad_in_flight = 0.0
    out._label = ""
    out.operation = LEAF
    out._x = out._y = out._xs = None
    return out


def _operand(x: object, symbol: str) -> Value:
    """``x`` as a Value: numbers become constant leaves; anything else raises TypeError."""
    if type(x) is Value:
        return x
    if type(x) is float:
        return _constant(x)
    if isinstance(x, Value):
        return x
    if isinstance(x, (int, numbers.Real)):
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


def _notify(step: BackwardStep) -> None:
    hook = hooks.on_backward_step
    if hook is not None:
        hook(step)


def _notified(steps: Iterator[BackwardStep]) -> Iterator[BackwardStep]:
    for step in steps:
        _notify(step)
        yield step


# --------------------------------------------------------------------------
# Functions on Values
# --------------------------------------------------------------------------


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block operations compute values but record no graph.

    Optimizer updates use it so that ``w - lr * w.grad`` does not become part of
    the next graph. Values made inside are leaves (``op == ""``). The switch
    belongs to the current thread (and asyncio task), as in PyTorch: other
    threads keep recording. ``grad()`` and ``explain()`` work inside it (they
    only read the graph); ``backward()`` refuses."""
    token = recording.set(False)
    try:
        yield
    finally:
        recording.reset(token)


def is_grad_enabled() -> bool:
    """True unless inside `no_grad()` (in this thread)."""
    return is_recording()


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
    node's ``.grad`` and raises TypeError naming the op. Write derivatives with
    arithmetic and Value methods (or `tinygrad_lite.ops` helpers such as
    ``ops.cos``), never ``math`` functions: ``grad(..., create_graph=True)``
    passes Values, and a ``math`` function would cut the graph (it raises there).
    """
    if not isinstance(op, Op):
        raise TypeError(f"apply() needs an Op instance, got {type(op).__qualname__}")
    if not operands:
        raise ValueError(f"apply({op!r}) needs at least one operand")
    node = _n_ary(op, tuple(as_value(x) for x in operands))
    if type(node.data) is not float:  # checked here: built-in ops give floats
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
    operands = tuple(as_value(x) for x in values)
    if not operands:
        raise ValueError("total() needs at least one value")
    return _n_ary(SUM, operands)


def linear(weights: Sequence[object], inputs: Sequence[object], bias: object) -> Value:
    """One node ``w1*x1 + ... + wn*xn + b`` with operands (w1..wn, x1..xn, b)."""
    if len(weights) != len(inputs):
        raise ValueError(
            f"linear() needs as many weights as inputs, got {len(weights)} weights "
            f"and {len(inputs)} inputs"
        )
    operands: tuple[Any, ...] = (*weights, *inputs, bias)
    for operand in operands:
        if type(operand) is not Value:
            operands = tuple(map(as_value, operands))
            break
    return _n_ary(LINEAR, operands)


# Functions of one operand, for a Value or a number: a number becomes an unlabelled
# constant leaf first (as in ``apply`` and arithmetic), so ``sin(2.0)`` is the node
# ``sin`` over the leaf 2.0, the same as ``Value(2.0).sin()``.


def sin(x: object) -> Value:
    """``x.sin()`` for a Value ``x``; a number becomes a constant leaf first."""
    return _unary(SIN, _operand(x, "sin()"))


def cos(x: object) -> Value:
    """``x.cos()`` for a Value ``x``; a number becomes a constant leaf first."""
    return _unary(COS, _operand(x, "cos()"))


def sqrt(x: object) -> Value:
    """``x.sqrt()`` for a Value ``x``; a number becomes a constant leaf first."""
    return _unary(SQRT, _operand(x, "sqrt()"))


def absolute(x: object) -> Value:
    """``x.abs()`` for a Value ``x``; a number becomes a constant leaf first. Exported as
    ``tinygrad_lite.abs``; named otherwise here so that this module keeps Python's abs."""
    return _unary(ABS, _operand(x, "abs()"))


def backward_steps(root: Value, grad: float = 1.0) -> Iterator[BackwardStep]:
    """Run ``root.backward(grad)`` one node at a time, yielding a `BackwardStep` per node.

    Consuming it fully leaves every ``.grad`` exactly as ``root.backward(grad)``
    does; ``backward()`` runs the same loop. When a step is yielded, its node's
    ``.grad`` already includes this pass and its contributions have been
    pushed to its operands. Stopping half way (``break`` or ``close()``)
    leaves the visited nodes' ``.grad`` updated, the unvisited ones as they were,
    and discards the contributions not yet delivered, so a later pass starts clean.
    While it is paused, another pass over any of the same nodes raises
    RuntimeError until this one finishes or is closed.
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward needs a Value, got {type(root).__qualname__}")
    return _notified(backward_pass(root, seed_gradient(grad), Pass(records=True)))


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
    if not isinstance(output, Value):
        raise TypeError(f"backward needs a Value, got {type(output).__qualname__}")
    input_list = [inputs] if isinstance(inputs, Value) else list(inputs)
    for position, item in enumerate(input_list):
        if not isinstance(item, Value):
            raise TypeError(
                f"grad() inputs must be Values, input {position} is {type(item).__qualname__}"
            )
    wanted = set(input_list)
    found: dict[Value, Num] = {}
    seed_float = seed_gradient(grad_output)
    seed: Num = Value(seed_float) if create_graph else seed_float
    run = Pass(records=True, create_graph=create_graph, accumulate=False)
    for step in _notified(backward_pass(output, seed, run)):
        if step.node in wanted:
            found[step.node] = step.grad
    results = []
    for item in input_list:
        derivative = found.get(item, 0.0)
        results.append(derivative if isinstance(derivative, Value) else Value(derivative))
    return results


# --------------------------------------------------------------------------
# Checking what users pass in
# --------------------------------------------------------------------------


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
    """The error for a number no float can hold (`tinygrad_lite.checks.too_large_error`)."""
    return too_large_error("Value", number)
