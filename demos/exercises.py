"""The seed's exercises: epochs, learning rate, hidden size, mini-batches, batch size.

Each exercise prints a two-line observation computed from its runs and saves a
figure; mini-batch orders come from --seed, so every run is reproducible.

Same as ``tinygrad-lite seed exercises``. Figures go to ``--out`` (default ``out/``).

Run: ``python demos/exercises.py [--json] [--out DIR] [--quick] [--seed S]``
"""

import sys

from tinygrad_lite.cli import main

if __name__ == "__main__":
    sys.exit(main(["seed", "exercises", *sys.argv[1:]]))
