"""``detect_anomaly()``: stop at the first nan or inf, and say which operation made it.

Outside the context manager, operations follow IEEE-754 silently (``log(0)``
is ``-inf``, ``0/0`` is ``nan``) and cost nothing extra. Inside it:

* **Forward.** Every new node records where the user's code created it (file,
  line, function). An operation whose result is nan/inf although all its
  operands are finite raises `AnomalyError` naming the operation, its
  operands' labels and values, and that place. A nan/inf that did not come
  from an operation inside the block (an input leaf such as
  ``Value(float("nan"))``, or a value computed before the block) is reported
  by the first operation that uses it, naming it as the origin.
* **Backward.** A step raises when it produces the first nan/inf of the pass:
  a local derivative that is nan/inf at finite values (``x ** 0.5`` at 0), a
  product ``grad * local_grad`` that overflows, a gradient whose finite
  contributions overflow when summed, or a nan/inf seed gradient.
* **Reported once.** A nan/inf that flows on from a value already reported (or
  from a non-finite forward value) is not reported again downstream: the
  error always points at the origin. So a learner who catches the error in a
  REPL and keeps going is not told the same thing at every later operation.

When the error is raised, the backward pass stops there (the partial state of
`backward_steps` applies: visited nodes keep their updated ``.grad``).

Cost: inside the block each new node costs a walk up the call stack and a
dictionary entry. Whenever the table has doubled, it forgets every graph the
program no longer holds (mark and sweep, see `_AnomalyDetector._prune`), so a
long loop under ``detect_anomaly()`` keeps at most about twice its live nodes,
not its old graphs. Outside the block nothing is recorded.
"""

from __future__ import annotations

import linecache
import math
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from tinygrad_lite._frames import first_user_frame
from tinygrad_lite.autograd_machinery import BackwardStep, hooks
from tinygrad_lite.explain import NodeNames
from tinygrad_lite.naming import quoted_label
from tinygrad_lite.ops import NO_GRAD_RESULT
from tinygrad_lite.value import Num, Value

