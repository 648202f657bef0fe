"""`tinygrad_lite.files.atomic_write`: the one safe writer behind saved weights and drawings."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path
from typing import BinaryIO

import pytest

from tinygrad_lite.files import atomic_write
from tinygrad_lite.nn import MLP

posix_only = pytest.mark.skipif(os.name != "posix", reason="symlinks and modes as on POSIX")


def test_bytes_and_a_writer_function_both_replace_the_file(tmp_path: Path) -> None:
    path = tmp_path / "out.bin"
    assert atomic_write(path, b"first") == path
    atomic_write(str(path), lambda file: file.write(b"second"))
    assert path.read_bytes() == b"second"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


@posix_only
def test_a_symlink_planted_at_the_old_partial_name_is_neither_followed_nor_renamed(
    tmp_path: Path,
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    path = tmp_path / "weights.npz"
    planted = tmp_path / "weights.npz.partial"  # the fixed name earlier versions wrote to
    planted.symlink_to(victim)
    MLP(2, [3, 1], seed=0).save(path)
    assert victim.read_text() == "keep me"
    assert planted.is_symlink() and os.readlink(planted) == str(victim)
    assert path.is_file() and not path.is_symlink()
    with pytest.raises(FileExistsError):  # the trap itself stays put
        os.open(planted, os.O_WRONLY | os.O_CREAT | os.O_EXCL)


def test_concurrent_saves_to_the_same_path_all_succeed(tmp_path: Path) -> None:
    path = tmp_path / "weights.npz"
    models = [MLP(2, [8, 1], seed=seed) for seed in range(8)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(models))

    def save(model: MLP) -> None:
        start.wait()
        try:
            for _ in range(5):
                model.save(path)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=save, args=(model,)) for model in models]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    loaded = MLP(2, [8, 1], seed=99)
    loaded.load(path)  # a whole file from one of the saves, not a mixture
    snapshots = [[p.data for p in model.parameters()] for model in models]
    assert [p.data for p in loaded.parameters()] in snapshots
    assert [p.name for p in tmp_path.iterdir()] == ["weights.npz"]


def test_no_temporary_file_is_left_when_the_writer_raises(tmp_path: Path) -> None:
    path = tmp_path / "out.bin"
    path.write_bytes(b"old")

    def half_then_fail(file: BinaryIO) -> None:
        file.write(b"half")
        raise RuntimeError("writer failed")

    with pytest.raises(RuntimeError, match="writer failed"):
        atomic_write(path, half_then_fail)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]
    with pytest.raises(KeyboardInterrupt):
        atomic_write(tmp_path / "new.bin", lambda file: (_ for _ in ()).throw(KeyboardInterrupt))
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_the_file_and_its_directory_are_flushed_before_and_after_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(handle: int) -> None:
        events.append("fsync dir" if stat.S_ISDIR(os.fstat(handle).st_mode) else "fsync file")
        real_fsync(handle)

    def replace(source: str, target: str) -> None:
        events.append("replace")
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    atomic_write(tmp_path / "out.bin", b"data")
    expected = ["fsync file", "replace", "fsync dir"] if os.name == "posix" else events
    assert events == expected


@posix_only
def test_a_file_saved_over_keeps_its_permission_bits(tmp_path: Path) -> None:
    path = tmp_path / "weights.npz"
    path.write_bytes(b"old")
    path.chmod(0o600)
    MLP(2, [3, 1], seed=0).save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o640)
    atomic_write(path, b"new")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


@posix_only
def test_a_new_file_gets_the_usual_mode_under_the_umask(tmp_path: Path) -> None:
    old_umask = os.umask(0o027)
    try:
        MLP(2, [3, 1], seed=0).save(tmp_path / "new.npz")
        atomic_write(tmp_path / "new.bin", b"data")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE((tmp_path / "new.npz").stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "new.bin").stat().st_mode) == 0o640
