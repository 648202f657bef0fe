"""Compatibility module: the drawing lives in `tinygrad_lite.drawing`.

Kept because the command line (``tinygrad-lite draw``), the seed course and
older notebooks import ``tinygrad_lite.viz``; it re-exports the public names
unchanged. New code imports from `tinygrad_lite` or `tinygrad_lite.drawing`.
"""

from tinygrad_lite.drawing.dot import draw, escape_html_text, save
from tinygrad_lite.drawing.options import (
    COLOR_MODES,
    DEFAULT_MAX_NODES,
    RANKDIRS,
    SHOWABLE_FIELDS,
    DrawOptions,
)
from tinygrad_lite.drawing.output import SAVE_FORMATS, GraphDrawing, GraphvizNotFoundError

__all__ = [
    "COLOR_MODES",
    "DEFAULT_MAX_NODES",
    "RANKDIRS",
    "SAVE_FORMATS",
    "SHOWABLE_FIELDS",
    "DrawOptions",
    "GraphDrawing",
    "GraphvizNotFoundError",
    "draw",
    "escape_html_text",
    "save",
]
