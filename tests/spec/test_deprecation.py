"""Deprecated aliases still work for one release, each with a DeprecationWarning."""

from __future__ import annotations

import pytest

import tinygrad_lite
from tinygrad_lite import losses


def test_save_graph_is_save_with_a_warning() -> None:
    with pytest.warns(
        DeprecationWarning, match=r"tinygrad_lite.save_graph .* use tinygrad_lite.save"
    ):
        assert tinygrad_lite.save_graph is tinygrad_lite.save
    assert "save_graph" not in tinygrad_lite.__all__


def test_mse_is_mean_squared_error_with_a_warning() -> None:
    with pytest.warns(DeprecationWarning, match="removed in 0.2.0; use mean_squared_error"):
        assert losses.mse is losses.mean_squared_error
    assert losses.LOSSES["mse"] is losses.mean_squared_error  # the name for fit(loss=...) stays


def test_unused_helpers_warn() -> None:
    with pytest.warns(DeprecationWarning, match="LossSpec"):
        assert losses.LossFunction is not None


def test_unknown_names_are_still_attribute_errors() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        _ = tinygrad_lite.nothing  # type: ignore[attr-defined]


def test_the_old_engine_module_serves_its_names_from_their_new_homes() -> None:
    from tinygrad_lite import autograd, ops, value

    with pytest.warns(DeprecationWarning, match=r"use tinygrad_lite\.value\.Value instead"):
        from tinygrad_lite.engine import Value
    assert Value is value.Value
    with pytest.warns(DeprecationWarning, match=r"tinygrad_lite\.autograd\.topological_order"):
        from tinygrad_lite.engine import topological_order
    assert topological_order is autograd.topological_order
    with pytest.warns(DeprecationWarning, match=r"tinygrad_lite\.ops\.PowConst"):
        from tinygrad_lite.engine import PowConst
    assert PowConst is ops.PowConst
    with pytest.raises(ImportError):
        from tinygrad_lite.engine import _backward_loop  # noqa: F401 (private, gone)
