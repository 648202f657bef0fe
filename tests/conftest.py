"""Hypothesis profiles for the whole suite.

``default`` keeps a local run fast; ``ci`` (selected when the CI environment
variable is set, as CI does with CI=true) runs five times as many examples.
Both turn off hypothesis's per-example deadline: the machine is shared and
timings are noisy, and speed is measured by benchmarks/, not by tests.
Choose a profile by hand with HYPOTHESIS_PROFILE=ci.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile("ci", max_examples=500, deadline=None, print_blob=True)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "default")
)
