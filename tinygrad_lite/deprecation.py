"""Deprecated names: kept for one release, each warning when it is used.

A module lists its deprecated names and sets its ``__getattr__`` with
`deprecated_names`; reading one of them (``tinygrad_lite.save_graph``,
``from tinygrad_lite.losses import mse``) gives the object as before and a
`DeprecationWarning` saying what to use instead. The names are listed in
CHANGELOG.md with the release that removes them.

At the bottom of the core layer: it imports nothing from the package.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping

__all__ = ["REMOVED_IN", "deprecated_names"]

REMOVED_IN = "0.2.0"
"""The release that removes the names deprecated now."""


def deprecated_names(
    module: str, names: Mapping[str, tuple[object, str]]
) -> Callable[[str], object]:
    """A module ``__getattr__`` serving ``names`` (``old name -> (object, what to use
    instead)``) with a `DeprecationWarning`; any other name is an AttributeError."""

    def __getattr__(name: str) -> object:
        if name not in names:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        value, instead = names[name]
        warnings.warn(
            f"{module}.{name} is deprecated and will be removed in {REMOVED_IN}; "
            f"use {instead} instead",
            DeprecationWarning,
            stacklevel=2,
        )
        return value

    return __getattr__
