"""Matplotlib figures for the seed notebook's experiments, saved as PNG.

matplotlib is an optional dependency (the ``demos`` extra); it is imported
only when a figure is drawn. Figures are `matplotlib.figure.Figure` objects
with their own Agg canvas, not pyplot figures: no display is needed, and the
process's backend is never changed (a notebook's ``plt.show()`` keeps working
after a figure is saved here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from tinygrad_lite.seed.text_cells import Grid

if TYPE_CHECKING:  # matplotlib is optional: imported where a figure is made
    from matplotlib.figure import Figure

Array = npt.NDArray[np.float64]
DPI = 100  # the text uses 300; 100 keeps the committed PNGs small


def _new_figure(**options: Any) -> Figure:
    """A figure drawn by its own Agg canvas, unknown to pyplot (so nothing to close)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "drawing the figures needs matplotlib: pip install 'tinygrad-lite[demos]'"
        ) from error
    figure = Figure(**options)
    FigureCanvasAgg(figure)
    return figure


def _save(figure: Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI, bbox_inches="tight")
    return path


def draw_decision_boundary(ax: Any, X: Array, y: Array, grid: Grid, title: str) -> Any:
    """The text's plot into ``ax``: the points coloured by class over the predicted regions.

    Regions are filled with the text's ``contourf(levels=[0, 0.5, 1])``: below
    0.5 blue (class 0), from 0.5 up red (class 1). Returns the filled contours."""
    filled = ax.contourf(grid.xx, grid.yy, grid.values, levels=[0, 0.5, 1], alpha=0.2, cmap="bwr")
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="bwr", s=12)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(title)
    return filled


def decision_boundary(X: Array, y: Array, grid: Grid, title: str, path: str | Path) -> Path:
    """`draw_decision_boundary` as its own figure with a colour bar, saved to ``path``."""
    figure = _new_figure(figsize=(8, 6))
    ax = figure.subplots()
    filled = draw_decision_boundary(ax, X, y, grid, title)
    figure.colorbar(filled, ax=ax)
    return _save(figure, path)


def loss_curves(
    curves: Mapping[str, Sequence[float]],
    title: str,
    path: str | Path,
    *,
    reference: Mapping[str, Sequence[float]] | None = None,
    xlabel: str = "epoch",
    ylabel: str = "loss 0.5 * sum((y - y_pred)**2)",
    log_y: bool = True,
) -> Path:
    """One line per named loss history, on a log scale by default.

    ``reference`` curves are drawn dashed and black on top, so a curve that
    coincides with its reference stays visible under it."""
    figure = _new_figure(figsize=(8, 5))
    ax = figure.subplots()
    for label, losses in curves.items():
        ax.plot(np.arange(1, len(losses) + 1), losses, label=label, linewidth=3, alpha=0.7)
    for label, losses in (reference or {}).items():
        ax.plot(np.arange(1, len(losses) + 1), losses, "k--", label=label, linewidth=1)
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    if len(curves) + len(reference or {}) > 1:
        ax.legend()
    return _save(figure, path)


def training_history(
    epoch_losses: Mapping[str, Sequence[float]],
    batch_losses: Sequence[float],
    updates_per_epoch: int,
    title: str,
    path: str | Path,
) -> Path:
    """Whole-set loss per epoch (lines) over every batch's own loss (grey dots,
    placed at the fraction of the epoch where that batch ran)."""
    figure = _new_figure(figsize=(8, 5))
    ax = figure.subplots()
    positions = np.arange(1, len(batch_losses) + 1) / updates_per_epoch
    ax.plot(
        positions,
        batch_losses,
        ".",
        color="0.6",
        markersize=3,
        label="each batch, loss x n / batch",
    )
    for label, losses in epoch_losses.items():
        ax.plot(np.arange(1, len(losses) + 1), losses, linewidth=2, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss 0.5 * sum((y - y_pred)**2)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return _save(figure, path)


def boundary_panels(
    X: Array, y: Array, grids: Mapping[str, Grid], title: str, path: str | Path
) -> Path:
    """Several decision boundaries side by side, one panel per named grid."""
    count = len(grids)
    figure = _new_figure(figsize=(4 * count, 4), layout="constrained")
    axes = figure.subplots(1, count, squeeze=False)
    for ax, (label, grid) in zip(axes[0], grids.items(), strict=True):
        draw_decision_boundary(ax, X, y, grid, label)
    figure.suptitle(title)
    return _save(figure, path)


def curve_panels(
    panels: Mapping[str, Mapping[str, Sequence[float]]],
    title: str,
    path: str | Path,
    *,
    xlabel: str,
    ylabel: str,
    markers: bool = False,
) -> Path:
    """Side-by-side panels of named curves, log-scale y, x counted from 1."""
    count = len(panels)
    figure = _new_figure(figsize=(6 * count, 4.5), layout="constrained")
    axes = figure.subplots(1, count, squeeze=False)
    for ax, (panel_title, curves) in zip(axes[0], panels.items(), strict=True):
        for label, values in curves.items():
            ax.plot(
                np.arange(1, len(values) + 1), values, marker="o" if markers else None, label=label
            )
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(panel_title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    figure.suptitle(title)
    return _save(figure, path)


def gradient_magnitudes(
    panels: Mapping[str, Mapping[str, Sequence[float]]], title: str, path: str | Path
) -> Path:
    """Mean |dL/dW| per layer (layer 1 = input side) on a log scale: one panel per
    named set of curves, one line per activation."""
    return curve_panels(
        panels,
        title,
        path,
        xlabel="layer (1 = input side)",
        ylabel="mean |dL/dW| in the layer",
        markers=True,
    )
