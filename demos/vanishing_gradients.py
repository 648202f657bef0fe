"""The seed's appendix: vanishing gradients in a 10-layer MLP.

Prints the mean |dL/dW| of every layer after one backward pass for sigmoid,
tanh and relu (two initialisations), the first/last layer ratios, and a
log-scale plot.

Same as ``tinygrad-lite seed vanishing-gradients``. Figures go to ``--out`` (default ``out/``).

Run: ``python demos/vanishing_gradients.py [--json] [--out DIR] [--quick]``
"""

import sys

from tinygrad_lite.cli import main

if __name__ == "__main__":
    sys.exit(main(["seed", "vanishing-gradients", *sys.argv[1:]]))
