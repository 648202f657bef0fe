"""What runs beside the chain rule in `tinygrad_lite.autograd.backward_pass`.

* `Pass`: how one pass runs (floats or graphs, add to ``.grad`` or not, record
  steps, debugger stops), its checks before it starts (`Pass.guard`), and the
  clean-up of a pass stopped half way, so a later pass starts clean.
* `BackwardStep`: the record of one node's step, for the stepping tools.
* `hooks`: process-wide switches the debugging tools set (`detect_anomaly`).
* `recording`: the per-thread graph-recording switch behind `no_grad()`.
* `Debugger`: the pdb that a ``break_at`` stop opens, landing on the chain rule
  with machinery frames skipped.
"""

from __future__ import annotations

import ctypes
import os
import pdb
import sys
import warnings
from collections.abc import Callable, Container, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import FrameType
from typing import Any

from tinygrad_lite._frames import first_user_frame
from tinygrad_lite.checks import real_number
from tinygrad_lite.naming import describe
from tinygrad_lite.ops import NO_GRAD_RESULT, Num, Op, deriving_as_graph

# False inside no_grad(). A context variable, so each thread (and asyncio task)
# has its own switch, as in PyTorch.
recording: ContextVar[bool] = ContextVar("tinygrad_lite_recording", default=True)


@dataclass(frozen=True, slots=True)
class BackwardStep:
    """What one step of the backward pass did.

    Attributes:
        node: the node whose gradient is now complete for this pass.
        grad: d(output)/d(node) for this pass (the sum of everything pushed to it).
        local_grads: d(node)/d(operand) for each operand, in operand order.
    """

    node: Any
    grad: Num
    local_grads: tuple[Num, ...]

    @property
    def operands(self) -> tuple[Any, ...]:
        """The node's operands, in order."""
        return tuple(self.node.operands)

    @property
    def contributions(self) -> tuple[Num, ...]:
        """``grad * local_grad`` added to each operand's gradient (the chain rule)."""
        return tuple(self.grad * local_grad for local_grad in self.local_grads)


class Hooks:
    """Process-wide switches set by tinygrad_lite's debugging tools; None means off."""

    on_new_node: Callable[[Any], None] | None = None
    on_backward_step: Callable[[BackwardStep], None] | None = None
    # The chain-rule line for the debugger's `chain` command, set by `explain`.
    chain_line: Callable[[Any, BackwardStep], str] | None = None
    # Prints a whole pass's chain rule (backward(explain=True)), set by `explain`.
    print_backward: Callable[[Iterator[BackwardStep], Any], None] | None = None


hooks = Hooks()

_running_passes: list[list[Any]] = []  # each running pass's nodes (paused generators, debugger)
_interrupted_passes: list[list[Any]] = []  # passes stopped half way, not yet cleaned up


def _discard_leftovers() -> None:
    """Reset the gradients in flight of passes stopped half way (each pass's order
    stays listed until all of its nodes are reset)."""
    while _interrupted_passes:
        for node in _interrupted_passes[-1]:
            node.grad_in_flight = 0.0
        _interrupted_passes.pop()


class _NothingYet:
    """The gradient in flight before any arrives, in a pass on graphs: ``nothing + g``
    is ``g`` itself, so no ``0.0 + g`` node is added to the gradient's graph."""

    def __add__(self, other: Any) -> Any:
        return other

    __radd__ = __add__

    def __repr__(self) -> str:
        return "nothing yet"


NOTHING_YET = _NothingYet()


