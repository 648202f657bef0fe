"""What a drawing shows: which values get a box, and what is collapsed to fit.

`make_plan` walks the graph behind the roots once (topological order, so the
value names ``v0``, ``v1``, ... never depend on ``id()``) and, when the graph
needs more than ``max_nodes`` boxes and ellipses, collapses it in this order
until it fits: repeated terms of a sum, then neurons (one box each), then any
other repeated operands, then the values farthest from the output. Each
collapse adds a sentence to ``plan.messages``.

`cluster_paths` puts values into the nested module boxes their parameter
labels name (`tinygrad_lite.parameter_names`).

Nothing here knows about Graphviz: `tinygrad_lite.drawing.dot` renders a plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tinygrad_lite.autograd import topological_order
from tinygrad_lite.naming import position_name, quoted_label
from tinygrad_lite.parameter_names import module_levels, owner_of
from tinygrad_lite.value import Value

__all__ = [
    "Box",
    "Plan",
    "Summary",
    "cluster_paths",
    "descendants_on_path",
    "full_node_count",
    "make_plan",
]

MAX_COLLAPSE_ROUNDS = 20
"""At most this many repeated-operand collapses; truncation handles what is left."""


@dataclass
class Box:
    """Several values drawn as one box (a neuron: its linear node, activation, parameters)."""

    name: str
    title: str
    members: list[int]
    outputs: list[int]


@dataclass
class Summary:
    """A box standing for nodes that are not drawn at all."""

    name: str
    text: str
    # (consumer index, operand position) edges replaced by an edge from this box
    cut_edges: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Plan:
    order: list[Value]
    index: dict[Value, int]
    roots: list[int]
    consumers: list[list[int]]
    visible: list[bool]
    box_of: dict[int, int] = field(default_factory=dict)
    boxes: list[Box] = field(default_factory=list)
    summaries: list[Summary] = field(default_factory=list)
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


def full_node_count(order: Sequence[Value]) -> int:
    return sum(1 if value.is_leaf else 2 for value in order)


def _reachable(plan: Plan) -> list[bool]:
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


def _display_name(plan: Plan, i: int) -> str:
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


def _find_repeats(plan: Plan) -> list[_Repeat]:
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
    plan: Plan, repeats: list[_Repeat], max_nodes: int, only_sums: bool
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


def _cut_operands(plan: Plan, repeat: _Repeat) -> None:
    consumer = repeat.consumer
    kept = sorted(positions[0] for positions in repeat.groups)
    collapsed = sorted(p for positions in repeat.groups for p in positions[1:])
    before = plan.visible
    number = len(plan.summaries)
    summary = Summary(name=f"collapsed{number}", text="")
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


def _neurons(plan: Plan) -> list[tuple[str | None, int, int | None, list[int]]]:
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
            owner_of(operands[p].label)
            for p in parameter_positions
            if operands[p].is_leaf and operands[p].label
        }
        owner = owners.pop() if len(owners) == 1 else None
        parameters = []
        if owner is not None:
            for p in parameter_positions:
                operand = operands[p]
                if operand.is_leaf and owner_of(operand.label) == owner:
                    parameters.append(plan.index[operand])
        activation = None
        users = plan.consumers[i]
        if len(users) == 1 and len(plan.order[users[0]].operands) == 1:
            activation = users[0]
        found.append((owner, i, activation, parameters))
    return found


def _box_neurons(plan: Plan) -> None:
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
            plan.boxes.append(Box(name=f"box{box_number}", title=title, members=[], outputs=[]))
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


def _truncate(plan: Plan, max_nodes: int) -> None:
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
    summary = Summary(name=f"collapsed{number}", text="")
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


def make_plan(roots: list[Value], max_nodes: int, collapse: bool) -> Plan:
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
    plan = Plan(order, index, root_indices, consumers, [True] * len(order))
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


def cluster_paths(plan: Plan) -> dict[int, tuple[str, ...]]:
    """For each clustered value: its nested cluster path, outermost first."""
    paths: dict[int, tuple[str, ...]] = {}
    for i, value in enumerate(plan.order):
        if value.is_leaf and value.label:
            owner = owner_of(value.label)
            if owner is not None:
                paths[i] = tuple(module_levels(owner))
    for owner, linear_index, activation, _ in _neurons(plan):
        if owner is None:
            continue
        path = tuple(module_levels(owner))
        paths[linear_index] = path
        if activation is not None:
            paths[activation] = path
    return paths


def descendants_on_path(order: Sequence[Value], start: Value) -> set[Value]:
    """``start`` and every value computed from it: the path(s) from it to the output."""
    on_path = {start}
    for value in order:
        if any(operand in on_path for operand in value.operands):
            on_path.add(value)
    return on_path