__all__ = ["AnomalyError", "CreationSite", "detect_anomaly"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CreationSite:
    """Where the user's code created a node: the first frame outside tinygrad_lite."""

    filename: str
    lineno: int
    function: str

    def __str__(self) -> str:
        text = f"{self.filename}:{self.lineno}, in {self.function}"
        source = linecache.getline(self.filename, self.lineno).strip()
        return f"{text}\n      {source}" if source else text


def _user_site() -> CreationSite | None:
    """The innermost frame that is not tinygrad_lite's own code (None if there is none)."""
    frame, _ = first_user_frame(sys._getframe(1))
    if frame is None:
        return None
    return CreationSite(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)


class AnomalyError(ArithmeticError):
    """The first nan or inf seen under `detect_anomaly()`.

    Attributes:
        phase: "forward" or "backward".
        node: the node whose operation (or local derivative) produced it.
        site: where that node was created, if known.
    """

    def __init__(
        self,
        message: str,
        *,
        phase: Literal["forward", "backward"],
        node: Value,
        site: CreationSite | None,
    ) -> None:
        super().__init__(message)
        self.phase = phase
        self.node = node
        self.site = site


def _finite(x: Num) -> bool:
    return math.isfinite(float(x))


def _name(value: Value) -> str:
    """The label, or the readable expression explain() would use (e.g. ``(x*2)``)."""
    return quoted_label(value) or NodeNames(value)(value)


def _operation_name(node: Value) -> str:
    if node.operation is NO_GRAD_RESULT:
        return "an operation inside no_grad() (operands not recorded)"
    return f"'{node.op}'"


def _operand_lines(node: Value) -> list[str]:
    lines = []
    for index, operand in enumerate(node.operands):
        unlabelled_leaf = operand.is_leaf and not operand.label
        name = "a constant" if unlabelled_leaf else _name(operand)
        lines.append(f"    operand {index}: {name} = {operand.data!r}")
    return lines


class _AnomalyDetector:
    """The state of one ``detect_anomaly()`` block: creation sites and what was reported."""

    def __init__(self) -> None:
        self.sites: dict[Value, CreationSite | None] = {}
        self._prune_at = 4096
        self.reported: set[Value] = set()
        # Per backward pass: node -> True if any contribution it received was nan/inf.
        # A node leaves the table at its own step, so the table stays small.
        self.received: dict[Value, bool] = {}

    # -- bookkeeping -----------------------------------------------------------

    def site_of(self, node: Value) -> CreationSite | None:
        return self.sites.get(node)

    def remember_site(self, node: Value, site: CreationSite | None) -> None:
        self.sites[node] = site
        if len(self.sites) >= self._prune_at:
            self._prune()

    def _prune(self) -> None:
        """Forget the nodes the program can no longer reach (mark and sweep).

        The table holds every node made in the block, so a dropped graph is still
        referenced by the table and, inside, by its own nodes' operand tuples. Mark:
        start from the nodes held from outside (`_held_from_outside`) and follow
        ``operands``. Sweep: drop the rest, whole graphs at once. The next prune waits
        until the table has doubled, so the cost per node stays constant.
        """
        held = _held_from_outside(self.sites, self.reported)
        reachable = _reachable_in(self.sites, held)
        dead = [node for node in self.sites if node not in reachable]
        for node in dead:
            del self.sites[node]
            self.reported.discard(node)
        self._prune_at = max(4096, 2 * len(self.sites))

    def _fail(
        self,
        phase: Literal["forward", "backward"],
        node: Value,
        headline: str,
        details: list[str],
    ) -> AnomalyError:
        self.reported.add(node)
        self.received.clear()  # the pass stops here
        site = self.site_of(node)
        where = (
            f"  created at {site}"
            if site is not None
            else "  created before detect_anomaly() was entered (no creation site recorded)"
        )
        message = "\n".join([f"detect_anomaly: {headline}", *details, where])
        return AnomalyError(message, phase=phase, node=node, site=site)

    # -- forward -------------------------------------------------------------------

    def on_new_node(self, node: Value) -> None:
        self.remember_site(node, _user_site())
        for index, operand in enumerate(node.operands):
            if not math.isfinite(operand.data) and self._is_unreported_origin(operand):
                self.reported.add(operand)
                origin = (
                    "an input (a leaf), so it came in as data, not from an operation"
                    if operand.is_leaf
                    else f"computed by '{operand.op}' before detect_anomaly() was entered"
                )
                raise self._fail(
                    "forward",
                    node,
                    f"operand {index} ({_name(operand)}) of {_operation_name(node)} is "
                    f"already {operand.data!r}: it is {origin}",
                    [
                        f"  {_name(node)} = {node.data!r}",
                        *_operand_lines(node),
                    ],
                )
        if math.isfinite(node.data):
            return
        if all(math.isfinite(operand.data) for operand in node.operands):
            from_what = " from finite operands" if node.operands else ""
            raise self._fail(
                "forward",
                node,
                f"{_operation_name(node)} produced {node.data!r}{from_what}",
                [f"  {_name(node)} = {node.data!r}", *_operand_lines(node)],
            )

    def _is_unreported_origin(self, value: Value) -> bool:
        """A nan/inf value no operation inside this block produced, not yet reported."""
        return value not in self.sites and value not in self.reported

    # -- backward ------------------------------------------------------------------

    def on_backward_step(self, step: BackwardStep) -> None:
        node = step.node
        grad = step.grad
        received_nonfinite = self.received.pop(node, None)
        if not _finite(grad) and received_nonfinite is not True and node not in self.reported:
            if received_nonfinite is None:
                headline = f"the seed gradient passed to backward() of {_name(node)} is {grad!r}"
            else:
                headline = (
                    f"the gradient of {_name(node)} is {float(grad)!r}: the sum of its finite "
                    "contributions overflowed"
                )
            raise self._fail(
                "backward",
                node,
                headline,
                [f"  {_name(node)} = {node.data!r}"],
            )
        data_finite = math.isfinite(node.data) and all(
            math.isfinite(operand.data) for operand in node.operands
        )
        for index, (operand, local_grad, contribution) in enumerate(
            zip(step.operands, step.local_grads, step.contributions, strict=True)
        ):
            if not _finite(contribution):
                grad_finite = _finite(grad)
                if grad_finite and not _finite(local_grad) and data_finite:
                    raise self._fail(
                        "backward",
                        node,
                        f"the local derivative of {_operation_name(node)} with respect to "
                        f"operand {index} ({_name(operand)}) is {float(local_grad)!r} "
                        "at finite values",
                        [
                            f"  {_name(node)} = {node.data!r}",
                            *_operand_lines(node),
                            f"  gradient arriving at the node: {float(grad)!r}",
                        ],
                    )
                if grad_finite and _finite(local_grad):
                    raise self._fail(
                        "backward",
                        node,
                        f"the contribution grad * local_grad of {_operation_name(node)} to "
                        f"operand {index} ({_name(operand)}) overflowed: "
                        f"{float(grad)!r} * {float(local_grad)!r} = {float(contribution)!r}",
                        [f"  {_name(node)} = {node.data!r}", *_operand_lines(node)],
                    )
            self.received[operand] = self.received.get(operand, False) or not _finite(contribution)


def _held_from_outside(
    table: dict[Value, CreationSite | None], reported: set[Value]
) -> list[Value]:
    """The keys of ``table`` that something besides the detector's own bookkeeping refers to.

    A node's references are counted with ``sys.getrefcount``. Those the detector
    explains are: its key in ``table``, its membership of ``reported``, and one per
    place in the operand tuple of another node of ``table`` (when only that node
    holds the tuple). Any reference beyond those comes from outside: a variable,
    a list, a gradient in flight, a node made outside the block. Counting errs only
    towards "held", so a live node is never dropped. The fixed overhead of the
    counting itself is measured on a probe, so it does not depend on the
    interpreter version.
    """
    nodes = list(table)
    # Measured before building anything else that refers to the nodes.
    node_counts = _refcounts(nodes)
    tuple_counts = _operand_tuple_refcounts(nodes)
    node_overhead, tuple_overhead = _counting_overheads()
    explained = dict.fromkeys(nodes, 0)
    for node, tuple_count in zip(nodes, tuple_counts, strict=True):
        if tuple_count > tuple_overhead:
            continue  # someone else holds this tuple too: its references are not explained
        for operand in node.operands:
            if operand in explained:
                explained[operand] += 1
    for node in reported:
        if node in explained:
            explained[node] += 1
    return [
        node
        for node, count in zip(nodes, node_counts, strict=True)
        if count - node_overhead > explained[node]
    ]


def _reachable_in(table: dict[Value, CreationSite | None], start: list[Value]) -> set[Value]:
    """The nodes of ``table`` reachable from ``start`` through ``operands``.

    The walk stops at nodes outside the table: those were made before the block,
    so their operands are older still and never in it.
    """
    reached = set(start)
    stack = list(start)
    while stack:
        for operand in stack.pop().operands:
            if operand not in reached and operand in table:
                reached.add(operand)
                stack.append(operand)
    return reached


def _refcounts(nodes: list[Value]) -> list[int]:
    return [sys.getrefcount(node) for node in nodes]


def _operand_tuple_refcounts(nodes: list[Any]) -> list[int]:
    # A node of one or two operands makes a new tuple on each read of .operands (it
    # keeps them in slots), which nobody else can hold; a node of more keeps its tuple.
    return [sys.getrefcount(node.operands) if node.operands else 0 for node in nodes]


class _TupleHolder:
    """Stands in for a node that keeps its operand tuple, to measure that tuple's count."""

    def __init__(self) -> None:
        self.operands = (object(), object(), object())


def _counting_overheads() -> tuple[int, int]:
    """What `_refcounts` reports for a node only a table refers to, and what
    `_operand_tuple_refcounts` reports for a tuple only its node refers to."""
    probe = Value(0.0)  # a leaf: made without the new-node hook
    probe_table: dict[Value, CreationSite | None] = {probe: None}
    del probe
    probe_nodes = list(probe_table)
    return _refcounts(probe_nodes)[0], _operand_tuple_refcounts([_TupleHolder()])[0]


_open_blocks: list[_AnomalyDetector] = []
"""The detectors of the ``detect_anomaly()`` blocks open now, in the order they were entered."""
_hooks_outside: list[tuple[Any, Any]] = []
"""The hooks installed before the first open block (restored when the last one exits)."""
_blocks_lock = threading.Lock()


def _install_hooks() -> None:
    """Install the hooks outside every block, chained behind each open block's detector
    (the newest first). Called with ``_blocks_lock`` held whenever a block enters or exits."""
    on_new_node, on_step = _hooks_outside[0]
    for detector in _open_blocks:
        on_new_node = _chain(detector.on_new_node, on_new_node)
        on_step = _chain(detector.on_backward_step, on_step)
    hooks.on_new_node = on_new_node
    hooks.on_backward_step = on_step


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise `AnomalyError` at the first nan/inf of the forward or backward pass (see the
    module docstring). Blocks nest; leaving a block removes its detector only, so blocks
    left in another order than entered (two threads, two asyncio tasks) still leave the
    hooks as they were before the first block once the last one exits."""
    detector = _AnomalyDetector()
    with _blocks_lock:
        if not _open_blocks:
            _hooks_outside[:] = [(hooks.on_new_node, hooks.on_backward_step)]
        _open_blocks.append(detector)
        _install_hooks()
    try:
        yield
    finally:
        with _blocks_lock:
            _open_blocks.remove(detector)
            _install_hooks()


def _chain(first: Callable[[T], None], then: Callable[[T], None] | None) -> Callable[[T], None]:
    """A hook calling ``first`` then the hook that was installed before (nested tools)."""
    if then is None:
        return first

    def both(item: T) -> None:
        first(item)
        then(item)

    return both
