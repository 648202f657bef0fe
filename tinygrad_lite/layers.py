"""The package's layers, lowest first: the one written statement of which module may import which.

A module imports only from its own layer or a lower one, and never in a cycle
(within a layer neither). Imports sit at the top of a module: an import inside
a function is allowed only for an optional third-party package
(`OPTIONAL_THIRD_PARTY`), and a module-level import under an ``if`` only where
`CONDITIONAL_IMPORTS` names it. No module imports a ``_private`` name from
another module: a name two modules need is a documented internal API without
the underscore. ``tests/spec/test_layers.py`` checks all of this on every module;
the README's "Architecture" section shows the same map.

Pure data: this module imports nothing from the package.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

PACKAGE = "tinygrad_lite"

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "core",
        (
            "tinygrad_lite._frames",
            "tinygrad_lite.deprecation",
            "tinygrad_lite.checks",
            "tinygrad_lite.files",
            "tinygrad_lite.naming",
            "tinygrad_lite.ops",
            "tinygrad_lite.autograd_machinery",
            "tinygrad_lite.autograd",
            "tinygrad_lite.value",
            "tinygrad_lite.engine",
            "tinygrad_lite.layers",
        ),
    ),
    (
        "models",
        (
            "tinygrad_lite.parameter_names",
            "tinygrad_lite.serialization",
            "tinygrad_lite.nn",
            "tinygrad_lite.losses",
            "tinygrad_lite.optim",
            "tinygrad_lite.datasets",
        ),
    ),
    ("training", ("tinygrad_lite.trace", "tinygrad_lite.training")),
    (
        "tools",
        (
            "tinygrad_lite.explain",
            "tinygrad_lite.derivation",
            "tinygrad_lite.forward",
            "tinygrad_lite.anomaly",
            "tinygrad_lite.drawing",
            "tinygrad_lite.viz",
            "tinygrad_lite.player",
            "tinygrad_lite.expression",
            "tinygrad_lite.demo_graphs",
            "tinygrad_lite.testing",
        ),
    ),
    ("api", ("tinygrad_lite",)),
    ("course", ("tinygrad_lite.seed", "tinygrad_lite.cli", "tinygrad_lite.__main__")),
)
"""(layer name, its modules), lowest layer first. A package listed here (``tinygrad_lite.testing``)
covers its submodules too; the package root ``tinygrad_lite`` covers only ``__init__``."""

LAYER_NAMES: tuple[str, ...] = tuple(name for name, _ in LAYERS)

LAYER_OF: Mapping[str, int] = MappingProxyType(
    {module: rank for rank, (_, modules) in enumerate(LAYERS) for module in modules}
)
"""Module (or package) -> its layer's position in `LAYERS` (0 is the lowest)."""

ONLY_USES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"tinygrad_lite.testing": ("core", "tinygrad_lite.nn")}
)
"""Stricter rules for some packages: outside itself, the package may import only from these
layers (by name) or modules. The testing kit checks any engine-built model, so it rests on
the core (and the networks) alone."""

PUBLIC_API: tuple[str, ...] = (
    "tinygrad_lite",
    "tinygrad_lite.nn",
    "tinygrad_lite.losses",
    "tinygrad_lite.optim",
    "tinygrad_lite.datasets",
    "tinygrad_lite.training",
    "tinygrad_lite.trace",
    "tinygrad_lite.demo_graphs",
    "tinygrad_lite.testing",
    "tinygrad_lite.testing.reference",
    "tinygrad_lite.testing.gradcheck",
)
"""The modules whose names (without a leading underscore) are the documented public API:
the package root's exports and the modules the README documents by name."""

PUBLIC_API_ONLY: tuple[str, ...] = ("tinygrad_lite.seed",)
"""Packages that, outside themselves, import only from `PUBLIC_API`: the course is written
as any user of the library would write it."""

IMPORTED_ONLY_BY: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"tinygrad_lite.seed": ("tinygrad_lite.cli",)}
)
"""Leaves: a package that, outside itself, only these modules (or packages) may import."""

OPTIONAL_THIRD_PARTY: tuple[str, ...] = ("matplotlib", "tqdm", "hypothesis")
"""Optional dependencies (the ``demos`` and ``testing`` extras), the only imports allowed
inside a function: made where they are needed, so the rest works without them."""

CONDITIONAL_IMPORTS: Mapping[tuple[str, str], str] = MappingProxyType(
    {
        ("tinygrad_lite.testing", "tinygrad_lite.testing.strategies"): (
            "the strategies need hypothesis, an optional dependency: the kit imports them "
            "when it is installed"
        ),
    }
)
"""(importer, imported) -> why: the only package imports allowed under a module-level ``if``."""
