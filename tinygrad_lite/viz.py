"""Drawing computation graphs with Graphviz: `draw`, `save`, and the error for a missing `dot`.

A drawing has one box per `Value` (its label, data and grad) and one small
ellipse per operation, with edges in operand order. Everything about it is
deterministic: node names come from the graph's topological order (``v0``,
``v1``, ...; the operation that made ``v7`` is ``op7``), never from ``id()``,
and nothing is ordered by hashing, so the DOT text is byte-identical on every
run.

Labels are HTML-like Graphviz labels, so a label may contain any character
(``{ } | < > : " \\`` and newlines included): `escape_html_text` turns it into
text Graphviz shows literally.

Large graphs are collapsed until at most ``max_nodes`` boxes and ellipses are
left (see `draw`); the drawing says what it collapsed in a caption and in
``drawing.collapsed``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graphviz

from tinygrad_lite.autograd import topological_order
from tinygrad_lite.checks import integer
from tinygrad_lite.naming import position_name, quoted_label
from tinygrad_lite.value import Value

__all__ = [
    "DEFAULT_MAX_NODES",
    "GraphDrawing",
    "GraphvizNotFoundError",
    "draw",
    "escape_html_text",
    "save",
]

DEFAULT_MAX_NODES = 300
"""Above this many boxes and ellipses a drawing collapses repeated structure."""
MIN_MAX_NODES = 10
"""The smallest ``max_nodes``: room for a summary box and a few values."""

SHOWABLE_FIELDS = ("label", "data", "grad")
MAX_COLLAPSE_ROUNDS = 20
RANKDIRS = ("LR", "RL", "TB", "BT")
COLOR_MODES = ("kind", "grad")
SAVE_FORMATS = ("svg", "png", "pdf", "dot")

# Colours, each with one meaning (explained by the legend).
LEAF_FILL = "#d6e8f7"  # leaves: inputs, parameters and constants
INTERMEDIATE_FILL = "#ffffff"
OUTPUT_FILL = "#fde7a2"  # the value(s) drawn from
OP_FILL = "#eeeeee"
COLLAPSED_FILL = "#efe3f6"  # a box standing for many nodes
HIGHLIGHT = "#d62728"
POSITIVE_GRAD = (33, 102, 172)  # blue: increasing this value increases the output
NEGATIVE_GRAD = (178, 24, 43)  # red: increasing this value decreases the output
KIND_BORDER = {"leaf": "#3b75af", "intermediate": "#555555", "output": "#c98a00"}


# --------------------------------------------------------------------------
# Missing Graphviz
# --------------------------------------------------------------------------

INSTALL_HELP = """\
Graphviz's `dot` program was not found on PATH, so the graph cannot be rendered.
The DOT text needs no Graphviz: use `drawing.source`, or save to a .dot file.
Install Graphviz, then open a new terminal:
  Debian/Ubuntu:  sudo apt-get install graphviz
  macOS:          brew install graphviz        (or: sudo port install graphviz)
  Windows:        winget install graphviz      (or: choco install graphviz),
                  then add C:\\Program Files\\Graphviz\\bin to PATH
  conda:          conda install -c conda-forge graphviz"""


class GraphvizNotFoundError(graphviz.ExecutableNotFound):  # type: ignore[misc]
    """Rendering needs Graphviz's `dot` executable and it is not on PATH.

    A subclass of `graphviz.ExecutableNotFound` (code catching that still works)
    whose message says how to install Graphviz on each system."""

    def __init__(self, command: str = "dot") -> None:
        RuntimeError.__init__(self, f"failed to run {command!r}.\n{INSTALL_HELP}")


class GraphDrawing(graphviz.Digraph):  # type: ignore[misc]
    """A `graphviz.Digraph` (it displays inline in Jupyter) whose rendering raises
    `GraphvizNotFoundError`, with installation help, when `dot` is missing.

    Attributes:
        collapsed: one sentence per thing collapsed to respect ``max_nodes``
            (empty when the whole graph is drawn).
        total_nodes: boxes and ellipses the full graph would need.
    """

    collapsed: tuple[str, ...] = ()
    total_nodes: int = 0

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        return _running_graphviz(self, super().pipe, *args, **kwargs)

    def render(self, *args: Any, **kwargs: Any) -> Any:
        return _running_graphviz(self, super().render, *args, **kwargs)


def _running_graphviz(
    drawing: graphviz.Digraph, method: Callable[..., Any], *args: Any, **kwargs: Any
) -> Any:
    """``method(*args, **kwargs)``, a rendering method of ``drawing``; a missing
    Graphviz executable becomes `GraphvizNotFoundError` (with installation help)."""
    try:
        return method(*args, **kwargs)
    except GraphvizNotFoundError:
        raise
    except graphviz.ExecutableNotFound as error:
        raise GraphvizNotFoundError(str(getattr(drawing, "engine", "dot"))) from error


# --------------------------------------------------------------------------
# Escaping
# --------------------------------------------------------------------------

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def escape_html_text(text: str) -> str:
    """``text`` as the content of a Graphviz HTML-like label, shown literally.

    ``& < > "`` become entities, newlines become line breaks, tabs become
    spaces, and other control characters (which XML forbids) become ``\\xNN``.
    Backslashes, braces and bars have no special meaning in HTML-like labels.
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace('"', "&quot;").replace("\t", " ")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL_CHARACTERS.sub(lambda match: f"\\x{ord(match.group()):02x}", text)
    return text.replace("\n", "<BR/>")


