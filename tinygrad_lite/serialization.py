"""Weights in and out: the checks of a state dict and the ``.npz`` files.

`tinygrad_lite.nn` lays its parameters out as named arrays (``Module.state_dict``);
this module checks arrays coming in against that layout and reads and writes
them as ``.npz`` files, so ``nn`` is only about modules:

* `checked_state`: every key and array checked against the expected shapes
  before anything changes (`StateDictError` names the key, what was expected
  and what came).
* `write_npz`: an uncompressed ``.npz`` written atomically at exactly ``path``.
* `read_npz`: every array of an ``.npz`` file, read fully, pickles refused.

``Module.save``, ``Module.load`` and ``Module.load_state_dict`` are built on
these three. A layer of its own in the models layer: it needs only NumPy.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from tinygrad_lite.files import atomic_write

__all__ = ["StateDictError", "checked_array", "checked_state", "read_npz", "write_npz"]


class StateDictError(ValueError):
    """Weights that cannot be loaded: a missing or extra key, a wrong shape or
    dtype, a non-finite number, or a missing or unreadable file. Raised before
    any weight is changed."""


def checked_state(
    state: object,
    shapes: Mapping[str, tuple[int, ...]],
    owner: str,
    allow_non_finite: bool = False,
) -> dict[str, list[float]]:
    """Each key's numbers (C order) from ``state``, once every check has passed.

    The keys of ``state`` must be exactly those of ``shapes`` (``owner``, e.g.
    "MLP", names the model in the message), and each array is checked by
    `checked_array`. Raises `StateDictError` on the first problem."""
    if not isinstance(state, Mapping):
        raise StateDictError(
            f"load_state_dict needs a mapping of names to arrays, got {type(state).__qualname__}"
        )
    missing = [key for key in shapes if key not in state]
    extra = sorted(str(key) for key in state if key not in shapes)
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing key(s) {missing}")
        if extra:
            parts.append(f"unexpected key(s) {extra}")
        raise StateDictError(
            f"{owner} state does not match: {'; '.join(parts)} (expected exactly {list(shapes)})"
        )
    return {
        key: checked_array(key, state[key], shape, allow_non_finite).ravel().tolist()
        for key, shape in shapes.items()
    }


def checked_array(
    key: str, value: object, shape: tuple[int, ...], allow_non_finite: bool
) -> npt.NDArray[np.float64]:
    """``value`` as a float64 array of ``shape``, or `StateDictError` naming ``key``."""
    try:
        array = np.asarray(value)
    except Exception as error:  # ragged lists and odd objects
        raise StateDictError(f"{key!r}: cannot be read as an array ({error})") from error
    if array.dtype.kind not in "iuf":
        raise StateDictError(
            f"{key!r}: expected real numbers (an integer or float dtype), got dtype {array.dtype}"
        )
    if array.shape != shape:
        raise StateDictError(f"{key!r}: expected shape {shape}, got shape {array.shape}")
    array = array.astype(np.float64)
    if not allow_non_finite and not np.all(np.isfinite(array)):
        bad = int(np.count_nonzero(~np.isfinite(array)))
        raise StateDictError(
            f"{key!r}: contains {bad} non-finite number(s) (nan or inf); "
            "pass allow_non_finite=True to load them anyway"
        )
    return array


def write_npz(path: str | os.PathLike[str], arrays: Mapping[str, npt.NDArray[np.float64]]) -> None:
    """Write ``arrays`` to ``path`` as an uncompressed ``.npz`` (no pickle).

    The file is written at exactly ``path`` (NumPy's ``savez`` would append
    ``.npz`` to a name without it), through `tinygrad_lite.files.atomic_write`:
    whole to a fresh temporary file beside it, then renamed over ``path``, so a
    failure part way (a full disk, an interrupt) leaves an existing file at
    ``path`` as it was, and its permission bits are kept."""
    atomic_write(path, lambda file: np.savez(file, **arrays))  # type: ignore[arg-type]


def read_npz(path: str | os.PathLike[str]) -> dict[str, npt.NDArray[np.generic]]:
    """Every array of an ``.npz`` file, read fully (``allow_pickle=False``).

    Raises `StateDictError` naming the file when it is missing, is a
    directory, or is not a complete ``.npz`` archive."""
    name = os.fspath(path)
    if not os.path.exists(name):
        raise StateDictError(f"{name}: no such file")
    if os.path.isdir(name):
        raise StateDictError(f"{name}: is a directory, not an .npz file")
    try:
        # Reading every member now surfaces truncation here, not half way through a load.
        # Our own handle: np.load leaks its file when a truncated zip fails to open.
        with open(name, "rb") as handle:
            loaded = np.load(handle, allow_pickle=False)
            if not isinstance(loaded, np.lib.npyio.NpzFile):
                raise StateDictError(
                    f"{name}: holds a single .npy array, not an .npz archive of named arrays"
                )
            with loaded as archive:
                return {key: archive[key] for key in archive.files}
    except StateDictError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        kind = type(error).__name__
        if type(error).__module__ != "builtins":
            kind = f"{type(error).__module__}.{kind}"  # "zlib.error", not a bare "error"
        raise StateDictError(f"{name}: not a readable .npz archive ({kind}: {error})") from error
