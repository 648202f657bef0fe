"""Drawing a seed figure leaves the caller's matplotlib set-up alone."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from seed_helpers import png_size

# Run in a fresh interpreter: the backend is process-wide, and the test must start
# from a backend of the caller's choosing, as a notebook does.
SCRIPT = textwrap.dedent(
    """
    import sys
    import matplotlib

    matplotlib.use("svg")  # the caller's choice; any backend other than Agg shows a switch
    from tinygrad_lite.seed import figures

    figures.loss_curves({"a": [3.0, 2.0, 1.0]}, "title", sys.argv[1])
    print(matplotlib.get_backend(), "matplotlib.pyplot" in sys.modules)
    """
)


def test_drawing_a_figure_keeps_the_backend(tmp_path):
    path = tmp_path / "loss.png"
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(path)], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["svg", "False"]
    width, height = png_size(path)
    assert width > 100 and height > 100
