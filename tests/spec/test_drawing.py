"""The drawing package's parts: options, rendering, the compatibility modules, and
the parameter-label convention shared with nn."""

from __future__ import annotations

import pytest

import tinygrad_lite
from tinygrad_lite import MLP, Value, parameter_names, player, viz
from tinygrad_lite.drawing import DrawOptions, draw, draw_backward, render
from tinygrad_lite.drawing.plan import make_plan


def test_options_are_checked_when_made_and_normalised() -> None:
    options = DrawOptions(show="grad", highlight=iter([]))
    assert options.show == ("grad",) and options.highlight == ()
    with pytest.raises(ValueError, match="max_nodes must be an integer >= 10, got 3"):
        DrawOptions(max_nodes=3)
    with pytest.raises(ValueError, match="rankdir must be one of"):
        DrawOptions(rankdir="XY")


def test_draw_is_render_with_its_options() -> None:
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    out = (a * b).tanh()
    out.backward()
    assert draw(out, rankdir="TB", fmt=".3g").source == (
        render([out], DrawOptions(rankdir="TB", fmt=".3g")).source
    )


def test_the_compatibility_modules_re_export_the_same_objects() -> None:
    assert viz.draw is draw is tinygrad_lite.draw
    assert viz.save is tinygrad_lite.save
    assert player.draw_backward is draw_backward is tinygrad_lite.draw_backward


def test_nn_writes_the_labels_the_drawing_reads() -> None:
    model = MLP(2, [3, 1], seed=0)
    names = [name for name, _ in model.named_parameters()]
    assert names[0] == parameter_names.child_name(
        parameter_names.LAYERS,
        0,
        parameter_names.child_name(parameter_names.NEURONS, 0, parameter_names.weight_name(0)),
    )
    assert names[0] == "layers.0.neurons.0.w.0"
    owner = parameter_names.owner_of(names[0])
    assert owner == "layers.0.neurons.0"
    assert parameter_names.module_levels(owner) == ["layers.0", "layers.0.neurons.0"]
    assert parameter_names.relative_name(names[0], owner) == "w.0"
    assert parameter_names.owner_of("layers.0.neurons.0.b") == owner
    assert parameter_names.owner_of("x") is None


def test_a_plan_collapses_to_fit_and_says_so() -> None:
    terms = [(Value(float(i), f"x{i}") * 2.0).tanh() for i in range(40)]
    total = tinygrad_lite.total(terms)
    plan = make_plan([total], max_nodes=20, collapse=True)
    assert plan.node_count() <= 20
    assert plan.messages
