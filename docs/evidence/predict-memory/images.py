"""Writes the images predict's peak memory is measured on, into the folder given: a dark stroke
on white paper as 8-bit grayscale and RGBA PNGs at 8192x8192 (the largest side accepted), an
RGBA one at 4896x4896 (the largest square RGBA within the decoder's 96 MiB), a PNG whose
header claims 60000x60000 (refused before decoding); and, near the same 96 MiB, a 16-bit
grayscale, an 8-bit grayscale-with-alpha and a 16-bit RGBA image. Plain zlib, no imaging
library."""
import struct
import sys
import zlib
from pathlib import Path


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png(path, side, channels, claimed=None, depth=8):
    colour = {1: 0, 2: 4, 4: 6}[channels]
    w = h = claimed or side
    header = struct.pack(">IIBBBBB", w, h, depth, colour, 0, 0, 0)
    comp = zlib.compressobj(1)
    data = bytearray()
    x0, x1 = side * 2 // 5, side * 3 // 5
    size = depth // 8
    paper = b"\xff" * (channels * size)
    ink = ((b"\x10" * size) * (channels - 1) if channels > 1 else b"\x10" * size) + (
        b"\xff" * size if channels in (2, 4) else b""
    )
    row_paper = b"\x00" + paper * side
    row_ink = b"\x00" + paper * x0 + ink * (x1 - x0) + paper * (side - x1)
    for y in range(side):
        on = side // 5 <= y < side * 4 // 5
        data += comp.compress(row_ink if on else row_paper)
    data += comp.flush()
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", bytes(data)) + chunk(b"IEND", b""))


out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
png(out / "gray-8192.png", 8192, 1)
png(out / "rgba-8192.png", 8192, 4)
png(out / "rgba-4896.png", 4896, 4)
png(out / "gray16-6928.png", 6928, 1, depth=16)
png(out / "gray-alpha-6928.png", 6928, 2)
png(out / "rgba16-3464.png", 3464, 4, depth=16)
png(out / "bomb-60000.png", 64, 1, claimed=60000)