class Pass:
    """How one backward pass runs.

    ``create_graph``: local derivatives are Values, so the gradients are graphs.
    ``accumulate``: add each node's gradient to its ``.grad`` (``backward()``),
    or leave ``.grad`` alone (``grad()``, ``explain``). ``records``: yield a
    `BackwardStep` per node. ``break_at``: a node, or a label, where the debugger
    stops, with the chain rule of that node as the current line.
    """

    def __init__(
        self,
        *,
        create_graph: bool = False,
        accumulate: bool = True,
        records: bool = False,
        break_at: Any = None,
    ) -> None:
        self.create_graph = create_graph
        self.accumulate = accumulate
        self.records = records or hooks.on_backward_step is not None
        self.break_at = break_at
        self.stops: frozenset[Any] | tuple[()] = ()

    def settings(
        self,
    ) -> tuple[Callable[[Any], tuple[Sequence[Any], Sequence[Num]]], Container[Any], bool, bool]:
        """What the pass needs per node, read once: how to get local derivatives,
        where to stop, whether to add to ``.grad``, whether to record steps."""
        derivatives = graph_derivatives if self.create_graph else float_derivatives
        return derivatives, self.stops, self.accumulate, self.records

    @contextmanager
    def guard(self, root: Any, order: list[Any]) -> Iterator[None]:
        """Check the pass can run, then run it. A finished pass has reset every
        node's gradient in flight as it went; a pass stopped half way (an error,
        ``close()``, Ctrl-C) has its undelivered gradients discarded here, and if
        even that is interrupted, the next pass discards them before it starts."""
        _discard_leftovers()
        check_root(root, self.accumulate)
        if self.break_at is not None:
            self.stops = stop_nodes(self.break_at, order)
        if _running_passes:
            _refuse_overlap(order)
        previous_recording = recording.get()
        if self.create_graph:
            recording.set(True)  # the gradient graph is recorded even inside no_grad()
            for node in order:
                node.grad_in_flight = NOTHING_YET
        _running_passes.append(order)
        try:
            yield
        except BaseException:
            _interrupted_passes.append(order)  # first: a second Ctrl-C cannot lose it
            _running_passes.remove(order)
            _discard_leftovers()
            raise
        else:
            _running_passes.remove(order)
        finally:
            recording.set(previous_recording)

    def stop_debugger(self) -> None:
        """Open the debugger in the pass's frame, at the chain rule of this node."""
        hook_name = os.environ.get("PYTHONBREAKPOINT", "")
        if hook_name == "0":  # breakpoints switched off, which breakpoint() honours too
            return
        if sys.breakpointhook is not sys.__breakpointhook__ or hook_name not in ("", PDB_HOOK):
            breakpoint()  # the user's own debugger: it stops here, one frame inside the pass
            return
        Debugger().stop_at_chain_rule(sys._getframe(1))


def float_derivatives(node: Any) -> tuple[Sequence[Any], Sequence[float]]:
    """The node's operands, and d(node)/d(operand) for each as floats, from its `Op`."""
    # speed: the operand slots read directly, the floats as a tuple display
    first, second = node._x, node._y
    if second is not None:
        operands: Sequence[Any] = (first, second)
        local_grads = node.operation.derivatives((first.data, second.data), node.data)
    elif first is not None:
        operands = (first,)
        local_grads = node.operation.derivatives((first.data,), node.data)
    elif node._xs is None:
        return (), ()  # a leaf: nothing to push
    else:
        operands = node._xs
        local_grads = node.operation.derivatives([x.data for x in operands], node.data)
    if type(local_grads) is not tuple or len(local_grads) != len(operands):
        _check_count(node.operation, len(operands), local_grads)
    return operands, local_grads


def graph_derivatives(node: Any) -> tuple[Sequence[Any], Sequence[Any]]:
    """The node's operands, and d(node)/d(operand) for each as Values: the Op's
    formula run on the operand nodes themselves, so the gradient is a graph
    (``create_graph``)."""
    op: Op = node.operation
    operands = node.operands
    token = deriving_as_graph.set(op)  # Value.__float__ refuses to cut the graph
    try:
        local_grads = op.derivatives(operands, node)
    finally:
        deriving_as_graph.reset(token)
    _check_count(op, len(operands), local_grads)
    return operands, local_grads


def _check_count(op: Op, expected: int, local_grads: object) -> None:
    """Refuse derivatives() that do not give one local derivative per operand."""
    if not isinstance(local_grads, (tuple, list)) or len(local_grads) != expected:
        raise TypeError(_count_message(op, expected, local_grads))