def _format_number(number: float, fmt: str) -> str:
    return format(number, fmt)


# --------------------------------------------------------------------------
# Which nodes are drawn: the plan
# --------------------------------------------------------------------------


@dataclass
class _Box:
    """Several values drawn as one box (a neuron: its linear node, activation, parameters)."""

    name: str
    title: str
    members: list[int]
    outputs: list[int]


@dataclass
class _Summary:
    """A box standing for nodes that are not drawn at all."""

    name: str
    text: str
    # (consumer index, operand position) edges replaced by an edge from this box
    cut_edges: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class _Plan:
    order: list[Value]
    index: dict[Value, int]
    roots: list[int]
    consumers: list[list[int]]
    visible: list[bool]
    box_of: dict[int, int] = field(default_factory=dict)
    boxes: list[_Box] = field(default_factory=list)
    summaries: list[_Summary] = field(default_factory=list)
    cut: dict[tuple[int, int], int] = field(default_factory=dict)  # edge -> summary number
    messages: list[str] = field(default_factory=list)
    total_nodes: int = 0
    cost: list[int] = field(default_factory=list)  # 1 box for a leaf, box + ellipse otherwise
    mentioned: dict[int, str] = field(default_factory=dict)  # unlabelled values a message names

    def node_count(self) -> int:
        """Boxes and ellipses this plan draws."""
        count = len(self.summaries)
        boxed: set[int] = set()
        box_of = self.box_of
        for i, visible in enumerate(self.visible):
            if not visible:
                continue
            box = box_of.get(i)
            if box is None:
                count += self.cost[i]
            else:
                boxed.add(box)
        return count + len(boxed)


def _full_node_count(order: Sequence[Value]) -> int:
    return sum(1 if value.is_leaf else 2 for value in order)


def _reachable(plan: _Plan) -> list[bool]:
    """Values reachable from the roots without crossing a collapsed (cut) edge."""
    reached = [False] * len(plan.order)
    stack = list(plan.roots)
    for i in stack:
        reached[i] = True
    index = plan.index
    while stack:
        i = stack.pop()
        for position, operand in enumerate(plan.order[i].operands):
            j = index[operand]
            if not reached[j] and (i, position) not in plan.cut:
                reached[j] = True
                stack.append(j)
    return reached


def _structure_signatures(order: Sequence[Value]) -> tuple[list[int], list[int]]:
    """Per value: an id equal for values computed by the same expression shape
    (leaves all alike), and that expression's size in operation nodes."""
    table: dict[tuple[object, ...], int] = {}
    index = {value: i for i, value in enumerate(order)}
    signatures: list[int] = []
    sizes: list[int] = []
    for value in order:
        if value.is_leaf:
            key: tuple[object, ...] = ("leaf",)
            size = 0
        else:
            operand_ids = [index[operand] for operand in value.operands]
            key = (value.op, tuple(signatures[j] for j in operand_ids))
            size = 1 + sum(sizes[j] for j in operand_ids)
        signatures.append(table.setdefault(key, len(table)))
        sizes.append(size)
    return signatures, sizes


def _display_name(plan: _Plan, i: int) -> str:
    """How messages name a value: its label, else ``v<i>`` (then shown in its box too)."""
    quoted = quoted_label(plan.order[i])
    if quoted:
        return quoted
    plan.mentioned[i] = position_name(i)
    return plan.mentioned[i]


@dataclass
class _Repeat:
    """Operands of one node that share expression shapes (e.g. a loss's per-example terms)."""

    saving: int  # operation nodes that collapsing would hide (an estimate)
    consumer: int
    groups: list[list[int]]  # operand positions of one shape each; the first is kept


def _find_repeats(plan: _Plan) -> list[_Repeat]:
    """Every node with repeated operand shapes, the biggest savings first."""
    signatures, sizes = _structure_signatures(plan.order)
    repeats = []
    for i, value in enumerate(plan.order):
        operands = value.operands
        if len(operands) < 2:
            continue
        groups: dict[int, list[int]] = {}
        for position, operand in enumerate(operands):
            if operand.operands:  # leaves stay: each is a single box anyway
                groups.setdefault(signatures[plan.index[operand]], []).append(position)
        repeated = [positions for positions in groups.values() if len(positions) >= 2]
        if repeated:
            saving = sum(
                (len(positions) - 1) * sizes[plan.index[operands[positions[0]]]]
                for positions in repeated
            )
            repeats.append(_Repeat(saving, i, repeated))
    repeats.sort(key=lambda repeat: (-repeat.saving, repeat.consumer))
    return repeats


