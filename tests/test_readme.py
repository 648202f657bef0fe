"""The README's code snippets are run as doctests, so the documentation cannot rot."""

from __future__ import annotations

import doctest
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_snippets_run() -> None:
    result = doctest.testfile(
        str(README), module_relative=False, optionflags=doctest.ELLIPSIS, verbose=False
    )
    assert result.attempted > 0, "README has no runnable snippets"
    assert result.failed == 0, f"{result.failed} README snippet(s) failed; run pytest -s to see"
