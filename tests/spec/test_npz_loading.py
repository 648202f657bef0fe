"""`Module.load` checks a file's zip directory and ``.npy`` headers before reading any data.

The files here are crafted: a zip entry's directory record says what its
member holds (flag bits, compression method, sizes), and a ``.npy`` header
says the dtype and shape. A file that lies in either is refused with the key
named, at once, without large allocations, and the model keeps its weights.
"""

from __future__ import annotations

import io
import os
import struct
import threading
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tinygrad_lite.nn import MLP
from tinygrad_lite.serialization import StateDictError

SHAPES = {"W1": (2, 5), "b1": (1, 5), "W2": (5, 1), "b2": (1, 1)}


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _npy_header(shape: tuple[int, ...], dtype: str = "<f8") -> bytes:
    """A ``.npy`` header alone, declaring ``shape`` (no data follows)."""
    buffer = io.BytesIO()
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


def _write_zip(
    path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_STORED
) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _valid_members() -> dict[str, bytes]:
    return {f"{key}.npy": _npy(array) for key, array in MLP(2, [5, 1], seed=1).state_dict().items()}


def _patch_directory(path: Path, member: str, offset: int, fmt: str, value: int) -> Path:
    """Overwrite one field of ``member``'s central-directory record (the zip's index)."""
    data = bytearray(path.read_bytes())
    position = data.find(b"PK\x01\x02")
    while position != -1:
        (name_length,) = struct.unpack_from("<H", data, position + 28)
        if data[position + 46 : position + 46 + name_length] == member.encode():
            struct.pack_into(fmt, data, position + offset, value)
            path.write_bytes(bytes(data))
            return path
        position = data.find(b"PK\x01\x02", position + 4)
    raise AssertionError(f"no directory record for {member}")


# Offsets in a central-directory record (APPNOTE 4.3.12).
VERSION_NEEDED, FLAGS, METHOD, COMPRESSED_SIZE, SIZE = 6, 8, 10, 20, 24


def _huge_extra_member(d: Path) -> Path:
    path = _write_zip(d / "extra.npz", {**_valid_members(), "junk.npy": b"x" * 64})
    return _patch_directory(path, "junk.npy", SIZE, "<I", 0xFFFF_FFF0)  # claims ~4 GB


def _compressed_extra_member(d: Path) -> Path:
    # 64 MiB of zeros deflate to about 64 KiB: reading the member would inflate all of it.
    path = _write_zip(d / "bomb.npz", _valid_members(), zipfile.ZIP_DEFLATED)
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("junk.npy", "w") as member,
    ):
        for _ in range(64):
            member.write(bytes(2**20))
    return path


def _huge_declared_shape(d: Path) -> Path:
    members = {**_valid_members(), "W1.npy": _npy_header((10**12,)) + b"\0" * 64}
    return _write_zip(d / "shape.npz", members)


def _quarter_billion_floats(d: Path) -> Path:
    members = {**_valid_members(), "b2.npy": _npy_header((250_000_000,)) + b"\0" * 8}
    return _write_zip(d / "floats.npz", members)


def _two_gigabyte_entry(d: Path) -> Path:
    path = _write_zip(d / "big.npz", _valid_members())
    return _patch_directory(path, "W1.npy", SIZE, "<I", 2_000_000_000)


def _wrong_dtype(d: Path) -> Path:
    members = {**_valid_members(), "W2.npy": _npy(np.zeros((5, 1), dtype=np.complex128))}
    return _write_zip(d / "dtype.npz", members)


def _flag_bits(bits: int) -> Callable[[Path], Path]:
    def write(d: Path) -> Path:
        path = _write_zip(d / "flags.npz", _valid_members())
        return _patch_directory(path, "b1.npy", FLAGS, "<H", bits)

    return write


def _unknown_method(d: Path) -> Path:
    path = _write_zip(d / "method.npz", _valid_members())
    return _patch_directory(path, "W1.npy", METHOD, "<H", 99)


def _odd_version(d: Path) -> Path:
    path = _write_zip(d / "version.npz", _valid_members())
    return _patch_directory(path, "W1.npy", VERSION_NEEDED, "<H", 99)


def _short_member(d: Path) -> Path:
    members = {**_valid_members(), "W1.npy": _npy(np.zeros((2, 5)))[:-40]}  # 5 floats missing
    return _write_zip(d / "short.npz", members)