def _collapse_repeated_operands(
    plan: _Plan, repeats: list[_Repeat], max_nodes: int, only_sums: bool
) -> None:
    """While too big: at the node with the most repeated structure, draw the first
    operand of each shape and one box for all the others (a loss summed over a
    batch becomes one example plus "199 more terms")."""
    # Each collapse recomputes what is visible (a pass over the graph); a few of
    # them catch the big repeats, and truncation handles whatever is left.
    rounds = 0
    for repeat in repeats:
        if plan.node_count() <= max_nodes or rounds == MAX_COLLAPSE_ROUNDS:
            return
        consumer = repeat.consumer
        if not plan.visible[consumer] or consumer in plan.box_of:
            continue
        if only_sums and plan.order[consumer].op not in ("sum", "+"):
            continue
        if any((consumer, positions[1]) in plan.cut for positions in repeat.groups):
            continue
        _cut_operands(plan, repeat)
        rounds += 1


def _cut_operands(plan: _Plan, repeat: _Repeat) -> None:
    consumer = repeat.consumer
    kept = sorted(positions[0] for positions in repeat.groups)
    collapsed = sorted(p for positions in repeat.groups for p in positions[1:])
    before = plan.visible
    number = len(plan.summaries)
    summary = _Summary(name=f"collapsed{number}", text="")
    for position in collapsed:
        plan.cut[(consumer, position)] = number
        summary.cut_edges.append((consumer, position))
    plan.summaries.append(summary)
    plan.visible = _reachable(plan)
    hidden = sum(1 for was, now in zip(before, plan.visible, strict=True) if was and not now)
    value = plan.order[consumer]
    operands = value.operands
    word = "terms" if value.op in ("sum", "+") else "operands"
    name = _display_name(plan, consumer)
    if len(kept) == 1:
        like = f"{word[:-1]} {kept[0] + 1}"
        structure = f"have the same structure as {like}"
    else:
        like = f"the {len(kept)} drawn"
        structure = f"repeat the structures of the {len(kept)} drawn (one per shape)"
    lines = [
        f"{len(collapsed)} more {word} of {name} ({value.op})",
        f"shaped like {like}",
        f"{hidden} values not drawn",
    ]
    if value.op in ("sum", "+"):
        together = 0.0
        for position in collapsed:
            together += operands[position].data
        lines.append(f"together data {together:.4g}")
    summary.text = "\n".join(lines)
    plan.messages.append(
        f"{len(collapsed)} of the {len(operands)} {word} of {name} ({value.op}) {structure} "
        f"and are drawn as one box ({hidden} values not drawn)"
    )


def _neuron_owner(label: str) -> str | None:
    """The module path owning a parameter label: ``layers.0.neurons.3.w.1`` and
    ``layers.0.neurons.3.b`` give ``layers.0.neurons.3``; None for other labels."""
    parts = label.split(".")
    while parts and parts[-1].isdigit():
        parts.pop()
    if len(parts) < 2 or not all(parts):
        return None
    return ".".join(parts[:-1])


def _neurons(plan: _Plan) -> list[tuple[str | None, int, int | None, list[int]]]:
    """Each linear node as (owner, linear, activation, parameter leaves).

    A linear node belongs to the module that owns all of its labelled weight and
    bias operands; the single-input node applied to it (its activation), when it
    is the linear node's only use, belongs with it."""
    found = []
    for i, value in enumerate(plan.order):
        if value.op != "linear":
            continue
        operands = value.operands
        n_inputs = (len(operands) - 1) // 2
        parameter_positions = [*range(n_inputs), len(operands) - 1]
        owners = {
            _neuron_owner(operands[p].label)
            for p in parameter_positions
            if operands[p].is_leaf and operands[p].label
        }
        owner = owners.pop() if len(owners) == 1 else None
        parameters = []
        if owner is not None:
            for p in parameter_positions:
                operand = operands[p]
                if operand.is_leaf and _neuron_owner(operand.label) == owner:
                    parameters.append(plan.index[operand])
        activation = None
        users = plan.consumers[i]
        if len(users) == 1 and len(plan.order[users[0]].operands) == 1:
            activation = users[0]
        found.append((owner, i, activation, parameters))
    return found


def _box_neurons(plan: _Plan) -> None:
    """Draw each neuron (linear node, activation, parameters) as one box."""
    by_key: dict[str, int] = {}
    boxed_values = 0
    for owner, linear_index, activation, parameters in _neurons(plan):
        if not plan.visible[linear_index] or linear_index in plan.box_of:
            continue
        key = owner if owner is not None else f"#{linear_index}"
        box_number = by_key.get(key)
        if box_number is None:
            box_number = by_key[key] = len(plan.boxes)
            title = owner if owner is not None else "neuron"
            plan.boxes.append(_Box(name=f"box{box_number}", title=title, members=[], outputs=[]))
        box = plan.boxes[box_number]
        output = activation if activation is not None else linear_index
        new_members = [linear_index, *parameters]
        if activation is not None:
            new_members.append(activation)
        for member in new_members:
            if member not in plan.box_of:
                plan.box_of[member] = box_number
                box.members.append(member)
                boxed_values += 1
        box.outputs.append(output)
    if plan.boxes:
        plan.messages.append(
            f"{len(plan.boxes)} neurons are drawn as one box each "
            f"(linear node, activation and parameters: {boxed_values} values)"
        )


