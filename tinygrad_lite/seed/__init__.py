"""The seed notebook, reproduced with tinygrad_lite (``tinygrad-lite seed``).

`network`: the text's 2-1 network, its hand derivation checked against autograd
and finite differences, and its update step.
"""

from tinygrad_lite.seed.cli import register_cli
from tinygrad_lite.seed.network import (
    GRADIENT_NAMES,
    TEXT_VALUES,
    GradientRow,
    SeedNetworkReport,
    build_network,
    run,
    text_derivation,
)

__all__ = [
    "GRADIENT_NAMES",
    "TEXT_VALUES",
    "GradientRow",
    "SeedNetworkReport",
    "build_network",
    "register_cli",
    "run",
    "text_derivation",
]
