"""The seed's second 2-D experiment: the same network with sigmoid activations.

Trains the text's network (its data, initial weights, lr 0.01, 10000 epochs) with
tinygrad_lite's scalar MLP, runs the text's NumPy cell side by side, prints the
wall times and the largest weight difference (must be <= 1e-9), and draws the
decision boundary and the loss curve.

Same as ``tinygrad-lite seed sigmoid-activation``. Figures go to ``--out`` (default ``out/``).

Run: ``python demos/sigmoid_activation.py [--json] [--out DIR] [--epochs N] [--quick]``
"""

import sys

from tinygrad_lite.cli import main

if __name__ == "__main__":
    sys.exit(main(["seed", "sigmoid-activation", *sys.argv[1:]]))