def _truncate(plan: _Plan, max_nodes: int) -> None:
    """Keep the drawn values nearest the output; one box stands for the rest."""
    distance = [-1] * len(plan.order)
    frontier = list(plan.roots)
    for i in frontier:
        distance[i] = 0
    ranked: list[int] = []
    while frontier:
        ranked.extend(frontier)
        next_frontier = []
        for i in frontier:
            for position, operand in enumerate(plan.order[i].operands):
                j = plan.index[operand]
                if distance[j] < 0 and plan.visible[j] and (i, position) not in plan.cut:
                    distance[j] = distance[i] + 1
                    next_frontier.append(j)
        frontier = next_frontier
    keep = [False] * len(plan.order)
    budget = max_nodes - 1  # the summary box
    counted_boxes: set[int] = set()
    used = len(plan.summaries)
    for i in ranked:
        box = plan.box_of.get(i)
        if box is not None and box in counted_boxes:
            cost = 0
        else:
            cost = 1 if box is not None or plan.order[i].is_leaf else 2
        if used + cost > budget:
            break
        used += cost
        keep[i] = True
        if box is not None:
            counted_boxes.add(box)
    # keep whole boxes together
    for i, box in plan.box_of.items():
        if box in counted_boxes and plan.visible[i]:
            keep[i] = True
    hidden = [i for i in range(len(plan.order)) if plan.visible[i] and not keep[i]]
    if not hidden:
        return
    number = len(plan.summaries)
    summary = _Summary(name=f"collapsed{number}", text="")
    for i in range(len(plan.order)):
        if not keep[i]:
            continue
        for position, operand in enumerate(plan.order[i].operands):
            j = plan.index[operand]
            if plan.visible[j] and not keep[j] and (i, position) not in plan.cut:
                plan.cut[(i, position)] = number
                summary.cut_edges.append((i, position))
    plan.summaries.append(summary)
    plan.visible = [plan.visible[i] and keep[i] for i in range(len(plan.order))]
    summary.text = f"{len(hidden)} more values\nfarther from the output\nnot drawn"
    plan.messages.append(
        f"{len(hidden)} values farthest from the output are not drawn (one box stands for them)"
    )


def _make_plan(roots: list[Value], max_nodes: int, collapse: bool) -> _Plan:
    order = topological_order(roots)
    index = {value: i for i, value in enumerate(order)}
    consumers: list[list[int]] = [[] for _ in order]
    for i, value in enumerate(order):
        for operand in value.operands:
            users = consumers[index[operand]]
            if not users or users[-1] != i:
                users.append(i)
    root_indices: list[int] = []
    for root in roots:
        if index[root] not in root_indices:
            root_indices.append(index[root])
    plan = _Plan(order, index, root_indices, consumers, [True] * len(order))
    plan.cost = [1 if value.is_leaf else 2 for value in order]
    plan.total_nodes = sum(plan.cost)
    if not collapse or plan.total_nodes <= max_nodes:
        return plan
    repeats = _find_repeats(plan)
    _collapse_repeated_operands(plan, repeats, max_nodes, only_sums=True)
    if plan.node_count() > max_nodes:
        _box_neurons(plan)
    if plan.node_count() > max_nodes:
        _collapse_repeated_operands(plan, repeats, max_nodes, only_sums=False)
    if plan.node_count() > max_nodes:
        _truncate(plan, max_nodes)
    return plan


# --------------------------------------------------------------------------
# Clusters: neurons inside layers, from parameter labels
# --------------------------------------------------------------------------


def _cluster_levels(owner: str) -> list[str]:
    """``layers.0.neurons.3`` -> ``["layers.0", "layers.0.neurons.3"]``: each
    prefix ending in an index is a module (a layer, a neuron)."""
    parts = owner.split(".")
    levels = [".".join(parts[: k + 1]) for k, part in enumerate(parts) if part.isdigit()]
    if not levels or levels[-1] != owner:
        levels.append(owner)
    return levels


def _cluster_paths(plan: _Plan) -> dict[int, tuple[str, ...]]:
    """For each clustered value: its nested cluster path, outermost first."""
    paths: dict[int, tuple[str, ...]] = {}
    for i, value in enumerate(plan.order):
        if value.is_leaf and value.label:
            owner = _neuron_owner(value.label)
            if owner is not None:
                paths[i] = tuple(_cluster_levels(owner))
    for owner, linear_index, activation, _ in _neurons(plan):
        if owner is None:
            continue
        path = tuple(_cluster_levels(owner))
        paths[linear_index] = path
        if activation is not None:
            paths[activation] = path
    return paths


# --------------------------------------------------------------------------
# Emitting DOT
# --------------------------------------------------------------------------


@dataclass
class _Style:
    show: tuple[str, ...]
    fmt: str
    color_by: str
    grad_of: Callable[[Value], float | None]
    names: Mapping[Value, str]
    highlight: set[Value]
    current: Value | None
    on_path: set[Value]
    max_abs_grad: float
    # The player draws every frame with the same box sizes, so the layout does not move:
    # grad cells of fixed widths (points) and a border that is always there.
    grad_widths: Mapping[Value, int] = field(default_factory=dict)
    fixed_border: bool = False


