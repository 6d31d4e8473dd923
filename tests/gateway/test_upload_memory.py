"""Small files that would decode into hundreds of megabytes are refused from their headers.

Measured against the gateway (all within its byte and pixel limits): a 1.5 KB lossless
WebP of 16383x2400 added 450 MB, a 150 KB RGBA PNG of 6000x6000 388 MB, a 301 KB RLE BMP
212 MB; six such uploads at once took it from 0.8 to 4.2 GB and left 3.56 GB resident.
So every accepted picture must decode within the memory its header promises
(``decoded_bytes``, measured here per format), and the gateway refuses the rest with 413.
These are the decoder's and the decode pool's tests; the real gateway's are in
test_upload_memory_gateway.py.
"""

from __future__ import annotations

import asyncio
import io
import struct
import threading
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image

from services.common.body_limit import BodyLimit, BodySizeLimit
from services.common.errors import ApiError
from services.gateway.decode_pool import DecodePool
from services.gateway.images import ImageRejected, NormalisedImage, decode_cost, decode_upload
from services.gateway.settings import GatewaySettings
from services.pipeline.preprocess import to_model_pixels
from tests.gateway.pictures import (
    GI,
    LIMITS,
    MB,
    PeakGrowth,
    blank_webp,
    encoded,
    gradient,
    gray16_png,
    lossless_webp,
    palette_bmp,
    palette_png_with_transparency,
    phone_photo,
    progressive_jpeg_claiming,
    rgba_png,
    small_png,
)


def test_decode_cost_counts_the_stored_image_the_codec_and_the_working_set() -> None:
    """Pillow stores RGB and LA in 4 bytes a pixel; libwebp holds three more canvases."""
    work = decode_cost("L", (1, 1)) - 1
    assert decode_cost("RGB", (1000, 1000)) == 4_000_000 + work
    assert decode_cost("P", (1000, 1000)) == 1_000_000 + work
    assert decode_cost("RGBA", (1000, 1000), codec_bytes_per_pixel=12) == 16_000_000 + work
    assert work <= 24 * MB


PICTURES: dict[str, Callable[[], bytes]] = {
    "RGBA PNG 3000x3000": lambda: encoded(gradient(3000, 3000, "RGBA"), "PNG", compress_level=1),
    "RGB PNG 3000x3000": lambda: encoded(gradient(3000, 3000), "PNG", compress_level=1),
    "palette PNG with transparency 3000x3000": lambda: palette_png_with_transparency(3000, 3000),
    "LA PNG 3000x3000": lambda: encoded(gradient(3000, 3000, "LA"), "PNG", compress_level=1),
    "16-bit gray PNG 3000x3000": lambda: gray16_png(3000, 3000),
    "wide RGBA PNG 30000x300": lambda: rgba_png(30000, 300),
    "lossless WebP 2000x2000": lambda: encoded(
        gradient(2000, 2000, "RGBA"), "WEBP", lossless=True, quality=0, method=0
    ),
    "lossy WebP 2000x2000": lambda: encoded(gradient(2000, 2000), "WEBP", quality=50, method=0),
    "RLE BMP 3000x3000": lambda: palette_bmp(3000, 3000),
    "GIF 3000x3000": lambda: encoded(gradient(3000, 3000).quantize(32), "GIF"),
    "progressive JPEG 3000x3000 (4:4:4)": lambda: encoded(
        gradient(3000, 3000), "JPEG", progressive=True, subsampling=0
    ),
    "progressive CMYK JPEG 3000x3000": lambda: encoded(
        gradient(3000, 3000, "CMYK"), "JPEG", progressive=True
    ),
    "baseline JPEG 4000x3000": phone_photo,
}


def _warm_up() -> None:
    """Decode a small file of each format first: codecs allocate their tables once."""
    for fmt in ("PNG", "JPEG", "WEBP", "BMP", "GIF"):
        decode_upload(encoded(gradient(600, 600), fmt), **LIMITS)


@pytest.mark.parametrize("name", PICTURES)
def test_each_format_decodes_within_the_memory_its_header_promised(name: str) -> None:
    """The decode's measured peak stays within ``decoded_bytes`` (what the limit is
    checked against), and the picture is the one the full-size preparation gives."""
    data = PICTURES[name]()
    _warm_up()
    with PeakGrowth() as peak:
        image = decode_upload(data, **LIMITS, max_decode_bytes=GI)
    promised = image.decoded_bytes / MB
    assert peak.mb <= 1.1 * promised + 4, f"{name}: {peak.mb:.1f} MB, promised {promised:.1f}"
    with Image.open(io.BytesIO(data)) as full:
        reference = to_model_pixels(full)
    assert np.abs(image.pixels.astype(int) - reference.astype(int)).mean() < 3, name


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("lossless WebP 16383x2400", lossless_webp(16383, 2400)),
        ("RGBA PNG 6000x6000", rgba_png(6000, 6000)),
        ("RLE BMP 6000x6000", palette_bmp(6000, 6000)),
        ("blank lossless WebP 4096x4096", blank_webp(4096, 4096)),
        ("progressive CMYK JPEG claiming 4096x4096", progressive_jpeg_claiming(4096, 4096)),
    ],
)
def test_a_small_file_with_a_huge_decode_is_refused_before_decoding(name: str, data: bytes) -> None:
    assert len(data) < 2 * 1024 * 1024, name  # within the byte limit: the old way in
    with PeakGrowth() as peak, pytest.raises(ImageRejected) as refused:
        decode_upload(data, max_bytes=10 * MB, max_pixels=40_000_000)
    assert refused.value.status == 413, refused.value.message
    assert refused.value.code in ("too_many_pixels", "too_large_to_decode"), name
    assert peak.mb < 50, name


