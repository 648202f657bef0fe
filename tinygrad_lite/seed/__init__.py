"""The seed notebook, reproduced with tinygrad_lite (``tinygrad-lite seed``).

The course is a leaf of the package: it uses only the library's public API
(`tinygrad_lite` and its documented modules), and only the command line
(`tinygrad_lite.cli.seed`, `tinygrad_lite.cli.explain`) imports it.

* `network`: the text's 2-1 network, its hand derivation checked against autograd
  and finite differences, and its update step;
* `report`: the tables ``tinygrad-lite seed`` prints for it;
* `text_cells`: the text's own NumPy cells;
* `experiments`: the two 2-D experiments, without and with an activation;
* `exercises`: the text's five exercises;
* `vanishing`: the appendix on vanishing gradients;
* `figures`: the matplotlib figures of all of them.
"""

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
    "run",
    "text_derivation",
]
