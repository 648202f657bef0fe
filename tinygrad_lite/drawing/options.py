"""What a drawing is asked for: `DrawOptions` (the options of `draw`) and `Frame`
(what the backward player adds to each frame).

`DrawOptions` checks itself when made, so a bad option fails before any
drawing work, with a message naming the option.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from tinygrad_lite.checks import integer
from tinygrad_lite.value import Value

__all__ = [
    "COLOR_MODES",
    "DEFAULT_MAX_NODES",
    "MIN_MAX_NODES",
    "RANKDIRS",
    "SHOWABLE_FIELDS",
    "DrawOptions",
    "Frame",
    "as_roots",
]

DEFAULT_MAX_NODES = 300
"""Above this many boxes and ellipses a drawing collapses repeated structure."""
MIN_MAX_NODES = 10
"""The smallest ``max_nodes``: room for a summary box and a few values."""
SHOWABLE_FIELDS = ("label", "data", "grad")
RANKDIRS = ("LR", "RL", "TB", "BT")
COLOR_MODES = ("kind", "grad")


@dataclass(frozen=True)
class DrawOptions:
    """The options of `tinygrad_lite.draw` (see there for what each one does).

    Checked when made: ``show`` may be one field name or several, and becomes
    a tuple; ``highlight`` becomes a tuple too."""

    rankdir: str = "LR"
    show: Sequence[str] = SHOWABLE_FIELDS
    fmt: str = ".4g"
    color_by: str = "kind"
    highlight: Iterable[Value] = ()
    path_from: Value | None = None
    clusters: bool = True
    max_nodes: int = DEFAULT_MAX_NODES
    collapse: bool = True
    legend: bool = True

    def __post_init__(self) -> None:
        if self.rankdir not in RANKDIRS:
            raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}; got {self.rankdir!r}")
        shown = (self.show,) if isinstance(self.show, str) else tuple(self.show)
        for item in shown:
            if item not in SHOWABLE_FIELDS:
                raise ValueError(
                    f"show may contain {', '.join(map(repr, SHOWABLE_FIELDS))}; got {item!r}"
                )
        object.__setattr__(self, "show", shown)
        _check_format_size(self.fmt)
        try:
            format(1.5, self.fmt)
        except (ValueError, TypeError) as error:
            raise ValueError(
                f"fmt {self.fmt!r} is not a float format spec like '.4g': {error}"
            ) from None
        if self.color_by not in COLOR_MODES:
            raise ValueError(
                f"color_by must be one of {', '.join(COLOR_MODES)}; got {self.color_by!r}"
            )
        integer("max_nodes", self.max_nodes, MIN_MAX_NODES)
        object.__setattr__(self, "highlight", tuple(self.highlight))


MAX_FORMAT_WIDTH = 100
"""The largest width a drawing's number format may ask for (``fmt="12.4g"`` asks 12)."""
MAX_FORMAT_PRECISION = 100
"""The largest precision a drawing's number format may ask for (``.4g`` asks 4)."""
_FORMAT_SIZES = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?(?P<width>\d*)[,_]?(?:\.(?P<precision>\d*))?")


def _check_format_size(fmt: object) -> None:
    """Refuse a format asking for a huge width or precision (``.99999999f`` would write
    a hundred million digits per number) before anything is formatted with it."""
    if not isinstance(fmt, str):
        return  # format() itself names the wrong kind
    sizes = _FORMAT_SIZES.match(fmt)
    assert sizes is not None  # every part of the pattern is optional
    for part, limit in (("width", MAX_FORMAT_WIDTH), ("precision", MAX_FORMAT_PRECISION)):
        digits = sizes.group(part)
        if digits and (len(digits) > 4 or int(digits) > limit):
            raise ValueError(
                f"fmt {fmt!r:.40} asks for a {part} of {digits:.20}; the limit is {limit}"
            )


@dataclass(frozen=True)
class Frame:
    """One frame of the backward player, drawn over the whole graph.

    Attributes:
        grad_of: the gradient each value shows (None: ``grad ?``, not reached yet).
        names: the name shown in an unlabelled value's box.
        current: the value whose gradient was just completed (outlined in red).
        grad_widths: fixed widths (points) of the grad cells; with them every box
            also gets a border, visible or not, so the layout never moves between
            frames.
    """

    grad_of: Callable[[Value], float | None]
    names: Mapping[Value, str] = field(default_factory=dict)
    current: Value | None = None
    grad_widths: Mapping[Value, int] = field(default_factory=dict)


def as_roots(roots: Value | Iterable[Value]) -> list[Value]:
    """``roots`` (a Value or an iterable of Values) as a non-empty list, or an error
    naming what was passed instead."""
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
