"""Hostile and large pictures built in memory, and the peak memory a decode adds.

Shared by the decode tests (test_upload_memory.py) and the gateway tests
(test_upload_memory_gateway.py).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

MB = 1024 * 1024
LIMITS = {"max_bytes": 10 * MB, "max_pixels": 4096 * 4096}
GI = 1024 * MB


# --- hostile and large files, built in memory ------------------------------------------


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def rgba_png(width: int, height: int) -> bytes:
    """A blank RGBA PNG: a few hundred KB whatever its size (rows of zeros deflate well)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    row = b"\0" + b"\0" * (4 * width)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", body)
        + _chunk(b"IEND", b"")
    )


def lossless_webp(width: int, height: int) -> bytes:
    """A WebP whose lossless header claims ``width`` x ``height`` (VP8L, RFC 9649)."""
    bits = (width - 1) | ((height - 1) << 14) | (1 << 28)  # alpha used
    payload = b"\x2f" + struct.pack("<I", bits) + b"\0" * 16
    chunk = b"VP8L" + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


@functools.cache
def blank_webp(width: int, height: int) -> bytes:
    """A real lossless WebP of transparent pixels: 34 bytes for 4096 x 4096 (built once)."""
    return encoded(Image.new("RGBA", (width, height)), "WEBP", lossless=True, method=0)


def palette_bmp(width: int, height: int) -> bytes:
    """An 8-bit palette BMP of ``width`` x ``height``, RLE8-compressed: all one colour."""
    runs = b""
    for _ in range(height):
        left = width
        while left:
            step = min(255, left)
            runs += bytes([step, 0])
            left -= step
        runs += b"\0\0"  # end of line
    runs += b"\0\1"  # end of bitmap
    palette = b"\0\0\0\0" * 256
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 8, 1, len(runs), 0, 0, 256, 0)
    offset = 14 + len(info) + len(palette)
    header = b"BM" + struct.pack("<IHHI", offset + len(runs), 0, 0, offset)
    return header + info + palette + runs


def progressive_jpeg_claiming(width: int, height: int, mode: str = "CMYK") -> bytes:
    """A tiny progressive JPEG whose frame header says ``width`` x ``height``: libjpeg
    allocates its full-size coefficient buffer (2 bytes a sample) before reading a scan."""
    buffer = io.BytesIO()
    Image.new(mode, (16, 16)).save(buffer, "JPEG", progressive=True, subsampling=0)
    data = bytearray(buffer.getvalue())
    sof = data.index(b"\xff\xc2")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def gradient(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """A picture with detail in every channel (so codecs can't shortcut it)."""
    rows, cols = np.mgrid[0:height, 0:width]
    rgb = np.stack([rows % 256, cols % 256, (rows + cols) % 251], axis=-1).astype(np.uint8)
    image = Image.fromarray(rgb)
    if mode == "RGBA":
        alpha = Image.fromarray(((rows * 3 + cols) % 256).astype(np.uint8))
        image.putalpha(alpha)
        return image
    return image.convert(mode)


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def palette_png_with_transparency(width: int, height: int) -> bytes:
    image = gradient(width, height).quantize(64)
    return encoded(image, "PNG", transparency=0)


def gray16_png(width: int, height: int) -> bytes:
    rows, cols = np.mgrid[0:height, 0:width]
    return encoded(Image.fromarray(((rows * 37 + cols * 11) % 65536).astype(np.uint16)), "PNG")


def phone_photo(width: int = 4000, height: int = 3000, **options: object) -> bytes:
    rows, cols = np.mgrid[0:height, 0:width]
    photo = np.stack([rows % 256, cols % 256, (rows * cols) % 256], axis=-1).astype(np.uint8)
    return encoded(Image.fromarray(photo), "JPEG", quality=90, **options)


# --- memory of this process -------------------------------------------------------------


def _status_bytes(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {key}")


_libc = ctypes.CDLL(ctypes.util.find_library("c"))


class PeakGrowth:
    """How far this process's resident memory rose above its level at the start (VmHWM
    reset through ``clear_refs``), in MB. Free memory glibc kept is handed back first, or
    a decode would reuse it unseen."""

    def __enter__(self) -> PeakGrowth:
        gc.collect()
        _libc.malloc_trim(0)
        self.before = _status_bytes("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")
        self.mb = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.mb = (_status_bytes("VmHWM") - self.before) / MB


# --- decoding within its promise --------------------------------------------------------


def small_png() -> bytes:
    return encoded(Image.new("RGB", (64, 64), "red"), "PNG")
