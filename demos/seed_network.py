"""The seed notebook's 2-1 network, rebuilt with tinygrad_lite.

Prints the forward values next to the text's NumPy cells (bit for bit), every
gradient the text derives by hand next to autograd and a finite difference
(with an explanation wherever the text is wrong), the text's update step, and
writes the computation graph. Same as ``tinygrad-lite seed network``.

Run: ``python demos/seed_network.py [--json] [--out DIR]``
"""

import sys

from tinygrad_lite.cli import main

if __name__ == "__main__":
    sys.exit(main(["seed", "network", *sys.argv[1:]]))
