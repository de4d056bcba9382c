"""Writes the images predict's peak memory is measured on, into the folder given: a dark stroke
on white paper as 8-bit grayscale and RGBA PNGs at 8192x8192 (the largest side accepted), an
RGBA one at 5016x5016 (the largest square RGBA within the decoder's 96 MiB), a PNG whose
header claims 60000x60000 (refused before decoding); near the same 96 MiB, a 16-bit
grayscale, an 8-bit grayscale-with-alpha and a 16-bit RGBA image; with --jpeg, JPEGs at and
beyond their own budget (through Pillow). The PNGs need plain zlib only.

    python3 images.py OUT [--jpeg]"""
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


def jpeg(path, w, h, mode, progressive):
    """A stroke on paper as a JPEG, through Pillow (the only file here that needs it)."""
    from PIL import Image, ImageDraw

    image = Image.new(mode, (w, h), 255 if mode == "L" else (255, 255, 255))
    ImageDraw.Draw(image).rectangle(
        [w * 2 // 5, h // 5, w * 3 // 5, h * 4 // 5], fill=16 if mode == "L" else (16, 16, 16)
    )
    image.save(path, quality=90, progressive=progressive, subsampling=0)


out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
# The decoded image may take 96 MiB (100663296 bytes): the largest square of each PNG colour type
# within it, and an RGBA one beyond it.
png(out / "gray-8192.png", 8192, 1)
png(out / "rgba-5016.png", 5016, 4)
png(out / "gray16-7094.png", 7094, 1, depth=16)
png(out / "gray-alpha-7094.png", 7094, 2)
png(out / "rgba16-3547.png", 3547, 4, depth=16)
png(out / "rgba-8192.png", 8192, 4)
png(out / "bomb-60000.png", 64, 1, claimed=60000)
# A JPEG may take 128 MiB while decoding, counted as 3 bytes a sample (5 when progressive): the
# largest square RGB ones within it, a grayscale one just within it, and an RGB one beyond it.
if len(sys.argv) > 2 and sys.argv[2] == "--jpeg":
    jpeg(out / "rgb-3861.jpg", 3861, 3861, "RGB", False)
    jpeg(out / "rgb-progressive-2991.jpg", 2991, 2991, "RGB", True)
    jpeg(out / "gray-6687.jpg", 6687, 6687, "L", False)
    jpeg(out / "rgb-progressive-5792.jpg", 5792, 5792, "RGB", True)
