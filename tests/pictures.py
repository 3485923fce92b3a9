"""A real PNG made without any imaging library: a logo for the organisation settings tests."""

from __future__ import annotations

import struct
import zlib


def png(width: int = 120, height: int = 40) -> bytes:
    """An RGB picture: a blue band over white, so a reader can tell it was drawn."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    rows = b"".join(
        b"\x00" + (b"\x2b\x6c\xb0" if y < height // 2 else b"\xff\xff\xff") * width
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
