"""Helpers shared by the seed-notebook tests."""

from __future__ import annotations

import zlib
from pathlib import Path

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) of a valid PNG, checking its signature, chunk CRCs and that the
    image data decompresses; raises AssertionError otherwise."""
    data = Path(path).read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    position, idat, size = 8, b"", None
    while position < len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        crc = int.from_bytes(data[position + 8 + length : position + 12 + length], "big")
        assert zlib.crc32(kind + body) == crc, f"{path}: bad CRC in {kind!r} chunk"
        if kind == b"IHDR":
            size = (int.from_bytes(body[:4], "big"), int.from_bytes(body[4:8], "big"))
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        position += 12 + length
    assert size is not None and idat, f"{path}: no IHDR or IDAT chunk"
    zlib.decompress(idat)
    return size
