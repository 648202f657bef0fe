"""How a drawing is rendered: a `Plan` as Graphviz DOT, and the public `draw` and `save`.

A drawing has one box per `Value` (its label, data and grad) and one small
ellipse per operation, with edges in operand order. Everything about it is
deterministic: node names come from the graph's topological order (``v0``,
``v1``, ...; the operation that made ``v7`` is ``op7``), never from ``id()``,
and nothing is ordered by hashing, so the DOT text is byte-identical on every
run.

Labels are HTML-like Graphviz labels, so a label may contain any character
(``{ } | < > : " \\`` and newlines included): `escape_html_text` turns it into
text Graphviz shows literally.

What is drawn and collapsed is decided by `tinygrad_lite.drawing.plan`; the
options are a `DrawOptions`, and the backward player adds a `Frame` (grads so
far, names, the current node) through `render`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graphviz

from tinygrad_lite.drawing.options import (
    DEFAULT_MAX_NODES,
    SHOWABLE_FIELDS,
    DrawOptions,
    Frame,
    as_roots,
)
from tinygrad_lite.drawing.output import GraphDrawing, format_of, write_drawing
from tinygrad_lite.drawing.plan import Box, Plan, cluster_paths, descendants_on_path, make_plan
from tinygrad_lite.naming import position_name
from tinygrad_lite.parameter_names import relative_name
from tinygrad_lite.value import Value

__all__ = ["draw", "escape_html_text", "render", "save"]

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
# Escaping
# --------------------------------------------------------------------------

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def escape_html_text(text: str) -> str:
    """``text`` as the content of a Graphviz HTML-like label, shown literally.

    ``& < > "`` become entities, newlines become line breaks, tabs become
    spaces, and other control characters (which XML forbids) become ``\\xNN``.
    Braces and bars have no special meaning in HTML-like labels, but Graphviz
    still replaces ``\\N``, ``\\G`` (the node's and the graph's names) and the
    like in them, even when the backslash is written as an entity: each backslash
    is doubled, which Graphviz shows as one.
    """
    text = text.replace("\\", "\\\\")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace('"', "&quot;").replace("\t", " ")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL_CHARACTERS.sub(lambda match: f"\\\\x{ord(match.group()):02x}", text)
    return text.replace("\n", "<BR/>")


# --------------------------------------------------------------------------
# Emitting DOT
# --------------------------------------------------------------------------


@dataclass
class Style:
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


def _kind(plan: Plan, i: int) -> str:
    if i in plan.roots:
        return "output"
    return "leaf" if plan.order[i].is_leaf else "intermediate"


def _value_cells(value: Value, style: Style, name: str, module: str = "") -> list[tuple[str, str]]:
    """The (TD attributes, text) cells of a value's box; inside a module's cluster,
    labels drop the module's prefix (``layers.0.neurons.3.w.1`` shows as ``w.1``)."""
    cells = []
    if "label" in style.show:
        if value.label:
            label = relative_name(value.label, module)
            cells.append(("", f"<B>{escape_html_text(label)}</B>"))
        elif name:
            cells.append(("", f'<I><FONT COLOR="#666666">{escape_html_text(name)}</FONT></I>'))
    if "data" in style.show:
        cells.append(("", f"data {escape_html_text(format(value.data, style.fmt))}"))
    if "grad" in style.show:
        grad = style.grad_of(value)
        shown = "?" if grad is None else format(grad, style.fmt)
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


def _value_node(plan: Plan, i: int, style: Style, module: str) -> dict[str, str]:
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
        "id": position_name(i),
    }


def _box_label(plan: Plan, box: Box, style: Style) -> str:
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


