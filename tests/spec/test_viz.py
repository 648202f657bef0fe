"""Tests for tinygrad_lite.viz: what the rendered SVG shows, determinism, escaping,
colours, clusters, collapsing large graphs, saving, and the missing-`dot` error."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import graphviz
import pytest
from viz_svg import Svg, SvgNode, parse_svg

import tinygrad_lite
from tinygrad_lite import MLP, Value, demo_graphs, draw, linear, save, total
from tinygrad_lite.demo_graphs import mlp_loss
from tinygrad_lite.viz import GraphvizNotFoundError, escape_html_text

ROOT = Path(__file__).resolve().parents[2]


def render(drawing: graphviz.Digraph) -> Svg:
    svg: bytes = drawing.pipe(format="svg")
    return parse_svg(svg)


def values_and_ops(svg: Svg) -> tuple[list[SvgNode], list[SvgNode]]:
    return svg.with_class("value"), svg.with_class("op")


def tanh_expression() -> dict[str, Value]:
    """The demo graph ``f = tanh(a*b + c)`` with each of its nodes by label."""
    f = demo_graphs.expression()
    d = f.operands[0]
    e, c = d.operands
    a, b = e.operands
    return {"a": a, "b": b, "c": c, "e": e, "d": d, "f": f}


# ---------------------------------------------------------------- small graphs


def test_small_graph_nodes_edges_and_texts() -> None:
    nodes = tanh_expression()
    nodes["f"].backward()
    svg = render(draw(nodes["f"], legend=False))
    values, ops = values_and_ops(svg)
    assert sorted(node.texts[0] for node in values) == ["a", "b", "c", "d", "e", "f"]
    assert sorted(node.texts[0] for node in ops) == ["*", "+", "tanh"]
    # 3 op -> result edges, 2 + 2 + 1 operand edges
    assert len(svg.edges) == 8
    # d = -6 + 10 = 4, f = tanh(4); df/dd = 1 - tanh(4)^2, df/da = df/dd * b
    dfdd = 1 - math.tanh(4.0) ** 2
    expected = {
        "a": (2.0, dfdd * -3.0),
        "b": (-3.0, dfdd * 2.0),
        "c": (10.0, dfdd),
        "e": (-6.0, dfdd),
        "d": (4.0, dfdd),
        "f": (math.tanh(4.0), 1.0),
    }
    for label, (data, grad) in expected.items():
        assert svg.by_first_text(label).texts == [label, f"data {data:.4g}", f"grad {grad:.4g}"]
    kinds = {node.texts[0]: node.classes for node in values}
    assert "leaf" in kinds["a"] and "leaf" in kinds["c"]
    assert "intermediate" in kinds["e"] and "intermediate" in kinds["d"]
    assert "output" in kinds["f"]


def test_edges_follow_the_graph_in_operand_order() -> None:
    a = Value(5.0, label="a")
    b = Value(2.0, label="b")
    left = a - b
    right = b - a
    out = left / right
    drawing = draw(out, legend=False)
    svg = render(drawing)
    name = {node.texts[0]: node.name for node in svg.with_class("value") if node.texts}
    roles = {(tail, head): texts for tail, head, _, texts in svg.edges}
    sub_ops = [node.name for node in svg.with_class("op") if node.texts == ["-"]]
    assert len(sub_ops) == 2
    by_role = {
        op: {roles[(name["a"], op)][0], roles[(name["b"], op)][0]} for op in sub_ops
    }  # each subtraction numbers its two operands
    assert all(labels == {"1", "2"} for labels in by_role.values())
    first, second = sub_ops  # the first drawn is a - b (traversal order)
    assert roles[(name["a"], first)] == ["1"] and roles[(name["b"], first)] == ["2"]
    assert roles[(name["b"], second)] == ["1"] and roles[(name["a"], second)] == ["2"]
    # DOT lists a node's operand edges in operand order
    source = drawing.source
    assert source.index(f"{name['a']} -> {first}") < source.index(f"{name['b']} -> {first}")
    assert source.index(f"{name['b']} -> {second}") < source.index(f"{name['a']} -> {second}")


def test_a_value_used_twice_by_one_operation_gets_two_edges() -> None:
    a = Value(3.0, label="a")
    square = a * a
    svg = render(draw(square, legend=False))
    op = svg.with_class("op")[0].name
    a_name = svg.by_first_text("a").name
    assert [(tail, head) for tail, head, _, _ in svg.edges].count((a_name, op)) == 2


def test_linear_edges_name_weights_inputs_and_bias() -> None:
    w = [Value(0.5, label="w0"), Value(-1.0, label="w1")]
    x = [Value(2.0, label="x0"), Value(3.0, label="x1")]
    out = linear(w, x, Value(0.25, label="bias"))
    svg = render(draw(out, legend=False))
    op = svg.with_class("op")[0].name
    role = {tail: texts for tail, head, _, texts in svg.edges if head == op}
    got = {svg.nodes[tail].texts[0]: texts for tail, texts in role.items()}
    assert got == {"w0": ["w1"], "w1": ["w2"], "x0": ["x1"], "x1": ["x2"], "bias": ["b"]}


def test_show_and_fmt_choose_the_texts() -> None:
    nodes = tanh_expression()
    svg = render(draw(nodes["f"], show=("label", "data"), fmt=".2f", legend=False))
    assert svg.by_first_text("f").texts == ["f", f"data {math.tanh(4.0):.2f}"]
    svg = render(draw(nodes["f"], show=("grad",), legend=False))
    assert all(node.texts == ["grad 0"] for node in svg.with_class("value"))


def test_multiple_roots_are_all_outputs() -> None:
    a = Value(1.0, label="a")
    first = a.exp()
    first.label = "first"
    second = a * 2
    second.label = "second"
    svg = render(draw([first, second], legend=False))
    outputs = sorted(node.texts[0] for node in svg.with_class("output"))
    assert outputs == ["first", "second"]
    assert len(svg.with_class("leaf")) == 2  # a and the constant 2


# ---------------------------------------------------------------- determinism

DETERMINISM_SCRIPT = textwrap.dedent(
    """
    import sys
    from tinygrad_lite import Value, draw
    from tinygrad_lite.demo_graphs import mlp_loss
    loss = mlp_loss(n_points=3, hidden=4)
    loss.backward()
    extra = {Value(float(i), label=f"s{i}") for i in range(20)}  # a set, to stir hashing
    mixed = sum(sorted(extra, key=lambda v: v.data), Value(0.0))
    sys.stdout.write(draw([loss, mixed], color_by="grad").source)
    sys.stdout.write(draw(mlp_loss(n_points=200), max_nodes=120).source)
    """
)


def test_dot_text_is_identical_across_runs_and_hash_seeds() -> None:
    outputs = []
    for seed in ("0", "1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", DETERMINISM_SCRIPT],
            env=env,
            capture_output=True,
            check=True,
            cwd=ROOT,
        )
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1] == outputs[2]
    assert b"digraph" in outputs[0] and b"0x" not in outputs[0]


def test_two_builds_of_the_same_graph_give_the_same_dot_text() -> None:
    first = draw(mlp_loss(n_points=2, hidden=3)).source
    second = draw(mlp_loss(n_points=2, hidden=3)).source
    assert first == second


# ---------------------------------------------------------------- escaping

NASTY_LABELS = [
    '{}|<>:"\\',
    "two\nlines",
    "x{a|b}<c>",
    'quote " and backslash \\ at end\\',
    "&amp; is not an entity",
    "<B>not bold</B>",
    "tab\there",
    "\\N and \\G are names to Graphviz",
    "a\\\\N \\L \\E \\T \\H \\l\\r end",
]


@pytest.mark.parametrize("label", NASTY_LABELS)
def test_labels_are_shown_literally(label: str, capfd: pytest.CaptureFixture[str]) -> None:
    leaf = Value(1.5, label=label)
    out = leaf * 2
    out.label = label + "!"
    svg = render(draw(out, legend=False))
    shown = label.replace("\t", " ")
    lines = shown.split("\n")
    leaf_node = next(node for node in svg.with_class("leaf") if node.texts[: len(lines)] == lines)
    assert leaf_node.texts[len(lines) :] == ["data 1.5", "grad 0"]
    out_lines = (shown + "!").split("\n")
    output = svg.with_class("output")[0]
    assert output.texts[: len(out_lines)] == out_lines
    assert "Warning" not in capfd.readouterr().err  # Graphviz parsed it without complaint


def test_backslashes_in_labels_are_doubled_in_the_dot_text() -> None:
    # Graphviz replaces \N and \G in a label (HTML-like too) by the node's and the
    # graph's names; a doubled backslash is shown as one.
    assert escape_html_text("\\N \\G") == "\\\\N \\\\G"
    leaf = Value(1.0, label="x\\N")
    source = draw(leaf * 1, legend=False).source
    assert "<B>x\\\\N</B>" in source


def test_control_characters_become_visible_escapes() -> None:
    assert escape_html_text("bell\x07") == "bell\\\\x07"  # a doubled backslash shows as one
    leaf = Value(1.0, label="bell\x07")
    svg = render(draw(leaf * 1, legend=False))
    assert any(node.texts[0] == "bell\\x07" for node in svg.with_class("leaf"))


# ---------------------------------------------------------------- colours, legend, highlight


def _rgb(fill: str) -> tuple[int, int, int]:
    return int(fill[1:3], 16), int(fill[3:5], 16), int(fill[5:7], 16)


def test_legend_explains_the_colours_and_can_be_turned_off() -> None:
    nodes = tanh_expression()
    svg = render(draw(nodes["f"]))
    legend_texts = {node.texts[0] for node in svg.with_class("legend")}
    assert legend_texts == {
        "leaf: input, parameter, constant",
        "intermediate value",
        "output",
        "operation",
    }
    leaf_fill = svg.by_first_text("leaf: input, parameter, constant").fills[0]
    output_fill = svg.by_first_text("output").fills[0]
    assert leaf_fill in svg.by_first_text("a").fills
    assert output_fill in svg.by_first_text("f").fills
    assert leaf_fill != output_fill
    assert not render(draw(nodes["f"], legend=False)).with_class("legend")


def test_color_by_grad_uses_sign_and_magnitude() -> None:
    x = Value(1.0, label="x")
    big = Value(3.0, label="big")
    small = Value(-0.5, label="small")
    out = x * big + x * small * 0.1 - small
    out.backward()
    # d/dbig = x = 1 > 0; d/dsmall = 0.1 * x - 1 = -0.9 < 0; d/dx = 3 + 0.1 * -0.5 = 2.95
    svg = render(draw(out, color_by="grad", legend=True))
    big_r, _, big_b = _rgb(svg.by_first_text("big").fills[0])
    small_r, _, small_b = _rgb(svg.by_first_text("small").fills[0])
    x_r, _, x_b = _rgb(svg.by_first_text("x").fills[0])
    assert big_b > big_r  # positive: blue
    assert small_r > small_b  # negative: red
    assert x_b > x_r and x_r < big_r  # larger |grad| (2.95 vs 1): deeper blue
    legend = {node.texts[0] for node in svg.with_class("legend")}
    assert "grad > 0 (darker: larger)" in legend and "grad < 0 (darker: larger)" in legend


def test_highlight_and_path_from() -> None:
    nodes = tanh_expression()
    svg = render(draw(nodes["f"], highlight=[nodes["c"]], path_from=nodes["b"]))
    assert [node.texts[0] for node in svg.with_class("highlight")] == ["c"]
    on_path = sorted(node.texts[0] for node in svg.with_class("on-path"))
    assert on_path == ["b", "d", "e", "f"]  # b and everything computed from it
    assert "on-path" not in svg.by_first_text("a").classes
    path_edges = [(tail, head) for tail, head, classes, _ in svg.edges if "on-path" in classes]
    # b -> *, * -> e, e -> +, + -> d, d -> tanh, tanh -> f
    assert len(path_edges) == 6
    with pytest.raises(ValueError, match="path_from"):
        draw(nodes["f"], path_from=Value(1.0))
    with pytest.raises(ValueError, match="highlight item 1 is not a value of the drawn graph"):
        draw(nodes["f"], highlight=[nodes["a"], Value(1.0)])


# ---------------------------------------------------------------- clusters


def labelled_network(hidden: int = 2) -> Value:
    """A 2-hidden-1 network labelled the way tinygrad_lite.nn names parameters."""
    x = [Value(0.5, label="x1"), Value(-1.0, label="x2")]
    activations = []
    for k in range(hidden):
        prefix = f"layers.0.neurons.{k}"
        w = [Value(0.1 * (k + 1), label=f"{prefix}.w.0"), Value(-0.2, label=f"{prefix}.w.1")]
        activations.append(linear(w, x, Value(0.0, label=f"{prefix}.b")).sigmoid())
    w_out = [Value(0.3, label=f"layers.1.neurons.0.w.{k}") for k in range(hidden)]
    out = linear(w_out, activations, Value(0.1, label="layers.1.neurons.0.b")).sigmoid()
    out.label = "y_pred"
    return out


def test_clusters_group_neurons_inside_layers() -> None:
    out = labelled_network(hidden=2)
    svg = render(draw(out, legend=False))
    labels = sorted(cluster.label for cluster in svg.clusters)
    assert labels == ["layers.0", "layers.1", "neurons.0", "neurons.0", "neurons.1"]
    clusters = {cluster.label: cluster for cluster in svg.clusters}
    layer0 = clusters["layers.0"]
    layer1 = clusters["layers.1"]
    neuron_boxes = [c for c in svg.clusters if c.label.startswith("neurons.")]
    # inside a neuron's cluster, parameter labels drop the neuron's prefix
    for k in range(2):
        weight = next(
            node
            for node in svg.with_class("leaf")
            if node.texts[0] == "w.0" and layer0.contains(node) and _data(node) == 0.1 * (k + 1)
        )
        containing = [c for c in neuron_boxes if c.contains(weight)]
        assert len(containing) == 1 and containing[0].label == f"neurons.{k}"
    # the linear and sigmoid ops of the hidden neurons sit in layer 0, the output's in layer 1
    ops = svg.with_class("op")
    assert sum(layer0.contains(op) for op in ops) == 4
    assert sum(layer1.contains(op) for op in ops) == 2
    inputs = [svg.by_first_text("x1"), svg.by_first_text("x2")]
    assert not any(c.contains(node) for c in svg.clusters for node in inputs)
    assert render(draw(out, clusters=False, legend=False)).clusters == []


def test_clusters_from_a_real_nn_mlp() -> None:
    model = MLP(2, [3, 1], activations="tanh", seed=1)
    out = model([0.5, -1.0])
    assert isinstance(out, Value)
    svg = render(draw(out, legend=False))
    labels = sorted(cluster.label for cluster in svg.clusters)
    assert labels == ["layers.0", "layers.1", "neurons.0", "neurons.0", "neurons.1", "neurons.2"]
    layer0 = next(c for c in svg.clusters if c.label == "layers.0")
    hidden_ops = [op for op in svg.with_class("op") if layer0.contains(op)]
    assert sorted(op.texts[0] for op in hidden_ops) == ["linear"] * 3 + ["tanh"] * 3
    # each parameter box sits in exactly one neuron cluster, named without the prefix
    neurons = [c for c in svg.clusters if c.label.startswith("neurons.")]
    parameters = [node for node in svg.with_class("leaf") if node.texts[0][0] in "wb"]
    assert len(parameters) == 3 * 3 + 4
    assert all(sum(c.contains(node) for c in neurons) == 1 for node in parameters)


def _data(node: SvgNode) -> float:
    text = next(t for t in node.texts if t.startswith("data "))
    return round(float(text.split()[1]), 6)


# ---------------------------------------------------------------- large graphs


def test_seed_network_over_200_points_collapses_the_batch_to_one_example() -> None:
    loss = mlp_loss(n_points=200, hidden=16)
    loss.backward()
    drawing = draw(loss)
    svg = render(drawing)
    values, ops = values_and_ops(svg)
    summaries = svg.with_class("summary")
    # One example drawn in full. Values: 65 parameters (16*2 + 16 + 16 + 1); per example
    # x1, x2, 16 hidden z and 16 activations, z_out, y_pred, y, y - y_pred, its square,
    # 0.5 and the term (41); and L. Ops: 17 linear, 17 sigmoid, -, **2, *, sum.
    assert len(values) == 65 + 41 + 1
    assert len(ops) == 17 + 17 + 4
    assert len(summaries) == 1
    # edges: 38 op->value; operands 16*5 + 16 + 33 + 1 + 2 + 1 + 2, and 2 into the sum
    assert len([e for e in svg.edges if not e[0].startswith("legend")]) == 38 + 135 + 2
    assert len(values) + len(ops) + len(summaries) <= 300
    assert drawing.collapsed == (
        "199 of the 200 terms of 'L' (sum) have the same structure as term 1 and are "
        "drawn as one box (8159 values not drawn)",  # 199 examples * 41 values
    )
    assert any("199 of the 200 terms" in line for line in svg.caption)
    summary_texts = summaries[0].texts
    assert summary_texts[0] == "199 more terms of 'L' (sum)"
    together = float(summary_texts[-1].split()[-1])
    first_term = loss.operands[0].data
    assert together == pytest.approx(loss.data - first_term, rel=5e-4)  # shown with 4 digits
    clusters = sorted(cluster.label for cluster in svg.clusters)
    assert clusters.count("layers.0") == 1 and clusters.count("layers.1") == 1
    assert len([c for c in clusters if c.startswith("neurons.")]) == 17


def test_a_tighter_limit_also_boxes_each_neuron() -> None:
    loss = mlp_loss(n_points=200, hidden=16)
    loss.backward()
    drawing = draw(loss, max_nodes=60)
    svg = render(drawing)
    neurons = svg.with_class("neuron")
    assert len(neurons) == 17
    assert sorted(node.texts[0] for node in neurons) == sorted(
        [f"layers.0.neurons.{k}" for k in range(16)] + ["layers.1.neurons.0"]
    )
    drawn = (
        len(svg.with_class("value")) + len(svg.with_class("op")) + len(svg.with_class("collapsed"))
    )
    assert drawn <= 60
    assert any("17 neurons are drawn as one box each" in m for m in drawing.collapsed)
    y_pred_box = svg.by_first_text("layers.1.neurons.0")
    y_pred = loss.operands[0].operands[1].operands[0].operands[1]
    assert f"data {y_pred.data:.4g} grad {y_pred.grad:.4g}" in y_pred_box.texts


def test_terms_of_several_shapes_keep_one_of_each() -> None:
    w = Value(0.5, label="w")
    terms = []
    for k in range(100):
        x = Value(k / 100, label="x")
        terms.append((w * x).tanh() if k % 2 == 0 else (w + x).exp())
    out = total(terms)  # unlabelled: the message names it v<i>, and its box shows that name
    drawing = draw(out, max_nodes=100)
    (message,) = drawing.collapsed
    name = f"v{len(tinygrad_lite.topological_order(out)) - 1}"
    assert message == (
        f"98 of the 100 terms of {name} (sum) repeat the structures of the 2 drawn "
        "(one per shape) and are drawn as one box (294 values not drawn)"  # 98 * (x, w.x, term)
    )
    svg = render(drawing)
    assert sorted(op.texts[0] for op in svg.with_class("op")) == ["*", "+", "exp", "sum", "tanh"]
    assert svg.with_class("output")[0].texts[0] == name
    (summary,) = svg.with_class("summary")
    assert summary.texts[:2] == [f"98 more terms of {name} (sum)", "shaped like the 2 drawn"]


def test_drawings_show_inline_in_jupyter() -> None:
    bundle = draw(Value(1.0, label="a") * 2)._repr_mimebundle_()
    assert parse_svg(bundle["image/svg+xml"]).by_first_text("a")


def test_graph_without_repeats_keeps_the_part_nearest_the_output() -> None:
    x = Value(0.3, label="x")
    for _ in range(400):
        x = x * 0.99 + 0.01
    x.label = "end"
    drawing = draw(x, max_nodes=50)
    svg = render(drawing)
    values, ops = values_and_ops(svg)
    summaries = svg.with_class("summary")
    assert len(values) + len(ops) + len(summaries) <= 50
    assert svg.by_first_text("end")
    total_values = len(tinygrad_lite.topological_order(x))  # 1 + 400 * 4
    hidden = int(summaries[0].texts[0].split()[0])
    assert hidden + len(values) == total_values
    assert drawing.collapsed[-1].startswith(f"{hidden} values farthest from the output")


def test_collapse_false_and_small_graphs_draw_everything() -> None:
    loss = mlp_loss(n_points=3, hidden=2)
    drawing = draw(loss, max_nodes=10, collapse=False)
    assert drawing.collapsed == ()
    assert draw(loss).collapsed == ()
    assert draw(loss).total_nodes == drawing.total_nodes


# ---------------------------------------------------------------- saving


def test_save_picks_the_format_from_the_extension(tmp_path: Path) -> None:
    nodes = tanh_expression()
    drawing = draw(nodes["f"])
    assert save(drawing, tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")
    assert save(nodes["f"], tmp_path / "g.pdf").read_bytes().startswith(b"%PDF")
    svg = parse_svg(save(nodes["f"], tmp_path / "g.svg", legend=False).read_bytes())
    assert len(svg.with_class("value")) == 6
    assert save(drawing, tmp_path / "g.dot").read_text() == drawing.source
    assert save(drawing, tmp_path / "g.gv").read_text() == drawing.source


def test_save_rejects_unknown_extensions_without_touching_the_file(tmp_path: Path) -> None:
    target = tmp_path / "g.jpeg"
    target.write_text("keep me")
    with pytest.raises(ValueError, match=r"\.svg, \.png, \.pdf, \.dot or \.gv"):
        save(Value(1.0) * 2, target)
    assert target.read_text() == "keep me"
    with pytest.raises(TypeError, match="draw options"):
        save(draw(Value(1.0) * 2), tmp_path / "g.svg", rankdir="TB")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"rankdir": "XY"}, "rankdir must be one of"),
        ({"show": ("label", "shape")}, "show may contain"),
        ({"fmt": "q"}, "fmt 'q' is not a float format"),
        ({"color_by": "rainbow"}, "color_by must be one of"),
        ({"max_nodes": 3}, "max_nodes must be an integer >= 10, got 3"),
    ],
)
def test_bad_options_are_named(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        draw(Value(1.0) * 2, **options)  # type: ignore[arg-type]


def test_bad_roots_are_named() -> None:
    with pytest.raises(TypeError, match="Value or a list of Values, got float"):
        draw(1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="item 1 is int"):
        draw([Value(1.0), 2])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="at least one Value"):
        draw([])


# ---------------------------------------------------------------- missing dot

MISSING_DOT_SCRIPT = textwrap.dedent(
    """
    import shutil, sys
    from pathlib import Path
    import graphviz
    from tinygrad_lite import GraphvizNotFoundError, Value, draw, save
    assert shutil.which("dot") is None
    out = (Value(2.0, label="a") * 3).tanh()
    drawing = draw(out)
    assert "digraph" in drawing.source           # DOT text needs no dot
    target = Path(sys.argv[1])
    save(out, target.with_suffix(".dot"))
    target.write_text("old picture")
    plain = graphviz.Digraph()  # not made by draw(): save() still explains
    for attempt in (lambda: save(drawing, target), lambda: drawing.pipe(format="svg"),
                    lambda: drawing._repr_mimebundle_(),
                    lambda: drawing.render(target.with_name("r.gv"), format="svg"),
                    lambda: save(plain, target)):
        try:
            attempt()
        except GraphvizNotFoundError as error:
            assert isinstance(error, graphviz.ExecutableNotFound)
            message = str(error)
        else:
            raise SystemExit("rendering without dot did not fail")
    assert target.read_text() == "old picture"
    print(message)
    """
)


def test_missing_dot_explains_how_to_install_graphviz(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path / "empty-bin")}  # dot nowhere on PATH
    result = subprocess.run(
        [sys.executable, "-c", MISSING_DOT_SCRIPT, str(tmp_path / "g.svg")],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    message = result.stdout
    assert "`dot` program was not found on PATH" in message
    assert "Debian/Ubuntu:  sudo apt-get install graphviz" in message
    assert "macOS:          brew install graphviz" in message
    assert "Windows:        winget install graphviz" in message
    assert (tmp_path / "g.dot").read_text().startswith("digraph")


def test_graphviz_not_found_error_is_an_executable_not_found() -> None:
    error = GraphvizNotFoundError("dot")
    assert isinstance(error, graphviz.ExecutableNotFound)
    assert "brew install graphviz" in str(error)


def test_a_save_whose_rendering_fails_leaves_the_old_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "g.svg"
    target.write_text("old drawing")
    drawing = draw(tanh_expression()["f"])

    def broken_pipe(*args: object, **kwargs: object) -> bytes:
        raise subprocess.CalledProcessError(1, ["dot"])

    monkeypatch.setattr(drawing, "pipe", broken_pipe)
    with pytest.raises(subprocess.CalledProcessError):
        save(drawing, target)
    assert target.read_text() == "old drawing"
    assert [p.name for p in tmp_path.iterdir()] == ["g.svg"]


FILE_SIZE_LIMIT = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))  # a write past 200 bytes fails
"""


@pytest.mark.skipif(os.name != "posix", reason="RLIMIT_FSIZE is POSIX")
def test_a_save_whose_write_fails_leaves_the_old_file_intact(tmp_path: Path) -> None:
    target = tmp_path / "g.dot"
    target.write_text("old drawing")
    script = FILE_SIZE_LIMIT + textwrap.dedent(
        """
        from tinygrad_lite import save
        from tinygrad_lite.demo_graphs import neuron
        try:
            save(neuron(), sys.argv[1])
        except OSError as error:
            print(error.errno)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(target)], capture_output=True, text=True
    )
    assert result.stderr == ""
    assert result.stdout.strip() == "27"  # EFBIG: the write really failed part way
    assert target.read_text() == "old drawing"
    assert [p.name for p in tmp_path.iterdir()] == ["g.dot"]
