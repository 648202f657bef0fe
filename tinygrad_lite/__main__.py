"""`python -m tinygrad_lite` runs the command line."""

import sys

from tinygrad_lite.cli import main

sys.exit(main())