# --------------------------------------------------------------------------
# Checks before a pass, each with a message that says what to do
# --------------------------------------------------------------------------


class GraphWarning(UserWarning):
    """A backward call that is legal but probably not what was meant."""


def seed_gradient(grad: object) -> float:
    """The seed gradient as a float, or a TypeError naming what was passed instead."""
    return real_number("the seed gradient (grad=...)", grad)


def check_root(root: Any, accumulate: bool) -> None:
    """Refuse a backward pass that cannot do what was meant; warn on a leaf."""
    if root.operation is NO_GRAD_RESULT:
        raise RuntimeError(
            f"{describe(root)} was computed inside no_grad(), so no graph was recorded "
            "and backward() cannot reach anything. Compute it outside no_grad()."
        )
    if accumulate and not recording.get():  # grad() and explain() only read the graph
        raise RuntimeError(
            "backward() was called inside no_grad(). no_grad() is for updates that "
            "must not be recorded (optimizer steps); leave the with-block before "
            "calling backward()."
        )
    if not root.operands:
        _, skipped = first_user_frame(sys._getframe(1))
        warnings.warn(
            f"backward() on the leaf {describe(root)}: no operation produced it, so "
            "there is no graph behind it and only its own grad changes (by the seed "
            "gradient). Call backward() on the output computed from it (e.g. the loss).",
            GraphWarning,
            stacklevel=2 + skipped,
        )


def stop_nodes(break_at: object, order: list[Any]) -> frozenset[Any]:
    """The nodes a ``break_at`` (a node or a label) stops at; refuses one that matches
    nothing, since the debugger would never stop."""
    if isinstance(break_at, str):
        matches = frozenset(node for node in order if node.label == break_at)
        if matches:
            return matches
        labels = sorted({node.label for node in order if node.label})
        raise ValueError(
            f"break_at={break_at!r} matches no node of this graph, so the debugger would "
            f"never stop; labels in the graph: {', '.join(labels) or '(none)'}"
        )
    if hasattr(break_at, "grad_in_flight") and hasattr(break_at, "operation"):
        if any(node is break_at for node in order):
            return frozenset((break_at,))
        raise ValueError(
            f"break_at={describe(break_at)} is not part of this graph (the output does not "
            "depend on it), so the debugger would never stop"
        )
    raise TypeError(f"break_at must be a Value or a label (str), got {type(break_at).__qualname__}")


def _refuse_overlap(order: list[Any]) -> None:
    nodes = set(order)
    if any(node in nodes for running in _running_passes for node in running):
        raise RuntimeError(
            "another backward pass over this graph is paused half way (a backward_steps() "
            "generator not run to the end, or a debugger stop inside backward()); finish it "
            "or call close() on the generator before starting a new pass"
        )


def _count_message(op: Op, expected: int, local_grads: object) -> str:
    try:
        got = f"{len(local_grads)} values"  # type: ignore[arg-type]
    except TypeError:
        got = f"a {type(local_grads).__qualname__}, not a tuple"
    return (
        f"{type(op).__qualname__} (name {op.name!r}): derivatives() must return one local "
        f"derivative per operand, a tuple of {expected}; it returned {got}"
    )


def float_conversion_error(op: Op) -> TypeError:
    """The error for a derivative that turned a Value into a float in a create_graph pass."""
    return TypeError(
        f"{type(op).__qualname__} (name {op.name!r}): derivatives() turned a Value into a "
        "float (math.cos(x), float(x), ...) while grad(..., create_graph=True) asked for "
        "its derivatives as a graph; the second derivative would silently be 0. Write "
        "the derivative with Value operations (x.cos(), or the helpers in "
        "tinygrad_lite.ops such as ops.cos(x), which work on floats and Values alike)."
    )


# --------------------------------------------------------------------------
# The debugger stop
# --------------------------------------------------------------------------

PDB_HOOK = "pdb.set_trace"

