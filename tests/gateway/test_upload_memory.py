"""Small files that would decode into hundreds of megabytes are refused from their headers.

Measured against the gateway (all within its byte and pixel limits): a 1.5 KB lossless
WebP of 16383x2400 added 450 MB, a 150 KB RGBA PNG of 6000x6000 388 MB, a 301 KB RLE BMP
212 MB; six such uploads at once took it from 0.8 to 4.2 GB and left 3.56 GB resident.
"""

from __future__ import annotations

import asyncio
import io
import resource
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from services.common.errors import ApiError
from services.gateway.decode_pool import DecodePool
from services.gateway.images import ImageRejected, decode_cost, decode_upload

LIMITS = {"max_bytes": 10 * 1024 * 1024, "max_pixels": 40_000_000}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("lossless WebP 16383x2400", lossless_webp(16383, 2400)),
        ("RGBA PNG 6000x6000", rgba_png(6000, 6000)),
        ("RLE BMP 6000x6000", palette_bmp(6000, 6000)),
    ],
)
def test_a_small_file_with_a_huge_decode_is_refused_before_decoding(name: str, data: bytes) -> None:
    assert len(data) < 2 * 1024 * 1024, name  # within the byte limit: the old way in
    before = _peak_rss_mb()
    with pytest.raises(ImageRejected) as refused:
        decode_upload(data, **LIMITS)
    assert refused.value.code == "too_large_to_decode" and refused.value.status == 413
    assert "MB of memory" in refused.value.message
    assert _peak_rss_mb() - before < 50, name


def test_decode_cost_counts_the_decoded_image_and_a_copy_before_shrinking() -> None:
    assert decode_cost("RGB", (1000, 1000)) == 3_000_000
    assert decode_cost("RGBA", (1000, 1000)) == 4_000_000
    assert decode_cost("P", (1000, 1000)) == 5_000_000  # a palette becomes RGB(A) first


def test_a_large_allowed_picture_is_shrunk_before_its_copies() -> None:
    """An RGBA PNG just within the bound: its peak is the decode itself, not five copies
    (19 bytes a pixel before), and the result matches the full-size preparation."""
    from services.pipeline.preprocess import to_model_pixels

    rows, cols = np.mgrid[0:2400, 0:2400]
    rgba = np.stack([rows % 256, cols % 256, (rows + cols) % 256, 255 + 0 * rows], axis=-1)
    buffer = io.BytesIO()
    Image.fromarray(rgba.astype(np.uint8), "RGBA").save(buffer, "PNG")
    before = _peak_rss_mb()
    image = decode_upload(buffer.getvalue(), **LIMITS)
    grown = _peak_rss_mb() - before
    assert image.decoded_bytes == 4 * 2400 * 2400
    with Image.open(io.BytesIO(buffer.getvalue())) as full:
        full.load()
        reference = to_model_pixels(full)
    assert np.abs(image.pixels.astype(int) - reference.astype(int)).mean() < 4
    assert grown < 2.5 * image.decoded_bytes / 2**20, grown


def test_a_phone_photo_still_works() -> None:
    """A 12-megapixel JPEG is decoded at reduced scale (well within the bound)."""
    rows, cols = np.mgrid[0:3000, 0:4000]
    photo = np.stack([rows % 256, cols % 256, (rows * cols) % 256], axis=-1).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(photo).save(buffer, "JPEG", quality=90)
    image = decode_upload(buffer.getvalue(), **LIMITS)
    assert image.pixels.shape == (64, 64, 3)
    assert image.source_size == (500, 375)  # decoded at 1/8 scale (JPEG DCT scaling)
    assert image.decoded_bytes < 8 * 1024 * 1024


def test_the_pool_decodes_a_few_at_once_and_refuses_beyond_its_queue() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(buffer, "PNG")
    picture = buffer.getvalue()
    pool = DecodePool(workers=1, max_waiting=2, retry_after_seconds=3)

    async def burst() -> list[object]:
        return await asyncio.gather(
            *(pool.decode(picture, **LIMITS) for _ in range(6)), return_exceptions=True
        )

    try:
        answers = asyncio.run(burst())
    finally:
        pool.close()
    refused = [a for a in answers if isinstance(a, ApiError)]
    assert len(refused) == 3  # one decoding, two waiting, three turned away
    assert all(a.status_code == 503 and a.code == "decode_busy" for a in refused)
    assert all(a.headers == {"Retry-After": "3"} for a in refused)
