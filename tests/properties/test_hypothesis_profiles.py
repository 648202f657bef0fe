"""The suite's hypothesis profiles do not depend on how fast the machine is."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings


@pytest.mark.parametrize("name", ["default", "ci"])
def test_profile_has_no_timing_checks(name):
    profile = settings.get_profile(name)
    assert profile.deadline is None
    assert HealthCheck.too_slow in profile.suppress_health_check
