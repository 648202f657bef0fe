"""The README's code snippets are run as doctests, so the documentation cannot rot."""

from __future__ import annotations

import doctest
import tempfile
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_snippets_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the snippets' temp files go
    result = doctest.testfile(
        str(README), module_relative=False, optionflags=doctest.ELLIPSIS, verbose=False
    )
    assert result.attempted > 0, "README has no runnable snippets"
    assert result.failed == 0, f"{result.failed} README snippet(s) failed; run pytest -s to see"
    assert list(tmp_path.iterdir()) == [], "README snippets left temporary files behind"