MACHINERY_MODULES = (
    "tinygrad_lite.autograd_machinery",
    "tinygrad_lite._frames",
    "tinygrad_lite.checks",
    "tinygrad_lite.naming",
    "abc",
    "contextlib",
    "contextvars",
    "numbers",
    "typing",
    "warnings",
    "dataclasses",
)
"""Modules a plain pdb ``step`` runs through without stopping (see `Debugger`)."""

SKIPPED_FUNCTIONS = (
    ("tinygrad_lite.autograd", "topological_order"),
    ("tinygrad_lite.value", "operands"),  # reads the slots that hold the operands
)
"""Functions that ``step`` runs through too: the sort is not the lesson at a stop."""


class Debugger(pdb.Pdb):
    """pdb with the pass's machinery skipped and a ``chain`` command.

    ``step`` from ``loss.backward()`` goes straight into `backward_pass`
    (the checks, the topological sort's helpers and context managers are
    skipped), and ``chain`` prints the chain-rule line of the node being pushed.
    """

    def __init__(self) -> None:
        super().__init__(skip=list(MACHINERY_MODULES))
        self._stop_frame: FrameType | None = None

    def stop_at_chain_rule(self, frame: FrameType) -> None:
        """Stop in ``frame`` (the backward pass) at the chain rule of its node.

        The next line there is the header of the loop over operands, where
        ``operand`` and ``local_grad`` still hold the previous node's last pair:
        they are removed, and for a node with operands the stop moves one line on,
        to the chain rule itself, with this node's first operand."""
        self._stop_frame = frame
        self.set_trace(frame)

    def user_line(self, frame: FrameType) -> None:
        if self._stop_frame is frame:
            self._stop_frame = None
            _forget_locals(frame, ("operand", "local_grad"))
            if frame.f_locals.get("operands"):
                self.set_step()
                return
        super().user_line(frame)

    def stop_here(self, frame: FrameType) -> bool:
        """Never stop in the machinery, nor in anything it calls (``node.operands``
        read by the topological sort), so ``step`` goes from lesson to lesson."""
        caller: FrameType | None = frame
        while caller is not None and caller is not self.botframe:
            module = caller.f_globals.get("__name__", "")
            if (
                self.is_skipped_module(module)
                or (module, caller.f_code.co_name) in SKIPPED_FUNCTIONS
            ):
                return False
            caller = caller.f_back
        return super().stop_here(frame)

    def do_chain(self, arg: str) -> None:
        """chain
        Print the chain rule of the node being pushed (its explain line)."""
        frame = self.curframe
        if frame is None:
            return
        names = frame.f_locals
        node, grad, local_grads = (names.get(key) for key in ("node", "grad", "local_grads"))
        if node is None or local_grads is None:
            self.message("*** no backward pass node in this frame")
            return
        step = BackwardStep(node, grad, tuple(local_grads))
        if hooks.chain_line is not None:
            self.message(hooks.chain_line(names.get("root", node), step))
        else:
            parts = [f"{grad!r} * {local!r}" for local in step.local_grads]
            self.message(f"{describe(node)}: pushes {', '.join(parts) or 'nothing'}")


def set_trace() -> None:
    """Start the debugger here, like ``breakpoint()``, with the pass's machinery
    skipped: from ``loss.backward()`` a plain ``step`` walks into the backward pass
    and reaches the chain rule in a few steps; ``chain`` explains the step."""
    Debugger().set_trace(sys._getframe(1))


def _forget_locals(frame: FrameType, names: tuple[str, ...]) -> None:
    """Delete the local variables ``names`` of a paused ``frame`` (CPython 3.11 and 3.12:
    write the frame's locals dict back into the frame, deleting what it lacks)."""
    frame_locals = frame.f_locals
    for name in names:
        frame_locals.pop(name, None)
    write_back = getattr(ctypes.pythonapi, "PyFrame_LocalsToFast", None)
    if write_back is not None and sys.version_info < (3, 13):
        write_back(ctypes.py_object(frame), ctypes.c_int(1))
