"""demos/property_test_your_op.py: the buggy softplus fails its property test, the right passes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from shared_helpers import load_demo

from tinygrad_lite import Value
from tinygrad_lite.testing import GradcheckError, gradgradcheck

DEMO = Path(__file__).resolve().parents[2] / "demos" / "property_test_your_op.py"


def _demo() -> ModuleType:
    return load_demo("property_test_your_op")


def test_demo_runs_and_shows_the_failure_then_the_pass() -> None:
    result = subprocess.run([sys.executable, str(DEMO)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "the property test FAILED, as it should" in out
    assert "Failing test case: test_softplus_gradient(" in out
    assert "f = w*softplus(x) + x" in out
    mismatch = [line for line in out.splitlines() if "<-- mismatch" in line]
    assert len(mismatch) == 1 and mismatch[0].strip().startswith("d f/d x ")
    assert out.rstrip().endswith("every derivative matches.")


def test_the_buggy_op_fails_and_the_right_one_passes_its_property_test() -> None:
    demo = _demo()
    with pytest.raises(GradcheckError):
        demo.property_test(demo.SoftplusWithABug())()
    demo.property_test(demo.Softplus())()  # raises if any point fails


def test_the_demo_softplus_has_right_second_derivatives_too() -> None:
    demo = _demo()
    x = Value(0.3)
    assert demo.softplus(x).data == pytest.approx(0.8543552444685271, rel=1e-15)  # log(1+e^0.3)
    assert gradgradcheck(
        lambda v: demo.softplus(v) * v,
        [
            0.3,
        ][:1],
    )
