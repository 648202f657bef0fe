"""The seed's first 2-D experiment: a 2-16-1 network without activation function.

Trains the text's network (its data, initial weights, lr 1e-4, 1000 epochs) with
tinygrad_lite's scalar MLP, runs the text's NumPy cell side by side, prints the
wall times and the largest weight difference (must be <= 1e-9), and draws the
decision boundary and the loss curve.

Same as ``tinygrad-lite seed no-activation``. Figures go to ``--out`` (default ``out/``).

Run: ``python demos/no_activation.py [--json] [--out DIR] [--epochs N] [--quick]``
"""

import sys

from tinygrad_lite.cli import main

if __name__ == "__main__":
    sys.exit(main(["seed", "no-activation", *sys.argv[1:]]))