def _emit(plan: Plan, style: Style, rankdir: str, clusters: bool, legend: bool) -> GraphDrawing:
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
    paths = cluster_paths(plan) if clusters else {}
    statements: dict[tuple[str, ...], list[tuple[str, dict[str, str]]]] = {}

    def add_node(path: tuple[str, ...], name: str, attributes: dict[str, str]) -> None:
        statements.setdefault(path, []).append((name, attributes))

    def target(i: int) -> str:
        box = plan.box_of.get(i)
        return plan.boxes[box].name if box is not None else f"op{i}"

    def source(i: int) -> str:
        box = plan.box_of.get(i)
        return plan.boxes[box].name if box is not None else position_name(i)

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
            add_node(path, position_name(i), _value_node(plan, i, style, path[-1] if path else ""))
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
                edges.append((f"op{i}", position_name(i), _path_edge(value, value, style)))
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


def _path_edge(operand: Value, consumer: Value, style: Style) -> dict[str, str]:
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
            shown = relative_name(child, path[-1]) if path else child
            sub.attr(
                label="<" + escape_html_text(shown) + ">",
                style="rounded,dashed",
                color="#999999",
                fontcolor="#555555",
                fontsize="10",
            )
            _emit_statements(sub, statements, child_path, tree)


def _emit_legend(drawing: graphviz.Digraph, plan: Plan, style: Style) -> None:
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
    root_list = as_roots(roots)
    options = DrawOptions(
        rankdir=rankdir,
        show=show,
        fmt=fmt,
        color_by=color_by,
        highlight=highlight,
        path_from=path_from,
        clusters=clusters,
        max_nodes=max_nodes,
        collapse=collapse,
        legend=legend,
    )
    return render(root_list, options)


def render(roots: list[Value], options: DrawOptions, frame: Frame | None = None) -> GraphDrawing:
    """The drawing of ``roots`` with ``options``: plan it, then emit its DOT.

    With a ``frame`` (the backward player) the boxes show the frame's grads and
    names, outline its current node, and keep fixed sizes, so that every frame
    has the same layout."""
    plan = make_plan(roots, options.max_nodes, options.collapse)
    on_path: set[Value] = set()
    if options.path_from is not None:
        if not isinstance(options.path_from, Value) or options.path_from not in plan.index:
            raise ValueError("path_from must be a value of the drawn graph")
        on_path = descendants_on_path(plan.order, options.path_from)
    for position, value in enumerate(options.highlight):
        if not isinstance(value, Value) or value not in plan.index:
            raise ValueError(f"highlight item {position} is not a value of the drawn graph")
    grad_of = frame.grad_of if frame is not None else _own_grad
    max_abs_grad = 0.0
    for i, value in enumerate(plan.order):
        grad = grad_of(value)
        if plan.visible[i] and grad is not None and abs(grad) > max_abs_grad:
            max_abs_grad = abs(grad) if abs(grad) != float("inf") else max_abs_grad
    style = Style(
        show=tuple(options.show),
        fmt=options.fmt,
        color_by=options.color_by,
        grad_of=grad_of,
        names=frame.names if frame is not None else {},
        highlight=set(options.highlight),
        current=frame.current if frame is not None else None,
        on_path=on_path,
        max_abs_grad=max_abs_grad,
        grad_widths=frame.grad_widths if frame is not None else {},
        fixed_border=frame is not None,
    )
    return _emit(plan, style, options.rankdir, options.clusters, options.legend)


def _own_grad(value: Value) -> float | None:
    return value.grad


def save(
    graph: Value | Iterable[Value] | graphviz.Digraph,
    path: str | os.PathLike[str],
    **draw_options: Any,
) -> Path:
    """Write a drawing to ``path``; the extension picks the format: .svg, .png,
    .pdf, or .dot/.gv (DOT text, which needs no Graphviz).

    ``graph`` is a Value, a list of Values (drawn with ``draw(graph,
    **draw_options)``) or a drawing made by `draw`. The file is written only
    after rendering succeeded, through `tinygrad_lite.files.atomic_write`, so a
    failure in rendering or writing leaves an existing file as it was.
    Returns the path written.
    """
    if isinstance(graph, graphviz.Digraph):
        if draw_options:
            raise TypeError("draw options only apply when saving Values, not a drawing")
        drawing = graph
    else:
        format_of(path)  # a bad name fails before any drawing work
        drawing = draw(graph, **draw_options)
    return write_drawing(drawing, path)