def test_a_gif_frame_larger_than_its_screen_is_counted_from_the_header() -> None:
    """A 10 x 10 screen whose first frame claims 5000 x 5000: Pillow grows the picture to
    hold the frame when it reads the header, so the frame's pixels are refused."""
    data = (
        b"GIF89a"
        + struct.pack("<HHBBB", 10, 10, 0x80, 0, 0)
        + bytes([0, 0, 0, 255, 255, 255])
        + b","
        + struct.pack("<HHHHB", 0, 0, 5000, 5000, 0)
        + b"\x02\x02\x44\x01\x00;"
    )
    with PeakGrowth() as peak, pytest.raises(ImageRejected) as refused:
        decode_upload(data, **LIMITS)
    assert (refused.value.code, refused.value.status) == ("too_many_pixels", 413)
    assert "5,000 x 5,000" in refused.value.message
    assert peak.mb < 5


def test_a_phone_photo_is_decoded_at_reduced_scale() -> None:
    """A 12-megapixel baseline JPEG is decoded at 1/8 scale (DCT scaling)."""
    image = decode_upload(phone_photo(), **LIMITS)
    assert image.pixels.shape == (64, 64, 3)
    assert image.source_size == (500, 375)
    assert image.decoded_bytes < 32 * MB


def test_default_limits_keep_the_gateways_decoding_well_inside_its_1_gi() -> None:
    settings = GatewaySettings()
    assert settings.max_upload_pixels <= 4096 * 4096
    pool = DecodePool(settings.decode_workers or None, settings.max_waiting_decodes, 1)
    pool.close()
    assert 1 <= pool.workers <= 4
    assert pool.workers * settings.max_decode_bytes <= 400 * MB


# --- the decode pool --------------------------------------------------------------------


def test_the_pool_decodes_a_few_at_once_and_refuses_beyond_its_queue() -> None:
    picture = small_png()
    pool = DecodePool(workers=1, max_waiting=2, retry_after_seconds=3)

    async def read() -> bytes:
        return picture

    async def burst() -> list[object]:
        return await asyncio.gather(
            *(pool.decode(read, **LIMITS) for _ in range(6)), return_exceptions=True
        )

    try:
        answers = asyncio.run(burst())
    finally:
        pool.close()
    refused = [a for a in answers if isinstance(a, ApiError)]
    assert len(refused) == 3  # one decoding, two waiting, three turned away
    assert all(a.status_code == 503 and a.code == "decode_busy" for a in refused)
    assert all(a.headers == {"Retry-After": "3"} for a in refused)


def test_an_upload_waiting_for_the_pool_holds_none_of_its_bytes() -> None:
    """The bytes are read (from the spooled upload) only once a decoder is free, so the
    waiting uploads cost the gateway no memory beyond the spooled file's buffer."""
    picture = small_png()
    holding = 0
    most = 0
    lock = threading.Lock()

    def decoding(data: bytes, limits: dict[str, int]) -> NormalisedImage:
        nonlocal holding
        try:
            threading.Event().wait(0.05)
            return decode_upload(data, **limits)
        finally:
            with lock:
                holding -= 1

    async def read() -> bytes:
        nonlocal holding, most
        with lock:
            holding += 1
            most = max(most, holding)
        return picture

    async def burst() -> list[object]:
        return await asyncio.gather(*(pool.decode(read, **LIMITS) for _ in range(8)))

    pool = DecodePool(workers=2, max_waiting=10, retry_after_seconds=3, work=decoding)
    try:
        answers = asyncio.run(burst())
    finally:
        pool.close()
    assert len(answers) == 8
    assert most <= 2


def test_a_chunked_body_is_counted_without_being_held_in_memory() -> None:
    """A chunked body within the limit reaches the app whole, but the limit's count
    keeps at most about a megabyte of it in memory (the rest waits on disk)."""
    import tracemalloc

    received = 0

    async def app(scope: dict[str, object], receive: Callable[[], object], send: object) -> None:
        nonlocal received
        more = True
        while more:
            message = await receive()  # type: ignore[misc]
            received += len(message.get("body", b""))
            more = message.get("more_body", False)

    async def upload() -> None:
        chunks = [{"type": "http.request", "body": b"x" * 65536, "more_body": True}] * 150
        chunks.append({"type": "http.request", "body": b"", "more_body": False})
        pending = iter(chunks)

        async def receive() -> object:
            return dict(next(pending))

        async def send(message: object) -> None:
            raise AssertionError(f"nothing is sent by this app: {message}")

        limited = BodySizeLimit(app, BodyLimit(10 * MB + 1))  # type: ignore[arg-type]
        scope = {"type": "http", "path": "/", "headers": [(b"transfer-encoding", b"chunked")]}
        await limited(scope, receive, send)  # type: ignore[arg-type]

    tracemalloc.start()
    try:
        asyncio.run(upload())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert received == 150 * 65536
    assert peak < 3 * MB, peak / MB


# --- through the gateway ----------------------------------------------------------------