def _truncated_compressed_member(d: Path) -> Path:
    path = _write_zip(d / "cut.npz", _valid_members(), zipfile.ZIP_DEFLATED)
    with zipfile.ZipFile(path) as archive:
        size = archive.getinfo("W1.npy").compress_size
    return _patch_directory(path, "W1.npy", COMPRESSED_SIZE, "<I", size // 2)


CASES = [
    (
        _compressed_extra_member,
        r"bomb.npz: MLP state does not match: unexpected key\(s\) \['junk'\]",
    ),
    (_huge_extra_member, r"extra.npz: MLP state does not match: unexpected key\(s\) \['junk'\]"),
    (_huge_declared_shape, r"'W1': expected shape \(2, 5\), got shape \(1000000000000,\)"),
    (_quarter_billion_floats, r"'b2': expected shape \(1, 1\), got shape \(250000000,\)"),
    (_two_gigabyte_entry, r"member 'W1' declares 2000000000 bytes uncompressed, more than"),
    (_wrong_dtype, r"'W2': expected real numbers .* got dtype complex128"),
    (_flag_bits(0x0001), r"member 'b1' has zip flag bits 0x0001 \(encrypted"),
    (_flag_bits(0x0020), r"member 'b1' has zip flag bits 0x0020"),
    (_flag_bits(0x0040), r"member 'b1' has zip flag bits 0x0040"),
    (_unknown_method, r"member 'W1' uses unknown compression method 99"),
    (_odd_version, r"version.npz: not a readable .npz archive .*zip file version 9.9"),
    (_short_member, r"member 'W1' is 168 bytes uncompressed, but its header .* needs 208"),
    (_truncated_compressed_member, r"member 'W1' is not a readable \.npy array .*Bad CRC-32"),
]


@pytest.mark.parametrize(
    ("make_file", "message"),
    CASES,
    ids=[f"{i}-{f.__name__.strip('_')}" for i, (f, _) in enumerate(CASES)],
)
def test_a_lying_file_is_refused_at_once_and_changes_nothing(
    tmp_path: Path, make_file: Callable[[Path], Path], message: str
) -> None:
    path = make_file(tmp_path)
    model = MLP(2, [5, 1], seed=2)
    before = [p.data for p in model.parameters()]
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(StateDictError, match=message):
            model.load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 2.0
    assert peak < 2_000_000, f"allocated {peak} bytes"
    assert [p.data for p in model.parameters()] == before


def test_a_crafted_but_honest_file_still_loads(tmp_path: Path) -> None:
    # The same zip writer as the cases above, and a compressed archive: both load.
    source = MLP(2, [5, 1], seed=1)
    for compression in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        path = _write_zip(tmp_path / f"ok{compression}.npz", _valid_members(), compression)
        model = MLP(2, [5, 1], seed=2)
        model.load(path)
        assert [p.data for p in model.parameters()] == [p.data for p in source.parameters()]
    fortran = {k: np.asfortranarray(v) for k, v in source.state_dict().items()}
    np.savez(tmp_path / "fortran.npz", **fortran)
    model = MLP(2, [5, 1], seed=2)
    model.load(tmp_path / "fortran.npz")
    assert [p.data for p in model.parameters()] == [p.data for p in source.parameters()]


def _load_in_thread(path: Path) -> tuple[threading.Thread, list[BaseException]]:
    raised: list[BaseException] = []

    def load() -> None:
        try:
            MLP(2, [5, 1], seed=2).load(path)
        except BaseException as error:
            raised.append(error)

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(timeout=5)
    return thread, raised


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_is_refused_at_once_instead_of_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "weights.npz"
    os.mkfifo(fifo)
    thread, raised = _load_in_thread(fifo)
    if thread.is_alive():  # unblock the stuck reader so the test run can end
        with open(fifo, "wb"):
            pass
        thread.join(timeout=5)
        pytest.fail("load blocked on a FIFO")
    assert len(raised) == 1 and isinstance(raised[0], StateDictError)
    assert str(raised[0]) == f"{fifo}: is a FIFO, not a regular .npz file"


def test_a_directory_is_refused(tmp_path: Path) -> None:
    _, raised = _load_in_thread(tmp_path)
    assert len(raised) == 1 and isinstance(raised[0], StateDictError)
    assert str(raised[0]) == f"{tmp_path}: is a directory, not an .npz file"