def _grad_fill(grad: float | None, max_abs_grad: float) -> str:
    """White for 0 (or unknown), towards blue for positive and red for negative grads,
    saturating at the largest |grad| drawn (square root, so small grads still show)."""
    if grad is None or grad != grad or max_abs_grad <= 0.0 or grad == 0.0:
        return "#ffffff"
    strength = min(1.0, abs(grad) / max_abs_grad) ** 0.5
    red, green, blue = POSITIVE_GRAD if grad > 0 else NEGATIVE_GRAD
    mixed = [round(255 + (channel - 255) * strength) for channel in (red, green, blue)]
    return "#{:02x}{:02x}{:02x}".format(*mixed)


def _text_colour(fill: str) -> str:
    red, green, blue = (int(fill[k : k + 2], 16) for k in (1, 3, 5))
    return "#ffffff" if 0.299 * red + 0.587 * green + 0.114 * blue < 120 else "#000000"


def _kind(plan: _Plan, i: int) -> str:
    if i in plan.roots:
        return "output"
    return "leaf" if plan.order[i].is_leaf else "intermediate"


def _value_cells(value: Value, style: _Style, name: str, module: str = "") -> list[tuple[str, str]]:
    """The (TD attributes, text) cells of a value's box; inside a module's cluster,
    labels drop the module's prefix (``layers.0.neurons.3.w.1`` shows as ``w.1``)."""
    cells = []
    if "label" in style.show:
        if value.label:
            label = value.label
            if module and label.startswith(module + "."):
                label = label[len(module) + 1 :]
            cells.append(("", f"<B>{escape_html_text(label)}</B>"))
        elif name:
            cells.append(("", f'<I><FONT COLOR="#666666">{escape_html_text(name)}</FONT></I>'))
    if "data" in style.show:
        cells.append(("", f"data {escape_html_text(_format_number(value.data, style.fmt))}"))
    if "grad" in style.show:
        grad = style.grad_of(value)
        shown = "?" if grad is None else _format_number(grad, style.fmt)
        width = style.grad_widths.get(value)
        size = f' FIXEDSIZE="TRUE" WIDTH="{width}" HEIGHT="24"' if width else ""
        cells.append((size, f"grad {escape_html_text(shown)}"))
    return cells


def _table(cells: Sequence[tuple[str, str]], fill: str, border_colour: str, border: int) -> str:
    text_colour = _text_colour(fill)
    # cells take the table's colour unless told otherwise; an invisible frame keeps visible cells
    cell_colour = "#555555" if border_colour == "transparent" else border_colour
    row = "".join(
        f'<TD COLOR="{cell_colour}"{attributes}><FONT COLOR="{text_colour}">{text}</FONT></TD>'
        for attributes, text in cells or [("", " ")]
    )
    return (
        f'<<TABLE BORDER="{border}" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" '
        f'BGCOLOR="{fill}" COLOR="{border_colour}"><TR>{row}</TR></TABLE>>'
    )


def _value_node(plan: _Plan, i: int, style: _Style, module: str) -> dict[str, str]:
    value = plan.order[i]
    kind = _kind(plan, i)
    if style.color_by == "grad":
        fill = _grad_fill(style.grad_of(value), style.max_abs_grad)
        border_colour = KIND_BORDER[kind]
    else:
        fill = {"leaf": LEAF_FILL, "intermediate": INTERMEDIATE_FILL, "output": OUTPUT_FILL}[kind]
        border_colour = "#555555"
    classes = ["value", kind]
    border = 0
    if value is style.current or value in style.highlight:
        classes.append("current" if value is style.current else "highlight")
        border_colour = HIGHLIGHT
        border = 3
    elif value in style.on_path:
        classes.append("on-path")
        border_colour = HIGHLIGHT
        border = 2
    if style.fixed_border and border == 0:
        border_colour = "transparent"
        border = 3
    name = style.names.get(value) or plan.mentioned.get(i, "")
    cells = _value_cells(value, style, name, module)
    return {
        "label": _table(cells, fill, border_colour, border),
        "shape": "plain",
        "class": " ".join(classes),
        "id": f"v{i}",
    }


def _box_label(plan: _Plan, box: _Box, style: _Style) -> str:
    lines = [f"<B>{escape_html_text(box.title)}</B>"]
    ops = []
    for member in box.members:
        op = plan.order[member].op
        if op and op not in ops:
            ops.append(op)
    lines.append(escape_html_text(" + ".join(ops)) + f" ({len(box.members)} values)")
    if len(box.outputs) == 1:
        output = plan.order[box.outputs[0]]
        lines.append(" ".join(text for _, text in _value_cells(output, style, "")[-2:]))
    else:
        lines.append(f"used {len(box.outputs)} times")
    return "<" + "<BR/>".join(lines) + ">"


def _edge_label(value: Value, position: int) -> str | None:
    """Operand roles where order matters: 1/2 for - / **, w1.. x1.. b for linear."""
    op = value.op
    operands = value.operands
    if op in ("-", "/", "**") and len(operands) == 2:
        return str(position + 1)
    if op == "linear":
        n_inputs = (len(operands) - 1) // 2
        if position < n_inputs:
            return f"w{position + 1}"
        if position < 2 * n_inputs:
            return f"x{position - n_inputs + 1}"
        return "b"
    return None


