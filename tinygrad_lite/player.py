"""Compatibility module: the backward player is `tinygrad_lite.drawing.player`.

Kept because the command line imports ``tinygrad_lite.player``; new code
imports `draw_backward` from `tinygrad_lite` or `tinygrad_lite.drawing`.
"""

from tinygrad_lite.drawing.player import draw_backward

__all__ = ["draw_backward"]
