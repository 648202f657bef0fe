"""The first stack frame outside tinygrad_lite: where warnings and error reports point."""

from __future__ import annotations

import contextlib
import os
from types import FrameType

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
CONTEXTLIB_FILE = contextlib.__file__  # the package's guards run through contextlib's frames


def first_user_frame(frame: FrameType | None) -> tuple[FrameType | None, int]:
    """Walk from ``frame`` out to its callers until a frame not in this package.

    Returns that frame (None if every frame is the package's own) and how many
    frames were skipped on the way (0 when ``frame`` is already the user's).
    """
    skipped = 0
    while frame is not None and (
        frame.f_code.co_filename.startswith(PACKAGE_DIR)
        or frame.f_code.co_filename == CONTEXTLIB_FILE
    ):
        frame = frame.f_back
        skipped += 1
    return frame, skipped
