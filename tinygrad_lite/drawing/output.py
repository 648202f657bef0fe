"""Running Graphviz and writing files: `GraphDrawing`, `GraphvizNotFoundError`,
`write_drawing`.

A drawing is a `graphviz.Digraph`; rendering it runs Graphviz's ``dot``
program, which may be missing: then `GraphvizNotFoundError` says how to
install it. DOT text (``drawing.source``, a ``.dot`` file) needs no Graphviz.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import graphviz

from tinygrad_lite.files import atomic_write

__all__ = [
    "SAVE_FORMATS",
    "GraphDrawing",
    "GraphvizNotFoundError",
    "format_of",
    "running_graphviz",
    "write_drawing",
]

SAVE_FORMATS = ("svg", "png", "pdf", "dot")


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
        return running_graphviz(self, super().pipe, *args, **kwargs)

    def render(self, *args: Any, **kwargs: Any) -> Any:
        return running_graphviz(self, super().render, *args, **kwargs)


def running_graphviz(
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


def format_of(path: str | os.PathLike[str]) -> str:
    """The file format a path's extension asks for: svg, png, pdf or dot (.dot, .gv)."""
    extension = Path(path).suffix.lower().lstrip(".")
    if extension == "gv":
        extension = "dot"
    if extension not in SAVE_FORMATS:
        raise ValueError(
            f"cannot tell the format from {str(path)!r}: use a name ending in "
            ".svg, .png, .pdf, .dot or .gv"
        )
    return extension


def write_drawing(drawing: graphviz.Digraph, path: str | os.PathLike[str]) -> Path:
    """Write ``drawing`` to ``path`` in the format its extension names (see `format_of`).

    The file is written only after rendering succeeded, and through
    `tinygrad_lite.files.atomic_write` (a temporary file beside it, renamed over
    ``path``), so a failure in rendering or in writing leaves an existing file
    as it was. Returns the path written."""
    target = Path(path)
    extension = format_of(target)
    if extension == "dot":
        data = drawing.source.encode("utf-8")
    else:
        data = running_graphviz(drawing, drawing.pipe, format=extension)
    return atomic_write(target, data)