def _emit(plan: _Plan, style: _Style, rankdir: str, clusters: bool, legend: bool) -> GraphDrawing:
    drawing = GraphDrawing(name="computation_graph")
    drawing.attr(rankdir=rankdir, fontname="Helvetica", nodesep="0.25", ranksep="0.4")
    drawing.attr("node", fontname="Helvetica", fontsize="11")
    drawing.attr(
        "edge",
        arrowsize="0.6",
        color="#555555",
        fontname="Helvetica",
        fontsize="9",
        fontcolor="#555555",
    )
    order = plan.order

    # Each drawn unit (value node, box, summary) goes into a cluster path.
    paths = _cluster_paths(plan) if clusters else {}
    statements: dict[tuple[str, ...], list[tuple[str, dict[str, str]]]] = {}

    def add_node(path: tuple[str, ...], name: str, attributes: dict[str, str]) -> None:
        statements.setdefault(path, []).append((name, attributes))

    def target(i: int) -> str:
        box = plan.box_of.get(i)
        return plan.boxes[box].name if box is not None else f"op{i}"

    def source(i: int) -> str:
        box = plan.box_of.get(i)
        return plan.boxes[box].name if box is not None else f"v{i}"

    edges: list[tuple[str, str, dict[str, str]]] = []
    seen_edges: set[tuple[str, str]] = set()
    placed_boxes: set[int] = set()
    for i, value in enumerate(order):
        if not plan.visible[i]:
            continue
        path = paths.get(i, ())
        box = plan.box_of.get(i)
        if box is not None:
            if box not in placed_boxes:
                placed_boxes.add(box)
                label = _box_label(plan, plan.boxes[box], style)
                add_node(
                    path[:-1] if path else path,
                    plan.boxes[box].name,
                    {
                        "label": label,
                        "shape": "box",
                        "style": "filled,rounded",
                        "fillcolor": COLLAPSED_FILL,
                        "class": "collapsed neuron",
                    },
                )
        else:
            add_node(path, f"v{i}", _value_node(plan, i, style, path[-1] if path else ""))
            if not value.is_leaf:
                op_attributes = {
                    "label": "<" + escape_html_text(value.op) + ">",
                    "shape": "ellipse",
                    "style": "filled",
                    "fillcolor": OP_FILL,
                    "class": "op",
                    "id": f"op{i}",
                    "margin": "0.04,0.02",
                    "height": "0.3",
                    "width": "0.4",
                }
                add_node(path, f"op{i}", op_attributes)
                edges.append((f"op{i}", f"v{i}", _path_edge(value, value, style)))
        for position, operand in enumerate(value.operands):
            j = plan.index[operand]
            summary_number = plan.cut.get((i, position))
            if summary_number is not None:
                tail = plan.summaries[summary_number].name
            elif plan.visible[j]:
                if box is not None and plan.box_of.get(j) == box:
                    continue
                tail = source(j)
            else:
                continue
            head = target(i)
            key = (tail, head)
            attributes: dict[str, str] = {}
            if box is None and summary_number is None:
                attributes = _path_edge(operand, value, style)
                role = _edge_label(value, position)
                if role is not None:
                    attributes["label"] = role
            elif key in seen_edges:
                continue
            seen_edges.add(key)
            edges.append((tail, head, attributes))
    for summary in plan.summaries:
        add_node(
            (),
            summary.name,
            {
                "label": "<" + escape_html_text(summary.text) + ">",
                "shape": "box",
                "style": "filled,dashed,rounded",
                "fillcolor": COLLAPSED_FILL,
                "class": "collapsed summary",
            },
        )

    _emit_statements(drawing, statements, (), _ClusterTree(statements))
    for tail, head, attributes in edges:
        drawing.edge(tail, head, **attributes)
    if legend:
        _emit_legend(drawing, plan, style)
    if plan.messages:
        caption = (
            f"Collapsed to stay within max_nodes (the whole graph has {plan.total_nodes} "
            "boxes and ellipses):\n" + "\n".join(f"- {message}" for message in plan.messages)
        )
        drawing.attr(label="<" + escape_html_text(caption) + ">", labelloc="b", labeljust="l")
    drawing.collapsed = tuple(plan.messages)
    drawing.total_nodes = plan.total_nodes
    return drawing


def _path_edge(operand: Value, consumer: Value, style: _Style) -> dict[str, str]:
    if operand in style.on_path and consumer in style.on_path:
        return {"color": HIGHLIGHT, "penwidth": "2.5", "class": "on-path"}
    return {}


class _ClusterTree:
    """Every cluster path of a drawing, with its number and its child clusters.

    Clusters are numbered in order of first appearance of their path. Built
    once, so emitting n clusters is linear instead of rescanning every path
    for each cluster.
    """

    def __init__(self, statements: dict[tuple[str, ...], list[tuple[str, dict[str, str]]]]) -> None:
        self.number: dict[tuple[str, ...], int] = {}
        self.children: dict[tuple[str, ...], list[str]] = {}  # in order of first appearance
        for path in statements:  # dict order: first appearance in traversal order
            for length in range(1, len(path) + 1):
                prefix = path[:length]
                if prefix not in self.number:
                    self.number[prefix] = len(self.number)
                    self.children.setdefault(prefix[:-1], []).append(prefix[-1])


