"""Weights in and out: the checks of a state dict and the ``.npz`` files.

`tinygrad_lite.nn` lays its parameters out as named arrays (``Module.state_dict``);
this module checks arrays coming in against that layout and reads and writes
them as ``.npz`` files, so ``nn`` is only about modules:

* `checked_state`: every key and array checked against the expected shapes
  before anything changes (`StateDictError` names the key, what was expected
  and what came).
* `write_npz`: an uncompressed ``.npz`` written atomically at exactly ``path``.
* `read_npz`: the arrays of an ``.npz`` file, each member's zip entry and
  ``.npy`` header checked against the expected keys, dtypes and shapes before
  any data is read (never more than the model's own size), pickles refused.

``Module.save``, ``Module.load`` and ``Module.load_state_dict`` are built on
these three. A layer of its own in the models layer: it needs only NumPy.
"""

from __future__ import annotations

import math
import os
import stat
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from tinygrad_lite.files import atomic_write

__all__ = [
    "StateDictError",
    "check_keys",
    "checked_array",
    "checked_dtype",
    "checked_state",
    "read_npz",
    "write_npz",
]


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
    check_keys(state, shapes, owner)
    return {
        key: checked_array(key, state[key], shape, allow_non_finite).ravel().tolist()
        for key, shape in shapes.items()
    }


def check_keys(keys: Iterable[object], shapes: Mapping[str, tuple[int, ...]], owner: str) -> None:
    """`StateDictError` unless ``keys`` are exactly the keys of ``shapes``."""
    present = set(keys)
    missing = [key for key in shapes if key not in present]
    extra = sorted(str(key) for key in present if key not in shapes)
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing key(s) {missing}")
        if extra:
            parts.append(f"unexpected key(s) {extra}")
        raise StateDictError(
            f"{owner} state does not match: {'; '.join(parts)} (expected exactly {list(shapes)})"
        )


def checked_dtype(key: str, dtype: np.dtype[np.generic]) -> None:
    """`StateDictError` naming ``key`` unless ``dtype`` holds real numbers (integers or floats)."""
    if dtype.kind not in "iuf":
        raise StateDictError(
            f"{key!r}: expected real numbers (an integer or float dtype), got dtype {dtype}"
        )


def checked_array(
    key: str, value: object, shape: tuple[int, ...], allow_non_finite: bool
) -> npt.NDArray[np.float64]:
    """``value`` as a float64 array of ``shape``, or `StateDictError` naming ``key``."""
    try:
        array = np.asarray(value)
    except Exception as error:  # ragged lists and odd objects
        raise StateDictError(f"{key!r}: cannot be read as an array ({error})") from error
    checked_dtype(key, array.dtype)
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


def read_npz(
    path: str | os.PathLike[str], shapes: Mapping[str, tuple[int, ...]], owner: str
) -> dict[str, npt.NDArray[np.generic]]:
    """The arrays of the ``.npz`` file at ``path``, checked against ``shapes`` before any
    data is read (``owner``, e.g. "MLP", names the model in messages).

    Only a regular file is opened (a FIFO or a device is refused at once, never
    waited on). The zip directory and each member's ``.npy`` header come first:
    the member names must be exactly the keys of ``shapes``, each member must be
    stored or deflated without encryption, its uncompressed size must be what
    its header's dtype (a real-number dtype) and shape (the expected one) need.
    Only then is the data read, never more than those sizes, so a crafted file
    cannot make the load allocate or decompress more than the model holds.
    Pickles are refused. Raises `StateDictError` naming the file, the key and
    the problem."""
    name = os.fspath(path)
    try:
        with _open_regular_file(name) as handle:
            if handle.read(len(NPY_MAGIC)) == NPY_MAGIC:
                raise StateDictError(
                    "holds a single .npy array, not an .npz archive of named arrays"
                )
            handle.seek(0)
            with zipfile.ZipFile(handle) as archive:
                members = _members_by_key(archive, shapes, owner)
                headers = {
                    key: _member_header(archive, info, key, shapes[key])
                    for key, info in members.items()
                }
                return {
                    key: _member_array(archive, members[key], key, *headers[key], shapes[key])
                    for key in shapes
                }
    except StateDictError as error:
        raise StateDictError(f"{name}: {error}") from None
    except READ_ERRORS as error:
        raise StateDictError(f"{name}: not a readable .npz archive ({_kind(error)})") from error


NPY_MAGIC = b"\x93NUMPY"
MAX_NPY_HEADER = 10_000
"""The longest ``.npy`` header read (NumPy's own default limit)."""
ALLOWED_FLAG_BITS = 0x0002 | 0x0004 | 0x0008 | 0x0800
"""Zip flag bits a member may carry: deflate options, data descriptor, UTF-8 name."""
READ_ERRORS = (
    OSError,
    ValueError,
    EOFError,
    zipfile.BadZipFile,
    zlib.error,
    NotImplementedError,
    RuntimeError,
)


