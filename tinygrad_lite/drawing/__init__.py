"""Drawing computation graphs with Graphviz, split by responsibility.

* `tinygrad_lite.drawing.options`: what is asked for, `DrawOptions` (checked
  when made) and the player's `Frame`.
* `tinygrad_lite.drawing.plan`: what is drawn and what is collapsed to stay
  within ``max_nodes`` (no Graphviz here).
* `tinygrad_lite.drawing.dot`: how a plan is rendered as DOT; the public
  `draw`, `save` and `render` (a plan with options and an optional frame).
* `tinygrad_lite.drawing.output`: running Graphviz and writing files,
  `GraphDrawing` and `GraphvizNotFoundError` (with installation help).
* `tinygrad_lite.drawing.player`: `draw_backward`, a backward pass to step
  through in the browser, drawn frame by frame with `render`.

`tinygrad_lite.viz` and `tinygrad_lite.player` are kept as thin compatibility
modules re-exporting these names (the command line and the seed course import
them); new code imports from here or from `tinygrad_lite`.
"""

from tinygrad_lite.drawing.dot import draw, escape_html_text, render, save
from tinygrad_lite.drawing.options import DEFAULT_MAX_NODES, DrawOptions, Frame
from tinygrad_lite.drawing.output import GraphDrawing, GraphvizNotFoundError
from tinygrad_lite.drawing.player import draw_backward

__all__ = [
    "DEFAULT_MAX_NODES",
    "DrawOptions",
    "Frame",
    "GraphDrawing",
    "GraphvizNotFoundError",
    "draw",
    "draw_backward",
    "escape_html_text",
    "render",
    "save",
]