def _emit_statements(
    graph: graphviz.Digraph,
    statements: dict[tuple[str, ...], list[tuple[str, dict[str, str]]]],
    path: tuple[str, ...],
    tree: _ClusterTree,
) -> None:
    for name, attributes in statements.get(path, []):
        graph.node(name, **attributes)
    for child in tree.children.get(path, []):
        child_path = (*path, child)
        with graph.subgraph(name=f"cluster_{tree.number[child_path]}") as sub:
            shown = (
                child[len(path[-1]) + 1 :] if path and child.startswith(path[-1] + ".") else child
            )
            sub.attr(
                label="<" + escape_html_text(shown) + ">",
                style="rounded,dashed",
                color="#999999",
                fontcolor="#555555",
                fontsize="10",
            )
            _emit_statements(sub, statements, child_path, tree)


def _emit_legend(drawing: graphviz.Digraph, plan: _Plan, style: _Style) -> None:
    entries: list[tuple[str, str, str]] = []  # (name, text, fill)
    if style.color_by == "grad":
        entries += [
            ("legend_positive", "grad &gt; 0 (darker: larger)", _grad_fill(1.0, 1.0)),
            ("legend_negative", "grad &lt; 0 (darker: larger)", _grad_fill(-1.0, 1.0)),
            ("legend_zero", "grad 0 or unknown", "#ffffff"),
        ]
    else:
        entries += [
            ("legend_leaf", "leaf: input, parameter, constant", LEAF_FILL),
            ("legend_intermediate", "intermediate value", INTERMEDIATE_FILL),
            ("legend_output", "output", OUTPUT_FILL),
        ]
    entries.append(("legend_op", "operation", OP_FILL))
    if plan.boxes or plan.summaries:
        entries.append(("legend_collapsed", "collapsed: stands for many nodes", COLLAPSED_FILL))
    with drawing.subgraph(name="cluster_legend") as legend:
        legend.attr(label="legend", style="rounded", color="#bbbbbb", fontsize="10")
        for name, text, fill in entries:
            legend.node(
                name,
                label=f"<{text}>",
                shape="box",
                style="filled,rounded",
                fillcolor=fill,
                fontsize="9",
                fontcolor=_text_colour(fill),
                **{"class": "legend"},
            )
        if style.highlight or style.current is not None or style.on_path:
            legend.node(
                "legend_highlight",
                label="<highlighted>",
                shape="box",
                style="rounded,bold",
                color=HIGHLIGHT,
                penwidth="3",
                fontsize="9",
                **{"class": "legend"},
            )


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def _as_roots(roots: Value | Iterable[Value]) -> list[Value]:
    if isinstance(roots, Value):
        return [roots]
    if isinstance(roots, (str, bytes)) or not isinstance(roots, Iterable):
        raise TypeError(f"draw needs a Value or a list of Values, got {type(roots).__qualname__}")
    root_list = list(roots)
    if not root_list:
        raise ValueError("draw needs at least one Value to draw")
    for position, root in enumerate(root_list):
        if not isinstance(root, Value):
            raise TypeError(f"draw needs Values; item {position} is {type(root).__qualname__}")
    return root_list


def _check_options(
    rankdir: str, show: Sequence[str], fmt: str, color_by: str, max_nodes: int
) -> tuple[str, ...]:
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}; got {rankdir!r}")
    if isinstance(show, str):
        show = (show,)
    shown = tuple(show)
    for item in shown:
        if item not in SHOWABLE_FIELDS:
            raise ValueError(
                f"show may contain {', '.join(map(repr, SHOWABLE_FIELDS))}; got {item!r}"
            )
    try:
        format(1.5, fmt)
    except (ValueError, TypeError) as error:
        raise ValueError(f"fmt {fmt!r} is not a float format spec like '.4g': {error}") from None
    if color_by not in COLOR_MODES:
        raise ValueError(f"color_by must be one of {', '.join(COLOR_MODES)}; got {color_by!r}")
    integer("max_nodes", max_nodes, MIN_MAX_NODES)
    return shown


def _descendants_on_path(order: Sequence[Value], start: Value) -> set[Value]:
    """``start`` and every value computed from it: the path(s) from it to the output."""
    on_path = {start}
    for value in order:
        if any(operand in on_path for operand in value.operands):
            on_path.add(value)
    return on_path


