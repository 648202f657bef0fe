"""Writing a file safely: `atomic_write`, the one way the package replaces a file.

Saved weights (``Module.save``), drawings (``save``, ``tinygrad-lite draw -o``)
all go through `atomic_write`, so each of them:

* writes to a new temporary file in the target's directory, created with a
  unique name and ``O_CREAT | O_EXCL | O_NOFOLLOW`` (a symlink or file planted
  at some name is never followed or overwritten, and two saves to the same
  path never share a temporary file);
* flushes it to disk (``fsync``), then renames it over the target
  (``os.replace``, atomic) and flushes the directory, so after a crash the
  target is either the old file or the new one, never half of one;
* removes the temporary file on any exception, leaving an existing target
  as it was;
* keeps the permission bits of a file it replaces (a ``0o600`` file stays
  ``0o600``); a new file gets ``0o666`` less the umask, as ``open`` gives.

Imports nothing from the package.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_write"]

_CREATE_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_ATTEMPTS = 100


def atomic_write(
    path: str | os.PathLike[str], payload: bytes | Callable[[BinaryIO], object]
) -> Path:
    """Replace the file at ``path`` with ``payload`` in one step; returns ``Path(path)``.

    ``payload`` is the bytes to write, or a function given the open binary
    file to write into (an exception it raises propagates, after the
    temporary file is removed). See the module doc for the guarantees."""
    target = Path(path)
    directory = target.parent
    mode = _mode_to_keep(target)
    handle, temporary = _create_temporary(directory, target.name)
    try:
        with os.fdopen(handle, "wb") as file:
            if mode is not None:
                _set_mode(file.fileno(), temporary, mode)
            if callable(payload):
                payload(file)
            else:
                file.write(payload)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
    _sync_directory(directory)
    return target


def _mode_to_keep(target: Path) -> int | None:
    """The permission bits of the regular file at ``target``, or None (no such file)."""
    try:
        status = os.stat(target)
    except FileNotFoundError:
        return None
    return stat.S_IMODE(status.st_mode) if stat.S_ISREG(status.st_mode) else None


def _set_mode(handle: int, name: str, mode: int) -> None:
    """Give the open temporary file the permission bits of the file it replaces."""
    if hasattr(os, "fchmod"):
        os.fchmod(handle, mode)
    else:  # pragma: no cover - Windows before Python 3.13: only the read-only bit exists
        os.chmod(name, mode)


def _create_temporary(directory: Path, name: str) -> tuple[int, str]:
    """A new file ``.<name>.<random>.tmp`` in ``directory``, opened for writing.

    Created with ``O_EXCL | O_NOFOLLOW`` and mode ``0o666`` (the umask applies),
    under a fresh random name until one is free."""
    for _ in range(_ATTEMPTS):
        candidate = os.path.join(directory, f".{name}.{secrets.token_hex(8)}.tmp")
        try:
            return os.open(candidate, _CREATE_FLAGS, 0o666), candidate
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name for {name!r} in {os.fspath(directory)!r}")


def _sync_directory(directory: Path) -> None:
    """Flush the directory entry of a rename to disk (where the system allows it)."""
    try:
        handle = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # e.g. Windows, where a directory cannot be opened
    try:
        with contextlib.suppress(OSError):
            os.fsync(handle)
    finally:
        os.close(handle)