def _kind(error: BaseException) -> str:
    kind = type(error).__name__
    if type(error).__module__ != "builtins":
        kind = f"{type(error).__module__}.{kind}"  # "zlib.error", not a bare "error"
    return f"{kind}: {error}"


def _open_regular_file(name: str) -> BinaryIO:
    """``name`` opened for reading, or `StateDictError` when it is missing or is not a
    regular file. Opened without blocking, so a FIFO is refused instead of waited on."""
    if not os.path.exists(name):
        raise StateDictError("no such file")
    if os.path.isdir(name):
        raise StateDictError("is a directory, not an .npz file")
    handle = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(handle).st_mode
        if not stat.S_ISREG(mode):
            kind = "a FIFO" if stat.S_ISFIFO(mode) else "a device, socket or other special file"
            raise StateDictError(f"is {kind}, not a regular .npz file")
        return os.fdopen(handle, "rb")
    except BaseException:
        os.close(handle)
        raise


def _members_by_key(
    archive: zipfile.ZipFile, shapes: Mapping[str, tuple[int, ...]], owner: str
) -> dict[str, zipfile.ZipInfo]:
    """Member of each key (``W1`` is ``W1.npy``); the keys must be exactly ``shapes``'s."""
    members: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        key = info.filename.removesuffix(".npy")
        if key in members:
            raise StateDictError(f"not a readable .npz archive: member {key!r} appears twice")
        members[key] = info
    check_keys(members, shapes, owner)
    return members


def _member_header(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, key: str, shape: tuple[int, ...]
) -> tuple[np.dtype[np.generic], bool, int]:
    """``(dtype, fortran_order, header length)`` of a member, checked against ``shape``.

    The zip entry is checked first (flags, compression, its declared size
    against the most a ``shape`` array can take), then its ``.npy`` header."""
    problem = f"not a readable .npz archive: member {key!r}"
    if info.flag_bits & ~ALLOWED_FLAG_BITS:
        raise StateDictError(
            f"{problem} has zip flag bits 0x{info.flag_bits:04x} (encrypted or another "
            "unsupported feature)"
        )
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise StateDictError(f"{problem} uses unknown compression method {info.compress_type}")
    count = math.prod(shape)
    largest = len(NPY_MAGIC) + 4 + MAX_NPY_HEADER + count * np.dtype(np.longdouble).itemsize
    if info.file_size > largest:
        raise StateDictError(
            f"{problem} declares {info.file_size} bytes uncompressed, more than an array "
            f"of shape {shape} can take ({largest} at most)"
        )
    try:
        with archive.open(info) as stream:
            version = np.lib.format.read_magic(stream)
            if version == (1, 0):
                header = np.lib.format.read_array_header_1_0(stream, MAX_NPY_HEADER)
            elif version == (2, 0):
                header = np.lib.format.read_array_header_2_0(stream, MAX_NPY_HEADER)
            else:
                raise ValueError(f".npy format version {version} is not supported")
            header_length = stream.tell()
    except READ_ERRORS as error:
        raise StateDictError(f"{problem} is not a readable .npy array ({_kind(error)})") from error
    declared_shape, fortran_order, dtype = header
    checked_dtype(key, dtype)
    if declared_shape != shape:
        raise StateDictError(f"{key!r}: expected shape {shape}, got shape {declared_shape}")
    needed = header_length + count * dtype.itemsize
    if info.file_size != needed:
        raise StateDictError(
            f"{problem} is {info.file_size} bytes uncompressed, but its header "
            f"(dtype {dtype}, shape {shape}) needs {needed}"
        )
    return dtype, bool(fortran_order), header_length


def _member_array(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    key: str,
    dtype: np.dtype[np.generic],
    fortran_order: bool,
    header_length: int,
    shape: tuple[int, ...],
) -> npt.NDArray[np.generic]:
    """A member's array, read after its header was checked: exactly the declared bytes,
    with the zip's CRC checked at the end."""
    size = math.prod(shape) * dtype.itemsize
    try:
        with archive.open(info) as stream:
            stream.read(header_length)
            data = stream.read(size + 1)  # reads to the end, so the CRC is checked
    except READ_ERRORS as error:
        raise StateDictError(
            f"not a readable .npz archive: member {key!r} is corrupted ({_kind(error)})"
        ) from error
    if len(data) != size:
        raise StateDictError(
            f"not a readable .npz archive: member {key!r} holds {len(data)} bytes of data, "
            f"not {size}"
        )
    array = np.frombuffer(data, dtype=dtype)
    return array.reshape(shape, order="F" if fortran_order else "C")