def draw(
    roots: Value | Iterable[Value],
    *,
    rankdir: str = "LR",
    show: Sequence[str] = SHOWABLE_FIELDS,
    fmt: str = ".4g",
    color_by: str = "kind",
    highlight: Iterable[Value] = (),
    path_from: Value | None = None,
    clusters: bool = True,
    max_nodes: int = DEFAULT_MAX_NODES,
    collapse: bool = True,
    legend: bool = True,
) -> GraphDrawing:
    """Draw the computation graph behind ``roots`` (a Value or a list of Values).

    Args:
        rankdir: "LR" (inputs left, output right), "TB", "RL" or "BT".
        show: which of "label", "data", "grad" each value box shows.
        fmt: format spec for data and grad (``format(x, fmt)``).
        color_by: "kind" (leaves blue, intermediates white, outputs gold) or
            "grad" (fill by gradient: blue > 0, red < 0, deeper for larger
            ``|grad|`` relative to the largest drawn; borders then show the kind).
        highlight: values drawn with a thick red border.
        path_from: highlight the value and every path from it to the output.
        clusters: group values into dashed boxes per module, from parameter
            labels such as ``layers.0.neurons.3.w.1`` (the nn modules' names):
            a linear node whose weights and bias share a neuron's prefix goes in
            that neuron's box, with its activation, inside its layer's box.
        max_nodes: when the graph needs more boxes and ellipses than this, it is
            collapsed, in this order, until it fits: repeated terms of a sum
            (e.g. a loss summed over a batch: the first example is drawn, the
            others become one box), then neurons (one box each), then any other
            repeated operands, then the values farthest from the output. The
            caption and ``drawing.collapsed`` say what was collapsed.
        collapse: False draws everything regardless of size.
        legend: add a small legend explaining the colours.

    Returns a `GraphDrawing` (a `graphviz.Digraph`): shown inline in Jupyter,
    ``.source`` is the DOT text, `save` writes svg/png/pdf/dot.
    """
    root_list = _as_roots(roots)
    shown = _check_options(rankdir, show, fmt, color_by, max_nodes)
    highlighted = list(highlight)
    return _draw(
        root_list,
        rankdir=rankdir,
        show=shown,
        fmt=fmt,
        color_by=color_by,
        highlight=highlighted,
        path_from=path_from,
        clusters=clusters,
        max_nodes=max_nodes,
        collapse=collapse,
        legend=legend,
        grad_of=None,
        names=None,
        current=None,
    )


def _draw(
    root_list: list[Value],
    *,
    rankdir: str,
    show: tuple[str, ...],
    fmt: str,
    color_by: str,
    highlight: Sequence[Value],
    path_from: Value | None,
    clusters: bool,
    max_nodes: int,
    collapse: bool,
    legend: bool,
    grad_of: Callable[[Value], float | None] | None,
    names: Mapping[Value, str] | None,
    current: Value | None,
    grad_widths: Mapping[Value, int] | None = None,
) -> GraphDrawing:
    """`draw` with the extras the backward player needs: grads so far, names, the
    current node, and fixed grad-cell widths (with them, a border on every box) so
    that every frame has the same layout."""
    plan = _make_plan(root_list, max_nodes, collapse)
    if grad_of is None:

        def grad_of(value: Value) -> float | None:
            return value.grad

    on_path: set[Value] = set()
    if path_from is not None:
        if not isinstance(path_from, Value) or path_from not in plan.index:
            raise ValueError("path_from must be a value of the drawn graph")
        on_path = _descendants_on_path(plan.order, path_from)
    for position, value in enumerate(highlight):
        if not isinstance(value, Value) or value not in plan.index:
            raise ValueError(f"highlight item {position} is not a value of the drawn graph")
    max_abs_grad = 0.0
    for i, value in enumerate(plan.order):
        grad = grad_of(value)
        if plan.visible[i] and grad is not None and abs(grad) > max_abs_grad:
            max_abs_grad = abs(grad) if abs(grad) != float("inf") else max_abs_grad
    style = _Style(
        show=show,
        fmt=fmt,
        color_by=color_by,
        grad_of=grad_of,
        names=names or {},
        highlight=set(highlight),
        current=current,
        on_path=on_path,
        max_abs_grad=max_abs_grad,
        grad_widths=grad_widths or {},
        fixed_border=grad_widths is not None,
    )
    return _emit(plan, style, rankdir, clusters, legend)


def save(
    graph: Value | Iterable[Value] | graphviz.Digraph,
    path: str | os.PathLike[str],
    **draw_options: Any,
) -> Path:
    """Write a drawing to ``path``; the extension picks the format: .svg, .png,
    .pdf, or .dot/.gv (DOT text, which needs no Graphviz).

    ``graph`` is a Value, a list of Values (drawn with ``draw(graph,
    **draw_options)``) or a drawing made by `draw`. The file is written only
    after rendering succeeded, so a failure leaves an existing file as it was.
    Returns the path written.
    """
    target = Path(path)
    extension = target.suffix.lower().lstrip(".")
    if extension == "gv":
        extension = "dot"
    if extension not in SAVE_FORMATS:
        raise ValueError(
            f"cannot tell the format from {str(target)!r}: use a name ending in "
            ".svg, .png, .pdf, .dot or .gv"
        )
    if isinstance(graph, graphviz.Digraph):
        if draw_options:
            raise TypeError("draw options only apply when saving Values, not a drawing")
        drawing = graph
    else:
        drawing = draw(graph, **draw_options)
    if extension == "dot":
        data = drawing.source.encode("utf-8")
    else:
        data = _running_graphviz(drawing, drawing.pipe, format=extension)
    target.write_bytes(data)
    return target
