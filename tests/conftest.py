"""Hypothesis profiles for the whole suite.

``default`` keeps a local run fast; ``ci`` (selected when the CI environment
variable is set, as CI does with CI=true) runs five times as many examples.
Both turn off hypothesis's per-example deadline and its ``too_slow`` health
check: the machine is shared (2 cores under several jobs) and timings are
noisy, strategies such as ``expressions()`` and ``mlps()`` evaluate NumPy while
drawing, and speed is measured by benchmarks/, not by tests.
Choose a profile by hand with HYPOTHESIS_PROFILE=ci.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# Timing-based health check off in both profiles, for the same reason as the deadline.
_MACHINE_SPEED_INDEPENDENT = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("default", max_examples=100, **_MACHINE_SPEED_INDEPENDENT)
settings.register_profile("ci", max_examples=500, print_blob=True, **_MACHINE_SPEED_INDEPENDENT)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "default")
)
